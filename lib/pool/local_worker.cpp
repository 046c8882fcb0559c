#include "pool/local_worker.hpp"

#include "codec/frame.hpp"
#include "pool/worker_main.hpp"
#include "posix/fd.hpp"
#include "posix/fd_passing.hpp"
#include "posix/nonblocking_io.hpp"
#include "posix/pidfd.hpp"
#include "posix/socket_buffers.hpp"

#include <mproc/connection.hpp>
#include <mproc/context.hpp>
#include <mproc/process.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <string.h>
#include <system_error>

namespace mproc::detail::pool {

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

// Sends `fds` in one message on the descriptor channel. Throws
// std::system_error (EPIPE when the worker is gone).
void send_fds(int channel, const std::vector<posix::unique_fd>& fds) {
    std::vector<int> raw;
    raw.reserve(fds.size());
    for (const auto& fd : fds) raw.push_back(fd.get());
    const char kind = 'F';
    posix::send_with_fds(channel, &kind, 1, raw);
}

class socket_channel final : public worker_channel {
public:
    socket_channel(Connection conn, posix::unique_fd descriptors, std::optional<Process> process)
        : conn_(std::move(conn)), descriptors_(std::move(descriptors)), process_(std::move(process)) {}

    // The frame goes as the Connection's send_bytes would put it (the
    // worker reads it with recv_bytes), written straight on its socket
    // without blocking. Its descriptors' message never blocks: the channel
    // holds at most one (protocol.hpp).
    bool send(std::string_view bytes, const task_fds& fds) override {
        if (fds) send_fds(descriptors_.get(), *fds);
        header_size_ = mproc::frame::encode_header(mproc::frame::kind::bytes, bytes.size(), header_);
        frame_ = bytes;
        sent_ = 0;
        return send_more();
    }
    bool send_more() override {
        const std::size_t total = header_size_ + frame_.size();
        while (sent_ < total) {
            iovec iov[2];
            int n = 0;
            if (sent_ < header_size_) iov[n++] = {header_ + sent_, header_size_ - sent_};
            const std::size_t from = sent_ > header_size_ ? sent_ - header_size_ : 0;
            iov[n++] = {const_cast<char*>(frame_.data() + from), frame_.size() - from};
            const posix::io_result r = posix::send_nonblock(fd_, iov, n);
            if (r.broken_pipe) throw std::system_error(EPIPE, std::generic_category(), "send to a pool worker");
            if (r.would_block) return false;
            sent_ += r.bytes;
        }
        frame_ = {};
        return true;
    }
    int send_fd() const noexcept override { return fd_; }
    int results_fd() const noexcept override { return fd_; }
    bool receive(std::string& frame, bool block) override {
        if (!block && !conn_.poll()) return false;
        conn_.recv_bytes_into(frame);
        return true;
    }
    int end_fd() const noexcept override { return process_ ? process_->sentinel() : pidfd_.get(); }
    std::optional<int> exitcode() override { return process_ ? process_->exitcode() : std::nullopt; }
    void started(pid_t pid) noexcept override {
        pid_ = pid;
        // Under fork the zygote is the parent: a pidfd still tells its end.
        if (!process_ && !pidfd_) pidfd_ = posix::pidfd_open(pid);
    }
    void closed_for_good() noexcept override { posix::shut_socket(fd_); }
    void kill() noexcept override {
        try {
            if (process_)
                process_->kill();
            else if (pid_)
                posix::signal_process(pidfd_.get(), pid_, SIGKILL);
        } catch (...) {
        }
    }
    void join() noexcept override {
        try {
            if (process_) process_->join();
        } catch (...) {
        }
    }

private:
    Connection conn_;
    int fd_ = conn_.fileno();
    unsigned char header_[mproc::frame::max_header_size];  // of the frame being sent
    std::size_t header_size_ = 0;
    std::string_view frame_;  // being sent; sent_ bytes of header and frame went
    std::size_t sent_ = 0;
    posix::unique_fd descriptors_;  // the parent's end of the descriptor channel
    std::optional<Process> process_;  // spawn, forkserver (under fork the zygote owns it)
    posix::unique_fd pidfd_;          // fork: opened once its pid is known
    pid_t pid_ = 0;
};

}  // namespace

worker_starter::worker_starter(start_method method, std::string config, task_fds initializer_fds)
    : method_(method), config_(std::move(config)), initializer_fds_(std::move(initializer_fds)) {
    if (method_ == start_method::fork) zygote_.emplace(config_);
}

std::shared_ptr<worker> worker_starter::start(std::uint64_t token) {
    auto w = std::make_shared<worker>();
    w->token = token;
    auto [channel, channel_end] = posix::make_seqpacket_pair();
    // The initializer's descriptors wait in the channel for the worker.
    if (initializer_fds_) send_fds(channel.get(), *initializer_fds_);
    if (zygote_) {
        auto [mine, theirs] = posix::make_socketpair();
        w->window = grow(mine.get(), theirs.get());
        if (!zygote_->start_worker(token, theirs, channel_end))
            throw ProcessError("mproc::Pool: the zygote that forks the workers is gone");
        w->channel = std::make_unique<socket_channel>(Connection(std::move(mine), true, true), std::move(channel),
                                                      std::nullopt);
        return w;
    }
    auto [mine, theirs] = Pipe();
    w->window = grow(mine.fileno(), theirs.fileno());
    Process p = get_context(method_).Process(run_worker, std::move(theirs),
                                             Connection(std::move(channel_end), true, true), config_);
    p.daemon(true);
    p.name(std::string(method_ == start_method::spawn ? "Spawn" : "ForkServer") + "PoolWorker-" +
           std::to_string(++made_));
    p.start();
    w->pid = p.pid();
    w->channel = std::make_unique<socket_channel>(std::move(mine), std::move(channel), std::move(p));
    w->channel->started(w->pid);
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
