// A child process whose waiting we own: its pid, a pollable exit sentinel
// (a pidfd, where the kernel has pidfd_open) and its cached return code.
// No SIGCHLD handler is involved: waiting with a timeout polls the pidfd, or
// (without pidfd) polls waitid(WNOHANG) with a growing sleep, as Python does.
#pragma once

#include "posix/poll.hpp"

#include <mproc/unique_fd.hpp>

#include <optional>
#include <sys/types.h>

namespace mproc::posix {

/// A wait status in Python's convention: the exit code, or -signal.
int returncode_from_status(int status) noexcept;

class child_handle {
public:
    child_handle() noexcept = default;
    /// Takes over the waiting of child `pid`.
    explicit child_handle(pid_t pid);
    child_handle(child_handle&&) noexcept = default;
    child_handle& operator=(child_handle&&) noexcept = default;

    pid_t pid() const noexcept { return pid_; }
    explicit operator bool() const noexcept { return pid_ > 0; }
    /// Readable once the child has ended; -1 when the kernel has no pidfd.
    int sentinel() const noexcept { return pidfd_.get(); }

    /// The return code if the child has ended (reaping it), else nullopt.
    std::optional<int> poll();
    /// Waits until the child ends or the deadline passes (then nullopt).
    std::optional<int> wait(deadline until);
    /// The return code once known (after poll or wait saw the child end).
    std::optional<int> returncode() const noexcept { return returncode_; }

    /// Sends `sig` unless the child was already reaped (then does nothing,
    /// so a recycled pid is never signalled). Throws std::system_error.
    void send_signal(int sig);

private:
    pid_t pid_ = -1;
    unique_fd pidfd_;
    std::optional<int> returncode_;
};

}  // namespace mproc::posix
