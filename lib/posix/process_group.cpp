#include "posix/process_group.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <csignal>

namespace mproc::posix {

void signal_process_group(pid_t pgid, int sig) {
    if (pgid <= 0) return;  // never kill(0) or kill(-1)
    if (::kill(-pgid, sig) != 0 && errno != ESRCH) throw_errno("kill (process group)");
}

}  // namespace mproc::posix
