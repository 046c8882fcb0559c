#include "pool/exit_guard.hpp"

#include <mproc/detail/pool/core.hpp>
#include <mproc/os.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace mproc::detail::pool::exit_guard {

namespace {

struct registry {
    std::mutex mutex;
    std::vector<core*> pools;
    pid_t owner = 0;  // a forked child inherits the list: not its pools
    bool handler = false;
};

registry& live() {
    static registry* r = new registry;  // used by the atexit handler: never destroyed
    return *r;
}

void terminate_live_pools() {
    registry& r = live();
    std::vector<core*> pools;
    {
        std::lock_guard lock(r.mutex);
        if (r.owner != os::getpid()) return;
        pools = r.pools;
    }
    for (core* p : pools) {
        p->terminate();
        try {
            p->join();  // stops its progress thread before static destructors run
        } catch (...) {
        }
    }
}

}  // namespace

void add(core* pool) {
    registry& r = live();
    std::lock_guard lock(r.mutex);
    if (r.owner != os::getpid()) {
        r.owner = os::getpid();
        r.pools.clear();
    }
    r.pools.push_back(pool);
    if (!r.handler) {
        r.handler = true;
        std::atexit(terminate_live_pools);
    }
}

void remove(core* pool) noexcept {
    registry& r = live();
    std::lock_guard lock(r.mutex);
    std::erase(r.pools, pool);
}

}  // namespace mproc::detail::pool::exit_guard
