// A pool worker's life, in the worker process: the initializer, a hello,
// then tasks until told to stop (see protocol.hpp).
#pragma once

#include <mproc/connection.hpp>

#include <string>

namespace mproc::detail::pool {

/// The target of every worker Process (a free function: it crosses to
/// spawned workers). `descriptors` is the descriptor channel, `config` an
/// encoded protocol::worker_config (see protocol.hpp).
void run_worker(Connection parent, Connection descriptors, std::string config);

}  // namespace mproc::detail::pool
