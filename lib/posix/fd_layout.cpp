#include "posix/fd_layout.hpp"

#include "posix/close_range.hpp"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace mproc::posix {

bool set_standard_fds(const int (&std_fds)[3]) noexcept {
    for (int i = 0; i < 3; ++i) {
        if (std_fds[i] >= 0 ? ::dup2(std_fds[i], i) < 0 : ::close(i) != 0 && errno != EBADF) return false;
    }
    return true;
}

bool keep_only_fds(std::span<const int> fds) noexcept {
    // Copy every descriptor above all sources and targets first, then down to
    // its target: no source is overwritten before it is copied.
    const int n = static_cast<int>(fds.size());
    int staging = first_passed_fd + n;
    for (int fd : fds) staging = std::max(staging, fd + 1);
    for (int i = 0; i < n; ++i)
        if (::dup2(fds[i], staging + i) < 0) return false;
    for (int i = 0; i < n; ++i)
        if (::dup2(staging + i, first_passed_fd + i) < 0) return false;  // dup2 clears close-on-exec
    const int first_closed = first_passed_fd + n;
    return close_descriptors(first_closed, -1) == 0;
}

}  // namespace mproc::posix
