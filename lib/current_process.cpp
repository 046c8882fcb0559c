#include "current_process.hpp"

#include "posix/pidfd.hpp"
#include "posix/poll.hpp"

#include <mproc/process.hpp>

#include <mutex>
#include <pthread.h>
#include <unistd.h>

namespace mproc {

namespace self {

namespace {

struct state {
    std::string name = "MainProcess";
    std::vector<int> identity;
    bool daemon = false;
    pid_t parent_pid = 0;  // 0: the main process has no mproc parent
    std::string parent_name;
    int children_started = 0;
};

std::mutex self_mutex;
state self_state;

// A fork while another thread holds the mutex would leave it locked in the
// child: take it around fork.
const bool fork_handlers_installed = [] {
    ::pthread_atfork([] { self_mutex.lock(); }, [] { self_mutex.unlock(); }, [] { self_mutex.unlock(); });
    return true;
}();

}  // namespace

std::vector<int> next_child_identity() {
    (void)fork_handlers_installed;
    std::lock_guard lock(self_mutex);
    std::vector<int> identity = self_state.identity;
    identity.push_back(++self_state.children_started);
    return identity;
}

std::string default_name(const std::vector<int>& identity) {
    std::string name = "Process-";
    for (std::size_t i = 0; i < identity.size(); ++i) {
        if (i) name += ':';
        name += std::to_string(identity[i]);
    }
    return name;
}

child_context context_for_child(std::string name, std::vector<int> identity, bool daemon) {
    std::lock_guard lock(self_mutex);
    return child_context{std::move(name), std::move(identity), daemon, ::getpid(), self_state.name};
}

void become(child_context& context) noexcept {
    std::lock_guard lock(self_mutex);
    self_state.name.swap(context.name);
    self_state.identity.swap(context.identity);
    self_state.daemon = context.daemon;
    self_state.parent_pid = context.parent_pid;
    self_state.parent_name.swap(context.parent_name);
    self_state.children_started = 0;
}

bool is_daemon() {
    std::lock_guard lock(self_mutex);
    return self_state.daemon;
}

}  // namespace self

ProcessInfo current_process() {
    std::lock_guard lock(self::self_mutex);
    return ProcessInfo(self::self_state.name, ::getpid(), self::self_state.daemon);
}

std::optional<ParentProcess> parent_process() {
    std::string name;
    pid_t pid;
    {
        std::lock_guard lock(self::self_mutex);
        if (self::self_state.parent_pid == 0) return std::nullopt;
        name = self::self_state.parent_name;
        pid = self::self_state.parent_pid;
    }
    return ParentProcess(std::move(name), pid, posix::pidfd_open(pid));
}

bool ParentProcess::is_alive() const { return !posix::wait_process_end(pidfd_.get(), pid_, posix::clock::now()); }

void ParentProcess::join() const { posix::wait_process_end(pidfd_.get(), pid_, std::nullopt); }

bool ParentProcess::join(std::chrono::duration<double> timeout) const {
    return posix::wait_process_end(pidfd_.get(), pid_, posix::deadline_after(timeout));
}

}  // namespace mproc
