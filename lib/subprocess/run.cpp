// run, call, check_call, check_output: Popen + communicate, as Python's.
#include "posix/process_group.hpp"

#include <mproc/subprocess.hpp>

#include <csignal>
#include <stdexcept>

namespace mproc::subprocess {

namespace {

PopenOptions popen_options(RunOptions& o) {
    PopenOptions p;
    p.std_in = std::move(o.std_in);
    p.std_out = std::move(o.std_out);
    p.std_err = std::move(o.std_err);
    p.cwd = std::move(o.cwd);
    p.env = std::move(o.env);
    p.shell = o.shell;
    p.executable = std::move(o.executable);
    p.start_new_session = o.start_new_session;
    p.process_group = o.process_group;
    p.pass_fds = std::move(o.pass_fds);
    p.close_fds = o.close_fds;
    if (o.input) {
        if (p.std_in.kind() != Redirect::Kind::inherit)
            throw std::invalid_argument("subprocess.run: stdin and input may not both be used");
        p.std_in = PIPE;
    }
    if (o.capture_output) {
        if (p.std_out.kind() != Redirect::Kind::inherit || p.std_err.kind() != Redirect::Kind::inherit)
            throw std::invalid_argument("subprocess.run: stdout and stderr may not be used with capture_output");
        p.std_out = PIPE;
        p.std_err = PIPE;
    }
    return p;
}

// Kills the child — and its process group when it leads one, so nothing it
// started keeps running or keeps our pipes open — then reaps it.
void kill_and_reap(Popen& proc, bool leads_group) noexcept {
    try {
        if (!proc.returncode()) {
            if (leads_group) posix::signal_process_group(proc.pid(), SIGKILL);  // not reaped yet: the group is ours
            proc.kill();
        }
        proc.wait();
    } catch (...) {
        // Nothing more we can do; the child is abandoned by ~Popen.
    }
}

}  // namespace

CompletedProcess run(std::vector<std::string> args, RunOptions options) {
    const bool leads_group =
        options.start_new_session || (options.process_group && *options.process_group == 0);
    const std::optional<std::string> input = std::move(options.input);
    const auto timeout = options.timeout;
    const bool check = options.check;
    Popen proc(args, popen_options(options));

    CommunicateResult out;
    try {
        out = proc.communicate(input ? std::string_view(*input) : std::string_view(), timeout);
    } catch (const TimeoutExpired&) {
        kill_and_reap(proc, leads_group);
        // Collect what the dead child left in the pipes, without waiting for
        // anyone else who might still hold them.
        try {
            out = proc.communicate({}, std::chrono::duration<double>::zero());
        } catch (const TimeoutExpired& rest) {
            out = {rest.output, rest.std_err};
        }
        throw TimeoutExpired(std::move(args), *timeout, std::move(out.std_out), std::move(out.std_err));
    } catch (...) {
        kill_and_reap(proc, leads_group);
        throw;
    }

    CompletedProcess result{std::move(args), *proc.returncode(), std::move(out.std_out), std::move(out.std_err)};
    if (check) result.check_returncode();
    return result;
}

int call(std::vector<std::string> args, RunOptions options) { return run(std::move(args), std::move(options)).returncode; }

int check_call(std::vector<std::string> args, RunOptions options) {
    options.check = true;
    return run(std::move(args), std::move(options)).returncode;
}

std::string check_output(std::vector<std::string> args, RunOptions options) {
    if (options.std_out.kind() != Redirect::Kind::inherit)
        throw std::invalid_argument("subprocess.check_output: stdout is captured, it may not be set");
    options.std_out = PIPE;
    options.check = true;
    return run(std::move(args), std::move(options)).std_out;
}

}  // namespace mproc::subprocess
