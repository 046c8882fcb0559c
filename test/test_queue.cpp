// Queue, SimpleQueue, JoinableQueue: semantics, many producers and consumers,
// large messages, crossing to children under every start method, and what a
// process killed inside put or get leaves behind.
#define BOOST_TEST_MODULE queue
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/child.hpp"
#include "support/clock.hpp"
#include "support/eintr.hpp"
#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include "transport/arena.hpp"
#include "transport/shared_handle.hpp"
#include "transport/shared_queue_log.hpp"

#include <mproc/mproc.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::dev_shm;
using test_support::fork_child;
using test_support::methods;
using test_support::scaled;
using test_support::seconds_since;
using test_support::wait_child;

namespace {

using clock_type = std::chrono::steady_clock;

struct Point {
    int x = 0;
    std::string label;
    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & x & label;
    }
    bool operator==(const Point&) const = default;
};

// The descriptor of this process that is the arena (a memfd named mproc-arena).
int arena_fd() {
    for (int fd : test_support::open_fds()) {
        char link[256] = {};
        const std::string path = "/proc/self/fd/" + std::to_string(fd);
        if (::readlink(path.c_str(), link, sizeof link - 1) > 0 && std::strstr(link, "memfd:mproc-arena")) return fd;
    }
    return -1;
}

// Payloads whose every byte depends on the sequence number: a half-written
// or mixed message fails check_payload. Sizes vary so that messages span
// segments (64 KiB) at every offset. The bodies are made once, so a child in
// a kill test spends its time in put/get, not here.
constexpr std::size_t max_payload = 150000;
std::size_t payload_size(std::uint32_t seq) { return 8 + (seq * 7919u) % max_payload; }
const std::vector<std::string>& bodies() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> made;
        for (std::uint32_t k = 0; k < 16; ++k) {
            std::string s(max_payload + 8, '\0');
            std::uint32_t x = k * 2654435761u + 1;
            for (auto& c : s) {
                x = x * 1103515245u + 12345u;
                c = static_cast<char>(x >> 24);
            }
            made.push_back(std::move(s));
        }
        return made;
    }();
    return all;
}
std::string payload(std::uint32_t seq, std::size_t size) {
    std::string s = bodies()[seq % 16].substr(0, size);
    if (size >= 4) std::memcpy(s.data(), &seq, 4);
    return s;
}
std::string payload(std::uint32_t seq) { return payload(seq, payload_size(seq)); }
bool check_payload(const std::string& s, std::uint32_t& seq) {
    if (s.size() < 8) return false;
    std::memcpy(&seq, s.data(), 4);
    return s.size() == payload_size(seq) && std::memcmp(s.data() + 4, bodies()[seq % 16].data() + 4, s.size() - 4) == 0;
}

// ---- targets for children of every start method --------------------------

void echo_doubled(mp::Queue<int> in, mp::Queue<std::string> out) {
    for (;;) {
        int v = in.get();
        if (v < 0) break;
        out.put(std::to_string(v * 2));
    }
}

void drain_two_queues(mp::Queue<int> a, mp::Queue<int> b, mp::Queue<int> out) {
    out.put(a.get() + b.get());
}

void reader_forever(mp::Queue<std::string> q, mp::Queue<std::string> seen) {
    for (;;) seen.put(q.get());
}

void block_in_get(mp::Queue<int> q, mp::Queue<int> started) {
    started.put(1);
    q.get();
}

void put_one(mp::Queue<int> q) { q.put(1); }

int put_one_task(mp::Queue<int> q) {
    q.put(1);
    return 1;
}

// Bytes of shared memory that blocks and message segments hold now.
std::size_t arena_in_use() { return mp::transport::arena::family().bytes_in_use(); }

void joinable_worker(mp::JoinableQueue<int> q, mp::Queue<int> sums) {
    int sum = 0;
    for (int i = 0; i < 3; ++i) {
        sum += q.get();
        q.task_done();
    }
    sums.put(sum);
}

}  // namespace

// ---- single process ------------------------------------------------------

BOOST_AUTO_TEST_CASE(messages_of_many_types_round_trip_in_order) {
    mp::Queue<std::string> strings;
    strings.put("A");
    strings.put("");
    strings.put(std::string(100000, 'x'));
    BOOST_TEST(strings.get() == "A");
    BOOST_TEST(strings.get() == "");
    BOOST_TEST(strings.get() == std::string(100000, 'x'));

    mp::Queue<Point> points;
    points.put(Point{3, "three"});
    BOOST_TEST((points.get() == Point{3, "three"}));

    mp::Queue<std::map<std::string, std::vector<int>>> maps;
    maps.put({{"a", {1, 2}}, {"b", {}}});
    BOOST_TEST((maps.get() == std::map<std::string, std::vector<int>>{{"a", {1, 2}}, {"b", {}}}));

    mp::Queue<std::vector<unsigned char>> bytes;  // byte strings travel as their bytes
    bytes.put({});
    bytes.put({1, 2, 255});
    BOOST_TEST(bytes.get().empty());
    BOOST_TEST((bytes.get() == std::vector<unsigned char>{1, 2, 255}));

    mp::Queue<double> doubles;
    for (int i = 0; i < 10000; ++i) doubles.put(i * 0.5);
    for (int i = 0; i < 10000; ++i) BOOST_REQUIRE(doubles.get() == i * 0.5);
}

BOOST_AUTO_TEST_CASE(copies_share_one_queue) {
    mp::Queue<int> a;
    mp::Queue<int> b = a;
    a.put(7);
    BOOST_TEST(b.qsize() == 1u);
    BOOST_TEST(b.get() == 7);
    BOOST_TEST(a.empty());
}

BOOST_AUTO_TEST_CASE(get_with_timeout_waits_then_throws_empty) {
    mp::Queue<int> q;
    BOOST_CHECK_THROW(q.get_nowait(), mp::Empty);
    auto t0 = clock_type::now();
    BOOST_CHECK_THROW(q.get(200ms), mp::Empty);
    const double waited = seconds_since(t0);
    BOOST_TEST(waited >= 0.19);
    BOOST_TEST(waited < 5.0);
    BOOST_TEST(!q.try_get(10ms).has_value());
    BOOST_CHECK_THROW(q.get(-1s), mp::Empty);  // negative: do not wait
    q.put(5);
    BOOST_TEST(q.try_get(0s).value() == 5);
}

BOOST_AUTO_TEST_CASE(nan_timeouts_are_invalid_arguments) {
    const std::chrono::duration<double> nan(std::numeric_limits<double>::quiet_NaN());
    mp::Queue<int> q(1);
    BOOST_CHECK_THROW(q.get(nan), std::invalid_argument);
    BOOST_CHECK_THROW(q.try_get(nan), std::invalid_argument);
    BOOST_CHECK_THROW(q.put(1, nan), std::invalid_argument);
    BOOST_TEST(q.empty());  // nothing was put
}

BOOST_AUTO_TEST_CASE(a_bounded_queue_refuses_when_full) {
    mp::Queue<int> q(2);
    BOOST_TEST(q.maxsize() == 2u);
    q.put(1);
    q.put_nowait(2);
    BOOST_TEST(q.full());
    BOOST_TEST(q.qsize() == 2u);
    BOOST_CHECK_THROW(q.put_nowait(3), mp::Full);
    auto t0 = clock_type::now();
    BOOST_CHECK_THROW(q.put(3, 150ms), mp::Full);
    BOOST_TEST(seconds_since(t0) >= 0.14);
    BOOST_TEST(q.get() == 1);
    BOOST_TEST(!q.full());
    q.put_nowait(3);
    BOOST_TEST(q.get() == 2);
    BOOST_TEST(q.get() == 3);
}

BOOST_AUTO_TEST_CASE(a_put_blocked_on_a_full_queue_goes_on_when_another_process_gets) {
    mp::Queue<int> q(1);
    mp::Queue<int> progress;
    q.put(0);
    pid_t pid = fork_child([&] {
        q.put(1);  // blocks until the parent takes 0
        progress.put(1);
    });
    BOOST_TEST(!progress.try_get(100ms).has_value());  // still blocked
    BOOST_TEST(q.get() == 0);
    BOOST_TEST(progress.get(10s) == 1);
    BOOST_TEST(q.get(10s) == 1);
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(an_unbounded_put_never_blocks) {
    mp::Queue<std::string> q;
    const std::string big(1 << 20, 'b');
    auto t0 = clock_type::now();
    for (int i = 0; i < 64; ++i) q.put(big);  // 64 MiB, nobody reading
    for (int i = 0; i < 100000; ++i) q.put("small");
    BOOST_TEST(seconds_since(t0) < 10.0);
    BOOST_TEST(q.qsize() == 100064u);
    for (int i = 0; i < 64; ++i) BOOST_REQUIRE(q.get() == big);
    for (int i = 0; i < 100000; ++i) BOOST_REQUIRE(q.get() == "small");
    BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(close_stops_put_and_get_in_this_process_only) {
    mp::Queue<int> q;
    mp::Queue<int> copy = q;
    q.put(1);
    q.close();
    BOOST_CHECK_THROW(q.put(2), mp::Error);
    BOOST_CHECK_THROW(copy.get(), mp::Error);  // the same queue object in this process
    q.join_thread();
    q.cancel_join_thread();
    BOOST_TEST(q.qsize() == 1u);
}

BOOST_AUTO_TEST_CASE(threads_put_and_get_at_once) {
    mp::Queue<std::pair<int, int>> q;
    constexpr int per_thread = 20000;
    std::vector<std::thread> producers;
    for (int t = 0; t < 3; ++t)
        producers.emplace_back([&q, t] {
            for (int i = 0; i < per_thread; ++i) q.put({t, i});
        });
    std::vector<int> last(3, -1);
    for (int n = 0; n < 3 * per_thread; ++n) {
        auto [t, i] = q.get(10s);
        BOOST_REQUIRE(i == last[t] + 1);
        last[t] = i;
    }
    for (auto& p : producers) p.join();
    BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(simple_queue_puts_gets_and_closes) {
    mp::SimpleQueue<std::string> q;
    BOOST_TEST(q.empty());
    q.put("x");
    BOOST_TEST(!q.empty());
    BOOST_TEST(q.get() == "x");
    q.close();
    BOOST_CHECK_THROW(q.put("y"), mp::Error);
}

BOOST_AUTO_TEST_CASE(a_context_makes_queues) {
    auto ctx = mp::get_context("spawn");
    auto q = ctx.Queue<int>(3);
    auto s = ctx.SimpleQueue<int>();
    auto j = ctx.JoinableQueue<int>();
    q.put(1);
    s.put(2);
    j.put(3);
    BOOST_TEST(q.maxsize() == 3u);
    BOOST_TEST(q.get() + s.get() + j.get() == 6);
    j.task_done();
}

// ---- joinable ------------------------------------------------------------

BOOST_DATA_TEST_CASE(joinable_queue_join_returns_once_every_message_is_done, methods(), method) {
    auto ctx = mp::get_context(method);
    mp::JoinableQueue<int> q;
    mp::Queue<int> sums;
    for (int v : {1, 2, 3}) q.put(v);
    auto p = ctx.Process(joinable_worker, q, sums);
    p.start();
    BOOST_TEST(sums.get(10s) == 6);  // after the worker's three task_done
    q.join();                        // so this returns (a dead worker fails above, not hangs here)
    BOOST_TEST(p.join(10s));
    BOOST_TEST(p.exitcode() == 0);
    BOOST_CHECK_THROW(q.task_done(), mp::Error);  // a fourth
}

BOOST_AUTO_TEST_CASE(joinable_queue_join_waits_for_task_done) {
    mp::JoinableQueue<int> q;
    q.put(1);
    std::atomic<bool> joined{false};
    std::thread waiter([&] {
        q.join();
        joined = true;
    });
    BOOST_TEST(q.get() == 1);
    std::this_thread::sleep_for(50ms);  // give a wrong join() the chance to return
    BOOST_TEST(!joined.load());
    q.task_done();
    waiter.join();
    BOOST_TEST(joined.load());
    BOOST_CHECK_THROW(q.task_done(), mp::Error);
}

// ---- processes -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_forked_child_puts_and_gets) {
    mp::Queue<std::string> to_child;
    mp::Queue<std::string> to_parent;
    pid_t pid = fork_child([&] { to_parent.put("got " + to_child.get()); });
    to_child.put("hello");
    BOOST_TEST(to_parent.get(10s) == "got hello");
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_DATA_TEST_CASE(a_queue_crosses_as_a_process_argument, methods(), method) {
    auto ctx = mp::get_context(method);
    mp::Queue<int> in;
    mp::Queue<std::string> out;
    auto p = ctx.Process(echo_doubled, in, out);
    p.start();
    for (int i = 0; i < 100; ++i) in.put(i);
    in.put(-1);
    for (int i = 0; i < 100; ++i) BOOST_REQUIRE(out.get(10s) == std::to_string(2 * i));
    BOOST_TEST(p.join(10s));
    BOOST_TEST(p.exitcode() == 0);
}

BOOST_DATA_TEST_CASE(several_queues_cross_with_one_descriptor, methods(), method) {
    auto ctx = mp::get_context(method);
    mp::Queue<int> a, b, out;
    a.put(20);
    b.put(22);
    auto p = ctx.Process(drain_two_queues, a, b, out);
    p.start();
    BOOST_TEST(out.get(10s) == 42);
    BOOST_TEST(p.join(10s));
    BOOST_TEST(p.exitcode() == 0);
}

BOOST_AUTO_TEST_CASE(a_queue_serialized_outside_a_task_is_refused) {
    mp::Queue<int> q;
    BOOST_CHECK_THROW(mp::dumps(q), mp::ProcessError);
}

BOOST_AUTO_TEST_CASE(four_producers_four_consumers_lose_nothing_and_keep_each_producers_order) {
    constexpr int producers = 4, consumers = 4;
    const int per_producer = scaled(100000, 10000);
    mp::Queue<std::uint64_t> q;                 // producer << 32 | sequence
    mp::Queue<std::vector<std::uint64_t>> seen;  // each consumer's bitmap
    std::vector<pid_t> pids;
    for (int c = 0; c < consumers; ++c)
        pids.push_back(fork_child([&] {
            std::vector<std::uint64_t> bits((producers * per_producer + 63) / 64);
            std::vector<std::int64_t> last(producers, -1);
            for (;;) {
                const std::uint64_t m = q.get();
                if (m == ~std::uint64_t{0}) break;
                const int p = static_cast<int>(m >> 32);
                const std::int64_t i = static_cast<std::int64_t>(m & 0xffffffff);
                if (i <= last[p]) throw std::runtime_error("out of order");
                last[p] = i;
                const std::uint64_t index = static_cast<std::uint64_t>(p) * per_producer + i;
                bits[index / 64] |= std::uint64_t{1} << (index % 64);
            }
            seen.put(bits);
        }));
    for (int p = 0; p < producers; ++p)
        pids.push_back(fork_child([&, p] {
            for (int i = 0; i < per_producer; ++i) q.put(std::uint64_t(p) << 32 | std::uint64_t(i));
        }));
    for (int p = 0; p < producers; ++p) BOOST_TEST(wait_child(pids[consumers + p]) == 0);
    for (int c = 0; c < consumers; ++c) q.put(~std::uint64_t{0});
    std::vector<std::uint64_t> all((producers * per_producer + 63) / 64);
    std::size_t duplicates = 0;
    for (int c = 0; c < consumers; ++c) {
        auto bits = seen.get(30s);
        BOOST_REQUIRE(bits.size() == all.size());
        for (std::size_t i = 0; i < all.size(); ++i) {
            duplicates += static_cast<std::size_t>(__builtin_popcountll(all[i] & bits[i]));
            all[i] |= bits[i];
        }
    }
    std::size_t delivered = 0;
    for (auto w : all) delivered += static_cast<std::size_t>(__builtin_popcountll(w));
    BOOST_TEST(duplicates == 0u);
    BOOST_TEST(delivered == std::size_t(producers) * per_producer);
    for (int c = 0; c < consumers; ++c) BOOST_TEST(wait_child(pids[c]) == 0);
    BOOST_TEST(q.empty());
}

// ---- large messages ------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_64_mib_message_crosses_whole) {
    mp::Queue<std::string> q;
    std::string big;
    for (std::size_t k = 0; big.size() < (std::size_t{64} << 20); ++k) big += bodies()[k % 16];
    big.resize(std::size_t{64} << 20);
    pid_t pid = fork_child([&] { q.put(big); });
    const std::string got = q.get(30s);
    BOOST_TEST(got.size() == big.size());
    BOOST_TEST((got == big));
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(a_1_gib_message_crosses_whole) {
    const std::size_t size = std::size_t{1} << scaled(30, 28);
    mp::Queue<std::vector<char>> q;
    pid_t pid = fork_child([&] {
        std::vector<char> v(size);
        for (std::size_t i = 0; i < size; i += 4096) v[i] = static_cast<char>(i >> 12);
        v.back() = 'z';
        q.put(v);
    });
    std::vector<char> got = q.get(120s);
    BOOST_TEST(wait_child(pid) == 0);
    BOOST_REQUIRE(got.size() == size);
    bool same = got.back() == 'z';
    for (std::size_t i = 0; i < size && same; i += 4096) same = got[i] == static_cast<char>(i >> 12);
    BOOST_TEST(same);
}

// ---- resources -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_thousand_queues_take_no_descriptor_and_nothing_in_dev_shm) {
    { mp::Queue<int> warm; }  // the family's arena exists from here on
    const auto shm_before = dev_shm();
    const auto fds_before = test_support::open_fds();
    {
        std::vector<mp::Queue<int>> queues;
        for (int i = 0; i < 1000; ++i) {
            queues.emplace_back();
            queues.back().put(i);
        }
        int sum = 0;
        for (auto& q : queues) sum += q.get();
        BOOST_TEST(sum == 999 * 1000 / 2);
        BOOST_TEST((test_support::open_fds() == fds_before));
    }
    for (int i = 0; i < 1000; ++i) {
        mp::Queue<std::string> q;
        q.put("x");
    }
    BOOST_TEST((test_support::open_fds() == fds_before));
    BOOST_TEST((dev_shm() == shm_before));
    for (const auto& name : dev_shm()) BOOST_TEST(name.find("mproc") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(another_user_cannot_open_the_queue_memory) {
    mp::Queue<int> q;
    q.put(1);
    const int fd = arena_fd();
    BOOST_REQUIRE(fd >= 0);
    const pid_t parent = ::getpid();
    const std::string own = "/proc/self/fd/" + std::to_string(fd);
    const int reopened = ::open(own.c_str(), O_RDWR);  // the owner can: the path is right
    BOOST_TEST(reopened >= 0);
    ::close(reopened);
    pid_t pid = fork_child([&] {
        if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(2);
        const std::string path = "/proc/" + std::to_string(parent) + "/fd/" + std::to_string(fd);
        const int opened = ::open(path.c_str(), O_RDWR);
        const int opened_ro = ::open(path.c_str(), O_RDONLY);
        _exit(opened < 0 && opened_ro < 0 ? 0 : 1);
    });
    BOOST_TEST(wait_child(pid) == 0);
    BOOST_TEST(q.get() == 1);
}

// ---- kills ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_reader_terminated_while_blocked_in_get_leaves_the_queue_usable) {
    mp::Queue<int> q, started;
    mp::Process reader(block_in_get, q, started);
    reader.start();
    BOOST_TEST(started.get(10s) == 1);
    reader.terminate();
    BOOST_TEST(reader.join(10s));
    BOOST_TEST(reader.exitcode() == -SIGTERM);
    q.put(1);
    BOOST_TEST(q.get(10s) == 1);
    mp::Queue<std::string> sq, seen;
    mp::Process second(reader_forever, sq, seen);
    second.start();
    sq.put("after");
    BOOST_TEST(seen.get(10s) == "after");
    second.kill();
    BOOST_TEST(second.join(10s));
}

BOOST_AUTO_TEST_CASE(a_producer_killed_inside_put_leaves_no_half_message_and_no_held_lock) {
    std::mt19937 rng(12345);
    const int runs = scaled(100, 20);
    for (int run = 0; run < runs; ++run) {
        mp::Queue<std::string> q;
        mp::Queue<int> ready;
        bodies();
        pid_t pid = fork_child([&] {
            ready.put(1);
            for (std::uint32_t seq = 0;; ++seq) q.put(payload(seq));
        });
        BOOST_REQUIRE(ready.get(10s) == 1);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));  // a random instant
        ::kill(pid, SIGKILL);
        BOOST_TEST(wait_child(pid) == -SIGKILL);
        // Everything there is whole and in order; then the queue works.
        std::int64_t last = -1;
        while (auto m = q.try_get(0s)) {
            std::uint32_t seq = 0;
            BOOST_REQUIRE(check_payload(*m, seq));
            BOOST_REQUIRE(static_cast<std::int64_t>(seq) == last + 1);
            last = seq;
        }
        q.put("after");  // the lock the dead producer may have held is free again
        BOOST_REQUIRE(q.get(10s) == "after");
    }
    BOOST_TEST_MESSAGE("producers killed: " << runs);
}

BOOST_AUTO_TEST_CASE(a_consumer_killed_inside_get_leaves_no_half_message_and_no_held_lock) {
    std::mt19937 rng(54321);
    const int runs = scaled(100, 20);
    constexpr std::uint32_t count = 400;
    int lost_total = 0;
    for (int run = 0; run < runs; ++run) {
        mp::Queue<std::string> q;
        mp::Queue<std::uint32_t> taken;  // what the consumer got, logged at once
        for (std::uint32_t seq = 0; seq < count; ++seq) q.put(payload(seq));
        pid_t pid = fork_child([&] {
            for (;;) {
                std::uint32_t seq = 0;
                if (!check_payload(q.get(), seq)) _exit(3);
                taken.put(seq);
            }
        });
        BOOST_REQUIRE(taken.get(10s) == 0u);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
        ::kill(pid, SIGKILL);
        BOOST_TEST(wait_child(pid) == -SIGKILL);
        std::vector<bool> got(count, false);
        got[0] = true;
        while (auto s = taken.try_get(0s)) got.at(*s) = true;
        std::int64_t last = -1;
        while (auto m = q.try_get(0s)) {
            std::uint32_t seq = 0;
            BOOST_REQUIRE(check_payload(*m, seq));
            BOOST_REQUIRE(static_cast<std::int64_t>(seq) > last);
            BOOST_REQUIRE(!got.at(seq));
            got[seq] = true;
            last = seq;
        }
        // At most the one message the consumer had taken when it died (after
        // get's commit, before logging it) is missing.
        int missing = 0;
        for (bool g : got) missing += g ? 0 : 1;
        BOOST_REQUIRE(missing <= 1);
        lost_total += missing;
        q.put("after");
        BOOST_REQUIRE(q.get(10s) == "after");
    }
    BOOST_TEST_MESSAGE("consumers killed: " << runs << ", taken by the dying consumer: " << lost_total);
}

// ---- lifetime (issue 17 item 11) -------------------------------------------

// A queue that crossed to a child was never freed: ~5 KiB per Process +
// Queue round. Each round's queue is freed with its last handle, in whichever
// process that is, under every start method.
BOOST_DATA_TEST_CASE(process_and_queue_rounds_leave_the_shared_memory_flat, methods(), method) {
    auto ctx = mp::get_context(method);
    const int rounds = method == mp::start_method::fork ? scaled(2000, 300) : scaled(300, 40);
    auto round = [&] {
        mp::Queue<int> q;
        auto p = ctx.Process(put_one, q);
        p.start();
        BOOST_REQUIRE(q.get(10s) == 1);
        BOOST_REQUIRE(p.join(10s));
        BOOST_REQUIRE(p.exitcode() == 0);
    };
    for (int i = 0; i < 20; ++i) round();  // the pool of segments and the table of holders made
    const std::size_t before = arena_in_use();
    for (int i = 0; i < rounds; ++i) round();
    const std::size_t after = arena_in_use();
    BOOST_TEST_MESSAGE(rounds << " rounds: " << before << " -> " << after << " bytes in use");
    BOOST_TEST(after <= before + 16 * 1024);
}

BOOST_DATA_TEST_CASE(pool_task_rounds_with_a_queue_leave_the_shared_memory_flat, methods(), method) {
    auto pool = mp::get_context(method).Pool(2);
    auto round = [&] {
        mp::Queue<int> q;
        BOOST_REQUIRE(pool.apply(put_one_task, q) == 1);
        BOOST_REQUIRE(q.get(10s) == 1);
    };
    for (int i = 0; i < 20; ++i) round();
    const std::size_t before = arena_in_use();
    for (int i = 0; i < scaled(500, 100); ++i) round();
    const std::size_t after = arena_in_use();
    BOOST_TEST_MESSAGE("pool rounds: " << before << " -> " << after << " bytes in use");
    BOOST_TEST(after <= before + 16 * 1024);
}

// Unread messages stayed forever (+201 MB after 200 rounds). All handles
// dropped, one of them by a SIGKILLed child: the queue and its messages go.
BOOST_AUTO_TEST_CASE(a_queue_whose_handles_are_gone_gives_back_its_unread_messages) {
    { mp::Queue<int> warm; }
    const std::string mib(1 << 20, 'm');
    for (bool parent_drops_first : {false, true}) {
        const std::size_t before = arena_in_use();
        std::optional<mp::Queue<std::string>> q(std::in_place);
        mp::Queue<int> ready;
        for (int i = 0; i < 32; ++i) q->put(mib);
        pid_t child = fork_child([&] {
            ready.put(1);
            for (;;) ::pause();  // holds its copy of q until killed
        });
        BOOST_REQUIRE(ready.get(10s) == 1);
        BOOST_TEST(arena_in_use() >= before + (std::size_t{32} << 20));
        if (parent_drops_first) q.reset();  // the child still holds it: nothing freed
        if (parent_drops_first) BOOST_TEST(arena_in_use() >= before + (std::size_t{32} << 20));
        ::kill(child, SIGKILL);
        BOOST_TEST(wait_child(child) == -SIGKILL);
        if (parent_drops_first) {
            // Freed by whoever next looks: here, the next queue that leaves
            // this process and comes back.
            mp::Queue<int> next;
            mp::Process p(put_one, next);
            p.start();
            BOOST_TEST(next.get(10s) == 1);
            BOOST_TEST(p.join(10s));
        } else {
            q.reset();  // the last live handle: the dead child's is released with it
        }
        BOOST_TEST_MESSAGE("before " << before << ", after " << arena_in_use());
        BOOST_TEST(arena_in_use() <= before + 256 * 1024);
    }
}

// ---- a queue written over by another process (issue 17 item 19) -----------

namespace {

namespace tr = mproc::transport;

// A queue made directly in the arena, whose block a test can write over.
struct exposed_queue {
    exposed_queue()
        : h(mp::detail::shared_kind::queue, tr::shared_queue::block_bytes(), tr::shared_queue::block_align()) {
        tr::shared_queue::create(tr::arena_of(h), tr::payload_offset(h), 0);
    }
    tr::shared_queue q() const { return tr::shared_queue(tr::arena_of(h), tr::payload_offset(h)); }
    tr::queue_block& block() const { return *tr::arena_of(h).at<tr::queue_block>(tr::payload_offset(h)); }
    tr::arena& arena() const { return tr::arena_of(h); }
    mp::detail::shared_handle h;
};

bool put_bytes(const exposed_queue& e, const std::string& m) {
    return e.q().put(m, std::chrono::steady_clock::now() + 10s);
}

bool get_bytes(const exposed_queue& e) {
    std::string out;
    tr::shared_queue::receiver r{[](void* ctx, std::string_view b) { static_cast<std::string*>(ctx)->assign(b); },
                                 nullptr, &out};
    return e.q().get(r, std::chrono::steady_clock::now() + 100ms);
}

// A forked child stores `value` at `word` (in the arena) and exits.
void child_writes(std::uint64_t* word, std::uint64_t value) {
    pid_t pid = fork_child([&] { std::atomic_ref<std::uint64_t>(*word).store(value); });
    BOOST_REQUIRE(wait_child(pid) == 0);
}

// Past the file but inside the mapping (SIGBUS when read), and past the mapping (SIGSEGV).
std::uint64_t past_the_file(const tr::arena& a) { return a.reserve() - tr::arena::segment_size + 64; }
std::uint64_t past_the_mapping(const tr::arena& a) { return a.reserve() + (std::uint64_t{1} << 40); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_head_written_over_by_a_child_is_a_clear_error_in_the_reader) {
    for (bool inside : {true, false}) {
        exposed_queue e;
        BOOST_REQUIRE(put_bytes(e, "m"));
        auto& head = e.block().head;
        child_writes(reinterpret_cast<std::uint64_t*>(&head), inside ? past_the_file(e.arena()) : past_the_mapping(e.arena()));
        BOOST_CHECK_THROW(get_bytes(e), mp::Error);
        BOOST_CHECK_THROW(e.q().empty(), mp::Error);
    }
}

BOOST_AUTO_TEST_CASE(a_tail_written_over_by_a_child_is_a_clear_error_in_the_writer) {
    for (bool inside : {true, false}) {
        exposed_queue e;
        BOOST_REQUIRE(put_bytes(e, "m"));
        auto& b = e.block();
        const std::uint32_t now = b.current.load();
        child_writes(&b.producer[now].tail, inside ? past_the_file(e.arena()) : past_the_mapping(e.arena()) + 8);
        BOOST_CHECK_THROW(put_bytes(e, "n"), mp::Error);
    }
}

BOOST_AUTO_TEST_CASE(a_segment_link_written_over_by_a_child_is_a_clear_error_in_the_reader) {
    for (std::uint64_t wild : {std::uint64_t{0}, std::uint64_t{1} << 20 | 8, std::uint64_t{1} << 62}) {
        exposed_queue e;
        BOOST_REQUIRE(put_bytes(e, std::string(100000, 'x')));  // spans two segments
        const tr::offset_t first = tr::queue_layout::seg_of(e.block().head.load());
        child_writes(e.arena().at<std::uint64_t>(first), wild);
        BOOST_CHECK_THROW(get_bytes(e), mp::Error);
    }
}

BOOST_AUTO_TEST_CASE(a_message_length_written_over_by_a_child_is_a_clear_error_in_the_reader) {
    // A record's header word holds its length (24 bits, or "the length is the
    // next word"): a length longer than the segments hold, or a wild one.
    for (std::uint64_t size_field : {std::uint64_t{0xfffffe}, tr::queue_layout::long_size}) {
        exposed_queue e;
        BOOST_REQUIRE(put_bytes(e, std::string(100000, 'x')));  // 'x' bytes read as a length: 8.7e18
        const tr::offset_t head = e.block().head.load();
        auto* header = e.arena().at<std::uint64_t>(head);
        child_writes(header, (*header & ~tr::queue_layout::long_size) | size_field);
        BOOST_CHECK_THROW(get_bytes(e), mp::Error);
    }
}
