// The forkserver start method's server: the fork-server loop with a launcher
// whose children lay out the descriptors the client passed and run the task
// read from the first of them.
#include "posix/fd_layout.hpp"
#include "posix/fd_passing.hpp"
#include "posix/open.hpp"
#include "posix/parent_death.hpp"
#include "posix/signals.hpp"
#include "start/fork_server.hpp"
#include "start/forkserver.hpp"
#include "start/task.hpp"

#include <mproc/errors.hpp>

#include <bit>
#include <csignal>
#include <cstdio>
#include <vector>

namespace mproc::start::forkserver {

namespace {

class task_launcher final : public fork_server::launcher {
public:
    explicit task_launcher(bool sigint_ignored)
        // Opened once: a child opening it could find no descriptor free.
        : dev_null_(posix::open_file("/dev/null", O_RDWR)), sigint_ignored_(sigint_ignored) {}

    bool own_report_socket() const noexcept override { return true; }

    void prepare(fork_server::request& r) override {
        if (r.fds.size() < 1u + std::popcount(r.flags & 7u)) throw ProtocolError("a request lacks descriptors");
    }

    [[noreturn]] void become(fork_server::request& r, const fork_server::server_state& server) noexcept override {
        // The client's stdout and stderr; /dev/null for stdin and any not passed.
        int std_fds[3] = {dev_null_.get(), dev_null_.get(), dev_null_.get()};
        std::size_t next = 1;
        for (int i = 0; i < 3; ++i)
            if (r.flags & (1u << i)) std_fds[i] = r.fds[next++].get();
        // The task pipe, then the exported descriptors (on the stack: the
        // child allocates nothing).
        int child_fds[posix::max_fds_per_message];
        std::size_t count = 0;
        child_fds[count++] = r.fds[0].get();
        for (std::size_t i = next; i < r.fds.size() && count < posix::max_fds_per_message; ++i)
            child_fds[count++] = r.fds[i].get();
        // SIGINT as the server found it (ignored stays ignored, as Python's
        // forkserver restores the handlers it replaced).
        if (!sigint_ignored_) posix::default_signal(SIGINT);
        posix::set_thread_signal_mask(server.mask);
        if (!posix::die_with_parent(server.pid)) posix::exit_now(1);
        // The standard descriptors are laid out, the task pipe
        // first_passed_fd, the exported descriptors follow; nothing else stays.
        if (!posix::set_standard_fds(std_fds) || !posix::keep_only_fds(std::span<const int>(child_fds, count)))
            posix::exit_now(1);
        run_task_from_fds(posix::first_passed_fd);
    }

private:
    posix::unique_fd dev_null_;
    bool sigint_ignored_;
};

}  // namespace

void serve(int requests) noexcept {
    // A Ctrl-C meant for the program reaches its whole process group: the
    // server ignores it (its children do not, unless the program did), as
    // Python's does. Other dispositions the server inherited (spawned: the
    // ignored ones of the program) are its children's.
    const bool sigint_ignored = posix::is_ignored(SIGINT);
    posix::ignore_signal(SIGINT);
    try {
        task_launcher launcher(sigint_ignored);
        fork_server::serve(posix::unique_fd(requests), launcher);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mproc: fork server failed: %s\n", e.what());
    }
    posix::exit_now(1);
}

}  // namespace mproc::start::forkserver
