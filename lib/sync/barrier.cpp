#include "sync/barrier.hpp"

#include "posix/futex.hpp"
#include "posix/owner_id.hpp"

#include <mproc/errors.hpp>

#include <chrono>
#include <climits>
#include <cstddef>

namespace mproc::sync {

namespace {

using namespace std::chrono_literals;

// How often a waiter looks for parties that died.
constexpr posix::clock::duration slice = 20ms;

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

// Gives back the places of parties that died inside wait().
void reap(barrier_block& b) noexcept {
    bool found = false;
    for (std::uint32_t i = 0; i < b.parties; ++i) {
        const std::uint64_t s = b.slots[i];
        if (s == 0 || posix::check_holder(posix::stamp_tid(s), s) == posix::holder_state::alive) continue;
        b.slots[i] = 0;
        --b.count;
        found = true;
    }
    if (!found) return;
    if (b.state == filling) break_it(b);
    leave(b);
}

// With the lock held: sleeps until a change or a slice passes, then looks
// for dead parties. False once `until` has passed.
bool sleep(barrier_block& b, posix::deadline until) noexcept {
    const std::uint32_t seen = b.seq.load(std::memory_order_acquire);
    const auto now = posix::clock::now();
    if (until && now >= *until) return false;
    auto wake = now + slice;
    if (until && *until < wake) wake = *until;
    b.m.unlock();
    posix::futex_wait(b.seq, seen, wake);
    lock(b);
    reap(b);
    return !(until && posix::clock::now() >= *until);
}

struct unlock_at_exit {
    barrier_block& b;
    ~unlock_at_exit() { b.m.unlock(); }
};

}  // namespace

std::size_t barrier_block_bytes(std::uint32_t parties) noexcept {
    return offsetof(barrier_block, slots) + sizeof(std::uint64_t) * parties;
}

void barrier_init(barrier_block& b, std::uint32_t parties) noexcept { b.parties = parties; }

std::uint32_t barrier_wait(barrier_block& b, posix::deadline until, void (*action)()) {
    lock(b);
    unlock_at_exit unlock{b};
    while (b.state == draining || b.state == resetting) sleep(b, std::nullopt);
    if (b.state < 0) throw BrokenBarrierError("mproc::Barrier::wait: the barrier is broken");
    const std::uint32_t index = b.count++;
    std::uint32_t slot = 0;
    while (slot < b.parties && b.slots[slot] != 0) ++slot;
    if (slot < b.parties) b.slots[slot] = posix::self_stamp();
    struct leave_at_exit {
        barrier_block& b;
        std::uint32_t slot;
        ~leave_at_exit() {
            --b.count;
            if (slot < b.parties) b.slots[slot] = 0;
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
        if (!sleep(b, until) && b.state == filling) {
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
