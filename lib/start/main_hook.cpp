// MPROC_MAIN's side in the library: knowing, before main runs, whether main
// calls it; and in a re-executed child, running its task (or the fork server).
#include "posix/parent_death.hpp"
#include "start/forkserver.hpp"
#include "start/spawn.hpp"
#include "start/task.hpp"

#include <mproc/main.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mproc {

namespace {

std::atomic<bool> hook_present{false};
const char* argv0 = nullptr;
// In a re-executed child, until MPROC_MAIN takes over.
bool child_waiting_for_hook = false;

bool is_child_flag(const char* arg) {
    return arg && (std::strcmp(arg, start::spawn_flag) == 0 || std::strcmp(arg, start::forkserver_flag) == 0);
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
    if (argc > 1 && argv && is_child_flag(argv[1])) {
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
    if (argc < 4 || !is_child_flag(argv[1])) return;
    child_waiting_for_hook = false;
    // argv: {argv[0], flag, parent pid, descriptor} (start/spawn.hpp).
    const pid_t parent = static_cast<pid_t>(std::atol(argv[2]));
    const int fd = std::atoi(argv[3]);
    if (!posix::die_with_parent(parent)) posix::exit_now(1);
    if (std::strcmp(argv[1], start::forkserver_flag) == 0) start::forkserver::serve(fd);
    start::run_task_from_fds(fd);
}

}  // namespace detail

}  // namespace mproc
