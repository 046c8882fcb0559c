#include "posix/fd.hpp"

#include "posix/sigpipe.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace mproc::posix {

void unique_fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

void throw_errno(const char* what, int err) {
    throw std::system_error(err ? err : errno, std::system_category(), what);
}

std::pair<unique_fd, unique_fd> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    return {unique_fd(fds[0]), unique_fd(fds[1])};
}

std::pair<unique_fd, unique_fd> make_socketpair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
    return {unique_fd(fds[0]), unique_fd(fds[1])};
}

bool is_open(int fd) noexcept { return ::fcntl(fd, F_GETFD) >= 0; }

bool is_socket(int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

std::size_t read_some(int fd, void* buf, std::size_t len) {
    for (;;) {
        ssize_t n = ::read(fd, buf, len);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw_errno("read");
    }
}

std::size_t read_full(int fd, void* buf, std::size_t len) {
    std::size_t done = 0;
    while (done < len) {
        std::size_t n = read_some(fd, static_cast<char*>(buf) + done, len - done);
        if (n == 0) break;
        done += n;
    }
    return done;
}

namespace {

// Drops iovec entries fully covered by `n` written bytes.
void advance(iovec*& iov, int& iovcnt, std::size_t n) {
    while (iovcnt > 0 && n >= iov->iov_len) {
        n -= iov->iov_len;
        ++iov;
        --iovcnt;
    }
    if (iovcnt > 0) {
        iov->iov_base = static_cast<char*>(iov->iov_base) + n;
        iov->iov_len -= n;
    }
}

void skip_empty(iovec*& iov, int& iovcnt) { advance(iov, iovcnt, 0); }

void write_socket(int fd, iovec* iov, int iovcnt) {
    skip_empty(iov, iovcnt);
    while (iovcnt > 0) {
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(iovcnt);
        ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("send");
        }
        advance(iov, iovcnt, static_cast<std::size_t>(n));
    }
}

void write_pipe(int fd, iovec* iov, int iovcnt) {
    skip_empty(iov, iovcnt);
    if (iovcnt == 0) return;
    sigpipe_guard blocker;
    while (iovcnt > 0) {
        ssize_t n = ::writev(fd, iov, iovcnt);
        if (n < 0) {
            int err = errno;
            if (err == EINTR) continue;
            if (err == EPIPE) blocker.raised();
            throw_errno("write", err);
        }
        advance(iov, iovcnt, static_cast<std::size_t>(n));
    }
}

}  // namespace

void write_all(int fd, bool socket, iovec* iov, int iovcnt) {
    socket ? write_socket(fd, iov, iovcnt) : write_pipe(fd, iov, iovcnt);
}

void write_all(int fd, bool socket, const void* buf, std::size_t len) {
    iovec iov{const_cast<void*>(buf), len};
    write_all(fd, socket, &iov, 1);
}

}  // namespace mproc::posix
