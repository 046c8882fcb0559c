// The Pool's engine (CPython's pool.py split differently): no task, result or
// worker handler threads on the hot path. Whoever calls into the pool does the
// handlers' work while it is there: a submitting thread hands tasks to idle
// workers itself, a waiting thread reads the results, completes jobs by id,
// notices dead workers and replaces them. One thread at a time holds that
// role (the "pump"); the others sleep on a condition variable until their
// result is in or the role is free. A progress thread takes the role only
// when tasks are outstanding and no caller has pumped for a millisecond, so
// callbacks and queued tasks move on while the program does something else.
#pragma once

#include "pool/workers.hpp"

#include <mproc/detail/pool_core.hpp>
#include <mproc/unique_fd.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mproc::detail::pool {

class pool_core final : public core {
public:
    explicit pool_core(config cfg);
    ~pool_core() override;

    int processes() const noexcept override { return cfg_.processes; }
    void submit(const std::shared_ptr<job>& owner, std::vector<task_spec> tasks, std::size_t first_chunk,
                bool continuing) override;
    void abandon(const std::shared_ptr<job>& owner) noexcept override;
    bool wait(const std::function<bool()>& done, deadline until) override;
    void close() override;
    void join() override;
    void terminate() noexcept override;

private:
    using lock_t = std::unique_lock<std::mutex>;
    enum class run_state { running, closed, joining, terminated };

    // ---- the pump role --------------------------------------------------
    // Takes the role, waiting for it until `until`; false if not free by then.
    bool take_role(lock_t& lk, deadline until);
    void release_role(lock_t& lk);
    // Gives the role back when its scope ends, on an exception too (the lock
    // is taken again if the exception left it released).
    struct role_scope {
        pool_core& core;
        lock_t& lk;
        ~role_scope() {
            if (!lk.owns_lock()) lk.lock();
            core.release_role(lk);
        }
    };
    // One round: hand out tasks, wait for any descriptor, read what came.
    void step(lock_t& lk, deadline until);
    void wake() noexcept;

    // ---- dispatch --------------------------------------------------------
    void dispatch(lock_t& lk);
    void send_to(lock_t& lk, const std::shared_ptr<worker>& w, std::string message);

    // ---- results by job id -----------------------------------------------
    void read_from(lock_t& lk, const std::shared_ptr<worker>& w, bool until_end);
    void on_message(lock_t& lk, const std::shared_ptr<worker>& w, std::string_view message);
    void on_result(lock_t& lk, const std::shared_ptr<worker>& w, reader& in);
    // Whether tasks of this code ran quickly so far (their frames are grouped).
    bool quick(const task_spec& spec) const;
    void complete(lock_t& lk, const std::shared_ptr<task>& t, std::exception_ptr error);
    // Fails chunks [from, to) of `owner` (the pool is broken), and runs the
    // callbacks of what that finished if no thread pumps.
    void fail_chunks(lock_t& lk, const std::shared_ptr<job>& owner, std::size_t from, std::size_t to,
                     std::exception_ptr error);
    // Runs the callbacks of jobs that completed, without the lock, then
    // marks them ready.
    void flush_finished(lock_t& lk);
    bool idle() const;  // nothing pending, held or finishing

    // ---- workers: death and replacement -----------------------------------
    void on_zygote_report(lock_t& lk);
    void bury_ended(lock_t& lk);
    void bury(lock_t& lk, const std::shared_ptr<worker>& w);
    void replace(lock_t& lk);
    bool should_replace() const;
    void break_pool(lock_t& lk, std::exception_ptr error);
    void fail_everything(lock_t& lk, std::exception_ptr error);
    void retire_idle_workers(lock_t& lk);

    // ---- the progress thread ----------------------------------------------
    void progress_loop();
    bool work_outstanding() const;

    config cfg_;
    mutable std::mutex m_;
    std::condition_variable cv_;           // callers waiting for a result or the role
    std::condition_variable progress_cv_;  // the progress thread
    int waiters_ = 0;
    bool pumping_ = false;
    bool progress_pumping_ = false;
    bool role_wanted_ = false;   // a caller wants the role from the progress thread
    bool progress_idle_ = false; // the progress thread sleeps until work comes
    bool stop_ = false;
    std::uint64_t activity_ = 0;  // pump rounds by callers
    bool polling_ = false;        // the pump is (about to be) in poll: wake() must write
    bool woken_ = false;

    run_state state_ = run_state::running;
    std::exception_ptr broken_;
    std::deque<std::shared_ptr<task>> pending_;  // not handed out yet, in order
    std::vector<std::shared_ptr<worker>> workers_;
    std::vector<std::shared_ptr<job>> finished_;  // complete, callbacks not run yet
    int finishing_ = 0;                          // jobs whose callbacks are running
    std::uint64_t next_task_ = 1;
    std::uint64_t next_token_ = 1;
    std::uint64_t next_group_ = 1;
    std::unordered_map<std::uint64_t, double> run_us_;  // per (entry, target): recent run time
    int startup_deaths_ = 0;
    bool zygote_gone_ = false;
    bool joined_ = false;

    std::optional<worker_factory> factory_;
    posix::unique_fd wake_read_, wake_write_;
    std::string frame_;  // the pump's receive buffer
    std::thread progress_;
};

}  // namespace mproc::detail::pool
