#include "sync/condition.hpp"

#include "posix/futex.hpp"

#include <mproc/errors.hpp>

namespace mproc::sync {

bool condition_wait(condition_block& c, lock_block& lock, posix::deadline until, bool& died) {
    // Read before the lock is released: a notify made after the release
    // changes the counter, so the sleep below cannot miss it.
    const std::uint32_t seen = c.seq.load(std::memory_order_acquire);
    const std::uint32_t depth = lock_release_all(lock, "mproc::Condition::wait");
    bool notified = true;
    while (c.seq.load(std::memory_order_acquire) == seen) {
        if (!posix::futex_wait(c.seq, seen, until)) {
            notified = c.seq.load(std::memory_order_acquire) != seen;
            break;
        }
    }
    died = lock_restore(lock, depth) == took::owner_died;
    return notified;
}

void condition_notify(condition_block& c, const lock_block& lock, int n) {
    if (!lock_is_mine(lock))
        throw Error("mproc::Condition::notify: the lock is not held by this thread (Python: RuntimeError)");
    if (n <= 0) return;
    c.seq.fetch_add(1, std::memory_order_release);
    posix::futex_wake(c.seq, n);
}

}  // namespace mproc::sync
