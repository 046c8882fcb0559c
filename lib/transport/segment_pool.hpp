// The arena's segment pool: fixed-size blocks aligned on their size, for
// queue logs, linked through the word at their start. Segments come from
// the heap in batches and never go back to it; the pool recycles them.
// Every store goes through the arena's journal (an operation killed at any
// instant is rolled back); every link read is checked against the heap
// before use (a wild one is mproc::Error). Every call but release_pages runs
// under the arena's robust lock.
#pragma once

#include "transport/heap.hpp"
#include "transport/journal.hpp"
#include "transport/mapping.hpp"

#include <cstddef>
#include <cstdint>

namespace mproc::transport {

/// The pool's state in the arena header.
struct pool_header {
    offset_t free_head;  // linked by the segments' first word
    std::uint64_t free_count;
    std::uint64_t total_segments;
};

class segment_pool {
public:
    static constexpr std::size_t segment_size = 64 * 1024;

    segment_pool(arena_mapping& m, pool_header& h, arena_heap& heap, journal& j) noexcept
        : map_(m), h_(h), heap_(heap), j_(j) {}

    /// `count` segments linked through their link words (the last links to
    /// 0); returns the first. Throws as arena_heap::allocate, mproc::Error
    /// for a corrupt chain.
    offset_t take(std::size_t count);
    /// Gives back the chain first..last of `count` segments (a chain whose
    /// ends are not segments of the heap is left alone: leaked, not linked).
    void give(offset_t first, offset_t last, std::size_t count);
    /// Before give(), without the lock: a long chain's pages go back to the
    /// system (its segments read as zeros after their link words' page).
    void release_pages(offset_t first, offset_t last, std::size_t count) noexcept;
    std::size_t free_segments() const noexcept { return h_.free_count; }

    std::uint64_t* link(offset_t seg) const noexcept { return reinterpret_cast<std::uint64_t*>(map_.base() + seg); }

private:
    bool is_segment(offset_t s) { return s % segment_size == 0 && heap_.holds(s, segment_size); }
    void refill(std::size_t missing);
    arena_mapping& map_;
    pool_header& h_;
    arena_heap& heap_;
    journal& j_;
};

}  // namespace mproc::transport
