#include "lifecycle.hpp"
#include "per_process.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace mproc::lifecycle {

namespace {

std::mutex abandoned_mutex;
std::vector<posix::child_handle> abandoned;

// A fork() while another thread holds the mutex would leave it locked forever
// in the child: take it around fork (as glibc does for malloc).
void lock_for_fork() { abandoned_mutex.lock(); }
void unlock_after_fork() { abandoned_mutex.unlock(); }

const bool fork_handlers_installed = [] {
    ::pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
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

// ---- children started by Process ------------------------------------------

child_record::child_record(std::unique_ptr<start::popen> handle, std::string name, bool daemon)
    : handle_(std::move(handle)),
      name_(std::move(name)),
      pid_(handle_->pid()),
      owner_(::getpid()),
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

namespace {

struct registry {
    std::mutex mutex;
    std::vector<std::shared_ptr<child_record>> children;
    bool exit_handler_installed = false;
};

per_process<registry> registries;

}  // namespace

void finish_children() noexcept {
    if (!registries.find()) return;  // no child started here (a forked child then touches no heap)
    try {
        std::vector<std::shared_ptr<child_record>> children = running_children();
        for (auto& child : children) {
            if (!child->daemon()) continue;
            try {
                child->send_signal(SIGTERM);
            } catch (...) {
            }
        }
        for (auto& child : children) {
            try {
                child->wait(std::nullopt);
            } catch (...) {
            }
        }
    } catch (...) {
    }
}

void track(std::shared_ptr<child_record> child) {
    registry& r = registries.get();
    std::lock_guard lock(r.mutex);
    if (!r.exit_handler_installed) {
        std::atexit(finish_children);
        r.exit_handler_installed = true;
    }
    r.children.push_back(std::move(child));
}

std::vector<std::shared_ptr<child_record>> running_children() {
    reap_abandoned();
    registry& r = registries.get();
    std::vector<std::shared_ptr<child_record>> snapshot;
    {
        std::lock_guard lock(r.mutex);
        snapshot = r.children;
    }
    std::vector<std::shared_ptr<child_record>> running;
    for (auto& child : snapshot) {
        bool ended = true;
        try {
            ended = child->poll().has_value();
        } catch (...) {
        }
        if (!ended) running.push_back(child);
    }
    std::lock_guard lock(r.mutex);
    std::erase_if(r.children, [&](const std::shared_ptr<child_record>& child) {
        return std::find(snapshot.begin(), snapshot.end(), child) != snapshot.end() &&
               std::find(running.begin(), running.end(), child) == running.end();
    });
    return running;
}

}  // namespace mproc::lifecycle
