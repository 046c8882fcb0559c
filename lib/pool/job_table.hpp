// The jobs a Pool knows: tasks not handed out yet (in order), the outcome of
// each chunk, the jobs that completed and whose callbacks have not run.
// Invariants (all under the pool's lock):
//  - a chunk's outcome is recorded once (complete() ignores it afterwards);
//  - a job that failed fast has no task left in the queue (job::queued
//    counts them, so dropping costs nothing for a job that has none);
//  - a job is marked ready only after its callbacks ran (take_finished(),
//    then mark_ready()).
// This is where cancelling a task and per-task deadlines belong.
#pragma once

#include <mproc/detail/pool/core.hpp>

#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <vector>

namespace mproc::detail::pool {

/// One chunk of a job, from submission until its result is in.
struct task {
    std::shared_ptr<job> owner;
    std::size_t chunk = 0;
    task_spec spec;
    std::uint64_t id = 0;
    std::uint64_t group = 0;  // its grouped frame (0: answered one by one)
};
using task_ptr = std::shared_ptr<task>;

class job_table {
public:
    /// Queues chunk first_chunk + i of `owner` as specs[i]. A job without
    /// chunks is finished at once.
    void add(const std::shared_ptr<job>& owner, std::vector<task_spec> specs, std::size_t first_chunk);
    /// Fails chunks [from, to) of `owner` without queuing them. Returns
    /// whether a waiter may care (as complete()).
    bool fail_chunks(const std::shared_ptr<job>& owner, std::size_t from, std::size_t to, std::exception_ptr error);
    /// Records the outcome of `t` (error: null on success). Returns whether
    /// a waiter may care (its job finished, or an imap chunk is in).
    bool complete(const task& t, std::exception_ptr error);
    /// Whether `t`'s result is still awaited.
    static bool wanted(const task& t) noexcept;
    /// Fails every queued task (each job once: linear in the queue).
    bool fail_queued(std::exception_ptr error);
    /// Drops the queued tasks of `owner`.
    void abandon(job& owner) noexcept;

    bool has_queued() const noexcept { return !queued_.empty(); }
    std::size_t queued() const noexcept { return queued_.size(); }
    const task_ptr& front() const { return queued_.front(); }
    task_ptr pop_front();
    /// Puts a task a dead worker had not started back at the front.
    void requeue_front(task_ptr t);

    /// The jobs that completed since the last call; their callbacks are run
    /// by the caller without the lock, then mark_ready().
    std::vector<std::shared_ptr<job>> take_finished();
    void mark_ready(const std::vector<std::shared_ptr<job>>& jobs) noexcept;
    /// Nothing queued, finished or finishing.
    bool quiet() const noexcept { return queued_.empty() && finished_.empty() && finishing_ == 0; }

private:
    std::deque<task_ptr> queued_;                  // not handed out yet, in order
    std::vector<std::shared_ptr<job>> finished_;  // complete, callbacks not run yet
    int finishing_ = 0;                           // jobs whose callbacks are running
    std::uint64_t next_task_ = 1;
};

}  // namespace mproc::detail::pool
