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
/// A message sent with send<T> carries a tag of T (a hash of its name):
/// recv<U> of it with U other than T is a ProtocolError naming both types,
/// and so is recv<U> of a message sent with send_bytes. recv_bytes takes
/// either kind (of a send<T> message: the bytes mproc::dumps gives).
///
/// Errors a caller can act on:
///  - mproc::EOFError: recv on a connection whose peer closed (between messages);
///  - mproc::ProtocolError: malformed, truncated or foreign bytes on the wire, a
///    message longer than recv_bytes' maxlength, or a message of another type or
///    kind than recv<T> expects. When the framing itself went wrong (bad header,
///    truncated frame, maxlength exceeded) the stream is out of sync: the
///    connection stops being readable() and every later receive or poll throws
///    ProtocolError saying why. A payload that does not decode, or a message of
///    the wrong type or kind, was consumed whole: the next message can be received;
///  - std::system_error(EPIPE): send to a peer that is gone (never SIGPIPE death);
///  - mproc::Error: use of a closed connection, or send/recv on the wrong end of
///    a one-way pipe.
#pragma once

#include <mproc/codec.hpp>
#include <mproc/detail/transport/fd_transfer.hpp>
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
        (void)&detail::type_tag_registration<T>::registered;
        send_message(message, detail::type_tag<T>);
    }

    /// Receives one object sent with send<T> (Python: recv). Blocks until a
    /// whole message arrives. Throws ProtocolError if it was sent as another
    /// type, or with send_bytes.
    template <class T>
    T recv() {
        std::string storage;
        (void)&detail::type_tag_registration<T>::registered;
        return loads<T>(recv_typed(storage, detail::type_tag<T>, &detail::type_name<T>));
    }

    /// Sends `data` as one message (Python: send_bytes).
    void send_bytes(std::string_view data);
    /// Receives one whole message as bytes (Python: recv_bytes).
    std::string recv_bytes();
    /// Receives one whole message of at most `maxlength` bytes (Python:
    /// recv_bytes(maxlength)). A longer message throws ProtocolError ("bad
    /// message length", Python's OSError) without reading it, and the
    /// connection is no longer readable.
    std::string recv_bytes(std::size_t maxlength);
    /// Receives one message into `out` (resized to fit, its capacity reused);
    /// returns its size (Python: recv_bytes_into).
    std::size_t recv_bytes_into(std::string& out);

    /// True when data (or EOF) is waiting. Waits up to `timeout`; zero (the
    /// default) checks without waiting; std::nullopt waits forever.
    bool poll(std::optional<std::chrono::duration<double>> timeout = std::chrono::duration<double>::zero());

    /// Closes the connection; later calls (except close) throw mproc::Error.
    void close() noexcept;
    bool closed() const noexcept { return !fd_; }
    /// False for the sending end of a one-way pipe, and after a framing error.
    bool readable() const noexcept { return readable_ && out_of_sync_.empty(); }
    bool writable() const noexcept { return writable_; }
    /// The underlying descriptor (still owned by the connection).
    int fileno() const;
    /// Gives up the descriptor: the connection is closed afterwards. Used
    /// to hand the descriptor to another process.
    posix::unique_fd release();

    /// Bytes a send<T>() message reserves at its front for the frame header.
    static constexpr std::size_t header_room = 24;

    /// A Connection passed as a Process argument crosses to a child started
    /// by spawn or forkserver: its descriptor travels with the task (and the
    /// parent's copy is closed once the child has started). As a Pool task
    /// argument, a duplicate travels (the caller's stays open). Serializing a
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
    struct frame_in {
        std::string_view payload;
        bool typed;         // sent with send<T>
        std::uint32_t tag;  // then: detail::type_tag<T>
    };
    // `message` starts with header_room bytes for the header, then the payload.
    void send_message(std::string& message, std::uint32_t tag);
    // Receives one frame no longer than `maxlength`; the payload lives in the
    // read buffer or `storage` and stays valid until the next receive.
    frame_in recv_frame(std::string& storage, const char* op, std::uint64_t maxlength = UINT64_MAX);
    frame_in recv_frame_in_sync(std::string& storage, const char* op, std::uint64_t maxlength);
    // recv_frame, then checks the frame is a send<T> message of the type with `tag`.
    std::string_view recv_typed(std::string& storage, std::uint32_t tag, std::string (*name)());
    std::string take_bytes(std::string& storage, std::string_view payload);
    bool read_more();
    std::size_t buffered() const noexcept { return rend_ - rbegin_; }
    void check_open(bool direction, const char* op) const;
    void check_in_sync(const char* op) const;

    posix::unique_fd fd_;
    bool readable_ = false;
    bool writable_ = false;
    bool socket_ = false;
    std::string out_of_sync_;  // why receiving stopped after a framing error; empty: in sync
    std::unique_ptr<char[]> rbuf_;  // bytes read but not yet consumed: [rbegin_, rend_)
    std::size_t rbegin_ = 0;
    std::size_t rend_ = 0;
};

/// A pair of connected Connections (Python: multiprocessing.Pipe). duplex: a
/// socketpair, both ends send and receive. Otherwise a pipe: the first end
/// only receives, the second only sends.
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace mproc
