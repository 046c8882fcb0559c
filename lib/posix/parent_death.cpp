#include "posix/parent_death.hpp"

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace mproc::posix {

bool die_with_parent(pid_t expected_parent) noexcept {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // cannot fail for a valid signal
    return ::getppid() == expected_parent;
}

bool is_main_thread() noexcept { return ::gettid() == ::getpid(); }

}  // namespace mproc::posix
