// pidfds: descriptors that refer to one process (Linux 5.3+). They become
// readable when the process ends, work for processes we did not fork, and
// make signalling immune to pid reuse.
#pragma once

#include "posix/poll.hpp"

#include <mproc/unique_fd.hpp>

#include <sys/types.h>

namespace mproc::posix {

/// pidfd_open(pid): an owned, close-on-exec pidfd, or an empty unique_fd when
/// the kernel has no pidfds or the process is gone (errno tells which).
unique_fd pidfd_open(pid_t pid) noexcept;

/// pidfd_send_signal; returns 0 or -1 with errno, as the syscall.
int pidfd_send_signal(int pidfd, int sig) noexcept;

/// Sends `sig` through `pidfd`, or with kill(pid) when `pidfd` is -1.
/// Returns 0 or -1 with errno.
int signal_process(int pidfd, pid_t pid, int sig) noexcept;

/// Whether process `pid` (watched through `pidfd`, or polled with kill(pid, 0)
/// when `pidfd` is -1) has ended by the deadline. For processes that are not
/// our children (their end cannot be waited for).
bool wait_process_end(int pidfd, pid_t pid, deadline until);

}  // namespace mproc::posix
