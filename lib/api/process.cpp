#include "api/default_start_method.hpp"
#include "lifecycle/registry.hpp"
#include "lifecycle/self.hpp"
#include "posix/affinity.hpp"
#include "posix/process_id.hpp"
#include "start/launch.hpp"

#include <mproc/context.hpp>
#include <mproc/process.hpp>

#include <csignal>

namespace mproc {

namespace {

// Once the end of a child is seen the registry lets go of it: its
// descriptors are released with the Process (close, destruction), not at
// the next start() or active_children().
std::optional<int> seen(lifecycle::child_record& child, std::optional<int> code) {
    if (code) lifecycle::untrack(child);
    return code;
}

}  // namespace

Process::Process() noexcept = default;

void Process::adopt(std::unique_ptr<detail::process_target> target, std::optional<start_method> method) {
    target_ = std::move(target);
    method_ = method;
    identity_ = self::next_child_identity();
    // As Python's class names: a context's Process is a ForkProcess,
    // SpawnProcess or ForkServerProcess; mproc::Process itself is a Process.
    const char* prefix = !method                              ? "Process"
                         : *method == start_method::fork       ? "ForkProcess"
                         : *method == start_method::spawn      ? "SpawnProcess"
                                                               : "ForkServerProcess";
    name_ = self::default_name(prefix, identity_);
    creator_ = posix::current_pid();
}

Process::Process(Process&&) noexcept = default;

Process& Process::operator=(Process&& other) noexcept {
    if (this == &other) return *this;
    let_go();
    target_ = std::move(other.target_);
    child_ = std::move(other.child_);
    method_ = std::move(other.method_);
    name_ = std::move(other.name_);
    identity_ = std::move(other.identity_);
    daemon_ = other.daemon_;
    creator_ = other.creator_;
    closed_ = other.closed_;
    return *this;
}

Process::~Process() { let_go(); }

void Process::let_go() noexcept {
    // A child still running stays in the registry, to be reaped later.
    if (child_ && child_->owner() == posix::current_pid()) {
        try {
            seen(*child_, child_->poll());
        } catch (...) {
        }
    }
    child_.reset();
}

void Process::check_not_closed(const char* operation) const {
    if (closed_) throw ProcessError(std::string("Process::") + operation + ": the process object is closed");
}

lifecycle::child_record& Process::started(const char* operation) const {
    check_not_closed(operation);
    if (!child_) throw ProcessError(std::string("Process::") + operation + ": the process has not been started");
    return *child_;
}

void Process::start() {
    check_not_closed("start");
    if (child_) throw ProcessError("Process::start: a process can only be started once");
    if (!target_) throw ProcessError("Process::start: the process has no target (default-constructed or moved from)");
    if (creator_ != posix::current_pid())
        throw ProcessError("Process::start: can only start a process object created by the current process");
    if (self::is_daemon()) throw ProcessError("Process::start: daemonic processes are not allowed to have children");
    lifecycle::running_children();  // reap the children that have ended
    const start_method method = method_ ? *method_ : detail::default_start_method();
    auto handle = start::launch(method, *target_, self::context_for_child(name_, identity_, daemon_));
    child_ = std::make_shared<lifecycle::child_record>(std::move(handle), name_, daemon_);
    lifecycle::track(child_);
    target_.reset();  // as Python's start() drops its target and args
}

void Process::join() {
    lifecycle::child_record& child = started("join");
    if (child.owner() != posix::current_pid()) throw ProcessError("Process::join: can only join a child process");
    seen(child, child.wait(std::nullopt));
}

bool Process::join(std::chrono::duration<double> timeout) {
    lifecycle::child_record& child = started("join");
    if (child.owner() != posix::current_pid()) throw ProcessError("Process::join: can only join a child process");
    return seen(child, child.wait(posix::deadline_after(timeout))).has_value();
}

bool Process::is_alive() const {
    check_not_closed("is_alive");
    if (!child_ || child_->owner() != posix::current_pid()) return false;
    return !seen(*child_, child_->poll()).has_value();
}

pid_t Process::pid() const noexcept { return child_ ? child_->pid() : 0; }

void Process::name(std::string new_name) {
    name_ = std::move(new_name);
    if (child_) child_->name(name_);
}

void Process::daemon(bool value) {
    if (child_) throw ProcessError("Process::daemon: the process has already been started");
    daemon_ = value;
}

void Process::terminate() { started("terminate").send_signal(SIGTERM); }

void Process::kill() { started("kill").send_signal(SIGKILL); }

std::optional<int> Process::exitcode() const {
    check_not_closed("exitcode");
    if (!child_ || child_->owner() != posix::current_pid()) return std::nullopt;
    return seen(*child_, child_->poll());
}

int Process::sentinel() const { return started("sentinel").sentinel(); }

void Process::close() {
    if (child_ && !child_->poll())
        throw ProcessError("Process::close: cannot close a process while it is still running; join or terminate it first");
    if (child_) lifecycle::untrack(*child_);
    child_.reset();
    target_.reset();
    closed_ = true;
}

int cpu_count() noexcept { return posix::usable_cpu_count(); }

std::vector<ProcessInfo> active_children() {
    std::vector<ProcessInfo> out;
    for (auto& child : lifecycle::running_children()) out.emplace_back(child->name(), child->pid(), child->daemon());
    return out;
}

}  // namespace mproc
