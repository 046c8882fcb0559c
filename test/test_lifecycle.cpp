// Children's lifecycle under every start method: no zombies, no orphans, no
// SIGCHLD handler, no descriptor leaks, many threads at once, Python's rules
// at exit.
#define BOOST_TEST_MODULE lifecycle
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/child.hpp"
#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <system_error>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <sys/syscall.h>
#include <tuple>
#include <future>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::methods;
using test_support::running;

namespace {

void do_nothing() {}
void sleep_ms(int ms) { ::usleep(static_cast<useconds_t>(ms) * 1000); }

void sleep_then_report(mp::Connection out, int ms) {
    ::usleep(static_cast<useconds_t>(ms) * 1000);
    out.send(std::string("done"));
}

void wait_then_report(mp::Connection go, mp::Connection out) {
    go.recv<int>();
    out.send(std::string("done"));
}

// Reports SIGTERM on `out`, then exits: tells a terminate() from a SIGKILL.
// The signal is taken synchronously with sigwait (ThreadSanitizer does not
// run handlers in a forked child of a threaded parent).
void wait_for_sigterm(mp::Connection ready, mp::Connection out) {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
    ready.send(mp::os::getpid());
    int sig = 0;
    while (::sigwait(&term, &sig) != 0) {}
    out.send(std::string("term"));
    ::_exit(0);
}

mp::Process make(mp::start_method method, auto&&... args) {
    return mp::get_context(method).Process(std::forward<decltype(args)>(args)...);
}

}  // namespace

BOOST_DATA_TEST_CASE(destroying_a_running_process_neither_blocks_nor_kills_and_leaves_no_zombie, methods(), method) {
    // The child runs until told to go on: every step waits for an event, a
    // deadline only turns a hang into a failure.
    auto [reader, writer] = mp::Pipe();
    auto [go_reader, go_writer] = mp::Pipe();
    pid_t pid = 0;
    auto destroyed = std::async(std::launch::async, [&] {
        auto p = make(method, wait_then_report, std::move(go_reader), std::move(writer));
        p.start();
        pid = p.pid();
    });  // destroyed while the child runs
    const bool blocked = destroyed.wait_for(10s) != std::future_status::ready;
    if (blocked) go_writer.send(1);  // unblock it, then fail
    destroyed.get();
    BOOST_TEST(!blocked, "~Process waited for the child");
    BOOST_TEST(running(pid));
    if (!blocked) go_writer.send(1);
    BOOST_TEST(reader.recv<std::string>() == "done");  // it ran to its end
    // Ended: a zombie at most, until mproc reaps it (active_children does).
    BOOST_TEST(test_support::eventually([&] { return !running(pid); }, 10s));
    BOOST_TEST(test_support::eventually(
        [&] {
            mp::active_children();
            return test_support::process_state(pid) == 0;
        },
        10s));
}

BOOST_DATA_TEST_CASE(active_children_lists_the_running_ones_and_reaps_the_others, methods(), method) {
    const auto before = mp::active_children().size();
    std::vector<mp::Process> ps;
    for (int i = 0; i < 3; ++i) ps.push_back(make(method, sleep_ms, 30000));
    ps[1].daemon(true);
    for (auto& p : ps) p.start();
    auto children = mp::active_children();
    BOOST_TEST(children.size() == before + 3);
    for (auto& p : ps) {
        auto found = std::find_if(children.begin(), children.end(), [&](auto& c) { return c.pid() == p.pid(); });
        BOOST_REQUIRE(found != children.end());
        BOOST_TEST(found->name() == p.name());
        BOOST_TEST(found->daemon() == p.daemon());
    }
    ps[0].kill();
    BOOST_TEST(test_support::eventually([&] { return mp::active_children().size() == before + 2; }, 10s));
    for (auto& p : ps) p.terminate();
    BOOST_TEST(test_support::eventually([&] { return mp::active_children().size() == before; }, 10s));
    BOOST_TEST(ps[2].exitcode() == -SIGTERM);
}

BOOST_DATA_TEST_CASE(children_die_with_their_parent_even_by_sigkill, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    pid_t parent = test_support::fork_child([&, method] {
        std::vector<mp::Process> children;
        for (int i = 0; i < 3; ++i) children.push_back(make(method, sleep_ms, 60000));
        for (auto& c : children) c.start();
        for (auto& c : children) writer.send(c.pid());
        for (;;) ::pause();
    });
    std::vector<pid_t> pids;
    for (int i = 0; i < 3; ++i) pids.push_back(reader.recv<pid_t>());
    for (pid_t pid : pids) BOOST_TEST(running(pid));
    ::kill(parent, SIGKILL);
    BOOST_TEST(test_support::wait_child(parent) == -SIGKILL);
    // A zombie re-parented to init counts as dead: init may reap slowly.
    BOOST_TEST(test_support::eventually([&] { return std::none_of(pids.begin(), pids.end(), running); }, 1s));
}

BOOST_DATA_TEST_CASE(children_started_from_a_short_lived_thread_outlive_it, methods(), method) {
    std::vector<mp::Process> ps;
    pid_t thread_id = 0;
    std::thread([&] {
        thread_id = ::gettid();
        for (int i = 0; i < 3; ++i) ps.push_back(make(method, sleep_ms, 30000));
        for (auto& p : ps) p.start();
    }).join();
    // Until the thread is gone from /proc its exit (which sends any
    // parent-death signal) may not be over; then a child killed by one would
    // end by SIGKILL, not by the SIGTERM below.
    const std::string task = "/proc/self/task/" + std::to_string(thread_id);
    BOOST_TEST(test_support::eventually([&] { return !std::filesystem::exists(task); }, 10s));
    for (auto& p : ps) BOOST_TEST(p.is_alive());
    for (auto& p : ps) p.terminate();
    for (auto& p : ps) p.join();
    for (auto& p : ps) BOOST_TEST(p.exitcode() == -SIGTERM);
}

// The main thread of a program may end with pthread_exit() while other
// threads go on: its children must live on (PR_SET_PDEATHSIG fires when the
// thread that created a child ends, so mproc creates none on the main thread).
BOOST_DATA_TEST_CASE(children_outlive_a_main_thread_that_calls_pthread_exit, methods(), method) {
    auto [reader, writer] = mp::Pipe();
    // The main thread ends as pthread_exit() ends it, by the exit system call
    // for that thread alone (pthread_exit's unwinding would meet Boost.Test's
    // catch (...) on this stack, which glibc aborts).
    const pid_t program = mp::os::fork();
    if (program == 0) {
        // This forked child is a program whose main thread is this one.
        static std::vector<mp::Process> children;
        for (int i = 0; i < 3; ++i) children.push_back(make(method, sleep_ms, 60000));
        for (auto& c : children) c.start();
        static mp::Connection* out = &writer;
        static const pid_t main_thread = ::gettid();
        std::thread([] {
            // Once the main thread is gone (a zombie thread: its exit, and any
            // parent-death signal it caused, are done), the children must
            // still run: terminate() then ends them with SIGTERM, where a
            // pending SIGKILL would have won.
            const std::string stat = "/proc/self/task/" + std::to_string(main_thread) + "/stat";
            bool gone = test_support::eventually(
                [&] {
                    const std::string line = test_support::read_proc_file(stat);
                    auto close = line.rfind(')');
                    return line.empty() || (close != std::string::npos && line.substr(close + 2, 1) == "Z");
                },
                10s);
            std::vector<int> codes;
            for (auto& c : children) c.terminate();
            for (auto& c : children) {
                c.join(10s);
                codes.push_back(c.exitcode().value_or(-1000));
            }
            out->send(std::make_tuple(gone, codes));
            std::fflush(nullptr);
            ::_exit(0);
        }).detach();
        for (;;) ::syscall(SYS_exit, 0);
    }
    writer.close();
    BOOST_REQUIRE(reader.poll(30s));
    auto [gone, codes] = reader.recv<std::tuple<bool, std::vector<int>>>();
    BOOST_TEST(gone);
    BOOST_TEST(codes == std::vector<int>(3, -SIGTERM), boost::test_tools::per_element());
    BOOST_TEST(test_support::wait_child(program) == 0);
}

BOOST_DATA_TEST_CASE(no_sigchld_handler_is_installed, methods(), method) {
    struct sigaction before{}, after{};
    ::sigaction(SIGCHLD, nullptr, &before);
    auto p = make(method, sleep_ms, 20);
    p.start();
    p.join(1s);
    auto q = make(method, do_nothing);
    q.start();
    q.join();
    ::sigaction(SIGCHLD, nullptr, &after);
    BOOST_TEST((before.sa_handler == SIG_DFL));
    BOOST_TEST((after.sa_handler == SIG_DFL));
    BOOST_TEST(!(after.sa_flags & SA_SIGINFO));
}

BOOST_DATA_TEST_CASE(start_and_join_leak_no_descriptors, methods(), method) {
    auto cycle = [method] {
        auto p = make(method, do_nothing);
        p.start();
        p.join();
        BOOST_REQUIRE(p.exitcode() == 0);
    };
    cycle();  // first use may open long-lived descriptors (the fork server's socket)
    const auto before = test_support::open_fds();
    const int cycles = test_support::scaled(1000, 150);
    for (int i = 0; i < cycles; ++i) cycle();
    BOOST_TEST(test_support::open_fds() == before, "descriptors changed over " << cycles << " cycles");
}

BOOST_DATA_TEST_CASE(finished_processes_release_their_descriptors_at_close_and_destruction, methods(), method) {
    auto warm_up = make(method, do_nothing);  // the fork server's socket is long-lived
    warm_up.start();
    warm_up.join();
    warm_up.close();
    const auto before = test_support::open_fds();
    const int count = test_support::scaled(100, 20);
    {
        std::vector<mp::Process> ps;
        for (int i = 0; i < count; ++i) ps.push_back(make(method, do_nothing));
        for (auto& p : ps) p.start();
        // The end seen three ways: join, is_alive, exitcode.
        for (int i = 0; i < count; ++i) {
            auto& p = ps[static_cast<std::size_t>(i)];
            if (i % 3 == 0) {
                BOOST_TEST(p.join(10s));
            } else {
                pollfd fd{p.sentinel(), POLLIN, 0};
                BOOST_TEST(::poll(&fd, 1, 10000) == 1);
                if (i % 3 == 1)
                    BOOST_TEST(test_support::eventually([&] { return !p.is_alive(); }, 10s));
                else
                    BOOST_TEST(test_support::eventually([&] { return p.exitcode().has_value(); }, 10s));
            }
        }
        // Seen ended: one descriptor each (the sentinel) is all that is left.
        BOOST_TEST(test_support::open_fds().size() == before.size() + static_cast<std::size_t>(count));
        for (int i = 0; i < count; i += 2) ps[static_cast<std::size_t>(i)].close();
        BOOST_TEST(test_support::open_fds().size() == before.size() + static_cast<std::size_t>(count / 2));
    }  // the others are destroyed without close()
    BOOST_TEST(test_support::open_fds() == before);
    // Ended unobserved, then destroyed: released at destruction too.
    {
        auto p = make(method, do_nothing);
        p.start();
        pollfd fd{p.sentinel(), POLLIN, 0};
        BOOST_TEST(::poll(&fd, 1, 10000) == 1);
    }
    BOOST_TEST(test_support::open_fds() == before);
}

namespace {

// Leaves exactly `spare` descriptors free while alive: lowers the soft limit
// and fills every free number below it. (Under UBSan, an exception thrown
// meanwhile prints "runtime error: ... invalid vptr": a false positive, the
// vptr check probes memory through a pipe it cannot create.)
class descriptor_squeeze {
public:
    explicit descriptor_squeeze(int spare) {
        BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        rlimit low = saved_;
        low.rlim_cur = static_cast<rlim_t>(*test_support::open_fds().rbegin() + 64);
        BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filled_.push_back(fd);
        for (int i = 0; i < spare && !filled_.empty(); ++i) {
            ::close(filled_.back());
            filled_.pop_back();
        }
    }
    ~descriptor_squeeze() {
        for (int fd : filled_) ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }

private:
    rlimit saved_{};
    std::vector<int> filled_;
};

}  // namespace

BOOST_DATA_TEST_CASE(running_out_of_descriptors_fails_start_cleanly, methods(), method) {
    auto warm_up = make(method, do_nothing);  // the fork server is up
    warm_up.start();
    warm_up.join();
    for (int spare = 0; spare <= 10; ++spare) {
        BOOST_TEST_CONTEXT("free descriptors: " << spare) {
            auto p = make(method, do_nothing);
            bool started = false;
            {
                descriptor_squeeze squeeze(spare);
                try {
                    p.start();
                    started = true;
                } catch (const std::system_error& e) {
                    BOOST_TEST(p.pid() == 0);
                }
            }
            // A started child can be waited for; a failed start leaves nothing behind.
            if (started) {
                BOOST_TEST(p.sentinel() >= 0);
                auto joining = std::chrono::steady_clock::now();
                BOOST_TEST(p.join(10s));
                BOOST_TEST((std::chrono::steady_clock::now() - joining < 5s));
            }
        }
    }
    BOOST_TEST(test_support::eventually(
        [] {
            mp::active_children();  // reaps abandoned children
            return test_support::zombie_children().empty();
        },
        10s));
}

BOOST_DATA_TEST_CASE(eight_threads_start_processes_at_once_without_deadlock, methods(), method) {
    const int per_thread = test_support::scaled(200, 25);
    std::atomic<int> ok{0};
    auto work = [&] {
        for (int i = 0; i < per_thread; ++i) {
            auto p = make(method, do_nothing);
            p.start();
            p.join();
            if (p.exitcode() == 0) ++ok;
        }
    };
    std::vector<std::future<void>> threads;
    for (int t = 0; t < 8; ++t) threads.push_back(std::async(std::launch::async, work));
    auto deadline = std::chrono::steady_clock::now() + 300s;
    for (auto& t : threads) {
        if (t.wait_until(deadline) != std::future_status::ready) {
            std::fprintf(stderr, "deadlock: threads still starting processes after 300 s\n");
            std::_Exit(1);
        }
        t.get();
    }
    BOOST_TEST(ok.load() == 8 * per_thread);
}

// A program that starts a daemon child and a worker child, then ends
// normally: by std::exit, or by returning from its target (a child's normal
// end: Python's _bootstrap applies the same rules). It runs as a spawned child
// of the test: a fresh, single-threaded program (a fork of the threaded test
// process would trip the sanitizers).
void end_with_a_daemon_and_a_worker(mp::start_method method, bool call_exit, mp::Connection pid_out,
                                    mp::Connection done, mp::Connection term) {
    auto [ready_reader, ready_writer] = mp::Pipe();
    auto daemon = make(method, wait_for_sigterm, std::move(ready_writer), std::move(term));
    daemon.daemon(true);
    auto worker = make(method, sleep_then_report, std::move(done), 400);
    daemon.start();
    worker.start();
    pid_out.send(ready_reader.recv<pid_t>());  // the daemon handles SIGTERM now
    if (call_exit) std::exit(0);  // a normal exit: the at-exit rules apply
}

BOOST_DATA_TEST_CASE(at_exit_daemons_are_terminated_and_the_others_joined, methods(), method) {
    for (bool call_exit : {true, false}) {
        BOOST_TEST_CONTEXT((call_exit ? "std::exit" : "the target returns")) {
            auto [pid_reader, pid_writer] = mp::Pipe();
            auto [done_reader, done_writer] = mp::Pipe(false);
            auto [term_reader, term_writer] = mp::Pipe(false);
            auto program = make(mp::spawn, end_with_a_daemon_and_a_worker, method, call_exit, std::move(pid_writer),
                                std::move(done_writer), std::move(term_writer));
            program.start();
            pid_t daemon_pid = pid_reader.recv<pid_t>();
            auto exiting = std::chrono::steady_clock::now();
            program.join();
            BOOST_TEST(program.exitcode() == 0);
            // The program exited only after the worker finished (it had ~400 ms to go)...
            BOOST_TEST((std::chrono::steady_clock::now() - exiting >= 200ms));
            BOOST_TEST(done_reader.recv<std::string>() == "done");
            // ...and terminated the daemon with SIGTERM (not just the death signal).
            BOOST_TEST(term_reader.recv<std::string>() == "term");
            BOOST_TEST(test_support::eventually([&] { return !running(daemon_pid); }, 5s));
        }
    }
}

namespace {

struct fork_server_info {
    pid_t pid = 0;
    int threads = 0;
};

// This process's fork server: its child started with --mproc-forkserver.
// Processes end while /proc is read: a file that vanished reads as empty.
fork_server_info find_fork_server() {
    fork_server_info found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = std::stoi(name);
        if (test_support::status_number(pid, "PPid") != ::getpid()) continue;
        const std::string args = test_support::read_proc_file("/proc/" + name + "/cmdline");
        const long threads = test_support::status_number(pid, "Threads");
        if (args.find("--mproc-forkserver") != std::string::npos && threads > 0 && running(pid))
            found = {pid, static_cast<int>(threads)};
    }
    return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_fork_server_is_single_threaded_and_a_dead_one_is_replaced) {
    auto ctx = mp::get_context(mp::forkserver);
    auto p = ctx.Process(sleep_ms, 30000);
    p.start();
    const fork_server_info server = find_fork_server();
    BOOST_REQUIRE(server.pid > 0);
#if !defined(__SANITIZE_THREAD__)  // ThreadSanitizer runs a helper thread in every process
    BOOST_TEST(server.threads == 1, "the fork server runs " << server.threads << " threads");  // forking is safe there
#endif
    ::kill(server.pid, SIGKILL);
    BOOST_TEST(p.join(10s));
    BOOST_TEST(p.exitcode() == 255);  // its fate died with the server (it was killed too)
    BOOST_TEST(test_support::eventually([&] { return !running(p.pid()); }, 5s));
    auto q = ctx.Process(do_nothing);
    q.start();
    q.join();
    BOOST_TEST(q.exitcode() == 0);
}

// (Under UBSan the server prints an "invalid vptr" false positive: see descriptor_squeeze.)
BOOST_AUTO_TEST_CASE(a_fork_server_out_of_descriptors_refuses_a_child_and_keeps_the_others) {
    auto ctx = mp::get_context(mp::forkserver);
    // A new server, started under a low descriptor limit (it inherits ours).
    if (pid_t old = find_fork_server().pid) {
        ::kill(old, SIGKILL);
        BOOST_REQUIRE(test_support::eventually([&] { return !running(old); }, 5s));
    }
    rlimit saved{};
    BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit low = saved;
    low.rlim_cur = 32;  // our descriptors below it leave room to start the server
    BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    auto first = ctx.Process(sleep_ms, 30000);
    first.start();
    ::setrlimit(RLIMIT_NOFILE, &saved);
    // Each running child holds a descriptor in the server: it runs out.
    std::vector<mp::Process> children;
    children.push_back(std::move(first));
    bool refused = false;
    for (int i = 0; i < 64 && !refused; ++i) {
        auto p = ctx.Process(sleep_ms, 30000);
        try {
            p.start();
            children.push_back(std::move(p));
        } catch (const std::exception& e) {
            BOOST_TEST_MESSAGE("refused after " << children.size() << " children: " << e.what());
            refused = true;
        }
    }
    BOOST_TEST(refused);
    // The server and the children it had started live on.
    const pid_t server = find_fork_server().pid;
    ::usleep(300000);
    BOOST_TEST((server > 0 && running(server)));
    for (auto& c : children) BOOST_TEST(c.is_alive(), c.name() << " ended with " << c.exitcode().value_or(-1000));
    for (auto& c : children) c.terminate();
    for (auto& c : children) BOOST_TEST(c.join(10s));
    auto q = ctx.Process(do_nothing);
    q.start();
    q.join();
    BOOST_TEST(q.exitcode() == 0);
    ::kill(server, SIGKILL);  // later tests get a server with the usual limit
}
