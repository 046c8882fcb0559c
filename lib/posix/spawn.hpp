// Starting a program with a chosen set of descriptors: posix_spawn (a vfork-
// style clone in glibc: cheap even for a parent with a big heap, and nothing
// but the exec runs in the child).
#pragma once

#include <csignal>
#include <span>
#include <sys/types.h>

namespace mproc::posix {

/// The first descriptor number a child receives its descriptors at.
constexpr int first_passed_fd = 3;

struct spawn_request {
    const char* path;          // executed as is (no PATH search)
    char* const* argv;         // null-terminated
    char* const* envp;         // null-terminated
    std::span<const int> fds;  // become first_passed_fd, +1, ... in the child
    const sigset_t* mask;      // the child's signal mask (nullptr: the caller's)
};

/// Starts `path` with descriptors 0, 1 and 2 as in the caller, `fds` renumbered
/// from first_passed_fd, and every other descriptor closed. Returns the pid.
/// Throws std::system_error with the errno of the failing step (exec included).
pid_t spawn_with_fds(const spawn_request& request);

/// The same renumbering done in the calling process (a freshly forked,
/// single-threaded child): `fds` become first_passed_fd, +1, ..., every other
/// descriptor above 2 is closed. Async-signal-safe. Returns false on failure.
bool keep_only_fds(std::span<const int> fds) noexcept;

}  // namespace mproc::posix
