// The spawn start method: the child re-executes this program (/proc/self/exe)
// with a flag as argv[1]; MPROC_MAIN sees it and runs the task sent over an
// inherited pipe. The fork server is started the same way with its own flag.
#pragma once

#include "start/popen.hpp"

#include <mproc/detail/process_target.hpp>

#include "current_process.hpp"

#include <csignal>
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

/// argv[0] of this program (for a re-executed child's argv[0]).
const char* program_name() noexcept;

/// Starts this program again with argv {argv[0], flag, parent pid} and `fds`
/// at first_passed_fd and up, from a long-lived thread (see launcher.hpp).
/// Throws ProcessError (naming `method`) when main lacks MPROC_MAIN,
/// std::system_error when the OS refuses.
pid_t spawn_self(const char* method, const char* flag, std::span<const int> fds, const sigset_t& mask);

/// Starts `target` in a spawned child that becomes `context`.
std::unique_ptr<popen> launch_spawn(const detail::process_target& target, const self::child_context& context);

}  // namespace mproc::start
