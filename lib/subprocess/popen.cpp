#include "lifecycle/abandoned.hpp"
#include "posix/child.hpp"
#include "posix/fd.hpp"
#include "posix/poll.hpp"
#include "subprocess/command.hpp"
#include "subprocess/communicate.hpp"
#include "subprocess/spawn_command.hpp"
#include "subprocess/stdio.hpp"
#include "subprocess/stream_access.hpp"

#include <mproc/subprocess.hpp>

#include <array>
#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mproc::subprocess {

struct Popen::Impl {
    std::vector<std::string> args;
    posix::child_handle child;
    std::array<Stream, 3> streams;
    std::array<bool, 3> piped{};
    detail::communication comm;

    Stream* piped_stream(int i) { return piped[static_cast<std::size_t>(i)] ? &streams[static_cast<std::size_t>(i)] : nullptr; }
};

Popen::Popen(std::vector<std::string> args, PopenOptions options) : impl_(std::make_unique<Impl>()) {
    lifecycle::reap_abandoned();  // as CPython's subprocess._cleanup
    detail::command cmd = detail::make_command(args, options.shell, options.executable, options.env);
    // Checked before any descriptor is made for the child: a number that is
    // free now could be given to one of its pipes, and then be passed on.
    for (int fd : options.pass_fds) {
        if (fd < 0) throw std::invalid_argument("subprocess: negative descriptor in pass_fds");
        if (!posix::is_open(fd))
            throw std::system_error(EBADF, std::system_category(),
                                    "subprocess: pass_fds: descriptor " + std::to_string(fd) + " is not open");
    }
    detail::stdio_setup stdio = detail::make_stdio(options.std_in, options.std_out, options.std_err);

    detail::launch_request request;
    request.cmd = &cmd;
    request.stdio = stdio.child_source;
    request.pass_fds = std::move(options.pass_fds);
    request.close_fds = options.close_fds;
    request.new_session = options.start_new_session;
    request.process_group = options.process_group;
    request.cwd = &options.cwd;
    impl_->child = posix::child_handle(detail::launch(request));
    // stdio.child_owned closes the child's ends here, on return.

    for (std::size_t i = 0; i < 3; ++i) {
        if (!stdio.parent_end[i]) continue;
        impl_->streams[i] = Stream(std::move(stdio.parent_end[i]));
        impl_->piped[i] = true;
    }
    impl_->args = std::move(args);
}

Popen::Popen(Popen&&) noexcept = default;

Popen& Popen::operator=(Popen&& other) noexcept {
    Popen old(std::move(*this));  // its destructor lets go of our current child
    impl_ = std::move(other.impl_);
    return *this;
}

Popen::~Popen() {
    if (!impl_) return;
    try {
        if (impl_->child && !impl_->child.poll()) lifecycle::abandon(std::move(impl_->child));
    } catch (...) {
        // poll failed: the child is not ours to wait for any more.
    }
}

Popen::Impl& Popen::impl() const {
    if (!impl_) throw SubprocessError("Popen: used after being moved from");
    return *impl_;
}

const std::vector<std::string>& Popen::args() const { return impl().args; }
pid_t Popen::pid() const { return impl().child.pid(); }
std::optional<int> Popen::returncode() const { return impl().child.returncode(); }
std::optional<int> Popen::poll() { return impl().child.poll(); }

int Popen::wait() { return *impl().child.wait(std::nullopt); }

int Popen::wait(std::chrono::duration<double> timeout) {
    Impl& s = impl();
    if (auto code = s.child.wait(posix::deadline_after(timeout))) return *code;
    throw TimeoutExpired(s.args, timeout);
}

CommunicateResult Popen::communicate(std::string_view input, std::optional<std::chrono::duration<double>> timeout) {
    Impl& s = impl();
    detail::communication& c = s.comm;
    if (!input.empty()) {
        if (!s.piped[0]) throw std::invalid_argument("Popen::communicate: input given but stdin is not a PIPE");
        if (c.started) throw std::invalid_argument("Popen::communicate: cannot send input after starting communication");
    }
    const posix::deadline until = posix::deadline_after(timeout);
    if (!c.started) {
        c.started = true;
        c.input = input;  // the caller's bytes, valid during this call
        if (s.piped[1]) c.out.assign(stream_access::take_buffered(s.streams[1]));
        if (s.piped[2]) c.err.assign(stream_access::take_buffered(s.streams[2]));
    }
    if (!detail::exchange(s.piped_stream(0), s.piped_stream(1), s.piped_stream(2), c, until)) {
        if (!c.input.empty() && c.input.data() != c.saved_input.data()) {
            c.saved_input.assign(c.input);  // the caller's input does not outlive this call
            c.input = c.saved_input;
        }
        throw TimeoutExpired(s.args, *timeout, c.out.copy(), c.err.copy());
    }
    c.saved_input.clear();
    c.input = {};
    if (!s.child.wait(until)) throw TimeoutExpired(s.args, *timeout, c.out.copy(), c.err.copy());
    return CommunicateResult{c.out.take(), c.err.take()};
}

void Popen::send_signal(int sig) { impl().child.send_signal(sig); }
void Popen::terminate() { send_signal(SIGTERM); }
void Popen::kill() { send_signal(SIGKILL); }

Stream& Popen::std_in() {
    Impl& s = impl();
    if (!s.piped[0]) throw SubprocessError("Popen::std_in: stdin is not a PIPE");
    return s.streams[0];
}

Stream& Popen::std_out() {
    Impl& s = impl();
    if (!s.piped[1]) throw SubprocessError("Popen::std_out: stdout is not a PIPE");
    return s.streams[1];
}

Stream& Popen::std_err() {
    Impl& s = impl();
    if (!s.piped[2]) throw SubprocessError("Popen::std_err: stderr is not a PIPE");
    return s.streams[2];
}

}  // namespace mproc::subprocess
