// Counts and sizes given to the shared-object facades (Array's length, a
// Semaphore's value, a Barrier's parties), taken as any integer type so a
// negative one is seen as negative, not as a huge unsigned number.
#pragma once

#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace mproc::detail {

/// `n` as a std::size_t; std::invalid_argument when it is negative (Python:
/// ValueError). `what` names it in the message.
template <std::integral N>
std::size_t non_negative(N n, const char* what) {
    if (std::cmp_less(n, 0)) throw std::invalid_argument(std::string(what) + " is negative (" + std::to_string(n) + ")");
    return static_cast<std::size_t>(n);
}

/// `n` when it lies in [lo, hi]; std::invalid_argument otherwise (Python:
/// ValueError).
template <std::integral N>
unsigned in_range(N n, unsigned lo, unsigned hi, const char* what) {
    if (std::cmp_less(n, lo) || std::cmp_greater(n, hi))
        throw std::invalid_argument(std::string(what) + " must lie in [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + "] (got " + std::to_string(n) + ")");
    return static_cast<unsigned>(n);
}

/// A queue's bound: Python's maxsize, where 0 or less means unbounded (0).
template <std::integral N>
constexpr std::size_t queue_bound(N maxsize) noexcept {
    return std::cmp_greater(maxsize, 0) ? static_cast<std::size_t>(maxsize) : 0;
}

}  // namespace mproc::detail
