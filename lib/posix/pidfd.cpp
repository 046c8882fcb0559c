#include "posix/pidfd.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

namespace mproc::posix {

unique_fd pidfd_open(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
    // pidfds are always close-on-exec.
    return unique_fd(raise_above_stdio(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))));
#else
    (void)pid;
    errno = ENOSYS;
    return unique_fd();
#endif
}

int pidfd_send_signal(int pidfd, int sig) noexcept {
#ifdef SYS_pidfd_send_signal
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
#else
    (void)pidfd;
    (void)sig;
    errno = ENOSYS;
    return -1;
#endif
}

int signal_process(int pidfd, pid_t pid, int sig) noexcept {
    return pidfd >= 0 ? pidfd_send_signal(pidfd, sig) : ::kill(pid, sig);
}

bool wait_process_end(int pidfd, pid_t pid, deadline until) {
    if (pidfd >= 0) return wait_readable(pidfd, until);
    for (;;) {
        if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
        if (until && clock::now() >= *until) return false;
        ::usleep(10000);
    }
}

}  // namespace mproc::posix
