// What a shared_handle (<mproc/detail/transport/shared_handle.hpp>) holds in each
// process, and the head every block of a shared object starts with.
#pragma once

#include "transport/arena.hpp"

#include <mproc/detail/transport/shared_handle.hpp>

#include <atomic>
#include <cstdint>

namespace mproc::detail {

/// One per made or received block per process, shared by the handle's
/// copies there: one hold of the block (transport/shared_handle_holders.hpp).
struct handle_state {
    transport::arena* arena;
    transport::offset_t block;  // the head's offset
    void* payload;
    bool held = false;  // the hold was taken

    handle_state(transport::arena& a, transport::offset_t b, void* p) noexcept : arena(&a), block(b), payload(p) {}
    /// Releases the hold: the block is freed when no holder remains anywhere.
    ~handle_state();
    handle_state(const handle_state&) = delete;
    handle_state& operator=(const handle_state&) = delete;
};

}  // namespace mproc::detail

namespace mproc::transport {

/// The first 64 bytes of every shared object's block. `kind` is written
/// last when the block is made and cleared first when it is freed.
struct block_head {
    std::atomic<std::uint32_t> kind;
    std::uint32_t generation;
    std::uint32_t payload_at;  // bytes from the head to the payload (64 or the payload's alignment)
    std::uint32_t holders;  // records of the table of holders listing it (under the table's lock)
    std::uint64_t bytes;    // the payload's size
};
static_assert(sizeof(block_head) <= 64);

/// The arena and payload offset a handle names (for facades built on the
/// arena, e.g. the queue). Throws mproc::Error for an empty handle.
arena& arena_of(const detail::shared_handle& h);
offset_t payload_offset(const detail::shared_handle& h);

}  // namespace mproc::transport
