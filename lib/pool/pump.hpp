// The pump: one thread at a time drives a Pool's workers (hands out tasks,
// polls, reads results), and it is whichever thread is inside the pool. A
// caller that waits takes the role; others sleep on the condition variable
// until their result is in or the role is free. The progress thread takes
// the role only when work is outstanding and no caller has pumped for a
// millisecond (callbacks and queued tasks move on while the program does
// something else), and gives it back as soon as a caller wants it (the wake
// pipe interrupts its poll).
//
// The pump owns the pool's one mutex: the engine's state is guarded by it,
// and the driver's step() is called with it held (it unlocks around I/O).
#pragma once

#include "posix/poll.hpp"

#include <mproc/detail/pool/core.hpp>
#include <mproc/unique_fd.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mproc::detail::pool {

class pump {
public:
    using lock_t = std::unique_lock<std::mutex>;

    /// What the pump drives (the engine).
    class driver {
    public:
        /// One round: hand out tasks, poll (through pump::poll), read what came.
        virtual void step(lock_t& lk, deadline until) = 0;
        /// Whether tasks or callbacks are outstanding (the progress thread's cue).
        virtual bool outstanding() const = 0;
        /// A reference that keeps the pool alive while the progress thread
        /// pumps (a callback may drop every other one); null once it is
        /// being destroyed.
        virtual std::shared_ptr<void> keep_alive() = 0;

    protected:
        ~driver() = default;
    };

    explicit pump(driver& d);
    pump(const pump&) = delete;
    pump& operator=(const pump&) = delete;
    ~pump();

    std::mutex& mutex() noexcept { return m_; }

    void start_progress();
    /// Stops and joins the progress thread (without the lock); called on
    /// that thread itself (the pool destroyed by a callback it ran), detaches it.
    void stop_progress();

    /// Drives until done() (called with the lock held) or the deadline;
    /// returns done(). A past deadline still gets one look without waiting.
    bool drive(lock_t& lk, const std::function<bool()>& done, deadline until);

    /// Takes the role if it is free.
    bool try_take(lock_t& lk) noexcept;
    /// Takes the role, waiting for it until `until`; false if not free by then.
    bool take(lock_t& lk, deadline until);
    void release(lock_t& lk) noexcept;
    /// Gives the role back when its scope ends, on an exception too (the
    /// lock is taken again if the exception left it released).
    struct role {
        pump& p;
        lock_t& lk;
        ~role() {
            if (!lk.owns_lock()) lk.lock();
            p.release(lk);
        }
    };

    /// The role holder's poll: fds[0] is the pump's wake pipe (filled in
    /// here), the rest the driver's. Unlocks around poll. Returns how many
    /// entries are ready; 0 also when the progress thread must give the role
    /// to a caller now.
    int poll(lock_t& lk, std::vector<pollfd>& fds, deadline until);

    /// A caller entered the pool (the progress thread stays out a while).
    void activity() noexcept { ++activity_; }
    /// Work was queued: wakes the progress thread if it sleeps for lack of it.
    void work_arrived() noexcept;
    /// Interrupts the role holder's poll (new work, a caller wants the role).
    void wake() noexcept;
    /// Wakes the callers sleeping on a result or the role.
    void notify() noexcept {
        if (waiters_) cv_.notify_all();
    }

private:
    void progress_loop();
    void want_role() noexcept;

    driver& driver_;
    std::mutex m_;
    std::condition_variable cv_;           // callers waiting for a result or the role
    std::condition_variable progress_cv_;  // the progress thread
    int waiters_ = 0;
    bool pumping_ = false;
    bool progress_pumping_ = false;
    bool role_wanted_ = false;    // a caller wants the role from the progress thread
    bool progress_idle_ = false;  // the progress thread sleeps until work comes
    bool stop_ = false;
    std::uint64_t activity_ = 0;  // pump rounds by callers
    bool polling_ = false;        // the holder is (about to be) in poll: wake() must write
    bool woken_ = false;
    posix::unique_fd wake_read_, wake_write_;
    std::thread progress_;
};

}  // namespace mproc::detail::pool
