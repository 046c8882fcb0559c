/// Connection and Pipe(): message channels between processes
/// (Python: multiprocessing.Pipe, multiprocessing.connection.Connection).
///
///     auto [a, b] = mproc::Pipe();            // duplex (a socketpair)
///     if (mproc::os::fork() == 0) { b.send(std::vector<int>{1, 2}); _exit(0); }
///     auto xs = a.recv<std::vector<int>>();
///
/// Messages are length-prefixed frames of any size up to 16 GiB. One thread
/// may send while another receives; two threads must not send (or receive)
/// on one Connection at once.
///
/// Errors a caller can act on:
///  - mproc::EOFError: recv on a connection whose peer closed (between messages);
///  - mproc::ProtocolError: malformed, truncated or foreign bytes on the wire;
///  - std::system_error(EPIPE): send to a peer that is gone (never SIGPIPE death);
///  - mproc::Error: use of a closed connection, or send/recv on the wrong end of
///    a one-way pipe.
#pragma once

#include <mproc/codec.hpp>
#include <mproc/detail/fd_transfer.hpp>
#include <mproc/unique_fd.hpp>

#include <boost/serialization/split_member.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mproc {

class Connection {
public:
    /// A closed connection.
    Connection() noexcept;
    /// Takes ownership of `fd`, a socket or one end of a pipe.
    Connection(posix::unique_fd fd, bool readable, bool writable);
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    /// Sends one serialized object (Python: send). Throws as documented above.
    template <class T>
    void send(const T& obj) {
        // One allocation: room for the header, then the payload appended.
        std::string message;
        message.reserve(header_room + (detail::memcpy_codec<T> ? sizeof(T) : 64));
        message.resize(header_room);
        dumps_into(message, obj);
        send_message(message);
    }

    /// Receives one object sent with send<T> (Python: recv). Blocks until a
    /// whole message arrives.
    template <class T>
    T recv() {
        std::string storage;
        return loads<T>(recv_frame(storage));
    }

    /// Sends `data` as one message (Python: send_bytes).
    void send_bytes(std::string_view data);
    /// Receives one whole message as bytes (Python: recv_bytes).
    std::string recv_bytes();
    /// Receives one message into `out` (resized to fit, its capacity reused);
    /// returns its size (Python: recv_bytes_into).
    std::size_t recv_bytes_into(std::string& out);

    /// True when data (or EOF) is waiting. Waits up to `timeout`; zero (the
    /// default) checks without waiting; std::nullopt waits forever.
    bool poll(std::optional<std::chrono::duration<double>> timeout = std::chrono::duration<double>::zero());

    /// Closes the connection; later calls (except close) throw mproc::Error.
    void close() noexcept;
    bool closed() const noexcept { return !fd_; }
    bool readable() const noexcept { return readable_; }
    bool writable() const noexcept { return writable_; }
    /// The underlying descriptor (still owned by the connection).
    int fileno() const;
    /// Gives up the descriptor: the connection is closed afterwards. Used
    /// to hand the descriptor to another process.
    posix::unique_fd release();

    /// Bytes a send<T>() message reserves at its front for the frame header.
    static constexpr std::size_t header_room = 20;

    /// A Connection passed as a Process argument crosses to a child started
    /// by spawn or forkserver: its descriptor travels with the task (and the
    /// parent's copy is closed once the child has started). Serializing a
    /// Connection anywhere else throws mproc::ProcessError.
    template <class Archive>
    void save(Archive& ar, const unsigned) const {
        const std::uint32_t index = detail::export_fd(fileno());
        ar << index << readable_ << writable_;
    }
    template <class Archive>
    void load(Archive& ar, const unsigned) {
        std::uint32_t index = 0;
        bool readable = false;
        bool writable = false;
        ar >> index >> readable >> writable;
        *this = Connection(detail::import_fd(index), readable, writable);
    }
    BOOST_SERIALIZATION_SPLIT_MEMBER()

private:
    // `message` starts with header_room bytes for the header, then the payload.
    void send_message(std::string& message);
    // Receives one frame; the payload lives in the read buffer or `storage`
    // and stays valid until the next receive.
    std::string_view recv_frame(std::string& storage);
    bool read_more();
    std::size_t buffered() const noexcept { return rend_ - rbegin_; }
    void check_open(bool direction, const char* op) const;

    posix::unique_fd fd_;
    bool readable_ = false;
    bool writable_ = false;
    bool socket_ = false;
    std::unique_ptr<char[]> rbuf_;  // bytes read but not yet consumed: [rbegin_, rend_)
    std::size_t rbegin_ = 0;
    std::size_t rend_ = 0;
};

/// A pair of connected Connections (Python: multiprocessing.Pipe). duplex: a
/// socketpair, both ends send and receive. Otherwise a pipe: the first end
/// only receives, the second only sends.
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace mproc
