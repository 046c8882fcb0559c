// Turning the three Redirect options into descriptors: the child's sources
// for its 0, 1, 2 (held open by the parent until the child has started) and
// the parent's ends of any pipes. Every descriptor is close-on-exec, so a
// concurrent Popen in another thread never inherits them (the Asio pipes
// Boost.Process v2 1.81 uses are not, boostorg/process#170, and its file
// redirects neither truncate nor set O_CLOEXEC: this replaces its
// process_stdio).
#pragma once

#include <mproc/subprocess.hpp>

#include <array>

namespace mproc::subprocess::detail {

struct stdio_setup {
    /// For posix::spawn_plan::stdio.
    std::array<int, 3> child_source;
    /// Descriptors opened for the child (pipe ends, files, moved copies):
    /// close them once the child has started.
    std::array<posix::unique_fd, 3> child_owned;
    /// The parent's ends of the pipes (stdin: write end; stdout/stderr: read
    /// end), blocking as Python's: one may become another child's stdin or
    /// stdout (a pipeline), which shares its O_NONBLOCK flag. Empty where the
    /// Redirect is not a PIPE.
    std::array<posix::unique_fd, 3> parent_end;
};

/// Opens what the redirects need. Throws std::invalid_argument (STDOUT for
/// stdin or stdout, a negative fd) and std::system_error (pipe, open).
stdio_setup make_stdio(const Redirect& in, const Redirect& out, const Redirect& err);

}  // namespace mproc::subprocess::detail
