/// mproc::subprocess: Python's subprocess module (Popen, run, call,
/// check_call, check_output) for C++.
///
///     namespace sp = mproc::subprocess;
///     int rc = sp::call({"ls", "-l"});
///     sp::CompletedProcess cp = sp::run({"ls"}, {.capture_output = true, .check = true, .timeout = 5s});
///     sp::Popen p({"sh"}, {.std_in = sp::PIPE, .std_out = sp::PIPE, .std_err = sp::PIPE});
///     auto [out, err] = p.communicate("echo hi\nexit\n");
///
/// Semantics follow Python's: `args` is a vector of strings (with `shell`,
/// its first element is the command line for /bin/sh -c); the program is
/// looked up in the PATH of the child's environment, else /bin:/usr/bin;
/// return codes are negative signal numbers for a child killed by a signal;
/// destroying a Popen whose child still runs neither waits for nor kills it
/// (it is reaped later, no zombie is left). The child starts with default
/// signal dispositions, an empty signal mask and only descriptors 0-2 plus
/// pass_fds open (close_fds, the default).
///
/// Errors a caller can act on:
///  - std::system_error: the program could not be started (code() is the
///    child's errno: ENOENT no such program or cwd, EACCES not executable,
///    ENOEXEC bad format, ...), thrown by the Popen constructor, run, call,
///    check_call and check_output; also OS failures (EMFILE, EAGAIN, ...);
///  - sp::TimeoutExpired: a timeout ran out (wait, communicate, run, ...);
///  - sp::CalledProcessError: a non-zero return code with check (run with
///    .check, check_call, check_output);
///  - std::invalid_argument: options that make no sense (empty args, STDOUT
///    for stdin or stdout, a NUL byte in an argument, '=' in an env name, a
///    second input to communicate, ...).
///
/// A Popen is used by one thread at a time; different Popens may be used
/// from different threads at once.
#pragma once

#include <mproc/unique_fd.hpp>
#include <mproc/errors.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mproc::subprocess {

/// Base of the errors raised by this module (Python: SubprocessError).
class SubprocessError : public Error {
public:
    using Error::Error;
};

/// A process run with `check` returned non-zero (Python: CalledProcessError).
class CalledProcessError : public SubprocessError {
public:
    CalledProcessError(int returncode, std::vector<std::string> cmd, std::string output = {},
                       std::string std_err = {});
    int returncode;                ///< exit status, or -signal
    std::vector<std::string> cmd;  ///< the args of the process
    std::string output;            ///< its stdout, if captured
    std::string std_err;           ///< its stderr, if captured
};

/// A timeout ran out before the process ended (Python: TimeoutExpired).
class TimeoutExpired : public SubprocessError {
public:
    TimeoutExpired(std::vector<std::string> cmd, std::chrono::duration<double> timeout, std::string output = {},
                   std::string std_err = {});
    std::vector<std::string> cmd;           ///< the args of the process
    std::chrono::duration<double> timeout;  ///< the timeout that ran out
    std::string output;                     ///< stdout read so far, if captured
    std::string std_err;                    ///< stderr read so far, if captured
};

/// Special redirect targets.
enum class Special {
    pipe,     ///< a new pipe to the parent (Python: PIPE)
    devnull,  ///< /dev/null (Python: DEVNULL)
    stdout_,  ///< stderr only: the same place as stdout (Python: STDOUT)
};
inline constexpr Special PIPE = Special::pipe;
inline constexpr Special DEVNULL = Special::devnull;
inline constexpr Special STDOUT = Special::stdout_;

/// Where one of the child's stdin/stdout/stderr goes. Default: inherited from
/// the parent (Python: None).
class Redirect {
public:
    enum class Kind { inherit, pipe, devnull, stdout_, fd, path };

    Redirect() noexcept = default;
    Redirect(Special special) noexcept;
    /// An open descriptor of the parent's (not closed, not taken over).
    Redirect(int fd) noexcept;
    /// The descriptor of an open stdio file (not flushed: flush it first if
    /// it holds buffered output). nullptr means inherit.
    Redirect(std::FILE* file) noexcept;
    /// A file, opened for reading (stdin) or created/truncated for writing.
    Redirect(std::filesystem::path path);
    Redirect(const char* path);
    Redirect(const std::string& path);

    Kind kind() const noexcept { return kind_; }
    int fd() const noexcept { return fd_; }
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    Kind kind_ = Kind::inherit;
    int fd_ = -1;
    std::filesystem::path path_;
};

/// Options of Popen (Python's keyword arguments of the same names).
struct PopenOptions {
    Redirect std_in{};
    Redirect std_out{};
    Redirect std_err{};
    /// The child's working directory (a relative program path is found from it).
    std::optional<std::filesystem::path> cwd{};
    /// Replaces the child's environment when set (Python: env).
    std::optional<std::map<std::string, std::string>> env{};
    /// Run args[0] as a /bin/sh -c command line; args[1..] become $0, $1, ...
    bool shell = false;
    /// The program to run instead of args[0] (which stays argv[0]); with
    /// shell, the shell to use.
    std::optional<std::filesystem::path> executable{};
    /// Reset SIGPIPE and SIGXFSZ to their default action in the child even
    /// if this process ignores them (Python: restore_signals, true by
    /// default). Any other signal ignored here stays ignored in the child;
    /// caught ones are reset to default (exec does it).
    bool restore_signals = true;
    /// setsid() in the child: a new session and process group.
    bool start_new_session = false;
    /// setpgid(0, process_group) in the child (0: a new group led by it).
    std::optional<pid_t> process_group{};
    /// Descriptors of the parent's kept open in the child under their numbers
    /// (each must be open: std::system_error EBADF otherwise).
    std::vector<int> pass_fds{};
    /// Close every other descriptor above 2 in the child.
    bool close_fds = true;
};

/// Options of run/call/check_call/check_output: every PopenOptions field,
/// then run's own.
struct RunOptions {
    Redirect std_in{};
    Redirect std_out{};
    Redirect std_err{};
    std::optional<std::filesystem::path> cwd{};
    std::optional<std::map<std::string, std::string>> env{};
    bool shell = false;
    std::optional<std::filesystem::path> executable{};
    bool restore_signals = true;
    bool start_new_session = false;
    std::optional<pid_t> process_group{};
    std::vector<int> pass_fds{};
    bool close_fds = true;
    /// Sent to stdin (which becomes a PIPE; do not also set std_in).
    std::optional<std::string> input{};
    /// stdout and stderr become PIPEs and land in the result.
    bool capture_output = false;
    /// Throw CalledProcessError for a non-zero return code.
    bool check = false;
    /// Kill the child (its whole process group if it leads one:
    /// start_new_session or process_group 0) and throw TimeoutExpired after this.
    std::optional<std::chrono::duration<double>> timeout{};
};

/// The result of run (Python: CompletedProcess).
struct CompletedProcess {
    std::vector<std::string> args;
    int returncode = 0;
    std::string std_out;  ///< captured stdout (empty if not captured)
    std::string std_err;  ///< captured stderr (empty if not captured)
    /// Throws CalledProcessError if returncode is non-zero.
    void check_returncode() const;
};

/// What communicate read: `auto [out, err] = p.communicate();`.
struct CommunicateResult {
    std::string std_out;  ///< empty unless stdout is a PIPE
    std::string std_err;  ///< empty unless stderr is a PIPE
};

/// The parent's end of one of the child's pipes, for manual use
/// (Python: Popen.stdin/stdout/stderr). Reads are buffered; writes are not.
/// Throws std::system_error on OS errors (EPIPE when writing to a child that
/// closed its stdin — never SIGPIPE death) and SubprocessError when used
/// after close().
class Stream {
public:
    Stream() noexcept = default;
    /// Takes ownership of `fd`, blocking or not.
    explicit Stream(posix::unique_fd fd) noexcept;
    Stream(Stream&&) noexcept = default;
    Stream& operator=(Stream&&) noexcept = default;

    /// Writes all of `data`, waiting as needed.
    void write(std::string_view data);
    /// Reads until end of file.
    std::string read();
    /// Reads `n` bytes, fewer only at end of file.
    std::string read(std::size_t n);
    /// Reads one line including its '\n' (without one at end of file; "" at end of file).
    std::string readline();
    /// Closes the descriptor (a child reading stdin sees end of file).
    void close() noexcept;
    bool closed() const noexcept { return !fd_; }
    /// The descriptor (owned by the stream, blocking), -1 once closed. It can
    /// be another Popen's std_in or std_out, as in a shell pipeline:
    /// `Popen p2({"grep", "x"}, {.std_in = p1.std_out().fileno()})`.
    int fileno() const noexcept { return fd_.get(); }

private:
    friend struct stream_access;
    void check_open(const char* op) const;
    bool fill();  // reads more into buffer_; false at end of file
    posix::unique_fd fd_;
    std::string buffer_;      // read but not yet returned: buffer_[pos_..]
    std::size_t pos_ = 0;
};

/// A child process (Python: subprocess.Popen).
class Popen {
public:
    /// Starts `args` (the program and its arguments). Throws std::system_error
    /// if it cannot be started (the child's errno; no zombie is left) and
    /// std::invalid_argument for bad options.
    explicit Popen(std::vector<std::string> args, PopenOptions options = {});
    Popen(Popen&&) noexcept;
    Popen& operator=(Popen&&) noexcept;
    /// Closes the pipes; a child still running is neither waited for nor
    /// killed, and is reaped later.
    ~Popen();

    const std::vector<std::string>& args() const;
    pid_t pid() const;
    /// The return code once the child has been seen to end (by poll, wait
    /// or communicate), else nullopt (Python: None).
    std::optional<int> returncode() const;

    /// The return code if the child has ended, else nullopt; never blocks.
    std::optional<int> poll();
    /// Waits for the child to end; returns its return code.
    int wait();
    /// Waits up to `timeout`; throws TimeoutExpired if the child still runs,
    /// std::invalid_argument for a NaN timeout.
    int wait(std::chrono::duration<double> timeout);

    /// Sends `input` to stdin (then closes it), reads stdout and stderr until
    /// end of file, all at once (no deadlock with any amount of data), then
    /// waits for the child. On timeout throws TimeoutExpired carrying the
    /// output read so far and leaves the child running; a later
    /// communicate() continues where this one stopped (without new input)
    /// and returns all the output. Throws std::invalid_argument for input
    /// when stdin is not a PIPE or communication already started, for a
    /// NaN timeout, and for a call after one that returned the output (a
    /// stream is piped): the output was moved out then (CPython raises
    /// ValueError with one stream piped; it keeps a copy to return again
    /// with several).
    CommunicateResult communicate(std::string_view input = {},
                                  std::optional<std::chrono::duration<double>> timeout = std::nullopt);

    /// Sends `sig` unless the child has already been reaped.
    void send_signal(int sig);
    void terminate();  ///< SIGTERM
    void kill();       ///< SIGKILL

    /// The parent's ends of the child's pipes. Throws SubprocessError if that
    /// stream was not a PIPE.
    Stream& std_in();
    Stream& std_out();
    Stream& std_err();

private:
    struct Impl;
    Impl& impl() const;
    std::unique_ptr<Impl> impl_;
};

/// Runs `args`, waits for it and returns its result (Python: run). With
/// `check`, throws CalledProcessError on a non-zero return code; with
/// `timeout`, kills the child and throws TimeoutExpired (carrying the output
/// so far). Throws std::system_error if the program cannot be started,
/// std::invalid_argument for a NaN timeout (before starting it).
CompletedProcess run(std::vector<std::string> args, RunOptions options = {});

/// Runs `args` and returns its return code (Python: call). Throws as run.
int call(std::vector<std::string> args, RunOptions options = {});

/// Runs `args`; throws CalledProcessError on a non-zero return code
/// (Python: check_call). Returns 0.
int check_call(std::vector<std::string> args, RunOptions options = {});

/// Runs `args` with stdout captured and returns it; throws
/// CalledProcessError (carrying the output) on a non-zero return code
/// (Python: check_output).
std::string check_output(std::vector<std::string> args, RunOptions options = {});

}  // namespace mproc::subprocess
