// Pool under fire: two threads keep a Pool(4) busy with a mix of tasks
// (tiny, big arguments, big results, slow, maps, tasks carrying a handle
// whose descriptor travels with them) while a third SIGKILLs a
// random worker at random instants -- as it decodes arguments, runs, or
// encodes its result. Every result is checked; a failure must be a BrokenPool
// naming a worker that was killed (the victim's own tasks), never anything
// else; no wait may hang. Run by `./build.sh stress [SECONDS]` (not by CI):
//
//     stress_pool [SECONDS] [fork|spawn|forkserver]...
//
// SECONDS (default 10) is split among the start methods (default: all three).
// Prints, per method: kills, tasks, victims' failed tasks, failures outside
// the victims, hangs, the longest wait for one result; exits non-zero on any
// failure outside the victims, any hang, a pool unusable at the end, or a
// zombie left behind, or a descriptor left open in the parent.
#include <mproc/mproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <mutex>
#include <numeric>
#include <ranges>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// ---- tasks: each result carries the worker's pid (the killer's targets) ----

std::tuple<int, long> tiny(int x) { return {::getpid(), long(x) * x}; }
std::tuple<int, long> sum(std::vector<int> xs) { return {::getpid(), std::accumulate(xs.begin(), xs.end(), 0L)}; }
std::tuple<int, std::string> big(int n) { return {::getpid(), std::string(static_cast<std::size_t>(n), 'b')}; }
// Its Event travels with the task (its descriptor beside the request).
std::tuple<int, long> with_handle(mp::Event ev, int x) { return {::getpid(), ev.is_set() ? long(x) : -1L}; }
std::tuple<int, long> slow(int us) {
    ::usleep(static_cast<useconds_t>(us));
    return {::getpid(), us};
}

// ---- bookkeeping -----------------------------------------------------------

// The pid a BrokenPool's message names ("worker 123 was killed ..."), or 0.
int named_worker(const std::string& what) {
    const auto at = what.find("worker ");
    return at == std::string::npos ? 0 : std::atoi(what.c_str() + at + 7);
}

struct tally {
    std::mutex mutex;
    std::vector<int> seen;  // worker pids seen lately (the killer picks among them)
    std::set<int> killed;
    long tasks = 0, victims = 0, outside = 0, hangs = 0;
    double longest = 0;
    int printed = 0;

    void saw(int pid) {
        std::lock_guard lock(mutex);
        if (std::find(seen.begin(), seen.end(), pid) == seen.end()) seen.push_back(pid);
        if (seen.size() > 16) seen.erase(seen.begin());
    }
    void ok(double waited) {
        std::lock_guard lock(mutex);
        ++tasks;
        longest = std::max(longest, waited);
    }
    void outside_failure(const std::string& why) {
        std::lock_guard lock(mutex);
        ++tasks;
        ++outside;
        if (printed++ < 10) std::fprintf(stderr, "stress_pool: failure outside the victims: %s\n", why.c_str());
    }
    // A BrokenPool: the victim's own task if it names a worker we killed.
    void broken(const std::string& what, double waited, long count) {
        std::lock_guard lock(mutex);
        longest = std::max(longest, waited);
        const int pid = named_worker(what);
        tasks += count;
        if (killed.count(pid)) {
            victims += count;
        } else {
            outside += count;
            if (printed++ < 10) std::fprintf(stderr, "stress_pool: broken, not a victim: %s\n", what.c_str());
        }
    }
    void hang(const std::string& what) {
        std::lock_guard lock(mutex);
        ++hangs;
        if (printed++ < 10) std::fprintf(stderr, "stress_pool: hang: %s\n", what.c_str());
    }
};

double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

// Waits for one result and checks it with `check(value) -> pid or -1`.
template <class T, class Check>
void collect(tally& t, mp::AsyncResult<T>& r, Check check, long count = 1) {
    const auto start = clock_type::now();
    try {
        T value = r.get(10s);
        const int pid = check(value);
        if (pid < 0) {
            t.outside_failure("a wrong result");
            return;
        }
        t.saw(pid);
        t.ok(since(start));
        for (long i = 1; i < count; ++i) t.ok(0);
    } catch (const mp::TimeoutError& e) {
        t.hang(e.what());
    } catch (const mp::BrokenPool& e) {
        t.broken(e.what(), since(start), count);
    } catch (const std::exception& e) {
        t.outside_failure(e.what());
    }
}

void submitter(mp::Pool& pool, const mp::Event& set_event, tally& t, std::atomic<bool>& stop, unsigned seed) {
    std::mt19937 random(seed);
    while (!stop) {
        std::vector<mp::AsyncResult<std::tuple<int, long>>> longs;
        std::vector<int> expected;
        std::vector<mp::AsyncResult<std::tuple<int, std::string>>> bigs;
        std::vector<int> big_sizes;
        for (int i = 0; i < 16; ++i) {
            switch (random() % 5) {
                case 0: {
                    const int x = static_cast<int>(random() % 1000);
                    longs.push_back(pool.apply_async(tiny, x));
                    expected.push_back(x * x);
                    break;
                }
                case 1: {
                    std::vector<int> xs(static_cast<std::size_t>(random() % 20000), 2);
                    expected.push_back(static_cast<int>(xs.size()) * 2);
                    longs.push_back(pool.apply_async(sum, std::move(xs)));
                    break;
                }
                case 3: {
                    const int x = static_cast<int>(random() % 1000);
                    longs.push_back(pool.apply_async(with_handle, set_event, x));
                    expected.push_back(x);
                    break;
                }
                case 2: {
                    const int n = static_cast<int>(random() % 200000);
                    bigs.push_back(pool.apply_async(big, n));
                    big_sizes.push_back(n);
                    break;
                }
                default: {
                    const int us = static_cast<int>(random() % 2000);
                    longs.push_back(pool.apply_async(slow, us));
                    expected.push_back(us);
                }
            }
        }
        auto mapped = pool.map_async(tiny, std::views::iota(0, 64), 4);
        for (std::size_t i = 0; i < longs.size(); ++i)
            collect(t, longs[i], [&](const std::tuple<int, long>& v) {
                return std::get<1>(v) == expected[i] ? std::get<0>(v) : -1;
            });
        for (std::size_t i = 0; i < bigs.size(); ++i)
            collect(t, bigs[i], [&](const std::tuple<int, std::string>& v) {
                return std::get<1>(v).size() == static_cast<std::size_t>(big_sizes[i]) ? std::get<0>(v) : -1;
            });
        collect(
            t, mapped,
            [](const std::vector<std::tuple<int, long>>& v) {
                for (std::size_t i = 0; i < v.size(); ++i)
                    if (std::get<1>(v[i]) != long(i) * long(i)) return -1;
                return std::get<0>(v.front());
            },
            64);
    }
}

void killer(tally& t, std::atomic<bool>& stop, std::atomic<long>& kills, unsigned seed) {
    std::mt19937 random(seed);
    while (!stop) {
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
        int victim = 0;
        {
            std::lock_guard lock(t.mutex);
            if (t.seen.empty()) continue;
            const std::size_t i = random() % t.seen.size();
            victim = t.seen[i];
            t.seen.erase(t.seen.begin() + static_cast<std::ptrdiff_t>(i));
            t.killed.insert(victim);  // before the kill: its tasks may fail at once
        }
        if (::kill(victim, SIGKILL) == 0) ++kills;
    }
}

std::vector<int> zombie_children() {
    std::vector<int> out;
    DIR* dir = ::opendir("/proc");
    const std::string me = std::to_string(::getpid());
    while (dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        auto close = line.rfind(')');
        if (close == std::string::npos || close + 4 > line.size()) continue;
        const char state = line[close + 2];
        const std::string rest = line.substr(close + 4);
        if (state == 'Z' && rest.substr(0, rest.find(' ')) == me) out.push_back(std::atoi(e->d_name));
    }
    ::closedir(dir);
    return out;
}

std::size_t open_fds() {
    std::size_t n = 0;
    DIR* dir = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
    ::closedir(dir);
    return n;
}

bool run(mp::start_method method, double seconds, const mp::Event& set_event) {
    const std::size_t fds_before = open_fds();
    tally t;
    std::atomic<bool> stop{false};
    std::atomic<long> kills{0};
    bool usable = false;
    {
        mp::Pool pool = mp::get_context(method).Pool(4);
        const auto start = clock_type::now();
        std::thread a([&] { submitter(pool, set_event, t, stop, 1); });
        std::thread b([&] { submitter(pool, set_event, t, stop, 2); });
        std::thread k([&] { killer(t, stop, kills, 3); });
        while (since(start) < seconds) std::this_thread::sleep_for(50ms);
        stop = true;
        k.join();
        a.join();
        b.join();
        // A kill sent just before the killer stopped may still land on the
        // worker this task goes to: that is the victim's task, try again.
        for (int attempt = 0; attempt < 3 && !usable; ++attempt) {
            try {
                usable = std::get<1>(pool.apply(tiny, 7)) == 49;
            } catch (const mp::BrokenPool& e) {
                if (t.killed.count(named_worker(e.what()))) continue;
                std::fprintf(stderr, "stress_pool: the pool is not usable at the end: %s\n", e.what());
                break;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "stress_pool: the pool is not usable at the end: %s\n", e.what());
                break;
            }
        }
        try {
            pool.close();
            pool.join();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "stress_pool: the pool did not end cleanly: %s\n", e.what());
            usable = false;
        }
    }
    // Reaping is immediate for our own children; give the kernel a moment.
    std::vector<int> zombies;
    for (int i = 0; i < 200; ++i) {
        zombies = zombie_children();
        if (zombies.empty()) break;
        std::this_thread::sleep_for(10ms);
    }
    const long fds_left = static_cast<long>(open_fds()) - static_cast<long>(fds_before);
    std::printf(
        "stress_pool %-10s: %ld kills, %ld tasks, %ld failed (victims' own), %ld failed outside the victims, %ld hangs, "
        "longest wait %.3f s, pool usable at the end: %s, zombies: %zu, descriptors left: %ld\n",
        std::string(mp::to_string(method)).c_str(), kills.load(), t.tasks, t.victims, t.outside, t.hangs, t.longest,
        usable ? "yes" : "NO", zombies.size(), fds_left);
    std::fflush(stdout);
    return t.outside == 0 && t.hangs == 0 && usable && zombies.empty() && fds_left <= 0;
}

}  // namespace

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    const double seconds = argc > 1 ? std::atof(argv[1]) : 10;
    std::vector<mp::start_method> methods;
    for (int i = 2; i < argc; ++i) methods.push_back(mp::get_context(argv[i]).method());
    if (methods.empty()) methods = {mp::fork, mp::spawn, mp::forkserver};
    // Made first, so that their descriptors are open before any count: the
    // shared memory, and the fork server (one per program).
    mp::Event set_event;
    set_event.set();
    if (std::find(methods.begin(), methods.end(), mp::forkserver) != methods.end()) {
        auto warm = mp::get_context(mp::forkserver).Process(+[] {});
        warm.start();
        warm.join();
    }
    bool ok = true;
    for (auto m : methods) ok = run(m, seconds / static_cast<double>(methods.size()), set_event) && ok;
    return ok ? 0 : 1;
}
