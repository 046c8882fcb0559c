#include "posix/open.hpp"

#include "posix/fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>

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

void move_above_stdio(unique_fd& fd) {
    if (fd.get() >= 0 && fd.get() <= 2) fd = dup_at_least(fd.get(), 3);
}

std::string file_identity(const char* path) {
    struct stat st;
    if (::stat(path, &st) != 0) return "file:?";
    return "file:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) +
           ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace mproc::posix
