// Writing to a pipe whose reader is gone without dying of SIGPIPE, whatever
// the application's disposition for it.
#pragma once

#include <csignal>

namespace mproc::posix {

/// Blocks SIGPIPE in this thread while alive. If a write in its scope raised
/// one (report it with raised()) that was not already pending, the signal is
/// consumed before the mask is restored, so the application's own SIGPIPE
/// disposition never sees it.
class sigpipe_guard {
public:
    sigpipe_guard() noexcept;
    ~sigpipe_guard();
    sigpipe_guard(const sigpipe_guard&) = delete;
    sigpipe_guard& operator=(const sigpipe_guard&) = delete;

    /// A write in this scope failed with EPIPE.
    void raised() noexcept { raised_ = true; }

private:
    sigset_t pipe_set_;
    sigset_t old_mask_;
    bool was_pending_ = false;
    bool raised_ = false;
};

}  // namespace mproc::posix
