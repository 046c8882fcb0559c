#include "pool/zygote.hpp"

#include "pool/protocol.hpp"
#include "pool/worker_main.hpp"
#include "posix/fd_passing.hpp"
#include "posix/poll.hpp"

#include <mproc/connection.hpp>
#include <mproc/context.hpp>

#include <csignal>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace mproc::detail::pool {

namespace {

void send_message(int sock, const std::string& message) noexcept {
    try {
        posix::send_with_fds(sock, message.data(), message.size(), {});
    } catch (...) {
    }
}

// The zygote's whole life (single-threaded: nothing here starts a thread).
void serve(posix::unique_fd sock, std::string config, int parent_end) {
    // The parent's end came with the fork: without it, the parent's exit
    // is an end of stream here.
    posix::unique_fd(parent_end).reset();
    struct worker {
        Process process;
    };
    std::vector<std::unique_ptr<worker>> workers;
    int made = 0;
    bool quitting = false;
    auto report_ended = [&](worker& w) {
        std::string m(1, 'X');
        const std::int32_t pid = w.process.pid();
        const std::int32_t code = w.process.exitcode().value_or(0);
        m.append(reinterpret_cast<const char*>(&pid), sizeof pid);
        m.append(reinterpret_cast<const char*>(&code), sizeof code);
        send_message(sock.get(), m);
    };
    auto kill_all = [&] {
        for (auto& w : workers) {
            try {
                w->process.kill();
            } catch (...) {
            }
        }
    };
    for (;;) {
        std::vector<pollfd> fds;
        fds.push_back({quitting ? -1 : sock.get(), POLLIN, 0});
        for (auto& w : workers) fds.push_back({w->process.sentinel(), POLLIN, 0});
        if (quitting && workers.empty()) return;
        posix::poll_until(fds.data(), fds.size(), std::nullopt);
        for (std::size_t i = workers.size(); i-- > 0;) {
            if (!fds[i + 1].revents) continue;
            workers[i]->process.join();
            report_ended(*workers[i]);
            workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(i));
        }
        if (quitting || !fds[0].revents) continue;
        char buf[64];
        std::vector<posix::unique_fd> received;
        std::optional<std::size_t> n;
        try {
            n = posix::recv_with_fds(sock.get(), buf, sizeof buf, received, true);
        } catch (...) {
            n = 0;
        }
        if (!n) continue;
        if (*n == 0) {  // the parent is gone or done with us
            kill_all();
            quitting = true;
            continue;
        }
        if (buf[0] == 'Q') {
            quitting = true;
        } else if (buf[0] == 'K') {
            kill_all();
            quitting = true;
        } else if (buf[0] == 'S' && *n >= 9 && received.size() == 2) {
            std::uint64_t token;
            std::memcpy(&token, buf + 1, sizeof token);
            try {
                auto w = std::make_unique<worker>();
                w->process = get_context(start_method::fork)
                                 .Process(run_worker, Connection(std::move(received[0]), true, true),
                                          Connection(std::move(received[1]), true, true), config);
                w->process.daemon(true);
                w->process.name("ForkPoolWorker-" + std::to_string(++made));
                w->process.start();
                std::string m(1, 'P');
                const std::int32_t pid = w->process.pid();
                m.append(reinterpret_cast<const char*>(&token), sizeof token);
                m.append(reinterpret_cast<const char*>(&pid), sizeof pid);
                send_message(sock.get(), m);
                workers.push_back(std::move(w));
            } catch (const std::exception& e) {
                std::string m(1, 'F');
                m.append(reinterpret_cast<const char*>(&token), sizeof token);
                m += e.what();
                send_message(sock.get(), m);
            }
        }
    }
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
    char m[9] = {'S'};
    std::memcpy(m + 1, &token, sizeof token);
    const int fds[2] = {worker_end.get(), channel_end.get()};
    try {
        posix::send_with_fds(socket_.get(), m, sizeof m, fds);
        return true;
    } catch (...) {
        return false;
    }
}

std::optional<zygote::report> zygote::read_report() {
    if (gone_) return std::nullopt;
    char buf[4096];
    std::vector<posix::unique_fd> fds;
    std::optional<std::size_t> n;
    try {
        n = posix::recv_with_fds(socket_.get(), buf, sizeof buf, fds, true);
    } catch (...) {
        n = 0;
    }
    if (!n) return std::nullopt;
    if (*n == 0) {
        gone_ = true;
        return report(gone{});
    }
    auto field = [&](std::size_t at, auto& v) {
        if (at + sizeof v <= *n) std::memcpy(&v, buf + at, sizeof v);
    };
    if (buf[0] == 'P') {
        started s{0, 0};
        field(1, s.token);
        std::int32_t pid = 0;
        field(9, pid);
        s.pid = pid;
        return report(s);
    }
    if (buf[0] == 'F') {
        start_failed f{0, {}};
        field(1, f.token);
        if (*n > 9) f.error.assign(buf + 9, *n - 9);
        return report(f);
    }
    ended e{0, 0};
    std::int32_t pid = 0, code = 0;
    field(1, pid);
    field(5, code);
    e.pid = pid;
    e.exitcode = code;
    return report(e);
}

void zygote::quit() noexcept {
    const char m = 'Q';
    try {
        posix::send_with_fds(socket_.get(), &m, 1, {});
    } catch (...) {
    }
}

void zygote::kill_workers() noexcept {
    const char m = 'K';
    try {
        posix::send_with_fds(socket_.get(), &m, 1, {});
    } catch (...) {
    }
}

void zygote::join() { process_.join(); }

}  // namespace mproc::detail::pool
