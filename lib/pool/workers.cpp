#include "pool/workers.hpp"

#include "pool/worker_main.hpp"
#include "posix/fd.hpp"
#include "posix/fd_passing.hpp"
#include "posix/socket_buffers.hpp"

#include <mproc/context.hpp>

#include <algorithm>
#include <cstring>
#include <string.h>

namespace mproc::detail::pool {

worker_factory::worker_factory(start_method method, std::string config, task_fds initializer_fds)
    : method_(method), config_(std::move(config)), initializer_fds_(std::move(initializer_fds)) {
    if (method_ == start_method::fork) zygote_.emplace(config_);
}

void send_fds(int channel, const std::vector<posix::unique_fd>& fds) {
    std::vector<int> raw;
    raw.reserve(fds.size());
    for (const auto& fd : fds) raw.push_back(fd.get());
    const char kind = 'F';
    posix::send_with_fds(channel, &kind, 1, raw);
}

namespace {

// Socket buffers of a worker's Connection: room for a big chunk to wait for
// a busy worker (and for its results to wait for the parent).
constexpr std::size_t socket_buffer = 4 * 1024 * 1024;

// Grows both ends' buffers; the window is a quarter of what the kernel gave
// (it counts bookkeeping as well as bytes).
std::size_t grow(int mine, int theirs) {
    const std::size_t got = posix::grow_socket_buffers(mine, socket_buffer);
    posix::grow_socket_buffers(theirs, socket_buffer);
    return std::max<std::size_t>(32 * 1024, got / 4);
}

}  // namespace

std::shared_ptr<worker> worker_factory::start(std::uint64_t token) {
    auto w = std::make_shared<worker>();
    w->token = token;
    auto [channel, channel_end] = posix::make_seqpacket_pair();
    // The initializer's descriptors wait in the channel for the worker.
    if (initializer_fds_) send_fds(channel.get(), *initializer_fds_);
    w->descriptors = std::move(channel);
    if (zygote_) {
        auto [mine, theirs] = posix::make_socketpair();
        w->window = grow(mine.get(), theirs.get());
        if (!zygote_->start_worker(token, theirs, channel_end))
            throw ProcessError("mproc::Pool: the zygote that forks the workers is gone");
        w->conn = Connection(std::move(mine), true, true);
        return w;
    }
    auto [mine, theirs] = Pipe();
    w->window = grow(mine.fileno(), theirs.fileno());
    w->process = get_context(method_).Process(run_worker, std::move(theirs),
                                              Connection(std::move(channel_end), true, true), config_);
    w->process->daemon(true);
    w->process->name(std::string(method_ == start_method::spawn ? "Spawn" : "ForkServer") + "PoolWorker-" +
                      std::to_string(++made_));
    w->process->start();
    w->pid = w->process->pid();
    w->conn = std::move(mine);
    return w;
}

std::string describe_end(pid_t pid, std::optional<int> exitcode) {
    std::string who = "worker " + std::to_string(pid);
    if (!exitcode) return who + " ended (its exit status is unknown)";
    if (*exitcode < 0) {
        const int sig = -*exitcode;
        const char* abbrev = ::sigabbrev_np(sig);
        return who + " was killed by signal " + std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
    }
    return who + " exited with status " + std::to_string(*exitcode);
}

}  // namespace mproc::detail::pool
