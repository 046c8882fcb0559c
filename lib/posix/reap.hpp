// Reaping whichever child has ended (for mproc's fork server, whose every
// child is its own; never in a user's process).
#pragma once

#include <optional>
#include <sys/types.h>

namespace mproc::posix {

struct reaped_child {
    pid_t pid;
    int returncode;  // Python's convention: exit code, or -signal
};

/// waitpid(-1, WNOHANG): a child that has ended, or nullopt when none has.
std::optional<reaped_child> reap_any_child() noexcept;

}  // namespace mproc::posix
