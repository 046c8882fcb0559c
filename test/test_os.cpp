#define BOOST_TEST_MODULE os
#include <boost/test/unit_test.hpp>

#include <mproc/mproc.hpp>

#include "support/child.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace mp = mproc;

BOOST_AUTO_TEST_CASE(fork_returns_zero_in_the_child_and_the_pid_in_the_parent) {
    auto [a, b] = mp::Pipe();
    const pid_t parent = mp::os::getpid();
    pid_t pid = mp::os::fork();
    if (pid == 0) {
        bool ok = mp::os::getppid() == parent && mp::os::getpid() != parent;
        b.send(std::make_pair(ok, mp::os::getpid()));
        _exit(0);
    }
    BOOST_TEST(pid > 0);
    auto [ok, child_pid] = a.recv<std::pair<bool, pid_t>>();
    BOOST_TEST(ok);
    BOOST_TEST(child_pid == pid);
    BOOST_TEST(test_support::wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(getpid_and_getppid_match_the_system) {
    BOOST_TEST(mp::os::getpid() == ::getpid());
    BOOST_TEST(mp::os::getppid() == ::getppid());
}

BOOST_AUTO_TEST_CASE(buffered_output_is_not_duplicated_by_fork) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    FILE* out = ::fdopen(fds[1], "w");
    BOOST_REQUIRE(out);
    std::setvbuf(out, nullptr, _IOFBF, 4096);
    std::fputs("before fork\n", out);  // still in the buffer
    pid_t pid = mp::os::fork();
    if (pid == 0) std::exit(0);  // exit() flushes stdio: a stale buffer would print twice
    BOOST_TEST(test_support::wait_child(pid) == 0);
    std::fclose(out);
    std::string text(256, '\0');
    text.resize(static_cast<std::size_t>(::read(fds[0], text.data(), text.size())));
    ::close(fds[0]);
    BOOST_TEST(text == "before fork\n");
}
