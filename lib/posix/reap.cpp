#include "posix/reap.hpp"

#include "posix/child.hpp"

#include <cerrno>
#include <sys/wait.h>

namespace mproc::posix {

std::optional<reaped_child> reap_any_child() noexcept {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) return reaped_child{pid, returncode_from_status(status)};
        if (pid < 0 && errno == EINTR) continue;
        return std::nullopt;
    }
}

}  // namespace mproc::posix
