#include "posix/file_lock.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>

namespace mproc::posix {

namespace {

struct flock byte_at(std::uint64_t at, short type) noexcept {
    struct flock l {};
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = static_cast<off_t>(at);
    l.l_len = 1;
    return l;
}

}  // namespace

unique_fd reopen_private(int fd) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    int made;
    do made = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    while (made < 0 && errno == EINTR);
    if (made < 0) throw_errno("open(/proc/self/fd)");
    made = raise_above_stdio(made);
    if (made < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
    return unique_fd(made);
}

bool lock_byte(int fd, std::uint64_t at) {
    struct flock l = byte_at(at, F_WRLCK);
    if (::fcntl(fd, F_OFD_SETLK, &l) == 0) return true;
    if (errno == EAGAIN || errno == EACCES) return false;
    throw_errno("fcntl(F_OFD_SETLK)");
}

bool byte_locked_elsewhere(int fd, std::uint64_t at) noexcept {
    struct flock l = byte_at(at, F_WRLCK);
    if (::fcntl(fd, F_OFD_GETLK, &l) != 0) return true;
    return l.l_type != F_UNLCK;
}

}  // namespace mproc::posix
