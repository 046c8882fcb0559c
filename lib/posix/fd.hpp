// Raw descriptor plumbing: creation (always CLOEXEC), full read/write loops
// with EINTR retry, and the one errno-to-exception helper.
#pragma once

#include <mproc/unique_fd.hpp>

#include <cstddef>
#include <sys/uio.h>
#include <utility>

namespace mproc::posix {

/// Throws std::system_error for `err` (default: errno) naming `what`.
[[noreturn]] void throw_errno(const char* what, int err = 0);

/// pipe2(O_CLOEXEC): {read end, write end}.
std::pair<unique_fd, unique_fd> make_pipe();
/// socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC).
std::pair<unique_fd, unique_fd> make_socketpair();

/// True when `fd` is a socket (so send(MSG_NOSIGNAL) can be used on it).
bool is_socket(int fd);
/// Whether `fd` is an open descriptor.
bool is_open(int fd) noexcept;

/// read() retried on EINTR; returns bytes read (0 = EOF); throws on error.
std::size_t read_some(int fd, void* buf, std::size_t len);
/// Reads exactly `len` bytes unless EOF comes first; returns bytes read.
std::size_t read_full(int fd, void* buf, std::size_t len);

/// Writes every byte of the iovecs, retrying on EINTR and partial writes.
/// Never raises SIGPIPE: sockets use MSG_NOSIGNAL, other fds block SIGPIPE
/// around the write and discard the one it raised. A vanished reader
/// throws std::system_error(EPIPE). `iov` is modified.
void write_all(int fd, bool socket, iovec* iov, int iovcnt);
void write_all(int fd, bool socket, const void* buf, std::size_t len);

}  // namespace mproc::posix
