// Queue benchmarks: mproc::Queue between the parent and forked children,
// against baselines in the same binary doing the same work.
//
//   queue.small.1to1   8-byte messages, 1 producer -> 1 consumer  (Mmsg/s)
//                      vs Boost.Interprocess message_queue (target >= 2x) and
//                      a boost::lockfree::spsc_queue in shared memory (>= 0.25x)
//   queue.small.4to1   the same from 4 producers                  (Mmsg/s)
//                      vs message_queue (>= 1x)
//   queue.bulk.1mib    1 MiB messages                             (MB/s)
//                      vs a raw pipe moving the same bytes (>= 1x)
//   queue.latency      put -> get -> put back -> get round trip, idle queues
//                      (us/op) vs a raw futex ping-pong in shared memory (<= 1.2x)
//
// Placement (printed on stderr): the consumer (the parent) on CPU 0, every
// producer on CPU 1 (both on CPU 0 on a one-CPU machine), the same for
// every contestant. A round starts when every peer is ready and says go.
#include "bench_util.hpp"

#include <mproc/process.hpp>
#include <mproc/queue.hpp>
#include <mproc/main.hpp>

#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/futex.h>
#include <memory>
#include <new>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <utility>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace {

namespace bi = boost::interprocess;

const int small_messages = bench::scaled(1000000);
const int mq_messages = bench::scaled(300000);  // message_queue is slow: fewer, same rate
const int bulk_messages = bench::scaled(256);
constexpr std::size_t bulk_size = 1 << 20;
const int latency_iters = bench::scaled(20000);
constexpr int producers4 = 4;

int consumer_cpu = 0;
int producer_cpu = 1;

// A page of anonymous shared memory (inherited by forked peers).
template <class T>
T* shared_object() {
    void* p = ::mmap(nullptr, sizeof(T) + 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    return new (p) T();
}
template <class T>
void drop_shared(T* p) {
    p->~T();
    ::munmap(p, sizeof(T) + 4096);
}

// Peers report ready, then wait for go: a round times the work only.
struct start_line {
    std::atomic<int> ready{0};
    std::atomic<int> go{0};
};

class peers {
public:
    explicit peers(int count) : line_(shared_object<start_line>()), count_(count) {}
    ~peers() { drop_shared(line_); }
    template <class F>
    void start(F body) {
        start_line* line = line_;
        mproc::Process p([line, body]() mutable {
            bench::pin_to(producer_cpu);
            line->ready.fetch_add(1);
            while (!line->go.load(std::memory_order_acquire)) {}
            body();
        });
        p.start();
        procs_.push_back(std::move(p));
    }
    // Waits for every peer, then lets them go; returns the start time.
    bench::clock::time_point go() {
        while (line_->ready.load() < count_) ::sched_yield();
        const auto t0 = bench::clock::now();
        line_->go.store(1, std::memory_order_release);
        return t0;
    }
    void finish() {
        for (auto& p : procs_) {
            p.join();
            if (p.exitcode() != 0) throw std::runtime_error("bench peer failed");
        }
    }

private:
    start_line* line_;
    int count_;
    std::vector<mproc::Process> procs_;
};

[[noreturn]] void wrong(const char* what) { throw std::runtime_error(std::string("bench_queue: ") + what); }

// ---- 8-byte messages -------------------------------------------------------

double mproc_small(int producers) {
    mproc::Queue<std::uint64_t> q;
    const int each = small_messages / producers;
    peers ps(producers);
    for (int k = 0; k < producers; ++k)
        ps.start([q, each, k]() mutable {
            for (int i = 0; i < each; ++i) q.put(std::uint64_t(k) << 32 | std::uint64_t(i));
        });
    const auto t0 = ps.go();
    std::uint64_t sum = 0;
    for (int i = 0; i < each * producers; ++i) sum += q.get() & 0xffffffff;
    const double s = bench::seconds_since(t0);
    ps.finish();
    if (sum != std::uint64_t(producers) * (std::uint64_t(each) * (each - 1) / 2)) wrong("mproc: wrong messages");
    return each * producers / s / 1e6;
}

double boost_mq_small(int producers) {
    const std::string name = "mproc_bench_mq_" + std::to_string(::getpid());
    bi::message_queue::remove(name.c_str());
    bi::message_queue mq(bi::create_only, name.c_str(), 1024, sizeof(std::uint64_t));
    bi::message_queue::remove(name.c_str());  // the mapping stays; no name left behind
    const int each = mq_messages / producers;
    peers ps(producers);
    for (int k = 0; k < producers; ++k)
        ps.start([&mq, each, k] {
            for (int i = 0; i < each; ++i) {
                const std::uint64_t v = std::uint64_t(k) << 32 | std::uint64_t(i);
                mq.send(&v, sizeof v, 0);
            }
        });
    const auto t0 = ps.go();
    std::uint64_t sum = 0;
    for (int i = 0; i < each * producers; ++i) {
        std::uint64_t v = 0;
        bi::message_queue::size_type got = 0;
        unsigned prio = 0;
        mq.receive(&v, sizeof v, got, prio);
        sum += v & 0xffffffff;
    }
    const double s = bench::seconds_since(t0);
    ps.finish();
    if (sum != std::uint64_t(producers) * (std::uint64_t(each) * (each - 1) / 2)) wrong("mq: wrong messages");
    return each * producers / s / 1e6;
}

using spsc = boost::lockfree::spsc_queue<std::uint64_t, boost::lockfree::capacity<65536>>;

double spsc_small() {
    spsc* q = shared_object<spsc>();
    peers ps(1);
    ps.start([q] {
        for (int i = 0; i < small_messages; ++i)
            while (!q->push(std::uint64_t(i))) {}
    });
    const auto t0 = ps.go();
    std::uint64_t sum = 0;
    for (int i = 0; i < small_messages; ++i) {
        std::uint64_t v;
        while (!q->pop(v)) {}
        sum += v;
    }
    const double s = bench::seconds_since(t0);
    ps.finish();
    drop_shared(q);
    if (sum != std::uint64_t(small_messages) * (small_messages - 1) / 2) wrong("spsc: wrong messages");
    return small_messages / s / 1e6;
}

// ---- 1 MiB messages --------------------------------------------------------

double mproc_bulk() {
    mproc::Queue<std::string> q;
    peers ps(1);
    ps.start([q]() mutable {
        const std::string payload(bulk_size, 'b');
        for (int i = 0; i < bulk_messages; ++i) q.put(payload);
    });
    const auto t0 = ps.go();
    for (int i = 0; i < bulk_messages; ++i)
        if (q.get().size() != bulk_size) wrong("mproc bulk: wrong size");
    const double s = bench::seconds_since(t0);
    ps.finish();
    return bulk_messages * double(bulk_size) / s / 1e6;
}

void write_all(int fd, const char* p, std::size_t n) {
    while (n) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "write");
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}
void read_all(int fd, char* p, std::size_t n) {
    while (n) {
        ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) wrong("pipe: short read");
        p += r;
        n -= static_cast<std::size_t>(r);
    }
}

double pipe_bulk() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    peers ps(1);
    const int rfd = fds[0], wfd = fds[1];
    ps.start([rfd, wfd] {
        ::close(rfd);
        const std::string payload(bulk_size, 'b');
        for (int i = 0; i < bulk_messages; ++i) {
            const std::uint64_t len = payload.size();
            write_all(wfd, reinterpret_cast<const char*>(&len), sizeof len);
            write_all(wfd, payload.data(), payload.size());
        }
    });
    ::close(wfd);
    std::string buf;  // reused, as a raw loop would
    const auto t0 = ps.go();
    for (int i = 0; i < bulk_messages; ++i) {
        std::uint64_t len = 0;
        read_all(rfd, reinterpret_cast<char*>(&len), sizeof len);
        buf.resize(len);
        read_all(rfd, buf.data(), len);
        if (len != bulk_size) wrong("pipe bulk: wrong size");
    }
    const double s = bench::seconds_since(t0);
    ps.finish();
    ::close(rfd);
    return bulk_messages * double(bulk_size) / s / 1e6;
}

// ---- latency ---------------------------------------------------------------

double mproc_latency() {
    mproc::Queue<std::uint64_t> there, back;
    peers ps(1);
    ps.start([there, back]() mutable {
        for (int i = 0; i < latency_iters + 100; ++i) back.put(there.get());
    });
    ps.go();
    for (int i = 0; i < 100; ++i) {
        there.put(std::uint64_t(i));
        back.get();
    }
    const auto t0 = bench::clock::now();
    for (int i = 0; i < latency_iters; ++i) {
        there.put(std::uint64_t(i));
        if (back.get() != std::uint64_t(i)) wrong("mproc latency: wrong message");
    }
    const double s = bench::seconds_since(t0);
    ps.finish();
    return s * 1e6 / latency_iters;
}

void futex_wait(std::atomic<std::uint32_t>* w, std::uint32_t v) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(w), FUTEX_WAIT, v, nullptr, nullptr, 0);
}
void futex_wake(std::atomic<std::uint32_t>* w) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(w), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

double futex_latency() {
    // word: 1 = the parent's ping is there, 2 = the child's pong is there.
    auto* word = shared_object<std::atomic<std::uint32_t>>();
    peers ps(1);
    ps.start([word] {
        for (int i = 0; i < latency_iters + 100; ++i) {
            std::uint32_t v;
            while ((v = word->load()) != 1) futex_wait(word, v);
            word->store(2);
            futex_wake(word);
        }
    });
    ps.go();
    auto round_trip = [word] {
        word->store(1);
        futex_wake(word);
        std::uint32_t v;
        while ((v = word->load()) != 2) futex_wait(word, v);
    };
    for (int i = 0; i < 100; ++i) round_trip();
    const auto t0 = bench::clock::now();
    for (int i = 0; i < latency_iters; ++i) round_trip();
    const double s = bench::seconds_since(t0);
    ps.finish();
    drop_shared(word);
    return s * 1e6 / latency_iters;
}

}  // namespace

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    const std::string only = argc > 1 ? argv[1] : "";
    auto wanted = [&](const char* group) { return std::string(group).rfind(only, 0) == 0; };
    try {
        if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) producer_cpu = 0;
        bench::pin_to(consumer_cpu);
        std::fprintf(stderr, "bench_queue: consumer (parent) on CPU %d, producer(s) on CPU %d, for every contestant\n",
                     consumer_cpu, producer_cpu);
        const int n = bench::rounds();
        const std::string placed = "consumer (parent) on CPU " + std::to_string(consumer_cpu) + ", producers on CPU " +
                                   std::to_string(producer_cpu);
        auto notes = [&](const char* group, std::vector<std::pair<const char*, const char*>> how) {
            for (auto& [impl, text] : how) bench::note(group, impl, placed + "; " + text);
        };
        const char* mproc_waits = "spins ~20 us, then blocks on a futex";
        using bench::contestant;
        using bench::round_fn;
        if (wanted("queue.small.1to1")) {
            notes("queue.small.1to1", {{"mproc", mproc_waits},
                                       {"boost_message_queue", "blocks (interprocess mutex + condition)"},
                                       {"spsc", "boost::lockfree::spsc_queue in shared memory, busy-polls"}});
            bench::compare_all("queue.small.1to1", "Mmsg/s",
                               {{"mproc", [] { return mproc_small(1); }},
                                {"boost_message_queue", [] { return boost_mq_small(1); }},
                                {"spsc", [] { return spsc_small(); }}},
                               n, {">=2", ">=0.25"});
        }
        if (wanted("queue.small.4to1")) {
            notes("queue.small.4to1", {{"mproc", mproc_waits}, {"boost_message_queue", "blocks (interprocess mutex + condition)"}});
            bench::compare_all("queue.small.4to1", "Mmsg/s",
                               {{"mproc", [] { return mproc_small(producers4); }},
                                {"boost_message_queue", [] { return boost_mq_small(producers4); }}},
                               n, {">=1"});
        }
        if (wanted("queue.bulk.1mib")) {
            notes("queue.bulk.1mib", {{"mproc", mproc_waits}, {"raw", "a pipe, length + payload, blocks in read"}});
            bench::compare("queue.bulk.1mib", "MB/s", contestant<round_fn>{"mproc", mproc_bulk},
                           contestant<round_fn>{"raw", pipe_bulk}, n, ">=1");
        }
        if (wanted("queue.latency")) {
            notes("queue.latency", {{"mproc", mproc_waits}, {"raw", "a futex ping-pong in shared memory, blocks"}});
            bench::compare("queue.latency", "us/op", contestant<round_fn>{"mproc", mproc_latency},
                           contestant<round_fn>{"raw", futex_latency}, n, "<=1.2");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_queue: %s\n", e.what());
        return 1;
    }
    return 0;
}
