// Futex wait and wake on a 32-bit word in memory shared between processes
// (not FUTEX_PRIVATE: the kernel keys the word by file and offset, so every
// process mapping it at any address meets on it).
#pragma once

#include "posix/poll.hpp"

#include <atomic>
#include <cstdint>

namespace mproc::posix {

/// Sleeps while `*word == expected`, until woken or the deadline passes
/// (absolute, CLOCK_MONOTONIC: EINTR retries with the time
/// left). Returns false only when the deadline passed; true when woken
/// (perhaps spuriously), or
/// when the word no longer held `expected` (the caller re-checks its
/// condition in any case).
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, deadline until) noexcept;

/// Wakes up to `count` processes or threads sleeping on `word`.
void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept;

/// A hint to the CPU inside a spin loop (x86 pause).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

}  // namespace mproc::posix
