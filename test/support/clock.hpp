// Elapsed time in tests (a deadline turns a hang into a failure; speed is
// measured in bench/, never here).
#pragma once

#include <chrono>

namespace test_support {

/// Seconds from `start` to now, on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace test_support
