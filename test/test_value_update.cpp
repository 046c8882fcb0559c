// Value's read-modify-write (issue 17, item 25): `v += 1`, fetch_add and
// modify(fn) are one step under the value's lock, exact across processes
// under every start method, and leave the value unchanged when fn throws.
#define BOOST_TEST_MODULE value_update
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::methods;
using test_support::scaled;

namespace {

struct point {
    int x = 0, y = 0;
};

// Half the increments through +=, half through fetch_add; each fetch_add's
// previous value goes to `seen` (they must all differ).
void add_up(mp::Value<long> v, mp::Queue<long> seen, int n) {
    for (int i = 0; i < n; ++i) {
        if (i % 2) {
            v += 1;
        } else {
            seen.put(v.fetch_add(1));
        }
    }
}

void move_point(mp::Value<point> p, int n) {
    for (int i = 0; i < n; ++i) p.modify([](point& q) {
            ++q.x;
            q.y += 2;
        });
}

}  // namespace

BOOST_AUTO_TEST_CASE(increments_return_what_std_atomic_returns) {
    mp::Value<int> v(5);
    BOOST_TEST((v += 3) == 8);
    BOOST_TEST((v -= 1) == 7);
    BOOST_TEST(v.fetch_add(10) == 7);
    BOOST_TEST(v.fetch_sub(2) == 17);
    BOOST_TEST(v.value() == 15);
    BOOST_TEST(v.modify([](int x) { return x * 2; }) == 30);
    BOOST_TEST(v.modify([](int& x) { x -= 4; }) == 26);
    BOOST_TEST(v.value() == 26);
    mp::Value<double> d(0.1);
    BOOST_TEST(d.fetch_add(0.2) == 0.1);
    BOOST_TEST(d.value() == 0.1 + 0.2);
    mp::Value<std::uint8_t> small(1);
    BOOST_TEST(small.fetch_sub(2) == 1u);
    BOOST_TEST(small.value() == 255u);
    mp::Value<int> unlocked(1, false);  // lock = false: a plain read and write, as Python's
    BOOST_TEST((unlocked += 1) == 2);
}

BOOST_AUTO_TEST_CASE(a_throwing_update_leaves_the_value_and_its_lock_as_they_were) {
    mp::Value<int> v(9);
    BOOST_CHECK_THROW(v.modify([](int& x) {
        x = 1000;
        throw std::runtime_error("no");
    }),
                      std::runtime_error);
    BOOST_TEST(v.value() == 9);
    BOOST_TEST(!v.get_lock().is_mine());
    BOOST_TEST(v.get_lock().acquire(false));
    v.get_lock().release();
}

BOOST_AUTO_TEST_CASE(an_update_inside_the_held_lock_does_not_deadlock) {
    mp::Value<int> v(0);
    std::lock_guard g(v.get_lock());  // an RLock: modify takes it again
    v += 1;
    BOOST_TEST(v.value() == 1);
}

BOOST_DATA_TEST_CASE(processes_incrementing_a_value_lose_no_update, methods(), method) {
    auto ctx = mp::get_context(method);
    const int n = scaled(20000, 2000);
    const int procs = 4;
    mp::Value<long> v = ctx.template Value<long>(0);
    mp::Queue<long> seen = ctx.template Queue<long>();
    std::vector<mp::Process> ps;
    for (int i = 0; i < procs; ++i) ps.push_back(ctx.Process(add_up, v, seen, n));
    for (auto& p : ps) p.start();
    std::vector<long> olds;
    for (int i = 0; i < procs * n / 2; ++i) olds.push_back(seen.get(10s));
    for (auto& p : ps) {
        BOOST_TEST(p.join(60s));
        BOOST_TEST(p.exitcode() == 0);
    }
    BOOST_TEST(v.value() == static_cast<long>(procs) * n);
    std::sort(olds.begin(), olds.end());
    BOOST_TEST((std::adjacent_find(olds.begin(), olds.end()) == olds.end()));  // no two saw the same value
}

BOOST_DATA_TEST_CASE(a_struct_value_is_modified_whole_across_processes, methods(), method) {
    auto ctx = mp::get_context(method);
    const int n = scaled(10000, 1000);
    mp::Value<point> p = ctx.template Value<point>(point{});
    std::vector<mp::Process> ps;
    for (int i = 0; i < 3; ++i) ps.push_back(ctx.Process(move_point, p, n));
    for (auto& q : ps) q.start();
    for (auto& q : ps) {
        BOOST_TEST(q.join(60s));
        BOOST_TEST(q.exitcode() == 0);
    }
    BOOST_TEST(p.value().x == 3 * n);
    BOOST_TEST(p.value().y == 6 * n);
}
