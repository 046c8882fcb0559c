// Laying out a fresh child's descriptors: the ones it needs at known numbers
// from first_passed_fd on, nothing else above 2 (mproc's fork server does this
// in each child it forks).
#pragma once

#include <span>

namespace mproc::posix {

/// The first number a child receives its descriptors at.
constexpr int first_passed_fd = 3;

/// In a freshly forked, single-threaded child: descriptor i (0, 1, 2) becomes
/// a copy of std_fds[i]; each std_fds[i] must be open and above 2 (/dev/null,
/// opened before the fork, where the child gets no descriptor of the
/// parent's). Async-signal-safe. Returns false on failure.
bool set_standard_fds(const int (&std_fds)[3]) noexcept;

/// In a freshly forked child: stdin, and each of 1 and 2 that is closed,
/// becomes a copy of `dev_null` (opened before the fork: opening allocates a
/// descriptor, which may be the last one free). A closed standard descriptor
/// is /dev/null for a child, as under subprocess, else the first file the
/// child opens would become its stdout. Async-signal-safe.
bool stdin_and_closed_stdio_to(int dev_null) noexcept;

/// In a freshly forked, single-threaded child: `fds` become first_passed_fd,
/// +1, ..., and every other descriptor above 2 is closed. Async-signal-safe.
/// Returns false on failure.
bool keep_only_fds(std::span<const int> fds) noexcept;

}  // namespace mproc::posix
