// Signalling a whole process group (a child started in a new session or
// group leads one; its descendants belong to it unless they moved).
#pragma once

#include <sys/types.h>

namespace mproc::posix {

/// kill(-pgid, sig). A group that no longer exists is not an error. The
/// caller must know the group is still ours: its leader not yet reaped.
/// Throws std::system_error.
void signal_process_group(pid_t pgid, int sig);

}  // namespace mproc::posix
