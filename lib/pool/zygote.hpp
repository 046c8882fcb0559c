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
#pragma once

#include <mproc/process.hpp>
#include <mproc/unique_fd.hpp>

#include <cstdint>
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
        pid_t pid;
        int exitcode;
    };
    struct gone {};  // the zygote itself ended
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
    /// 'Q' / 'K' (see above); then join() waits for the zygote to exit.
    void quit() noexcept;
    void kill_workers() noexcept;
    void join();
    pid_t pid() const noexcept { return process_.pid(); }

private:
    posix::unique_fd socket_;
    Process process_;
    bool gone_ = false;
};

}  // namespace mproc::detail::pool
