// Which worker gets which queued task, and how tasks are framed: the whole
// policy in one place.
//  - A task is handed out only to a worker that takes work (ready, alive,
//    nobody writing to it).
//  - Quick tasks (under quick_us on average, recently, for their code) go
//    several to a frame ('G': results come back together) and queue behind
//    each other on a busy worker, within its byte window (what the socket
//    buffer takes without blocking the sender).
//  - A task not known to be quick waits for a free worker (as Python's
//    workers take tasks when free): behind a long one it would wait while
//    another worker idles. A task with descriptors is never grouped.
//  - The queue is shared evenly: a worker takes at most half its share of
//    what is queued (max_held at most), so every ready worker gets some.
#pragma once

#include "pool/job_table.hpp"
#include "pool/worker.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace mproc::detail::pool {

/// One frame for one worker, planned under the lock, sent without it.
struct request {
    std::shared_ptr<worker> to;
    std::string frame;
    task_ptr alone;  // a frame of just this task: its payload goes as it is
    task_fds fds;                 // go first, on the descriptor channel
};

class dispatcher {
public:
    explicit dispatcher(long maxtasksperchild) : maxtasks_(maxtasksperchild) {}

    /// Moves queued tasks to the workers' `held` lists and returns the
    /// frames that carry them (each worker's `sending` set).
    std::vector<request> plan(job_table& jobs, const std::vector<std::shared_ptr<worker>>& workers);
    /// A task of this code ran for `us` microseconds.
    void ran(const task_spec& spec, std::uint32_t us);
    /// Whether the worker spent its task budget (maxtasksperchild).
    bool spent(const worker& w) const noexcept { return maxtasks_ > 0 && w.handed >= maxtasks_; }

private:
    bool quick(const task_spec& spec) const;
    void add_task(request& r, worker& w, const task_ptr& t, bool first_in_frame);

    long maxtasks_;
    std::unordered_map<std::uint64_t, double> run_us_;  // per (entry, target): recent run time
    std::uint64_t next_group_ = 1;
};

}  // namespace mproc::detail::pool
