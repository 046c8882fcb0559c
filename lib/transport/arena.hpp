// The shared-memory arena: one memfd mapping per process family, from which
// queues (and locks, values, shared blocks) take their memory, so a program
// with thousands of them holds one descriptor, not thousands.
//
// A thin facade over its parts: the mapping (memfd, reservation, identity,
// growth: transport/mapping), the heap (blocks of any size: transport/heap)
// and the segment pool (64 KiB segments for queue logs:
// transport/segment_pool), all guarded by the arena's one robust lock, every
// store of theirs through its undo journal (transport/journal); and the
// process's registry of arenas, with their crossing to spawned children.
//
// Layout of the file: a 64 KiB header (identity, the arena's robust lock, the
// heap's and the pool's state, the journal), then the heap. The family: a forked child
// inherits the mapping (same addresses); a child started by spawn or
// forkserver receives the descriptor with its task and maps it again
// (attach). The first arena a process creates or attaches is the one its new
// objects use.
//
// Dying inside the arena: the lock is robust; what each part guarantees
// after a death is written in its header and in docs/ARCHITECTURE.md.
#pragma once

#include "transport/heap.hpp"
#include "transport/journal.hpp"
#include "transport/mapping.hpp"
#include "transport/segment_pool.hpp"

#include <mproc/unique_fd.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace mproc::transport {

struct arena_header;

class arena {
public:
    /// Segments: fixed-size blocks aligned on their size, linked by the
    /// atomic word at their start (see segment_next).
    static constexpr std::size_t segment_size = segment_pool::segment_size;

    /// This process's arena for new objects, created on first use. Throws
    /// std::system_error when the memory cannot be made.
    static arena& family();
    /// The arena `id` if this process has it mapped, else null.
    static arena* find(std::uint64_t id) noexcept;
    /// The arena mapped here whose reservation holds `p`, else null.
    static arena* containing(const void* p) noexcept;
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
    int fd() const noexcept { return map_.fd(); }
    std::size_t reserve() const noexcept { return map_.reserve(); }

    char* base() const noexcept { return map_.base(); }
    template <class T>
    T* at(offset_t off) const noexcept {
        return reinterpret_cast<T*>(map_.base() + off);
    }
    offset_t offset_of(const void* p) const noexcept {
        return static_cast<offset_t>(static_cast<const char*>(p) - map_.base());
    }

    /// A block of `bytes` from the heap, aligned to `align` (a power of two).
    /// Throws std::bad_alloc when the reservation is exhausted, mproc::Error
    /// when a corrupt structure is found in the heap (nothing changed then).
    void* allocate(std::size_t bytes, std::size_t align = 64);
    /// Gives a block back to the heap (a block whose head is corrupt, or freed
    /// twice, is left alone).
    void deallocate(void* p) noexcept;

    /// allocate(), and the block's offset stored into `owner` (a word in this
    /// arena) by the same operation: killed at any instant, the caller leaves
    /// either a block its owner word names or nothing (no leak).
    /// std::invalid_argument when `owner` is not in the arena.
    void* allocate_into(std::uint64_t& owner, std::size_t bytes, std::size_t align = 64);
    /// Frees the block `owner` names (if any) and zeroes `owner`, as one
    /// operation. Throws mproc::Error for a corrupt block, nothing changed.
    void deallocate_from(std::uint64_t& owner);
    /// The bytes of the heap block `p` lies in (its head included). Throws
    /// mproc::Error when p is not a block's.
    std::size_t block_bytes(const void* p);

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
    /// Bytes in the heap's free blocks (walks its lists; throws mproc::Error
    /// for a corrupt one), and bytes it spans: tests and the stress run.
    std::size_t heap_free_bytes();
    std::size_t heap_span_bytes() const noexcept;
    /// Whether an operation is open: one a process died in, not yet rolled
    /// back by the next locker (for the kill tests; read without the lock).
    bool operation_open() const noexcept { return journal_.open(); }
    /// The heap itself (tests reach its lists).
    arena_heap& heap() noexcept { return heap_; }
    /// Bytes of the heap that blocks and taken segments hold (the pool's
    /// segments not counted): for tests and diagnostics. Throws as heap_free_bytes.
    std::size_t bytes_in_use();
    /// The word where the shared handles keep the offset of their table of
    /// holders (transport/shared_handle_holders.cpp); 0 until it is made.
    std::atomic<offset_t>& holders_root() const noexcept;

    arena(const arena&) = delete;
    arena& operator=(const arena&) = delete;
    ~arena();

private:
    arena(arena_mapping map, bool created);
    static std::unique_ptr<arena> create();
    void check_owner(const std::uint64_t& owner) const;
    arena_header& header() const noexcept { return *reinterpret_cast<arena_header*>(map_.base()); }

    arena_mapping map_;
    std::uint64_t id_;
    journal journal_;
    arena_heap heap_;
    segment_pool pool_;
    mutable std::atomic<std::size_t> known_size_{0};  // the file's size as fstat last said
};

/// The link word at the start of segment `seg` (an arena offset).
inline std::uint64_t* segment_link(const arena& a, offset_t seg) noexcept { return a.at<std::uint64_t>(seg); }

}  // namespace mproc::transport
