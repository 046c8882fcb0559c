#include "start/fork.hpp"

#include "posix/fd.hpp"
#include "posix/parent_death.hpp"
#include "posix/signals.hpp"
#include "start/child_entry.hpp"
#include "start/child_popen.hpp"
#include "start/launcher.hpp"

#include <mproc/os.hpp>

#include <tuple>
#include <unistd.h>

namespace mproc::start {

std::unique_ptr<popen> launch_fork(detail::process_target& target, self::child_context context) {
    // Everything the child needs is prepared here: between fork and the
    // target it allocates nothing and takes no lock another thread could hold.
    posix::unique_fd sentinel_read, sentinel_write;
    if (!have_pidfds()) std::tie(sentinel_read, sentinel_write) = posix::make_pipe();
    const sigset_t mask = posix::thread_signal_mask();
    const pid_t parent = ::getpid();
    posix::bind_child_calls();
    pid_t pid = -1;
    run_on_long_lived_thread([&] {
        pid = os::fork();  // flushes the standard streams first
        if (pid != 0) return;
        // The child (on the launcher thread, perhaps: give it the caller's mask).
        posix::set_thread_signal_mask(mask);
        if (!posix::die_with_parent(parent)) posix::exit_now(1);
        sentinel_read.reset();
        static_cast<void>(sentinel_write.release());  // held until the child exits
        self::become(context);
        exit_child(run_target([&target] { target.run(); }));
    });
    sentinel_write.reset();
    return std::make_unique<child_popen>(pid, std::move(sentinel_read));
}

}  // namespace mproc::start
