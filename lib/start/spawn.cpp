#include "start/spawn.hpp"

#include "posix/fd.hpp"
#include "posix/signals.hpp"
#include "posix/spawn.hpp"
#include "start/child_popen.hpp"
#include "start/launcher.hpp"
#include "start/task.hpp"

#include <mproc/errors.hpp>

#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace mproc::start {

void require_main_hook(const char* method) {
    if (!main_hook_present())
        throw ProcessError(std::string("the ") + method +
                           " start method re-executes this program, whose main() must call MPROC_MAIN(argc, argv) "
                           "first: add it, or use the fork start method");
}

pid_t spawn_self(const char* method, const char* flag, std::span<const int> fds, const sigset_t& mask) {
    require_main_hook(method);
    const std::string parent = std::to_string(::getpid());
    std::string name = program_name();
    std::string mode = flag;
    char* argv[] = {name.data(), mode.data(), const_cast<char*>(parent.c_str()), nullptr};
    pid_t pid = -1;
    run_on_long_lived_thread([&] {
        pid = posix::spawn_with_fds({"/proc/self/exe", argv, environ, fds, &mask});
    });
    return pid;
}

std::unique_ptr<popen> launch_spawn(const detail::process_target& target, const self::child_context& context) {
    require_main_hook("spawn");
    encoded_task task = encode_task(target, context);
    auto [task_read, task_write] = posix::make_pipe();
    std::vector<int> fds{task_read.get()};
    fds.insert(fds.end(), task.fds.begin(), task.fds.end());
    // Without pidfds the child's sentinel is a pipe whose write end it alone
    // holds, passed after the exported descriptors (which it leaves alone).
    posix::unique_fd sentinel_read, sentinel_write;
    if (!have_pidfds()) {
        std::tie(sentinel_read, sentinel_write) = posix::make_pipe();
        fds.push_back(sentinel_write.get());
    }
    pid_t pid = spawn_self("spawn", spawn_flag, fds, posix::thread_signal_mask());
    task_read.reset();
    sentinel_write.reset();
    auto handle = std::make_unique<child_popen>(pid, std::move(sentinel_read));
    send_task(std::move(task_write), task.bytes);
    return handle;
}

}  // namespace mproc::start
