// The only raw fork() in mproc, and the one pthread_atfork registration.
//
// Every piece of the library that must prepare for a fork (take a mutex so a
// child never inherits it locked, forget an inherited descriptor) registers
// here instead of calling pthread_atfork itself.
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace mproc::posix {

/// Handlers run around every fork of this process, as pthread_atfork's: any
/// may be null. `prepare` handlers run in reverse order of registration,
/// `parent` and `child` handlers in order. `child` runs in the new child
/// before fork returns there: async-signal-safe work only.
struct fork_handlers {
    void (*prepare)() = nullptr;
    void (*parent)() = nullptr;
    void (*child)() = nullptr;
};

/// Registers `handlers` for every later fork. Meant for static initialisers;
/// at most 16 registrations (std::terminate beyond: a library bug).
void at_fork(fork_handlers handlers) noexcept;

/// The number of forks this process (and its ancestors before it was
/// forked) made so far, counted before each fork, so a child inherits the
/// incremented count: an object can tell whether a child may hold a copy of
/// it. Never decreases.
std::uint64_t fork_count() noexcept;

/// Flushes C's and C++'s standard streams, so a child does not write its
/// parent's buffered output a second time.
void flush_standard_streams() noexcept;

/// fork(2). Throws std::system_error("fork") when it fails.
pid_t fork();

}  // namespace mproc::posix
