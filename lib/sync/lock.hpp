// Lock and RLock in shared memory: an owner_lock (posix) plus, for RLock, the
// holder's recursion depth. Python's semantics: a Lock may be released by any
// process (it is a binary semaphore there), an RLock only by its holder.
#pragma once

#include "posix/owner_lock.hpp"
#include "posix/poll.hpp"

#include <cstdint>

namespace mproc::sync {

struct lock_block {
    posix::owner_lock m;  // m.spare: an RLock holder's recursion depth
    std::uint32_t recursive = 0;
};

enum class took { timeout, clean, owner_died };

/// Acquires (waiting until `until` if `block`). An RLock already held by
/// this thread only counts one more level.
took lock_acquire(lock_block& b, bool block, posix::deadline until) noexcept;
[[noreturn]] void lock_release_failed(const lock_block& b);

/// lock_acquire(b, true, forever), inline: the uncontended path is the
/// owner_lock's compare-and-swap and nothing else.
inline took lock_acquire(lock_block& b) noexcept {
    if (b.recursive && b.m.held_by_me()) {
        ++b.m.spare;
        return took::clean;
    }
    const auto a = b.m.lock(std::nullopt);
    b.m.spare = 1;
    return *a == posix::owner_lock::acquired::owner_died ? took::owner_died : took::clean;
}

/// Releases one level. Throws mproc::Error: a Lock that is not held, an
/// RLock this thread does not hold.
inline void lock_release(lock_block& b) {
    if (b.recursive) {
        if (!b.m.held_by_me()) lock_release_failed(b);
        if (--b.m.spare > 0) return;
        b.m.unlock();
        return;
    }
    if (b.m.unlock() == 0) lock_release_failed(b);
}

/// For Condition::wait: releases every level this thread holds and returns
/// how many (throws mproc::Error when it holds none)...
std::uint32_t lock_release_all(lock_block& b, const char* who);
/// ...and takes the lock back with that depth (waits as long as it takes).
took lock_restore(lock_block& b, std::uint32_t depth) noexcept;

/// Whether this thread holds the lock.
inline bool lock_is_mine(const lock_block& b) noexcept { return b.m.held_by_me(); }

}  // namespace mproc::sync
