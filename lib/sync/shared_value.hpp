// The memory of Value and Array: data laid out so that a writer killed
// half-way leaves the old value or the new one.
//
// Value: two buffers and an index word; a write fills the buffer not in use,
// then switches the index with one release store.
// Array: the elements, plus a one-entry journal (index, new bytes, a pending
// word): a write copies the new element into the journal, sets pending, copies
// it into place, clears pending. A writer killed with pending set leaves a
// whole new element in the journal: the next load or store (under the same
// lock) copies it into place first.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mproc::sync {

/// Bytes a block for a value of `size` bytes aligned on `align` needs.
std::size_t value_block_bytes(std::size_t size, std::size_t align) noexcept;
/// Sets up a zeroed block holding a copy of `init`.
void value_init(void* block, std::size_t size, std::size_t align, const void* init) noexcept;
void value_load(const void* block, void* out) noexcept;
void value_store(void* block, const void* in) noexcept;

std::size_t array_block_bytes(std::size_t size, std::size_t align, std::size_t n) noexcept;
/// Sets up a zeroed block; copies `n` elements from `init` unless null.
void array_init(void* block, std::size_t size, std::size_t align, std::size_t n, const void* init) noexcept;
void* array_data(void* block) noexcept;
std::size_t array_size(const void* block) noexcept;
void array_load(void* block, std::size_t i, void* out) noexcept;
void array_store(void* block, std::size_t i, const void* in) noexcept;

}  // namespace mproc::sync
