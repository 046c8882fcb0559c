// The Pool's engine (CPython's pool.py split differently): no task, result or
// worker handler threads on the hot path. Whoever calls into the pool does the
// handlers' work while it is there (pump.hpp). This class only orchestrates
// its parts, each with its own invariants:
//   job_table   the queue, each chunk's outcome, the jobs whose callbacks are due
//   dispatcher  which worker gets which task, how tasks are framed
//   worker_set  the workers: starting, their ends, burial, replacement
//   pump        one thread at a time drives poll; the progress thread
//   protocol    the bytes on a worker's channel
// and the run states (running, closed, joining, terminated, broken).
#pragma once

#include "pool/dispatcher.hpp"
#include "pool/job_table.hpp"
#include "pool/protocol.hpp"
#include "pool/pump.hpp"
#include "pool/worker_set.hpp"

#include <mproc/detail/pool/core.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mproc::detail::pool {

class pool_core final : public core, public std::enable_shared_from_this<pool_core>, private pump::driver {
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
    using lock_t = pump::lock_t;
    enum class run_state { running, closed, joining, terminated };

    // pump::driver: one round, and whether the progress thread has work.
    void step(lock_t& lk, deadline until) override;
    bool outstanding() const override { return !idle(); }
    std::shared_ptr<void> keep_alive() override { return weak_from_this().lock(); }
    // A pool belongs to the process that made it: in a forked child (where
    // its threads do not exist and its workers are the parent's) every call
    // is a ProcessError.
    void check_owner() const;
    bool foreign() const noexcept;

    void dispatch(lock_t& lk);
    void notice_idle_deaths(lock_t& lk);
    void send_to(lock_t& lk, const std::shared_ptr<worker>& w, std::string message);
    void read_from(lock_t& lk, const std::shared_ptr<worker>& w, bool until_end);
    void on_message(lock_t& lk, const std::shared_ptr<worker>& w, std::string_view message);
    void on_result(lock_t& lk, const std::shared_ptr<worker>& w, const protocol::entry& e);
    // Runs the callbacks of jobs that completed, without the lock, then
    // marks them ready.
    void flush_finished(lock_t& lk);
    // Flushes now if the pump role is free, else leaves it to its holder.
    void flush_or_wake(lock_t& lk);
    void bury_ended(lock_t& lk);
    void bury(const std::shared_ptr<worker>& w);
    void replace();
    bool should_replace() const;
    bool stopping() const noexcept { return state_ == run_state::terminated || state_ == run_state::joining; }
    void break_pool(std::exception_ptr error);
    void fail_everything(std::exception_ptr error);
    bool idle() const;  // nothing queued, held or finishing

    config cfg_;
    const pid_t owner_;
    pump pump_;  // owns the mutex guarding everything below
    job_table jobs_;
    dispatcher dispatcher_;
    std::optional<worker_set> workers_;
    run_state state_ = run_state::running;
    std::exception_ptr broken_;
    bool joined_ = false;
    std::string frame_;  // the pump's receive buffer
};

}  // namespace mproc::detail::pool
