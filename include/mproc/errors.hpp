/// mproc's exception hierarchy: every error mproc raises itself derives from mproc::Error.
///
/// OS failures are std::system_error carrying the errno (as Python's OSError);
/// subprocess errors live in <mproc/subprocess.hpp>.
#pragma once

#include <stdexcept>
#include <string>
#include <sys/types.h>

namespace mproc {

/// Root of mproc's own errors (Python: multiprocessing.ProcessError's family).
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Misuse of a process object (start twice, join before start) or a task that
/// cannot cross to a child under the chosen start method.
class ProcessError : public Error {
public:
    using Error::Error;
};

/// A wait with a timeout ran out (AsyncResult::get, ...).
class TimeoutError : public ProcessError {
public:
    using ProcessError::ProcessError;
};

/// A pool worker died; the tasks it held fail with this.
class BrokenPool : public ProcessError {
public:
    using ProcessError::ProcessError;
};

/// A barrier was broken while threads or processes waited on it.
class BrokenBarrierError : public Error {
public:
    using Error::Error;
};

/// An exception thrown by a task in another process. what() contains the original
/// what(); the original type name and the worker pid are kept.
class RemoteError : public Error {
public:
    RemoteError(std::string type_name, std::string message, pid_t pid)
        : Error(type_name + ": " + message + " (in process " + std::to_string(pid) + ")"),
          type_name_(std::move(type_name)), message_(std::move(message)), pid_(pid) {}
    const std::string& type_name() const noexcept { return type_name_; }
    const std::string& message() const noexcept { return message_; }
    pid_t pid() const noexcept { return pid_; }

private:
    std::string type_name_;
    std::string message_;
    pid_t pid_;
};

/// Queue::get found nothing before its timeout (or at once, for get_nowait).
class Empty : public Error {
public:
    Empty() : Error("queue is empty") {}
    using Error::Error;
};

/// Queue::put_nowait on a bounded queue that is full.
class Full : public Error {
public:
    Full() : Error("queue is full") {}
    using Error::Error;
};

/// Malformed, truncated, oversized or foreign bytes where an mproc frame or a
/// serialized value was expected.
class ProtocolError : public Error {
public:
    using Error::Error;
};

/// The peer closed its end: nothing more will arrive.
class EOFError : public Error {
public:
    using Error::Error;
};

}  // namespace mproc
