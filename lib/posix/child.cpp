#include "posix/child.hpp"

#include "posix/fd.hpp"
#include "posix/pidfd.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace mproc::posix {

int returncode_from_status(int status) noexcept {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return status;
}

child_handle::child_handle(pid_t pid) : pid_(pid), pidfd_(posix::pidfd_open(pid)) {}

std::optional<int> child_handle::poll() {
    if (returncode_ || pid_ <= 0) return returncode_;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            returncode_ = returncode_from_status(status);
            pidfd_.reset();
            return returncode_;
        }
        if (r == 0) return std::nullopt;
        if (errno == EINTR) continue;
        // ECHILD: someone else (the application's own waitpid(-1)) reaped it;
        // its status is lost. Python reports 0 in this case too.
        if (errno == ECHILD) {
            returncode_ = 0;
            pidfd_.reset();
            return returncode_;
        }
        throw_errno("waitpid");
    }
}

std::optional<int> child_handle::wait(deadline until) {
    if (auto code = poll()) return code;
    if (pidfd_) {
        if (!wait_readable(pidfd_.get(), until)) return std::nullopt;
        // The pidfd reports the exit; the status is collected by waitpid.
        for (;;) {
            if (auto code = poll()) return code;
            std::this_thread::yield();
        }
    }
    // No pidfd: poll with a growing sleep, bounded by the deadline.
    auto delay = std::chrono::microseconds(100);
    for (;;) {
        if (auto code = poll()) return code;
        auto now = clock::now();
        if (until && now >= *until) return std::nullopt;
        auto sleep = until ? std::min<clock::duration>(delay, *until - now) : clock::duration(delay);
        std::this_thread::sleep_for(sleep);
        delay = std::min(delay * 2, std::chrono::microseconds(50000));
    }
}

void child_handle::send_signal(int sig) {
    if (returncode_ || pid_ <= 0) return;
    int r = pidfd_ ? posix::pidfd_send_signal(pidfd_.get(), sig) : ::kill(pid_, sig);
    if (r != 0 && errno != ESRCH) throw_errno("kill");
}

}  // namespace mproc::posix
