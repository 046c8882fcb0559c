#include "sync/barrier.hpp"

#include "posix/futex.hpp"
#include "posix/waiting.hpp"

#include <mproc/errors.hpp>

#include <chrono>
#include <climits>
#include <cstddef>
#include <new>

namespace mproc::sync {

namespace {

using namespace std::chrono_literals;

// How often the watcher, and the other waiters, look for parties that died.
constexpr posix::clock::duration watch_slice = 20ms;
constexpr posix::clock::duration idle_slice = 1s;

enum : std::int32_t { filling = 0, draining = 1, resetting = -1, broken = -2 };

void notify_all(barrier_block& b) noexcept {
    b.seq.fetch_add(1, std::memory_order_release);
    posix::futex_wake(b.seq, INT_MAX);
}

void break_it(barrier_block& b) noexcept {
    b.state = broken;
    notify_all(b);
}

// The last party out ends draining or resetting.
void leave(barrier_block& b) noexcept {
    if (b.count == 0 && (b.state == resetting || b.state == draining)) {
        b.state = filling;
        notify_all(b);
    }
}

void lock(barrier_block& b) noexcept {
    if (*b.m.lock(std::nullopt) == posix::owner_lock::acquired::owner_died) break_it(b);
}

// With the lock held: gives back the places of parties that died inside
// wait() (their tokens say so), except `mine`.
void reap(barrier_block& b, std::uint32_t mine) noexcept {
    bool found = false;
    for (std::uint32_t i = 0; i < b.parties; ++i) {
        barrier_slot& s = b.slots[i];
        if (i == mine || s.stamp.load(std::memory_order_relaxed) == 0) continue;
        const auto got = s.token.try_lock();
        if (!got) continue;  // its party holds it: alive
        s.token.unlock();
        if (*got != posix::robust_mutex::acquired::owner_died) continue;
        s.stamp.store(0, std::memory_order_relaxed);
        --b.count;
        found = true;
    }
    if (!found) return;
    if (b.state == filling) break_it(b);
    leave(b);
}

// The watcher is the party in the lowest occupied slot.
bool watches(const barrier_block& b, std::uint32_t mine) noexcept {
    if (mine >= b.parties) return false;
    for (std::uint32_t i = 0; i < mine; ++i)
        if (b.slots[i].stamp.load(std::memory_order_relaxed) != 0) return false;
    return true;
}

// With the lock held: sleeps until a change or a slice passes, then (after
// a whole slice) looks for dead parties. False once `until` has passed.
bool sleep(barrier_block& b, posix::deadline until, std::uint32_t mine) noexcept {
    const std::uint32_t seen = b.seq.load(std::memory_order_acquire);
    if (posix::passed(until)) return false;
    const posix::clock::duration slice = watches(b, mine) ? watch_slice : idle_slice;
    b.m.unlock();
    const posix::slept r = posix::sleep_slice(b.seq, seen, until, slice);
    lock(b);
    if (r == posix::slept::slice_over) reap(b, mine);
    return !posix::passed(until);
}

struct unlock_at_exit {
    barrier_block& b;
    ~unlock_at_exit() { b.m.unlock(); }
};

}  // namespace

std::size_t barrier_block_bytes(std::uint32_t parties) noexcept {
    return offsetof(barrier_block, slots) + sizeof(barrier_slot) * parties;
}

void barrier_init(barrier_block& b, std::uint32_t parties) {
    b.parties = parties;
    for (std::uint32_t i = 0; i < parties; ++i) new (&b.slots[i].token) posix::robust_mutex();
}

std::uint32_t barrier_wait(barrier_block& b, posix::deadline until, void (*action)()) {
    lock(b);
    unlock_at_exit unlock{b};
    while (b.state == draining || b.state == resetting) sleep(b, std::nullopt, b.parties);
    if (b.state < 0) throw BrokenBarrierError("mproc::Barrier::wait: the barrier is broken");
    const std::uint32_t index = b.count++;
    std::uint32_t slot = 0;
    while (slot < b.parties && b.slots[slot].stamp.load(std::memory_order_relaxed) != 0) ++slot;
    if (slot < b.parties) {
        b.slots[slot].token.try_lock();  // free (a dead party's token was released by its reaper)
        b.slots[slot].stamp.store(posix::self_stamp(), std::memory_order_relaxed);
    }
    struct leave_at_exit {
        barrier_block& b;
        std::uint32_t slot;
        ~leave_at_exit() {
            --b.count;
            if (slot < b.parties) {
                b.slots[slot].stamp.store(0, std::memory_order_relaxed);
                b.slots[slot].token.unlock();
            }
            leave(b);
        }
    } leaving{b, slot};
    if (index + 1 == b.parties) {
        if (action) {
            try {
                action();
            } catch (...) {
                break_it(b);
                throw;
            }
        }
        b.state = draining;
        notify_all(b);
        return index;
    }
    while (b.state == filling) {
        if (!sleep(b, until, slot) && b.state == filling) {
            break_it(b);
            throw BrokenBarrierError("mproc::Barrier::wait: timed out");
        }
    }
    if (b.state < 0) throw BrokenBarrierError("mproc::Barrier::wait: the barrier was broken while waiting");
    return index;
}

void barrier_abort(barrier_block& b) noexcept {
    lock(b);
    break_it(b);
    b.m.unlock();
}

void barrier_reset(barrier_block& b) noexcept {
    lock(b);
    if (b.count > 0) {
        if (b.state == filling || b.state == broken) b.state = resetting;
    } else {
        b.state = filling;
    }
    notify_all(b);
    b.m.unlock();
}

std::uint32_t barrier_n_waiting(barrier_block& b) noexcept {
    lock(b);
    const std::uint32_t n = b.state == filling ? b.count : 0;
    b.m.unlock();
    return n;
}

bool barrier_broken(barrier_block& b) noexcept {
    lock(b);
    const bool r = b.state == broken;
    b.m.unlock();
    return r;
}

}  // namespace mproc::sync
