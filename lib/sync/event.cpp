#include "sync/event.hpp"

#include "posix/futex.hpp"

#include <climits>

namespace mproc::sync {

void event_set(event_block& b) noexcept {
    std::uint32_t v = b.word.load(std::memory_order_relaxed);
    do {
        if (v & 1) return;
    } while (!b.word.compare_exchange_weak(v, (v | 1) + 2, std::memory_order_release, std::memory_order_relaxed));
    posix::futex_wake(b.word, INT_MAX);
}

void event_clear(event_block& b) noexcept { b.word.fetch_and(~1u, std::memory_order_relaxed); }

bool event_wait(event_block& b, posix::deadline until) noexcept {
    const std::uint32_t seen = b.word.load(std::memory_order_acquire);
    if (seen & 1) return true;
    for (;;) {
        const bool woken = posix::futex_wait(b.word, seen, until);
        const std::uint32_t now = b.word.load(std::memory_order_acquire);
        if (now != seen && ((now & 1) || (now >> 1) != (seen >> 1))) return true;
        if (!woken) return false;
    }
}

}  // namespace mproc::sync
