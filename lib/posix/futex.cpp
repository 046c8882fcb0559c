#include "posix/futex.hpp"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mproc::posix {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, deadline until) noexcept {
    timespec abs{};
    if (until) {
        // steady_clock is CLOCK_MONOTONIC, the clock FUTEX_WAIT_BITSET uses
        // without FUTEX_CLOCK_REALTIME: an absolute deadline needs no
        // recomputation after EINTR.
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(until->time_since_epoch()).count();
        abs.tv_sec = static_cast<time_t>(ns / 1000000000);
        abs.tv_nsec = static_cast<long>(ns % 1000000000);
    }
    for (;;) {
        if (word.load(std::memory_order_acquire) != expected) return true;
        long r = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_BITSET, expected,
                           until ? &abs : nullptr, nullptr, FUTEX_BITSET_MATCH_ANY);
        if (r == 0) return true;
        if (errno == EAGAIN) return true;
        if (errno == ETIMEDOUT) return false;
        // EINTR: retry (the deadline is absolute).
    }
}

void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, count, nullptr, nullptr, 0);
}

}  // namespace mproc::posix
