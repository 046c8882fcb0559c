/// Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition and Barrier
/// between processes (Python: multiprocessing.synchronize).
///
///     mproc::Lock lock;
///     mproc::Process p([](mproc::Lock l) { std::lock_guard g(l); /* ... */ }, lock);
///     p.start();
///     if (lock.acquire(true, 500ms)) { /* ... */ lock.release(); }
///
/// Every type is a handle: copies (in this process, in a forked child, or
/// passed as a Process or Pool task argument under any start method) share one object in
/// the process family's shared memory (a memfd: nothing in /dev/shm, no
/// descriptor per object, nothing left after the family ends).
///
/// Where mproc goes further than Python: a process that dies holding a
/// Lock or an RLock (or a Condition's lock, a Value's lock) does not
/// deadlock the others: the next acquirer gets the lock, within
/// milliseconds of the death, and previous_owner_died() tells it so (it may
/// want to check what the lock guards). A lock is held by a process, not by
/// the thread that took it (Python: a Lock is not owned by a thread): one
/// taken by a thread that has ended stays held while its process lives (a
/// Lock may then be released by another thread; an RLock, as Python's,
/// stays held until the process ends). A holder is recognised by its pid
/// and its birth (its pidfd's inode, unique for the boot on Linux 6.9+; else
/// its start time in clock ticks), so a new process given a dead holder's
/// pid is not taken for it; processes in another pid namespace never take a
/// lock over from a holder they cannot see (its death is then not
/// recovered for them, as in Python). A waiter killed inside
/// Condition::wait, Event::wait or a Semaphore's acquire leaves nothing
/// behind; one killed inside Barrier::wait breaks the barrier (see Barrier).
///
/// Timeouts are std::chrono durations; negative means "do not wait"; NaN
/// throws std::invalid_argument. A blocking acquire checks a holder that
/// keeps the lock for a while; a non-blocking one (block = false, try_lock)
/// fails at the cost of one load, and checks the holder once the calling
/// thread's tries have seen the same one for a millisecond: a loop of tries
/// recovers a dead holder's lock too.
///
/// Errors a caller can act on (Python's exception in parentheses):
///  - mproc::Error: release() of a Lock nobody holds (ValueError); release()
///    of an RLock this thread does not hold (AssertionError); release() of a
///    BoundedSemaphore beyond its initial value (ValueError); Condition
///    wait/notify without holding its lock (RuntimeError); an object used
///    before it was received;
///  - mproc::BrokenBarrierError: Barrier::wait on a broken or aborted
///    barrier, or one broken while waiting;
///  - std::bad_alloc / std::system_error: the shared memory cannot grow.
#pragma once

#include <mproc/detail/transport/shared_handle.hpp>
#include <mproc/detail/api/checked_count.hpp>
#include <mproc/errors.hpp>

#include <boost/serialization/split_member.hpp>

#include <chrono>
#include <climits>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mproc {

namespace detail {

using timeout_t = std::optional<std::chrono::duration<double>>;

/// What Lock and RLock share: a lock word with its holder's identity.
class lock_handle {
public:
    /// Takes the lock (Python: acquire): with `block` false, only if it is
    /// free now; else waits at most `timeout` (nullopt: forever). Returns
    /// whether it was taken. A holder that died is replaced: the call
    /// returns true and previous_owner_died() is true.
    bool acquire(bool block = true, timeout_t timeout = std::nullopt) {
        if (block && !timeout) {
            lock();
            return true;
        }
        return acquire_for(block, timeout);
    }
    /// Gives the lock back (Python: release). Throws mproc::Error (see the
    /// file comment).
    void release();

    /// For std::lock_guard, std::unique_lock, std::scoped_lock.
    void lock();
    void unlock() { release(); }
    bool try_lock() { return acquire(false); }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
        return acquire(true, std::chrono::duration<double>(d));
    }

    /// Whether the holder now (normally the caller) took the lock over from
    /// a process or thread that died holding it: what it guarded may be
    /// half updated. False once the lock is released.
    bool previous_owner_died() const;
    /// Whether the calling thread holds the lock.
    bool is_mine() const;

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & block_;
    }

    /// The shared block (for Condition and Value, in lib/api).
    const shared_handle& block() const noexcept { return block_; }

protected:
    explicit lock_handle(bool recursive);
    bool acquire_for(bool block, timeout_t timeout);
    /// A handle naming no lock (a Value made with lock = false).
    explicit lock_handle(std::nullptr_t) noexcept : block_(shared_kind::lock) {}

private:
    shared_handle block_;
};

/// Tag: an RLock handle naming no lock.
struct no_lock_t {};

}  // namespace detail

/// A non-recursive lock (Python: multiprocessing.Lock). As Python's, it may
/// be released by another thread or process than the one that acquired it;
/// acquiring it twice from one thread waits forever (or until the timeout).
class Lock : public detail::lock_handle {
public:
    /// A free lock. Throws std::bad_alloc / std::system_error.
    Lock() : lock_handle(false) {}
};

/// A recursive lock (Python: multiprocessing.RLock): its holder may acquire
/// it again, and must release it as many times; only the holder releases.
class RLock : public detail::lock_handle {
public:
    /// A free lock. Throws std::bad_alloc / std::system_error.
    RLock() : lock_handle(true) {}
    /// Names no lock (what Value(init, false)::get_lock() would hold).
    explicit RLock(detail::no_lock_t) noexcept : lock_handle(nullptr) {}
};

/// A counting semaphore (Python: multiprocessing.Semaphore).
class Semaphore {
public:
    /// Python's SEM_VALUE_MAX on Linux: the largest initial value.
    static constexpr unsigned value_max = INT_MAX;

    /// Starts at `value`. Throws std::invalid_argument for a value below 0
    /// or above value_max (Python: ValueError), std::bad_alloc /
    /// std::system_error.
    template <std::integral N = int>
    explicit Semaphore(N value = 1) : Semaphore(checked(value), false) {}

    /// Takes a unit: with `block` false only if one is there now, else waits
    /// at most `timeout` (nullopt: forever). Returns whether it took one.
    bool acquire(bool block = true, detail::timeout_t timeout = std::nullopt);
    /// Gives a unit back. A BoundedSemaphore throws mproc::Error beyond its
    /// initial value.
    void release();
    /// Units available now (Python: get_value).
    unsigned get_value() const;

    void lock() { acquire(); }
    void unlock() { release(); }
    bool try_lock() { return acquire(false); }
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
        return acquire(true, std::chrono::duration<double>(d));
    }

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & block_;
    }

protected:
    Semaphore(unsigned value, bool bounded);
    template <std::integral N>
    static unsigned checked(N value) {
        return detail::in_range(value, 0, value_max, "mproc::Semaphore: the initial value");
    }

private:
    detail::shared_handle block_;
};

/// A semaphore that refuses to be released beyond its initial value
/// (Python: multiprocessing.BoundedSemaphore): release() then throws
/// mproc::Error.
class BoundedSemaphore : public Semaphore {
public:
    /// As Semaphore's.
    template <std::integral N = int>
    explicit BoundedSemaphore(N value = 1) : Semaphore(checked(value), true) {}
};

/// A flag processes wait for (Python: multiprocessing.Event).
class Event {
public:
    /// A clear flag. Throws std::bad_alloc / std::system_error.
    Event();
    /// Sets the flag and wakes every waiter.
    void set();
    /// Clears the flag.
    void clear();
    bool is_set() const;
    /// Waits until the flag is set, at most `timeout` (nullopt: forever).
    /// Returns true if it is set, or was set while waiting (even if cleared
    /// again since); false on timeout.
    bool wait(detail::timeout_t timeout = std::nullopt);

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & block_;
    }

private:
    detail::shared_handle block_;
};

/// A condition variable over a Lock or an RLock (Python:
/// multiprocessing.Condition; by default a new RLock). wait() and notify()
/// need the lock held by the calling thread (else mproc::Error).
///
/// A waiter killed while waiting changes nothing for the others; a
/// notify(1) whose woken waiter is killed before it returns is spent on it
/// (as in Python). wait() may return true for a waiter that was about to
/// sleep when notify ran, so notify(n) may wake more than n: use wait_for.
class Condition {
public:
    /// Over a new RLock.
    Condition() : Condition(RLock()) {}
    explicit Condition(const Lock& lock) : lock_(lock), block_(detail::shared_kind::condition, 64, 64) {}
    explicit Condition(const RLock& lock) : lock_(lock), block_(detail::shared_kind::condition, 64, 64) {}

    bool acquire(bool block = true, detail::timeout_t timeout = std::nullopt) { return lock_.acquire(block, timeout); }
    void release() { lock_.release(); }
    void lock() { lock_.lock(); }
    void unlock() { lock_.release(); }
    bool try_lock() { return lock_.acquire(false); }
    /// Whether the lock's holder took it over from a dead one.
    bool previous_owner_died() const { return lock_.previous_owner_died(); }

    /// Releases the lock, waits for a notify at most `timeout` (nullopt:
    /// forever), takes the lock back (however long that takes). Returns
    /// false on timeout.
    bool wait(detail::timeout_t timeout = std::nullopt);
    /// Waits until `pred()` (called with the lock held) is true, at most
    /// `timeout` in all; returns the last value of pred().
    template <class Predicate>
    bool wait_for(Predicate pred, detail::timeout_t timeout = std::nullopt) {
        auto result = pred();
        if (result) return result;
        using clock = std::chrono::steady_clock;
        std::optional<clock::time_point> end;
        if (timeout) end = clock::now() + std::chrono::duration_cast<clock::duration>(check(*timeout));
        while (!result) {
            detail::timeout_t left;
            if (end) {
                left = *end - clock::now();
                if (*left <= std::chrono::duration<double>::zero()) break;
            }
            wait(left);
            result = pred();
        }
        return result;
    }
    /// Wakes up to `n` waiters.
    void notify(int n = 1);
    void notify_all();

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & lock_ & block_;
    }

private:
    struct any_lock : detail::lock_handle {
        any_lock(const detail::lock_handle& l) : lock_handle(l) {}
    };
    static std::chrono::duration<double> check(std::chrono::duration<double> d);

    any_lock lock_;
    detail::shared_handle block_;
};

/// A barrier for `parties` processes or threads (Python:
/// multiprocessing.Barrier).
///
/// A party killed inside wait() breaks the barrier: the others get
/// BrokenBarrierError within 20 ms, or within a second when the party that
/// died was the one watching the others (they could never all meet);
/// reset() makes it usable again. The action is a plain function, run by
/// the party whose arrival completes the barrier (it crosses to spawned
/// children as a code reference).
class Barrier {
public:
    using action_type = void (*)();

    /// More parties can never meet: Linux has at most 2^22 thread ids.
    static constexpr unsigned parties_max = 1u << 22;

    /// Throws std::invalid_argument for parties outside [1, parties_max]
    /// (before allocating anything; Python: ValueError) or a NaN timeout,
    /// std::bad_alloc / std::system_error.
    template <std::integral N>
    explicit Barrier(N parties, action_type action = nullptr, detail::timeout_t timeout = std::nullopt)
        : Barrier(checked_t{}, detail::in_range(parties, 1, parties_max, "mproc::Barrier: parties"), action, timeout) {}

    /// Waits until `parties` have called wait() (at most `timeout`, else the
    /// barrier's default timeout); returns this party's arrival index
    /// (0..parties-1). Throws BrokenBarrierError when the barrier is or gets
    /// broken (timeout, abort, a party's death, the action threw). An
    /// exception from the action propagates to its caller, the others get
    /// BrokenBarrierError.
    unsigned wait(detail::timeout_t timeout = std::nullopt);
    /// Breaks the barrier: waiters and later wait() calls get BrokenBarrierError.
    void abort();
    /// Back to its initial state; current waiters get BrokenBarrierError.
    void reset();
    unsigned parties() const;
    /// Parties waiting now.
    unsigned n_waiting() const;
    bool broken() const;

    template <class Archive>
    void save(Archive& ar, const unsigned) const;
    template <class Archive>
    void load(Archive& ar, const unsigned);
    BOOST_SERIALIZATION_SPLIT_MEMBER()

    Barrier() : block_(detail::shared_kind::barrier) {}  // for decoding only

private:
    struct checked_t {};
    Barrier(checked_t, unsigned parties, action_type action, detail::timeout_t timeout);

    detail::shared_handle block_;
    action_type action_ = nullptr;
    detail::timeout_t timeout_;
};

namespace detail {
/// The action's code reference, as bytes (lib/api/barrier.cpp).
std::string barrier_action_save(Barrier::action_type action);
Barrier::action_type barrier_action_load(const std::string& bytes);
}  // namespace detail

template <class Archive>
void Barrier::save(Archive& ar, const unsigned) const {
    const std::string action = detail::barrier_action_save(action_);
    const bool has_timeout = timeout_.has_value();
    const double t = has_timeout ? timeout_->count() : 0.0;
    ar << block_ << action << has_timeout << t;
}

template <class Archive>
void Barrier::load(Archive& ar, const unsigned) {
    std::string action;
    bool has_timeout = false;
    double t = 0;
    ar >> block_ >> action >> has_timeout >> t;
    action_ = detail::barrier_action_load(action);
    if (has_timeout) timeout_ = std::chrono::duration<double>(t);
}

}  // namespace mproc
