// Laying out a fresh child's descriptors: the ones it needs at known numbers
// from first_passed_fd on, nothing else above 2 (mproc's fork server does this
// in each child it forks).
#pragma once

#include <span>

namespace mproc::posix {

/// The first number a child receives its descriptors at.
constexpr int first_passed_fd = 3;

/// In a freshly forked, single-threaded child: `fds` become first_passed_fd,
/// +1, ..., and every other descriptor above 2 is closed. Async-signal-safe.
/// Returns false on failure.
bool keep_only_fds(std::span<const int> fds) noexcept;

}  // namespace mproc::posix
