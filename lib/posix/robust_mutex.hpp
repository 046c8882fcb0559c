// A process-shared mutex that survives its owner's death: a glibc robust
// mutex (PTHREAD_MUTEX_ROBUST | PTHREAD_PROCESS_SHARED). When the owner dies
// holding it, the kernel hands it to one waiter with EOWNERDEAD (pid reuse
// cannot fool it: the kernel walks the dead thread's robust list); that
// locker learns it must repair what the lock guards, then the mutex is made
// consistent and works on. Boost.Interprocess 1.81's mutex instead becomes
// not_recoverable forever (../shared/TOOLCHAIN.md).
#pragma once

#include "posix/poll.hpp"

#include <cstddef>
#include <optional>

namespace mproc::posix {

/// Lives in shared memory (placement: construct in place once, by the
/// creator; other processes only use it). Not copyable or movable.
class alignas(8) robust_mutex {
public:
    /// What lock() found.
    enum class acquired {
        clean,       ///< the previous owner released it
        owner_died,  ///< the previous owner died holding it: repair, then go on
    };

    /// Initialises the mutex. Throws std::system_error.
    robust_mutex();
    robust_mutex(const robust_mutex&) = delete;
    robust_mutex& operator=(const robust_mutex&) = delete;
    /// Not destroyed by processes other than the creator; trivially
    /// abandoned with the mapping.
    ~robust_mutex() = default;

    /// Locks; never fails short of a corrupted mutex (std::system_error).
    acquired lock();
    /// Locks before `until` or returns nullopt. Throws std::system_error.
    std::optional<acquired> lock_until(deadline until);
    /// Locks if nobody holds it now (one compare-and-swap when someone
    /// does); nullopt otherwise.
    std::optional<acquired> try_lock() noexcept;
    void unlock() noexcept;

private:
    alignas(8) unsigned char storage_[40];  // a pthread_mutex_t (checked in the .cpp)
};

/// The recovering guard: holds a robust_mutex for a scope (or until
/// unlock()), and tells whether the owner before died holding it (then the
/// holder repairs what the mutex guards before going on). With a deadline,
/// held() says whether it was taken in time.
class robust_guard {
public:
    explicit robust_guard(robust_mutex& m) : m_(m) { took(m_.lock()); }
    robust_guard(robust_mutex& m, deadline until) : m_(m) {
        if (const auto got = m_.lock_until(until)) took(*got);
    }
    ~robust_guard() { unlock(); }
    robust_guard(const robust_guard&) = delete;
    robust_guard& operator=(const robust_guard&) = delete;

    bool held() const noexcept { return held_; }
    bool owner_died() const noexcept { return died_; }
    void unlock() noexcept {
        if (held_) m_.unlock();
        held_ = false;
    }

private:
    void took(robust_mutex::acquired a) noexcept {
        held_ = true;
        died_ = a == robust_mutex::acquired::owner_died;
    }
    robust_mutex& m_;
    bool held_ = false;
    bool died_ = false;
};

}  // namespace mproc::posix
