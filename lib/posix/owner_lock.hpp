// A process-shared lock that survives its holder's death and costs what a
// plain futex mutex costs when nobody contends: one compare-and-swap to take
// it, one exchange to give it back.
//
// Why not robust_mutex (glibc's robust pthread mutex): its robust-list
// bookkeeping costs 1.43x a plain mutex on every lock/unlock
// (../shared/TOOLCHAIN.md); here the price of robustness is paid only by a
// waiter. The lock word holds the holder's thread id; a waiter that has slept
// a while with the word unchanged checks that thread (/proc/TID/stat): gone
// or a zombie means it died holding the lock, and the waiter takes the lock
// over with one compare-and-swap on the exact word it saw (so two waiters
// cannot both take it, and a holder that released meanwhile is not robbed).
// Beside the word the holder stores its stamp (tid + start time), so a thread
// that got a dead holder's id from pid reuse is not taken for the holder.
//
// Word: bits 0-29 holder tid (0 = free), bit 30 "the holder took it over from
// a dead one", bit 31 "someone may sleep on it" (the release wakes one).
//
// Lives in shared memory, zero-initialised = free; trivially abandoned.
#pragma once

#include "posix/owner_id.hpp"
#include "posix/poll.hpp"

#include <atomic>
#include <cstdint>
#include <optional>

namespace mproc::posix {

struct owner_lock {
    static constexpr std::uint32_t tid_mask = (1u << 30) - 1;
    static constexpr std::uint32_t died_bit = 1u << 30;
    static constexpr std::uint32_t waiters_bit = 1u << 31;

    /// How an acquisition went.
    enum class acquired {
        clean,       ///< the previous holder released it
        owner_died,  ///< the previous holder died holding it
    };

    std::atomic<std::uint32_t> word{0};
    std::uint32_t spare = 0;  // free for the object the lock guards
    std::atomic<std::uint64_t> stamp{0};

    /// Takes the lock if it is free now (never checks a holder).
    bool try_lock() noexcept {
        // The stamp is found first, so that its store follows the
        // compare-and-swap at once (a checker meanwhile sees the old stamp).
        const std::uint64_t mine = self_stamp();
        std::uint32_t expected = 0;
        if (!word.compare_exchange_strong(expected, self_tid(), std::memory_order_acquire,
                                          std::memory_order_relaxed))
            return false;
        stamp.store(mine, std::memory_order_relaxed);
        return true;
    }

    /// Takes the lock if it is free now, or if its holder died: a try that
    /// fails is one load, and only when this thread's earlier tries saw the
    /// same holder for a while (first_slice, as a sleeping waiter) does it
    /// check that holder, so a loop of non-blocking tries recovers a dead
    /// holder's lock as a blocking acquire does. nullopt: not taken.
    std::optional<acquired> try_lock_or_recover() noexcept {
        if (try_lock()) return acquired::clean;
        return recover_slow();
    }

    /// Takes the lock, waiting until `until` (nullopt: forever); nullopt when
    /// the deadline passed first. A holder found dead is taken over.
    std::optional<acquired> lock(deadline until) noexcept {
        if (try_lock()) return acquired::clean;
        return lock_slow(until);
    }

    /// Gives the lock back, whoever holds it; returns the word before (0: it
    /// was not held, nothing changed).
    std::uint32_t unlock() noexcept {
        const std::uint32_t old = word.exchange(0, std::memory_order_release);
        if (old & waiters_bit) wake_one();
        return old;
    }

    /// The tid holding it (0: free).
    std::uint32_t holder() const noexcept { return word.load(std::memory_order_relaxed) & tid_mask; }
    /// Whether the calling thread holds it.
    bool held_by_me() const noexcept { return holder() == self_tid(); }
    /// Whether the current holder took it over from a dead one.
    bool owner_died() const noexcept { return (word.load(std::memory_order_relaxed) & died_bit) != 0; }

private:
    std::optional<acquired> lock_slow(deadline until) noexcept;
    std::optional<acquired> recover_slow() noexcept;
    // Takes the word `seen` over from its dead holder; false if it changed.
    bool take_over(std::uint32_t seen) noexcept;
    void wake_one() noexcept;
};

static_assert(sizeof(owner_lock) == 16);

}  // namespace mproc::posix
