// A child's task as it crosses to a re-executed program (spawn, forkserver):
// who the child is, the entry to call (a code_ref) and the Boost-serialized
// target and arguments. The child reads it from descriptor task_fd; the
// descriptors its arguments carry follow from first_exported_fd on.
#pragma once

#include "current_process.hpp"
#include "posix/spawn.hpp"

#include <mproc/detail/process_target.hpp>

#include <string>
#include <vector>

namespace mproc::start {

constexpr int task_fd = posix::first_passed_fd;
constexpr int first_exported_fd = task_fd + 1;

struct encoded_task {
    std::string bytes;
    std::vector<int> fds;  // exported descriptors, still owned by the arguments
};

/// Encodes `target` for a re-executed child that will become `context`.
/// Throws ProcessError when the target or an argument cannot cross.
encoded_task encode_task(const detail::process_target& target, const self::child_context& context);

/// Sends the task on `pipe` (then closes it). A child that died before reading
/// it is not an error here: its exit code tells why.
void send_task(posix::unique_fd pipe, const std::string& bytes);

/// In a re-executed child: reads the task from task_fd, becomes the process it
/// describes, runs the target and _exits with its exit code.
[[noreturn]] void run_task_from_fds() noexcept;

}  // namespace mproc::start
