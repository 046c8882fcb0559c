#include "start/spawn.hpp"

#include "lifecycle/own_child.hpp"
#include "posix/fd.hpp"
#include "posix/open.hpp"
#include "posix/parent_death.hpp"
#include "posix/process_id.hpp"
#include "posix/spawn.hpp"
#include "start/creator_thread.hpp"
#include "start/task.hpp"

#include <mproc/errors.hpp>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

namespace mproc::start {

void require_main_hook(const char* method) {
    if (!main_hook_present())
        throw ProcessError(std::string("the ") + method +
                           " start method re-executes this program, whose main() must call MPROC_MAIN(argc, argv) "
                           "first: add it, or use the fork start method");
}

pid_t spawn_self(const char* method, const char* flag, std::span<const int> fds) {
    require_main_hook(method);
    const std::string first = fds.empty() ? "-1" : std::to_string(fds.front());
    std::vector<int> keep(fds.begin(), fds.end());
    std::sort(keep.begin(), keep.end());
    pid_t parent = posix::current_pid();
    const std::string parent_text = std::to_string(parent);
    const char* argv[] = {program_name(), flag, parent_text.c_str(), first.c_str(), nullptr};
    const char* programs[] = {"/proc/self/exe", nullptr};
    posix::spawn_plan plan;
    plan.programs = programs;
    plan.argv = argv;
    plan.keep_fds = keep.data();
    plan.keep_count = keep.size();
    plan.child_hook = posix::die_with_parent_hook;  // PR_SET_PDEATHSIG before the exec
    plan.hook_context = &parent;
    pid_t pid = -1;
    run_on_long_lived_thread([&] { pid = posix::spawn(plan); });
    return pid;
}

std::unique_ptr<lifecycle::child> launch_spawn(const detail::process_target& target, const self::child_context& context) {
    require_main_hook("spawn");
    encoded_task task = encode_task(target, context);
    // The child keeps our descriptor numbers, except that posix::spawn keeps
    // only descriptors above 2 (one may be lower if the program closed stdio):
    // the arguments' descriptors, which they own, are passed as copies above 2.
    std::vector<posix::unique_fd> raised;
    auto above_stdio = [&raised](int fd) {
        if (fd > 2) return fd;
        raised.push_back(posix::dup_at_least(fd, 3));
        return raised.back().get();
    };
    auto [task_read, task_write] = posix::make_pipe();
    posix::move_above_stdio(task_read);
    std::vector<int> fds{task_read.get()};
    std::vector<int> child_fds;
    for (int fd : task.fds) child_fds.push_back(above_stdio(fd));
    fds.insert(fds.end(), child_fds.begin(), child_fds.end());
    // Without pidfds the child's sentinel is a pipe whose write end it alone
    // holds (it never closes it: the task does not list it).
    posix::unique_fd sentinel_read, sentinel_write;
    if (!lifecycle::have_pidfds()) {
        std::tie(sentinel_read, sentinel_write) = posix::make_pipe();
        posix::move_above_stdio(sentinel_write);
        fds.push_back(sentinel_write.get());
    }
    pid_t pid = spawn_self("spawn", spawn_flag, fds);
    task_read.reset();
    sentinel_write.reset();
    raised.clear();
    auto handle = std::make_unique<lifecycle::own_child>(pid, std::move(sentinel_read));
    try {
        send_task(std::move(task_write), task, child_fds);
    } catch (...) {
        lifecycle::kill_and_abandon(handle->release());
        throw;
    }
    return handle;
}

}  // namespace mproc::start
