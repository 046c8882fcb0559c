// The arena's memory: one memfd mapped over a large virtual reservation at
// the same alignment in every process of the family, so an object is named by
// its offset from the base anywhere. The file grows (ftruncate) inside the
// reservation; every mapping sees the new bytes without remapping. The first
// bytes of the file name it (magic, id, reservation), so a process attaching
// a descriptor knows it is the arena it was told of.
#pragma once

#include "posix/memfd.hpp"

#include <mproc/unique_fd.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mproc::transport {

/// A position in the arena: bytes from its base (0 = none).
using offset_t = std::uint64_t;

/// The identity at the start of the file, and its size as the family knows it.
struct mapping_header {
    std::uint64_t magic;
    std::uint64_t id;
    std::uint64_t reserve;
    std::uint64_t file_size;  // written under the arena lock
};

class arena_mapping {
public:
    /// A new memfd of `initial` bytes, mapped over the largest reservation the
    /// address-space budget allows, aligned on `alignment`; writes the
    /// identity. Throws std::system_error.
    static arena_mapping create(std::size_t initial, std::size_t alignment);
    /// Maps `fd`, which must be the arena `id` reserving `reserve` bytes, of at
    /// least `least` bytes. Throws std::system_error, mproc::ProtocolError
    /// for a foreign file.
    static arena_mapping attach(posix::unique_fd fd, std::uint64_t id, std::size_t reserve, std::size_t least,
                                std::size_t alignment);

    arena_mapping(arena_mapping&&) noexcept = default;
    arena_mapping& operator=(arena_mapping&&) noexcept = default;

    std::uint64_t id() const noexcept { return header().id; }
    int fd() const noexcept { return fd_.get(); }
    std::size_t reserve() const noexcept { return map_.reserve(); }
    char* base() const noexcept { return map_.data(); }
    mapping_header& header() const noexcept { return *reinterpret_cast<mapping_header*>(map_.data()); }

    /// Grows the file to `bytes` (at most the reservation; never shrinks).
    /// Does not record the size: the caller stores file_size under its lock.
    /// Throws std::bad_alloc past the reservation, posix::file_size_limit,
    /// std::system_error.
    void grow_file(std::size_t bytes);
    /// Bytes the file holds by the kernel's account (fstat; never a size read
    /// from shared memory), at most the reservation; 0 when fstat fails.
    std::size_t kernel_bytes() const noexcept;
    /// Whether [off, off + bytes) lies past the header (`from`) and in the file
    /// as the kernel knows it.
    bool holds(offset_t off, std::size_t bytes, std::size_t from) const noexcept;

private:
    arena_mapping(posix::unique_fd fd, posix::memfd_mapping map) noexcept;
    posix::unique_fd fd_;
    posix::memfd_mapping map_;
};

}  // namespace mproc::transport
