#include "transport/arena.hpp"

#include "posix/fork.hpp"
#include "posix/robust_mutex.hpp"

#include <mproc/detail/fd_transfer.hpp>
#include <mproc/detail/transport/arena_allocator.hpp>
#include <mproc/errors.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace mproc::transport {

namespace {

constexpr std::size_t heap_offset = 4096;  // the header's page
constexpr std::size_t initial_file = 1u << 20;

}  // namespace

struct arena_header {
    mapping_header map;  // first: attach reads it
    posix::robust_mutex lock;
    heap_header heap;
    pool_header pool;
    std::atomic<std::uint32_t> generation;  // blocks made so far
};
static_assert(sizeof(arena_header) <= heap_offset);

namespace {

// Holds the arena lock; a dead owner is reported to the heap, which repairs
// (the segment pool needs no repair: single stores).
class arena_guard {
public:
    arena_guard(arena_header& h, arena_heap& heap) : guard_(h.lock) {
        if (guard_.owner_died()) heap.after_owner_died();
    }

private:
    posix::robust_guard guard_;
};

// The process's arenas; never destroyed (objects may outlive main's locals).
struct registry {
    std::mutex mutex;
    std::vector<arena*> all;
    arena* family = nullptr;
};

registry& arenas() {
    static registry* r = [] {
        auto* made = new registry;
        // A child forked while another thread held the mutex would deadlock.
        posix::at_fork({[] { arenas().mutex.lock(); }, [] { arenas().mutex.unlock(); },
                        [] { arenas().mutex.unlock(); }});
        return made;
    }();
    return *r;
}

arena_header& header_in(arena_mapping& m) { return *reinterpret_cast<arena_header*>(m.base()); }

// The new file's header, before the heap is made over the rest.
arena_mapping& with_header(arena_mapping& m) {
    auto* h = reinterpret_cast<arena_header*>(m.base());
    new (&h->lock) posix::robust_mutex();
    h->heap = {};
    h->pool = {};
    new (&h->generation) std::atomic<std::uint32_t>(0);
    return m;
}

}  // namespace

arena::arena(arena_mapping map, bool created)
    : map_(std::move(map)), id_(map_.id()), heap_(map_, header_in(map_).heap, heap_offset, created),
      pool_(map_, header_in(map_).pool, heap_) {}

arena::~arena() = default;

std::unique_ptr<arena> arena::create() {
    arena_mapping m = arena_mapping::create(initial_file, segment_size);
    return std::unique_ptr<arena>(new arena(std::move(with_header(m)), true));
}

arena& arena::family() {
    registry& r = arenas();
    std::lock_guard lock(r.mutex);
    if (!r.family) {
        r.family = create().release();
        r.all.push_back(r.family);
    }
    return *r.family;
}

arena* arena::find(std::uint64_t id) noexcept {
    registry& r = arenas();
    std::lock_guard lock(r.mutex);
    for (arena* a : r.all)
        if (a->id_ == id) return a;
    return nullptr;
}

arena* arena::containing(const void* p) noexcept {
    registry& r = arenas();
    std::lock_guard lock(r.mutex);
    const auto* c = static_cast<const char*>(p);
    for (arena* a : r.all)
        if (c >= a->base() && c < a->base() + a->reserve()) return a;
    return nullptr;
}

arena& arena::attach(posix::unique_fd fd, std::uint64_t id, std::size_t reserve) {
    registry& r = arenas();
    std::lock_guard lock(r.mutex);
    for (arena* a : r.all)
        if (a->id_ == id) return *a;
    arena_mapping m = arena_mapping::attach(std::move(fd), id, reserve, initial_file, segment_size);
    arena* made = new arena(std::move(m), false);
    r.all.push_back(made);
    if (!r.family) r.family = made;  // the family's arena, not a second one
    return *made;
}

arena::crossing arena::cross() const { return {id_, map_.reserve(), detail::export_fd(map_.fd())}; }

arena& arena::received(const crossing& c) {
    const int passed = detail::passed_descriptor(c.fd_index);
    if (passed < 0)
        throw ProtocolError(
            "a shared object's handle was decoded without its descriptor: handles cross only as arguments of a "
            "Process or a Pool task, never as plain bytes");
    if (arena* a = find(c.id)) {
        if (!posix::same_file(passed, a->fd()))
            throw ProtocolError("a shared object's handle names another arena than the descriptor it came with");
        return *a;
    }
    return attach(detail::import_fd(c.fd_index), c.id, c.reserve);
}

void* arena::allocate(std::size_t bytes, std::size_t align) {
    arena_guard guard(header(), heap_);
    return heap_.allocate(bytes, align);
}

void arena::deallocate(void* p) noexcept {
    if (!p) return;
    arena_guard guard(header(), heap_);
    heap_.deallocate(p);
}

offset_t arena::take_segments(std::size_t count) {
    arena_guard guard(header(), heap_);
    return pool_.take(count);
}

void arena::give_segments(offset_t first, offset_t last, std::size_t count) noexcept {
    if (!first) return;
    pool_.release_pages(first, last, count);
    arena_guard guard(header(), heap_);
    pool_.give(first, last, count);
}

std::size_t arena::file_bytes() const noexcept { return map_.header().file_size; }

bool arena::holds(offset_t off, std::size_t bytes) const noexcept { return map_.holds(off, bytes, heap_offset); }

std::uint32_t arena::next_generation() noexcept {
    std::uint32_t g = header().generation.fetch_add(1, std::memory_order_relaxed) + 1;
    while (g == 0) g = header().generation.fetch_add(1, std::memory_order_relaxed) + 1;
    return g;
}

std::size_t arena::free_segments() const noexcept { return pool_.free_segments(); }

}  // namespace mproc::transport

namespace mproc::detail {

char* family_arena_base() { return transport::arena::family().base(); }

void* arena_allocate(const char* base, std::size_t bytes, std::size_t align) {
    transport::arena* a = transport::arena::containing(base);
    if (!a) throw std::invalid_argument("mproc: an arena_allocator names no arena mapped in this process");
    return a->allocate(bytes, align);
}

void arena_deallocate(const char* base, void* p) noexcept {
    if (transport::arena* a = transport::arena::containing(base)) a->deallocate(p);
}

}  // namespace mproc::detail
