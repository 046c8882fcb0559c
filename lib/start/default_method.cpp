#include "start/default_method.hpp"

#include <atomic>

namespace mproc::start {

namespace {

// -1: not chosen yet; else a start_method.
std::atomic<int> chosen{-1};

}  // namespace

std::optional<start_method> chosen_method() noexcept {
    const int value = chosen.load();
    if (value < 0) return std::nullopt;
    return static_cast<start_method>(value);
}

start_method choose_method_if_unset(start_method method) noexcept {
    int expected = -1;
    chosen.compare_exchange_strong(expected, static_cast<int>(method));
    return static_cast<start_method>(chosen.load());
}

bool set_default_method(start_method method, bool force) noexcept {
    int expected = -1;
    if (chosen.compare_exchange_strong(expected, static_cast<int>(method))) return true;
    if (!force) return false;
    chosen.store(static_cast<int>(method));
    return true;
}

}  // namespace mproc::start
