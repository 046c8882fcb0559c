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

/// A close-on-exec duplicate of `fd` numbered `lowest` or above
/// (fcntl F_DUPFD_CLOEXEC). Throws std::system_error.
unique_fd dup_at_least(int fd, int lowest);

/// Replaces `fd` by a duplicate above 2 (closing the low number) when it is
/// 0, 1 or 2: a child's standard descriptors are laid out over those numbers,
/// which a program started with stdio closed hands out to anything it opens.
void move_above_stdio(unique_fd& fd);

}  // namespace mproc::posix
