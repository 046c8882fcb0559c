// Starting the child with posix::spawn (see spawn_command.cpp for where
// Boost.Process v2 is used and where it is not).
#pragma once

#include "subprocess/command.hpp"

#include <array>
#include <filesystem>
#include <optional>
#include <sys/types.h>
#include <vector>

namespace mproc::subprocess::detail {

struct launch_request {
    const command* cmd = nullptr;
    std::array<int, 3> stdio;                    // posix::spawn_plan::stdio
    std::vector<int> pass_fds;
    bool close_fds = true;
    bool new_session = false;
    std::optional<pid_t> process_group;
    const std::optional<std::filesystem::path>* cwd = nullptr;
};

/// Starts the child and returns its pid once it has exec'd. Throws
/// std::system_error with the child's errno and a message naming what
/// failed (the program, the working directory, ...); the failed child has
/// been reaped.
pid_t launch(const launch_request& request);

}  // namespace mproc::subprocess::detail
