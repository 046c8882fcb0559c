// The fork start method: the child is a copy of the parent and calls the
// target in place, then _exits.
#pragma once

#include "lifecycle/child.hpp"
#include "lifecycle/self.hpp"

#include <mproc/detail/start/process_target.hpp>

#include <memory>

namespace mproc::start {

/// Forks a child (from a long-lived thread) that becomes `context` and runs
/// `target`. Throws std::system_error when fork fails.
std::unique_ptr<lifecycle::child> launch_fork(detail::process_target& target, self::child_context context);

}  // namespace mproc::start
