// A child's task as it crosses to a re-executed program (spawn, forkserver),
// in two frames on a pipe: who the child is, the entry to call (a code_ref)
// and the Boost-serialized target and arguments; then the numbers at which
// the child finds the descriptors its arguments carry.
#pragma once

#include "lifecycle/self.hpp"

#include <mproc/detail/start/process_target.hpp>
#include <mproc/unique_fd.hpp>

#include <string>
#include <vector>

namespace mproc::start {

struct encoded_task {
    std::string bytes;
    std::vector<int> fds;  // exported descriptors, still owned by the arguments
};

/// Encodes `target` for a re-executed child that will become `context`.
/// Throws ProcessError when the target or an argument cannot cross.
encoded_task encode_task(const detail::process_target& target, const self::child_context& context);

/// Sends the task on `pipe` (then closes it), with `child_fds`: where the
/// child finds task.fds. A child that died before reading it is not an error
/// here: its exit code tells why.
void send_task(posix::unique_fd pipe, const encoded_task& task, const std::vector<int>& child_fds);

/// In a re-executed child: reads the task from `task_fd`, becomes the process
/// it describes, runs the target and _exits with its exit code.
[[noreturn]] void run_task_from_fds(int task_fd) noexcept;

}  // namespace mproc::start
