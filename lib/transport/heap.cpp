#include "transport/heap.hpp"

#include <mproc/errors.hpp>

#include <boost/interprocess/indexes/null_index.hpp>
#include <boost/interprocess/managed_external_buffer.hpp>
#include <boost/interprocess/mem_algo/rbtree_best_fit.hpp>
#include <boost/interprocess/sync/mutex_family.hpp>

#include <algorithm>
#include <new>

namespace mproc::transport {

namespace bi = boost::interprocess;

namespace {
// Growth is rounded to this (the segment size: segments come from the heap).
constexpr std::size_t growth_unit = 64 * 1024;
}  // namespace

// No internal mutex: Boost 1.81's interprocess mutex cannot recover from a
// dead owner; the arena's robust lock guards every call instead.
struct arena_heap::managed {
    bi::basic_managed_external_buffer<char, bi::rbtree_best_fit<bi::null_mutex_family, bi::offset_ptr<void>>,
                                      bi::null_index>
        buffer;
};

arena_heap::arena_heap(arena_mapping& m, heap_header& h, std::size_t start, bool create)
    : map_(m), h_(h), start_(start), managed_(std::make_unique<managed>()) {
    const std::size_t bytes = m.header().file_size - start;
    if (create)
        managed_->buffer = decltype(managed_->buffer)(bi::create_only, m.base() + start, bytes);
    else
        managed_->buffer = decltype(managed_->buffer)(bi::open_only, m.base() + start, bytes);
}

arena_heap::~arena_heap() = default;

void arena_heap::after_owner_died() noexcept {
    if (h_.in_heap) {
        h_.damaged = 1;
        h_.in_heap = 0;
    }
}

void arena_heap::check_usable() const {
    if (h_.damaged)
        throw Error("mproc: the shared-memory arena's heap was damaged by a process killed while allocating in it");
}

void arena_heap::grow(std::size_t bytes) {
    mapping_header& mh = map_.header();
    const std::size_t old_size = mh.file_size;
    std::size_t want = std::max(old_size * 2, old_size + bytes + 2 * growth_unit);
    want = (want + growth_unit - 1) & ~(growth_unit - 1);
    want = std::min<std::size_t>(want, map_.reserve());
    if (want < old_size + bytes) throw std::bad_alloc();
    map_.grow_file(want);
    h_.in_heap = 1;
    managed_->buffer.grow(want - old_size);
    h_.in_heap = 0;
    mh.file_size = want;
}

void* arena_heap::allocate(std::size_t bytes, std::size_t align) {
    check_usable();
    for (int attempt = 0;; ++attempt) {
        h_.in_heap = 1;
        void* p = managed_->buffer.allocate_aligned(bytes, align, std::nothrow);
        h_.in_heap = 0;
        if (p) return p;
        if (attempt == 2) throw std::bad_alloc();
        grow(bytes + align);
    }
}

void arena_heap::deallocate(void* p) noexcept {
    if (h_.damaged) return;  // leaked: the tree cannot be trusted
    h_.in_heap = 1;
    managed_->buffer.deallocate(p);
    h_.in_heap = 0;
}

}  // namespace mproc::transport
