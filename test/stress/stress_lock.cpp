// Lock stress: 4 processes increment one Value under one Lock while the
// harness SIGKILLs a random one inside its critical section and starts it
// again.
//
//     stress_lock [SECONDS [KILLS]]      (defaults 30 and 10000: whichever ends first)
//
// Prints kills (and how many landed inside the critical section),
// increments whose release() returned, the final counter, acquisitions told
// that the previous owner died, and the longest wait for the lock's next
// acquisition after a kill. Exits 1 on a deadlock (no acquisition for 10 s),
// a kill inside the critical section whose next acquisition was not told
// that the owner died, or a counter outside [returned, returned + kills].
//
// How the harness tells (shared memory every worker writes, outside the lock):
//  - in_cs[w] is 1 from just after acquire() returned to just before
//    release(): a worker that died with it set held the lock;
//  - acquisitions: a number the holder bumps under the lock (in a Value) and
//    notes in held_at[w]; a holder killed at acquisition A is followed by
//    acquisition A + 1, which must be the one told; told_at is the last
//    acquisition told;
//  - returned[w] counts the increments whose release() returned.
// The critical section lasts a few microseconds (a spin), so that kills land
// inside it, not only between release and the next acquire.
#include <mproc/mproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr int workers = 4;

struct shared_state {
    mp::Lock lock;
    mp::Value<long> counter{0, false};       // guarded by `lock`
    mp::Value<long> acquisitions{0, false};  // guarded by `lock`
    mp::RawArray<int> in_cs = mp::RawArray<int>(workers);
    mp::RawArray<long> returned = mp::RawArray<long>(workers);
    mp::RawArray<long> held_at = mp::RawArray<long>(workers);  // the acquisition w holds in its section
    mp::RawValue<long> told_at{0};
    mp::RawValue<long> told{0};
};

void spin_for(std::chrono::nanoseconds d) {
    const auto end = steady::now() + d;
    while (steady::now() < end) {}
}

[[noreturn]] void worker_main(shared_state s, int w) {
    for (;;) {
        s.lock.acquire();
        const long a = s.acquisitions.value() + 1;
        s.acquisitions.set(a);
        if (s.lock.previous_owner_died()) {
            s.told_at.set(a);
            s.told.set(s.told.value() + 1);
        }
        s.held_at[w] = a;
        s.in_cs[w] = 1;
        spin_for(3us);
        s.counter.set(s.counter.value() + 1);
        s.in_cs[w] = 0;
        s.lock.release();
        ++s.returned[w];
    }
}

mp::Process start_worker(const shared_state& s, int w) {
    mp::Process p = mp::get_context(mp::fork).Process([s, w] { worker_main(s, w); });
    p.start();
    return p;
}

int dev_shm_entries() {
    int n = 0;
    if (DIR* dir = ::opendir("/dev/shm")) {
        while (dirent* e = ::readdir(dir))
            if (e->d_name[0] != '.') ++n;
        ::closedir(dir);
    }
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    const double seconds = argc > 1 ? std::atof(argv[1]) : 30.0;
    const long max_kills = argc > 2 ? std::atol(argv[2]) : 10000;
    const int shm_before = dev_shm_entries();
    shared_state s;
    std::vector<mp::Process> ps;
    for (int w = 0; w < workers; ++w) ps.push_back(start_worker(s, w));

    std::mt19937 rng(2026);
    long kills = 0, kills_in_cs = 0, not_told = 0;
    double longest_ms = 0, in_cs_wait = 0, restart_time = 0;
    std::vector<double> told_ms;  // kill -> next acquisition told, per kill in the section
    bool deadlock = false;
    const auto t0 = steady::now();
    while (kills < max_kills && std::chrono::duration<double>(steady::now() - t0).count() < seconds) {
        // The victim: the first worker found inside its critical section,
        // scanning from a random one (bounded: a hang here is a deadlock too).
        const int first = static_cast<int>(rng() % workers);
        int w = -1;
        const auto wait_start = steady::now();
        const auto wait_end = wait_start + 10s;
        while (w < 0 && steady::now() < wait_end) {
            for (int k = 0; k < workers && w < 0; ++k)
                if (s.in_cs[(first + k) % workers]) w = (first + k) % workers;
            if (w < 0) std::this_thread::yield();  // leave the CPUs to the workers
        }
        in_cs_wait += std::chrono::duration<double>(steady::now() - wait_start).count();
        if (w < 0) {
            deadlock = true;
            break;
        }
        spin_for(std::chrono::nanoseconds(rng() % 1000));
        const long told_before = s.told.value();
        ps[w].kill();
        ps[w].join();
        const auto killed_at = steady::now();
        ++kills;
        const bool held = s.in_cs[w] != 0;
        const long a = s.held_at[w];
        s.in_cs[w] = 0;
        ps[w] = start_worker(s, w);
        restart_time += std::chrono::duration<double>(steady::now() - killed_at).count();
        if (!held) continue;
        ++kills_in_cs;
        // It died holding the lock at acquisition a: a + 1 must be told.
        const auto end = killed_at + 10s;
        while (s.told.value() == told_before && steady::now() < end) {}
        if (s.told.value() == told_before) {
            deadlock = true;
            break;
        }
        told_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - killed_at).count());
        longest_ms = std::max(longest_ms, told_ms.back());
        if (s.told_at.value() != a + 1) ++not_told;
    }
    for (auto& p : ps) {
        p.kill();
        p.join();
    }
    // The last kills may have left the lock held by a dead worker: one more acquire recovers it.
    if (!s.lock.acquire(true, 10s)) deadlock = true;
    const long counter = s.counter.value();
    s.lock.release();
    long returned = 0;
    for (long r : s.returned) returned += r;
    // + workers: the final kills of the harness, which may land between a
    // release and the bump of `returned`.
    const bool counter_ok = counter >= returned && counter <= returned + kills + workers;
    const int shm = dev_shm_entries() - shm_before;
    const double elapsed = std::chrono::duration<double>(steady::now() - t0).count();

    std::printf("stress_lock: %.1f s, %d workers on one Lock + Value\n", elapsed, workers);
    std::printf("  kills                          %ld (%ld inside the critical section)\n", kills, kills_in_cs);
    std::printf("  acquisitions told owner died   %ld\n", s.told.value());
    std::printf("  kills in the section whose next acquisition was not told  %ld\n", not_told);
    std::printf("  increments whose release() returned  %ld\n", returned);
    std::printf("  final counter                  %ld (allowed %ld..%ld)\n", counter, returned, returned + kills + workers);
    std::sort(told_ms.begin(), told_ms.end());
    const auto pct = [&](double q) { return told_ms.empty() ? 0.0 : told_ms[static_cast<std::size_t>(q * (told_ms.size() - 1))]; };
    std::printf("  kill -> next acquisition told  median %.2f ms, p99 %.2f ms, longest %.2f ms\n", pct(0.5), pct(0.99),
                longest_ms);
    std::printf("  time waiting for a victim in its section %.1f s, restarting %.1f s\n", in_cs_wait, restart_time);
    std::printf("  deadlock                       %s\n", deadlock ? "YES" : "no");
    std::printf("  /dev/shm entries made          %d\n", shm);
    const bool ok = !deadlock && not_told == 0 && counter_ok && shm == 0;
    std::printf("stress_lock: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
