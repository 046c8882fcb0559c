#include "posix/waiting.hpp"

#include <algorithm>
#include <climits>

namespace mproc::posix {

slept sleep_slice(std::atomic<std::uint32_t>& word, std::uint32_t expected, deadline until,
                  clock::duration slice) noexcept {
    const auto now = clock::now();
    if (until && now >= *until) return slept::deadline;
    const auto end_of_slice = now + slice;
    const auto wake = until ? std::min(*until, end_of_slice) : end_of_slice;
    if (futex_wait(word, expected, wake)) return slept::changed;
    if (until && *until <= end_of_slice) return slept::deadline;
    return slept::slice_over;
}

namespace {
constexpr std::uint32_t sleeper_tag(std::uint32_t event) noexcept { return event << 1 | 1; }
}  // namespace

std::uint32_t wake_point::arm() noexcept {
    for (;;) {
        const std::uint32_t e = event.load(std::memory_order_seq_cst);
        sleepers.store(sleeper_tag(e), std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);  // the tag before the condition's check
        if (event.load(std::memory_order_seq_cst) == e) return e;
    }
}

void wake_point::wake_all() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the commit before the tag's load
    std::uint32_t seen = sleepers.load(std::memory_order_relaxed);
    if (seen == 0) return;
    event.fetch_add(1, std::memory_order_release);
    futex_wake(event, INT_MAX);
    sleepers.compare_exchange_strong(seen, 0);  // not a tag written after the bump
}

}  // namespace mproc::posix
