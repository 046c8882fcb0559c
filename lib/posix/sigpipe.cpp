#include "posix/sigpipe.hpp"

#include <cerrno>
#include <ctime>
#include <pthread.h>

namespace mproc::posix {

sigpipe_guard::sigpipe_guard() noexcept {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
}

sigpipe_guard::~sigpipe_guard() {
    if (raised_ && !was_pending_) {
        timespec zero{0, 0};
        while (sigtimedwait(&pipe_set_, nullptr, &zero) < 0 && errno == EINTR) {}
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace mproc::posix
