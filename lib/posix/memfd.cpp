#include "posix/memfd.hpp"

#include "posix/fault_injection.hpp"
#include "posix/fd.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace mproc::posix {

unique_fd memfd_create_sized(const char* name, std::size_t size) {
    if (const int err = injected_fault(fault_point::memfd_create)) throw_errno("memfd_create", err);
    unique_fd fd(::memfd_create(name, MFD_CLOEXEC));
    if (!fd) throw_errno("memfd_create");
    // Only this user may open it through /proc/PID/fd (the default is 0777).
    if (::fchmod(fd.get(), 0600) != 0) throw_errno("fchmod(memfd)");
    grow_file(fd.get(), size);
    return fd;
}

memfd_mapping::memfd_mapping(int fd, std::size_t reserve, std::size_t alignment) : reserve_(reserve) {
    // Reserve room for an aligned start, map the file over it, give back the slack.
    void* room = ::mmap(nullptr, reserve + alignment, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (room == MAP_FAILED) throw_errno("mmap(reservation)");
    const auto start = reinterpret_cast<std::uintptr_t>(room);
    const std::uintptr_t aligned = (start + alignment - 1) & ~(std::uintptr_t{alignment} - 1);
    void* p = ::mmap(reinterpret_cast<void*>(aligned), reserve, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_NORESERVE | MAP_FIXED, fd, 0);
    if (p == MAP_FAILED) {
        const int err = errno;
        ::munmap(room, reserve + alignment);
        throw_errno("mmap(memfd)", err);
    }
    if (aligned > start) ::munmap(room, aligned - start);
    const std::uintptr_t end = start + reserve + alignment;
    if (end > aligned + reserve) ::munmap(reinterpret_cast<void*>(aligned + reserve), end - aligned - reserve);
    base_ = static_cast<char*>(p);
}

memfd_mapping::memfd_mapping(memfd_mapping&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), reserve_(std::exchange(other.reserve_, 0)) {}

memfd_mapping& memfd_mapping::operator=(memfd_mapping&& other) noexcept {
    if (this != &other) {
        if (base_) ::munmap(base_, reserve_);
        base_ = std::exchange(other.base_, nullptr);
        reserve_ = std::exchange(other.reserve_, 0);
    }
    return *this;
}

memfd_mapping::~memfd_mapping() {
    if (base_) ::munmap(base_, reserve_);
}

std::size_t file_size(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno("fstat(memfd)");
    return static_cast<std::size_t>(st.st_size);
}

bool same_file(int a, int b) noexcept {
    struct stat sa {}, sb {};
    if (::fstat(a, &sa) != 0 || ::fstat(b, &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

const char* file_size_limit::what() const noexcept {
    return "mproc: the shared memory cannot grow: ftruncate(memfd): File too large (RLIMIT_FSIZE, ulimit -f)";
}

void grow_file(int fd, std::size_t size) {
    // SIGXFSZ is sent to the calling thread (verified with another thread
    // leaving it unblocked: the process lived), so this thread's mask is
    // enough, and other threads' signals are not touched.
    sigset_t xfsz;
    sigset_t old;
    ::sigemptyset(&xfsz);
    ::sigaddset(&xfsz, SIGXFSZ);
    ::pthread_sigmask(SIG_BLOCK, &xfsz, &old);
    sigset_t pending;
    ::sigpending(&pending);
    const bool pending_before = ::sigismember(&pending, SIGXFSZ) == 1;  // someone else's: left alone
    int err = injected_fault(fault_point::ftruncate);
    while (!err && ::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        if (errno != EINTR) {
            err = errno;
            break;
        }
    }
    if (err == EFBIG && !pending_before) {
        const timespec now{0, 0};
        ::sigtimedwait(&xfsz, nullptr, &now);  // the one this call raised
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (err == EFBIG) throw file_size_limit();
    if (err) throw_errno("ftruncate(memfd)", err);
}

void release_pages(void* p, std::size_t len) noexcept { ::madvise(p, len, MADV_REMOVE); }

std::size_t page_size() noexcept {
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

}  // namespace mproc::posix
