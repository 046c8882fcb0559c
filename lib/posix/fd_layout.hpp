// Laying out a fresh child's descriptors: the ones it needs at known numbers
// from first_passed_fd on, nothing else above 2 (mproc's fork server does this
// in each child it forks).
#pragma once

#include <span>

namespace mproc::posix {

/// The first number a child receives its descriptors at.
constexpr int first_passed_fd = 3;

/// In a freshly forked, single-threaded child: descriptor i (0, 1, 2) becomes
/// a copy of std_fds[i], or /dev/null where std_fds[i] is -1. Every
/// std_fds[i] must be above 2. Async-signal-safe. Returns false on failure.
bool set_standard_fds(const int (&std_fds)[3]) noexcept;

/// In a fresh child: each of 0, 1, 2 that is closed becomes /dev/null (a
/// closed standard descriptor is /dev/null for a child, as under subprocess:
/// else the first file the child opens would become its stdout).
/// Async-signal-safe. Returns false on failure.
bool fill_closed_standard_fds() noexcept;

/// Makes descriptor `target` (0, 1 or 2) /dev/null. Async-signal-safe.
bool set_to_dev_null(int target) noexcept;

/// In a freshly forked, single-threaded child: `fds` become first_passed_fd,
/// +1, ..., and every other descriptor above 2 is closed. Async-signal-safe.
/// Returns false on failure.
bool keep_only_fds(std::span<const int> fds) noexcept;

}  // namespace mproc::posix
