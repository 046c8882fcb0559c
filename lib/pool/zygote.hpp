// The fork-safe maker of a Pool's workers under the fork start method.
//
// A fork of a multithreaded process copies only the forking thread: a lock
// another thread held at that moment (malloc's, a logger's, the pool's own)
// stays locked forever in the child. So the parent forks once, when the Pool
// starts and before the pool has any thread of its own: the zygote, an
// mproc::Process that stays single-threaded and runs the fork-server loop
// (lib/start/fork_server.hpp) forking every worker (the first ones and all
// replacements). Each worker's Connection to the parent is made by the
// parent and handed to the zygote with an 'S' request (the worker's two
// descriptors: its end of the Connection, of the descriptor channel). The
// zygote reports each worker's pid and, when it ends, its exit code on its
// one socket; it dies with the parent (PDEATHSIG) and its workers with it.
//
// A zygote that dies (killed) takes its workers with it; it cannot be forked
// again from the parent, which has threads by then. So each zygote keeps a
// spare: a copy of itself it forked on request (flag `spare`), idle, with its
// own socket to the parent, which outlives the zygote (no PDEATHSIG: it
// watches the parent through a pidfd instead). When the zygote dies the
// spare takes over (runs the loop on its socket), the parent turns to it,
// counts the dead zygote's workers as killed (they are replaced as any dead
// worker is) and asks the new zygote for the next spare. A spare that took
// over is no child of the parent: init reaps it.
#pragma once

#include <mproc/process.hpp>
#include <mproc/unique_fd.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <variant>

namespace mproc::detail::pool {

class zygote {
public:
    struct started {
        std::uint64_t token;
        pid_t pid;
    };
    struct start_failed {
        std::uint64_t token;
        std::string error;
    };
    struct ended {
        std::uint64_t token;
        pid_t pid;
        int exitcode;
    };
    struct gone {};  // the zygote itself ended, and no spare took over
    using report = std::variant<started, start_failed, ended, gone>;

    /// Forks the zygote; its workers get `worker_config` (protocol.hpp).
    explicit zygote(std::string worker_config);
    zygote(const zygote&) = delete;
    zygote& operator=(const zygote&) = delete;
    ~zygote();

    /// Asks for a worker whose ends of the Connection and of the descriptor
    /// channel are `worker_end` and `channel_end`. False if the zygote is gone.
    bool start_worker(std::uint64_t token, const posix::unique_fd& worker_end,
                      const posix::unique_fd& channel_end) noexcept;
    /// Readable when a report is waiting.
    int fd() const noexcept { return socket_.get(); }
    /// The next report, if one is waiting.
    std::optional<report> read_report();
    /// Exit once the workers have / kill them, then exit; then join() waits
    /// for the zygote to exit.
    void quit() noexcept;
    void kill_workers() noexcept;
    void join();
    /// The zygote's pid (the spare's, once it took over).
    pid_t pid() const noexcept { return first_ ? process_.pid() : pid_; }

private:
    void request_spare() noexcept;
    bool take_over();
    void stop(char request) noexcept;

    posix::unique_fd socket_;  // the zygote's
    Process process_;          // the first zygote (the parent's child)
    bool first_ = true;        // socket_ is process_'s
    pid_t pid_ = 0;            // a spare that took over
    posix::unique_fd spare_;   // the spare's socket, once asked for
    pid_t spare_pid_ = 0;
    std::uint64_t spares_ = 0;
    std::map<std::uint64_t, pid_t> workers_;  // the zygote's, by token (pid 0 until started)
    std::deque<report> queued_;               // the workers of a zygote that died
    bool stopping_ = false;
    bool gone_ = false;
};

}  // namespace mproc::detail::pool
