// A Pool's workers: starting them, learning of their ends (the worker's own
// end_fd, the zygote's reports), burying the dead and replacing them.
// Invariants (under the pool's lock):
//  - a worker is buried only once its end is known (its end fd or the
//    zygote said so) and everything it sent before is read; never on the
//    end of its stream alone (a task's children may hold that open);
//  - of a dead worker's tasks only the one it was running fails (with the
//    rest of its grouped frame); the others go back to the queue's front;
//  - at most `processes` workers that are not retiring;
//  - workers dying before their hello max_startup_deaths times in a row, an
//    initializer that threw, a zygote gone: the pool is broken (no respawn
//    loop).
#pragma once

#include "pool/job_table.hpp"
#include "pool/local_worker.hpp"
#include "pool/worker.hpp"

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mproc::detail::pool {

/// A BrokenPool saying `what`.
std::exception_ptr broken(const std::string& what);

class worker_set {
public:
    /// Under fork the zygote is forked here (call before the pool has threads).
    worker_set(int processes, start_method method, std::string worker_config, task_fds initializer_fds);

    /// Starts the first workers. Throws ProcessError, std::system_error.
    void start_all();
    const std::vector<std::shared_ptr<worker>>& all() const noexcept { return workers_; }
    bool empty() const noexcept { return workers_.empty(); }
    bool idle() const noexcept;  // no worker holds a task
    zygote* zyg() noexcept { return starter_.zyg(); }
    bool zygote_gone() const noexcept { return zygote_gone_; }

    /// Applies the zygote's reports. Returns the error that breaks the pool
    /// (a worker could not start, the zygote died while `running`), if any.
    std::exception_ptr read_zygote_reports(bool running);
    /// The worker's end fd fired: it is gone (its exit code perhaps later).
    void on_end(worker& w) noexcept;
    /// Whether its end is known well enough to bury it.
    bool end_known(const worker& w) const noexcept;

    struct burial {
        bool notify = false;          // a job it held changed
        std::exception_ptr breaks;    // it broke the pool (startup deaths)
    };
    /// Removes `w` (ended, its results read): its running task fails, the
    /// others are requeued. `running`: the pool was not told to stop.
    burial bury(const std::shared_ptr<worker>& w, job_table& jobs, bool running);
    /// Starts a worker if fewer than `processes` are not retiring. Returns
    /// the error that breaks the pool if it could not.
    std::exception_ptr replace();
    /// A hello came: the worker takes tasks.
    void on_ready(worker& w, pid_t pid) noexcept;

    /// SIGKILLs every worker (and asks the zygote to); they are buried as
    /// their ends show.
    void kill_all() noexcept;

private:
    void await_forks(zygote& z);

    int processes_;
    worker_starter starter_;
    std::vector<std::shared_ptr<worker>> workers_;
    std::uint64_t next_token_ = 1;
    int startup_deaths_ = 0;
    bool zygote_gone_ = false;
    bool by_zygote_;  // fork: the zygote starts the workers and reports their ends
};

}  // namespace mproc::detail::pool
