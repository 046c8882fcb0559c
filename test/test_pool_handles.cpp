// Handles (Queue, Lock, Event, Value, Connection) as Pool task arguments and
// as a Pool initializer's arguments, under every start method: their
// descriptors travel to the worker with the task, whether the worker already
// had the shared memory (inherited) or not (spawn, forkserver, or a pool
// started before the memory was made). A handle as a task's result fails
// that task clearly, and nothing leaks.
#define BOOST_TEST_MODULE pool_handles
#define BOOST_TEST_NO_MAIN
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <csignal>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::methods;

namespace {

int put_square(mp::Queue<int> q, int x) {
    q.put(x * x);
    return x;
}

int square(int x) { return x * x; }

// Takes the lock without waiting; releases it if it got it.
bool lock_was_free(mp::Lock lock) {
    if (!lock.acquire(false)) return false;
    lock.release();
    return true;
}

bool wait_for(mp::Event ev) { return ev.wait(10s); }

void add_under_lock(mp::Value<int> v, int times) {
    for (int i = 0; i < times; ++i) {
        std::lock_guard g(v.get_lock());
        v.set(v.value() + 1);
    }
}

pid_t send_pid(mp::Connection c) {
    c.send(static_cast<int>(::getpid()));
    return ::getpid();
}

std::size_t open_fd_count() { return test_support::open_fds().size(); }

mp::Queue<int> a_queue() { return mp::Queue<int>(); }

// Set by the initializer in each worker.
std::optional<mp::Queue<int>> worker_queue;

void remember_queue(mp::Queue<int> q) {
    q.put(static_cast<int>(::getpid()));  // one hello per worker started
    worker_queue = q;
}

int put_via_initializer(int x) {
    worker_queue->put(x);
    return static_cast<int>(::getpid());
}

void die() { ::raise(SIGKILL); }

// In a fresh spawned process (no shared memory yet): a Pool first, then the
// Queue, so not even a forked worker inherited the queue's memory.
void pool_before_queue(mp::start_method method) {
    mp::Pool pool = mp::get_context(method).Pool(1);
    mp::Queue<int> q;
    if (pool.apply(put_square, q, 5) != 5 || q.get(10s) != 25) std::_Exit(2);
}

}  // namespace

BOOST_DATA_TEST_CASE(a_queue_crosses_to_a_pool_task, methods(), method) {
    mp::Queue<int> q;
    mp::Pool pool = mp::get_context(method).Pool(2);
    BOOST_TEST(pool.apply(put_square, q, 3) == 3);
    BOOST_TEST(q.get(10s) == 9);
    // Many tasks, the same queue in each: every chunk carries it once.
    std::vector<std::tuple<mp::Queue<int>, int>> items;
    for (int i = 0; i < 100; ++i) items.emplace_back(q, i);
    std::vector<int> firsts = pool.starmap(put_square, items, 7);
    BOOST_TEST(firsts.size() == 100u);
    int sum = 0;
    for (int i = 0; i < 100; ++i) sum += q.get(10s);
    BOOST_TEST(sum == 328350);  // the squares 0..99
    BOOST_TEST(q.empty());
    BOOST_TEST(pool.apply(square, 7) == 49);  // plain tasks still go grouped
}

BOOST_DATA_TEST_CASE(a_queue_made_after_the_pool_crosses_too, methods(), method) {
    auto child = mp::get_context(mp::spawn).Process(pool_before_queue, method);
    child.start();
    child.join(10s);
    BOOST_TEST(child.exitcode() == 0);
}

BOOST_DATA_TEST_CASE(a_lock_and_an_event_cross_to_pool_tasks, methods(), method) {
    mp::Lock lock;
    mp::Event ev;
    mp::Pool pool = mp::get_context(method).Pool(2);
    lock.acquire();
    BOOST_TEST(!pool.apply(lock_was_free, lock));  // the worker sees the parent's hold
    lock.release();
    BOOST_TEST(pool.apply(lock_was_free, lock));
    auto waiting = pool.apply_async(wait_for, ev);
    BOOST_TEST(!waiting.ready());
    ev.set();
    BOOST_TEST(waiting.get(10s));
}

BOOST_DATA_TEST_CASE(values_incremented_by_pool_tasks_under_their_lock_end_exact, methods(), method) {
    mp::Value<int> v(0);
    mp::Pool pool = mp::get_context(method).Pool(2);
    const int per_task = test_support::scaled(5000, 500);
    std::vector<std::tuple<mp::Value<int>, int>> items(8, {v, per_task});
    pool.starmap(add_under_lock, items, 1);
    BOOST_TEST(v.value() == 8 * per_task);
}

BOOST_DATA_TEST_CASE(a_connection_crosses_to_a_pool_task, methods(), method) {
    mp::Pool pool = mp::get_context(method).Pool(1);
    pid_t worker = 0;
    {
        auto [reader, writer] = mp::Pipe(false);
        auto r = pool.apply_async(send_pid, writer);
        writer.close();  // the task carries its own copy
        BOOST_REQUIRE(reader.poll(10s));
        worker = reader.recv<int>();
        BOOST_TEST(r.get(10s) == worker);
        // The worker's copy was closed when the task ended, the pool's
        // once it was answered: the pipe's end is seen.
        BOOST_REQUIRE(reader.poll(10s));
        BOOST_CHECK_THROW(reader.recv<int>(), mp::EOFError);
    }
    BOOST_TEST(worker != ::getpid());
}

BOOST_DATA_TEST_CASE(an_initializer_gets_its_handles_in_every_worker_and_every_replacement, methods(), method) {
    mp::Queue<int> q;
    mp::Pool pool = mp::get_context(method).Pool(mp::PoolOptions{.processes = 2,
                                                                 .initializer = mp::initializer(remember_queue, q)});
    std::set<int> hellos = {q.get(10s), q.get(10s)};
    BOOST_TEST(hellos.size() == 2u);
    const int pid = pool.apply(put_via_initializer, 11);
    BOOST_TEST(q.get(10s) == 11);
    BOOST_TEST(hellos.count(pid) == 1u);
    // A worker killed: its replacement runs the initializer with the queue.
    BOOST_CHECK_THROW(pool.apply(die), mp::BrokenPool);
    const int replacement = q.get(10s);
    BOOST_TEST(hellos.count(replacement) == 0u);
    for (int i = 0; i < 20; ++i) pool.apply(put_via_initializer, i);
    std::set<int> got;
    for (int i = 0; i < 20; ++i) got.insert(q.get(10s));
    BOOST_TEST(got.size() == 20u);
}

BOOST_DATA_TEST_CASE(handles_as_task_arguments_leak_no_descriptor, methods(), method) {
    mp::Queue<int> q;
    mp::Lock lock;
    mp::Pool pool = mp::get_context(method).Pool(1);
    pool.apply(put_square, q, 1);  // the worker has the memory now
    q.get(10s);
    const std::size_t worker_before = pool.apply(open_fd_count);
    const std::size_t parent_before = test_support::open_fds().size();
    for (int i = 0; i < test_support::scaled(200, 40); ++i) {
        pool.apply(put_square, q, i);
        pool.apply(lock_was_free, lock);
        auto [reader, writer] = mp::Pipe(false);
        pool.apply(send_pid, writer);
        q.get(10s);
    }
    BOOST_TEST(pool.apply(open_fd_count) == worker_before);
    BOOST_TEST(test_support::open_fds().size() == parent_before);
}

BOOST_DATA_TEST_CASE(a_handle_as_a_task_result_fails_that_task_clearly, methods(), method) {
    mp::Pool pool = mp::get_context(method).Pool(1);
    try {
        pool.apply(a_queue);
        BOOST_FAIL("a Queue crossed back as a Pool task's result");
    } catch (const mp::RemoteError& e) {
        BOOST_TEST(std::string(e.what()).find("not as a Pool task's result") != std::string::npos, e.what());
    }
    BOOST_TEST(pool.apply(square, 7) == 49);  // the pool goes on
}

BOOST_AUTO_TEST_CASE(dumps_of_a_handle_is_still_refused) {
    mp::Queue<int> q;
    BOOST_CHECK_THROW(mp::dumps(q), mp::ProcessError);
}
