// The fork server's loop: single-threaded, so forking here is as safe as
// forking a fresh program. Children are reaped through a signalfd (this is
// mproc's own process: no handler is installed in the user's).
#include "posix/child.hpp"
#include "posix/fd.hpp"
#include "posix/fd_layout.hpp"
#include "posix/fd_passing.hpp"
#include "posix/fork.hpp"
#include "posix/parent_death.hpp"
#include "posix/pidfd.hpp"
#include "posix/poll.hpp"
#include "posix/process_id.hpp"
#include "posix/reap.hpp"
#include "posix/signals.hpp"
#include "start/forkserver.hpp"
#include "start/task.hpp"

#include <bit>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <map>
#include <system_error>
#include <vector>

namespace mproc::start::forkserver {

namespace {

void send_reply(int status, reply r, int pidfd = -1) noexcept {
    try {
        if (pidfd >= 0)
            posix::send_with_fds(status, &r, sizeof r, std::span<const int>(&pidfd, 1));
        else
            posix::send_with_fds(status, &r, sizeof r, {});
    } catch (...) {
        // The client is gone: nobody is waiting for this child.
    }
}

class server {
public:
    explicit server(posix::unique_fd requests)
        : requests_(std::move(requests)), mask_(posix::thread_signal_mask()), sigchld_(posix::open_sigchld_fd()) {}

    [[noreturn]] void run() {
        for (;;) {
            pollfd fds[2] = {{requests_.get(), POLLIN, 0}, {sigchld_.get(), POLLIN, 0}};
            posix::poll_until(fds, 2, std::nullopt);
            if (fds[1].revents) reap();
            if (fds[0].revents) serve_request();
        }
    }

private:
    void reap() {
        posix::drain_signal_fd(sigchld_.get());
        while (auto child = posix::reap_any_child()) {
            auto found = status_.find(child->pid);
            if (found == status_.end()) continue;
            send_reply(found->second.get(), {reply_kind::exited, child->returncode});
            status_.erase(found);
        }
    }

    void serve_request() {
        request r;
        std::vector<posix::unique_fd> fds;
        std::optional<std::size_t> n;
        try {
            n = posix::recv_with_fds(requests_.get(), &r, sizeof r, fds);
        } catch (const std::system_error& e) {
            // Out of descriptors (each running child holds one here): the
            // kernel dropped some of the request's. Refuse this child only.
            if (e.code().value() != EMSGSIZE) posix::exit_now(1);
            if (!fds.empty()) send_reply(fds[0].get(), {reply_kind::failed, EMFILE});
            return;
        }
        if (!n || *n == 0) posix::exit_now(0);  // the client is gone: so are we
        const int std_count = std::popcount(r.std_fds & 7u);
        if (*n != sizeof r || r.magic != request_magic || fds.size() != r.fd_count ||
            r.fd_count < 2u + std_count) {
            if (!fds.empty()) send_reply(fds[0].get(), {reply_kind::failed, EPROTO});
            return;
        }
        const int status = fds[0].get();
        int std_fds[3] = {-1, -1, -1};  // the client's standard descriptors
        std::size_t next = 2;
        for (int i = 0; i < 3; ++i)
            if (r.std_fds & (1u << i)) std_fds[i] = fds[next++].get();
        std::vector<int> child_fds{fds[1].get()};  // the task pipe, then the exported descriptors
        for (std::size_t i = next; i < fds.size(); ++i) child_fds.push_back(fds[i].get());
        const pid_t me = posix::current_pid();
        pid_t pid;
        try {
            pid = posix::fork();
        } catch (const std::system_error& e) {
            send_reply(status, {reply_kind::failed, e.code().value()});
            return;
        }
        if (pid == 0) become_child(me, std_fds, child_fds);
        posix::unique_fd pidfd = posix::pidfd_open(pid);
        send_reply(status, {reply_kind::started, pid}, pidfd.get());
        status_.emplace(pid, std::move(fds[0]));
    }

    [[noreturn]] void become_child(pid_t server_pid, const int (&std_fds)[3], const std::vector<int>& fds) noexcept {
        posix::default_signal(SIGINT);
        posix::set_thread_signal_mask(mask_);
        if (!posix::die_with_parent(server_pid)) posix::exit_now(1);
        // The client's standard descriptors become ours, the task pipe
        // first_passed_fd, the exported descriptors follow; nothing else stays.
        if (!posix::set_standard_fds(std_fds) || !posix::keep_only_fds(fds)) posix::exit_now(1);
        run_task_from_fds(posix::first_passed_fd);
    }

    posix::unique_fd requests_;
    sigset_t mask_;
    posix::unique_fd sigchld_;
    std::map<pid_t, posix::unique_fd> status_;  // running children's status sockets
};

}  // namespace

void serve(int requests) noexcept {
    // A Ctrl-C meant for the program reaches its whole process group: the
    // server ignores it (its children do not), as Python's does.
    posix::ignore_signal(SIGINT);
    try {
        server(posix::unique_fd(requests)).run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mproc: fork server failed: %s\n", e.what());
    }
    posix::exit_now(1);
}

}  // namespace mproc::start::forkserver
