#include "transport/arena.hpp"

#include "posix/fork.hpp"
#include "posix/robust_mutex.hpp"

#include <mproc/detail/transport/arena_allocator.hpp>
#include <mproc/detail/transport/fd_transfer.hpp>
#include <mproc/errors.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace mproc::transport {

namespace {

constexpr std::size_t heap_offset = 64 * 1024;  // the header (its journal is 32 KiB)
constexpr std::size_t initial_file = 1u << 20;

}  // namespace

struct arena_header {
    mapping_header map;  // first: attach reads it
    posix::robust_mutex lock;
    std::atomic<std::uint32_t> generation;  // blocks made so far
    heap_header heap;
    pool_header pool;
    journal_header journal;
    std::atomic<offset_t> holders;  // the shared handles' table of holders
};
static_assert(sizeof(arena_header) <= heap_offset);

namespace {

// One operation on the arena: holds its lock; a dead owner's open operation
// is rolled back first. Unless committed, what was stored is rolled back
// when it ends (an operation that threw changed nothing).
class arena_operation {
public:
    arena_operation(arena_header& h, journal& j) : guard_(h.lock), journal_(j) {
        if (guard_.owner_died() || journal_.open()) journal_.roll_back();
    }
    ~arena_operation() {
        if (!done_) journal_.roll_back();
    }
    arena_operation(const arena_operation&) = delete;
    arena_operation& operator=(const arena_operation&) = delete;
    template <class T>
    T commit(T result) noexcept {
        journal_.commit();
        done_ = true;
        return result;
    }
    void commit() noexcept { static_cast<void>(commit(0)); }

private:
    posix::robust_guard guard_;
    journal& journal_;
    bool done_ = false;
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
    h->journal.count = 0;
    new (&h->generation) std::atomic<std::uint32_t>(0);
    return m;
}

}  // namespace

arena::arena(arena_mapping map, bool created)
    : map_(std::move(map)), id_(map_.id()), journal_(map_, header_in(map_).journal),
      heap_(map_, header_in(map_).heap, journal_, heap_offset, created),
      pool_(map_, header_in(map_).pool, heap_, journal_) {}

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
    arena_operation op(header(), journal_);
    return op.commit(heap_.allocate(bytes, align));
}

void arena::deallocate(void* p) noexcept {
    if (!p) return;
    try {
        arena_operation op(header(), journal_);
        heap_.deallocate(p);
        op.commit();
    } catch (const std::exception&) {
        // A corrupt head or list: the block is left alone (leaked), nothing
        // was changed; the next allocation that meets the damage says so.
    }
}

void* arena::allocate_into(std::uint64_t& owner, std::size_t bytes, std::size_t align) {
    check_owner(owner);
    arena_operation op(header(), journal_);
    void* p = heap_.allocate(bytes, align);
    journal_.set(owner, offset_of(p));
    return op.commit(p);
}

void arena::deallocate_from(std::uint64_t& owner) {
    check_owner(owner);
    arena_operation op(header(), journal_);
    if (owner) {
        if (!holds(owner, 0)) throw Error("mproc: a shared block's owner word names no block of the arena");
        heap_.deallocate(at<char>(owner));
        journal_.set(owner, 0);
    }
    op.commit();
}

void arena::check_owner(const std::uint64_t& owner) const {
    const offset_t at = offset_of(&owner);
    if (at % sizeof owner != 0 || !holds(at, sizeof owner))
        throw std::invalid_argument("mproc: an arena block's owner word must lie in the arena");
}

std::size_t arena::block_bytes(const void* p) {
    arena_operation op(header(), journal_);
    return op.commit(heap_.block_bytes(p));
}

offset_t arena::take_segments(std::size_t count) {
    arena_operation op(header(), journal_);
    return op.commit(pool_.take(count));
}

void arena::give_segments(offset_t first, offset_t last, std::size_t count) noexcept {
    if (!first) return;
    pool_.release_pages(first, last, count);
    try {
        arena_operation op(header(), journal_);
        pool_.give(first, last, count);
        op.commit();
    } catch (const std::exception&) {
        // Only the journal can throw here (never, short of a bug): nothing changed.
    }
}

std::size_t arena::heap_free_bytes() {
    arena_operation op(header(), journal_);
    return op.commit(heap_.free_bytes());
}

std::size_t arena::heap_span_bytes() const noexcept { return heap_.span_bytes(); }

std::size_t arena::file_bytes() const noexcept { return map_.header().file_size; }

bool arena::holds(offset_t off, std::size_t bytes) const noexcept {
    const auto fits = [&](std::size_t size) { return off >= heap_offset && off <= size && bytes <= size - off; };
    // The file never shrinks: a size the kernel gave once stays true, and
    // only a range past it costs an fstat (hot paths check every offset).
    if (fits(known_size_.load(std::memory_order_relaxed))) return true;
    const std::size_t size = map_.kernel_bytes();
    known_size_.store(size, std::memory_order_relaxed);
    return fits(size);
}

std::uint32_t arena::next_generation() noexcept {
    std::uint32_t g = header().generation.fetch_add(1, std::memory_order_relaxed) + 1;
    while (g == 0) g = header().generation.fetch_add(1, std::memory_order_relaxed) + 1;
    return g;
}

std::size_t arena::free_segments() const noexcept { return pool_.free_segments(); }

std::size_t arena::bytes_in_use() {
    return heap_span_bytes() - heap_free_bytes() - free_segments() * segment_pool::segment_size;
}

std::atomic<offset_t>& arena::holders_root() const noexcept { return header().holders; }

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
