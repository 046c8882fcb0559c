#include "posix/parent_death.hpp"

#include <cerrno>
#include <csignal>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mproc::posix {

bool die_with_parent(pid_t expected_parent) noexcept {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // cannot fail for a valid signal
    return ::getppid() == expected_parent;
}

// Runs in posix::spawn's child, which shares the parent's memory: not
// instrumented, raw system calls only. PR_SET_PDEATHSIG survives the exec.
__attribute__((noinline, no_sanitize("address", "thread", "undefined"))) int die_with_parent_hook(
    void* expected_parent) noexcept {
    if (::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return errno;
    if (::syscall(SYS_getppid) != *static_cast<const pid_t*>(expected_parent)) return ESRCH;
    return 0;
}

void bind_child_calls() noexcept {
    static const bool bound = [] {
        int signal = 0;
        ::prctl(PR_GET_PDEATHSIG, &signal);
        return ::getppid() > 0 && ::syscall(SYS_getpid) > 0;
    }();
    (void)bound;
}

void exit_now(int code) noexcept {
    for (;;) ::syscall(SYS_exit_group, code);
}

}  // namespace mproc::posix
