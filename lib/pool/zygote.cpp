#include "pool/zygote.hpp"

#include "lifecycle/self.hpp"
#include "pool/worker_main.hpp"
#include "posix/fd_passing.hpp"
#include "posix/parent_death.hpp"
#include "posix/signals.hpp"
#include "start/fork_server.hpp"
#include "start/run_target.hpp"

#include <mproc/connection.hpp>
#include <mproc/context.hpp>

#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mproc::detail::pool {

namespace {

namespace fs = start::fork_server;

// The zygote's launcher: each child becomes a worker.
class worker_launcher final : public fs::launcher {
public:
    explicit worker_launcher(std::string config) : config_(std::move(config)) {}

    bool own_report_socket() const noexcept override { return false; }

    void prepare(fs::request& r) override {
        if (r.fds.size() != 2) throw ProtocolError("a worker needs two descriptors");
        next_ = self::context_for_child("ForkPoolWorker-" + std::to_string(++made_), self::next_child_identity(), true);
    }

    [[noreturn]] void become(fs::request& r, const fs::server_state& server) noexcept override {
        posix::set_thread_signal_mask(server.mask);
        if (!posix::die_with_parent(server.pid)) posix::exit_now(1);
        for (int fd : server.own_fds) posix::unique_fd{fd};  // closed: the zygote's, not the worker's
        self::become(*next_);
        start::exit_child(start::run_target([&] {
            run_worker(Connection(std::move(r.fds[0]), true, true), Connection(std::move(r.fds[1]), true, true),
                       config_);
        }));
    }

private:
    std::string config_;
    int made_ = 0;
    std::optional<self::child_context> next_;
};

// The zygote's whole life (single-threaded: nothing here starts a thread).
void serve(posix::unique_fd sock, std::string config, int parent_end) {
    // The parent's end came with the fork: without it, the parent's exit
    // is an end of stream here.
    posix::unique_fd(parent_end).reset();
    worker_launcher launcher(std::move(config));
    fs::serve(std::move(sock), launcher);
}

}  // namespace

zygote::zygote(std::string worker_config) {
    auto [mine, theirs] = posix::make_seqpacket_pair();
    const int parent_end = mine.get();
    socket_ = std::move(mine);
    process_ = get_context(start_method::fork).Process(serve, std::move(theirs), std::move(worker_config), parent_end);
    process_.name("PoolZygote");
    process_.start();
}

zygote::~zygote() {
    if (process_.pid() == 0) return;
    kill_workers();
    try {
        process_.join();
    } catch (...) {
    }
}

bool zygote::start_worker(std::uint64_t token, const posix::unique_fd& worker_end,
                          const posix::unique_fd& channel_end) noexcept {
    const int fds[2] = {worker_end.get(), channel_end.get()};
    try {
        fs::send_request(socket_.get(), 'S', token, 0, fds);
        return true;
    } catch (...) {
        return false;
    }
}

std::optional<zygote::report> zygote::read_report() {
    if (gone_) return std::nullopt;
    std::optional<fs::report> r;
    try {
        r = fs::read_report(socket_.get(), true);
    } catch (...) {
        r = fs::report{};  // unreadable: as good as gone
    }
    if (!r) return std::nullopt;
    switch (r->kind) {
        case 'P': return report(started{r->token, r->pid});
        case 'F': return report(start_failed{r->token, r->text.empty() ? std::strerror(r->value) : r->text});
        case 'X': return report(ended{r->pid, r->value});
        default: gone_ = true; return report(gone{});
    }
}

void zygote::quit() noexcept {
    try {
        fs::send_request(socket_.get(), 'Q');
    } catch (...) {
    }
}

void zygote::kill_workers() noexcept {
    try {
        fs::send_request(socket_.get(), 'K');
    } catch (...) {
    }
}

void zygote::join() { process_.join(); }

}  // namespace mproc::detail::pool
