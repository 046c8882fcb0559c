// Children's lifecycle: no zombies, no orphans, Python's exit rules.
//
//  - Children whose owner (a Popen or Process object) was destroyed while they
//    ran are neither waited for nor killed, but reaped later so no zombie
//    stays behind (CPython's subprocess._active / multiprocessing's _children).
//  - Every child a Process started is tracked until it has ended: that is
//    active_children(), and at normal exit daemon children are terminated and
//    then every child joined (multiprocessing.util._exit_function).
//  - Children die with their parent: PR_SET_PDEATHSIG, set by the start
//    methods (lib/start/).
#pragma once

#include "posix/child.hpp"
#include "posix/poll.hpp"
#include "start/popen.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mproc::lifecycle {

/// Takes over a child that may still be running; it is reaped by a later
/// reap_abandoned() once it has ended.
void abandon(posix::child_handle child);

/// Reaps every abandoned child that has ended, without blocking. Called
/// whenever mproc starts a child and by active_children().
void reap_abandoned() noexcept;

/// A child started by a Process, shared by the Process object and the
/// registry of this process's children. Thread-safe.
class child_record {
public:
    child_record(std::unique_ptr<start::popen> handle, std::string name, bool daemon);
    child_record(const child_record&) = delete;
    child_record& operator=(const child_record&) = delete;

    pid_t pid() const noexcept { return pid_; }
    /// The process that started the child (only it may wait for it).
    pid_t owner() const noexcept { return owner_; }
    bool daemon() const noexcept { return daemon_; }
    std::string name() const;
    void name(std::string value);
    int sentinel() const noexcept { return sentinel_; }

    /// The exit code once the child has ended (reaping it), else nullopt.
    std::optional<int> poll();
    /// Waits until the child ends or the deadline passes (then nullopt).
    std::optional<int> wait(posix::deadline until);
    /// Signals the child unless it has already been reaped.
    void send_signal(int sig);

private:
    mutable std::mutex mutex_;
    std::unique_ptr<start::popen> handle_;
    std::optional<int> returncode_;
    std::string name_;
    const pid_t pid_;
    const pid_t owner_;
    const int sentinel_;
    const bool daemon_;
};

/// Adds a child just started by this process to its registry.
void track(std::shared_ptr<child_record> child);

/// This process's children that are still running; the ones that have ended
/// are reaped and dropped from the registry.
std::vector<std::shared_ptr<child_record>> running_children();

/// Python's _exit_function: terminates this process's daemon children, then
/// joins every running child. Runs at the program's normal exit (atexit) and
/// when a child's target ends (start::exit_child).
void finish_children() noexcept;

}  // namespace mproc::lifecycle
