// Handles as Pool task arguments under every start method: a Queue, a Lock
// and a Value made before the Pool reach its workers (a Pool always encodes
// its tasks, so they cross as they do to a spawned Process).
#define BOOST_TEST_MODULE pool_handles
#define BOOST_TEST_NO_MAIN
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::methods;

namespace {

int put_square(mp::Queue<int> q, int x) {
    q.put(x * x);
    return x;
}

int add_under_lock(mp::Value<int> counter, int times) {
    for (int i = 0; i < times; ++i) {
        std::lock_guard guard(counter.get_lock());
        counter.set(counter.value() + 1);
    }
    return times;
}

bool lock_is_held_elsewhere(mp::Lock lock, int) {
    if (!lock.acquire(true, 0ms)) return true;
    lock.release();
    return false;
}

}  // namespace

BOOST_DATA_TEST_CASE(a_queue_made_before_the_pool_carries_its_tasks_results, methods(), method) {
    mp::Queue<int> q;
    mp::Pool pool = mp::get_context(method).Pool(2);
    std::vector<int> done;
    for (int x = 1; x <= 8; ++x) done.push_back(pool.apply(put_square, q, x));
    std::vector<int> got;
    for (int i = 0; i < 8; ++i) got.push_back(q.get(10s));
    std::sort(got.begin(), got.end());
    BOOST_TEST(got == (std::vector<int>{1, 4, 9, 16, 25, 36, 49, 64}), boost::test_tools::per_element());
    BOOST_TEST(done.size() == 8u);
    BOOST_TEST(q.empty());
}

BOOST_DATA_TEST_CASE(workers_share_a_value_under_its_lock, methods(), method) {
    mp::Value<int> counter(0);
    mp::Pool pool = mp::get_context(method).Pool(2);
    std::vector<mp::AsyncResult<int>> results;
    for (int i = 0; i < 4; ++i) results.push_back(pool.apply_async(add_under_lock, counter, 2000));
    for (auto& r : results) BOOST_TEST(r.get(10s) == 2000);
    BOOST_TEST(counter.value() == 8000);
}

BOOST_DATA_TEST_CASE(a_lock_held_by_the_parent_is_held_for_the_workers, methods(), method) {
    mp::Lock lock;
    mp::Pool pool = mp::get_context(method).Pool(1);
    lock.acquire();
    BOOST_TEST(pool.apply(lock_is_held_elsewhere, lock, 0));
    lock.release();
    BOOST_TEST(!pool.apply(lock_is_held_elsewhere, lock, 0));
}
