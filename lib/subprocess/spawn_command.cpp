// Starting the child: one posix::spawn_plan, decided here, carried out by
// posix::spawn (clone(CLONE_VM | CLONE_VFORK), raw system calls in the child).
//
// Boost.Process v2 (1.81) is used where it is sound: its environment API
// (command.cpp reads the parent's PATH with it). Its launchers are not: the
// defects sit in the launch step itself (each named with its Boost issue in
// lib/posix/spawn.hpp: fork or notify_fork in the child, #314; no
// descriptors closed, #360; exit() after a failed exec, #514; a zombie
// after it, #285), and so are its initializers: process_stdio's Asio pipes
// are not O_CLOEXEC (#170; subprocess/stdio.cpp makes the pipes),
// process_environment needs src.hpp (no header-only build), posix::bind_fd's
// on_setup returns no value (pass_fds: spawn_plan::keep_fds),
// process_start_dir runs in a launcher hook (spawn_plan::cwd), and
// basic_process's destructor SIGKILLs a running child, where Python keeps it
// running and reaps it later (posix::child_handle, lifecycle::abandon).
#include "subprocess/spawn_command.hpp"

#include "posix/spawn.hpp"

#include <algorithm>
#include <string>
#include <system_error>

namespace mproc::subprocess::detail {

namespace {

std::string quoted(const std::string& text) { return "'" + text + "'"; }

// The message for a failed start, naming what the child could not do.
std::string failure_message(const posix::spawn_error& e, const launch_request& r) {
    switch (e.stage()) {
        case posix::spawn_stage::exec: return "subprocess: cannot execute " + quoted(r.cmd->program);
        case posix::spawn_stage::cwd:
            return "subprocess: cannot change to directory " + quoted(r.cwd && *r.cwd ? (*r.cwd)->string() : "");
        case posix::spawn_stage::hook: return "subprocess: cannot set up the child";
        case posix::spawn_stage::stdio: return "subprocess: cannot redirect the standard streams";
        case posix::spawn_stage::keep_fds: return "subprocess: cannot pass descriptors (pass_fds)";
        case posix::spawn_stage::signals: return "subprocess: cannot restore default signal handling";
        case posix::spawn_stage::session: return "subprocess: cannot start a new session or process group";
        case posix::spawn_stage::close_fds: return "subprocess: cannot close inherited descriptors";
    }
    return "subprocess: cannot start the child";
}

}  // namespace

pid_t launch(const launch_request& r) {
    posix::spawn_plan plan;
    plan.programs = r.cmd->candidates.data();
    plan.argv = r.cmd->argv.data();
    if (!r.cmd->envp.empty()) plan.envp = r.cmd->envp.data();
    plan.stdio[0] = r.stdio[0];
    plan.stdio[1] = r.stdio[1];
    plan.stdio[2] = r.stdio[2];
    plan.close_fds = r.close_fds;
    plan.new_session = r.new_session;
    plan.process_group = r.process_group ? *r.process_group : -1;
    const std::string cwd = r.cwd && *r.cwd ? (*r.cwd)->string() : std::string();
    if (!cwd.empty()) plan.cwd = cwd.c_str();

    std::vector<int> keep;
    for (int fd : r.pass_fds)
        if (fd > 2) keep.push_back(fd);
    std::sort(keep.begin(), keep.end());
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    plan.keep_fds = keep.data();
    plan.keep_count = keep.size();

    try {
        return posix::spawn(plan);
    } catch (const posix::spawn_error& e) {
        throw std::system_error(e.code(), failure_message(e, r));
    }
}

}  // namespace mproc::subprocess::detail
