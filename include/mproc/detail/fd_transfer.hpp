/// Descriptors carried by serialized handles (Connection; later queues and
/// locks) when a task crosses to a spawned or forkserver child: while the task
/// is encoded, a handle registers its descriptor and writes the index it got;
/// in the child, the handle takes the descriptor found at that index.
#pragma once

#include <mproc/unique_fd.hpp>

#include <cstdint>

namespace mproc::detail {

/// Registers `fd` to be passed to the child whose task is being encoded on
/// this thread; returns its index. Throws mproc::ProcessError when no task is
/// being encoded (a handle crosses only as a Process argument).
std::uint32_t export_fd(int fd);

/// Takes the descriptor passed at `index` to this child, whose task is being
/// decoded on this thread. Throws mproc::ProtocolError for an index that was
/// not passed or was already taken, mproc::ProcessError outside a task.
posix::unique_fd import_fd(std::uint32_t index);

/// True while a task's arguments are being decoded on this thread (before
/// finish_import): a handle default-constructed there is about to be loaded,
/// so it makes nothing of its own.
bool decoding_task() noexcept;

/// Ends the decoding of a task's arguments: the descriptors no handle took
/// are closed, and later import_fd calls fail.
void finish_import() noexcept;

}  // namespace mproc::detail
