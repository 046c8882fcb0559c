#include "sync/shared_value.hpp"

#include <algorithm>
#include <cstring>

namespace mproc::sync {

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

struct value_header {
    std::atomic<std::uint32_t> index;  // the buffer in use: 0 or 1
    std::uint32_t size;
    std::uint64_t first;   // offset of buffer 0 from the block
    std::uint64_t stride;  // buffer 1 = first + stride
};

struct array_header {
    std::atomic<std::uint32_t> pending;  // 1: the journal holds a write not yet in place
    std::uint32_t size;
    std::uint64_t count;
    std::uint64_t index;    // the journaled element
    std::uint64_t journal;  // offsets from the block
    std::uint64_t data;
};

std::size_t header_bytes(std::size_t align) { return round_up(64, std::max<std::size_t>(align, 64)); }

char* at(void* block, std::uint64_t off) { return static_cast<char*>(block) + off; }
const char* at(const void* block, std::uint64_t off) { return static_cast<const char*>(block) + off; }

// Puts a journaled write its writer did not finish in place.
void settle(array_header& h, void* block) noexcept {
    if (h.pending.load(std::memory_order_acquire) == 0) return;
    std::memcpy(at(block, h.data + h.index * h.size), at(block, h.journal), h.size);
    h.pending.store(0, std::memory_order_release);
}

}  // namespace

std::size_t value_block_bytes(std::size_t size, std::size_t align) noexcept {
    return header_bytes(align) + 2 * round_up(size, std::max<std::size_t>(align, 8));
}

void value_init(void* block, std::size_t size, std::size_t align, const void* init) noexcept {
    auto* h = static_cast<value_header*>(block);
    h->size = static_cast<std::uint32_t>(size);
    h->first = header_bytes(align);
    h->stride = round_up(size, std::max<std::size_t>(align, 8));
    std::memcpy(at(block, h->first), init, size);
    h->index.store(0, std::memory_order_release);
}

void value_load(const void* block, void* out) noexcept {
    const auto* h = static_cast<const value_header*>(block);
    const std::uint32_t i = h->index.load(std::memory_order_acquire);
    std::memcpy(out, at(block, h->first + i * h->stride), h->size);
}

void value_store(void* block, const void* in) noexcept {
    auto* h = static_cast<value_header*>(block);
    const std::uint32_t next = h->index.load(std::memory_order_relaxed) ^ 1;
    std::memcpy(at(block, h->first + next * h->stride), in, h->size);
    h->index.store(next, std::memory_order_release);
}

std::size_t array_block_bytes(std::size_t size, std::size_t align, std::size_t n) noexcept {
    return header_bytes(align) + round_up(size, std::max<std::size_t>(align, 64)) + size * n;
}

void array_init(void* block, std::size_t size, std::size_t align, std::size_t n, const void* init) noexcept {
    auto* h = static_cast<array_header*>(block);
    h->size = static_cast<std::uint32_t>(size);
    h->count = n;
    h->journal = header_bytes(align);
    h->data = h->journal + round_up(size, std::max<std::size_t>(align, 64));
    if (init && n) std::memcpy(at(block, h->data), init, size * n);
}

void* array_data(void* block) noexcept { return at(block, static_cast<array_header*>(block)->data); }
std::size_t array_size(const void* block) noexcept { return static_cast<const array_header*>(block)->count; }

void array_load(void* block, std::size_t i, void* out) noexcept {
    auto& h = *static_cast<array_header*>(block);
    settle(h, block);
    std::memcpy(out, at(block, h.data + i * h.size), h.size);
}

void array_store(void* block, std::size_t i, const void* in) noexcept {
    auto& h = *static_cast<array_header*>(block);
    settle(h, block);
    std::memcpy(at(block, h.journal), in, h.size);
    h.index = i;
    h.pending.store(1, std::memory_order_release);
    std::memcpy(at(block, h.data + i * h.size), in, h.size);
    h.pending.store(0, std::memory_order_release);
}

}  // namespace mproc::sync
