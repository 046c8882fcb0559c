#include "posix/nonblocking_io.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mproc::posix {

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) throw_errno("fcntl(F_GETFL)");
    int wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0) throw_errno("fcntl(F_SETFL)");
}

io_result read_nonblock(int fd, void* buf, std::size_t len) {
    for (;;) {
        ssize_t n = ::read(fd, buf, len);
        if (n >= 0) return {static_cast<std::size_t>(n), false, false};
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, true, false};
        if (errno != EINTR) throw_errno("read");
    }
}

io_result write_nonblock(int fd, const void* buf, std::size_t len) {
    for (;;) {
        ssize_t n = ::write(fd, buf, len);
        if (n >= 0) return {static_cast<std::size_t>(n), false, false};
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, true, false};
        if (errno == EPIPE) return {0, false, true};
        if (errno != EINTR) throw_errno("write");
    }
}

io_result send_nonblock(int fd, const iovec* iov, int iovcnt) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<std::size_t>(iovcnt);
    for (;;) {
        ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) return {static_cast<std::size_t>(n), false, false};
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, true, false};
        if (errno == EPIPE || errno == ECONNRESET) return {0, false, true};
        if (errno != EINTR) throw_errno("send");
    }
}

std::size_t grow_pipe(int fd, std::size_t bytes) noexcept {
    int wanted = bytes > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(bytes);
    int got = ::fcntl(fd, F_SETPIPE_SZ, wanted);
    return got < 0 ? 0 : static_cast<std::size_t>(got);
}

}  // namespace mproc::posix
