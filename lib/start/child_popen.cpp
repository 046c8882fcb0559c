#include "start/child_popen.hpp"

#include "posix/open.hpp"
#include "posix/pidfd.hpp"

#include <unistd.h>

namespace mproc::start {

child_popen::child_popen(pid_t pid, posix::unique_fd pipe_sentinel) : child_(pid) {
    sentinel_ = child_.sentinel() >= 0 ? posix::dup_at_least(child_.sentinel(), 0) : std::move(pipe_sentinel);
}

bool have_pidfds() noexcept {
    static const bool have = static_cast<bool>(posix::pidfd_open(::getpid()));
    return have;
}

}  // namespace mproc::start
