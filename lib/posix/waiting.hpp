// One way to wait for something another process does in shared memory:
// spin a little (a peer on another CPU often answers within microseconds),
// then sleep on a futex word in slices, so that nothing depends on a single
// wake-up: a sleeper re-checks its condition at least once a slice, whatever
// a killed waker failed to do.
//
// wake_point is the sleeper protocol that survives killed processes on both
// sides. "Someone sleeps" is a tag, not a count: a sleeper writes the tag of
// the event value it sleeps on, a waker bumps the event, wakes everyone, and
// clears the tag it saw only if no sleeper wrote a newer one since. So a
// sleeper killed while asleep costs one spare wake-up, a waker killed before
// its wake leaves the tag for the next waker, and a stream of commits costs
// one wake-up per round of sleepers (none while nobody sleeps).
//
// Which lock where (the rule for every structure in shared memory):
//  - posix::owner_lock for locks users hold (Lock, RLock, the sync blocks'
//    own sections): one compare-and-swap uncontended, a dead holder found by
//    a waiter that has slept a slice;
//  - posix::robust_mutex (with robust_guard) for short internal sections
//    (the arena's heap and segment pool, a queue's two sides), where the
//    kernel must tell the next locker at once that the last one died
//    mid-update so it repairs before going on.
#pragma once

#include "posix/futex.hpp"
#include "posix/poll.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mproc::posix {

/// How a sliced sleep ended.
enum class slept {
    changed,     ///< woken, or the word no longer held the value (re-check)
    slice_over,  ///< the slice passed with the word unchanged
    deadline,    ///< `until` passed
};

/// Sleeps while `word` holds `expected`, for at most `slice` and never past
/// `until`.
slept sleep_slice(std::atomic<std::uint32_t>& word, std::uint32_t expected, deadline until,
                  clock::duration slice) noexcept;

/// Whether `until` has passed.
inline bool passed(deadline until) noexcept { return until && clock::now() >= *until; }

/// Calls `ready()` until it is true (returns true) or about `time` has passed
/// (returns false), pausing the CPU between looks.
template <class Ready>
bool spin_until(Ready&& ready, clock::duration time) {
    const auto stop = clock::now() + time;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (ready()) return true;
            cpu_relax();
        }
        if (clock::now() >= stop) return false;
    }
}

/// An event word and its sleepers' tag (see the file comment). Lives in
/// shared memory; zero-initialised is ready.
struct wake_point {
    std::atomic<std::uint32_t> event{0};
    std::atomic<std::uint32_t> sleepers{0};

    /// A sleeper says it sleeps: returns the event value to sleep on. The
    /// caller checks its condition once more after this, and sleeps (on
    /// `event`, with that value) only if it still holds.
    std::uint32_t arm() noexcept;
    /// After a commit: wakes every sleeper, if any said it sleeps.
    void wake_all() noexcept;
};

/// Waits until `ready()` is true (re-checked after every wake-up and at least
/// once a slice) or `until` passes: spins for `spin`, then sleeps on `w`.
/// Returns the last value of ready().
template <class Ready>
bool wait_for(wake_point& w, Ready&& ready, deadline until, clock::duration spin, clock::duration slice) {
    if (ready() || spin_until(ready, spin)) return true;
    for (;;) {
        const std::uint32_t seen = w.arm();
        if (ready()) return true;
        if (sleep_slice(w.event, seen, until, slice) == slept::deadline) return ready();
    }
}

}  // namespace mproc::posix
