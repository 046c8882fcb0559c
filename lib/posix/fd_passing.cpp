#include "posix/fd_passing.hpp"

#include "posix/fault_injection.hpp"
#include "posix/fd.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace mproc::posix {

std::pair<unique_fd, unique_fd> make_seqpacket_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
    return raised_pair(fds, "socketpair");
}

void send_with_fds(int sock, const void* data, std::size_t len, std::span<const int> fds) {
    if (fds.size() > max_fds_per_message) throw_errno("sendmsg", EMSGSIZE);
    iovec iov{const_cast<void*>(data), len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
    if (!fds.empty()) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    if (const int err = injected_fault(fault_point::sendmsg)) throw_errno("sendmsg", err);
    for (;;) {
        if (::sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return;
        if (errno != EINTR) throw_errno("sendmsg");
    }
}

std::optional<std::size_t> recv_with_fds(int sock, void* data, std::size_t len, std::vector<unique_fd>& fds,
                                         bool nonblocking, bool peek) {
    iovec iov{data, len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    const int flags = MSG_CMSG_CLOEXEC | (nonblocking ? MSG_DONTWAIT : 0) | (peek ? MSG_PEEK : 0);
    if (peek) {
        msg.msg_control = nullptr;
        msg.msg_controllen = 0;
    }
    while ((n = ::recvmsg(sock, &msg, flags)) < 0) {
        if (errno == EINTR) continue;
        if (nonblocking && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
        throw_errno("recvmsg");
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char* p = CMSG_DATA(c);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, p + i * sizeof(int), sizeof fd);
            fds.emplace_back(raise_above_stdio(fd));  // -1 (EMFILE): the caller checks the count
        }
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) throw_errno("recvmsg", EMSGSIZE);
    return static_cast<std::size_t>(n);
}

}  // namespace mproc::posix
