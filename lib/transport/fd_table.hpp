// The scopes behind detail::export_fd / detail::import_fd (see
// <mproc/detail/transport/fd_transfer.hpp>): while a task is encoded, handles among the
// arguments add their descriptors to a list; in the child, the descriptors
// passed at first_fd, first_fd + 1, ... are handed to the handles being
// decoded, and those left over are closed.
#pragma once

#include "posix/fd_passing.hpp"

#include <cstdint>
#include <vector>

namespace mproc::transport {

/// The most descriptors a task may carry (besides the task's own): what one
/// fork server request holds after its status socket, task pipe and the three
/// standard descriptors, so every start method takes the same arguments.
constexpr std::size_t max_exported_fds = posix::max_fds_per_message - 5;

class fd_export_scope {
public:
    /// Exported descriptors are appended to `out` (owned by the handles).
    explicit fd_export_scope(std::vector<int>& out) noexcept;
    ~fd_export_scope();
    fd_export_scope(const fd_export_scope&) = delete;
    fd_export_scope& operator=(const fd_export_scope&) = delete;

private:
    std::vector<int>* previous_;
};

class fd_import_scope {
public:
    /// Descriptor i of the task was passed as fds[i].
    explicit fd_import_scope(std::vector<int> fds) noexcept;
    /// Closes what was not imported (if finish() did not already).
    ~fd_import_scope();
    fd_import_scope(const fd_import_scope&) = delete;
    fd_import_scope& operator=(const fd_import_scope&) = delete;
};

}  // namespace mproc::transport
