// The forkserver start method. A single-threaded server process, started by
// spawn on first use, forks each child on request. Per child, the client
// sends one request on the server's socket carrying, by SCM_RIGHTS, a status
// socket, the read end of the task pipe, the client's standard descriptors
// (so the child writes where its parent's output goes now, as under fork and
// spawn) and the exported descriptors. The
// server forks, sends {started, pid} (with a pidfd) on the status socket, and
// later {exited, returncode}, then closes it: the status socket is the
// child's sentinel. The server exits when the client closes its socket, and
// dies with the client (PR_SET_PDEATHSIG), taking its children with it.
#pragma once

#include "lifecycle/child.hpp"
#include "lifecycle/self.hpp"

#include <mproc/detail/process_target.hpp>

#include <cstdint>
#include <memory>
#include <sys/types.h>

namespace mproc::start::forkserver {

constexpr std::uint32_t request_magic = 0x4d504653;  // "MPFS"

struct request {
    std::uint32_t magic = request_magic;
    std::uint32_t fd_count = 0;  // status socket, task pipe, standard descriptors, exported descriptors
    std::uint32_t std_fds = 0;   // bit i: the client's descriptor i (0, 1, 2) is passed
};

enum class reply_kind : std::int32_t { started = 1, exited = 2, failed = 3 };

struct reply {
    reply_kind kind;
    std::int32_t value;  // started: pid; exited: return code; failed: errno (fork, or EMFILE receiving the request)
};

/// Starts `target` in a child forked by this process's fork server (started
/// on first use, restarted if it died).
std::unique_ptr<lifecycle::child> launch(const detail::process_target& target, const self::child_context& context);

/// The server's main loop, in the process started with forkserver_flag:
/// requests arrive on `requests`.
[[noreturn]] void serve(int requests) noexcept;

}  // namespace mproc::start::forkserver
