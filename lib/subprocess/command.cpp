#include "subprocess/command.hpp"

#include <boost/process/v2/environment.hpp>

#include <stdexcept>
#include <string_view>

namespace mproc::subprocess::detail {

namespace {

// Python's os.defpath: the search path when the environment has no PATH.
constexpr std::string_view default_path = "/bin:/usr/bin";

void check_no_nul(std::string_view text, const char* what) {
    if (text.find('\0') != std::string_view::npos)
        throw std::invalid_argument(std::string("subprocess: embedded NUL byte in ") + what);
}

// The PATH the child will see (Python: os.get_exec_path(env)).
std::string search_path(const std::optional<std::map<std::string, std::string>>& env) {
    if (env) {
        auto it = env->find("PATH");
        return it == env->end() ? std::string(default_path) : it->second;
    }
    boost::process::v2::error_code missing;
    auto path = boost::process::v2::environment::get("PATH", missing);
    return missing ? std::string(default_path) : path.string();
}

// A name without '/' is tried in every PATH directory (an empty entry means
// the working directory, as in Python); a path is used as is.
std::vector<std::string> candidates_for(const std::string& program, std::string_view path) {
    if (program.find('/') != std::string::npos) return {program};
    std::vector<std::string> found;
    for (std::size_t start = 0;;) {
        std::size_t end = path.find(':', start);
        std::string_view dir = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (dir.empty())
            found.push_back(program);
        else
            found.push_back(std::string(dir) + (dir.back() == '/' ? "" : "/") + program);
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return found;
}

}  // namespace

command make_command(const std::vector<std::string>& args, bool shell,
                     const std::optional<std::filesystem::path>& executable,
                     const std::optional<std::map<std::string, std::string>>& env) {
    if (args.empty()) throw std::invalid_argument("subprocess: args must not be empty");
    command cmd;
    if (shell) {
        cmd.argv_storage = {executable ? executable->string() : "/bin/sh", "-c"};
        cmd.argv_storage.insert(cmd.argv_storage.end(), args.begin(), args.end());
        cmd.program = cmd.argv_storage.front();
    } else {
        cmd.argv_storage = args;
        cmd.program = executable ? executable->string() : args.front();
    }
    if (cmd.program.empty()) throw std::invalid_argument("subprocess: empty program name");
    for (const std::string& arg : cmd.argv_storage) check_no_nul(arg, "an argument");
    check_no_nul(cmd.program, "the executable");

    cmd.argv.reserve(cmd.argv_storage.size() + 1);
    for (const std::string& arg : cmd.argv_storage) cmd.argv.push_back(arg.c_str());
    cmd.argv.push_back(nullptr);

    if (env) {
        cmd.env_storage.reserve(env->size());
        for (const auto& [name, value] : *env) {
            if (name.empty() || name.find('=') != std::string::npos)
                throw std::invalid_argument("subprocess: illegal environment variable name '" + name + "'");
            check_no_nul(name, "an environment variable name");
            check_no_nul(value, "an environment variable value");
            cmd.env_storage.push_back(name + "=" + value);
        }
        cmd.envp.reserve(cmd.env_storage.size() + 1);
        for (const std::string& entry : cmd.env_storage) cmd.envp.push_back(entry.c_str());
        cmd.envp.push_back(nullptr);
    }

    cmd.candidate_storage = candidates_for(cmd.program, search_path(env));
    cmd.candidates.reserve(cmd.candidate_storage.size() + 1);
    for (const std::string& path : cmd.candidate_storage) cmd.candidates.push_back(path.c_str());
    cmd.candidates.push_back(nullptr);
    return cmd;
}

}  // namespace mproc::subprocess::detail
