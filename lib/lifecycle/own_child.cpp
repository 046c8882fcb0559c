#include "lifecycle/own_child.hpp"

#include "lifecycle/abandoned.hpp"
#include "posix/fd.hpp"
#include "posix/open.hpp"
#include "posix/pidfd.hpp"
#include "posix/process_id.hpp"

#include <cerrno>
#include <csignal>

namespace mproc::lifecycle {

own_child::own_child(pid_t pid, posix::unique_fd pipe_sentinel) : child_(pid) {
    const int pidfd_errno = errno;  // child_'s pidfd_open, if it failed
    try {
        if (!have_pidfds())
            sentinel_ = std::move(pipe_sentinel);
        else if (child_.sentinel() >= 0)
            sentinel_ = posix::dup_at_least(child_.sentinel(), 0);
        else if (child_.poll())
            sentinel_ = posix::make_pipe().first;  // already reaped (by the application): a closed pipe is readable
        else
            posix::throw_errno("pidfd_open", pidfd_errno);  // EMFILE...: no sentinel, so no join
    } catch (...) {
        kill_and_abandon(std::move(child_));
        throw;
    }
}

void kill_and_abandon(posix::child_handle child) {
    try {
        child.send_signal(SIGKILL);
    } catch (...) {
    }
    abandon(std::move(child));
}

bool have_pidfds() noexcept {
    static const bool have = static_cast<bool>(posix::pidfd_open(posix::current_pid()));
    return have;
}

}  // namespace mproc::lifecycle
