#include "posix/fd.hpp"
#include "posix/nonblocking_io.hpp"
#include "posix/poll.hpp"
#include "posix/sigpipe.hpp"

#include <mproc/subprocess.hpp>

#include <algorithm>
#include <cerrno>

namespace mproc::subprocess {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

// Waits until `fd` is ready for `events` (the descriptor may be non-blocking).
void wait_for(int fd, short events) {
    pollfd p{fd, events, 0};
    posix::poll_until(&p, 1, std::nullopt);
}

}  // namespace

Stream::Stream(posix::unique_fd fd) noexcept : fd_(std::move(fd)) {}

void Stream::check_open(const char* op) const {
    if (!fd_) throw SubprocessError(std::string("Stream::") + op + ": the stream is closed");
}

void Stream::write(std::string_view data) {
    check_open("write");
    posix::sigpipe_guard guard;
    while (!data.empty()) {
        posix::io_result r = posix::write_nonblock(fd_.get(), data.data(), data.size());
        if (r.broken_pipe) {
            guard.raised();
            posix::throw_errno("Stream::write", EPIPE);
        }
        if (r.would_block)
            wait_for(fd_.get(), POLLOUT);
        else
            data.remove_prefix(r.bytes);
    }
}

bool Stream::fill() {
    // Drop what was returned once it is at least half the buffer.
    if (pos_ > 0 && pos_ * 2 >= buffer_.size()) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    const std::size_t old = buffer_.size();
    buffer_.resize(old + read_chunk);
    try {
        for (;;) {
            posix::io_result r = posix::read_nonblock(fd_.get(), buffer_.data() + old, read_chunk);
            if (r.would_block) {
                wait_for(fd_.get(), POLLIN);
                continue;
            }
            buffer_.resize(old + r.bytes);
            return r.bytes > 0;
        }
    } catch (...) {
        buffer_.resize(old);
        throw;
    }
}

std::string Stream::read() {
    check_open("read");
    while (fill()) {}
    std::string out = buffer_.substr(pos_);
    buffer_.clear();
    pos_ = 0;
    return out;
}

std::string Stream::read(std::size_t n) {
    check_open("read");
    while (buffer_.size() - pos_ < n && fill()) {}
    std::size_t take = std::min(n, buffer_.size() - pos_);
    std::string out = buffer_.substr(pos_, take);
    pos_ += take;
    return out;
}

std::string Stream::readline() {
    check_open("readline");
    std::size_t searched = pos_;
    for (;;) {
        std::size_t newline = buffer_.find('\n', searched);
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(pos_, newline + 1 - pos_);
            pos_ = newline + 1;
            return line;
        }
        searched = buffer_.size() - pos_;  // relative: fill() may move the data to the front
        if (!fill()) {
            std::string rest = buffer_.substr(pos_);
            buffer_.clear();
            pos_ = 0;
            return rest;
        }
        searched += pos_;
    }
}

void Stream::close() noexcept {
    fd_.reset();
    buffer_.clear();
    pos_ = 0;
}

}  // namespace mproc::subprocess
