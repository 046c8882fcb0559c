#include "posix/address_space.hpp"

#include "posix/memfd.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace mproc::posix {

namespace {

// The process's mapped bytes (VmSize: the first field of /proc/self/statm, in
// pages); false when it cannot be read.
bool mapped_bytes(std::size_t& out) noexcept {
    const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[128];
    ssize_t n;
    do n = ::read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    ::close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    unsigned long long pages = 0;
    if (std::sscanf(buf, "%llu", &pages) != 1) return false;
    out = static_cast<std::size_t>(pages) * page_size();
    return true;
}

}  // namespace

std::size_t address_space_left() noexcept {
    rlimit limit{};
    if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    const auto cap = static_cast<std::size_t>(limit.rlim_cur);
    std::size_t used = 0;
    if (!mapped_bytes(used)) return cap;
    return cap > used ? cap - used : 0;
}

}  // namespace mproc::posix
