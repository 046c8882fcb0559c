// Socket buffer sizing and shutdown, for the Pool's worker Connections: a request sent
// to a busy worker must fit in the socket buffer, or the sender would block
// until the worker reads it (see lib/pool/pool_core.cpp).
#pragma once

#include <cstddef>

namespace mproc::posix {

/// Best effort: asks for `bytes` of send and receive buffer on socket `fd`
/// (the kernel caps it at net.core.wmem_max / rmem_max). Returns the send
/// buffer's size afterwards (as the kernel counts it), 0 if unknown.
std::size_t grow_socket_buffers(int fd, std::size_t bytes) noexcept;

/// shutdown(fd, SHUT_RDWR): reads return what is buffered, then end of
/// stream, and writes fail, whoever else holds the peer's end (a Pool worker's
/// children may). Best effort.
void shut_socket(int fd) noexcept;

}  // namespace mproc::posix
