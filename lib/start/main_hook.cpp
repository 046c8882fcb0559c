// MPROC_MAIN's side in the library: knowing, before main runs, whether main
// calls it; and in a re-executed child, running its task (or the fork server).
#include "posix/open.hpp"
#include "posix/parent_death.hpp"
#include "start/forkserver.hpp"
#include "start/spawn.hpp"
#include "start/task.hpp"

#include <mproc/main.hpp>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mproc {

namespace {

std::atomic<bool> hook_present{false};
const char* argv0 = nullptr;
// In a re-executed child, until MPROC_MAIN takes over.
bool child_waiting_for_hook = false;

bool is_child_flag(const char* arg) {
    return arg && (std::strcmp(arg, start::spawn_flag) == 0 || std::strcmp(arg, start::forkserver_flag) == 0);
}

// argv {argv[0], flag, parent pid, descriptor, identity} (start/spawn.hpp):
// a real child holds the descriptor argv names, and its file is the one
// the parent named. Anyone can type the flag; not that.
bool is_real_child(int argc, char** argv) {
    if (argc != 5 || !is_child_flag(argv[1])) return false;
    char* end = nullptr;
    const long fd = std::strtol(argv[3], &end, 10);
    if (end == argv[3] || *end != '\0' || fd < 3 || fd > INT_MAX) return false;
    const std::string identity = posix::fd_identity(static_cast<int>(fd));
    return !identity.empty() && identity == argv[4];
}

// A re-executed child is running the parent's main() again: stop it.
[[noreturn]] void exit_without_hook(const char* what) noexcept {
    std::fprintf(stderr,
                 "mproc: this process was started by the spawn or forkserver start method, but main() %s before "
                 "reaching MPROC_MAIN(argc, argv): call it first thing in main()\n",
                 what);
    std::fflush(stderr);
    posix::exit_now(1);
}

void refuse_to_finish_without_hook() {
    if (child_waiting_for_hook) exit_without_hook("ended");
}

// glibc passes (argc, argv, envp) to the program's initialisers.
__attribute__((constructor)) void capture_program_arguments(int argc, char** argv, char**) {
    if (argc > 0 && argv) argv0 = argv[0];
    if (argv && is_real_child(argc, argv)) {
        child_waiting_for_hook = true;
        std::atexit(refuse_to_finish_without_hook);
    }
}

}  // namespace

namespace start {

bool main_hook_present() noexcept { return hook_present.load(std::memory_order_relaxed); }

const char* program_name() noexcept { return argv0 && *argv0 ? argv0 : "/proc/self/exe"; }

void refuse_to_start_without_hook() noexcept {
    if (child_waiting_for_hook) exit_without_hook("started a process");
}

}  // namespace start

namespace detail {

bool note_main_hook() noexcept {
    hook_present.store(true, std::memory_order_relaxed);
    return true;
}

void run_if_child(int argc, char** argv) {
    if (argc < 2 || !is_child_flag(argv[1])) return;
    if (!is_real_child(argc, argv)) {
        std::fprintf(stderr,
                     "mproc: %s is the first argument of processes started by mproc's spawn and forkserver start "
                     "methods, but this process was not started by mproc (it holds no task descriptor): the "
                     "argument is reserved\n",
                     argv[1]);
        std::fflush(stderr);
        posix::exit_now(1);
    }
    child_waiting_for_hook = false;
    const pid_t parent = static_cast<pid_t>(std::atol(argv[2]));
    const int fd = std::atoi(argv[3]);
    if (!posix::die_with_parent(parent)) posix::exit_now(1);
    if (std::strcmp(argv[1], start::forkserver_flag) == 0) start::forkserver::serve(fd);
    start::run_task_from_fds(fd);
}

}  // namespace detail

}  // namespace mproc
