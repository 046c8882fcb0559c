/// Descriptors carried by serialized handles (Connection, Queue, locks,
/// values) when a task crosses to another process (a child started by spawn
/// or forkserver, or a Pool worker): while the task is encoded, a handle
/// registers its descriptor and writes the index it got; in the receiving
/// process, the handle takes the descriptor found at that index.
#pragma once

#include <mproc/unique_fd.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace mproc::detail {

/// Registers `fd` to be passed with the task being encoded on this thread;
/// returns its index. Throws mproc::ProcessError when no task is being
/// encoded (a handle crosses only as a Process or Pool task argument).
std::uint32_t export_fd(int fd);

/// Descriptors a Pool task carries: duplicates, so the task can be sent (and
/// sent again to a replacement worker) after the caller's handles are gone.
using task_fds = std::shared_ptr<const std::vector<posix::unique_fd>>;

/// While alive, the handles encoded on this thread (a Pool task's target and
/// arguments) register their descriptors here.
class fd_capture {
public:
    fd_capture() noexcept;
    ~fd_capture();
    fd_capture(const fd_capture&) = delete;
    fd_capture& operator=(const fd_capture&) = delete;
    /// Duplicates of what was registered (null if nothing was). Throws
    /// std::system_error when out of descriptors.
    task_fds duplicates() const;

private:
    std::vector<int> fds_;
    std::vector<int>* previous_;
};

/// Takes the descriptor passed at `index` to this child, whose task is being
/// decoded on this thread. Throws mproc::ProtocolError for an index that was
/// not passed or was already taken, mproc::ProcessError outside a task.
posix::unique_fd import_fd(std::uint32_t index);

/// The descriptor passed at `index` with the task being decoded on this
/// thread (taken or not: for checking what a handle claims), else -1.
int passed_descriptor(std::uint32_t index) noexcept;

/// True while a task's arguments are being decoded on this thread (before
/// finish_import): a handle default-constructed there is about to be loaded,
/// so it makes nothing of its own.
bool decoding_task() noexcept;

/// Ends the decoding of a task's arguments: the descriptors no handle took
/// are closed, and later import_fd calls fail.
void finish_import() noexcept;

}  // namespace mproc::detail
