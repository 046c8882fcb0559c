// What to execute, in the form execve wants, built in the parent by Python's
// rules: the shell prefix, the executable override, the environment, and the
// PATH search (the candidate paths, tried in order in the child).
#pragma once

#include <mproc/subprocess.hpp>

#include <string>
#include <vector>

namespace mproc::subprocess::detail {

struct command {
    std::vector<std::string> argv_storage;
    std::vector<const char*> argv;          // null-terminated
    std::string program;                    // as given: args[0], executable or /bin/sh
    std::vector<std::string> candidate_storage;
    std::vector<const char*> candidates;    // null-terminated paths to try with execve
    std::vector<std::string> env_storage;   // "NAME=value"
    std::vector<const char*> envp;          // null-terminated; empty: inherit environ
};

/// Builds the command for `args` and the options' shell, executable and env.
/// Throws std::invalid_argument for empty args, NUL bytes, or '=' (or an
/// empty name) in an environment variable name.
command make_command(const std::vector<std::string>& args, bool shell,
                     const std::optional<std::filesystem::path>& executable,
                     const std::optional<std::map<std::string, std::string>>& env);

}  // namespace mproc::subprocess::detail
