// The forkserver start method. A single-threaded server process, started by
// spawn on first use, runs the fork-server loop (fork_server.hpp). Per child,
// the client sends one 'S' request carrying, by SCM_RIGHTS, a status socket
// (the request's own report socket), the read end of the task pipe, the
// client's stdout and stderr (flags bit i: descriptor i is passed; so the
// child writes where its parent's output goes now, as under fork and spawn;
// stdin, and any that is closed, is /dev/null) and the exported descriptors.
// The server reports 'P' (with a pidfd) and later 'X' on the status socket,
// then closes it: the status socket is the child's sentinel. The server
// exits when the client closes its socket, and dies with the client
// (PR_SET_PDEATHSIG), taking its children with it.
#pragma once

#include "lifecycle/child.hpp"
#include "lifecycle/self.hpp"

#include <mproc/detail/start/process_target.hpp>

#include <memory>
#include <sys/types.h>

namespace mproc::start::forkserver {

/// Starts `target` in a child forked by this process's fork server (started
/// on first use, restarted if it died).
std::unique_ptr<lifecycle::child> launch(const detail::process_target& target, const self::child_context& context);

/// The server's main loop, in the process started with forkserver_flag:
/// requests arrive on `requests`.
[[noreturn]] void serve(int requests) noexcept;

}  // namespace mproc::start::forkserver
