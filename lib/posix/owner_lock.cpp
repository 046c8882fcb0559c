#include "posix/owner_lock.hpp"

#include "posix/futex.hpp"
#include "posix/waiting.hpp"

#include <algorithm>
#include <chrono>

namespace mproc::posix {

namespace {

using namespace std::chrono_literals;

// Spins a little before sleeping: a holder on another CPU in a short
// section often releases within a hundred nanoseconds. Longer spinning takes
// the lock's cache line away from the holder (two processes hammering one
// lock: 50 spins ran at 1.5-1.7x a plain pthread mutex, 3 spins at 0.55-0.8x).
constexpr int spins = 3;
// A sleeping waiter looks at the holder after this long, then twice as long
// each time up to the cap: a dead holder is noticed within milliseconds, a
// live one that holds the lock for long costs a check every 50 ms.
constexpr clock::duration first_slice = 1ms;
constexpr clock::duration max_slice = 50ms;

// The holder this thread's last failed non-blocking try saw.
struct failed_try {
    const void* lock = nullptr;
    std::uint32_t word = 0;  // without the waiters bit
    clock::time_point since{};
    bool suspect = false;  // a check found its id reused once
};
thread_local failed_try last_failure;

}  // namespace

bool owner_lock::take_over(std::uint32_t seen) noexcept {
    const std::uint64_t mine = self_stamp();  // found before, stored right after the swap
    if (!word.compare_exchange_strong(seen, self_tid() | (seen & waiters_bit) | died_bit, std::memory_order_acquire,
                                      std::memory_order_relaxed))
        return false;
    stamp.store(mine, std::memory_order_relaxed);
    return true;
}

std::optional<owner_lock::acquired> owner_lock::recover_slow() noexcept {
    const std::uint32_t v = word.load(std::memory_order_relaxed);
    if (v == 0) return try_lock() ? std::optional(acquired::clean) : std::nullopt;
    failed_try& f = last_failure;
    const clock::time_point now = clock::now();
    if (f.lock != this || f.word != (v & ~waiters_bit)) {
        f = {this, v & ~waiters_bit, now, false};
        return std::nullopt;
    }
    if (now - f.since < first_slice) return std::nullopt;
    f.since = now;  // the next check a slice later
    const holder_state h = check_holder(v & tid_mask, stamp.load(std::memory_order_relaxed));
    if (h == holder_state::alive || (h == holder_state::reused && !f.suspect)) {
        f.suspect = h == holder_state::reused;  // confirmed by a second look
        return std::nullopt;
    }
    if (!take_over(v)) return std::nullopt;
    f = {};
    return acquired::owner_died;
}

std::optional<owner_lock::acquired> owner_lock::lock_slow(deadline until) noexcept {
    const std::uint32_t me = self_tid();
    const std::uint64_t my_stamp = self_stamp();  // found before, stored right after the swap
    for (int i = 0; i < spins; ++i) {
        std::uint32_t v = word.load(std::memory_order_relaxed);
        if (v == 0 && word.compare_exchange_weak(v, me, std::memory_order_acquire, std::memory_order_relaxed)) {
            stamp.store(my_stamp, std::memory_order_relaxed);
            return acquired::clean;
        }
        cpu_relax();
    }
    clock::duration slice = first_slice;
    std::uint32_t suspect = 0;  // a word whose holder looked like a reused id once
    for (;;) {
        std::uint32_t v = word.load(std::memory_order_relaxed);
        if (v == 0) {
            // Taken after sleeping: others may sleep too, so the release wakes.
            if (word.compare_exchange_strong(v, me | waiters_bit, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
                stamp.store(my_stamp, std::memory_order_relaxed);
                return acquired::clean;
            }
            continue;
        }
        if (!(v & waiters_bit)) {
            if (!word.compare_exchange_strong(v, v | waiters_bit, std::memory_order_relaxed)) continue;
            v |= waiters_bit;
        }
        const slept r = sleep_slice(word, v, until, slice);
        if (const std::uint32_t now_word = word.load(std::memory_order_relaxed); now_word != v) {
            // Another holder: check it as soon as a new one would be.
            if ((now_word & tid_mask) != (v & tid_mask)) slice = first_slice;
            continue;
        }
        if (r == slept::deadline) return std::nullopt;
        if (r == slept::changed) continue;  // a spurious wake-up
        // Slept a whole slice on an unchanged word: is its holder alive?
        slice = std::min(slice * 2, max_slice);
        const holder_state h = check_holder(v & tid_mask, stamp.load(std::memory_order_relaxed));
        if (h == holder_state::alive) {
            suspect = 0;
            continue;
        }
        if (h == holder_state::reused && suspect != v) {
            // The holder may be live and not have written its stamp yet: look again next slice.
            suspect = v;
            continue;
        }
        if (take_over(v)) return acquired::owner_died;
    }
}

void owner_lock::wake_one() noexcept { futex_wake(word, 1); }

}  // namespace mproc::posix
