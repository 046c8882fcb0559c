// A pool worker's life, in the worker process: the initializer, a hello,
// then tasks until told to stop (see protocol.hpp).
#pragma once

#include <mproc/connection.hpp>

#include <string>

namespace mproc::detail::pool {

/// The target of every worker Process (a free function: it crosses to
/// spawned workers). `config` is an encoded protocol::worker_config.
void run_worker(Connection parent, std::string config);

}  // namespace mproc::detail::pool
