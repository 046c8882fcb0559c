// Semaphore and BoundedSemaphore in shared memory: a counter that is also the
// futex word waiters sleep on. A semaphore has no owner, so a process dying
// after acquire simply never releases (as Python's); a waiter dying while
// asleep leaves only a stale sleeper count (releases then wake for nothing).
#pragma once

#include "posix/poll.hpp"

#include <atomic>
#include <cstdint>

namespace mproc::sync {

struct semaphore_block {
    std::atomic<std::uint32_t> value{0};
    std::atomic<std::uint32_t> sleepers{0};
    std::uint32_t bounded = 0;  // 1: a BoundedSemaphore, whose value never exceeds bound
    std::uint32_t bound = 0;
};

/// Takes one unit, waiting until `until` if `block`; false if none came.
bool semaphore_acquire(semaphore_block& b, bool block, posix::deadline until) noexcept;
/// Gives one unit back. Throws mproc::Error when a BoundedSemaphore would
/// exceed its initial value.
void semaphore_release(semaphore_block& b);

}  // namespace mproc::sync
