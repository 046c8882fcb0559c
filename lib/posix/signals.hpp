// Signal masks and the SIGCHLD descriptor of mproc's fork server. mproc never
// installs a signal handler in a user's process.
#pragma once

#include <mproc/unique_fd.hpp>

#include <csignal>

namespace mproc::posix {

/// The calling thread's signal mask.
sigset_t thread_signal_mask() noexcept;
/// Replaces the calling thread's signal mask. Async-signal-safe.
void set_thread_signal_mask(const sigset_t& mask) noexcept;
/// Blocks every signal in the calling thread (for mproc's own helper threads,
/// so process-directed signals go to the application's threads).
void block_all_signals() noexcept;

/// Sets `sig` to be ignored (SIG_IGN) / to its default action (SIG_DFL), in
/// mproc's own processes only (the fork server). Async-signal-safe.
void ignore_signal(int sig) noexcept;
void default_signal(int sig) noexcept;

/// Blocks SIGCHLD in the calling thread and returns a close-on-exec,
/// non-blocking signalfd that becomes readable when a child changes state.
/// Throws std::system_error.
unique_fd open_sigchld_fd();
/// Consumes every pending notification of a signalfd.
void drain_signal_fd(int fd) noexcept;

}  // namespace mproc::posix
