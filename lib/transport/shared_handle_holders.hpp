// Who holds a shared object's block, so that it is freed when the last
// handle in any process of the family is gone (issue 17 item 11).
//
// In a process: a count of the handle states naming each block. While a
// block has never left the process that made it (not crossed, no fork
// since), that count alone decides: at 0 the block is freed. Once it may be
// elsewhere, the family's table of holders in the arena decides:
//  - every process that holds shared blocks has a record there (a key, never
//    reused, and the blocks it holds) and a lock on byte `key` of the arena
//    file, taken on a description of its own (posix/file_lock.hpp): the
//    kernel drops it when the process ends, however it ends;
//  - a block's head counts the records holding it (block_head::holders);
//  - a fork gives the child a record of its own before the fork, with every
//    block the parent holds and its lock already taken on a description the
//    child inherits and the parent closes: no instant where a block the
//    child holds is counted by nobody;
//  - a handle crossing as a task argument (spawn, forkserver, Pool) leaves a
//    transit record holding the block, alive while its sender lives, which
//    the receiver drops once it holds the block itself;
//  - whoever releases a block that others still count, or sends one, looks
//    for records whose lock is gone (dead processes, finished transits) and
//    releases their blocks: a block whose count reaches 0 is freed (its
//    kind tag cleared at once, under the table's lock).
// A process killed inside the table leaves counts too high, never too low:
// a count is raised before a record lists the block and lowered after the
// record stops listing it (leaked memory, never a block freed while held).
#pragma once

#include "transport/arena.hpp"

#include <cstdint>

namespace mproc::transport::holders {

/// One more handle state here for the block at `block`, made by this
/// process. Throws std::bad_alloc.
void add_made(arena& a, offset_t block);

/// Whether a received block is still what its handle names.
struct validity {
    bool (*check)(arena& a, offset_t block, const void* ctx);
    const void* ctx;
};
/// A block received from another process: held (shared) when `valid` says,
/// under the table's lock, that it is still what the handle names; then the
/// transit record `transit` is dropped. False (nothing held) when not
/// valid. Throws std::bad_alloc, std::system_error.
bool add_received(arena& a, offset_t block, std::uint64_t transit, const validity& valid);

/// Before a handle to `block` (held here) crosses to another process: the
/// key of a new transit record holding it. Throws std::bad_alloc,
/// std::system_error.
std::uint64_t cross(arena& a, offset_t block);

/// One handle state of `block` gone here: frees the block when no holder
/// remains anywhere.
void release(arena& a, offset_t block) noexcept;

/// Frees blocks whose every holder is gone (dead processes, transits never
/// received). Done by release() and cross() already; for tests and callers
/// that want the memory now.
void collect(arena& a) noexcept;

}  // namespace mproc::transport::holders
