#include "posix/robust_mutex.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <pthread.h>

namespace mproc::posix {

static_assert(sizeof(pthread_mutex_t) <= 40, "robust_mutex::storage_ too small for pthread_mutex_t");
static_assert(alignof(pthread_mutex_t) <= 8);

namespace {

pthread_mutex_t* native(unsigned char* storage) { return reinterpret_cast<pthread_mutex_t*>(storage); }

robust_mutex::acquired after_lock(pthread_mutex_t* m, int r, const char* what) {
    if (r == 0) return robust_mutex::acquired::clean;
    if (r == EOWNERDEAD) {
        // We own it now; mark it usable again before the caller repairs.
        pthread_mutex_consistent(m);
        return robust_mutex::acquired::owner_died;
    }
    throw_errno(what, r);
}

}  // namespace

robust_mutex::robust_mutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    const int r = pthread_mutex_init(native(storage_), &attr);
    pthread_mutexattr_destroy(&attr);
    if (r != 0) throw_errno("pthread_mutex_init", r);
}

robust_mutex::acquired robust_mutex::lock() {
    pthread_mutex_t* m = native(storage_);
    return after_lock(m, pthread_mutex_lock(m), "pthread_mutex_lock");
}

std::optional<robust_mutex::acquired> robust_mutex::lock_until(deadline until) {
    if (!until) return lock();
    pthread_mutex_t* m = native(storage_);
#if defined(__SANITIZE_THREAD__)
    // GCC 12's ThreadSanitizer does not intercept pthread_mutex_clocklock,
    // and its pthread_mutex_timedlock ignores EOWNERDEAD (both make it report
    // every later unlock); its trylock handles both. So, for it only, a
    // polling loop (the behaviour is the same, only slower).
    for (;;) {
        const int r = pthread_mutex_trylock(m);
        if (r != EBUSY) return after_lock(m, r, "pthread_mutex_trylock");
        if (clock::now() >= *until) return std::nullopt;
        timespec pause{0, 100000};
        nanosleep(&pause, nullptr);
    }
#else
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(until->time_since_epoch()).count();
    timespec abs{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    const int r = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &abs);
    if (r == ETIMEDOUT) return std::nullopt;
    return after_lock(m, r, "pthread_mutex_clocklock");
#endif
}

std::optional<robust_mutex::acquired> robust_mutex::try_lock() noexcept {
    pthread_mutex_t* m = native(storage_);
    const int r = pthread_mutex_trylock(m);
    if (r == 0) return acquired::clean;
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(m);
        return acquired::owner_died;
    }
    return std::nullopt;  // EBUSY (or ENOTRECOVERABLE: never made consistent, not ours to take)
}

void robust_mutex::unlock() noexcept { pthread_mutex_unlock(native(storage_)); }

}  // namespace mproc::posix
