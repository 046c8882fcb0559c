// Value, Array, RawValue, RawArray: contents and locks shared across
// processes under every start method, exact counts under the lock, and a
// writer killed in the middle of a write leaving the old value or the new one.
#define BOOST_TEST_MODULE shared_value
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/child.hpp"
#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <random>
#include <span>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::fork_child;
using test_support::methods;
using test_support::scaled;
using test_support::wait_child;

namespace {

// 4 KiB whose words all hold one number: a torn copy has two numbers.
struct big {
    std::array<std::uint64_t, 512> w{};
    static big of(std::uint64_t k) {
        big b;
        b.w.fill(k);
        return b;
    }
    bool whole() const {
        return std::all_of(w.begin(), w.end(), [&](std::uint64_t x) { return x == w[0]; });
    }
};

void increment(mp::Value<int> v, int n) {
    for (int i = 0; i < n; ++i) {
        std::lock_guard g(v.get_lock());
        v.set(v.value() + 1);
    }
}

void double_each(mp::Array<int> a) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = a[i] * 2;
}

void raw_double_each(mp::RawArray<double> a, mp::RawValue<int> done) {
    for (double& x : a) x *= 2;
    done.set(1);
}

void hold_value_lock_and_die(mp::Value<int> v, mp::Event held) {
    v.get_lock().acquire();
    v.set(7);
    held.set();
    ::raise(SIGKILL);
}

}  // namespace

BOOST_AUTO_TEST_CASE(value_reads_writes_and_has_an_rlock) {
    mp::Value<int> v(41);
    BOOST_TEST(v.value() == 41);
    v.set(42);
    BOOST_TEST(v.value() == 42);
    mp::RLock& l = v.get_lock();
    BOOST_TEST(l.acquire());
    v.set(v.value() + 1);  // the RLock is taken again inside: no deadlock
    l.release();
    BOOST_TEST(v.value() == 43);
    mp::Value<int> copy = v;  // a handle: shares the value
    copy.set(5);
    BOOST_TEST(v.value() == 5);
    mp::Value<double> d;
    BOOST_TEST(d.value() == 0.0);
}

BOOST_AUTO_TEST_CASE(value_without_lock_and_with_a_shared_lock) {
    mp::Value<int> raw(1, false);
    BOOST_CHECK_THROW(raw.get_lock(), mp::Error);
    raw.set(2);
    BOOST_TEST(raw.value() == 2);
    mp::RLock shared;
    mp::Value<int> a(0, shared), b(0, shared);
    a.get_lock().acquire();
    BOOST_TEST(shared.is_mine());
    BOOST_TEST(b.get_lock().is_mine());
    a.get_lock().release();
    BOOST_TEST(!shared.is_mine());
}

BOOST_AUTO_TEST_CASE(raw_value_and_struct_values) {
    mp::RawValue<big> r(big::of(3));
    BOOST_TEST(r.value().w[511] == 3u);
    r.set(big::of(4));
    BOOST_TEST(r.value().whole());
    BOOST_TEST(r.value().w[0] == 4u);
}

BOOST_DATA_TEST_CASE(four_processes_increment_a_value_exactly, methods(), method) {
    auto ctx = mp::get_context(method);
    const int n = scaled(100000, 10000);
    mp::Value<int> v = ctx.template Value<int>(0);
    std::vector<mp::Process> ps;
    for (int i = 0; i < 4; ++i) ps.push_back(ctx.Process(increment, v, n));
    for (auto& p : ps) p.start();
    for (auto& p : ps) {
        BOOST_TEST(p.join(60s));
        BOOST_TEST(p.exitcode() == 0);
    }
    BOOST_TEST(v.value() == 4 * n);
}

BOOST_DATA_TEST_CASE(a_value_whose_lock_holder_died_is_readable_and_recovered, methods(), method) {
    const int runs = method == mp::start_method::fork ? 100 : scaled(10, 3);
    auto ctx = mp::get_context(method);
    for (int run = 0; run < runs; ++run) {
        mp::Value<int> v(0);
        mp::Event held;
        auto p = ctx.Process(hold_value_lock_and_die, v, held);
        p.start();
        BOOST_REQUIRE(held.wait(10s));
        BOOST_REQUIRE(v.get_lock().acquire(true, 10s));
        BOOST_TEST(v.get_lock().previous_owner_died());
        BOOST_TEST(v.value() == 7);  // its set() had returned
        v.get_lock().release();
        BOOST_TEST(p.join(10s));
        BOOST_TEST(v.value() == 7);
    }
}

BOOST_AUTO_TEST_CASE(a_writer_killed_inside_value_set_leaves_old_or_new_never_a_mix) {
    std::mt19937 rng(12345);
    for (int run = 0; run < scaled(50, 10); ++run) {
        mp::Value<big> v(big::of(0));
        mp::RawValue<std::uint64_t> sets(0);
        pid_t pid = fork_child([&] {
            for (std::uint64_t k = 1;; ++k) {
                v.set(big::of(k));
                sets.set(k);
            }
        });
        // Kill it at a random point of its writes (after a random number of them).
        const std::uint64_t after = 1 + rng() % 200;
        while (sets.value() < after) {}
        ::kill(pid, SIGKILL);
        BOOST_TEST(wait_child(pid) == -SIGKILL);
        const big got = v.value();
        BOOST_TEST(got.whole());
        BOOST_TEST(got.w[0] >= after);
    }
}

BOOST_AUTO_TEST_CASE(array_construction_access_and_views) {
    mp::Array<int> zeros(5);
    BOOST_TEST(zeros.size() == 5u);
    BOOST_TEST(std::all_of(zeros.begin(), zeros.end(), [](int x) { return x == 0; }));
    mp::Array<int> a{1, 2, 3};
    BOOST_TEST(a.size() == 3u);
    a[1] = 20;
    BOOST_TEST(static_cast<int>(a[1]) == 20);
    a[0] = a[1];
    BOOST_TEST(static_cast<int>(a[0]) == 20);
    BOOST_CHECK_THROW(a.at(3), std::out_of_range);
    std::span<int> view = a.span();
    BOOST_TEST(view.size() == 3u);
    view[2] = 30;
    BOOST_TEST(static_cast<int>(a[2]) == 30);
    BOOST_TEST(std::accumulate(a.begin(), a.end(), 0) == 70);
    const std::vector<double> src{0.5, 1.5, 2.5, 3.5};
    mp::Array<double> from_range(src);
    BOOST_TEST(std::equal(from_range.begin(), from_range.end(), src.begin(), src.end()));
    mp::Array<double> copy = from_range;  // a handle
    copy[0] = 9.0;
    BOOST_TEST(static_cast<double>(from_range[0]) == 9.0);
    mp::Array<int> unlocked(4, false);
    BOOST_CHECK_THROW(unlocked.get_lock(), mp::Error);
    unlocked[3] = 1;
    BOOST_TEST(static_cast<int>(unlocked[3]) == 1);
    mp::RawArray<int> raw{4, 5};
    raw[0] += 1;
    BOOST_TEST(raw[0] == 5);
    BOOST_TEST(raw.span().size() == 2u);
}

BOOST_DATA_TEST_CASE(arrays_cross_to_children, methods(), method) {
    auto ctx = mp::get_context(method);
    mp::Array<int> a{1, 2, 3, 4};
    auto p = ctx.Process(double_each, a);
    p.start();
    BOOST_TEST(p.join(10s));
    BOOST_TEST(p.exitcode() == 0);
    BOOST_TEST((std::vector<int>(a.begin(), a.end()) == std::vector<int>{2, 4, 6, 8}));
    mp::RawArray<double> r = ctx.template RawArray<double>(3);
    r[0] = 1;
    r[1] = 2;
    r[2] = 3;
    mp::RawValue<int> done = ctx.template RawValue<int>(0);
    auto q = ctx.Process(raw_double_each, r, done);
    q.start();
    BOOST_TEST(q.join(10s));
    BOOST_TEST(done.value() == 1);
    BOOST_TEST((std::vector<double>(r.begin(), r.end()) == std::vector<double>{2, 4, 6}));
}

BOOST_AUTO_TEST_CASE(a_writer_killed_inside_an_array_element_write_leaves_old_or_new) {
    std::mt19937 rng(54321);
    for (int run = 0; run < scaled(50, 10); ++run) {
        mp::Array<big> a(4);
        mp::RawValue<std::uint64_t> writes(0);
        pid_t pid = fork_child([&] {
            for (std::uint64_t k = 1;; ++k) {
                a[k % 4] = big::of(k);
                writes.set(k);
            }
        });
        const std::uint64_t after = 1 + rng() % 200;
        while (writes.value() < after) {}
        ::kill(pid, SIGKILL);
        BOOST_TEST(wait_child(pid) == -SIGKILL);
        for (std::size_t i = 0; i < 4; ++i) {
            const big got = a[i];
            BOOST_TEST(got.whole());
        }
        // The journal is settled: the raw view agrees too.
        for (const big& b : a.span()) BOOST_TEST(b.whole());
    }
}
