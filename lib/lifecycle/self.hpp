// Who this process is in mproc's family tree: its name, its identity (the
// path of child indices from the main process that gives "Process-1:2"), the
// daemon flag, and who its parent is. The main process is "MainProcess".
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace mproc::self {

/// Everything a new child needs to know about itself, prepared in the parent.
struct child_context {
    std::string name;
    std::vector<int> identity;
    bool daemon = false;
    pid_t parent_pid = 0;
    std::string parent_name;
};

/// The identity of this process's next child: this process's identity plus
/// the next child number (1, 2, ...).
std::vector<int> next_child_identity();

/// "Process-" and the identity joined with ':'.
std::string default_name(const std::vector<int>& identity);

/// The context for a child of this process.
child_context context_for_child(std::string name, std::vector<int> identity, bool daemon);

/// Makes this (new child) process `context`; its own children are numbered
/// from 1 again. Allocates nothing.
void become(child_context& context) noexcept;

/// Whether this process is a daemon child.
bool is_daemon();

/// What this process knows of itself; parent_pid 0 for the main process.
struct identity {
    std::string name;
    bool daemon = false;
    pid_t parent_pid = 0;
    std::string parent_name;
};
identity who_am_i();

}  // namespace mproc::self
