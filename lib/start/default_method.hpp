// The process-wide default start method (Python: the default context's
// chosen method). It lives here, below the facade, because a spawned or
// forkserver child receives its parent's with the task (as Python's
// preparation data carries start_method).
#pragma once

#include <mproc/start_method.hpp>

#include <optional>

namespace mproc::start {

/// The method chosen so far, if any.
std::optional<start_method> chosen_method() noexcept;

/// Fixes the default to `method` unless one was chosen; returns the default.
start_method choose_method_if_unset(start_method method) noexcept;

/// Sets the default: only if none was chosen yet unless `force`; returns
/// whether it was set.
bool set_default_method(start_method method, bool force) noexcept;

}  // namespace mproc::start
