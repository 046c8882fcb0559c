// A child of this process (fork and spawn): waitpid through
// posix::child_handle, and a sentinel that stays valid after the reap (a
// duplicate of the child's pidfd or, without pidfds, the read end of a pipe
// whose write end only the child holds).
#pragma once

#include "lifecycle/child.hpp"
#include "posix/child.hpp"

#include <mproc/unique_fd.hpp>

namespace mproc::lifecycle {

class own_child final : public child {
public:
    /// `pipe_sentinel`: the read end of the child's pipe when the kernel has
    /// no pidfds (ignored otherwise). Throws std::system_error when no
    /// sentinel can be made (EMFILE): the child is then killed and abandoned.
    own_child(pid_t pid, posix::unique_fd pipe_sentinel);

    pid_t pid() const noexcept override { return child_.pid(); }
    int sentinel() const noexcept override { return sentinel_.get(); }
    std::optional<int> poll() override { return child_.poll(); }
    void send_signal(int sig) override { child_.send_signal(sig); }
    /// Gives up the waiting of the child (to abandon).
    posix::child_handle release() noexcept { return std::move(child_); }

private:
    posix::child_handle child_;
    posix::unique_fd sentinel_;
};

/// Kills (SIGKILL) a child no Process will own; it is reaped later
/// (abandon).
void kill_and_abandon(posix::child_handle child);

/// Whether this kernel has pidfds (checked once). Without them, fork and spawn
/// give each child a pipe whose write end only it holds as its sentinel.
bool have_pidfds() noexcept;

}  // namespace mproc::lifecycle
