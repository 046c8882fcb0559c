// The worker channel for a worker process on this machine (the only one so
// far): a Connection (a socketpair) for requests and results, a
// SOCK_SEQPACKET pair beside it for descriptors (protocol.hpp), the
// worker's pidfd or sentinel for its end. And the starter that makes such
// workers under each start method: under fork the zygote (zygote.hpp) forks
// them; under spawn and forkserver they are mproc::Processes of the parent.
#pragma once

#include "pool/worker.hpp"
#include "pool/zygote.hpp"

#include <mproc/detail/transport/fd_transfer.hpp>
#include <mproc/start_method.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

namespace mproc::detail::pool {

/// Starts workers the way the pool's start method needs.
class worker_starter {
public:
    /// Under fork this forks the zygote (call before the pool has threads).
    /// `initializer_fds` go to each worker on its descriptor channel.
    worker_starter(start_method method, std::string config, task_fds initializer_fds);

    /// A new worker (state starting). Throws ProcessError, std::system_error.
    std::shared_ptr<worker> start(std::uint64_t token);

    zygote* zyg() noexcept { return zygote_ ? &*zygote_ : nullptr; }

private:
    start_method method_;
    std::string config_;
    task_fds initializer_fds_;
    std::optional<zygote> zygote_;
    int made_ = 0;
};

/// "worker 123 was killed by signal 9 (SIGKILL)" / "... exited with status 3".
std::string describe_end(pid_t pid, std::optional<int> exitcode);

}  // namespace mproc::detail::pool
