// iceoryx 2.0 (Debian's libiceoryx-posh-dev) on bench_queue.cpp's workloads,
// beside mproc's Queue (whose figures come from bench_queue, compared by medians):
//
//   queue.small.1to1   8-byte messages, 1 publisher -> 1 subscriber   (Mmsg/s)
//   queue.latency      publish -> take -> publish back -> take, idle   (us/op)
//
// This program starts iceoryx's RouDi daemon (iox-roudi) and stops it at the
// end. The parent is the subscriber (the consumer) on CPU 0; each round
// spawns a fresh producer (or echo) process on CPU 1, started by mproc's
// spawn so that it registers with RouDi as a process of its own. Typed
// Publisher/Subscriber of uint64_t, no loss: the publisher waits for the
// consumer (WAIT_FOR_CONSUMER, the subscriber BLOCK_PRODUCER, queue of 256).
// Two ways to wait, both reported:
//   iceoryx            the subscriber blocks in a WaitSet until data is there
//   iceoryx_busypoll   the subscriber spins on take()
// Throughput is timed from the first message taken to the last.
#include "bench_util.hpp"

#include <mproc/context.hpp>
#include <mproc/main.hpp>
#include <mproc/process.hpp>
#include <mproc/subprocess.hpp>

#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/popo/publisher.hpp"
#include "iceoryx_posh/popo/subscriber.hpp"
#include "iceoryx_posh/popo/wait_set.hpp"
#include "iceoryx_posh/runtime/posh_runtime.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

namespace sp = mproc::subprocess;
using namespace std::chrono_literals;

constexpr int consumer_cpu = 0;
int producer_cpu() { return ::sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0; }
constexpr std::uint64_t ready_mark = ~std::uint64_t(0);
constexpr auto deadline = 10s;  // turns a lost connection into a failure, not a hang

enum class waiting : int { blocks = 0, busy_polls = 1 };

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("bench_queue_iceoryx: " + what); }

void init_runtime(const char* role) {
    iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox::log::LogLevel::kWarn, iox::log::LogLevelOutput::kHideLogLevel);
    const std::string name = std::string("mproc_bench_") + role + "_" + std::to_string(::getpid());
    iox::runtime::PoshRuntime::initRuntime(iox::RuntimeName_t(iox::cxx::TruncateToCapacity, name.c_str()));
}

iox::popo::PublisherOptions lossless_publisher() {
    iox::popo::PublisherOptions options;
    options.subscriberTooSlowPolicy = iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
    return options;
}
iox::popo::SubscriberOptions lossless_subscriber() {
    iox::popo::SubscriberOptions options;
    options.queueCapacity = 256;
    options.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
    return options;
}

using publisher = iox::popo::Publisher<std::uint64_t>;
using subscriber = iox::popo::Subscriber<std::uint64_t>;

/// Takes one message, waiting as `how` says; throws after `deadline`.
class taker {
public:
    taker(subscriber& sub, waiting how) : sub_(sub), how_(how) {
        if (how == waiting::blocks)
            waitset_.emplace().attachState(sub_, iox::popo::SubscriberState::HAS_DATA).or_else([](auto) {
                fail("WaitSet::attachState failed");
            });
    }
    std::uint64_t take() {
        const auto stop = bench::clock::now() + deadline;
        for (;;) {
            auto sample = sub_.take();
            if (!sample.has_error()) return *sample.value();
            if (how_ == waiting::blocks)
                waitset_->timedWait(iox::units::Duration::fromMilliseconds(100));
            if (bench::clock::now() > stop) fail("no message within 10 s");
        }
    }

private:
    subscriber& sub_;
    waiting how_;
    std::optional<iox::popo::WaitSet<>> waitset_;
};

void wait_for_subscriber(const publisher& pub) {
    const auto stop = bench::clock::now() + deadline;
    while (!pub.hasSubscribers()) {
        if (bench::clock::now() > stop) fail("no subscriber within 10 s");
        std::this_thread::sleep_for(1ms);
    }
}

void publish(publisher& pub, std::uint64_t v) {
    while (pub.publishCopyOf(v).has_error()) std::this_thread::yield();  // no chunk free yet
}

// ---- the spawned peers ------------------------------------------------------

// Every process that registered with RouDi leaves through std::exit: the
// runtime's static destructor then unregisters it (a process that just
// vanishes is reaped by RouDi only after 1.5 s, and RouDi's shutdown
// SIGTERMs every process still registered).
[[noreturn]] void leave(int code) {
    std::fflush(stdout);
    std::exit(code);
}

void producer(int count) {
    bench::pin_to(producer_cpu());
    init_runtime("producer");
    {
        publisher pub({"MprocBench", "Small", "Data"}, lossless_publisher());
        wait_for_subscriber(pub);
        for (int i = 0; i < count; ++i) publish(pub, std::uint64_t(i));
    }
    leave(0);
}

void echo(int count, int how) {
    bench::pin_to(producer_cpu());
    init_runtime("echo");
    {
        subscriber ping({"MprocBench", "Ping", "Data"}, lossless_subscriber());
        publisher pong({"MprocBench", "Pong", "Data"}, lossless_publisher());
        wait_for_subscriber(pong);
        taker next(ping, static_cast<waiting>(how));
        publish(pong, ready_mark);  // the parent's subscription to pong is up
        for (int i = 0; i < count; ++i) publish(pong, next.take());
    }
    leave(0);
}

void joined(mproc::Process& p) {
    p.join();
    if (p.exitcode() != 0) fail("a peer failed");
}

// ---- the parent's side --------------------------------------------------------

double small(int count, waiting how) {
    subscriber sub({"MprocBench", "Small", "Data"}, lossless_subscriber());
    taker next(sub, how);
    mproc::Process peer = mproc::get_context(mproc::spawn).Process(producer, count);
    peer.start();
    std::uint64_t sum = next.take();
    const auto t0 = bench::clock::now();
    for (int i = 1; i < count; ++i) sum += next.take();
    const double s = bench::seconds_since(t0);
    joined(peer);
    if (sum != std::uint64_t(count) * (count - 1) / 2) fail("wrong messages");
    return (count - 1) / s / 1e6;
}

double latency(int iters, waiting how) {
    publisher ping({"MprocBench", "Ping", "Data"}, lossless_publisher());
    subscriber pong({"MprocBench", "Pong", "Data"}, lossless_subscriber());
    taker next(pong, how);
    constexpr int warmup = 100;
    mproc::Process peer = mproc::get_context(mproc::spawn).Process(echo, warmup + iters, static_cast<int>(how));
    peer.start();
    wait_for_subscriber(ping);
    if (next.take() != ready_mark) fail("no ready mark");
    for (int i = 0; i < warmup; ++i) {
        publish(ping, std::uint64_t(i));
        next.take();
    }
    const auto t0 = bench::clock::now();
    for (int i = 0; i < iters; ++i) {
        publish(ping, std::uint64_t(i));
        if (next.take() != std::uint64_t(i)) fail("wrong echo");
    }
    const double s = bench::seconds_since(t0);
    joined(peer);
    return s * 1e6 / iters;
}

/// RouDi, iceoryx's broker, for the length of the program: started here,
/// stopped (SIGTERM, then waited for) on the way out. Its log goes to stderr.
class roudi {
public:
    roudi() : daemon_({"iox-roudi", "--log-level", "warning"}, {.std_out = stderr}) {
        std::this_thread::sleep_for(200ms);  // a RouDi already running makes this one quit at once
        if (daemon_.poll()) fail("iox-roudi exited at once (is another RouDi running?)");
    }
    ~roudi() {
        daemon_.terminate();
        try {
            daemon_.wait(10s);
        } catch (const std::exception&) {
            daemon_.kill();
            daemon_.wait();
        }
    }

private:
    sp::Popen daemon_;
};

/// The consumer's side of every round, in a spawned process of its own
/// (see leave); prints the result lines.
void consume_all(std::string only) {
    auto wanted = [&](const char* group) { return std::string(group).rfind(only, 0) == 0; };
    int code = 0;
    try {
        bench::pin_to(consumer_cpu);
        init_runtime("consumer");
        const int n = bench::rounds();
        const std::string placed = "subscriber on CPU " + std::to_string(consumer_cpu) + ", publisher on CPU " +
                                   std::to_string(producer_cpu()) + ", RouDi unpinned";
        const int messages = bench::scaled(1000000), iters = bench::scaled(20000);
        using bench::contestant;
        using bench::round_fn;
        if (wanted("queue.small.1to1")) {
            bench::note("queue.small.1to1", "iceoryx", placed + "; take blocks in a WaitSet, a full queue makes the publisher poll");
            bench::note("queue.small.1to1", "iceoryx_busypoll", placed + "; take busy-polls, a full queue makes the publisher poll");
            bench::compare("queue.small.1to1", "Mmsg/s",
                           contestant<round_fn>{"iceoryx", [&] { return small(messages, waiting::blocks); }},
                           contestant<round_fn>{"iceoryx_busypoll", [&] { return small(messages, waiting::busy_polls); }}, n);
        }
        if (wanted("queue.latency")) {
            bench::note("queue.latency", "iceoryx", placed + "; both sides block in a WaitSet");
            bench::note("queue.latency", "iceoryx_busypoll", placed + "; both sides busy-poll take");
            bench::compare("queue.latency", "us/op",
                           contestant<round_fn>{"iceoryx", [&] { return latency(iters, waiting::blocks); }},
                           contestant<round_fn>{"iceoryx_busypoll", [&] { return latency(iters, waiting::busy_polls); }}, n);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_queue_iceoryx: %s\n", e.what());
        code = 1;
    }
    leave(code);
}

}  // namespace

// Optional argument: run only the groups whose name starts with it.
int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    const std::string only = argc > 1 ? argv[1] : "";
    auto wanted = [&](const char* group) { return std::string(group).rfind(only, 0) == 0; };
    if (!wanted("queue.small.1to1") && !wanted("queue.latency")) return 0;
    try {
        std::fflush(stdout);
        roudi daemon;
        mproc::Process consumer = mproc::get_context(mproc::spawn).Process(consume_all, only);
        consumer.start();
        consumer.join();
        return consumer.exitcode() == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_queue_iceoryx: %s\n", e.what());
        return 1;
    }
}
