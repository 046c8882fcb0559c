/// mproc::Process: run a function in a child process (Python:
/// multiprocessing.Process), plus what a process knows about itself and its
/// family: current_process(), parent_process(), active_children(), cpu_count().
///
///     void run_proc(std::string name) { std::printf("Run child process %s\n", name.c_str()); }
///
///     mproc::Process p(run_proc, std::string("test"));
///     p.start();
///     p.join();                       // or: bool done = p.join(2s);
///     std::optional<int> code = p.exitcode();
///
/// The child's stdin is /dev/null (as Python's); its stdout and stderr are
/// the parent's (/dev/null where the parent has them closed).
///
/// The child runs target(args...) and exits with 0; with 1 if the target
/// threw (its type and what() are printed to the child's stderr, as Python
/// prints the traceback); with n if it called std::exit(n) or _exit(n); and
/// exitcode() is -signal if a signal killed it. When the target returns, the
/// child _exits: the parent's static destructors and atexit handlers do not
/// run a second time.
///
/// The start method is the process-wide default (see <mproc/context.hpp>;
/// fork unless set_start_method changed it) or the one of the context whose
/// Process() made the object. Under fork the target may be any callable and
/// the arguments anything; under spawn and forkserver the target must be a
/// free function, a captureless lambda or a serializable function object and
/// every argument serializable (Connection included: its descriptor crosses),
/// or start() throws ProcessError before any child exists.
///
/// Lifecycle: a Process destroyed while its child runs neither waits for nor
/// kills it; the child is reaped later (no zombie). At normal exit of the
/// program, and in a child when its target ends, daemon children are
/// terminated and the others joined (as Python). Children
/// never outlive their parent: they are killed (SIGKILL) if it dies. Once
/// its end has been seen (join, is_alive, exitcode) a Process holds one
/// descriptor, its sentinel, until close() or destruction release it.
///
/// Threads: is_alive, exitcode, join, terminate, kill, pid and sentinel may be
/// called from several threads at once; start, close, the setters and moves
/// need the object to themselves (as any standard container). Processes may
/// be started from any thread: children are created from a long-lived thread,
/// so they never die with a short-lived one.
#pragma once

#include <mproc/detail/start/process_target.hpp>
#include <mproc/unique_fd.hpp>
#include <mproc/start_method.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <type_traits>
#include <utility>
#include <vector>

namespace mproc {

class Context;

namespace lifecycle {
class child_record;
}

class Process {
public:
    /// A process with no target: start() throws ProcessError. (For
    /// containers and moves.)
    Process() noexcept;

    /// A process that will run target(args...). The target and the arguments
    /// are stored by value (decay-copied, or moved from rvalues; move-only
    /// types such as Connection need std::move). Not started yet.
    template <class F, class... Args>
        requires(!std::is_same_v<std::remove_cvref_t<F>, Process>)
    explicit Process(F&& target, Args&&... args) {
        adopt(make_target(std::forward<F>(target), std::forward<Args>(args)...), std::nullopt);
    }

    Process(Process&&) noexcept;
    Process& operator=(Process&&) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    /// Neither waits for nor kills a running child (it is reaped later).
    ~Process();

    /// Starts the child (Python: start). Afterwards the target and arguments
    /// are released in the parent (a Connection passed by value is closed
    /// here: the child has its own). Throws:
    ///  - ProcessError: started twice, no target, object created in another
    ///    process, this process is a daemon, MPROC_MAIN missing (spawn,
    ///    forkserver), or the target or an argument cannot cross to a
    ///    re-executed child (the message says which and why);
    ///  - std::system_error: the OS refused (EAGAIN: too many processes, ...).
    void start();

    /// Waits until the child ends (Python: join()). Throws ProcessError if
    /// not started or not a child of this process.
    void join();
    /// Waits at most `timeout`; returns whether the child has ended.
    /// std::invalid_argument for a NaN timeout.
    bool join(std::chrono::duration<double> timeout);

    /// True between start() and the child's end (reaps it once ended).
    bool is_alive() const;
    /// The child's pid; 0 before start().
    pid_t pid() const noexcept;
    /// Same as pid() (Python: ident).
    pid_t ident() const noexcept { return pid(); }
    /// "Process-N" unless set ("ForkProcess-N", "SpawnProcess-N" or
    /// "ForkServerProcess-N" when a context made it, as Python); a child's
    /// children are "...-N:M".
    const std::string& name() const noexcept { return name_; }
    void name(std::string new_name);
    /// Daemon children are terminated at the parent's normal exit instead of
    /// joined, and may not start children of their own. Set before start()
    /// (ProcessError afterwards).
    bool daemon() const noexcept { return daemon_; }
    void daemon(bool value);

    /// Sends SIGTERM (Python: terminate) / SIGKILL (Python: kill). Nothing
    /// happens if the child has already ended. ProcessError if not started.
    void terminate();
    void kill();

    /// nullopt while running or before start; else 0, 1 (the target threw),
    /// n (std::exit(n)), or -signal.
    std::optional<int> exitcode() const;

    /// A descriptor that becomes readable when the child ends (for poll,
    /// select or mproc::wait); valid until close() or destruction.
    /// ProcessError if not started.
    int sentinel() const;

    /// Releases the sentinel and the child's bookkeeping (Python: close).
    /// ProcessError if the child is still running. Afterwards every member
    /// but close(), name(), daemon() and pid() throws ProcessError ("the
    /// process object is closed"), as Python's raise ValueError.
    void close();

private:
    friend class Context;

    template <class F, class... Args>
    static std::unique_ptr<detail::process_target> make_target(F&& target, Args&&... args) {
        static_assert(detail::task_invocable_v<std::decay_t<F>, std::decay_t<Args>...>,
                      "mproc::Process: the target cannot be called with these arguments");
        return std::make_unique<detail::bound_target<std::decay_t<F>, std::decay_t<Args>...>>(
            std::forward<F>(target), std::forward<Args>(args)...);
    }

    // Takes `target`, names the process, remembers its creator.
    void adopt(std::unique_ptr<detail::process_target> target, std::optional<start_method> method);
    lifecycle::child_record& started(const char* operation) const;
    void check_not_closed(const char* operation) const;
    // Drops the child: its descriptors go now unless it still runs.
    void let_go() noexcept;

    std::unique_ptr<detail::process_target> target_;
    std::shared_ptr<lifecycle::child_record> child_;
    std::optional<start_method> method_;
    std::string name_;
    std::vector<int> identity_;
    bool daemon_ = false;
    pid_t creator_ = 0;
    bool closed_ = false;
};

/// What is known of a process this one does not own: itself
/// (current_process()) or a child in active_children().
class ProcessInfo {
public:
    ProcessInfo(std::string name, pid_t pid, bool daemon) : name_(std::move(name)), pid_(pid), daemon_(daemon) {}
    const std::string& name() const noexcept { return name_; }
    pid_t pid() const noexcept { return pid_; }
    pid_t ident() const noexcept { return pid_; }
    bool daemon() const noexcept { return daemon_; }

private:
    std::string name_;
    pid_t pid_;
    bool daemon_;
};

/// The process that started this one (Python: parent_process()).
class ParentProcess {
public:
    ParentProcess(std::string name, pid_t pid, posix::unique_fd pidfd)
        : name_(std::move(name)), pid_(pid), pidfd_(std::move(pidfd)) {}
    const std::string& name() const noexcept { return name_; }
    pid_t pid() const noexcept { return pid_; }
    bool is_alive() const;
    /// Waits until the parent ends (normally never: the child dies with it).
    void join() const;
    bool join(std::chrono::duration<double> timeout) const;
    /// Readable once the parent has ended; -1 if the kernel has no pidfds.
    int sentinel() const noexcept { return pidfd_.get(); }

private:
    std::string name_;
    pid_t pid_;
    posix::unique_fd pidfd_;
};

/// This process: "MainProcess" in the program's own process, else the name
/// its parent gave it (Python: current_process()).
ProcessInfo current_process();

/// The process that started this one, or nullopt in the main process.
std::optional<ParentProcess> parent_process();

/// The children this process started that are still running (also those
/// whose Process object was destroyed). Reaps the ones that have ended.
std::vector<ProcessInfo> active_children();

/// The number of CPUs this process may run on (its scheduler affinity).
int cpu_count() noexcept;

}  // namespace mproc
