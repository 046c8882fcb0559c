// The one fork-server loop: a single-threaded process forks a child on
// request (so forking there is as safe as forking a fresh program) and
// reports the child's pid and, later, its exit. Two launchers run it: the
// forkserver start method's server (a re-executed program; its children run
// a task read from a pipe) and a Pool's zygote (forked from the pool's
// owner; its children are the workers).
//
// client -> server, one SOCK_SEQPACKET message each, with descriptors:
//   'S' u64 token, u32 flags + the child's descriptors: start a child
//   'Q'  exit once the children have      'K'  kill them, then exit
//   (end of stream: as 'K')
// server -> client, one message each:
//   'P' u64 token, i32 pid (+ a pidfd of the child): started
//   'F' u64 token, i32 errno (0: see the text), text: not started
//   'X' u64 token, i32 pid, i32 exit code (-signal): ended
// Reports go to the server's socket, or (launcher::own_report_socket) to a
// socket that comes first among each request's descriptors and is closed
// after the child's 'X' (the forkserver's clients use it as the sentinel).
#pragma once

#include <mproc/unique_fd.hpp>

#include <csignal>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mproc::start::fork_server {

struct request {
    std::uint64_t token = 0;
    std::uint32_t flags = 0;
    std::vector<posix::unique_fd> fds;  // without the report socket
};

/// What a forked child inherits from the server, for the launcher to undo.
struct server_state {
    pid_t pid;                       // the server's (die with it)
    sigset_t mask;                   // the signal mask before the server blocked SIGCHLD
    std::span<const int> own_fds;    // the server's descriptors: not the child's business
};

class launcher {
public:
    virtual ~launcher() = default;
    /// Whether each request brings its own report socket (see above).
    virtual bool own_report_socket() const noexcept = 0;
    /// Called in the freshly forked child: becomes what `r` asks for, never
    /// returns. Async-signal-safe up to the launcher's own child entry.
    [[noreturn]] virtual void become(request& r, const server_state& server) noexcept = 0;
    /// Called before forking: checks `r` and prepares what the child needs
    /// (the child allocates as little as it can). Throws (ProtocolError...)
    /// to refuse it.
    virtual void prepare(request& r) = 0;
};

/// Serves requests arriving on `requests` until told to exit, then exits
/// the process (0, or 1 if the loop failed). `lifeline` (if not -1) ends
/// the server when readable, as the end of `requests` does (a pidfd of the
/// process the server must not outlive).
[[noreturn]] void serve(posix::unique_fd requests, launcher& l, int lifeline = -1) noexcept;

// ---- the client's side ------------------------------------------------------

/// Sends a request ('S', 'Q', 'K'). Throws std::system_error (EPIPE,
/// ECONNRESET: the server is gone).
void send_request(int server, char kind, std::uint64_t token = 0, std::uint32_t flags = 0,
                  std::span<const int> fds = {});

struct report {
    char kind = 0;  // 'P', 'F', 'X'; 0: end of stream (the server is gone)
    std::uint64_t token = 0;
    pid_t pid = 0;
    std::int32_t value = 0;  // 'F': errno; 'X': exit code
    std::string text;        // 'F'
    posix::unique_fd pidfd;  // 'P'
};

/// The next report on `sock`; nullopt when `nonblocking` and none is waiting.
/// `peek` leaves it queued. Throws ProtocolError for a malformed one.
std::optional<report> read_report(int sock, bool nonblocking, bool peek = false);

}  // namespace mproc::start::fork_server
