// Condition in shared memory: a notification counter that waiters sleep on
// (a futex word, not pthread_cond_t: a waiter killed inside a process-shared
// pthread_cond_wait breaks that condvar for everyone on this glibc). A waiter
// holds no state in the block, so one killed while waiting changes nothing;
// a notify(1) whose one woken waiter is killed before it returns is spent on
// it, as in Python.
#pragma once

#include "posix/poll.hpp"
#include "sync/lock.hpp"

#include <atomic>
#include <cstdint>

namespace mproc::sync {

struct condition_block {
    std::atomic<std::uint32_t> seq{0};
};

/// Releases `lock` (held by this thread, every level), sleeps until notified
/// or `until`, takes `lock` back. Returns false on timeout. Throws
/// mproc::Error when this thread does not hold `lock`. `died` tells whether
/// retaking the lock found its holder dead.
bool condition_wait(condition_block& c, lock_block& lock, posix::deadline until, bool& died);
/// Wakes up to `n` waiters (may wake a waiter that was about to sleep
/// besides). Throws mproc::Error when this thread does not hold `lock`.
void condition_notify(condition_block& c, const lock_block& lock, int n);

}  // namespace mproc::sync
