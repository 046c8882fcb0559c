// current_process() and parent_process(): the facade over lifecycle::self.
#include "lifecycle/self.hpp"
#include "posix/pidfd.hpp"
#include "posix/poll.hpp"
#include "posix/process_id.hpp"

#include <mproc/process.hpp>

namespace mproc {

ProcessInfo current_process() {
    self::identity me = self::who_am_i();
    return ProcessInfo(std::move(me.name), posix::current_pid(), me.daemon);
}

std::optional<ParentProcess> parent_process() {
    self::identity me = self::who_am_i();
    if (me.parent_pid == 0) return std::nullopt;
    return ParentProcess(std::move(me.parent_name), me.parent_pid, posix::pidfd_open(me.parent_pid));
}

bool ParentProcess::is_alive() const { return !posix::wait_process_end(pidfd_.get(), pid_, posix::clock::now()); }

void ParentProcess::join() const { posix::wait_process_end(pidfd_.get(), pid_, std::nullopt); }

bool ParentProcess::join(std::chrono::duration<double> timeout) const {
    return posix::wait_process_end(pidfd_.get(), pid_, posix::deadline_after(timeout));
}

}  // namespace mproc
