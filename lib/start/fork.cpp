#include "start/fork.hpp"

#include "lifecycle/own_child.hpp"
#include "posix/fd.hpp"
#include "posix/fork.hpp"
#include "posix/parent_death.hpp"
#include "posix/process_id.hpp"
#include "posix/signals.hpp"
#include "start/creator_thread.hpp"
#include "start/run_target.hpp"

#include <tuple>

namespace mproc::start {

std::unique_ptr<lifecycle::child> launch_fork(detail::process_target& target, self::child_context context) {
    // Everything the child needs is prepared here: between fork and the
    // target it allocates nothing and takes no lock another thread could hold.
    posix::unique_fd sentinel_read, sentinel_write;
    if (!lifecycle::have_pidfds()) std::tie(sentinel_read, sentinel_write) = posix::make_pipe();
    const sigset_t mask = posix::thread_signal_mask();
    const pid_t parent = posix::current_pid();
    posix::bind_child_calls();
    pid_t pid = -1;
    run_on_long_lived_thread([&] {
        posix::flush_standard_streams();
        pid = posix::fork();
        if (pid != 0) return;
        // The child (on the creator thread, perhaps: give it the caller's mask).
        posix::set_thread_signal_mask(mask);
        if (!posix::die_with_parent(parent)) posix::exit_now(1);
        sentinel_read.reset();
        static_cast<void>(sentinel_write.release());  // held until the child exits
        self::become(context);
        exit_child(run_target([&target] { target.run(); }));
    });
    sentinel_write.reset();
    return std::make_unique<lifecycle::own_child>(pid, std::move(sentinel_read));
}

}  // namespace mproc::start
