#include "transport/segment_pool.hpp"

#include "posix/memfd.hpp"

#include <algorithm>
#include <new>

namespace mproc::transport {

namespace {
// Chains at least this long give their pages back when freed (big messages).
constexpr std::size_t trim_chain = 256;
}  // namespace

offset_t segment_pool::take(std::size_t count) {
    for (;;) {
        // Walk the pool (never trust a count a dead process may have left
        // half updated): the chain is long enough, or it is refilled.
        offset_t last = h_.free_head;
        std::size_t found = last ? 1 : 0;
        while (found && found < count && *link(last)) {
            last = *link(last);
            ++found;
        }
        if (found == count) {
            const offset_t first = h_.free_head;
            const offset_t rest = *link(last);
            *link(last) = 0;
            h_.free_head = rest;  // the one store that takes them
            h_.free_count = h_.free_count > count ? h_.free_count - count : 0;
            return first;
        }
        refill(count - found);
    }
}

void segment_pool::refill(std::size_t missing) {
    // Batches grow with the family's use, so big messages take few refills.
    std::size_t batch = std::max<std::size_t>({missing, 32, h_.total_segments / 4});
    char* block = nullptr;
    for (;;) {
        try {
            block = static_cast<char*>(heap_.allocate(batch * segment_size, segment_size));
            break;
        } catch (const std::bad_alloc&) {
            if (batch == missing) throw;
            batch = missing;  // the reservation may hold what is needed, not more
        }
    }
    // Link the new segments, then make them the pool's head in one store.
    const offset_t first = static_cast<offset_t>(block - map_.base());
    for (std::size_t i = 0; i + 1 < batch; ++i) *link(first + i * segment_size) = first + (i + 1) * segment_size;
    *link(first + (batch - 1) * segment_size) = h_.free_head;
    h_.free_head = first;
    h_.free_count += batch;
    h_.total_segments += batch;
}

void segment_pool::release_pages(offset_t first, offset_t last, std::size_t count) noexcept {
    if (count < trim_chain) return;
    // A big message's memory goes back to the system, not only to the pool.
    const std::size_t page = posix::page_size();
    for (offset_t s = first; s; s = *link(s)) {
        posix::release_pages(map_.base() + s + page, segment_size - page);
        if (s == last) break;
    }
}

void segment_pool::give(offset_t first, offset_t last, std::size_t count) noexcept {
    *link(last) = h_.free_head;
    h_.free_head = first;  // the one store that gives them
    h_.free_count += count;
}

}  // namespace mproc::transport
