// Test helpers for running code in a forked child. The child never returns
// into Boost.Test: it _exits with 0, or 1 if the body threw (printing why).
#pragma once

#include <mproc/os.hpp>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace test_support {

template <class F>
pid_t fork_child(F body) {
    pid_t pid = mproc::os::fork();
    if (pid == 0) {
        int code = 0;
        try {
            body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child failed: %s\n", e.what());
            code = 1;
        } catch (...) {
            code = 1;
        }
        std::fflush(nullptr);
        _exit(code);
    }
    return pid;
}

/// waitpid's status turned into Python's convention: exit code, or -signal.
/// Retries on EINTR only: anything else (ECHILD: not our child, or already
/// reaped) throws instead of spinning forever.
inline int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw std::system_error(errno, std::system_category(), "wait_child: waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace test_support
