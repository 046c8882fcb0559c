#include "start/child_popen.hpp"

#include "posix/fd.hpp"
#include "posix/pidfd.hpp"

#include <unistd.h>

namespace mproc::start {

child_popen::child_popen(pid_t pid, posix::unique_fd pipe_sentinel) : child_(pid) {
    sentinel_ = child_.sentinel() >= 0 ? posix::duplicate(child_.sentinel()) : std::move(pipe_sentinel);
}

bool have_pidfds() noexcept {
    static const bool have = static_cast<bool>(posix::pidfd_open(::getpid()));
    return have;
}

}  // namespace mproc::start
