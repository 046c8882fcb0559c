#include "posix/close_range.hpp"

#include "posix/config.hpp"

#include <cerrno>
#include <cstdint>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mproc::posix {

namespace {

// The descriptor limit, for the close loop where close_range is missing.
MPROC_CHILD_CODE long descriptor_limit() noexcept {
    struct {
        std::uint64_t cur, max;
    } limit{0, 0};
    if (::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &limit) != 0 || limit.cur > (1u << 20)) return 1L << 20;
    return static_cast<long>(limit.cur);
}

}  // namespace

MPROC_CHILD_CODE int close_descriptors(int lo, long hi) noexcept {
    if (hi < 0 || hi > static_cast<long>(~0U)) hi = static_cast<long>(~0U);
    if (lo > hi) return 0;
#if MPROC_HAVE_CLOSE_RANGE
    if (::syscall(SYS_close_range, static_cast<unsigned int>(lo), static_cast<unsigned int>(hi), 0U) == 0) return 0;
    if (errno != ENOSYS && errno != EINVAL) return errno;
#endif
    const long max_fd = descriptor_limit();
    for (long fd = lo; fd <= hi && fd < max_fd; ++fd) ::syscall(SYS_close, fd);
    return 0;
}

}  // namespace mproc::posix
