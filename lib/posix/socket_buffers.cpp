#include "posix/socket_buffers.hpp"

#include <sys/socket.h>

namespace mproc::posix {

std::size_t grow_socket_buffers(int fd, std::size_t bytes) noexcept {
    int want = bytes > 0x40000000 ? 0x40000000 : static_cast<int>(bytes);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    int got = 0;
    socklen_t len = sizeof got;
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) != 0 || got < 0) return 0;
    return static_cast<std::size_t>(got);
}

void shut_socket(int fd) noexcept { ::shutdown(fd, SHUT_RDWR); }

}  // namespace mproc::posix
