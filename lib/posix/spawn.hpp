// Starting a program in a new process without copying the parent's page
// tables: clone(CLONE_VM | CLONE_VFORK) on a private stack, as glibc's
// posix_spawn does, with every decision made in the parent beforehand so the
// child only makes raw, async-signal-safe system calls before execve.
//
// This is the step Boost.Process v2 (1.81) gets wrong in several ways that its
// launcher and init hooks cannot fix, because they sit in the launch itself
// (so lib/subprocess/ uses no v2 launcher):
//  - its default_launcher fork()s (page tables copied: 16x slower with a
//    256 MiB heap) and its vfork_launcher calls io_context::notify_fork in
//    the vfork child, breaking a long-lived io_context (boostorg/process#314);
//  - close_all_fds closes nothing below the last whitelisted descriptor
//    (off-by-one in posix/detail/close_handles.ipp; boostorg/process#360,
//    fixed in 1.85): here close_range over the gaps of the keep list;
//  - after a failed exec the child calls exit(), not _exit(), running the
//    parent's atexit handlers and flushing its stdio buffers a second time
//    (boostorg/process#514): here a raw exit_group;
//  - the failed child is never waited for and stays a zombie
//    (boostorg/process#285): here it is reaped before the error is thrown;
//  - signal dispositions and the signal mask leak into the child;
//  - its process_start_dir changes directory in on_exec_setup, a hook of the
//    launchers above: here spawn_plan::cwd.
#pragma once

#include <cstddef>
#include <sys/types.h>
#include <system_error>

namespace mproc::posix {

/// What the child does between clone and exec, all decided in the parent.
struct spawn_plan {
    /// Paths tried in order with execve (the PATH search, already expanded);
    /// null-terminated. The first error other than ENOENT/ENOTDIR is
    /// reported, else the last (Python's rule).
    const char* const* programs = nullptr;
    const char* const* argv = nullptr;
    /// The child's environment; null: this process's (environ).
    const char* const* envp = nullptr;

    /// Source descriptor for the child's 0, 1, 2: `inherit` leaves the
    /// parent's descriptor as is, `same_as_stdout` (stderr only) duplicates
    /// the child's fd 1. Any other source must be > 2 or equal to its target
    /// (the caller moves low descriptors out of the way first).
    static constexpr int inherit = -1;
    static constexpr int same_as_stdout = -2;
    int stdio[3] = {inherit, inherit, inherit};

    /// Descriptors the child keeps open under their own numbers
    /// (Python's pass_fds): made inheritable in the child. Sorted, > 2.
    const int* keep_fds = nullptr;
    std::size_t keep_count = 0;
    /// Close every descriptor above 2 that is not in keep_fds.
    bool close_fds = true;

    /// The child's working directory (chdir after the stdio set-up), or null.
    const char* cwd = nullptr;

    bool new_session = false;       ///< setsid()
    pid_t process_group = -1;       ///< setpgid(0, process_group) when >= 0

    /// Runs in the child after the stdio set-up and before the rest: must be
    /// async-signal-safe. Returns 0 or an errno value.
    int (*child_hook)(void* context) = nullptr;
    void* hook_context = nullptr;
};

/// Where in the child a start failed.
enum class spawn_stage : int {
    stdio = 1,      ///< duplicating the stdio descriptors
    keep_fds,       ///< making a pass_fds descriptor inheritable
    cwd,            ///< changing to spawn_plan::cwd
    hook,           ///< spawn_plan::child_hook
    signals,        ///< restoring default signal dispositions and mask
    session,        ///< setsid / setpgid
    close_fds,      ///< closing inherited descriptors
    exec,           ///< execve of every candidate
};

/// A start that failed in the child: code() is the child's errno. The child
/// has been reaped.
class spawn_error : public std::system_error {
public:
    spawn_error(spawn_stage stage, int err);
    spawn_stage stage() const noexcept { return stage_; }

private:
    spawn_stage stage_;
};

/// Starts the program described by `plan` and returns its pid once it has
/// exec'd. The child starts with default signal dispositions and an empty
/// signal mask. Throws spawn_error (a failure in the child, which has been
/// reaped) or std::system_error (the parent could not create the child).
pid_t spawn(const spawn_plan& plan);

}  // namespace mproc::posix
