// Barrier in shared memory: Python's algorithm (threading.Barrier: filling,
// draining, resetting, broken) under an owner_lock, with a futex word as its
// condition. Each waiting party writes its stamp in a slot; waiters wake at
// least every few milliseconds and look for a party that died waiting (or
// draining): the barrier is then broken (those waiting can never all meet)
// and the dead party's place is given back. A party dying inside the
// barrier's own lock breaks it too (its update may be half done).
#pragma once

#include "posix/owner_lock.hpp"
#include "posix/poll.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mproc::sync {

struct barrier_block {
    posix::owner_lock m;
    std::atomic<std::uint32_t> seq{0};  // bumped at every change waiters wait for
    std::uint32_t parties = 0;
    std::uint32_t count = 0;  // parties inside wait()
    std::int32_t state = 0;   // 0 filling, 1 draining, -1 resetting, -2 broken
    std::uint64_t slots[1];   // `parties` stamps of the parties inside wait() (0: free)
};

std::size_t barrier_block_bytes(std::uint32_t parties) noexcept;
void barrier_init(barrier_block& b, std::uint32_t parties) noexcept;
/// Returns the arrival index. Throws mproc::BrokenBarrierError; what
/// `action` throws propagates (the barrier is then broken).
std::uint32_t barrier_wait(barrier_block& b, posix::deadline until, void (*action)());
void barrier_abort(barrier_block& b) noexcept;
void barrier_reset(barrier_block& b) noexcept;
std::uint32_t barrier_n_waiting(barrier_block& b) noexcept;
bool barrier_broken(barrier_block& b) noexcept;

}  // namespace mproc::sync
