// Connection benchmarks: mproc::Pipe() (a socketpair) between the parent and a
// forked child, against a raw socketpair loop written here doing the same work.
//
//   pipe.pingpong.int.1cpu    send<int>/recv<int> round trip, both processes
//                             pinned to one CPU                       (us/op)
//   pipe.pingpong.int.2cpu    the same, parent and peer pinned to two CPUs
//   pipe.pingpong.bytes.1cpu  64-byte send_bytes/recv_bytes round trip (us/op)
//   pipe.pingpong.bytes.2cpu
//   pipe.bulk.into            1 MiB send_bytes -> recv_bytes_into     (MB/s)
//   pipe.bulk.recv_bytes      1 MiB send_bytes -> recv_bytes          (MB/s)
//
// The raw side frames its messages too (an 8-byte length, then the payload,
// in one writev) and receives into a reused buffer. Each round forks a fresh
// peer; the fork is outside the timed part. Ping-pong latency depends mostly
// on where the scheduler wakes the peer, so mproc, raw and Python
// (py/bench_connection.py) are each measured with the same fixed placement.
#include "bench_util.hpp"

#include <mproc/connection.hpp>
#include <mproc/process.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/uio.h>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

constexpr int pingpong_iters = 20000;
constexpr int bulk_messages = 256;
constexpr std::size_t bulk_size = 1 << 20;
constexpr std::size_t small_size = 64;
constexpr int warmup = 100;  // untimed iterations: first faults, first wake-ups

// ---- the forked peer ------------------------------------------------------

// Runs `body` in a forked child (mproc::Process, fork start method) and
// returns it started; finish_peer joins it and checks it succeeded.
template <class F>
mproc::Process start_peer(F body) {
    mproc::Process peer(std::move(body));
    peer.start();
    return peer;
}

void finish_peer(mproc::Process& peer) {
    peer.join();
    if (peer.exitcode() != 0) throw std::runtime_error("bench peer failed");
}

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::system_category(), what); }

// ---- CPU placement --------------------------------------------------------

// Where the two processes of a ping-pong run: the parent on one CPU, the
// peer on the same one or another.
struct placement {
    const char* suffix;  // of the group name: ".1cpu" or ".2cpu"
    int parent_cpu;
    int peer_cpu;
};

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) != 0) fail("sched_getaffinity");
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    return cpus;
}

void pin_self(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) fail("sched_setaffinity");
}

// Pins the calling thread to one CPU for its lifetime, then restores its mask.
class pinned {
public:
    explicit pinned(int cpu) {
        if (::sched_getaffinity(0, sizeof saved_, &saved_) != 0) fail("sched_getaffinity");
        pin_self(cpu);
    }
    ~pinned() { ::sched_setaffinity(0, sizeof saved_, &saved_); }
    pinned(const pinned&) = delete;
    pinned& operator=(const pinned&) = delete;

private:
    cpu_set_t saved_;
};

// ---- the raw reference: a socketpair with write/read loops ---------------

class raw_socket {
public:
    explicit raw_socket(int fd) : fd_(fd) {}
    raw_socket(raw_socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    ~raw_socket() { close(); }
    void close() {
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    }
    int fd() const { return fd_; }

    // One writev: the 8-byte length, then the payload.
    void send(std::string_view payload) {
        std::uint64_t length = payload.size();
        iovec iov[2] = {{&length, sizeof length}, {const_cast<char*>(payload.data()), payload.size()}};
        std::size_t left = sizeof length + payload.size();
        iovec* v = iov;
        while (left > 0) {
            ssize_t n = ::writev(fd_, v, v == iov ? 2 : 1);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("writev");
            }
            left -= n;
            // Partial writes only happen with big payloads: move past what went out.
            std::size_t done = n;
            if (v == iov && done >= iov[0].iov_len) {
                done -= iov[0].iov_len;
                v = &iov[1];
            }
            v->iov_base = static_cast<char*>(v->iov_base) + done;
            v->iov_len -= done;
        }
    }

    // A message of a size both sides know (ping-pong): length and payload
    // in one read() call, as a fixed-size protocol would.
    std::string_view recv_fixed(std::size_t size) {
        buf_.resize(sizeof(std::uint64_t) + size);
        read_exactly(buf_.data(), buf_.size());
        std::uint64_t length;
        std::memcpy(&length, buf_.data(), sizeof length);
        if (length != size) throw std::runtime_error("raw: unexpected message length");
        return std::string_view(buf_).substr(sizeof length);
    }

    // A message of any size: the length, then the payload straight into the
    // reused buffer.
    std::string_view recv_any() {
        std::uint64_t length;
        read_exactly(&length, sizeof length);
        buf_.resize(length);
        read_exactly(buf_.data(), length);
        return buf_;
    }

private:
    void read_exactly(void* out, std::size_t len) {
        auto p = static_cast<char*>(out);
        while (len > 0) {
            ssize_t n = ::read(fd_, p, len);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("read");
            }
            if (n == 0) throw std::runtime_error("raw: peer closed");
            p += n;
            len -= n;
        }
    }

    int fd_;
    std::string buf_;
};

std::pair<raw_socket, raw_socket> raw_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) fail("socketpair");
    return {raw_socket(fds[0]), raw_socket(fds[1])};
}

// ---- ping-pong ------------------------------------------------------------

// Times `pingpong_iters` round trips: the parent sends `exchange`'s message
// and gets it back from the child, which runs `echo`, each on its CPU of
// `where`. Returns us per round trip. `mine` and `theirs` are the two ends;
// each side closes the other's.
template <class End, class Exchange, class Echo>
double pingpong(const placement& where, End mine, End theirs, Exchange exchange, Echo echo) {
    pinned here(where.parent_cpu);
    mproc::Process peer = start_peer([&] {
        pin_self(where.peer_cpu);
        mine.close();
        for (int i = 0; i < warmup + pingpong_iters; ++i) echo(theirs);
    });
    theirs.close();
    for (int i = 0; i < warmup; ++i) exchange(mine);
    auto start = bench::clock::now();
    for (int i = 0; i < pingpong_iters; ++i) exchange(mine);
    double us = bench::seconds_since(start) * 1e6 / pingpong_iters;
    finish_peer(peer);
    return us;
}

void check(bool ok) {
    if (!ok) throw std::runtime_error("ping-pong: wrong message came back");
}

double mproc_pingpong_int(const placement& where) {
    auto [a, b] = mproc::Pipe();
    return pingpong(
        where, std::move(a), std::move(b),
        [](mproc::Connection& c) {
            c.send(42);
            check(c.recv<int>() == 42);
        },
        [](mproc::Connection& c) { c.send(c.recv<int>()); });
}

double raw_pingpong_int(const placement& where) {
    auto [a, b] = raw_pair();
    auto as_bytes = [](const int& v) { return std::string_view(reinterpret_cast<const char*>(&v), sizeof v); };
    return pingpong(
        where, std::move(a), std::move(b),
        [&](raw_socket& s) {
            int v = 42;
            s.send(as_bytes(v));
            int back;
            std::memcpy(&back, s.recv_fixed(sizeof back).data(), sizeof back);
            check(back == 42);
        },
        [](raw_socket& s) { s.send(s.recv_fixed(sizeof(int))); });
}

const std::string small_message(small_size, 'p');

double mproc_pingpong_bytes(const placement& where) {
    auto [a, b] = mproc::Pipe();
    return pingpong(
        where, std::move(a), std::move(b),
        [](mproc::Connection& c) {
            c.send_bytes(small_message);
            check(c.recv_bytes() == small_message);
        },
        [](mproc::Connection& c) { c.send_bytes(c.recv_bytes()); });
}

double raw_pingpong_bytes(const placement& where) {
    auto [a, b] = raw_pair();
    return pingpong(
        where, std::move(a), std::move(b),
        [](raw_socket& s) {
            s.send(small_message);
            check(s.recv_fixed(small_size) == small_message);
        },
        [](raw_socket& s) { s.send(s.recv_fixed(small_size)); });
}

// ---- bulk -----------------------------------------------------------------

// The parent sends `bulk_messages` messages of `bulk_size` bytes; the child
// receives each with `receive` (returning the size it got) and then sends a
// short acknowledgement. Returns MB/s from the first send to the ack.
template <class End, class Receive>
double bulk(End mine, End theirs, Receive receive) {
    static const std::string payload(bulk_size, 'b');
    constexpr int warmup_messages = 4;
    mproc::Process peer = start_peer([&] {
        mine.close();
        for (int pass : {warmup_messages, bulk_messages}) {
            for (int i = 0; i < pass; ++i)
                if (receive(theirs) != bulk_size) throw std::runtime_error("bulk: wrong message size");
            theirs.send("k");
        }
    });
    theirs.close();
    double seconds = 0;
    for (int pass : {warmup_messages, bulk_messages}) {
        auto start = bench::clock::now();
        for (int i = 0; i < pass; ++i) mine.send(payload);
        mine.recv_ack();
        seconds = bench::seconds_since(start);
    }
    finish_peer(peer);
    return double(bulk_messages) * bulk_size / seconds / 1e6;
}

// Gives the two kinds of ends the one interface bulk() needs.
struct mproc_end {
    mproc::Connection c;
    void close() { c.close(); }
    void send(std::string_view data) { c.send_bytes(data); }
    void recv_ack() { c.recv_bytes(); }
};

struct raw_end {
    raw_socket s;
    void close() { s.close(); }
    void send(std::string_view data) { s.send(data); }
    void recv_ack() { s.recv_any(); }
};

double mproc_bulk_into() {
    auto [a, b] = mproc::Pipe();
    std::string buffer;  // reused across messages, as recv_bytes_into intends
    return bulk(mproc_end{std::move(a)}, mproc_end{std::move(b)},
                [&](mproc_end& e) { return e.c.recv_bytes_into(buffer); });
}

double mproc_bulk_recv_bytes() {
    auto [a, b] = mproc::Pipe();
    return bulk(mproc_end{std::move(a)}, mproc_end{std::move(b)},
                [](mproc_end& e) { return e.c.recv_bytes().size(); });
}

double raw_bulk() {
    auto [a, b] = raw_pair();
    return bulk(raw_end{std::move(a)}, raw_end{std::move(b)}, [](raw_end& e) { return e.s.recv_any().size(); });
}

}  // namespace

// Optional argument: run only the groups whose name starts with it
// (handy under perf or callgrind).
int main(int argc, char** argv) {
    const std::string_view only = argc > 1 ? argv[1] : "";
    auto wanted = [&](std::string_view group) { return group.substr(0, only.size()) == only; };
    try {
        const int n = bench::rounds();
        using bench::contestant;
        const std::vector<int> cpus = allowed_cpus();
        std::vector<placement> placements{{".1cpu", cpus.at(0), cpus.at(0)}};
        if (cpus.size() > 1)
            placements.push_back({".2cpu", cpus[0], cpus[1]});
        else
            std::fprintf(stderr, "bench_connection: one CPU allowed: no .2cpu ping-pong\n");
        for (const placement& where : placements) {
            const std::string int_group = std::string("pipe.pingpong.int") + where.suffix;
            if (wanted(int_group))
                bench::compare(int_group, "us/op", contestant{"mproc", [&] { return mproc_pingpong_int(where); }},
                               contestant{"raw", [&] { return raw_pingpong_int(where); }}, n, "<=1.2");
            const std::string bytes_group = std::string("pipe.pingpong.bytes") + where.suffix;
            if (wanted(bytes_group))
                bench::compare(bytes_group, "us/op", contestant{"mproc", [&] { return mproc_pingpong_bytes(where); }},
                               contestant{"raw", [&] { return raw_pingpong_bytes(where); }}, n, "<=1.2");
        }
        if (wanted("pipe.bulk.into"))
            bench::compare("pipe.bulk.into", "MB/s", contestant{"mproc", mproc_bulk_into},
                           contestant{"raw", raw_bulk}, n, ">=0.9");
        if (wanted("pipe.bulk.recv_bytes"))
            bench::compare("pipe.bulk.recv_bytes", "MB/s", contestant{"mproc", mproc_bulk_recv_bytes},
                           contestant{"raw", raw_bulk}, n, ">=0.9");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_connection: %s\n", e.what());
        return 1;
    }
}
