// The registry of the children this process's Processes started: what
// active_children() lists, and Python's exit rules for them.
//
//  - Every child a Process started is tracked until it has ended.
//  - At normal exit daemon children are terminated and then every child
//    joined (multiprocessing.util._exit_function).
//  - Children die with their parent: PR_SET_PDEATHSIG, set by the start
//    methods (lib/start/).
#pragma once

#include "lifecycle/child_record.hpp"

#include <memory>
#include <vector>

namespace mproc::lifecycle {

/// Adds a child just started by this process to its registry.
void track(std::shared_ptr<child_record> child);

/// This process's children that are still running; the ones that have ended
/// are reaped and dropped from the registry.
std::vector<std::shared_ptr<child_record>> running_children();

/// Python's _exit_function: terminates this process's daemon children, then
/// joins every running child. Runs at the program's normal exit (atexit) and
/// when a child's target ends (start::exit_child).
void finish_children() noexcept;

}  // namespace mproc::lifecycle
