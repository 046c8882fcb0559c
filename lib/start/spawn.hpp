// The spawn start method: the child re-executes this program (/proc/self/exe)
// with argv {argv[0], flag, parent pid, descriptor, identity of the
// descriptor's file}; MPROC_MAIN sees the flag, checks that the descriptor is
// the one named (else the program was run with the flag by hand) and runs
// the task read from it (a pipe). The fork server is
// started the same way with its own flag and its socket as the descriptor.
#pragma once

#include "lifecycle/child.hpp"
#include "lifecycle/self.hpp"

#include <mproc/detail/start/process_target.hpp>

#include <memory>
#include <span>
#include <sys/types.h>

namespace mproc::start {

constexpr const char* spawn_flag = "--mproc-spawn";
constexpr const char* forkserver_flag = "--mproc-forkserver";

/// Whether main() calls MPROC_MAIN (known before main runs).
bool main_hook_present() noexcept;

/// Throws ProcessError naming start method `method` when main() lacks MPROC_MAIN.
void require_main_hook(const char* method);

/// In a re-executed child still running main() before MPROC_MAIN (so
/// running the parent's main again): prints why and exits with 1, instead of
/// starting a process (under spawn, a fork bomb). Returns otherwise.
void refuse_to_start_without_hook() noexcept;

/// argv[0] of this program (a re-executed child's argv[0]).
const char* program_name() noexcept;

/// Starts this program again with argv {argv[0], flag, parent pid, fds[0],
/// identity of fds[0]},
/// keeping `fds` (all above 2) open under their numbers (every other
/// descriptor above 2 is closed), from a long-lived thread (see creator_thread.hpp); the child dies with
/// this process. Throws ProcessError (naming `method`) when main lacks
/// MPROC_MAIN, std::system_error when the OS refuses.
pid_t spawn_self(const char* method, const char* flag, std::span<const int> fds);

/// Starts `target` in a spawned child that becomes `context`.
std::unique_ptr<lifecycle::child> launch_spawn(const detail::process_target& target, const self::child_context& context);

}  // namespace mproc::start
