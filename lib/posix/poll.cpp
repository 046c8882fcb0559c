#include "posix/poll.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <climits>

namespace mproc::posix {

deadline deadline_after(std::optional<std::chrono::duration<double>> timeout) {
    if (!timeout) return std::nullopt;
    auto now = clock::now();
    if (*timeout <= std::chrono::duration<double>::zero()) return now;
    // Clamp absurdly long timeouts instead of overflowing the clock.
    constexpr auto year = std::chrono::hours(24 * 365);
    if (*timeout > year * 100) return std::nullopt;
    return now + std::chrono::duration_cast<clock::duration>(*timeout);
}

int poll_until(pollfd* fds, nfds_t n, deadline until) {
    for (;;) {
        int ms = -1;
        if (until) {
            auto left = *until - clock::now();
            if (left < clock::duration::zero()) left = clock::duration::zero();
            // Round up so we never wake a hair early and spin.
            auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
            ms = left_ms > INT_MAX ? INT_MAX : static_cast<int>(left_ms);
        }
        int r = ::poll(fds, n, ms);
        if (r > 0) return r;
        if (r == 0) {
            if (!until || clock::now() >= *until) return 0;
            continue;  // woke early (clamped wait): go on waiting
        }
        if (errno != EINTR) throw_errno("poll");
    }
}

bool wait_readable(int fd, deadline until) {
    pollfd p{fd, POLLIN, 0};
    return poll_until(&p, 1, until) > 0;
}

}  // namespace mproc::posix
