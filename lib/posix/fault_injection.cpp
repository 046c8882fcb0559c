#include "posix/fault_injection.hpp"

#include <atomic>

namespace mproc::posix {

namespace {

struct armed_fault {
    std::atomic<int> err{0};
    std::atomic<int> skip{0};
    std::atomic<int> remaining{0};
};

constexpr int points = static_cast<int>(fault_point::clone) + 1;
armed_fault faults[points];

armed_fault& at(fault_point p) noexcept { return faults[static_cast<int>(p)]; }

}  // namespace

void inject_fault(fault_point point, int err, int times, int skip) noexcept {
    armed_fault& f = at(point);
    f.remaining.store(0);
    f.err.store(err);
    f.skip.store(skip);
    f.remaining.store(times);
}

void clear_faults() noexcept {
    for (armed_fault& f : faults) f.remaining.store(0);
}

int injected_fault(fault_point point) noexcept {
    armed_fault& f = at(point);
    if (f.remaining.load(std::memory_order_relaxed) <= 0) return 0;
    if (f.skip.fetch_sub(1) > 0) return 0;
    if (f.remaining.fetch_sub(1) <= 0) return 0;
    return f.err.load();
}

}  // namespace mproc::posix
