// One entry for every start method (CPython's context.py Popen selection).
#pragma once

#include "lifecycle/child.hpp"
#include "lifecycle/self.hpp"

#include <mproc/detail/start/process_target.hpp>
#include <mproc/start_method.hpp>

#include <memory>

namespace mproc::start {

/// Starts a child running `target` with `method`; it becomes `context`.
/// Throws ProcessError when the target cannot cross (spawn, forkserver) or
/// MPROC_MAIN is missing, std::system_error when the OS refuses.
std::unique_ptr<lifecycle::child> launch(start_method method, detail::process_target& target, self::child_context context);

}  // namespace mproc::start
