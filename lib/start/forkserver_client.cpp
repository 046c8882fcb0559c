// The client side of the fork server: one server per process, started on
// first use from a long-lived thread, restarted if it died.
#include "lifecycle/per_process.hpp"
#include "posix/child.hpp"
#include "posix/fd.hpp"
#include "posix/fd_layout.hpp"
#include "posix/fd_passing.hpp"
#include "posix/fork.hpp"
#include "posix/open.hpp"
#include "posix/pidfd.hpp"
#include "posix/signals.hpp"
#include "start/fork_server.hpp"
#include "start/forkserver.hpp"
#include "start/spawn.hpp"
#include "start/task.hpp"

#include <mproc/errors.hpp>

#include <cerrno>
#include <csignal>
#include <mutex>
#include <system_error>

namespace mproc::start::forkserver {

namespace {

// A forked child must not keep its parent's server socket open (the server
// exits when its client closes it): closed in the child right after fork.
std::atomic<int> inherited_request_fd{-1};

const bool fork_handler_installed = [] {
    posix::at_fork({nullptr, nullptr, [] {
                        posix::unique_fd{inherited_request_fd.exchange(-1)};  // closed here
                    }});
    return true;
}();

class server_popen final : public lifecycle::child {
public:
    server_popen(pid_t pid, posix::unique_fd pidfd, posix::unique_fd status)
        : pid_(pid), pidfd_(std::move(pidfd)), status_(std::move(status)) {}

    pid_t pid() const noexcept override { return pid_; }
    int sentinel() const noexcept override { return status_.get(); }

    std::optional<int> poll() override {
        if (returncode_) return returncode_;
        // Peeked, not consumed: the sentinel stays readable after the reap.
        std::optional<fork_server::report> r = fork_server::read_report(status_.get(), true, true);
        if (!r) return std::nullopt;
        // End of stream without an exit report: the server died, and the
        // child with it (Python reports 255 too).
        returncode_ = r->kind == 'X' ? r->value : 255;
        pidfd_.reset();  // only the sentinel (the status socket) stays, until the Process lets go
        return returncode_;
    }

    void send_signal(int sig) override {
        if (returncode_) return;
        if (posix::signal_process(pidfd_.get(), pid_, sig) != 0 && errno != ESRCH) posix::throw_errno("kill");
    }

private:
    pid_t pid_;
    posix::unique_fd pidfd_;
    posix::unique_fd status_;
    std::optional<int> returncode_;
};

class client {
public:
    std::unique_ptr<lifecycle::child> start(const encoded_task& task) {
        (void)fork_handler_installed;
        auto [status_mine, status_theirs] = posix::make_seqpacket_pair();
        auto [task_read, task_write] = posix::make_pipe();
        std::vector<int> fds{status_theirs.get(), task_read.get()};
        // A closed one is not passed: the child gets /dev/null there. (mproc's
        // own descriptors are never 0, 1 or 2: what is open there is the
        // program's.) Nor is stdin: it is /dev/null for every child (Python's
        // _bootstrap), which reads nothing away from the parent's input.
        std::uint32_t std_fds = 0;
        for (int fd = 1; fd < 3; ++fd) {
            if (!posix::is_open(fd)) continue;
            fds.push_back(fd);
            std_fds |= 1u << fd;
        }
        fds.insert(fds.end(), task.fds.begin(), task.fds.end());
        send_request(fds, std_fds);
        status_theirs.reset();
        task_read.reset();
        // The server's child lays its descriptors out as the task pipe, then
        // the exported ones (posix::keep_only_fds).
        std::vector<int> child_fds;
        for (std::size_t i = 0; i < task.fds.size(); ++i)
            child_fds.push_back(posix::first_passed_fd + 1 + static_cast<int>(i));
        send_task(std::move(task_write), task, child_fds);

        std::optional<fork_server::report> r = fork_server::read_report(status_mine.get(), false);
        if (!r || r->kind == 0) throw ProcessError("the fork server died before starting the child");
        if (r->kind == 'F')
            posix::throw_errno(("the fork server could not start the child" + (r->text.empty() ? "" : ": " + r->text)).c_str(),
                               r->value ? r->value : EPROTO);
        if (r->kind != 'P') throw ProtocolError("unexpected reply from the fork server");
        return std::make_unique<server_popen>(r->pid, std::move(r->pidfd), std::move(status_mine));
    }

private:
    void send_request(const std::vector<int>& fds, std::uint32_t std_fds) {
        std::lock_guard lock(mutex_);
        for (int attempt = 0;; ++attempt) {
            if (!requests_ || (server_ && server_.poll())) start_server();
            try {
                fork_server::send_request(requests_.get(), 'S', 0, std_fds, fds);
                return;
            } catch (const std::system_error& e) {
                const int err = e.code().value();
                if (attempt > 0 || (err != EPIPE && err != ECONNRESET)) throw;
                requests_.reset();  // the server died: start another
            }
        }
    }

    void start_server() {
        if (server_) server_.poll();  // reap a dead one
        inherited_request_fd.store(-1);
        requests_.reset();
        auto [mine, theirs] = posix::make_seqpacket_pair();
        const int fd = theirs.get();
        pid_t pid = spawn_self("forkserver", forkserver_flag, std::span<const int>(&fd, 1));
        server_ = posix::child_handle(pid);
        requests_ = std::move(mine);
        inherited_request_fd.store(requests_.get());
    }

    std::mutex mutex_;
    posix::unique_fd requests_;
    posix::child_handle server_;
};

per_process<client> clients;

}  // namespace

std::unique_ptr<lifecycle::child> launch(const detail::process_target& target, const self::child_context& context) {
    require_main_hook("forkserver");
    encoded_task task = encode_task(target, context);
    return clients.get().start(task);
}

}  // namespace mproc::start::forkserver
