// The Boost.Process v2 launcher protocol — initializers with on_setup (in the
// parent), on_exec_setup (in the child), on_error and on_success hooks, the
// launcher's `env` and `fd_whitelist` — driving our posix::spawn.
//
// Boost 1.81's own launchers cannot be used as they are, and their init hooks
// cannot repair them, because the defects sit in the launch step itself (see
// lib/posix/spawn.hpp): default_launcher fork()s (page tables copied),
// vfork_launcher calls io_context::notify_fork in the child
// (boostorg/process#314), both close no descriptors (boostorg/process#360,
// fixed in 1.85), call exit() instead of _exit() after a failed exec
// (boostorg/process#514) and leave the failed child a zombie
// (boostorg/process#285). So the launch step is posix::spawn, and this
// launcher keeps the rest of v2's protocol: its process_start_dir
// initializer changes directory in the child, and pass_fds travel in the
// launcher's fd_whitelist.
//
// Not used from v2 1.81, for these reasons:
//  - process_stdio: Asio pipes are not O_CLOEXEC (a concurrent Popen inherits
//    them and EOF never comes; boostorg/process#170), file targets are
//    neither truncated nor O_CLOEXEC, and dup2 in order clobbers a source
//    among 0-2 (subprocess/stdio.cpp does these);
//  - process_environment: its on_setup is only defined in src.hpp, which
//    refuses header-only builds (environment_init below);
//  - posix::bind_fd: its on_setup returns no value (undefined behaviour), and
//    binding a descriptor to itself leaves it close-on-exec (pass_fds are
//    kept through fd_whitelist instead);
//  - basic_process: its destructor SIGKILLs a running child and waits for it,
//    and it needs an io_context; Python keeps the child running and reaps it
//    later (posix::child_handle, lifecycle::abandon).
#include "subprocess/launcher.hpp"

#include "posix/spawn.hpp"

#include <boost/process/v2/posix/default_launcher.hpp>
#include <boost/process/v2/start_dir.hpp>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <tuple>

namespace mproc::subprocess::detail {

namespace {

namespace bp = boost::process::v2;
using bp_path = bp::filesystem::path;

// Sets the child's environment in on_setup, as v2's process_environment would.
struct environment_init {
    const char* const* envp;
    bp::error_code on_setup(bp::posix::default_launcher& launcher, const bp_path&, const char* const*) {
        launcher.env = envp;
        return {};
    }
};

// A v2 launcher whose launch step is posix::spawn.
class spawn_launcher : public bp::posix::default_launcher {
public:
    template <class... Inits>
    pid_t operator()(const bp_path& exe, const command& cmd, posix::spawn_plan plan, Inits&... inits) {
        const char* const* cmd_line = cmd.argv.data();
        if (bp::error_code ec = bp::posix::detail::on_setup(*this, exe, cmd_line, inits...)) {
            bp::posix::detail::on_error(*this, exe, cmd_line, ec, inits...);
            throw std::system_error(ec.value(), std::system_category(), "subprocess: preparing the child");
        }
        plan.argv = cmd_line;
        plan.envp = env;

        std::vector<int> keep;
        for (int fd : fd_whitelist)
            if (fd > 2) keep.push_back(fd);
        std::sort(keep.begin(), keep.end());
        keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
        plan.keep_fds = keep.data();
        plan.keep_count = keep.size();

        exec_setup<Inits...> setup{*this, exe, cmd_line, std::tie(inits...)};
        plan.child_hook = &exec_setup<Inits...>::run;
        plan.hook_context = &setup;

        try {
            pid = posix::spawn(plan);
        } catch (const std::system_error& e) {
            bp::error_code ec(e.code().value(), bp::system_category());
            bp::posix::detail::on_error(*this, exe, cmd_line, ec, inits...);
            throw;
        }
        bp::posix::detail::on_success(*this, exe, cmd_line, inits...);
        return pid;
    }

private:
    // The initializers' on_exec_setup, run in the child by posix::spawn.
    template <class... Inits>
    struct exec_setup {
        spawn_launcher& launcher;
        const bp_path& exe;
        const char* const* cmd_line;
        std::tuple<Inits&...> inits;

        static int run(void* self) {
            auto& s = *static_cast<exec_setup*>(self);
            const char* const* cmd_line = s.cmd_line;
            bp::error_code ec = std::apply(
                [&](auto&... init) { return bp::posix::detail::on_exec_setup(s.launcher, s.exe, cmd_line, init...); },
                s.inits);
            return ec ? (ec.value() ? ec.value() : EINVAL) : 0;
        }
    };
};

std::string quoted(const std::string& text) { return "'" + text + "'"; }

// The message for a failed start, naming what the child could not do.
std::string failure_message(const posix::spawn_error& e, const launch_request& r) {
    switch (e.stage()) {
        case posix::spawn_stage::exec: return "subprocess: cannot execute " + quoted(r.cmd->program);
        case posix::spawn_stage::hook:
            return "subprocess: cannot change to directory " + quoted(r.cwd && *r.cwd ? (*r.cwd)->string() : "");
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
    plan.stdio[0] = r.stdio[0];
    plan.stdio[1] = r.stdio[1];
    plan.stdio[2] = r.stdio[2];
    plan.close_fds = r.close_fds;
    plan.new_session = r.new_session;
    plan.process_group = r.process_group ? *r.process_group : -1;

    spawn_launcher launcher;
    launcher.fd_whitelist.insert(launcher.fd_whitelist.end(), r.pass_fds.begin(), r.pass_fds.end());
    const bp_path exe(r.cmd->program);
    environment_init environment{r.cmd->envp.empty() ? launcher.env : r.cmd->envp.data()};
    try {
        if (r.cwd && *r.cwd) {
            bp::process_start_dir start_dir(bp_path((*r.cwd)->native()));
            return launcher(exe, *r.cmd, plan, environment, start_dir);
        }
        return launcher(exe, *r.cmd, plan, environment);
    } catch (const posix::spawn_error& e) {
        throw std::system_error(e.code(), failure_message(e, r));
    }
}

}  // namespace mproc::subprocess::detail
