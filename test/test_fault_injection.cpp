// System calls made to fail on purpose (lib/posix/fault_injection.hpp): each
// failure is a clear error, and nothing already put is lost. Each case runs
// in a forked child that makes its own arena (this module's parent never
// makes a shared object) and arms the hook there only.
#define BOOST_TEST_MODULE fault_injection
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "posix/fault_injection.hpp"

#include "support/child.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <cerrno>
#include <chrono>
#include <dirent.h>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mp = mproc;
namespace posix = mproc::posix;
using namespace std::chrono_literals;
using test_support::fork_child;
using test_support::wait_child;

namespace {

void require(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

// Runs `op`, which must throw std::system_error with `err`.
template <class F>
void require_fails_with(int err, F op, const std::string& what) {
    try {
        op();
    } catch (const std::system_error& e) {
        require(e.code().value() == err, what + ": the error is " + e.what() + ", not the injected errno");
        return;
    }
    throw std::runtime_error(what + ": no error");
}

int open_fds() {
    int n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (::readdir(d)) ++n;
    ::closedir(d);
    return n;
}

void put_some(mp::Queue<std::string>& q) {
    for (int i = 0; i < 10; ++i) q.put("message " + std::to_string(i));
}

void require_all_got(mp::Queue<std::string>& q) {
    for (int i = 0; i < 10; ++i) require(q.get(10s) == "message " + std::to_string(i), "an earlier item was lost");
}

void put_from_child(mp::Queue<std::string> q, mp::Lock l) {
    std::lock_guard g(l);
    q.put("from a child");
}

// A Process started while `point` fails with `err`: start() throws it, the
// queue keeps what it had, and the next start works.
void start_fails_and_loses_nothing(mp::start_method method, posix::fault_point point, int err) {
    auto ctx = mp::get_context(method);
    {
        auto warm = ctx.Process(+[] {});  // a fork server already running: its request fails
        warm.start();
        require(warm.join(30s) && warm.exitcode() == 0, "a first child failed");
    }
    mp::Queue<std::string> q;
    mp::Lock l;
    put_some(q);
    auto p = ctx.Process(put_from_child, q, l);
    posix::inject_fault(point, err);
    require_fails_with(err, [&] { p.start(); }, "start");
    posix::clear_faults();
    require_all_got(q);
    auto again = ctx.Process(put_from_child, q, l);
    again.start();
    require(again.join(30s) && again.exitcode() == 0, "the child started after the failure failed");
    require(q.get(10s) == "from a child", "the later child's item was lost");
}

}  // namespace

BOOST_AUTO_TEST_CASE(memfd_create_failing_makes_the_first_shared_object_throw_and_leaks_nothing) {
    for (auto [point, err] : {std::pair{posix::fault_point::memfd_create, ENOMEM},
                              std::pair{posix::fault_point::memfd_create, EMFILE},
                              std::pair{posix::fault_point::ftruncate, ENOSPC},
                              std::pair{posix::fault_point::ftruncate, ENOMEM}}) {
        const pid_t pid = fork_child([point, err] {
            const int fds = open_fds();
            posix::inject_fault(point, err);
            require_fails_with(err, [] { mp::Queue<std::string> q; }, "the first Queue");
            require(open_fds() == fds, "a descriptor leaked");
            // Nothing was half made: the next attempt makes the arena.
            mp::Queue<std::string> q;
            put_some(q);
            require_all_got(q);
        });
        BOOST_TEST(wait_child(pid) == 0);
    }
}

BOOST_AUTO_TEST_CASE(the_memfd_failing_to_grow_fails_the_put_and_loses_nothing_put_before) {
    for (int err : {ENOSPC, ENOMEM}) {
        const pid_t pid = fork_child([err] {
            mp::Queue<std::string> q;
            put_some(q);
            const std::string big(8u << 20, 'x');  // more than the file holds: it must grow
            posix::inject_fault(posix::fault_point::ftruncate, err, 1000);
            require_fails_with(err, [&] { q.put(big); }, "the big put");
            require_fails_with(err, [&] { mp::Array<char> a(8u << 20); }, "a big Array");
            posix::clear_faults();
            require_all_got(q);
            require(q.empty(), "the failed put left a message");
            q.put(big);
            require(q.get(10s) == big, "the put after the failure was lost");
        });
        BOOST_TEST(wait_child(pid) == 0);
    }
}

BOOST_AUTO_TEST_CASE(sendmsg_failing_fails_a_forkserver_start_and_loses_nothing) {
    const pid_t pid = fork_child(
        [] { start_fails_and_loses_nothing(mp::forkserver, posix::fault_point::sendmsg, ENOBUFS); });
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(clone_failing_fails_a_spawn_start_and_loses_nothing) {
    const pid_t pid =
        fork_child([] { start_fails_and_loses_nothing(mp::spawn, posix::fault_point::clone, EAGAIN); });
    BOOST_TEST(wait_child(pid) == 0);
}
