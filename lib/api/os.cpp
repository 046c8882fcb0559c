#include "posix/fork.hpp"
#include "posix/process_id.hpp"

#include <mproc/os.hpp>

namespace mproc::os {

pid_t fork() {
    posix::flush_standard_streams();
    return posix::fork();
}

pid_t getpid() noexcept { return posix::current_pid(); }
pid_t getppid() noexcept { return posix::parent_pid(); }

}  // namespace mproc::os
