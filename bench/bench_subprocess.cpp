// subprocess benchmarks: mproc::subprocess against raw posix_spawn loops
// written here doing the same work, and Boost.Process v2 (Boost 1.81, its
// default launcher, a fresh io_context per round) for the runs
// (bench/py/bench_subprocess.py: Python's subprocess.run).
//
//   subprocess.run_true          run({"/bin/true"}) vs posix_spawn + waitpid   (runs/s)
//                                and bp2::process + wait
//   subprocess.run_true.bigheap  the same with a 256 MiB touched heap          (runs/s)
//   subprocess.communicate_cat   256 MiB through `cat`: Popen + communicate vs (MB/s)
//                                a posix_spawn + poll loop with 64 KiB chunks
//
// The raw communicate loop appends to a fresh std::string each round, as
// communicate must return one ("raw"); "raw_reused" appends to one string
// kept across rounds (no page faults): the loop's ceiling, for information.
// Rounds alternate between the contestants (rotating who goes first); each
// reports the median, and mproc's the median of its per-round ratios.
#include "bench_util.hpp"

#include <mproc/subprocess.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/process.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace sp = mproc::subprocess;

namespace {

const int runs_per_round = bench::scaled(100, 10);
constexpr std::size_t heap_size = 256u << 20;
const std::size_t cat_size = bench::quick() ? 64u << 20 : 256u << 20;
constexpr std::size_t chunk = 64 * 1024;

[[noreturn]] void fail(const char* what, int err = errno) { throw std::system_error(err, std::system_category(), what); }

// ---- run /bin/true ----------------------------------------------------------

double mproc_run_true() {
    auto start = bench::clock::now();
    for (int i = 0; i < runs_per_round; ++i)
        if (sp::run({"/bin/true"}).returncode != 0) throw std::runtime_error("mproc: /bin/true failed");
    return runs_per_round / bench::seconds_since(start);
}

double raw_run_true() {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    auto start = bench::clock::now();
    for (int i = 0; i < runs_per_round; ++i) {
        pid_t pid;
        if (int err = ::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ)) fail("posix_spawn", err);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) fail("waitpid");
        if (status != 0) throw std::runtime_error("raw: /bin/true failed");
    }
    return runs_per_round / bench::seconds_since(start);
}

double boost_process_run_true() {
    namespace bp2 = boost::process::v2;
    boost::asio::io_context ctx;
    auto start = bench::clock::now();
    for (int i = 0; i < runs_per_round; ++i) {
        bp2::process proc(ctx, "/bin/true", {});
        if (proc.wait() != 0) throw std::runtime_error("boost_process: /bin/true failed");
    }
    return runs_per_round / bench::seconds_since(start);
}

// ---- 256 MiB through cat ------------------------------------------------------

const std::string& cat_input() {
    static const std::string input = [] {
        std::string s(cat_size, '\0');
        for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 23);
        return s;
    }();
    return input;
}

double mproc_communicate() {
    const std::string& input = cat_input();
    auto start = bench::clock::now();
    sp::Popen p({"cat"}, {.std_in = sp::PIPE, .std_out = sp::PIPE});
    auto [out, err] = p.communicate(input);
    double seconds = bench::seconds_since(start);
    if (out.size() != input.size() || p.returncode() != 0) throw std::runtime_error("mproc: cat lost data");
    return input.size() / seconds / 1e6;
}

// posix_spawnp `cat` with its stdin and stdout on pipes, then one poll loop:
// write 64 KiB pieces of the input, read 64 KiB chunks and append them to `out`.
void raw_cat(const std::string& input, std::string& out) {
    int in[2], from[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(from, O_CLOEXEC) != 0) fail("pipe2");
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    ::posix_spawn_file_actions_adddup2(&actions, from[1], 1);
    char* argv[] = {const_cast<char*>("cat"), nullptr};
    pid_t pid;
    int err = ::posix_spawnp(&pid, "cat", &actions, nullptr, argv, environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(from[1]);
    if (err) fail("posix_spawnp", err);
    int to_child = in[1], from_child = from[0];
    if (::fcntl(to_child, F_SETFL, O_NONBLOCK) != 0) fail("fcntl");

    char buffer[chunk];
    std::size_t sent = 0;
    while (from_child >= 0) {
        pollfd fds[2];
        nfds_t n = 0;
        if (to_child >= 0) fds[n++] = {to_child, POLLOUT, 0};
        fds[n++] = {from_child, POLLIN, 0};
        if (::poll(fds, n, -1) < 0) {
            if (errno == EINTR) continue;
            fail("poll");
        }
        for (nfds_t k = 0; k < n; ++k) {
            if (!fds[k].revents) continue;
            if (fds[k].fd == to_child) {
                ssize_t w = ::write(to_child, input.data() + sent, std::min(chunk, input.size() - sent));
                if (w < 0 && errno != EAGAIN && errno != EINTR) fail("write");
                if (w > 0) sent += static_cast<std::size_t>(w);
                if (sent == input.size()) {
                    ::close(to_child);
                    to_child = -1;
                }
            } else {
                ssize_t r = ::read(from_child, buffer, sizeof buffer);
                if (r < 0 && errno != EINTR) fail("read");
                if (r > 0) out.append(buffer, static_cast<std::size_t>(r));
                if (r == 0) {
                    ::close(from_child);
                    from_child = -1;
                }
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail("waitpid");
    if (status != 0 || out.size() != input.size()) throw std::runtime_error("raw: cat lost data");
}

double raw_communicate() {
    const std::string& input = cat_input();
    auto start = bench::clock::now();
    std::string out;  // fresh, as communicate returns
    raw_cat(input, out);
    return input.size() / bench::seconds_since(start) / 1e6;
}

double raw_reused_communicate() {
    static std::string out;  // kept across rounds: its pages are already mapped
    const std::string& input = cat_input();
    out.clear();
    out.reserve(input.size());
    auto start = bench::clock::now();
    raw_cat(input, out);
    return input.size() / bench::seconds_since(start) / 1e6;
}

}  // namespace

// Optional argument: run only the groups whose name starts with it.
int main(int argc, char** argv) {
    const std::string_view only = argc > 1 ? argv[1] : "";
    auto wanted = [&](std::string_view group) { return group.substr(0, only.size()) == only; };
    try {
        const int run_rounds = bench::rounds(21);
        const int cat_rounds = bench::rounds(7);
        std::vector<bench::contestant<bench::round_fn>> run_true = {
            {"mproc", mproc_run_true}, {"posix_spawn", raw_run_true}, {"boost_process", boost_process_run_true}};
        for (const char* group : {"subprocess.run_true", "subprocess.run_true.bigheap"})
            if (wanted(group)) {
                bench::note(group, "mproc", "unpinned; clone(CLONE_VM | CLONE_VFORK) + exec, then wait");
                bench::note(group, "posix_spawn", "unpinned; glibc posix_spawn + waitpid");
                bench::note(group, "boost_process", "unpinned; v2's default launcher (fork + exec), wait()");
            }
        if (wanted("subprocess.run_true")) {
            mproc_run_true();  // warm-up: first page faults, the child stack
            bench::compare_all("subprocess.run_true", "runs/s", run_true, run_rounds, {">=0.95", ""});
        }
        if (wanted("subprocess.run_true.bigheap")) {
            std::vector<char> heap(heap_size);
            std::memset(heap.data(), 1, heap.size());  // touched: its page tables exist
            bench::compare_all("subprocess.run_true.bigheap", "runs/s", run_true, run_rounds, {">=0.95", ""});
            if (heap[heap_size / 2] != 1) return 1;  // keep the heap alive and used
        }
        if (wanted("subprocess.communicate_cat")) {
            cat_input();
            bench::compare_all(
                "subprocess.communicate_cat", "MB/s",
                {{"mproc", mproc_communicate}, {"raw", raw_communicate}, {"raw_reused", raw_reused_communicate}},
                cat_rounds, {">=0.9", ""});
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_subprocess: %s\n", e.what());
        return 1;
    }
}
