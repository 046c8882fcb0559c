// Pool benchmarks: mproc::Pool(2) against Python's multiprocessing.Pool(2)
// (bench/py/bench_pool.py, same groups), and apply's round trip against a raw
// socketpair ping-pong with a forked peer in this binary.
//
//   pool.map.default     map(x*x) of 1,000,000 ints, default chunksize   (tasks/s)
//   pool.map.chunk1      map(x*x) of 100,000 ints, chunksize 1           (tasks/s)
//   pool.apply           apply(x*x) round trip                          (us/op)
//   pool.apply_async     100,000 apply_async, then get() each           (tasks/s)
//   pool.life.fork       Pool(2) + map of 2 items + close + join, fork  (ms/op)
//   pool.life.spawn      the same under spawn                           (ms/op)
//
// The pool.life groups run first (in Python too): a fork's cost grows with
// the parent's resident memory, which the other groups leave larger (a heap
// that held 100,000 pending results stays ~45 MB here).
//
// Placement (the same for every contestant, Python's included; printed on
// stderr): the throughput groups leave the parent and both workers free on
// every CPU; pool.apply pins the parent to the first CPU and the workers (and
// the raw peer) to the second, so each message crosses CPUs both ways.
#include "bench_util.hpp"

#include <mproc/mproc.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ranges>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace {

namespace mp = mproc;

int square(int x) { return x * x; }

// ---- placement -----------------------------------------------------------

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (::sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) cpus.push_back(c);
    return cpus;
}

const std::vector<int> all_cpus = allowed_cpus();
int parent_cpu() { return all_cpus.front(); }
int worker_cpu() { return all_cpus.size() > 1 ? all_cpus[1] : all_cpus.front(); }
void pin_worker() { bench::pin_to(worker_cpu()); }

std::string cpu_list(const std::vector<int>& cpus) {
    std::string s;
    for (int c : cpus) {
        if (!s.empty()) s += ',';
        s += std::to_string(c);
    }
    return s;
}

// ---- throughput -----------------------------------------------------------

mp::Pool pool2(mp::start_method method = mp::fork) {
    mp::Pool pool = mp::get_context(method).Pool(2);
    pool.map(square, std::views::iota(0, 1000), 1);  // warm: workers up, code ids known
    return pool;
}

double map_default() {
    const int n = bench::scaled(1000000);
    auto pool = pool2();
    auto start = bench::clock::now();
    auto ys = pool.map(square, std::views::iota(0, n));
    const double s = bench::seconds_since(start);
    if (ys.size() != std::size_t(n) || ys[1000] != 1000000) throw std::runtime_error("map: wrong results");
    return n / s;
}

double map_chunk1() {
    const int n = bench::scaled(100000);
    auto pool = pool2();
    auto start = bench::clock::now();
    auto ys = pool.map(square, std::views::iota(0, n), 1);
    const double s = bench::seconds_since(start);
    if (ys.size() != std::size_t(n) || ys[300] != 90000) throw std::runtime_error("map: wrong results");
    return n / s;
}

double apply_async_all() {
    const int n = bench::scaled(100000);
    auto pool = pool2();
    std::vector<mp::AsyncResult<int>> results;
    results.reserve(n);
    auto start = bench::clock::now();
    for (int i = 0; i < n; ++i) results.push_back(pool.apply_async(square, i));
    long long sum = 0;
    for (auto& r : results) sum += r.get();
    const double s = bench::seconds_since(start);
    if (sum <= 0) throw std::runtime_error("apply_async: wrong results");
    return n / s;
}

double life(mp::start_method method) {
    const int n = bench::scaled(20, 4);
    auto start = bench::clock::now();
    for (int i = 0; i < n; ++i) {
        mp::Pool pool = mp::get_context(method).Pool(2);
        auto ys = pool.map(square, std::vector<int>{1, 2});
        if (ys[1] != 4) throw std::runtime_error("life: wrong results");
        pool.close();
        pool.join();
    }
    return bench::seconds_since(start) * 1e3 / n;
}

// ---- apply round trip against a raw ping-pong --------------------------------

const int roundtrips = bench::scaled(20000);
constexpr int warmup = 200;

double apply_roundtrip() {
    bench::pin_to(parent_cpu());
    mp::Pool pool = mp::get_context(mp::fork).Pool(mp::PoolOptions{.processes = 2, .initializer = pin_worker});
    int sum = 0;
    for (int i = 0; i < warmup; ++i) sum += pool.apply(square, 3);
    auto start = bench::clock::now();
    for (int i = 0; i < roundtrips; ++i) sum += pool.apply(square, 3);
    const double us = bench::seconds_since(start) * 1e6 / roundtrips;
    bench::pin_to_cpus(all_cpus);
    if (sum != 9 * (warmup + roundtrips)) throw std::runtime_error("apply: wrong results");
    return us;
}

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::system_category(), what); }

void write_all(int fd, const void* p, std::size_t n) {
    while (n) {
        ssize_t k = ::write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) fail("write");
        p = static_cast<const char*>(p) + k;
        n -= static_cast<std::size_t>(k);
    }
}
void read_all(int fd, void* p, std::size_t n) {
    while (n) {
        ssize_t k = ::read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) fail("read");
        p = static_cast<char*>(p) + k;
        n -= static_cast<std::size_t>(k);
    }
}

// The peer answers x with x*x over a socketpair: 8-byte length + 4-byte int.
void raw_peer(int fd, int parent_end) {
    ::close(parent_end);  // came with the fork: the parent's close must end this loop
    pin_worker();
    for (;;) {
        char msg[12];
        ssize_t k = ::read(fd, msg, sizeof msg);
        if (k <= 0) return;
        if (k < 12) read_all(fd, msg + k, sizeof msg - static_cast<std::size_t>(k));
        int x;
        std::memcpy(&x, msg + 8, 4);
        x = square(x);
        std::memcpy(msg + 8, &x, 4);
        write_all(fd, msg, sizeof msg);
    }
}

double raw_roundtrip() {
    bench::pin_to(parent_cpu());
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) fail("socketpair");
    mp::Process peer(raw_peer, fds[1], fds[0]);
    peer.start();
    ::close(fds[1]);
    auto exchange = [&] {
        char msg[12] = {};
        std::uint64_t len = 4;
        int x = 3;
        std::memcpy(msg, &len, 8);
        std::memcpy(msg + 8, &x, 4);
        write_all(fds[0], msg, sizeof msg);
        read_all(fds[0], msg, sizeof msg);
        std::memcpy(&x, msg + 8, 4);
        return x;
    };
    int sum = 0;
    for (int i = 0; i < warmup; ++i) sum += exchange();
    auto start = bench::clock::now();
    for (int i = 0; i < roundtrips; ++i) sum += exchange();
    const double us = bench::seconds_since(start) * 1e6 / roundtrips;
    ::close(fds[0]);
    peer.join();
    bench::pin_to_cpus(all_cpus);
    if (sum != 9 * (warmup + roundtrips)) throw std::runtime_error("raw: wrong results");
    return us;
}

template <class F>
void measure(const char* group, const char* unit, F run, int n) {
    std::vector<double> values;
    for (int i = 0; i < n; ++i) values.push_back(run());
    bench::report(group, "mproc", bench::median(values), unit);
}

}  // namespace

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    // Optional arguments: group prefixes to run (all groups without any).
    auto wanted = [&](const char* group) {
        if (argc < 2) return true;
        for (int i = 1; i < argc; ++i)
            if (std::string(group).rfind(argv[i], 0) == 0) return true;
        return false;
    };
    const int n = bench::rounds(5);
    std::fprintf(stderr,
                 "bench_pool placement: throughput groups: parent and workers on CPUs %s (unpinned); pool.apply: "
                 "parent on CPU %d, workers and the raw peer on CPU %d\n",
                 cpu_list(all_cpus).c_str(), parent_cpu(), worker_cpu());
    const std::string unpinned = "parent and 2 workers unpinned (CPUs " + cpu_list(all_cpus) + ")";
    for (const char* group : {"pool.life.fork", "pool.life.spawn", "pool.map.default", "pool.map.chunk1", "pool.apply_async"})
        if (wanted(group)) bench::note(group, "mproc", unpinned);
    if (wanted("pool.apply")) {
        const std::string pinned = "parent on CPU " + std::to_string(parent_cpu()) + ", workers on CPU " + std::to_string(worker_cpu());
        bench::note("pool.apply", "mproc", pinned);
        bench::note("pool.apply", "raw", pinned + "; a socketpair ping-pong with a forked peer");
    }
    try {
        if (wanted("pool.life.fork")) measure("pool.life.fork", "ms/op", [] { return life(mp::fork); }, n);
        if (wanted("pool.life.spawn")) measure("pool.life.spawn", "ms/op", [] { return life(mp::spawn); }, n);
        if (wanted("pool.map.default")) measure("pool.map.default", "tasks/s", map_default, n);
        if (wanted("pool.map.chunk1")) measure("pool.map.chunk1", "tasks/s", map_chunk1, n);
        if (wanted("pool.apply_async")) measure("pool.apply_async", "tasks/s", apply_async_all, n);
        if (wanted("pool.apply"))
            bench::compare("pool.apply", "us/op", bench::contestant<double (*)()>{"mproc", apply_roundtrip},
                           bench::contestant<double (*)()>{"raw", raw_roundtrip}, n, "<=1.5");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_pool: %s\n", e.what());
        return 1;
    }
}
