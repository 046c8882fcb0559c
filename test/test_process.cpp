// mproc::Process under every start method: exit codes, arguments, targets,
// identity, misuse, waiting.
#define BOOST_TEST_MODULE process
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/child.hpp"
#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unistd.h>
#include <utility>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::methods;

namespace {

// ---- targets (free functions: they cross to spawned children) ------------

void do_nothing() {}
void exit_with(int code) { std::exit(code); }
void underscore_exit_with(int code) { ::_exit(code); }
void throw_runtime_error(std::string what) { throw std::runtime_error(what); }
void throw_int() { throw 42; }
void sleep_ms(int ms) { ::usleep(static_cast<useconds_t>(ms) * 1000); }
// Boost.Test's own SIGABRT handler is inherited by a forked child: restore
// the default so the abort ends the child as in a plain program.
void abort_now() {
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
}

struct Point {
    int x = 0;
    int y = 0;
    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & x & y;
    }
    bool operator==(const Point&) const = default;
};

struct NotSerializable {
    int value = 0;
};

void echo_arguments(mp::Connection out, std::string s, std::vector<int> v, std::map<std::string, int> m, Point p,
                    std::optional<double> o) {
    out.send(std::make_tuple(s, v, m, p.x, p.y, o));
}

void take_by_reference(mp::Connection& out, const std::string& s) { out.send(s + "!"); }

void report_identity(mp::Connection out) {
    auto parent = mp::parent_process();
    const bool parent_alive = parent && parent->is_alive() && !parent->join(std::chrono::milliseconds(1));
    out.send(std::make_tuple(mp::current_process().name(), mp::os::getpid(), mp::current_process().daemon(),
                             parent ? parent->pid() : 0, parent ? parent->name() : std::string("none"),
                             parent_alive));
}

std::size_t total_size(std::vector<std::string> chunks) {
    std::size_t n = 0;
    for (const auto& c : chunks) n += c.size();
    return n;
}
void report_size(mp::Connection out, std::vector<std::string> chunks) { out.send(total_size(std::move(chunks))); }

void start_grandchild(mp::Connection out, mp::start_method method) {
    auto grandchild = mp::get_context(method).Process(do_nothing);
    grandchild.start();
    grandchild.join();
    out.send(std::make_tuple(grandchild.name(), grandchild.exitcode().value_or(-1000)));
}

// Set in main's process after start-up: a forked child sees it, a re-executed one does not.
int marker = 0;
void report_marker(mp::Connection out) { out.send(marker); }

// A serializable function object.
struct Adder {
    int base = 0;
    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & base;
    }
    void operator()(mp::Connection out, int x) const { out.send(base + x); }
};

int atexit_fd = -1;
void write_atexit_marker() {
    if (atexit_fd >= 0) [[maybe_unused]] auto n = ::write(atexit_fd, "X", 1);
}

mp::Process make(mp::start_method method, auto&&... args) {
    return mp::get_context(method).Process(std::forward<decltype(args)>(args)...);
}

}  // namespace

BOOST_DATA_TEST_CASE(a_returning_target_exits_with_zero, methods(), method) {
    auto p = make(method, do_nothing);
    BOOST_TEST(!p.exitcode());
    BOOST_TEST(p.pid() == 0);
    p.start();
    BOOST_TEST(p.pid() > 0);
    p.join();
    BOOST_TEST(p.exitcode() == 0);
    BOOST_TEST(!p.is_alive());
}

BOOST_DATA_TEST_CASE(exit_codes_follow_python, methods(), method) {
    auto exits = make(method, exit_with, 7);
    auto underscore = make(method, underscore_exit_with, 9);
    auto aborts = make(method, abort_now);
    exits.start();
    underscore.start();
    aborts.start();
    exits.join();
    underscore.join();
    aborts.join();
    BOOST_TEST(exits.exitcode() == 7);
    BOOST_TEST(underscore.exitcode() == 9);
    BOOST_TEST(aborts.exitcode() == -SIGABRT);
}

BOOST_DATA_TEST_CASE(a_throwing_target_exits_with_one_and_prints_type_and_what, methods(), method) {
    auto p = make(method, throw_runtime_error, std::string("boom in the child"));
    auto q = make(method, throw_int);
    test_support::capture_fd err(2);
    p.start();
    p.join();
    q.start();
    q.join();
    std::string text = err.text();
    BOOST_TEST(p.exitcode() == 1);
    BOOST_TEST(q.exitcode() == 1);
    BOOST_TEST(text.find("Process " + p.name() + ":\nstd::runtime_error: boom in the child\n") != std::string::npos,
               text);
    BOOST_TEST(text.find("Process " + q.name() + ":\nint\n") != std::string::npos, text);
}

BOOST_DATA_TEST_CASE(terminate_and_kill_give_minus_the_signal, methods(), method) {
    auto a = make(method, sleep_ms, 30000);
    auto b = make(method, sleep_ms, 30000);
    a.start();
    b.start();
    BOOST_TEST(a.is_alive());
    BOOST_TEST(!a.exitcode());
    a.terminate();
    b.kill();
    a.join();
    b.join();
    BOOST_TEST(a.exitcode() == -SIGTERM);
    BOOST_TEST(b.exitcode() == -SIGKILL);
    a.terminate();  // already ended: nothing happens
    b.kill();
}

BOOST_DATA_TEST_CASE(join_with_a_timeout_reports_whether_the_child_ended, methods(), method) {
    auto p = make(method, sleep_ms, 400);
    p.start();
    auto start = std::chrono::steady_clock::now();
    BOOST_TEST(!p.join(50ms));
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 50ms));
    BOOST_TEST(p.is_alive());
    BOOST_TEST(p.join(30s));
    BOOST_TEST(p.exitcode() == 0);
    BOOST_TEST(p.join(0s));
}

BOOST_DATA_TEST_CASE(arguments_of_every_kind_reach_the_child, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    auto p = make(method, echo_arguments, std::move(writer), std::string("text"), std::vector<int>{1, 2, 3},
                  std::map<std::string, int>{{"a", 1}}, Point{4, 5}, std::optional<double>(2.5));
    p.start();
    auto [s, v, m, x, y, o] = reader.recv<std::tuple<std::string, std::vector<int>, std::map<std::string, int>, int,
                                                     int, std::optional<double>>>();
    p.join();
    BOOST_TEST(p.exitcode() == 0);
    BOOST_TEST(s == "text");
    BOOST_TEST((v == std::vector<int>{1, 2, 3}));
    BOOST_TEST((m == std::map<std::string, int>{{"a", 1}}));
    BOOST_TEST(x == 4);
    BOOST_TEST(y == 5);
    BOOST_TEST(o == 2.5);
}

BOOST_DATA_TEST_CASE(arguments_larger_than_a_pipe_buffer_cross, methods(), method) {
    std::vector<std::string> chunks(64, std::string(64 * 1024, 'x'));  // 4 MiB
    auto [reader, writer] = mp::Pipe();
    auto p = make(method, report_size, std::move(writer), chunks);
    p.start();
    BOOST_TEST(reader.recv<std::size_t>() == 64u * 64 * 1024);
    p.join();
    BOOST_TEST(p.exitcode() == 0);
}

BOOST_DATA_TEST_CASE(a_target_may_take_its_arguments_by_reference, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    auto p = make(method, take_by_reference, std::move(writer), std::string("ref"));
    p.start();
    BOOST_TEST(reader.recv<std::string>() == "ref!");
    p.join();
    BOOST_TEST(p.exitcode() == 0);
}

BOOST_DATA_TEST_CASE(a_one_way_pipe_end_crosses_and_the_parent_sees_eof_after, methods(), method) {
    auto [reader, writer] = mp::Pipe(false);
    auto p = make(method, [](mp::Connection out) { out.send(std::string("one way")); }, std::move(writer));
    p.start();
    BOOST_TEST(reader.recv<std::string>() == "one way");
    p.join();
    // The child's end is closed, and the parent's copy was released at start().
    BOOST_CHECK_THROW(reader.recv<std::string>(), mp::EOFError);
}

BOOST_DATA_TEST_CASE(captureless_lambdas_and_function_objects_are_targets, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    auto lambda = make(method, [](mp::Connection out, int x) { out.send(x * 2); }, std::move(writer), 21);
    lambda.start();
    BOOST_TEST(reader.recv<int>() == 42);
    lambda.join();

    auto [reader2, writer2] = mp::Pipe();
    auto functor = make(method, Adder{100}, std::move(writer2), 5);
    functor.start();
    BOOST_TEST(reader2.recv<int>() == 105);
    functor.join();
    BOOST_TEST(functor.exitcode() == 0);
}

BOOST_DATA_TEST_CASE(what_cannot_cross_is_refused_before_any_child_exists, methods(), method) {
    int captured = 5;
    auto [reader, writer] = mp::Pipe();
    auto capturing = make(method, [captured](mp::Connection out) { out.send(captured); }, std::move(writer));
    auto [reader2, writer2] = mp::Pipe();
    auto unserializable =
        make(method, [](mp::Connection out, NotSerializable n) { out.send(n.value); }, std::move(writer2),
             NotSerializable{6});
    auto pointer = make(method, [](const char*) {}, "a C string");
    const auto children_before = mp::active_children().size();
    if (method == mp::start_method::fork) {
        capturing.start();
        unserializable.start();
        pointer.start();
        BOOST_TEST(reader.recv<int>() == 5);
        BOOST_TEST(reader2.recv<int>() == 6);
        capturing.join();
        unserializable.join();
        pointer.join();
        return;
    }
    auto refused = [](mp::Process& p, const std::string& expected) {
        try {
            p.start();
            BOOST_FAIL("start() should have thrown");
        } catch (const mp::ProcessError& e) {
            BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what());
        }
        BOOST_TEST(p.pid() == 0);
    };
    refused(capturing, "capturing lambdas");
    refused(unserializable, "NotSerializable");
    refused(unserializable, "serialize()");
    refused(pointer, "std::string");
    BOOST_TEST(mp::active_children().size() == children_before);
}

void report_count(mp::Connection out, std::vector<mp::Connection> many) {
    for (auto& c : many) c.send(1);
    out.send(many.size());
}

BOOST_DATA_TEST_CASE(up_to_248_connections_cross_and_more_are_refused_alike, methods(), method) {
    for (std::size_t count : {std::size_t{247}, std::size_t{248}}) {  // + the report connection: 248, 249
        std::vector<mp::Connection> readers, writers;
        for (std::size_t i = 0; i < count; ++i) {
            auto [r, w] = mp::Pipe(false);
            readers.push_back(std::move(r));
            writers.push_back(std::move(w));
        }
        auto [reader, writer] = mp::Pipe();
        auto p = make(method, report_count, std::move(writer), std::move(writers));
        if (count + 1 > 248 && method != mp::start_method::fork) {
            try {
                p.start();
                BOOST_FAIL("start() should have thrown");
            } catch (const mp::ProcessError& e) {
                BOOST_TEST(std::string(e.what()).find("too many handles") != std::string::npos, e.what());
            }
            continue;
        }
        p.start();
        BOOST_TEST(reader.recv<std::size_t>() == count);
        for (auto& r : readers) BOOST_TEST(r.recv<int>() == 1);
        p.join();
        BOOST_TEST(p.exitcode() == 0);
    }
}

BOOST_DATA_TEST_CASE(the_child_knows_who_it_is_and_who_its_parent_is, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    auto p = make(method, report_identity, std::move(writer));
    p.name("worker");
    p.start();
    auto [name, pid, daemon, parent_pid, parent_name, parent_alive] =
        reader.recv<std::tuple<std::string, pid_t, bool, pid_t, std::string, bool>>();
    p.join();
    BOOST_TEST(parent_alive);
    BOOST_TEST(name == "worker");
    BOOST_TEST(pid == p.pid());
    BOOST_TEST(!daemon);
    BOOST_TEST(parent_pid == ::getpid());
    BOOST_TEST(parent_name == "MainProcess");
    BOOST_TEST(mp::current_process().name() == "MainProcess");
    BOOST_TEST(mp::current_process().pid() == ::getpid());
    BOOST_TEST(!mp::parent_process());
}

BOOST_DATA_TEST_CASE(names_count_children_and_nest, methods(), method) {
    auto a = make(method, do_nothing);
    auto b = make(method, do_nothing);
    const std::string prefix = a.name().substr(0, a.name().find('-') + 1);
    BOOST_TEST(prefix.find("Process-") != std::string::npos, a.name());
    const int first = std::stoi(a.name().substr(prefix.size()));
    BOOST_TEST(b.name() == prefix + std::to_string(first + 1));
    auto [reader, writer] = mp::Pipe();
    auto parent = make(method, start_grandchild, std::move(writer), method);
    parent.start();
    auto [grandchild, code] = reader.recv<std::tuple<std::string, int>>();
    parent.join();
    BOOST_TEST(grandchild == parent.name() + ":1");
    BOOST_TEST(code == 0);
}

// What the child's dispositions of SIGHUP (ignored in the parent) and
// SIGUSR1 (caught in the parent) are.
void report_dispositions(mp::Connection out) {
    struct sigaction hup {}, usr1{};
    ::sigaction(SIGHUP, nullptr, &hup);
    ::sigaction(SIGUSR1, nullptr, &usr1);
    out.send(std::make_tuple(hup.sa_handler == SIG_IGN, usr1.sa_handler == SIG_DFL));
}

// As Python: a signal the parent ignores stays ignored in the child (under
// nohup a hangup does not kill it); one it catches is the default there
// (spawn and forkserver: a fork child keeps the handler, which it has).
BOOST_DATA_TEST_CASE(ignored_signals_stay_ignored_and_caught_ones_are_reset, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    // A forked copy of this program, so that the fork server starts after.
    const pid_t program = test_support::fork_child([&, method] {
        std::signal(SIGHUP, SIG_IGN);
        std::signal(SIGUSR1, [](int) {});
        auto p = make(method, report_dispositions, std::move(writer));
        p.start();
        p.join();
    });
    BOOST_REQUIRE(reader.poll(30s));
    auto [hup_ignored, usr1_default] = reader.recv<std::tuple<bool, bool>>();
    BOOST_TEST(test_support::wait_child(program) == 0);
    BOOST_TEST(hup_ignored);
    BOOST_TEST(usr1_default == (method != mp::start_method::fork));
}

void report_start_method(mp::Connection out) { out.send(std::string(mp::get_start_method())); }

// Python hands the start method to a spawned child: after
// set_start_method("spawn") the child's own Processes are spawned too.
BOOST_DATA_TEST_CASE(the_start_method_is_inherited_by_the_child, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    // In a forked copy of this program, whose default can be set afresh.
    const pid_t program = test_support::fork_child([&, method] {
        mp::set_start_method(method, true);
        mp::Process p(report_start_method, std::move(writer));
        p.start();
        p.join();
    });
    BOOST_REQUIRE(reader.poll(30s));
    BOOST_TEST(reader.recv<std::string>() == std::string(mp::to_string(method)));
    BOOST_TEST(test_support::wait_child(program) == 0);
}

BOOST_DATA_TEST_CASE(spawn_and_forkserver_children_do_not_share_the_parents_memory, methods(), method) {
    marker = 42;
    auto [reader, writer] = mp::Pipe();
    auto p = make(method, report_marker, std::move(writer));
    p.start();
    BOOST_TEST(reader.recv<int>() == (method == mp::start_method::fork ? 42 : 0));
    p.join();
}

BOOST_DATA_TEST_CASE(a_moved_process_still_works, methods(), method) {
    auto a = make(method, exit_with, 4);
    mp::Process b = std::move(a);
    b.start();
    mp::Process c;
    c = std::move(b);
    c.join();
    BOOST_TEST(c.exitcode() == 4);
}

BOOST_DATA_TEST_CASE(misuse_raises_process_error, methods(), method) {
    auto p = make(method, sleep_ms, 100);
    BOOST_CHECK_THROW(p.join(), mp::ProcessError);
    BOOST_CHECK_THROW(p.join(1s), mp::ProcessError);
    BOOST_CHECK_THROW(p.terminate(), mp::ProcessError);
    BOOST_CHECK_THROW(p.kill(), mp::ProcessError);
    BOOST_CHECK_THROW(p.sentinel(), mp::ProcessError);
    BOOST_TEST(!p.is_alive());
    p.start();
    BOOST_CHECK_THROW(p.start(), mp::ProcessError);
    BOOST_CHECK_THROW(p.daemon(true), mp::ProcessError);
    BOOST_CHECK_THROW(p.close(), mp::ProcessError);
    p.join();
    p.close();
    BOOST_CHECK_THROW(p.join(), mp::ProcessError);
    mp::Process empty;
    BOOST_CHECK_THROW(empty.start(), mp::ProcessError);
}

// Python: ValueError("process object is closed") from everything but close().
BOOST_DATA_TEST_CASE(a_closed_process_raises_process_error, methods(), method) {
    auto p = make(method, do_nothing);
    p.start();
    p.join();
    p.close();
    p.close();  // twice is fine
    BOOST_CHECK_THROW(p.exitcode(), mp::ProcessError);
    BOOST_CHECK_THROW(p.is_alive(), mp::ProcessError);
    BOOST_CHECK_THROW(p.join(), mp::ProcessError);
    BOOST_CHECK_THROW(p.join(1s), mp::ProcessError);
    BOOST_CHECK_THROW(p.terminate(), mp::ProcessError);
    BOOST_CHECK_THROW(p.kill(), mp::ProcessError);
    BOOST_CHECK_THROW(p.sentinel(), mp::ProcessError);
    BOOST_CHECK_THROW(p.start(), mp::ProcessError);
    try {
        p.exitcode();
    } catch (const mp::ProcessError& e) {
        BOOST_TEST(std::string(e.what()).find("closed") != std::string::npos, e.what());
    }
    auto never_started = make(method, do_nothing);
    never_started.close();
    BOOST_CHECK_THROW(never_started.is_alive(), mp::ProcessError);
}

// As Python's: ForkProcess-N, SpawnProcess-N, ForkServerProcess-N from a
// context (the default one too), Process-N from mproc::Process itself.
BOOST_DATA_TEST_CASE(a_contexts_processes_are_named_after_its_start_method, methods(), method) {
    auto prefix = [](mp::start_method m) -> std::string {
        return m == mp::start_method::fork ? "ForkProcess-" : m == mp::start_method::spawn ? "SpawnProcess-" : "ForkServerProcess-";
    };
    auto p = make(method, do_nothing);
    BOOST_TEST(p.name().rfind(prefix(method), 0) == 0, p.name());
    mp::Process plain(do_nothing);
    BOOST_TEST(plain.name().rfind("Process-", 0) == 0, plain.name());
    const auto by_default = mp::get_context().Process(do_nothing);
    BOOST_TEST(by_default.name().rfind(prefix(mp::get_context().method()), 0) == 0, by_default.name());
}

// Python waits for readability of what it is given: a write-only end is
// ready only when its descriptor reports an event (a pipe's, once the
// reading end is closed). It is not an error.
BOOST_AUTO_TEST_CASE(wait_on_a_write_only_connection_waits_on_its_descriptor) {
    auto [reader, writer] = mp::Pipe(false);
    BOOST_TEST(mp::wait({writer}, 0s).empty());
    reader.close();
    auto ready = mp::wait({writer}, 10s);
    BOOST_TEST(ready.size() == 1u);
}

BOOST_DATA_TEST_CASE(a_daemon_child_cannot_start_children, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    auto p = make(
        method,
        [](mp::Connection out, mp::start_method m) {
            auto grandchild = mp::get_context(m).Process(do_nothing);
            try {
                grandchild.start();
                out.send(std::string("started"));
            } catch (const mp::ProcessError& e) {
                out.send(std::string(e.what()));
            }
        },
        std::move(writer), method);
    p.daemon(true);
    BOOST_TEST(p.daemon());
    p.start();
    BOOST_TEST(reader.recv<std::string>().find("daemonic") != std::string::npos);
    p.join();
}

BOOST_DATA_TEST_CASE(the_sentinel_becomes_readable_when_the_child_ends, methods(), method) {
    auto p = make(method, sleep_ms, 150);
    p.start();
    pollfd fd{p.sentinel(), POLLIN, 0};
    BOOST_TEST(::poll(&fd, 1, 0) == 0);
    BOOST_TEST(::poll(&fd, 1, 30000) == 1);
    BOOST_TEST(p.exitcode() == 0);
    BOOST_TEST(::poll(&fd, 1, 0) == 1);  // stays readable after the reap
}

BOOST_DATA_TEST_CASE(wait_returns_the_processes_and_connections_that_are_ready, methods(), method) {
    auto quick = make(method, sleep_ms, 50);
    auto slow = make(method, sleep_ms, 30000);
    auto [reader, writer] = mp::Pipe();
    quick.start();
    slow.start();
    BOOST_TEST(mp::wait({slow, reader}, 0s).empty());
    auto ready = mp::wait({slow, quick, reader}, 30s);
    BOOST_TEST(ready.size() == 1u);
    BOOST_TEST((ready.at(0) == quick));
    writer.send(1);
    ready = mp::wait({slow, reader});
    BOOST_TEST(ready.size() == 1u);
    BOOST_TEST((ready.at(0) == reader));
    mp::Connection* ready_connection = ready.at(0).connection();
    BOOST_TEST(ready_connection->recv<int>() == 1);
    slow.terminate();
    ready = mp::wait({slow}, 30s);
    BOOST_TEST(ready.size() == 1u);
    BOOST_TEST(ready.at(0).process() == &slow);
    BOOST_CHECK_THROW(mp::wait({make(method, do_nothing)}, 0s), mp::ProcessError);
}

BOOST_DATA_TEST_CASE(nan_timeouts_are_invalid_arguments, methods(), method) {
    const auto nan = std::chrono::duration<double>(std::numeric_limits<double>::quiet_NaN());
    auto [reader, writer] = mp::Pipe();
    auto p = make(method, do_nothing);
    p.start();
    BOOST_CHECK_THROW(p.join(nan), std::invalid_argument);
    BOOST_CHECK_THROW(reader.poll(nan), std::invalid_argument);
    BOOST_CHECK_THROW(mp::wait({p, reader}, nan), std::invalid_argument);
    BOOST_TEST(p.join(30s));
    // Even when something is ready at once.
    BOOST_CHECK_THROW(mp::wait({p}, nan), std::invalid_argument);
}

BOOST_DATA_TEST_CASE(output_buffered_before_start_is_printed_once, methods(), method) {
    test_support::capture_fd out(1);
    std::printf("before|");
    auto p = make(method, [] { std::printf("child|"); });
    p.start();
    p.join();
    std::printf("after");
    BOOST_TEST(out.text() == "before|child|after");
}

BOOST_DATA_TEST_CASE(the_child_does_not_run_the_parents_atexit_handlers, methods(), method) {
    static bool registered = false;
    if (!registered) std::atexit(write_atexit_marker);
    registered = true;
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    atexit_fd = fds[1];
    auto p = make(method, do_nothing);
    p.start();
    p.join();
    atexit_fd = -1;
    ::close(fds[1]);
    char c;
    BOOST_TEST(::read(fds[0], &c, 1) == 0);
    ::close(fds[0]);
}

// A program run by a person with mproc's flag as its first argument is not a
// spawned child (that has the task descriptor the flag names): it fails with
// a message saying so, instead of exiting 1 silently or reading a task from
// whatever descriptor the arguments name.
BOOST_AUTO_TEST_CASE(the_spawn_flags_without_a_task_descriptor_fail_clearly) {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const std::vector<std::vector<std::string>> cases = {
        {self, "--mproc-spawn"},
        {self, "--mproc-spawn", std::to_string(::getpid()), "0"},
        {self, "--mproc-spawn", std::to_string(::getpid()), "0", "1:2"},
        {self, "--mproc-forkserver", std::to_string(::getpid()), "1", "x"}};
    for (const auto& args : cases) {
        auto result = mp::subprocess::run(args, {.capture_output = true, .timeout = 60s});
        BOOST_TEST(result.returncode == 1, args[1] << " " << args.size());
        BOOST_TEST(result.std_err.find("not started by mproc") != std::string::npos, result.std_err);
    }
}

// A spawned child whose main() ends, or starts a process, before MPROC_MAIN
// runs the parent's main again (starting children: under spawn, a fork bomb).
// It stops with a message, as Python refuses in its "bootstrapping phase".
BOOST_AUTO_TEST_CASE(a_spawned_child_that_never_reaches_mproc_main_fails_clearly) {
    const std::pair<const char*, const char*> cases[] = {
        {"MPROC_TEST_RETURN_BEFORE_HOOK", "main() ended before reaching MPROC_MAIN"},
        {"MPROC_TEST_START_BEFORE_HOOK", "main() started a process before reaching MPROC_MAIN"}};
    for (auto [variable, message] : cases) {
        ::setenv(variable, "1", 1);
        auto p = make(mp::start_method::spawn, do_nothing);
        test_support::capture_fd err(2);
        p.start();
        ::unsetenv(variable);
        p.join();
        std::string text = err.text();
        BOOST_TEST(p.exitcode() == 1, variable);
        BOOST_TEST(text.find(message) != std::string::npos, text);
    }
}
