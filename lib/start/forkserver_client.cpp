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
        reply r{};
        std::vector<posix::unique_fd> fds;
        // Peeked, not consumed: the sentinel stays readable after the reap.
        std::optional<std::size_t> n = posix::recv_with_fds(status_.get(), &r, sizeof r, fds, true, true);
        if (!n) return std::nullopt;
        // End of stream without an exit report: the server died, and the
        // child with it (Python reports 255 too).
        returncode_ = *n == sizeof r && r.kind == reply_kind::exited ? r.value : 255;
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
        std::uint32_t std_fds = 0;
        for (int fd = 0; fd < 3; ++fd) {
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

        reply r{};
        std::vector<posix::unique_fd> received;
        std::optional<std::size_t> n = posix::recv_with_fds(status_mine.get(), &r, sizeof r, received);
        if (!n || *n != sizeof r) throw ProcessError("the fork server died before starting the child");
        if (r.kind == reply_kind::failed) posix::throw_errno("the fork server could not start the child", r.value);
        if (r.kind != reply_kind::started) throw ProtocolError("unexpected reply from the fork server");
        posix::unique_fd pidfd = received.empty() ? posix::unique_fd() : std::move(received.front());
        return std::make_unique<server_popen>(r.value, std::move(pidfd), std::move(status_mine));
    }

private:
    void send_request(const std::vector<int>& fds, std::uint32_t std_fds) {
        request r;
        r.fd_count = static_cast<std::uint32_t>(fds.size());
        r.std_fds = std_fds;
        std::lock_guard lock(mutex_);
        for (int attempt = 0;; ++attempt) {
            if (!requests_ || (server_ && server_.poll())) start_server();
            try {
                posix::send_with_fds(requests_.get(), &r, sizeof r, fds);
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
        posix::move_above_stdio(theirs);  // spawn_self keeps fds above 2
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
