// The seam between the Pool's engine and one worker: how a task reaches a
// worker, how its results come back, how its end is noticed. The engine
// (pool_core and its parts) knows workers only through this interface; a
// worker in a local process is local_worker.hpp, a worker on an MPI rank
// would be a second implementation (its send/receive over MPI messages, its
// end noticed by a liveness probe), not a fork of the pool.
//
// Rules every implementation keeps (the engine relies on them):
//  - frames arrive whole and in the order the worker sent them; one channel
//    per worker, so a result tells which worker ran the task;
//  - the worker's end is decided by the worker itself (end_fd: its pidfd or
//    sentinel), never by the end of a stream others may hold open (a task's
//    own children inherit the worker's descriptors);
//  - after closed_for_good(), receive() returns what the worker sent before
//    it ended, then throws (end of stream), without waiting for anyone.
#pragma once

#include <mproc/detail/transport/fd_transfer.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace mproc::detail::pool {

class worker_channel {
public:
    virtual ~worker_channel() = default;

    /// Sends one request frame, the descriptors of its task first. Blocks
    /// until written (called without the engine's lock). Throws when the
    /// worker is gone.
    virtual void send(std::string_view frame, const task_fds& fds) = 0;
    /// Pollable: readable when a frame of results (or the stream's end) waits.
    virtual int results_fd() const noexcept = 0;
    /// Receives the next frame into `frame` if one is waiting (`block`: wait
    /// for one); false if none was. Throws at the stream's end or on a frame
    /// cut short.
    virtual bool receive(std::string& frame, bool block) = 0;

    /// Pollable: readable once the worker has ended; -1 while its end can
    /// only be learnt from elsewhere (the fork zygote's report).
    virtual int end_fd() const noexcept = 0;
    /// Its exit code once ended (-signal), when this channel can know it.
    virtual std::optional<int> exitcode() = 0;
    /// The worker `pid` is running (learnt from a report or its hello).
    virtual void started(pid_t pid) noexcept = 0;
    /// The worker ended: nobody else may keep the stream open any more.
    virtual void closed_for_good() noexcept = 0;

    virtual void kill() noexcept = 0;
    /// Waits until the worker is reaped (it was killed or has ended).
    virtual void join() noexcept = 0;
};

}  // namespace mproc::detail::pool
