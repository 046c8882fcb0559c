// The fork-server loop (see fork_server.hpp). Children are reaped through a
// signalfd: every child of a fork server is its own (no handler is
// installed in a user's process).
#include "start/fork_server.hpp"

#include "posix/fd_passing.hpp"
#include "posix/fork.hpp"
#include "posix/parent_death.hpp"
#include "posix/pidfd.hpp"
#include "posix/poll.hpp"
#include "posix/process_id.hpp"
#include "posix/reap.hpp"
#include "posix/signals.hpp"

#include <mproc/detail/codec/wire.hpp>
#include <mproc/errors.hpp>

#include <cerrno>
#include <cstdio>
#include <map>
#include <system_error>

namespace mproc::start::fork_server {

namespace {

// The largest report: an 'F' with its text.
constexpr std::size_t max_message = 4096;

void send_report(int sock, const std::string& message, int pidfd = -1) noexcept {
    try {
        if (pidfd >= 0)
            posix::send_with_fds(sock, message.data(), message.size(), std::span<const int>(&pidfd, 1));
        else
            posix::send_with_fds(sock, message.data(), message.size(), {});
    } catch (...) {
        // The client is gone: nobody is waiting for this child.
    }
}

void send_failed(int sock, std::uint64_t token, int err, std::string_view why) noexcept {
    try {
        std::string m(1, 'F');
        detail::wire_writer(m).u64(token).i32(err).text(why.substr(0, max_message - 32));
        send_report(sock, m);
    } catch (...) {
    }
}

class server {
public:
    server(posix::unique_fd requests, launcher& l, int lifeline)
        : requests_(std::move(requests)), launcher_(l), lifeline_(lifeline), mask_(posix::thread_signal_mask()),
          sigchld_(posix::open_sigchld_fd()) {}

    void run() {
        for (;;) {
            if (quitting_ && children_.empty()) return;
            pollfd fds[3] = {{quitting_ ? -1 : requests_.get(), POLLIN, 0},
                             {sigchld_.get(), POLLIN, 0},
                             {quitting_ ? -1 : lifeline_, POLLIN, 0}};
            posix::poll_until(fds, 3, std::nullopt);
            if (fds[1].revents) reap();
            if (fds[2].revents) end_of_client();
            if (fds[0].revents && !quitting_) serve_request();
        }
    }

private:
    struct child {
        std::uint64_t token;
        posix::unique_fd own_report;  // empty: reports go to the server's socket
    };

    int report_socket(const child& c) const noexcept { return c.own_report ? c.own_report.get() : requests_.get(); }

    void reap() {
        posix::drain_signal_fd(sigchld_.get());
        while (auto ended = posix::reap_any_child()) {
            auto found = children_.find(ended->pid);
            if (found == children_.end()) continue;
            std::string m(1, 'X');
            detail::wire_writer(m).u64(found->second.token).i32(ended->pid).i32(ended->returncode);
            send_report(report_socket(found->second), m);
            children_.erase(found);
        }
    }

    // The client is gone: so are we, and our children.
    void end_of_client() noexcept {
        kill_children();
        quitting_ = true;
    }

    void kill_children() noexcept {
        for (auto& entry : children_) posix::signal_process(-1, entry.first, SIGKILL);
    }

    void serve_request() {
        char buf[64];
        std::vector<posix::unique_fd> fds;
        std::optional<std::size_t> n;
        const bool own = launcher_.own_report_socket();
        try {
            n = posix::recv_with_fds(requests_.get(), buf, sizeof buf, fds);
        } catch (const std::system_error& e) {
            // Out of descriptors (each running child holds one here): the
            // kernel dropped some of the request's. Refuse this child only.
            if (e.code().value() != EMSGSIZE) throw;
            const int reply = own ? (fds.empty() ? -1 : fds[0].get()) : requests_.get();
            if (reply >= 0) send_failed(reply, token_of(buf, sizeof buf), EMFILE, "");
            return;
        }
        if (!n || *n == 0) {
            end_of_client();
            return;
        }
        detail::wire_reader in(std::string_view(buf, *n));
        const char kind = static_cast<char>(in.u8());
        if (kind == 'Q' || kind == 'K') {
            if (kind == 'K') kill_children();
            quitting_ = true;
            return;
        }
        posix::unique_fd own_report;
        if (own && !fds.empty()) {
            own_report = std::move(fds.front());
            fds.erase(fds.begin());
        }
        const int reply = own ? own_report.get() : requests_.get();
        request r;
        try {
            if (kind != 'S') throw ProtocolError("unknown request");
            r.token = in.u64();
            r.flags = in.u32();
            r.fds = std::move(fds);
            if (own && reply < 0) throw ProtocolError("no report socket");
            launcher_.prepare(r);
        } catch (const std::exception& e) {
            if (reply >= 0) send_failed(reply, r.token, EPROTO, e.what());
            return;
        }
        const pid_t me = posix::current_pid();
        pid_t pid;
        try {
            posix::flush_standard_streams();
            pid = posix::fork();
        } catch (const std::system_error& e) {
            send_failed(reply, r.token, e.code().value(), e.what());
            return;
        }
        if (pid == 0) {
            const int own_fds[2] = {requests_.get(), sigchld_.get()};
            launcher_.become(r, server_state{me, mask_, own_fds});
        }
        posix::unique_fd pidfd = posix::pidfd_open(pid);
        std::string m(1, 'P');
        detail::wire_writer(m).u64(r.token).i32(pid);
        send_report(reply, m, pidfd.get());
        children_.emplace(pid, child{r.token, std::move(own_report)});
    }

    static std::uint64_t token_of(const char* buf, std::size_t n) noexcept {
        try {
            detail::wire_reader in(std::string_view(buf, n));
            in.u8();
            return in.u64();
        } catch (...) {
            return 0;
        }
    }

    posix::unique_fd requests_;
    launcher& launcher_;
    int lifeline_;
    sigset_t mask_;
    posix::unique_fd sigchld_;
    std::map<pid_t, child> children_;
    bool quitting_ = false;
};

}  // namespace

void serve(posix::unique_fd requests, launcher& l, int lifeline) noexcept {
    try {
        server(std::move(requests), l, lifeline).run();
        posix::exit_now(0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mproc: fork server failed: %s\n", e.what());
    }
    posix::exit_now(1);
}

void send_request(int server, char kind, std::uint64_t token, std::uint32_t flags, std::span<const int> fds) {
    std::string m(1, kind);
    if (kind == 'S') detail::wire_writer(m).u64(token).u32(flags);
    posix::send_with_fds(server, m.data(), m.size(), fds);
}

std::optional<report> read_report(int sock, bool nonblocking, bool peek) {
    char buf[max_message];
    std::vector<posix::unique_fd> fds;
    std::optional<std::size_t> n = posix::recv_with_fds(sock, buf, sizeof buf, fds, nonblocking, peek);
    if (!n) return std::nullopt;
    report r;
    if (*n == 0) return r;
    detail::wire_reader in(std::string_view(buf, *n));
    r.kind = static_cast<char>(in.u8());
    r.token = in.u64();
    switch (r.kind) {
        case 'P':
            r.pid = in.i32();
            if (!fds.empty()) r.pidfd = std::move(fds.front());
            break;
        case 'F':
            r.value = in.i32();
            r.text = std::string(in.text());
            break;
        case 'X':
            r.pid = in.i32();
            r.value = in.i32();
            break;
        default: throw ProtocolError("malformed report from a fork server");
    }
    return r;
}

}  // namespace mproc::start::fork_server
