#include "transport/segment_pool.hpp"

#include "posix/memfd.hpp"

#include <mproc/errors.hpp>

#include <algorithm>
#include <bit>
#include <new>

namespace mproc::transport {

namespace {
// Chains at least this long give their pages back when freed (big messages).
constexpr std::size_t trim_chain = 256;

[[noreturn]] void corrupt() {
    throw Error("mproc: the shared-memory arena's segment pool is corrupt: a link names no segment (a process wrote "
                "where it should not)");
}
}  // namespace

offset_t segment_pool::take(std::size_t count) {
    for (;;) {
        // Walk the pool (never trust a count a dead process may have left
        // half updated): the chain is long enough, or it is refilled.
        offset_t last = h_.free_head;
        if (last && !is_segment(last)) corrupt();
        std::size_t found = last ? 1 : 0;
        while (found && found < count && *link(last)) {
            last = *link(last);
            if (!is_segment(last)) corrupt();
            ++found;
        }
        if (found == count) {
            const offset_t first = h_.free_head;
            const offset_t rest = *link(last);
            if (rest && !is_segment(rest)) corrupt();
            j_.set(*link(last), 0);
            j_.set(h_.free_head, rest);
            j_.set(h_.free_count, h_.free_count > count ? h_.free_count - count : 0);
            return first;
        }
        refill(count - found);
    }
}

void segment_pool::refill(std::size_t missing) {
    // Batches grow with the family's use, so big messages take few refills;
    // a batch is a heap block, a power of two of segments.
    const auto order_of = [](std::size_t segments) {
        if (segments > (std::size_t{1} << 40) / segment_size) throw std::bad_alloc();
        return static_cast<unsigned>(std::bit_width(segments * segment_size - 1));
    };
    const unsigned least = order_of(missing);
    unsigned order = std::max(least, order_of(std::max<std::size_t>({32, h_.total_segments / 4})));
    offset_t first = 0;
    for (;;) {
        try {
            first = heap_.allocate_aligned_block(order);
            break;
        } catch (const std::bad_alloc&) {
            if (order == least) throw;
            order = least;  // the reservation may hold what is needed, not more
        }
    }
    const std::size_t batch = (std::size_t{1} << order) / segment_size;
    // A fresh block: its links need no journal (undone, the block is free
    // again and they are garbage in it); the pool's head takes them at once.
    for (std::size_t i = 0; i + 1 < batch; ++i) *link(first + i * segment_size) = first + (i + 1) * segment_size;
    *link(first + (batch - 1) * segment_size) = h_.free_head;
    j_.set(h_.free_head, first);
    j_.set(h_.free_count, h_.free_count + batch);
    j_.set(h_.total_segments, h_.total_segments + batch);
}

void segment_pool::release_pages(offset_t first, offset_t last, std::size_t count) noexcept {
    if (count < trim_chain) return;
    // A big message's memory goes back to the system, not only to the pool.
    const std::size_t page = posix::page_size();
    const std::size_t file = map_.kernel_bytes();  // not the heap's bound: no lock here
    for (offset_t s = first; s; s = *link(s)) {
        if (s % segment_size != 0 || s > file || file - s < segment_size) return;
        posix::release_pages(map_.base() + s + page, segment_size - page);
        if (s == last) break;
    }
}

void segment_pool::give(offset_t first, offset_t last, std::size_t count) {
    if (!is_segment(first) || !is_segment(last)) return;
    j_.set(*link(last), h_.free_head);
    j_.set(h_.free_head, first);
    j_.set(h_.free_count, h_.free_count + count);
}

}  // namespace mproc::transport
