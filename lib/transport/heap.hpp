// The arena's heap: blocks of any size for shared objects (lock, value and
// queue blocks, containers through arena_allocator), taken from the file
// after the arena's header and growing the file as needed. Every call runs
// under the arena's robust lock (the caller holds it).
#pragma once

#include "transport/mapping.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace mproc::transport {

/// The heap's state in the arena header.
struct heap_header {
    std::uint32_t in_heap;  // set while Boost's allocator runs
    std::uint32_t damaged;  // a process died inside it
};

class arena_heap {
public:
    /// The heap over [start, file size) of `m`, whose state is `h`: made
    /// anew (`create`) or found as its creator left it.
    arena_heap(arena_mapping& m, heap_header& h, std::size_t start, bool create);
    ~arena_heap();
    arena_heap(const arena_heap&) = delete;
    arena_heap& operator=(const arena_heap&) = delete;

    /// A block of `bytes` aligned to `align` (a power of two). Throws
    /// std::bad_alloc when the reservation is exhausted, mproc::Error when
    /// the heap was damaged by a process killed inside it.
    void* allocate(std::size_t bytes, std::size_t align);
    void deallocate(void* p) noexcept;
    /// The lock was taken from a process that died holding it.
    void after_owner_died() noexcept;

private:
    void grow(std::size_t bytes);
    void check_usable() const;
    struct managed;
    arena_mapping& map_;
    heap_header& h_;
    std::size_t start_;
    std::unique_ptr<managed> managed_;
};

}  // namespace mproc::transport
