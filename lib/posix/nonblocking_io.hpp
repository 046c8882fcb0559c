// Non-blocking reads and writes for loops that poll several descriptors at
// once (communicate), and pipe buffer sizing for bulk transfers.
#pragma once

#include <cstddef>
#include <sys/uio.h>

namespace mproc::posix {

/// Sets or clears O_NONBLOCK on `fd`'s open file description. Throws std::system_error.
void set_nonblocking(int fd, bool on = true);

/// Outcome of one non-blocking transfer.
struct io_result {
    std::size_t bytes = 0;     ///< bytes moved (0 with ok on a read = EOF)
    bool would_block = false;  ///< EAGAIN: nothing moved, poll first
    bool broken_pipe = false;  ///< write: the reader is gone (EPIPE)
};

/// One read(), retried on EINTR. Other errors throw std::system_error.
io_result read_nonblock(int fd, void* buf, std::size_t len);

/// One write() to a pipe, retried on EINTR. EPIPE is reported, not thrown;
/// call it inside a sigpipe_guard (and tell the guard) so SIGPIPE is not
/// delivered. Other errors throw std::system_error.
io_result write_nonblock(int fd, const void* buf, std::size_t len);

/// One sendmsg() of the iovecs on a socket with MSG_DONTWAIT | MSG_NOSIGNAL,
/// retried on EINTR: non-blocking for this call only (the descriptor stays
/// blocking for its other users), and never SIGPIPE. EPIPE and ECONNRESET
/// (the peer is gone) are reported as broken_pipe; other errors throw
/// std::system_error.
io_result send_nonblock(int fd, const iovec* iov, int iovcnt);

/// Best effort: grows the pipe's kernel buffer to `bytes` (fewer system calls
/// and context switches for bulk data). Returns the resulting size, or 0 when
/// the kernel refused (limits) — the pipe is unchanged then.
std::size_t grow_pipe(int fd, std::size_t bytes) noexcept;

}  // namespace mproc::posix
