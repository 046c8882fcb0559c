#include "lifecycle/child_record.hpp"

#include "posix/process_id.hpp"

#include <chrono>
#include <thread>

namespace mproc::lifecycle {

child_record::child_record(std::unique_ptr<child> handle, std::string name, bool daemon)
    : handle_(std::move(handle)),
      name_(std::move(name)),
      pid_(handle_->pid()),
      owner_(posix::current_pid()),
      sentinel_(handle_->sentinel()),
      daemon_(daemon) {}

std::string child_record::name() const {
    std::lock_guard lock(mutex_);
    return name_;
}

void child_record::name(std::string value) {
    std::lock_guard lock(mutex_);
    name_ = std::move(value);
}

std::optional<int> child_record::poll() {
    std::lock_guard lock(mutex_);
    if (!returncode_) returncode_ = handle_->poll();
    return returncode_;
}

std::optional<int> child_record::wait(posix::deadline until) {
    for (int spins = 0;; ++spins) {
        if (auto code = poll()) return code;
        // The sentinel outlives the reap (it is closed with this record), so
        // waiting on it without the lock is safe while another thread polls.
        if (!posix::wait_readable(sentinel_, until)) return poll();
        // Readable, yet still running: a pipe sentinel closed early (the
        // child exec'd) or the exit not collectable yet. Back off.
        if (spins > 100) std::this_thread::sleep_for(std::chrono::milliseconds(spins > 1000 ? 10 : 1));
        else std::this_thread::yield();
    }
}

void child_record::send_signal(int sig) {
    std::lock_guard lock(mutex_);
    if (returncode_) return;
    handle_->send_signal(sig);
}

}  // namespace mproc::lifecycle
