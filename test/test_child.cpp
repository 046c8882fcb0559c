#define BOOST_TEST_MODULE child
#include <boost/test/unit_test.hpp>

#include "lifecycle/abandoned.hpp"
#include "posix/child.hpp"
#include "posix/poll.hpp"

#include <mproc/os.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace posix = mproc::posix;
using namespace std::chrono_literals;

namespace {

pid_t start_child(int exit_code, std::chrono::milliseconds sleep = 0ms) {
    pid_t pid = mproc::os::fork();
    if (pid == 0) {
        if (sleep.count()) ::usleep(static_cast<useconds_t>(sleep.count() * 1000));
        _exit(exit_code);
    }
    return pid;
}

// 'Z' for a zombie, other state letters for live processes, 0 when gone.
char process_state(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return 0;
    auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() ? 0 : line[close + 2];
}

}  // namespace

BOOST_AUTO_TEST_CASE(exit_codes_follow_python) {
    posix::child_handle ok(start_child(0));
    BOOST_TEST(ok.wait(std::nullopt).value() == 0);
    posix::child_handle three(start_child(3));
    BOOST_TEST(three.wait(std::nullopt).value() == 3);
    BOOST_TEST(three.returncode().value() == 3);
    posix::child_handle killed(start_child(0, 10000ms));
    killed.send_signal(SIGKILL);
    BOOST_TEST(killed.wait(std::nullopt).value() == -SIGKILL);
    killed.send_signal(SIGTERM);  // already reaped: nothing happens
}

BOOST_AUTO_TEST_CASE(wait_honours_its_deadline) {
    posix::child_handle slow(start_child(0, 300ms));
    BOOST_TEST(!slow.poll());
    auto start = posix::clock::now();
    BOOST_TEST(!slow.wait(posix::deadline_after(50ms)));
    BOOST_TEST((posix::clock::now() - start >= 50ms));
    BOOST_TEST(slow.wait(posix::deadline_after(10s)).value() == 0);
}

BOOST_AUTO_TEST_CASE(the_sentinel_becomes_readable_when_the_child_ends) {
    posix::child_handle child(start_child(0, 100ms));
    BOOST_REQUIRE(child.sentinel() >= 0);  // this kernel has pidfd
    BOOST_TEST(!posix::wait_readable(child.sentinel(), posix::deadline_after(0ms)));
    BOOST_TEST(posix::wait_readable(child.sentinel(), posix::deadline_after(10s)));
    BOOST_TEST(child.poll().value() == 0);
}

BOOST_AUTO_TEST_CASE(a_child_reaped_by_someone_else_reports_zero) {
    pid_t pid = start_child(5);
    posix::child_handle child(pid);
    BOOST_REQUIRE(::waitpid(pid, nullptr, 0) == pid);
    BOOST_TEST(child.wait(std::nullopt).value() == 0);
}

BOOST_AUTO_TEST_CASE(abandoned_children_are_reaped_later_without_zombies) {
    pid_t pid = start_child(0);
    mproc::lifecycle::abandon(posix::child_handle(pid));
    // Ended, not reaped: a zombie (waited for, with a deadline only against a hang).
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (process_state(pid) != 'Z' && std::chrono::steady_clock::now() < until) ::usleep(1000);
    BOOST_TEST(process_state(pid) == 'Z');
    // The leader shows 'Z' before a multithreaded child (TSan's background
    // thread) can be waited for: reap until it is gone, within the deadline.
    do mproc::lifecycle::reap_abandoned();
    while (process_state(pid) != 0 && std::chrono::steady_clock::now() < until && ::usleep(1000) == 0);
    BOOST_TEST(process_state(pid) == 0);
}
