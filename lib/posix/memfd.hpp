// Anonymous shared memory: a memfd (no name anywhere in the filesystem, gone
// with its last descriptor and mapping) mapped over a large virtual
// reservation. The file grows with ftruncate; every process mapping the whole
// reservation sees the new bytes at once, without remapping.
#pragma once

#include <mproc/unique_fd.hpp>

#include <cstddef>
#include <new>

namespace mproc::posix {

/// memfd_create(MFD_CLOEXEC), mode 0600, `size` bytes long. `name` shows only
/// in /proc/PID/fd links. Throws std::system_error.
unique_fd memfd_create_sized(const char* name, std::size_t size);

/// A MAP_SHARED, MAP_NORESERVE mapping of `fd` over `reserve` bytes (pages
/// beyond the file's size raise SIGBUS until the file grows: touch only
/// what the file backs). Unmapped on destruction.
class memfd_mapping {
public:
    memfd_mapping() noexcept = default;
    /// Maps `reserve` bytes of `fd` at an address that is a multiple of
    /// `alignment` (a power of two, at least the page size), so offsets and
    /// addresses share their alignment in every process. Throws
    /// std::system_error (ENOMEM when the address space has no room).
    memfd_mapping(int fd, std::size_t reserve, std::size_t alignment);
    memfd_mapping(memfd_mapping&& other) noexcept;
    memfd_mapping& operator=(memfd_mapping&& other) noexcept;
    memfd_mapping(const memfd_mapping&) = delete;
    memfd_mapping& operator=(const memfd_mapping&) = delete;
    ~memfd_mapping();

    char* data() const noexcept { return base_; }
    std::size_t reserve() const noexcept { return reserve_; }

private:
    char* base_ = nullptr;
    std::size_t reserve_ = 0;
};

/// The file cannot grow past the process's file-size limit (EFBIG,
/// RLIMIT_FSIZE, `ulimit -f`): a std::bad_alloc, which is what the
/// shared-memory facades promise when their memory cannot grow, whose what()
/// says why.
class file_size_limit : public std::bad_alloc {
public:
    const char* what() const noexcept override;
};

/// The size of the file behind `fd` (fstat). Throws std::system_error.
std::size_t file_size(int fd);
/// Whether descriptors `a` and `b` name the same open file (fstat: device
/// and inode). False when either cannot be inspected.
bool same_file(int a, int b) noexcept;
/// Grows the file behind `fd` to `size` bytes (ftruncate; never shrinks:
/// callers must ensure it). Past RLIMIT_FSIZE the kernel sends SIGXFSZ,
/// whose default action kills the process: it is blocked in the calling
/// thread for the call (the kernel sends it to that thread) and the one the
/// call raised is taken back, so nothing but file_size_limit is seen.
/// Async-signal-safe until it throws. Throws file_size_limit,
/// std::system_error (ENOSPC, ENOMEM...).
void grow_file(int fd, std::size_t size);

/// Gives the pages of [p, p + len) back to the system (MADV_REMOVE): the
/// bytes read as zeros afterwards, in every process. Page-aligned `p` and
/// `len`. Best effort.
void release_pages(void* p, std::size_t len) noexcept;

/// The system page size.
std::size_t page_size() noexcept;

}  // namespace mproc::posix
