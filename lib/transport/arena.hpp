// The shared-memory arena: one memfd mapping per process family, from which
// queues (and locks, values, shared blocks) take their memory, so a program
// with thousands of them holds one descriptor, not thousands.
//
// Layout of the file: a header page (identity, the arena's robust lock, the
// pool of free segments), then a Boost.Interprocess segment manager
// (rbtree_best_fit over offset_ptr, no internal mutex: the arena's robust lock
// guards it) managing the rest. The file grows (ftruncate) inside a large
// virtual reservation mapped at the same alignment in every process, so
// objects are named by their offset from the base in any process.
//
// The family: a forked child inherits the mapping (same addresses); a child
// started by spawn or forkserver receives the descriptor with its task and
// maps it again (attach). The first arena a process creates or attaches is
// the one its new objects use.
//
// Dying inside the arena: the lock is robust. Taking or giving segments is a
// single store under it (a process killed in between loses at most the
// segments it was taking or giving: memory, reclaimed with the family). A
// process killed inside Boost's allocator may leave the heap's tree half
// updated: the arena then refuses further heap allocations
// (mproc::Error), while existing objects and segment recycling go on.
#pragma once

#include "posix/memfd.hpp"

#include <mproc/unique_fd.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace mproc::transport {

/// A position in the arena: bytes from its base (0 = none).
using offset_t = std::uint64_t;

struct arena_header;

class arena {
public:
    /// Segments: fixed-size blocks aligned on their size, linked by the
    /// atomic word at their start (see segment_next).
    static constexpr std::size_t segment_size = 64 * 1024;

    /// This process's arena for new objects, created on first use. Throws
    /// std::system_error when the memory cannot be made.
    static arena& family();
    /// The arena `id` if this process has it mapped, else null.
    static arena* find(std::uint64_t id) noexcept;
    /// Maps the arena `id` received as `fd` (reserving `reserve` bytes as its
    /// creator did), or returns the one already mapped (then `fd` is closed).
    /// Throws std::system_error, mproc::ProtocolError for a foreign file.
    static arena& attach(posix::unique_fd fd, std::uint64_t id, std::size_t reserve);

    /// How a handle names its arena for a child started by spawn or
    /// forkserver (queues now; locks, values and shared blocks later).
    struct crossing {
        std::uint64_t id = 0;
        std::uint64_t reserve = 0;
        std::uint32_t fd_index = 0;
    };
    /// In a handle's save(): registers the arena's descriptor with the task
    /// being encoded (detail::export_fd; ProcessError outside a task).
    crossing cross() const;
    /// In a handle's load(): the arena already mapped here, or the one whose
    /// descriptor came with the task (the first handle of an arena takes the
    /// descriptor, the others find it mapped). The descriptor must have come
    /// with the task and be that arena's: else mproc::ProtocolError (a handle
    /// decoded from plain bytes, or naming another arena than its descriptor).
    static arena& received(const crossing& c);

    std::uint64_t id() const noexcept { return id_; }
    int fd() const noexcept { return fd_.get(); }
    std::size_t reserve() const noexcept { return map_.reserve(); }

    char* base() const noexcept { return map_.data(); }
    template <class T>
    T* at(offset_t off) const noexcept {
        return reinterpret_cast<T*>(map_.data() + off);
    }
    offset_t offset_of(const void* p) const noexcept {
        return static_cast<offset_t>(static_cast<const char*>(p) - map_.data());
    }

    /// A block of `bytes` from the heap, aligned to `align` (a power of two).
    /// Throws std::bad_alloc when the reservation is exhausted, mproc::Error
    /// when the heap was damaged by a process killed inside it.
    void* allocate(std::size_t bytes, std::size_t align = 64);
    /// Gives a block back to the heap.
    void deallocate(void* p) noexcept;

    /// `count` segments linked through segment_next (the last links to 0);
    /// returns the first. Their contents are stale except the link words.
    /// Throws as allocate().
    offset_t take_segments(std::size_t count);
    /// Gives back the chain first..last (linked through segment_next) of
    /// `count` segments. Chains of many segments give their pages back to
    /// the system.
    void give_segments(offset_t first, offset_t last, std::size_t count) noexcept;

    /// Bytes the file holds now (for tests and diagnostics).
    std::size_t file_bytes() const noexcept;
    /// Whether [off, off + bytes) lies in the file as the kernel knows it
    /// (never trusting a size read from shared memory).
    bool holds(offset_t off, std::size_t bytes) const noexcept;
    /// A number for a new block (1, 2, ...; never 0), so a handle to a freed
    /// block is told from one to the block made later at the same place.
    std::uint32_t next_generation() noexcept;
    /// Segments waiting in the pool.
    std::size_t free_segments() const noexcept;
    /// Bytes of the heap that blocks and taken segments hold (the pool's
    /// segments not counted): for tests and diagnostics.
    std::size_t bytes_in_use() const noexcept;
    /// The word where the shared handles keep the offset of their table of
    /// holders (transport/shared_handle_holders.cpp); 0 until it is made.
    std::atomic<offset_t>& holders_root() const noexcept;

    arena(const arena&) = delete;
    arena& operator=(const arena&) = delete;
    ~arena();

private:
    arena(posix::unique_fd fd, posix::memfd_mapping map, std::uint64_t id);
    static std::unique_ptr<arena> create();
    struct heap;
    arena_header& header() const noexcept { return *reinterpret_cast<arena_header*>(map_.data()); }
    // Grows the file so the heap can hold `bytes` more; under the lock.
    void grow_heap(std::size_t bytes);
    // Adds at least `missing` segments to the pool; under the lock.
    void refill(std::size_t missing);

    posix::unique_fd fd_;
    posix::memfd_mapping map_;
    std::uint64_t id_;
    std::unique_ptr<heap> heap_;
    mutable std::atomic<std::size_t> known_size_{0};  // the file's size as fstat last said
};

/// The link word at the start of segment `seg` (an arena offset).
inline std::uint64_t* segment_link(const arena& a, offset_t seg) noexcept { return a.at<std::uint64_t>(seg); }

}  // namespace mproc::transport
