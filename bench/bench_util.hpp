// Timing and reporting helpers shared by the bench/bench_*.cpp programs.
//
// Output: one JSON object per line on stdout (bench/compare.py reads them):
//   {"group":"pipe.pingpong.int","impl":"mproc","value":9.8,"unit":"us/op"}
//   {"group":"pipe.pingpong.int","impl":"mproc/raw","value":1.04,"unit":"ratio","target":"<=1.2"}
// Units: "us/op" (lower is better) or "MB/s" (10^6 bytes/s, higher is better).
// A "ratio" line is the median of per-round ratios of two implementations
// measured in the same run, alternating rounds, so machine noise hits both.
#pragma once

#include <algorithm>
#include <cerrno>
#include <sched.h>
#include <system_error>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

/// Pins the calling process to `cpus` (the same placement for every
/// contestant). Throws std::system_error.
inline void pin_to_cpus(const std::vector<int>& cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) throw std::system_error(errno, std::generic_category(), "pin");
}
inline void pin_to(int cpu) { pin_to_cpus({cpu}); }

using clock = std::chrono::steady_clock;

inline double seconds_since(clock::time_point start) {
    return std::chrono::duration<double>(clock::now() - start).count();
}

inline double median(std::vector<double> xs) {
    if (xs.empty()) return 0;
    std::sort(xs.begin(), xs.end());
    const std::size_t mid = xs.size() / 2;
    return xs.size() % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/// Rounds per implementation: MPROC_BENCH_ROUNDS, else `fallback`.
inline int rounds(int fallback = 7) {
    const char* env = std::getenv("MPROC_BENCH_ROUNDS");
    int n = env ? std::atoi(env) : 0;
    return n > 0 ? n : fallback;
}

/// True under `./build.sh bench --quick` (MPROC_BENCH_QUICK=1): fewer items per round.
inline bool quick() {
    const char* env = std::getenv("MPROC_BENCH_QUICK");
    return env && std::string_view(env) == "1";
}

/// `full`, or a fifth of it (at least `floor`) under --quick.
inline int scaled(int full, int floor = 1) { return quick() ? std::max(full / 5, floor) : full; }

/// Prints one result line. Names are plain identifiers: no JSON escaping needed.
inline void report(std::string_view group, std::string_view impl, double value, std::string_view unit,
                   std::string_view target = {}) {
    std::printf("{\"group\":\"%.*s\",\"impl\":\"%.*s\",\"value\":%.6g,\"unit\":\"%.*s\"",
                int(group.size()), group.data(), int(impl.size()), impl.data(), value, int(unit.size()),
                unit.data());
    if (!target.empty()) std::printf(",\"target\":\"%.*s\"", int(target.size()), target.data());
    std::printf("}\n");
    std::fflush(stdout);  // one line at a time, even if we die later
}

/// Prints how `impl` ran in `group` (placement, blocks or busy-polls), a line
/// compare.py shows beside the figures. Quotes and backslashes are dropped.
inline void note(std::string_view group, std::string_view impl, std::string_view text) {
    std::string clean;
    for (char c : text)
        if (c != '"' && c != '\\') clean += c;
    std::printf("{\"group\":\"%.*s\",\"impl\":\"%.*s\",\"note\":\"%s\"}\n", int(group.size()), group.data(),
                int(impl.size()), impl.data(), clean.c_str());
    std::fflush(stdout);
}

/// One contestant: a name and a function running one timed round that
/// returns its figure in `unit`.
template <class F>
struct contestant {
    std::string name;
    F run;
};

/// Runs `a` and `b` for `n` rounds each, interleaved as ab ba ab ... so that
/// neither always goes first; reports both medians and the median of the
/// per-round ratios a/b (with `target`, e.g. "<=1.2", for the table).
template <class A, class B>
void compare(std::string_view group, std::string_view unit, contestant<A> a, contestant<B> b, int n,
             std::string_view target = {}) {
    std::vector<double> va, vb, ratios;
    for (int i = 0; i < n; ++i) {
        double x, y;
        if (i % 2 == 0) {
            x = a.run();
            y = b.run();
        } else {
            y = b.run();
            x = a.run();
        }
        va.push_back(x);
        vb.push_back(y);
        ratios.push_back(x / y);
    }
    report(group, a.name, median(va), unit);
    report(group, b.name, median(vb), unit);
    report(group, a.name + "/" + b.name, median(ratios), "ratio", target);
}

/// A contestant of compare_all: one timed round returning its figure.
using round_fn = std::function<double()>;

/// Runs mproc (all[0]) against each baseline for `n` rounds, rotating the
/// order within a round so no one always goes first; reports every median
/// and the median of mproc's per-round ratio to each baseline (`targets[i]`
/// for baseline i + 1, "" for none).
inline void compare_all(std::string_view group, std::string_view unit, const std::vector<contestant<round_fn>>& all,
                        int n, const std::vector<std::string>& targets) {
    std::vector<std::vector<double>> values(all.size()), ratios(all.size());
    for (int round = 0; round < n; ++round) {
        std::vector<double> v(all.size());
        for (std::size_t k = 0; k < all.size(); ++k) {
            std::size_t i = (k + static_cast<std::size_t>(round)) % all.size();
            v[i] = all[i].run();
        }
        for (std::size_t i = 0; i < all.size(); ++i) {
            values[i].push_back(v[i]);
            if (i > 0) ratios[i].push_back(v[0] / v[i]);
        }
    }
    for (std::size_t i = 0; i < all.size(); ++i) report(group, all[i].name, median(values[i]), unit);
    for (std::size_t i = 1; i < all.size(); ++i)
        report(group, all[0].name + "/" + all[i].name, median(ratios[i]), "ratio", targets.at(i - 1));
}

}  // namespace bench
