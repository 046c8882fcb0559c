// Opening files and moving descriptors, always close-on-exec.
#pragma once

#include <mproc/unique_fd.hpp>

#include <fcntl.h>  // the O_* flags of open_file
#include <string>

namespace mproc::posix {

/// open(path, flags | O_CLOEXEC, 0666) retried on EINTR. Throws
/// std::system_error naming the path.
unique_fd open_file(const char* path, int flags);

/// What identifies a file's contents without reading it (device, inode,
/// size, modification time) as text; "file:?" when it cannot be stat'ed.
std::string file_identity(const char* path);

/// What identifies the open file `fd` refers to ("device:inode"), or ""
/// when `fd` is not open. A spawned child proves with it that the descriptor
/// its argv names is the one its parent gave it.
std::string fd_identity(int fd);

/// A close-on-exec duplicate of `fd` numbered `lowest` or above, and never
/// below 3 (fcntl F_DUPFD_CLOEXEC). Throws std::system_error.
unique_fd dup_at_least(int fd, int lowest);

}  // namespace mproc::posix
