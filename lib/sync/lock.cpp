#include "sync/lock.hpp"

#include <mproc/errors.hpp>

namespace mproc::sync {

namespace {

took from(posix::owner_lock::acquired a) noexcept {
    return a == posix::owner_lock::acquired::owner_died ? took::owner_died : took::clean;
}

}  // namespace

took lock_acquire(lock_block& b, bool block, posix::deadline until) noexcept {
    if (b.recursive && b.m.held_by_me()) {
        ++b.m.spare;
        return took::clean;
    }
    const auto a = block ? b.m.lock(until) : b.m.try_lock_or_recover();
    if (!a) return took::timeout;
    b.m.spare = 1;
    return from(*a);
}

void lock_release_failed(const lock_block& b) {
    if (b.recursive)
        throw Error("mproc::RLock::release: the lock is not held by this thread (Python: AssertionError)");
    throw Error("mproc::Lock::release: the lock is not held (Python: ValueError, released too many times)");
}

std::uint32_t lock_release_all(lock_block& b, const char* who) {
    if (!b.m.held_by_me()) throw Error(std::string(who) + ": the lock is not held by this thread (Python: RuntimeError)");
    const std::uint32_t depth = b.recursive ? b.m.spare : 1;
    b.m.spare = 0;
    b.m.unlock();
    return depth;
}

took lock_restore(lock_block& b, std::uint32_t depth) noexcept {
    const auto a = b.m.lock(std::nullopt);
    b.m.spare = depth;
    return from(*a);
}

}  // namespace mproc::sync
