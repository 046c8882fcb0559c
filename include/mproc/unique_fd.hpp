/// Owned file descriptor: move-only, closed on destruction. Public because
/// Connection and Popen's streams can be made from one (`mproc::unique_fd`).
///
/// mproc creates every descriptor with O_CLOEXEC; a descriptor meant for a child
/// is made inheritable only in that child, after fork.
#pragma once

#include <utility>

namespace mproc::posix {

class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }
    /// Closes the owned descriptor (errors from close are ignored, as
    /// nothing can be done about them) and takes `fd`.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

}  // namespace mproc::posix

namespace mproc {
using posix::unique_fd;
}  // namespace mproc
