// Process benchmarks: start + join of an empty target per start method,
// against raw system calls written here doing the same work
// (bench/py/bench_process.py: Python's multiprocessing.Process).
//
//   process.fork        mproc fork       vs raw fork + _exit + waitpid            (starts/s)
//   process.spawn       mproc spawn      vs posix_spawn of this binary in its
//                                           empty-main mode + waitpid (the floor:
//                                           one exec of the program), and
//                                           posix_spawn("/bin/true") + waitpid
//   process.forkserver  mproc forkserver vs mproc spawn (it must be faster)
//   process.fork.1cpu, process.spawn.1cpu: the same with the program and its
//                       children pinned to one CPU
//
// Rounds alternate between the contestants (rotating who goes first); each
// reports the median, and mproc's the median of its per-round ratios.
#include "bench_util.hpp"

#include <mproc/mproc.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <sched.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace mp = mproc;

namespace {

constexpr const char* empty_main_flag = "--empty-main";
constexpr const char* pinned_flag = "--pinned";

[[noreturn]] void fail(const char* what, int err = errno) { throw std::system_error(err, std::system_category(), what); }

void empty_target() {}

void wait_ok(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("a raw child failed");
}

// ---- contestants: each returns starts per second over `n` starts ---------

std::function<double()> mproc_starts(mp::start_method method, int n) {
    return [method, n] {
        auto ctx = mp::get_context(method);
        auto start = bench::clock::now();
        for (int i = 0; i < n; ++i) {
            mp::Process p = ctx.Process(empty_target);
            p.start();
            p.join();
            if (p.exitcode() != 0) throw std::runtime_error("an mproc child failed");
        }
        return n / bench::seconds_since(start);
    };
}

std::function<double()> raw_fork(int n) {
    return [n] {
        auto start = bench::clock::now();
        for (int i = 0; i < n; ++i) {
            std::fflush(nullptr);  // as any fork that must not duplicate buffered output
            pid_t pid = ::fork();
            if (pid < 0) fail("fork");
            if (pid == 0) ::_exit(0);
            wait_ok(pid);
        }
        return n / bench::seconds_since(start);
    };
}

std::function<double()> raw_posix_spawn(std::vector<std::string> args, int n) {
    return [args = std::move(args), n] {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const char* path = args[0] == "/bin/true" ? "/bin/true" : "/proc/self/exe";
        auto start = bench::clock::now();
        for (int i = 0; i < n; ++i) {
            pid_t pid;
            if (int err = ::posix_spawn(&pid, path, nullptr, nullptr, argv.data(), environ)) fail("posix_spawn", err);
            wait_ok(pid);
        }
        return n / bench::seconds_since(start);
    };
}

// Runs the groups wanted, each named with `suffix`.
void run_groups(std::string_view only, const std::string& suffix, const std::string& self) {
    auto wanted = [&](std::string_view group) { return group.substr(0, only.size()) == only; };
    const int rounds = bench::rounds(7);
    if (wanted("process.fork" + suffix)) {
        const int n = 300;
        mproc_starts(mp::fork, 10)();  // warm-up
        bench::compare_all("process.fork" + suffix, "starts/s",
                           {{"mproc", mproc_starts(mp::fork, n)}, {"raw_fork", raw_fork(n)}}, rounds, {">=0.8"});
    }
    if (wanted("process.spawn" + suffix)) {
        const int n = 60;
        mproc_starts(mp::spawn, 5)();
        bench::compare_all("process.spawn" + suffix, "starts/s",
                           {{"mproc", mproc_starts(mp::spawn, n)},
                            {"self_exec", raw_posix_spawn({self, empty_main_flag}, n)},
                            {"posix_spawn_true", raw_posix_spawn({"/bin/true"}, n)}},
                           rounds, {">=0.8", ""});
    }
    if (suffix.empty() && wanted("process.forkserver")) {
        const int n = 150;
        mproc_starts(mp::forkserver, 10)();  // starts the server
        bench::compare_all("process.forkserver", "starts/s",
                           {{"mproc", mproc_starts(mp::forkserver, n)}, {"spawn", mproc_starts(mp::spawn, n / 3)}},
                           rounds, {">=1"});
    }
}

// The .1cpu groups run in a copy of this program started pinned to one CPU,
// so that all its threads (mproc's creator thread too) and children share it:
// nothing hides a cross-thread or cross-process wake-up there.
void run_pinned_copy(std::string_view only, const std::string& self) {
    cpu_set_t saved;
    if (::sched_getaffinity(0, sizeof saved, &saved) != 0) fail("sched_getaffinity");
    int cpu = 0;
    while (!CPU_ISSET(cpu, &saved)) ++cpu;
    bench::pin_to(cpu);
    const std::string group(only.empty() ? "process" : only);
    char* argv[] = {const_cast<char*>(self.c_str()), const_cast<char*>(pinned_flag), const_cast<char*>(group.c_str()),
                    nullptr};
    pid_t pid;
    const int err = ::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, environ);
    ::sched_setaffinity(0, sizeof saved, &saved);
    if (err) fail("posix_spawn", err);
    wait_ok(pid);
}

}  // namespace

// Optional argument: run only the groups whose name starts with it.
int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    if (argc > 1 && std::strcmp(argv[1], empty_main_flag) == 0) return 0;  // the spawn floor's child
    const std::string self = argc > 0 ? argv[0] : "bench_process";
    try {
        if (argc > 2 && std::strcmp(argv[1], pinned_flag) == 0) {  // the pinned copy
            run_groups(argv[2], ".1cpu", self);
            return 0;
        }
        const std::string_view only = argc > 1 ? argv[1] : "";
        run_groups(only, "", self);
        auto wanted = [&](std::string_view group) { return group.substr(0, only.size()) == only; };
        if (wanted("process.fork.1cpu") || wanted("process.spawn.1cpu")) run_pinned_copy(only, self);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_process: %s\n", e.what());
        return 1;
    }
}
