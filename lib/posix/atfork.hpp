// What this process knows about its forks (pthread_atfork): how many it has
// started, so an object can tell whether a child may hold a copy of it.
#pragma once

#include <cstdint>

namespace mproc::posix {

/// The number of fork() calls this process (and its ancestors before it
/// was forked) made so far: counted before each fork, so a child inherits
/// the incremented count. Never decreases.
std::uint64_t fork_count() noexcept;

/// Registers pthread_atfork handlers (each may be null). Throws
/// std::system_error.
void at_fork(void (*prepare)(), void (*parent)(), void (*child)());

}  // namespace mproc::posix
