#include "posix/signals.hpp"

#include "posix/fd.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace mproc::posix {

sigset_t thread_signal_mask() noexcept {
    sigset_t mask;
    sigemptyset(&mask);
    ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    return mask;
}

void set_thread_signal_mask(const sigset_t& mask) noexcept { ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); }

void block_all_signals() noexcept {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

void ignore_signal(int sig) noexcept {
    struct sigaction action{};
    action.sa_handler = SIG_IGN;
    ::sigaction(sig, &action, nullptr);
}

void default_signal(int sig) noexcept {
    struct sigaction action{};
    action.sa_handler = SIG_DFL;
    ::sigaction(sig, &action, nullptr);
}

unique_fd open_sigchld_fd() {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::pthread_sigmask(SIG_BLOCK, &chld, nullptr);
    int fd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) throw_errno("signalfd");
    return unique_fd(fd);
}

void drain_signal_fd(int fd) noexcept {
    signalfd_siginfo info[8];
    while (::read(fd, info, sizeof info) > 0) {}
}

}  // namespace mproc::posix
