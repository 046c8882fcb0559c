// A test-only hook in the system-call wrappers (as {fmt}'s posix-mock): a
// test makes the next calls of one wrapper fail with the errno it chooses,
// to show that each failure is a clear error and loses nothing already done.
// Disarmed (the default), a wrapper pays one relaxed atomic load.
#pragma once

namespace mproc::posix {

/// The wrappers that can be made to fail.
enum class fault_point {
    memfd_create,  ///< memfd_create_sized: the memfd itself
    ftruncate,     ///< grow_file (and memfd_create_sized's first size)
    sendmsg,       ///< send_with_fds
    clone,         ///< spawn's clone
};

/// After `skip` more calls that go through, the next `times` calls at `point`
/// fail with `err` (the system call is not made). Async-signal-safe.
void inject_fault(fault_point point, int err, int times = 1, int skip = 0) noexcept;
/// Disarms every point.
void clear_faults() noexcept;
/// In a wrapper: the errno this call must fail with, or 0 (make the call).
/// Async-signal-safe.
int injected_fault(fault_point point) noexcept;

}  // namespace mproc::posix
