#include "sync/semaphore.hpp"

#include <mproc/errors.hpp>

#include <chrono>

namespace mproc::sync {

namespace {

// A waiter re-reads the counter at least this often: a unit released to a
// waiter that was killed before taking it is found by the others.
constexpr auto slice = std::chrono::milliseconds(50);
// A release from another CPU often comes within microseconds.
constexpr auto spin = std::chrono::microseconds(5);

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
    return posix::wait_for(b.released, [&] { return take(b); }, until, spin, slice);
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
    b.released.wake_all();
}

}  // namespace mproc::sync
