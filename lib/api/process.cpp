#include "lifecycle/registry.hpp"
#include "lifecycle/self.hpp"
#include "posix/affinity.hpp"
#include "posix/process_id.hpp"
#include "start/launch.hpp"

#include <mproc/context.hpp>
#include <mproc/process.hpp>

#include <csignal>

namespace mproc {

namespace detail {
start_method default_start_method();  // context.cpp
}

Process::Process() noexcept = default;

void Process::adopt(std::unique_ptr<detail::process_target> target, std::optional<start_method> method) {
    target_ = std::move(target);
    method_ = method;
    identity_ = self::next_child_identity();
    name_ = self::default_name(identity_);
    creator_ = posix::current_pid();
}

Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;
Process::~Process() = default;

lifecycle::child_record& Process::started(const char* operation) const {
    if (!child_) throw ProcessError(std::string("Process::") + operation + ": the process has not been started");
    return *child_;
}

void Process::start() {
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
    child.wait(std::nullopt);
}

bool Process::join(std::chrono::duration<double> timeout) {
    lifecycle::child_record& child = started("join");
    if (child.owner() != posix::current_pid()) throw ProcessError("Process::join: can only join a child process");
    return child.wait(posix::deadline_after(timeout)).has_value();
}

bool Process::is_alive() const {
    if (!child_ || child_->owner() != posix::current_pid()) return false;
    return !child_->poll().has_value();
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
    if (!child_ || child_->owner() != posix::current_pid()) return std::nullopt;
    return child_->poll();
}

int Process::sentinel() const { return started("sentinel").sentinel(); }

void Process::close() {
    if (child_ && !child_->poll())
        throw ProcessError("Process::close: cannot close a process while it is still running; join or terminate it first");
    child_.reset();
    target_.reset();
}

int cpu_count() noexcept { return posix::usable_cpu_count(); }

std::vector<ProcessInfo> active_children() {
    std::vector<ProcessInfo> out;
    for (auto& child : lifecycle::running_children()) out.emplace_back(child->name(), child->pid(), child->daemon());
    return out;
}

}  // namespace mproc
