// The shared-memory layer on its own, below the facades: the waiting helper
// and the sync blocks in one process on a plain mmap, the arena's heap and
// segment pool, a queue's waiting and repair paths driven directly.
#define BOOST_TEST_MODULE shared_layer
#include <boost/test/unit_test.hpp>

#include "posix/owner_lock.hpp"
#include "posix/robust_mutex.hpp"
#include "posix/waiting.hpp"
#include "sync/barrier.hpp"
#include "sync/lock.hpp"
#include "sync/semaphore.hpp"
#include "transport/arena.hpp"
#include "transport/shared_handle.hpp"
#include "transport/shared_queue.hpp"

#include "support/child.hpp"
#include "support/clock.hpp"

#include <mproc/errors.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <vector>

namespace tr = mproc::transport;
namespace posix = mproc::posix;
namespace blocks = mproc::sync;
using namespace std::chrono_literals;
using test_support::fork_child;
using test_support::seconds_since;
using test_support::wait_child;
using clock_type = std::chrono::steady_clock;

namespace {

// Zeroed memory shared with forked children (not the arena).
struct plain_shared {
    explicit plain_shared(std::size_t n) : size(n) {
        p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
    }
    ~plain_shared() { ::munmap(p, size); }
    template <class T>
    T& as() {
        return *static_cast<T*>(p);
    }
    void* p;
    std::size_t size;
};

posix::deadline after(clock_type::duration d) { return clock_type::now() + d; }

// A queue made directly in the arena (no facade), with its handle.
struct raw_queue {
    explicit raw_queue(std::uint64_t maxsize)
        : h(mproc::detail::shared_kind::queue, tr::shared_queue::block_bytes(), tr::shared_queue::block_align()) {
        tr::shared_queue::create(tr::arena_of(h), tr::payload_offset(h), maxsize);
    }
    ~raw_queue() { q().destroy(); }
    tr::shared_queue q() const { return tr::shared_queue(tr::arena_of(h), tr::payload_offset(h)); }
    mproc::detail::shared_handle h;
};

std::string take(tr::shared_queue q, posix::deadline until) {
    std::string out;
    tr::shared_queue::receiver r{[](void* ctx, std::string_view b) { static_cast<std::string*>(ctx)->assign(b); },
                                 nullptr, &out};
    if (!q.get(r, until)) throw mproc::Empty();
    return out;
}

}  // namespace

// ---- the waiting helper ------------------------------------------------------

BOOST_AUTO_TEST_CASE(sleep_slice_tells_a_change_a_slice_and_the_deadline_apart) {
    plain_shared mem(4096);
    auto& word = mem.as<std::atomic<std::uint32_t>>();
    BOOST_TEST((posix::sleep_slice(word, 1, std::nullopt, 1ms) == posix::slept::changed));  // not 1 now
    BOOST_TEST((posix::sleep_slice(word, 0, std::nullopt, 5ms) == posix::slept::slice_over));
    BOOST_TEST((posix::sleep_slice(word, 0, after(5ms), 10s) == posix::slept::deadline));
    BOOST_TEST((posix::sleep_slice(word, 0, after(-1ms), 10s) == posix::slept::deadline));
}

BOOST_AUTO_TEST_CASE(a_wake_all_wakes_a_sleeper_in_another_process_at_once) {
    plain_shared mem(4096);
    auto& w = mem.as<posix::wake_point>();
    auto* flag = reinterpret_cast<std::atomic<std::uint32_t>*>(static_cast<char*>(mem.p) + 64);
    auto* asleep = reinterpret_cast<std::atomic<std::uint32_t>*>(static_cast<char*>(mem.p) + 128);
    // The slice is 10 s: only the wake-up can end the wait in time.
    pid_t waiter = fork_child([&] {
        asleep->store(1);
        const auto start = clock_type::now();
        if (!posix::wait_for(w, [&] { return flag->load() != 0; }, after(20s), 1us, 10s))
            throw std::runtime_error("not woken");
        if (seconds_since(start) > 5) throw std::runtime_error("woken by a slice, not by wake_all");
    });
    while (asleep->load() == 0 || w.sleepers.load() == 0) std::this_thread::sleep_for(1ms);
    flag->store(1);
    w.wake_all();
    BOOST_TEST(wait_child(waiter) == 0);
    w.wake_all();  // a tag a sleeper left when it found its condition true costs one spare wake-up
    BOOST_TEST(w.sleepers.load() == 0u);
}

BOOST_AUTO_TEST_CASE(a_sleeper_killed_asleep_costs_one_spare_wake_up) {
    plain_shared mem(4096);
    auto& w = mem.as<posix::wake_point>();
    pid_t sleeper = fork_child([&] {
        const std::uint32_t seen = w.arm();
        posix::sleep_slice(w.event, seen, std::nullopt, 60s);
    });
    while (w.sleepers.load() == 0) std::this_thread::sleep_for(1ms);
    ::kill(sleeper, SIGKILL);
    BOOST_TEST(wait_child(sleeper) == -SIGKILL);
    const std::uint32_t event = w.event.load();
    w.wake_all();  // the dead one's tag: one wake-up for nobody, then none
    BOOST_TEST(w.event.load() == event + 1);
    BOOST_TEST(w.sleepers.load() == 0u);
    w.wake_all();
    BOOST_TEST(w.event.load() == event + 1);
}

BOOST_AUTO_TEST_CASE(a_waker_killed_before_its_wake_up_costs_the_sleeper_one_slice) {
    plain_shared mem(4096);
    auto& w = mem.as<posix::wake_point>();
    auto* flag = reinterpret_cast<std::atomic<std::uint32_t>*>(static_cast<char*>(mem.p) + 64);
    std::thread waker([&] {
        while (w.sleepers.load() == 0) std::this_thread::sleep_for(1ms);
        flag->store(1);  // committed, and "killed" before wake_all
    });
    const auto start = clock_type::now();
    BOOST_TEST(posix::wait_for(w, [&] { return flag->load() != 0; }, after(10s), 1us, 50ms));
    BOOST_TEST(seconds_since(start) < 5);
    waker.join();
}

BOOST_AUTO_TEST_CASE(wait_for_gives_up_at_its_deadline) {
    plain_shared mem(4096);
    auto& w = mem.as<posix::wake_point>();
    const auto start = clock_type::now();
    BOOST_TEST(!posix::wait_for(w, [] { return false; }, after(50ms), 10us, 10s));
    const double took = seconds_since(start);
    BOOST_TEST(took >= 0.05);
    BOOST_TEST(took < 5);
}

// ---- sync blocks on a plain mmap -------------------------------------------------

BOOST_AUTO_TEST_CASE(a_lock_block_held_by_a_killed_process_is_taken_over) {
    plain_shared mem(4096);
    auto& lock = *new (mem.p) blocks::lock_block{};
    auto* held = reinterpret_cast<std::atomic<std::uint32_t>*>(static_cast<char*>(mem.p) + 64);
    pid_t holder = fork_child([&] {
        blocks::lock_acquire(lock);
        held->store(1);
        ::pause();
    });
    while (held->load() == 0) std::this_thread::sleep_for(1ms);
    BOOST_TEST((blocks::lock_acquire(lock, false, std::nullopt) == blocks::took::timeout));
    ::kill(holder, SIGKILL);
    BOOST_TEST(wait_child(holder) == -SIGKILL);
    BOOST_TEST((blocks::lock_acquire(lock, true, after(10s)) == blocks::took::owner_died));
    BOOST_TEST(lock.m.owner_died());
    blocks::lock_release(lock);
    BOOST_TEST((blocks::lock_acquire(lock, true, after(10s)) == blocks::took::clean));
    blocks::lock_release(lock);
}

BOOST_AUTO_TEST_CASE(a_semaphore_block_wakes_a_waiter_and_times_out) {
    plain_shared mem(4096);
    auto& s = *new (mem.p) blocks::semaphore_block{};
    BOOST_TEST(!blocks::semaphore_acquire(s, true, after(20ms)));
    std::thread releaser([&] {
        while (s.released.sleepers.load() == 0) std::this_thread::sleep_for(1ms);
        blocks::semaphore_release(s);
    });
    BOOST_TEST(blocks::semaphore_acquire(s, true, after(10s)));
    releaser.join();
    BOOST_TEST(s.value.load() == 0u);
}

BOOST_AUTO_TEST_CASE(a_barrier_block_is_broken_by_a_party_killed_waiting) {
    plain_shared mem(4096);
    auto& b = *static_cast<blocks::barrier_block*>(mem.p);
    BOOST_REQUIRE(blocks::barrier_block_bytes(3) <= mem.size);
    blocks::barrier_init(b, 3);
    pid_t victim = fork_child([&] { blocks::barrier_wait(b, std::nullopt, nullptr); });
    while (blocks::barrier_n_waiting(b) < 1) std::this_thread::sleep_for(1ms);
    ::kill(victim, SIGKILL);
    BOOST_TEST(wait_child(victim) == -SIGKILL);
    // The victim watched (lowest slot): this waiter finds it within its idle slice.
    const auto start = clock_type::now();
    BOOST_CHECK_THROW(blocks::barrier_wait(b, after(10s), nullptr), mproc::BrokenBarrierError);
    BOOST_TEST(seconds_since(start) < 5);
    BOOST_TEST(blocks::barrier_broken(b));
    BOOST_TEST(blocks::barrier_n_waiting(b) == 0u);
}

// ---- the arena: heap and segment pool ----------------------------------------------

BOOST_AUTO_TEST_CASE(the_heap_allocates_frees_and_reuses) {
    tr::arena& a = tr::arena::family();
    void* p = a.allocate(1000, 64);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % 64 == 0u);
    std::memset(p, 0xab, 1000);
    a.deallocate(p);
    void* again = a.allocate(1000, 64);
    BOOST_TEST(again == p);  // best fit: the block just freed
    a.deallocate(again);
}

BOOST_AUTO_TEST_CASE(the_heap_grows_the_file_and_refuses_what_the_reservation_cannot_hold) {
    tr::arena& a = tr::arena::family();
    const std::size_t before = a.file_bytes();
    void* big = a.allocate(before * 2, 64);
    BOOST_TEST(a.file_bytes() > before);
    BOOST_TEST(a.holds(a.offset_of(big), before * 2));
    static_cast<char*>(big)[before * 2 - 1] = 1;  // backed: no SIGBUS
    a.deallocate(big);
    BOOST_CHECK_THROW(a.allocate(a.reserve(), 64), std::bad_alloc);
    void* small = a.allocate(64, 64);  // still usable
    a.deallocate(small);
}

BOOST_AUTO_TEST_CASE(the_segment_pool_takes_gives_back_and_reuses) {
    tr::arena& a = tr::arena::family();
    const tr::offset_t first = a.take_segments(3);
    std::set<tr::offset_t> taken;
    tr::offset_t last = first;
    for (tr::offset_t s = first; s; s = *tr::segment_link(a, s)) {
        BOOST_TEST(s % tr::arena::segment_size == 0u);
        BOOST_TEST(a.holds(s, tr::arena::segment_size));
        taken.insert(s);
        last = s;
    }
    BOOST_TEST(taken.size() == 3u);
    const std::size_t pooled = a.free_segments();
    a.give_segments(first, last, 3);
    BOOST_TEST(a.free_segments() == pooled + 3);
    const tr::offset_t again = a.take_segments(3);
    std::set<tr::offset_t> reused;
    tr::offset_t end = again;
    for (tr::offset_t s = again; s; s = *tr::segment_link(a, s)) {
        reused.insert(s);
        end = s;
    }
    BOOST_TEST((reused == taken));  // the pool's head: the chain just given back
    a.give_segments(again, end, 3);
}

BOOST_AUTO_TEST_CASE(the_segment_pool_refills_past_what_it_holds) {
    tr::arena& a = tr::arena::family();
    const std::size_t want = a.free_segments() + 40;
    const tr::offset_t first = a.take_segments(want);
    std::size_t n = 0;
    tr::offset_t last = first;
    for (tr::offset_t s = first; s; s = *tr::segment_link(a, s)) {
        ++n;
        last = s;
    }
    BOOST_TEST(n == want);
    a.give_segments(first, last, n);
}

// ---- a queue's waiting and repair paths ------------------------------------------

BOOST_AUTO_TEST_CASE(an_unbounded_put_honours_its_timeout_while_another_producer_holds_the_lock) {
    // Issue 17 item 13: put(v, 100ms) on an unbounded queue blocked as long as
    // another producer was inside a 2 GiB put.
    raw_queue rq(0);
    std::atomic<bool> holding{false}, done{false};
    std::thread producer([&] {
        posix::robust_guard g(rq.q().producer_lock());
        holding = true;
        const auto since = clock_type::now();
        while (!done && seconds_since(since) < 10) std::this_thread::sleep_for(1ms);
    });
    while (!holding) std::this_thread::sleep_for(1ms);
    const auto start = clock_type::now();
    BOOST_TEST(!rq.q().put("x", after(100ms)));
    const double took = seconds_since(start);
    BOOST_TEST(took >= 0.1);
    BOOST_TEST(took < 5);
    done = true;
    producer.join();
    BOOST_TEST(rq.q().put("x", after(10s)));
    BOOST_TEST(take(rq.q(), after(10s)) == "x");
}

BOOST_AUTO_TEST_CASE(a_producer_and_a_consumer_killed_holding_their_locks_leave_the_queue_usable) {
    raw_queue rq(0);
    BOOST_TEST(rq.q().put("before", after(10s)));
    for (auto lock : {&tr::shared_queue::producer_lock, &tr::shared_queue::consumer_lock}) {
        pid_t holder = fork_child([&] {
            (rq.q().*lock)().lock();
            ::raise(SIGKILL);
        });
        BOOST_TEST(wait_child(holder) == -SIGKILL);
    }
    BOOST_TEST(rq.q().put("after", after(10s)));
    BOOST_TEST(take(rq.q(), after(10s)) == "before");
    BOOST_TEST(take(rq.q(), after(10s)) == "after");
    BOOST_TEST(rq.q().size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_producer_killed_at_random_instants_loses_nothing_it_was_told_was_put) {
    raw_queue rq(0);
    plain_shared mem(4096);
    auto* acked = &mem.as<std::atomic<std::int64_t>>();  // the last put that returned
    std::int64_t next = 0;
    for (int round = 0; round < 20; ++round) {
        acked->store(next - 1);
        const std::int64_t from = next;
        pid_t producer = fork_child([&] {
            const std::string pad(3000 + round * 997, 'p');  // records cross segments
            for (std::int64_t i = from;; ++i) {
                std::string m(reinterpret_cast<const char*>(&i), sizeof i);
                rq.q().put(m + pad, std::nullopt);
                acked->store(i);
            }
        });
        while (acked->load() < from + round) std::this_thread::sleep_for(std::chrono::microseconds(100));
        ::kill(producer, SIGKILL);
        BOOST_TEST(wait_child(producer) == -SIGKILL);
        // Every acknowledged message, in order, once; at most one more (in flight).
        std::int64_t expect = from;
        for (;;) {
            std::string m;
            try {
                m = take(rq.q(), after(0ms));
            } catch (const mproc::Empty&) {
                break;
            }
            std::int64_t i = 0;
            std::memcpy(&i, m.data(), sizeof i);
            BOOST_REQUIRE(i == expect);
            ++expect;
        }
        BOOST_TEST(expect - 1 >= acked->load());
        BOOST_TEST(expect - 1 <= acked->load() + 1);
        next = expect;
    }
}
