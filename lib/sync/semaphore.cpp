#include "sync/semaphore.hpp"

#include "posix/futex.hpp"

#include <mproc/errors.hpp>

#include <chrono>

namespace mproc::sync {

namespace {

// A waiter re-reads the counter at least this often: a unit released to a
// waiter that was killed before taking it is found by the others.
constexpr auto slice = std::chrono::milliseconds(50);

bool take(semaphore_block& b) noexcept {
    std::uint32_t v = b.value.load(std::memory_order_relaxed);
    while (v > 0)
        if (b.value.compare_exchange_weak(v, v - 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
    return false;
}

}  // namespace

bool semaphore_acquire(semaphore_block& b, bool block, posix::deadline until) noexcept {
    if (take(b)) return true;
    if (!block) return false;
    for (;;) {
        const auto now = posix::clock::now();
        if (until && now >= *until) return take(b);
        auto wake = now + slice;
        if (until && *until < wake) wake = *until;
        b.sleepers.fetch_add(1, std::memory_order_seq_cst);
        if (b.value.load(std::memory_order_seq_cst) == 0) posix::futex_wait(b.value, 0, wake);
        b.sleepers.fetch_sub(1, std::memory_order_relaxed);
        if (take(b)) return true;
    }
}

void semaphore_release(semaphore_block& b) {
    if (b.bounded) {
        std::uint32_t v = b.value.load(std::memory_order_relaxed);
        do {
            if (v >= b.bound)
                throw Error("mproc::BoundedSemaphore::release: released too many times (Python: ValueError)");
        } while (!b.value.compare_exchange_weak(v, v + 1, std::memory_order_release, std::memory_order_relaxed));
    } else {
        b.value.fetch_add(1, std::memory_order_seq_cst);
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (b.sleepers.load(std::memory_order_seq_cst) > 0) posix::futex_wake(b.value, 1);
}

}  // namespace mproc::sync
