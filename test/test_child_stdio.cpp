// A Process child's standard descriptors under every start method, when the
// program itself runs with 0, 1 or 2 closed (a daemon, `prog <&-`): a closed
// one is /dev/null for the child, and nothing of mproc ever sits on 0-2.
//
// The program with a closed descriptor is this test binary again, run by
// /bin/sh with that descriptor closed and MPROC_TEST_STDIO_HELPER naming the
// start method: it starts children, checks what they see and exits 0 when
// everything held (else it prints why on the descriptors it still has).
#define BOOST_TEST_MODULE child_stdio
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/process_test.hpp"

#include <mproc/mproc.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
namespace sp = mproc::subprocess;
using namespace std::chrono_literals;
using test_support::methods;

namespace {

// What descriptor `fd` is: "closed", or its /proc/self/fd link.
std::string what_is(int fd) {
    if (::fcntl(fd, F_GETFD) < 0) return "closed";
    std::error_code ec;
    return std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string();
}

std::vector<std::string> standard_fds() { return {what_is(0), what_is(1), what_is(2)}; }

// In the child: writes on its stdout and stderr (which must not be mproc's
// sockets), then reports what its 0, 1 and 2 are.
void report_standard_fds(mp::Connection out) {
    std::printf("child output line\n");
    std::fflush(stdout);
    std::fprintf(stderr, "child error line\n");
    out.send(standard_fds());
}

// The helper program: the descriptor `closed` is closed in this process.
int run_helper(mp::start_method method, int closed) {
    int failures = 0;
    auto fail = [&](const std::string& why) {
        ++failures;
        // stderr may be the closed one: then say it on stdout.
        std::fprintf(closed == 2 ? stdout : stderr, "helper: %s\n", why.c_str());
    };
    const std::vector<std::string> mine = standard_fds();
    if (mine[static_cast<std::size_t>(closed)] != "closed") fail("the shell did not close the descriptor");
    for (int round = 0; round < 3; ++round) {
        auto [reader, writer] = mp::Pipe();
        auto p = mp::get_context(method).Process(report_standard_fds, std::move(writer));
        p.start();
        if (!reader.poll(10s)) {
            fail("the child sent nothing");
            p.kill();
            p.join();
            continue;
        }
        const auto theirs = reader.recv<std::vector<std::string>>();
        if (!p.join(10s)) {
            fail("join timed out");
            p.kill();
            p.join();
        }
        if (p.exitcode() != 0) fail("exit code " + std::to_string(p.exitcode().value_or(-1000)));
        for (int fd = 0; fd < 3; ++fd) {
            const std::size_t i = static_cast<std::size_t>(fd);
            // stdin is /dev/null for every Process child (Python's _bootstrap).
            std::string expected = fd == closed || fd == 0 ? "/dev/null" : mine[i];
            if (theirs[i] != expected)
                fail("child's fd " + std::to_string(fd) + " is " + theirs[i] + ", expected " + expected);
        }
        // Nothing of mproc took the closed number here either.
        if (what_is(closed) != "closed") fail("mproc left " + what_is(closed) + " on the closed descriptor");
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    if (const char* helper = std::getenv("MPROC_TEST_STDIO_HELPER")) {
        const std::string spec = helper;  // "<method> <closed fd>"
        ::unsetenv("MPROC_TEST_STDIO_HELPER");
        const auto space = spec.find(' ');
        return run_helper(mp::get_context(spec.substr(0, space)).method(), std::stoi(spec.substr(space + 1)));
    }
    return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}

namespace {

// Runs the helper with descriptor `closed` closed; returns its result.
sp::CompletedProcess run_with_closed(mp::start_method method, int closed) {
    const std::string spec = std::string(mp::to_string(method)) + " " + std::to_string(closed);
    ::setenv("MPROC_TEST_STDIO_HELPER", spec.c_str(), 1);
    const std::string script = "exec \"$0\" " + std::to_string(closed) + (closed == 0 ? "<&-" : ">&-");
    sp::CompletedProcess result = sp::run({script, std::filesystem::read_symlink("/proc/self/exe").string()},
                                          {.shell = true, .capture_output = true, .timeout = 60s});
    ::unsetenv("MPROC_TEST_STDIO_HELPER");
    return result;
}

}  // namespace

namespace {

// In the child: what its stdin is, and what reading it gives.
void report_stdin(mp::Connection out) {
    char buf[64];
    const ssize_t n = ::read(0, buf, sizeof buf);
    out.send(std::make_tuple(what_is(0), std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0)));
}

}  // namespace

// As Python's _bootstrap: a Process child's stdin is /dev/null, so it reads
// nothing away from the parent's input.
BOOST_DATA_TEST_CASE(a_childs_stdin_is_dev_null, methods(), method) {
    int input[2];
    BOOST_REQUIRE(::pipe(input) == 0);
    BOOST_REQUIRE(::write(input[1], "parent input", 12) == 12);
    const int saved = ::dup(0);
    ::dup2(input[0], 0);
    auto [reader, writer] = mp::Pipe();
    auto p = mp::get_context(method).Process(report_stdin, std::move(writer));
    p.start();
    ::dup2(saved, 0);
    ::close(saved);
    BOOST_REQUIRE(reader.poll(10s));
    auto [what, read] = reader.recv<std::tuple<std::string, std::string>>();
    BOOST_TEST(p.join(10s));
    BOOST_TEST(what == "/dev/null");
    BOOST_TEST(read == "");
    char buf[64];
    pollfd left{input[0], POLLIN, 0};
    BOOST_TEST(::poll(&left, 1, 0) == 1);  // still there for the parent
    if (left.revents & POLLIN) BOOST_TEST(::read(input[0], buf, sizeof buf) == 12);
    ::close(input[0]);
    ::close(input[1]);
}

BOOST_DATA_TEST_CASE(a_closed_standard_descriptor_is_dev_null_for_the_child, methods(), method) {
    for (int closed = 0; closed < 3; ++closed) {
        BOOST_TEST_CONTEXT("closed descriptor " << closed) {
            const sp::CompletedProcess result = run_with_closed(method, closed);
            BOOST_TEST(result.returncode == 0, result.std_out << result.std_err);
            // What the children printed went where the program's own output goes.
            if (closed != 1) BOOST_TEST(result.std_out.find("child output line") != std::string::npos, result.std_out);
            if (closed != 2) BOOST_TEST(result.std_err.find("child error line") != std::string::npos, result.std_err);
        }
    }
}
