// Opening files and moving descriptors, always close-on-exec.
#pragma once

#include <mproc/detail/unique_fd.hpp>

namespace mproc::posix {

/// open(path, flags | O_CLOEXEC, 0666) retried on EINTR. Throws
/// std::system_error naming the path.
unique_fd open_file(const char* path, int flags);

/// A close-on-exec duplicate of `fd` numbered `lowest` or above
/// (fcntl F_DUPFD_CLOEXEC). Throws std::system_error.
unique_fd dup_at_least(int fd, int lowest);

}  // namespace mproc::posix
