// Children that die with their parent: PR_SET_PDEATHSIG.
//
// Linux sends the signal when the *thread* that created the child exits, not
// when the parent process does: a child must be created by a thread that
// lives as long as its process (see lib/start/creator_thread.hpp).
#pragma once

#include <sys/types.h>

namespace mproc::posix {

/// Asks for SIGKILL when the creating thread of the calling process dies, then
/// checks that the parent is still `expected_parent` (it may have died before
/// the request took effect). Returns false when the parent is already gone:
/// the caller should _exit at once. Async-signal-safe.
bool die_with_parent(pid_t expected_parent) noexcept;

/// The same for a child made by posix::spawn: a spawn_plan::child_hook whose
/// context points to the expected parent's pid_t. Returns 0, or an errno
/// value (ESRCH: the parent is already gone). Raw system calls only.
int die_with_parent_hook(void* expected_parent) noexcept;

/// Makes, in a parent, the library calls die_with_parent and exit_now make,
/// so their lazy symbol binding happens once here rather than in every forked
/// child (where it costs page faults in the dynamic linker's data).
void bind_child_calls() noexcept;

/// _exit(code) (the exit_group system call) through a call already bound in
/// the parent (see bind_child_calls). Async-signal-safe.
[[noreturn]] void exit_now(int code) noexcept;

/// True on the thread whose id is the process id (the one `main` ran on).
bool is_main_thread() noexcept;

}  // namespace mproc::posix
