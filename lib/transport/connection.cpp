#include "codec/frame.hpp"
#include "posix/fd.hpp"
#include "posix/poll.hpp"

#include <mproc/connection.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

namespace mproc {

namespace {
constexpr std::size_t read_buffer_size = 64 * 1024;
// Payloads above this grow as their bytes arrive, so a lying header cannot
// make us allocate gigabytes up front.
constexpr std::size_t eager_allocation_limit = 64 * 1024 * 1024;
static_assert(Connection::header_room == frame::max_header_size);

// Copies the start of a large payload, which arrived with its header, out of
// the read buffer. In pieces of 1 KiB: glibc copies larger blocks with
// `rep movsb`, which on some x86 CPUs (AMD EPYC here) runs ~15x slower when
// the destination lies 1-15 bytes past the source modulo 4 KiB -- and a fresh
// recv_bytes() string often lands exactly there (measured: ~10% of 1 MiB
// recv_bytes throughput).
void copy_buffered(char* to, const char* from, std::size_t n) {
    constexpr std::size_t piece = 1024;
    for (std::size_t done = 0; done < n; done += piece) std::memcpy(to + done, from + done, std::min(piece, n - done));
}

// Grows `s` to `size` bytes that the caller overwrites at once: without
// zero-filling them first where the library can (C++23; lib/Jamfile builds
// this file so). The fill was ~15% of a 1 MiB recv_bytes' CPU time (measured).
void grow_for_overwrite(std::string& s, std::size_t size) {
#if defined(__cpp_lib_string_resize_and_overwrite)
    s.resize_and_overwrite(size, [](char*, std::size_t n) noexcept { return n; });
#else
    s.resize(size);
#endif
}
}  // namespace

Connection::Connection() noexcept = default;

Connection::Connection(posix::unique_fd fd, bool readable, bool writable)
    : fd_(std::move(fd)), readable_(readable), writable_(writable), socket_(posix::is_socket(fd_.get())) {}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

void Connection::check_open(bool direction, const char* op) const {
    if (!fd_) throw Error(std::string("Connection::") + op + ": connection is closed");
    if (!direction) throw Error(std::string("Connection::") + op + ": wrong end of a one-way pipe");
}

void Connection::send_bytes(std::string_view data) {
    check_open(writable_, "send_bytes");
    unsigned char header[frame::max_header_size];
    std::size_t header_size = frame::encode_header(frame::kind::bytes, data.size(), header);
    iovec iov[2] = {{header, header_size}, {const_cast<char*>(data.data()), data.size()}};
    posix::write_all(fd_.get(), socket_, iov, 2);
}

void Connection::check_in_sync(const char* op) const {
    if (!out_of_sync_.empty())
        throw ProtocolError(std::string("Connection::") + op + ": the connection is no longer readable after " +
                            out_of_sync_);
}

void Connection::send_message(std::string& message, std::uint32_t tag) {
    check_open(writable_, "send");
    const std::size_t payload = message.size() - header_room;
    unsigned char header[frame::max_header_size];
    std::size_t header_size = frame::encode_header(frame::kind::object, payload, header, tag);
    // Header and payload leave in one write: the header sits right before the payload.
    char* start = message.data() + header_room - header_size;
    std::memcpy(start, header, header_size);
    posix::write_all(fd_.get(), socket_, start, header_size + payload);
}

bool Connection::read_more() {
    // Not zero-filled: a small first message then touches one page, not 16.
    if (!rbuf_) rbuf_ = std::make_unique_for_overwrite<char[]>(read_buffer_size);
    if (rbegin_ == rend_) rbegin_ = rend_ = 0;
    if (rend_ == read_buffer_size) {
        std::memmove(rbuf_.get(), rbuf_.get() + rbegin_, buffered());
        rend_ -= rbegin_;
        rbegin_ = 0;
    }
    std::size_t n = posix::read_some(fd_.get(), rbuf_.get() + rend_, read_buffer_size - rend_);
    rend_ += n;
    return n > 0;
}

Connection::frame_in Connection::recv_frame(std::string& storage, const char* op, std::uint64_t maxlength) {
    check_open(readable_, op);
    check_in_sync(op);
    try {
        return recv_frame_in_sync(storage, op, maxlength);
    } catch (const EOFError&) {
        throw;  // between frames: still in sync (and EOF again next time)
    } catch (const std::exception& e) {
        // Part of a frame may have been consumed: what follows is not a frame boundary.
        out_of_sync_ = std::string("a framing error (") + e.what() + ")";
        throw;
    }
}

Connection::frame_in Connection::recv_frame_in_sync(std::string& storage, const char* op, std::uint64_t maxlength) {
    std::optional<frame::header> h;
    while (!(h = frame::decode_header({rbuf_.get() + rbegin_, buffered()}))) {
        std::size_t before = buffered();
        if (!read_more()) {
            if (before == 0) throw EOFError(std::string("Connection::") + op + ": the peer closed the connection");
            throw ProtocolError("truncated frame header: the peer closed after " + std::to_string(before) +
                                " bytes");
        }
    }
    if (h->length > maxlength)
        throw ProtocolError(std::string("Connection::") + op + ": bad message length: " + std::to_string(h->length) +
                            " bytes, more than maxlength " + std::to_string(maxlength));
    const frame_in info{{}, h->kind == frame::kind::object, h->tag};
    rbegin_ += h->size;
    const std::size_t length = h->length;
    if (buffered() >= length) {
        std::string_view payload(rbuf_.get() + rbegin_, length);
        rbegin_ += length;
        return {payload, info.typed, info.tag};
    }
    // The rest streams straight into `storage`, bypassing the buffer.
    std::size_t have = buffered();
    grow_for_overwrite(storage, std::max(have, std::min(length, eager_allocation_limit)));
    copy_buffered(storage.data(), rbuf_.get() + rbegin_, have);
    rbegin_ = rend_ = 0;
    try {
        while (have < length) {
            if (have == storage.size()) grow_for_overwrite(storage, std::min(length, storage.size() * 2));
            std::size_t n = posix::read_some(fd_.get(), storage.data() + have, storage.size() - have);
            if (n == 0)
                throw ProtocolError("truncated frame: the peer closed after " + std::to_string(have) + " of " +
                                    std::to_string(length) + " payload bytes");
            have += n;
        }
    } catch (...) {
        storage.resize(have);  // never bytes that were not received
        throw;
    }
    return {{storage.data(), length}, info.typed, info.tag};
}

std::string_view Connection::recv_typed(std::string& storage, std::uint32_t tag, std::string (*name)()) {
    // The frame is consumed whole before these checks: the stream stays in sync.
    const frame_in f = recv_frame(storage, "recv");
    if (!f.typed)
        throw ProtocolError("Connection::recv<" + name() +
                            ">: the message was sent with send_bytes (raw bytes): receive it with recv_bytes");
    if (f.tag != tag)
        throw ProtocolError("Connection::recv<" + name() + ">: the message was sent as " + detail::name_of_tag(f.tag) +
                            ": receive it as the type it was sent as");
    return f.payload;
}

std::string Connection::take_bytes(std::string& storage, std::string_view payload) {
    if (payload.data() == storage.data()) return std::move(storage);
    return std::string(payload);
}

std::string Connection::recv_bytes() {
    std::string storage;
    return take_bytes(storage, recv_frame(storage, "recv_bytes").payload);
}

std::string Connection::recv_bytes(std::size_t maxlength) {
    std::string storage;
    return take_bytes(storage, recv_frame(storage, "recv_bytes", maxlength).payload);
}

std::size_t Connection::recv_bytes_into(std::string& out) {
    std::string_view payload = recv_frame(out, "recv_bytes_into").payload;
    if (payload.data() != out.data()) out.assign(payload);
    out.resize(payload.size());
    return out.size();
}

bool Connection::poll(std::optional<std::chrono::duration<double>> timeout) {
    check_open(readable_, "poll");
    check_in_sync("poll");
    if (buffered() > 0) return true;
    return posix::wait_readable(fd_.get(), posix::deadline_after(timeout));
}

void Connection::close() noexcept {
    fd_.reset();
    readable_ = writable_ = false;
    out_of_sync_.clear();
    rbuf_.reset();
    rbegin_ = rend_ = 0;
}

int Connection::fileno() const {
    if (!fd_) throw Error("Connection::fileno: connection is closed");
    return fd_.get();
}

posix::unique_fd Connection::release() {
    posix::unique_fd fd = std::move(fd_);
    close();
    return fd;
}

std::pair<Connection, Connection> Pipe(bool duplex) {
    if (duplex) {
        auto [a, b] = posix::make_socketpair();
        return {Connection(std::move(a), true, true), Connection(std::move(b), true, true)};
    }
    auto [r, w] = posix::make_pipe();
    return {Connection(std::move(r), true, false), Connection(std::move(w), false, true)};
}

}  // namespace mproc
