// The common end of every child's life, whatever the start method.
#pragma once

#include <functional>

namespace mproc::start {

/// Runs a child's target. Returns 0, or 1 when an exception escaped it after
/// printing, like Python's traceback, to stderr:
///     Process Process-1:
///     std::runtime_error: what() text
int run_target(const std::function<void()>& target) noexcept;

/// Ends a child: terminates its daemon children and joins the others (as a
/// Python child does after run()), flushes the standard streams and _exits
/// with `code`: the parent's atexit handlers and static destructors do not
/// run a second time.
[[noreturn]] void exit_child(int code) noexcept;

}  // namespace mproc::start
