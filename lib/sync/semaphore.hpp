// Semaphore and BoundedSemaphore in shared memory: a counter, and a
// posix::wake_point waiters sleep on. A semaphore has no owner, so a process
// dying after acquire simply never releases (as Python's); a waiter dying
// while asleep costs one spare wake-up, a releaser dying before its wake-up
// costs the waiters at most a slice.
#pragma once

#include "posix/poll.hpp"
#include "posix/waiting.hpp"

#include <atomic>
#include <cstdint>

namespace mproc::sync {

struct semaphore_block {
    std::atomic<std::uint32_t> value{0};
    std::uint32_t bounded = 0;  // 1: a BoundedSemaphore, whose value never exceeds bound
    std::uint32_t bound = 0;
    posix::wake_point released;
};

/// Takes one unit, waiting until `until` if `block`; false if none came.
bool semaphore_acquire(semaphore_block& b, bool block, posix::deadline until) noexcept;
/// Gives one unit back. Throws mproc::Error when a BoundedSemaphore would
/// exceed its initial value.
void semaphore_release(semaphore_block& b);

}  // namespace mproc::sync
