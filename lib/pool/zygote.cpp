#include "pool/zygote.hpp"

#include "lifecycle/self.hpp"
#include "pool/worker_main.hpp"
#include "posix/fd_passing.hpp"
#include "posix/parent_death.hpp"
#include "posix/pidfd.hpp"
#include "posix/poll.hpp"
#include "posix/process_id.hpp"
#include "posix/signals.hpp"
#include "start/fork_server.hpp"
#include "start/run_target.hpp"

#include <mproc/connection.hpp>
#include <mproc/context.hpp>

#include <csignal>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mproc::detail::pool {

namespace {

namespace fs = start::fork_server;

// A request's flag: the child is the zygote's spare, not a worker.
constexpr std::uint32_t spare_flag = 1;
// Tokens of spares (the pool's workers count up from 1).
constexpr std::uint64_t spare_bit = std::uint64_t{1} << 63;

// The zygote's launcher: each child becomes a worker, or the spare.
class worker_launcher final : public fs::launcher {
public:
    worker_launcher(std::string config, posix::unique_fd owner) : config_(std::move(config)), owner_(std::move(owner)) {}

    int owner() const noexcept { return owner_.get(); }

    bool own_report_socket() const noexcept override { return false; }

    void prepare(fs::request& r) override {
        if (r.flags & spare_flag) {
            // Without a pidfd of the owner a spare could outlive it.
            if (r.fds.size() != 1 || !owner_) throw ProtocolError("no spare here");
            return;
        }
        if (r.fds.size() != 2) throw ProtocolError("a worker needs two descriptors");
        next_ = self::context_for_child("ForkPoolWorker-" + std::to_string(++made_), self::next_child_identity(), true);
    }

    [[noreturn]] void become(fs::request& r, const fs::server_state& server) noexcept override {
        posix::set_thread_signal_mask(server.mask);
        for (int fd : server.own_fds) posix::unique_fd{fd};  // closed: the zygote's, not the child's
        if (r.flags & spare_flag) stand_by(std::move(r.fds[0]), server.pid);
        if (!posix::die_with_parent(server.pid)) posix::exit_now(1);
        owner_.reset();
        self::become(*next_);
        start::exit_child(start::run_target([&] {
            run_worker(Connection(std::move(r.fds[0]), true, true), Connection(std::move(r.fds[1]), true, true),
                       config_);
        }));
    }

private:
    // The spare: waits for the zygote `zygote` to die, then becomes the
    // zygote on `requests`. Ends when the owner ends or closes `requests`;
    // a request there means the owner saw the zygote end first.
    [[noreturn]] void stand_by(posix::unique_fd requests, pid_t zygote) noexcept {
        posix::unique_fd parent = posix::pidfd_open(zygote);
        if (parent && posix::parent_pid() == zygote) {
            pollfd fds[3] = {{requests.get(), POLLIN, 0}, {owner_.get(), POLLIN, 0}, {parent.get(), POLLIN, 0}};
            try {
                posix::poll_until(fds, 3, std::nullopt);
            } catch (...) {
                posix::exit_now(1);
            }
            if ((fds[0].revents & (POLLHUP | POLLERR)) || fds[1].revents) posix::exit_now(0);
        }
        parent.reset();
        fs::serve(std::move(requests), *this, owner_.get());
    }

    std::string config_;
    posix::unique_fd owner_;  // a pidfd of the pool's owner
    int made_ = 0;
    std::optional<self::child_context> next_;
};

// The first zygote's life (single-threaded: nothing here starts a thread).
void serve(posix::unique_fd sock, std::string config, int parent_end) {
    // The parent's end came with the fork: without it, the parent's exit
    // is an end of stream here.
    posix::unique_fd(parent_end).reset();
    const pid_t owner = posix::parent_pid();
    posix::unique_fd owner_fd = posix::pidfd_open(owner);
    if (posix::parent_pid() != owner) posix::exit_now(0);  // the owner is gone
    worker_launcher launcher(std::move(config), std::move(owner_fd));
    fs::serve(std::move(sock), launcher, launcher.owner());
}

}  // namespace

zygote::zygote(std::string worker_config) {
    auto [mine, theirs] = posix::make_seqpacket_pair();
    const int parent_end = mine.get();
    socket_ = std::move(mine);
    process_ = get_context(start_method::fork).Process(serve, std::move(theirs), std::move(worker_config), parent_end);
    process_.name("PoolZygote");
    process_.start();
    request_spare();
}

zygote::~zygote() {
    if (process_.pid() == 0) return;
    kill_workers();
    try {
        join();
    } catch (...) {
    }
}

void zygote::request_spare() noexcept {
    try {
        auto [mine, theirs] = posix::make_seqpacket_pair();
        const int fd = theirs.get();
        fs::send_request(socket_.get(), 'S', spare_bit | ++spares_, spare_flag, std::span<const int>(&fd, 1));
        spare_ = std::move(mine);
        spare_pid_ = 0;
    } catch (...) {
        // No spare: the pool breaks if this zygote dies.
    }
}

bool zygote::take_over() {
    if (stopping_ || !spare_ || !spare_pid_) return false;
    // The zygote's workers died with it (PDEATHSIG): each is replaced as any
    // dead worker is.
    for (const auto& [token, pid] : workers_) queued_.push_back(ended{token, pid, -SIGKILL});
    workers_.clear();
    if (first_) {
        try {
            process_.join();  // reaped (it has closed its socket: it is ending)
        } catch (...) {
        }
        first_ = false;
    }
    socket_ = std::move(spare_);
    pid_ = spare_pid_;
    spare_pid_ = 0;
    request_spare();
    return true;
}

bool zygote::start_worker(std::uint64_t token, const posix::unique_fd& worker_end,
                          const posix::unique_fd& channel_end) noexcept {
    const int fds[2] = {worker_end.get(), channel_end.get()};
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            fs::send_request(socket_.get(), 'S', token, 0, fds);
            workers_[token] = 0;
            return true;
        } catch (...) {
            if (gone_) return false;
            // The zygote is gone: its spare, if any, takes the request.
            try {
                if (!take_over()) return false;
            } catch (...) {
                return false;
            }
        }
    }
    return false;
}

std::optional<zygote::report> zygote::read_report() {
    for (;;) {
        if (!queued_.empty()) {
            report r = std::move(queued_.front());
            queued_.pop_front();
            return r;
        }
        if (gone_) return std::nullopt;
        std::optional<fs::report> r;
        try {
            r = fs::read_report(socket_.get(), true);
        } catch (...) {
            r = fs::report{};  // unreadable: as good as gone
        }
        if (!r) return std::nullopt;
        if (r->kind == 0) {
            if (take_over()) continue;
            gone_ = true;
            return report(gone{});
        }
        if (r->token & spare_bit) {  // the spare's own reports
            if (r->kind == 'P' && spare_) spare_pid_ = r->pid;
            if (r->kind != 'P') spare_.reset();
            continue;
        }
        switch (r->kind) {
            case 'P':
                workers_[r->token] = r->pid;
                return report(started{r->token, r->pid});
            case 'F':
                workers_.erase(r->token);
                return report(start_failed{r->token, r->text.empty() ? std::strerror(r->value) : r->text});
            default:
                workers_.erase(r->token);
                return report(ended{r->token, r->pid, r->value});
        }
    }
}

void zygote::stop(char request) noexcept {
    stopping_ = true;
    spare_.reset();  // the spare ends (and the zygote, waiting for its children, reaps it)
    try {
        fs::send_request(socket_.get(), request);
    } catch (...) {
    }
}

void zygote::quit() noexcept { stop('Q'); }

void zygote::kill_workers() noexcept { stop('K'); }

void zygote::join() {
    if (first_) {
        process_.join();
        return;
    }
    // A spare that took over is no child of ours: its end is its socket's.
    for (;;) {
        pollfd p{socket_.get(), POLLIN, 0};
        posix::poll_until(&p, 1, std::nullopt);
        std::optional<fs::report> r;
        try {
            r = fs::read_report(socket_.get(), true);
        } catch (...) {
            return;
        }
        if (r && r->kind == 0) return;
    }
}

}  // namespace mproc::detail::pool
