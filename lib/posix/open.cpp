#include "posix/open.hpp"
#include "posix/fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>

namespace mproc::posix {

unique_fd open_file(const char* path, int flags) {
    for (;;) {
        int fd = ::open(path, flags | O_CLOEXEC, 0666);
        if (fd >= 0) return unique_fd(fd);
        if (errno != EINTR) throw_errno(("open " + std::string(path)).c_str());
    }
}

unique_fd dup_at_least(int fd, int lowest) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, lowest);
    if (copy < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
    return unique_fd(copy);
}

}  // namespace mproc::posix
