// A Pool's workers as the parent sees them: the Connection to each, the
// tasks it holds and since when, how it ended; and how one is started under
// each start method.
#pragma once

#include "pool/zygote.hpp"

#include <mproc/connection.hpp>
#include <mproc/detail/pool_core.hpp>
#include <mproc/process.hpp>
#include <mproc/start_method.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mproc::detail::pool {

/// One chunk of a job, from submission until its result is in.
struct task {
    std::shared_ptr<job> owner;
    std::size_t chunk = 0;
    task_spec spec;
    std::uint64_t id = 0;
    clock::time_point sent{};  // when handed to a worker
    std::uint64_t group = 0;   // its grouped frame (0: answered one by one)
};

struct worker {
    enum class phase {
        starting,  // no hello yet: holds nothing
        ready,     // takes tasks
        retiring,  // told to stop (or its task budget is spent): takes none
    };
    std::uint64_t token = 0;  // identity in this pool (pids are reused)
    phase state = phase::starting;
    pid_t pid = 0;
    Connection conn;                 // the parent's end
    posix::unique_fd descriptors;    // the parent's end of the descriptor channel (protocol.hpp)
    std::optional<Process> process;  // spawn, forkserver (under fork the zygote owns it)
    /// Handed out and not answered yet, in the order sent: the worker runs
    /// them in this order, so the front one is running (since head_since).
    std::deque<std::shared_ptr<task>> held;
    clock::time_point head_since{};
    std::size_t held_bytes = 0;
    std::size_t window = 32 * 1024;  // request bytes it may hold unread without blocking a send
    long handed = 0;               // tasks handed out in its life (maxtasksperchild)
    std::vector<bool> known_code;  // code ids already defined on its Connection
    bool sending = false;          // a thread is writing to conn without the lock
    bool eof = false;              // conn reached its end (or failed)
    std::optional<int> exitcode;   // known once it ended
};

/// Starts workers the way the pool's start method needs.
class worker_factory {
public:
    /// Under fork this forks the zygote (call before the pool has threads).
    /// `initializer_fds` go to each worker on its descriptor channel.
    worker_factory(start_method method, std::string config, task_fds initializer_fds);

    /// A new worker (state starting). Throws ProcessError, std::system_error.
    std::shared_ptr<worker> start(std::uint64_t token);

    zygote* zyg() noexcept { return zygote_ ? &*zygote_ : nullptr; }
    start_method method() const noexcept { return method_; }

private:
    start_method method_;
    std::string config_;
    task_fds initializer_fds_;
    std::optional<zygote> zygote_;
    int made_ = 0;
};

/// Sends `fds` in one message on the descriptor channel `channel`. Throws
/// std::system_error (EPIPE when the worker is gone).
void send_fds(int channel, const std::vector<posix::unique_fd>& fds);

/// "worker 123 was killed by signal 9 (SIGKILL)" / "... exited with status 3".
std::string describe_end(pid_t pid, std::optional<int> exitcode);

}  // namespace mproc::detail::pool
