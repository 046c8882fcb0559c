#include "lifecycle/abandoned.hpp"

#include "posix/fork.hpp"

#include <mutex>
#include <vector>

namespace mproc::lifecycle {

namespace {

std::mutex abandoned_mutex;
std::vector<posix::child_handle> abandoned;

// A fork() while another thread holds the mutex would leave it locked forever
// in the child: take it around fork (as glibc does for malloc).
void lock_for_fork() { abandoned_mutex.lock(); }
void unlock_after_fork() { abandoned_mutex.unlock(); }

const bool fork_handlers_installed = [] {
    posix::at_fork({lock_for_fork, unlock_after_fork, unlock_after_fork});
    return true;
}();

}  // namespace

void abandon(posix::child_handle child) {
    (void)fork_handlers_installed;
    if (!child || child.returncode()) return;
    std::lock_guard lock(abandoned_mutex);
    abandoned.push_back(std::move(child));
}

void reap_abandoned() noexcept {
    std::lock_guard lock(abandoned_mutex);
    std::erase_if(abandoned, [](posix::child_handle& child) {
        try {
            return child.poll().has_value();
        } catch (...) {
            return true;  // not ours to wait for any more
        }
    });
}

}  // namespace mproc::lifecycle
