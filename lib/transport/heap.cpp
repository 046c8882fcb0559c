#include "transport/heap.hpp"

#include <mproc/errors.hpp>

#include <algorithm>
#include <bit>
#include <new>
#include <string>

namespace mproc::transport {

namespace {

constexpr std::size_t head_bytes = 64;
// The file grows by whole units of this (the segment size).
constexpr std::size_t growth_unit = 64 * 1024;

constexpr std::uint64_t free_mark = 0x4652454500000000ULL;  // "FREE"
constexpr std::uint64_t used_mark = 0x5553454400000000ULL;  // "USED"
constexpr std::uint64_t free_tag(unsigned k) { return free_mark | k; }
constexpr std::uint64_t used_tag(unsigned k) { return used_mark | k; }
constexpr std::size_t bytes_of(unsigned k) { return std::size_t{1} << k; }

// Where a block's words are: its tag at the start; free: the list links after.
constexpr offset_t next_at(offset_t b) { return b + 8; }
constexpr offset_t prev_at(offset_t b) { return b + 16; }
// A given-out block's head: its tag, then where the block starts.
constexpr offset_t owner_at(offset_t head) { return head + 8; }

}  // namespace

arena_heap::arena_heap(arena_mapping& m, heap_header& h, journal& j, std::size_t start, bool create)
    : map_(m), h_(h), j_(j), start_(start) {
    if (!create) return;
    // A new arena: nobody else sees it yet, but the same path as growth.
    add_free(start_, map_.header().file_size);
    j_.commit();
}

std::uint64_t& arena_heap::word(offset_t off) const noexcept {
    return *reinterpret_cast<std::uint64_t*>(map_.base() + off);
}

std::size_t arena_heap::bound() {
    const std::size_t said = map_.header().file_size;
    if (said > known_bytes_) known_bytes_ = map_.kernel_bytes();
    return std::min(said, known_bytes_);
}

void arena_heap::corrupt(const char* what) const {
    throw Error(std::string("mproc: the shared-memory arena's heap is corrupt: ") + what +
                " (a process wrote where it should not)");
}

bool arena_heap::holds(offset_t off, std::size_t bytes) {
    const std::size_t end = bound();
    return off >= start_ && off <= end && bytes <= end - off;
}

bool arena_heap::in_file(offset_t b, unsigned k) {
    if (k < min_order || k >= heap_header::orders) return false;
    const std::size_t end = bound();
    return b >= start_ && b % bytes_of(k) == 0 && b <= end && bytes_of(k) <= end - b;
}

void arena_heap::check_free(offset_t b, unsigned k) {
    if (!in_file(b, k)) corrupt("a free list names a block outside the file");
    if (word(b) != free_tag(k)) corrupt("a free list names a block that is not free");
}

void arena_heap::push(offset_t b, unsigned k) {
    const offset_t old = h_.free[k];
    if (old) check_free(old, k);
    j_.set(word(b), free_tag(k));
    j_.set(word(next_at(b)), old);
    j_.set(word(prev_at(b)), 0);
    if (old) j_.set(word(prev_at(old)), b);
    j_.set(h_.free[k], b);
}

void arena_heap::remove(offset_t b, unsigned k) {
    const offset_t next = word(next_at(b));
    const offset_t prev = word(prev_at(b));
    if (next) check_free(next, k);
    if (prev) {
        check_free(prev, k);
        if (word(next_at(prev)) != b) corrupt("a free list's links disagree");
        j_.set(word(next_at(prev)), next);
    } else {
        if (h_.free[k] != b) corrupt("a free list's links disagree");
        j_.set(h_.free[k], next);
    }
    if (next) j_.set(word(prev_at(next)), prev);
    j_.set(word(b), 0);  // no longer a free block
}

offset_t arena_heap::take(unsigned k) {
    for (unsigned j = k; j < heap_header::orders; ++j) {
        const offset_t b = h_.free[j];
        if (!b) continue;
        check_free(b, j);
        remove(b, j);
        while (j > k) {
            --j;
            push(b + bytes_of(j), j);  // the upper half stays free
        }
        return b;
    }
    return 0;
}

void arena_heap::add_free(std::size_t from, std::size_t to) {
    // The largest blocks aligned on their size that fill [from, to).
    for (offset_t cur = from; cur < to;) {
        unsigned k = std::min<unsigned>(static_cast<unsigned>(std::countr_zero(cur)), heap_header::orders - 1);
        while (bytes_of(k) > to - cur) --k;
        push(cur, k);
        cur += bytes_of(k);
    }
}

void arena_heap::grow_for(unsigned k) {
    const std::size_t old = bound();
    const std::size_t reserve = map_.reserve();
    const std::size_t unit = bytes_of(k);
    const std::size_t at = (std::max(old, start_) + unit - 1) & ~(unit - 1);  // where such a block can start
    if (k >= 63 || at > reserve || unit > reserve - at) throw std::bad_alloc();
    std::size_t want = std::max(old * 2, at + unit);
    want = (want + growth_unit - 1) & ~(growth_unit - 1);
    want = std::min(want, reserve & ~(growth_unit - 1));
    if (want < at + unit) throw std::bad_alloc();
    try {
        map_.grow_file(want);
    } catch (const std::bad_alloc&) {
        // Past RLIMIT_FSIZE (or the reservation): what the block needs may still fit.
        const std::size_t least = std::min(want, (at + unit + growth_unit - 1) & ~(growth_unit - 1));
        if (want == least) throw;
        want = least;
        map_.grow_file(want);
    }
    known_bytes_ = std::max(known_bytes_, want);
    j_.set(map_.header().file_size, want);
    add_free(old, want);
}

unsigned arena_heap::order_for(std::size_t bytes, std::size_t align) {
    const std::size_t head = std::max(align, head_bytes);
    const std::size_t most = bytes_of(heap_header::orders - 1);
    if (head > most || bytes > most - head) throw std::bad_alloc();
    const std::size_t need = head + bytes;
    return std::max<unsigned>(min_order, static_cast<unsigned>(std::bit_width(need - 1)));
}

void* arena_heap::allocate(std::size_t bytes, std::size_t align) {
    const unsigned k = order_for(bytes, align);
    const std::size_t head = std::max(align, head_bytes) - head_bytes;  // from the block's start
    for (int attempt = 0;; ++attempt) {
        if (const offset_t b = take(k)) {
            j_.set(word(b), used_tag(k));
            j_.set(word(b + head), used_tag(k));
            j_.set(word(owner_at(b + head)), b);
            return map_.base() + b + head + head_bytes;
        }
        if (attempt == 2) throw std::bad_alloc();
        grow_for(k);
    }
}

offset_t arena_heap::allocate_aligned_block(unsigned order) {
    if (order < min_order || order >= heap_header::orders) throw std::bad_alloc();
    for (int attempt = 0;; ++attempt) {
        if (const offset_t b = take(order)) {
            j_.set(word(b), used_tag(order));
            return b;
        }
        if (attempt == 2) throw std::bad_alloc();
        grow_for(order);
    }
}

offset_t arena_heap::block_of(const void* p, unsigned& k) {
    const std::size_t end = bound();
    const auto off = static_cast<offset_t>(static_cast<const char*>(p) - map_.base());
    if (off % head_bytes != 0 || off < start_ + head_bytes || off > end) corrupt("a block freed is not the heap's");
    const offset_t head = off - head_bytes;
    const std::uint64_t tag = word(head);
    if ((tag & ~std::uint64_t{0xff}) != used_mark) corrupt("a block freed twice, or not the heap's");
    k = static_cast<unsigned>(tag & 0xff);
    const offset_t b = word(owner_at(head));
    if (!in_file(b, k) || b > head || off - b > bytes_of(k) || word(b) != used_tag(k))
        corrupt("a block's head names no block");
    return b;
}

std::size_t arena_heap::block_bytes(const void* p) {
    unsigned k = 0;
    block_of(p, k);
    return bytes_of(k);
}

void arena_heap::deallocate(void* p) {
    unsigned k = 0;
    offset_t b = block_of(p, k);
    const offset_t head = static_cast<offset_t>(static_cast<char*>(p) - map_.base()) - head_bytes;
    if (head != b) j_.set(word(head), 0);  // a second free of p is refused
    j_.set(word(b), 0);
    // Merge with the free buddy, as long as there is one.
    for (; k + 1 < heap_header::orders; ++k) {
        const offset_t buddy = b ^ bytes_of(k);
        if (!in_file(buddy, k) || word(buddy) != free_tag(k)) break;
        remove(buddy, k);
        b = std::min(b, buddy);
    }
    push(b, k);
}

std::size_t arena_heap::free_bytes() {
    std::size_t total = 0;
    const std::size_t most_blocks = bound() / bytes_of(min_order) + 1;  // a cycle ends the walk
    for (unsigned k = min_order; k < heap_header::orders; ++k) {
        std::size_t walked = 0;
        for (offset_t b = h_.free[k]; b; b = word(next_at(b))) {
            check_free(b, k);
            if (++walked > most_blocks) corrupt("a free list loops");
            total += bytes_of(k);
        }
    }
    return total;
}

std::size_t arena_heap::span_bytes() const noexcept { return map_.header().file_size - start_; }

}  // namespace mproc::transport
