/// mproc's exception hierarchy: every error mproc raises itself derives from mproc::Error.
///
/// OS failures are std::system_error carrying the errno (as Python's OSError);
/// subprocess errors live in <mproc/subprocess.hpp>.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <type_traits>
#include <typeinfo>
#include <utility>

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

namespace detail {

/// What a task's exception becomes in the parent (lib/pool/remote_exception.cpp
/// builds it): the full what() text and the exception rebuilt, if it could be.
struct remote_error_parts {
    std::string type_name;
    std::string message;
    pid_t pid = 0;
    std::string what;
    std::exception_ptr original;
};

/// The what() of a RemoteError for a std::exception: "type: message (in process N)".
inline std::string remote_error_what(const std::string& type_name, const std::string& message, pid_t pid) {
    const std::string where = " (in process " + std::to_string(pid) + ")";
    return message.empty() ? type_name + where : type_name + ": " + message + where;
}

}  // namespace detail

/// An exception thrown by a task in another process (Python re-raises the
/// task's own exception class; mproc throws RemoteError so that every catch of
/// it works, and keeps the original inside).
///
///  - what(): "std::invalid_argument: bad row 3 (in process 4242)", or for a
///    value that is no std::exception "a task in process 4242 threw an int (42)".
///  - type_name(): the demangled name of the type the task threw, namespaces
///    spelled out, e.g. "app::BadFile", "std::invalid_argument", "int".
///  - message(): the original what() (empty for a value that is no std::exception).
///  - original<T>(): the task's exception rebuilt in this process, as a T, or
///    nullptr unless it is a T or derived from T (see register_exception);
///    rethrow_original() throws it (or this RemoteError, when there is none).
class RemoteError : public Error {
public:
    /// A task in process `pid` threw a `type_name` whose what() was `message`
    /// (nothing rebuilt: original<T>() is nullptr).
    RemoteError(std::string type_name, std::string message, pid_t pid)
        : RemoteError(detail::remote_error_parts{type_name, message, pid,
                                                 detail::remote_error_what(type_name, message, pid), nullptr}) {}
    explicit RemoteError(detail::remote_error_parts parts)
        : Error(std::move(parts.what)),
          type_name_(std::move(parts.type_name)),
          message_(std::move(parts.message)),
          pid_(parts.pid),
          original_(std::move(parts.original)) {}

    const std::string& type_name() const noexcept { return type_name_; }
    const std::string& message() const noexcept { return message_; }
    pid_t pid() const noexcept { return pid_; }

    /// The task's exception as a T: nullptr unless the task threw a T or a type
    /// derived from T. Rebuilt here, what() kept: every standard exception type
    /// (std::system_error and its kin with their code, filesystem_error with its
    /// paths); a type registered with register_exception; any other type as its
    /// nearest registered or standard base (so original<std::runtime_error>()
    /// finds an unregistered `struct Mine : std::runtime_error`, but
    /// original<Mine>() is nullptr). The pointer lives as long as this
    /// RemoteError or a copy of it.
    template <class T>
    const T* original() const noexcept {
        if (!original_) return nullptr;
        try {
            std::rethrow_exception(original_);
        } catch (const T& e) {
            return &e;
        } catch (...) {
            return nullptr;
        }
    }

    /// Throws the task's exception as rebuilt here (see original()), or this
    /// RemoteError when nothing was (a task that threw an int).
    [[noreturn]] void rethrow_original() const {
        if (original_) std::rethrow_exception(original_);
        throw *this;
    }

private:
    std::string type_name_;
    std::string message_;
    pid_t pid_;
    std::exception_ptr original_;
};

namespace detail {

/// How a registered exception type is recognised in a worker and rebuilt in
/// the parent (lib/pool/exception_registry.cpp keeps them).
struct exception_type_ops {
    const std::type_info* type;
    bool (*catches)(const std::exception_ptr&);           // would `catch (const T&)` take it?
    std::exception_ptr (*rebuild)(const std::string& what);  // a T whose what() is `what`
};
bool register_exception_type(const exception_type_ops& ops) noexcept;

/// A Base whose what() is the original text, for when Base's constructors
/// cannot give that text back (a bad_alloc that said more, a type whose
/// constructor adds a prefix).
template <class Base>
class rebuilt_exception final : public Base {
public:
    template <class... Args>
    explicit rebuilt_exception(std::string what, Args&&... args)
        : Base(std::forward<Args>(args)...), what_(std::move(what)) {}
    const char* what() const noexcept override { return what_.c_str(); }

private:
    std::string what_;
};

/// A T built from `args` whose what() is `what`: T itself when its
/// constructor gives that text, else a rebuilt_exception<T>.
template <class T, class... Args>
std::exception_ptr rebuild_exception(const std::string& what, const Args&... args) {
    T plain(args...);
    if constexpr (!std::is_final_v<T>)
        if (what != plain.what()) return std::make_exception_ptr(rebuilt_exception<T>(what, args...));
    return std::make_exception_ptr(std::move(plain));
}

template <class T>
bool exception_is(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const T&) {
        return true;
    } catch (...) {
        return false;
    }
}

template <class T>
std::exception_ptr rebuild_from_what(const std::string& what) {
    return rebuild_exception<T>(what, what);
}

}  // namespace detail

/// Makes a task's exception of type T (or of a type derived from T) come back
/// as a T: RemoteError::original<T>() and rethrow_original(). Call it at
/// namespace scope, so that every process of the program registers it before
/// any pool starts (spawned and forkserver workers run the program's static
/// initialisers; fork workers inherit what the parent registered):
///
///     struct BadFile : std::runtime_error { using std::runtime_error::runtime_error; };
///     static const bool registered = mproc::register_exception<BadFile>();
///
/// T derives from std::exception and is constructible from std::string: it is
/// rebuilt as T(what()) (its other members are not carried), what() kept.
/// Returns true; registering a type again changes nothing.
template <class T>
bool register_exception() {
    static_assert(std::is_base_of_v<std::exception, T>, "mproc::register_exception<T>: T must derive from std::exception");
    static_assert(std::is_constructible_v<T, const std::string&>,
                  "mproc::register_exception<T>: T needs a constructor from std::string (it is rebuilt from what())");
    static_assert(std::is_copy_constructible_v<T>, "mproc::register_exception<T>: T must be copy-constructible");
    return detail::register_exception_type({&typeid(T), &detail::exception_is<T>, &detail::rebuild_from_what<T>});
}

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
