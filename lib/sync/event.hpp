// Event in shared memory: one futex word, bit 0 the flag, the other bits a
// count of set() calls, so a waiter that slept through a set() followed at
// once by clear() still knows it was set. Waiters keep no state in the
// word: one killed while waiting changes nothing for the others.
#pragma once

#include "posix/poll.hpp"

#include <atomic>
#include <cstdint>

namespace mproc::sync {

struct event_block {
    std::atomic<std::uint32_t> word{0};
};

void event_set(event_block& b) noexcept;
void event_clear(event_block& b) noexcept;
inline bool event_is_set(const event_block& b) noexcept { return b.word.load(std::memory_order_acquire) & 1; }
/// Waits until the flag is set, or set() is called, before `until`; returns
/// whether that happened.
bool event_wait(event_block& b, posix::deadline until) noexcept;

}  // namespace mproc::sync
