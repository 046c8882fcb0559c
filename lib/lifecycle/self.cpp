#include "lifecycle/self.hpp"

#include "posix/fork.hpp"
#include "posix/process_id.hpp"

#include <mutex>

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
    posix::at_fork({[] { self_mutex.lock(); }, [] { self_mutex.unlock(); }, [] { self_mutex.unlock(); }});
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
    return child_context{std::move(name), std::move(identity), daemon, posix::current_pid(), self_state.name};
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

identity who_am_i() {
    std::lock_guard lock(self_mutex);
    return identity{self_state.name, self_state.daemon, self_state.parent_pid, self_state.parent_name};
}

}  // namespace self

}  // namespace mproc
