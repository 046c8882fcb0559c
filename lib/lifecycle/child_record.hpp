// The record of a child a Process started (see child_record below).
#pragma once

#include "lifecycle/child.hpp"
#include "posix/poll.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace mproc::lifecycle {

/// A child started by a Process, shared by the Process object and the
/// registry of this process's children. Thread-safe.
class child_record {
public:
    child_record(std::unique_ptr<child> handle, std::string name, bool daemon);
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
    std::unique_ptr<child> handle_;
    std::optional<int> returncode_;
    std::string name_;
    const pid_t pid_;
    const pid_t owner_;
    const int sentinel_;
    const bool daemon_;
};

}  // namespace mproc::lifecycle
