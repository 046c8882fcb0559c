// The arena's heap: blocks of any size for shared objects (lock, value and
// queue blocks, containers through arena_allocator, batches of segments),
// from the file after the arena's header, growing the file as needed.
//
// A buddy heap: a block of order k is 2^k bytes at an offset that is a
// multiple of 2^k; a free block sits in its order's doubly linked list and
// is merged with its free buddy when freed. Every block starts with a tag
// word (free or used, and its order); a block given out also has a 64-byte
// head just before the caller's pointer (its tag and where the block starts).
//
// Crash consistency: every store goes through the arena's journal
// (transport/journal.hpp), so an allocation or a free killed at any instant
// is rolled back by the next holder of the arena lock. Every offset read from
// shared memory (a list head, a link, a block's head) is checked against the
// file as the kernel knows it, its alignment and its tag before use: a
// corrupt structure is mproc::Error, never a stray access. Every call runs
// under the arena's robust lock (the caller holds it).
#pragma once

#include "transport/journal.hpp"
#include "transport/mapping.hpp"

#include <cstddef>
#include <cstdint>

namespace mproc::transport {

/// The heap's state in the arena header.
struct heap_header {
    static constexpr unsigned orders = 48;  // 2^47 bytes: past any reservation
    offset_t free[orders];                  // the free list of each order
};

class arena_heap {
public:
    /// The smallest block: a head and 64 bytes.
    static constexpr unsigned min_order = 7;

    /// The heap over [start, file size) of `m`, whose state is `h`; `create`
    /// gives the file's bytes past `start` to it (a new arena).
    arena_heap(arena_mapping& m, heap_header& h, journal& j, std::size_t start, bool create);

    /// A block of `bytes` aligned to `align` (a power of two). Throws
    /// std::bad_alloc when the reservation cannot hold it, mproc::Error when a
    /// corrupt structure is found (nothing changed then).
    void* allocate(std::size_t bytes, std::size_t align);
    /// Gives back a block allocate() gave. Throws mproc::Error when its head
    /// or the lists it meets are corrupt (nothing changed then).
    void deallocate(void* p);
    /// The bytes of the block p lies in (its head included). Throws as
    /// deallocate().
    std::size_t block_bytes(const void* p);
    /// The offset of a block of 2^order bytes aligned on its size, without a
    /// head (a batch of segments, never freed). Throws as allocate().
    offset_t allocate_aligned_block(unsigned order);
    /// The order of the block allocate(bytes, align) takes (bytes included
    /// with their head); std::bad_alloc when none could hold them.
    static unsigned order_for(std::size_t bytes, std::size_t align);

    /// Whether [off, off + bytes) lies in the heap (the file's size as the
    /// family wrote it, never past what the kernel says).
    bool holds(offset_t off, std::size_t bytes);
    /// Bytes in free blocks (walks the lists; for tests and the stress run).
    std::size_t free_bytes();
    /// Bytes the heap spans now.
    std::size_t span_bytes() const noexcept;
    /// Where the free list of `order` starts (tests corrupt it on purpose).
    offset_t& list_head(unsigned order) noexcept { return h_.free[order]; }

private:
    std::uint64_t& word(offset_t off) const noexcept;
    // The file's size as the family wrote it, never past what the kernel says.
    std::size_t bound();
    // The block given out at p, and its order k; checked.
    offset_t block_of(const void* p, unsigned& k);
    // Whether a block of order k at b lies in the heap, aligned on its size.
    bool in_file(offset_t b, unsigned k);
    // Checks a free block read from shared memory: order k, in the file, tagged free.
    void check_free(offset_t b, unsigned k);
    [[noreturn]] void corrupt(const char* what) const;
    void push(offset_t b, unsigned k);
    void remove(offset_t b, unsigned k);
    // A free block of order k split from the smallest larger one; 0 if none.
    offset_t take(unsigned k);
    // Gives [from, to) to the lists as the largest aligned blocks.
    void add_free(std::size_t from, std::size_t to);
    // Grows the file so a block of order k fits; the new bytes join the lists.
    void grow_for(unsigned k);

    arena_mapping& map_;
    heap_header& h_;
    journal& j_;
    std::size_t start_;
    std::size_t known_bytes_ = 0;  // the file's size by fstat, last looked at
};

}  // namespace mproc::transport
