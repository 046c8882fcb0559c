// Waiting on descriptors with a deadline, immune to EINTR.
#pragma once

#include <chrono>
#include <optional>
#include <poll.h>

namespace mproc::posix {

using clock = std::chrono::steady_clock;
/// nullopt = wait forever.
using deadline = std::optional<clock::time_point>;

/// Throws std::invalid_argument for a NaN timeout (Python: ValueError):
/// converted to an integer it is undefined behaviour, and waits forever.
void check_timeout(std::optional<std::chrono::duration<double>> timeout);

/// The deadline `timeout` from now; nullopt timeout means forever.
/// Negative timeouts mean "do not wait". Every timeout of the API becomes a
/// deadline here: throws std::invalid_argument for NaN (check_timeout).
deadline deadline_after(std::optional<std::chrono::duration<double>> timeout);

/// poll() until an event or the deadline; retried on EINTR with the time left.
/// Returns the number of ready entries (0 = deadline passed).
int poll_until(pollfd* fds, nfds_t n, deadline until);

/// True when `fd` becomes readable (or hung up) before the deadline.
bool wait_readable(int fd, deadline until);

}  // namespace mproc::posix
