/// mproc::os: Python's os.fork, os.getpid, os.getppid.
///
///     pid_t pid = mproc::os::fork();
///     if (pid == 0) { /* child */ std::_Exit(0); }
///
/// fork() flushes C stdio and the standard C++ streams first, so text
/// buffered before the call is not printed twice. Throws std::system_error
/// on failure. In a multithreaded program the child may only do
/// async-signal-safe work until it execs or exits (as with POSIX fork).
#pragma once

#include <sys/types.h>

namespace mproc::os {

/// Creates a child process: returns 0 in the child, its pid in the parent.
pid_t fork();
/// This process's id.
pid_t getpid() noexcept;
/// The parent process's id.
pid_t getppid() noexcept;

}  // namespace mproc::os
