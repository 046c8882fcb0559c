// Closing every descriptor of a range: close_range(2), or one by one up to
// the descriptor limit on kernels without it.
#pragma once

namespace mproc::posix {

/// Closes descriptors lo..hi (hi < 0: to the end). Returns 0 or an errno
/// value. Raw system calls only: safe in a CLONE_VM child and after fork.
int close_descriptors(int lo, long hi) noexcept;

}  // namespace mproc::posix
