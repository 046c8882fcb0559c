// bench_sync: mproc's Lock and Value against a raw (non-robust)
// process-shared pthread_mutex in the same binary.
//
//   lock.uncontended     acquire + release in one process (<= 1.1x the raw mutex)
//   lock.guard           std::lock_guard<mproc::Lock> (lock/unlock), same baseline
//   lock.contended.2proc two processes, one per CPU, each locking, bumping a
//                        shared counter, unlocking (<= 1.5x the raw mutex)
//   value.increment      Value<int> += 1 under get_lock(), one process, against
//                        the raw mutex guarding a plain int
// bench/py/bench_sync.py measures Python's multiprocessing.Lock and Value on
// the same groups. The parent runs on CPU 0, the peer on CPU 1, for every
// contestant (printed on stderr).
#include "bench_util.hpp"

#include <mproc/mproc.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <stdexcept>
#include <sys/mman.h>
#include <system_error>
#include <unistd.h>

namespace {

constexpr int uncontended_iters = 2000000;
constexpr int contended_iters = 500000;  // per process

int parent_cpu = 0;
int peer_cpu = 1;

// The baseline: a plain (not robust) process-shared mutex and a counter in
// anonymous shared memory, inherited by the forked peer.
struct raw_shared {
    pthread_mutex_t m;
    alignas(64) long counter = 0;
    std::atomic<int> ready{0};
    std::atomic<int> go{0};
};

raw_shared* make_raw() {
    void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    auto* r = new (p) raw_shared();
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&r->m, &a);
    pthread_mutexattr_destroy(&a);
    return r;
}
void drop_raw(raw_shared* r) {
    pthread_mutex_destroy(&r->m);
    ::munmap(r, 4096);
}

template <class F>
double time_us_per_op(int iters, F body) {
    const auto t0 = bench::clock::now();
    body();
    return bench::seconds_since(t0) * 1e6 / iters;
}

double raw_uncontended() {
    raw_shared* r = make_raw();
    const double us = time_us_per_op(uncontended_iters, [&] {
        for (int i = 0; i < uncontended_iters; ++i) {
            pthread_mutex_lock(&r->m);
            pthread_mutex_unlock(&r->m);
        }
    });
    drop_raw(r);
    return us;
}

double mproc_uncontended() {
    mproc::Lock lock;
    return time_us_per_op(uncontended_iters, [&] {
        for (int i = 0; i < uncontended_iters; ++i) {
            lock.acquire();
            lock.release();
        }
    });
}

double mproc_guard() {
    mproc::Lock lock;
    return time_us_per_op(uncontended_iters, [&] {
        for (int i = 0; i < uncontended_iters; ++i) std::lock_guard<mproc::Lock> g(lock);
    });
}

// Runs `body` in the parent (CPU 0) and a forked peer (CPU 1) from one start
// line; returns the time per operation over both.
template <class Body>
double two_processes(raw_shared* line, Body body) {
    mproc::Process peer([line, body]() mutable {
        bench::pin_to(peer_cpu);
        line->ready.store(1);
        while (!line->go.load(std::memory_order_acquire)) {}
        body();
    });
    peer.start();
    while (line->ready.load() == 0) ::sched_yield();
    const auto t0 = bench::clock::now();
    line->go.store(1, std::memory_order_release);
    body();
    peer.join();
    const double s = bench::seconds_since(t0);
    if (peer.exitcode() != 0) throw std::runtime_error("bench_sync: peer failed");
    return s * 1e6 / (2.0 * contended_iters);
}

double raw_contended() {
    raw_shared* r = make_raw();
    const double us = two_processes(r, [r] {
        for (int i = 0; i < contended_iters; ++i) {
            pthread_mutex_lock(&r->m);
            ++r->counter;
            pthread_mutex_unlock(&r->m);
        }
    });
    const long total = r->counter;
    drop_raw(r);
    if (total != 2L * contended_iters) throw std::runtime_error("bench_sync: raw count wrong");
    return us;
}

// The same critical section as raw_contended (the raw counter), under a Lock.
double mproc_contended() {
    raw_shared* r = make_raw();
    mproc::Lock lock;
    const double us = two_processes(r, [lock, r]() mutable {
        for (int i = 0; i < contended_iters; ++i) {
            lock.acquire();
            ++r->counter;
            lock.release();
        }
    });
    const long total = r->counter;
    drop_raw(r);
    if (total != 2L * contended_iters) throw std::runtime_error("bench_sync: mproc count wrong");
    return us;
}

double raw_increment() {
    raw_shared* r = make_raw();
    const double us = time_us_per_op(uncontended_iters, [&] {
        for (int i = 0; i < uncontended_iters; ++i) {
            pthread_mutex_lock(&r->m);
            asm volatile("" ::: "memory");  // the increment is done each time
            ++r->counter;
            pthread_mutex_unlock(&r->m);
        }
    });
    drop_raw(r);
    return us;
}

double mproc_increment() {
    mproc::Value<int> v(0);
    const double us = time_us_per_op(uncontended_iters, [&] {
        for (int i = 0; i < uncontended_iters; ++i) {
            std::lock_guard g(v.get_lock());
            v.set(v.value() + 1);
        }
    });
    if (v.value() != uncontended_iters) throw std::runtime_error("bench_sync: Value count wrong");
    return us;
}

}  // namespace

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    const std::string only = argc > 1 ? argv[1] : "";
    auto wanted = [&](const char* group) { return std::string(group).rfind(only, 0) == 0; };
    try {
        if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) peer_cpu = 0;
        bench::pin_to(parent_cpu);
        std::fprintf(stderr, "bench_sync: parent on CPU %d, peer (contended) on CPU %d, for every contestant\n",
                     parent_cpu, peer_cpu);
        const int n = bench::rounds(9);
        using bench::contestant;
        using bench::round_fn;
        if (wanted("lock.uncontended"))
            bench::compare_all("lock.uncontended", "us/op",
                               {contestant<round_fn>{"mproc", mproc_uncontended},
                                contestant<round_fn>{"pthread_mutex", raw_uncontended}},
                               n, {"<=1.1"});
        if (wanted("lock.guard"))
            bench::compare_all("lock.guard", "us/op",
                               {contestant<round_fn>{"mproc", mproc_guard},
                                contestant<round_fn>{"pthread_mutex", raw_uncontended}},
                               n, {"<=1.1"});
        if (wanted("lock.contended.2proc"))
            bench::compare_all("lock.contended.2proc", "us/op",
                               {contestant<round_fn>{"mproc", mproc_contended},
                                contestant<round_fn>{"pthread_mutex", raw_contended}},
                               n, {"<=1.5"});
        if (wanted("value.increment"))
            bench::compare_all("value.increment", "us/op",
                               {contestant<round_fn>{"mproc", mproc_increment},
                                contestant<round_fn>{"pthread_mutex", raw_increment}},
                               n, {""});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_sync: %s\n", e.what());
        return 1;
    }
    return 0;
}
