// Barrier in shared memory: Python's algorithm (threading.Barrier: filling,
// draining, resetting, broken) under an owner_lock, with a futex word as its
// condition.
//
// A party that dies inside wait() breaks the barrier (those waiting can never
// all meet) and its place is given back. Its death is told by the kernel,
// not by /proc: each party waiting holds its slot's liveness token, a robust
// mutex, which the kernel marks "owner died" when the party's thread ends.
// Looking at a token is one compare-and-swap, so waiting costs next to
// nothing: the party in the lowest occupied slot (the watcher) looks at
// every token each 20 ms, the others only each second (they take the
// watcher's role when it leaves or dies): a death is noticed within 20 ms,
// or within a second when the party that died was the watcher. A party dying inside the
// barrier's own lock breaks it too (its update may be half done).
#pragma once

#include "posix/owner_lock.hpp"
#include "posix/poll.hpp"
#include "posix/robust_mutex.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mproc::sync {

struct barrier_slot {
    posix::robust_mutex token;         // held by the party in this slot while it waits
    std::atomic<std::uint64_t> stamp;  // that party's stamp (0: free)
};

struct barrier_block {
    posix::owner_lock m;
    std::atomic<std::uint32_t> seq{0};  // bumped at every change waiters wait for
    std::uint32_t parties = 0;
    std::uint32_t count = 0;  // parties inside wait()
    std::int32_t state = 0;   // 0 filling, 1 draining, -1 resetting, -2 broken
    barrier_slot slots[1];    // `parties` of them
};

std::size_t barrier_block_bytes(std::uint32_t parties) noexcept;
/// Sets up a zeroed block. Throws std::system_error (a token's init).
void barrier_init(barrier_block& b, std::uint32_t parties);
/// Returns the arrival index. Throws mproc::BrokenBarrierError; what
/// `action` throws propagates (the barrier is then broken).
std::uint32_t barrier_wait(barrier_block& b, posix::deadline until, void (*action)());
void barrier_abort(barrier_block& b) noexcept;
void barrier_reset(barrier_block& b) noexcept;
std::uint32_t barrier_n_waiting(barrier_block& b) noexcept;
bool barrier_broken(barrier_block& b) noexcept;

}  // namespace mproc::sync
