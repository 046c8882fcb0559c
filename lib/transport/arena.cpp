#include "transport/arena.hpp"

#include "posix/address_space.hpp"
#include "posix/fork.hpp"
#include "posix/robust_mutex.hpp"

#include <mproc/detail/transport/fd_transfer.hpp>
#include <mproc/errors.hpp>

#include <boost/interprocess/indexes/null_index.hpp>
#include <boost/interprocess/managed_external_buffer.hpp>
#include <boost/interprocess/mem_algo/rbtree_best_fit.hpp>
#include <boost/interprocess/sync/mutex_family.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <system_error>
#include <new>
#include <random>
#include <vector>

namespace mproc::transport {

namespace bi = boost::interprocess;

namespace {

constexpr std::uint64_t arena_magic = 0x616e657261636f72ULL;  // "mproc arena"
constexpr std::size_t heap_offset = 4096;                       // the header's page
constexpr std::size_t initial_file = 1u << 20;
// Chains at least this long give their pages back when freed (big messages).
constexpr std::size_t trim_chain = 256;

// No internal mutex: Boost 1.81's interprocess mutex cannot recover from a
// dead owner; the arena's robust lock guards every call instead.
using managed_heap =
    bi::basic_managed_external_buffer<char, bi::rbtree_best_fit<bi::null_mutex_family, bi::offset_ptr<void>>,
                                      bi::null_index>;

std::uint64_t random_id() {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
}

}  // namespace

struct arena_header {
    std::uint64_t magic;
    std::uint64_t id;
    std::uint64_t reserve;
    std::uint64_t file_size;  // bytes the file holds (under lock)
    posix::robust_mutex lock;
    std::uint32_t in_heap;   // set while Boost's allocator runs
    std::uint32_t damaged;   // a process died inside it
    offset_t free_head;      // pool of free segments, linked by their first word
    std::uint64_t free_count;
    std::uint64_t total_segments;
    std::atomic<std::uint32_t> generation;  // blocks made so far
    std::atomic<offset_t> holders;          // the shared handles' table of holders
};
static_assert(sizeof(arena_header) <= heap_offset);

struct arena::heap {
    managed_heap managed;
};

namespace {

// Holds the arena lock; a dead owner caught inside Boost's allocator marks
// the heap damaged (the segment pool needs no repair: single stores).
class arena_guard {
public:
    explicit arena_guard(arena_header& h) : guard_(h.lock) {
        if (guard_.owner_died() && h.in_heap) {
            h.damaged = 1;
            h.in_heap = 0;
        }
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

// The reservation a new arena tries first: 1 TiB of address space (it costs
// no memory), but never more than an eighth of what RLIMIT_AS still allows
// (`ulimit -v`: a Lock must not take the budget of the program's own
// allocations; under a 2 GiB limit that is about 256 MiB). Failing that, a
// quarter as much, down to least_reserve.
constexpr std::size_t least_reserve = std::size_t{16} << 20;

std::size_t first_reserve() noexcept {
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer leaves about 1.5 TiB of application address space: a
    // spawned child often could not map the creator's 1 TiB again.
    constexpr std::size_t most = std::size_t{64} << 30;
#else
    constexpr std::size_t most = std::size_t{1} << 40;
#endif
    const std::size_t share = posix::address_space_left() / 8 & ~(arena::segment_size - 1);
    return std::max(std::min(most, share), least_reserve);
}

posix::memfd_mapping map_reservation(int fd, std::size_t reserve) {
    return posix::memfd_mapping(fd, reserve, arena::segment_size);
}

}  // namespace

arena::arena(posix::unique_fd fd, posix::memfd_mapping map, std::uint64_t id)
    : fd_(std::move(fd)), map_(std::move(map)), id_(id), heap_(std::make_unique<heap>()) {}

arena::~arena() = default;

std::unique_ptr<arena> arena::create() {
    posix::unique_fd fd = posix::memfd_create_sized("mproc-arena", initial_file);
    posix::memfd_mapping map;
    for (std::size_t reserve = first_reserve();; reserve /= 4) {
        try {
            map = map_reservation(fd.get(), reserve);
            break;
        } catch (const std::system_error&) {
            if (reserve / 4 < least_reserve) throw;
        }
    }
    const std::uint64_t id = random_id();
    auto* h = new (map.data()) arena_header{arena_magic, id, map.reserve(), initial_file, {}, 0, 0, 0, 0, 0, {0}};
    std::unique_ptr<arena> a(new arena(std::move(fd), std::move(map), id));
    a->heap_->managed = managed_heap(bi::create_only, a->base() + heap_offset, initial_file - heap_offset);
    static_cast<void>(h);
    return a;
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

arena& arena::attach(posix::unique_fd fd, std::uint64_t id, std::size_t reserve) {
    registry& r = arenas();
    std::lock_guard lock(r.mutex);
    for (arena* a : r.all)
        if (a->id_ == id) return *a;
    if (posix::file_size(fd.get()) < initial_file) throw ProtocolError("a queue's shared memory is not an mproc arena");
    posix::memfd_mapping map = map_reservation(fd.get(), reserve);
    const auto* h = reinterpret_cast<const arena_header*>(map.data());
    if (h->magic != arena_magic || h->id != id || h->reserve != reserve)
        throw ProtocolError("a queue's shared memory is not the mproc arena it claims to be");
    std::unique_ptr<arena> a(new arena(std::move(fd), std::move(map), id));
    a->heap_->managed = managed_heap(bi::open_only, a->base() + heap_offset, h->file_size - heap_offset);
    arena* made = a.release();
    r.all.push_back(made);
    if (!r.family) r.family = made;  // the family's arena, not a second one
    return *made;
}

arena::crossing arena::cross() const { return {id_, map_.reserve(), detail::export_fd(fd_.get())}; }

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

void arena::grow_heap(std::size_t bytes) {
    arena_header& h = header();
    const std::size_t old_size = h.file_size;
    std::size_t want = std::max(old_size * 2, old_size + bytes + 2 * segment_size);
    want = (want + segment_size - 1) & ~(segment_size - 1);
    want = std::min<std::size_t>(want, h.reserve);
    if (want < old_size + bytes) throw std::bad_alloc();
    posix::grow_file(fd_.get(), want);
    h.in_heap = 1;
    heap_->managed.grow(want - old_size);
    h.in_heap = 0;
    h.file_size = want;
}

void* arena::allocate(std::size_t bytes, std::size_t align) {
    arena_header& h = header();
    arena_guard guard(h);
    if (h.damaged)
        throw Error("mproc: the shared-memory arena's heap was damaged by a process killed while allocating in it");
    for (int attempt = 0;; ++attempt) {
        h.in_heap = 1;
        void* p = heap_->managed.allocate_aligned(bytes, align, std::nothrow);
        h.in_heap = 0;
        if (p) return p;
        if (attempt == 2) throw std::bad_alloc();
        grow_heap(bytes + align);
    }
}

void arena::deallocate(void* p) noexcept {
    if (!p) return;
    arena_header& h = header();
    arena_guard guard(h);
    if (h.damaged) return;  // leaked: the tree cannot be trusted
    h.in_heap = 1;
    heap_->managed.deallocate(p);
    h.in_heap = 0;
}

offset_t arena::take_segments(std::size_t count) {
    arena_header& h = header();
    arena_guard guard(h);
    for (;;) {
        // Walk the pool (never trust a count a dead process may have left
        // half updated): the chain is long enough, or it is refilled.
        offset_t last = h.free_head;
        std::size_t found = last ? 1 : 0;
        while (found && found < count && *segment_link(*this, last)) {
            last = *segment_link(*this, last);
            ++found;
        }
        if (found == count) {
            const offset_t first = h.free_head;
            const offset_t rest = *segment_link(*this, last);
            *segment_link(*this, last) = 0;
            h.free_head = rest;  // the one store that takes them
            h.free_count = h.free_count > count ? h.free_count - count : 0;
            return first;
        }
        refill(count - found);
    }
}

void arena::refill(std::size_t missing) {
    arena_header& h = header();
    if (h.damaged)
        throw Error("mproc: the shared-memory arena's heap was damaged by a process killed while allocating in it");
    // Batches grow with the family's use, so big messages take few refills.
    std::size_t batch = std::max<std::size_t>({missing, 32, h.total_segments / 4});
    char* block = nullptr;
    for (int attempt = 0; !block; ++attempt) {
        h.in_heap = 1;
        block = static_cast<char*>(heap_->managed.allocate_aligned(batch * segment_size, segment_size, std::nothrow));
        h.in_heap = 0;
        if (block) break;
        try {
            if (attempt >= 2) throw std::bad_alloc();
            grow_heap(batch * segment_size + segment_size);
        } catch (const std::bad_alloc&) {
            if (batch == missing) throw;
            batch = missing;  // the reservation may hold what is needed, not more
            attempt = -1;
        }
    }
    // Link the new segments, then make them the pool's head in one store.
    const offset_t first = offset_of(block);
    for (std::size_t i = 0; i + 1 < batch; ++i)
        *segment_link(*this, first + i * segment_size) = first + (i + 1) * segment_size;
    *segment_link(*this, first + (batch - 1) * segment_size) = h.free_head;
    h.free_head = first;
    h.free_count += batch;
    h.total_segments += batch;
}

void arena::give_segments(offset_t first, offset_t last, std::size_t count) noexcept {
    if (!first) return;
    if (count >= trim_chain) {
        // A big message's memory goes back to the system, not only to the pool.
        const std::size_t page = posix::page_size();
        for (offset_t s = first; s; s = *segment_link(*this, s)) {
            posix::release_pages(base() + s + page, segment_size - page);
            if (s == last) break;
        }
    }
    arena_header& h = header();
    arena_guard guard(h);
    *segment_link(*this, last) = h.free_head;
    h.free_head = first;  // the one store that gives them
    h.free_count += count;
}

std::size_t arena::file_bytes() const noexcept { return header().file_size; }

bool arena::holds(offset_t off, std::size_t bytes) const noexcept {
    const auto fits = [&](std::size_t size) { return off >= heap_offset && off <= size && bytes <= size - off; };
    // The file never shrinks: a size the kernel gave once stays true, and
    // only a range past it costs an fstat (hot paths check every offset).
    if (fits(known_size_.load(std::memory_order_relaxed))) return true;
    std::size_t size = 0;
    try {
        size = std::min(posix::file_size(fd_.get()), map_.reserve());
    } catch (const std::system_error&) {
        return false;
    }
    known_size_.store(size, std::memory_order_relaxed);
    return fits(size);
}

std::uint32_t arena::next_generation() noexcept {
    std::uint32_t g = header().generation.fetch_add(1, std::memory_order_relaxed) + 1;
    while (g == 0) g = header().generation.fetch_add(1, std::memory_order_relaxed) + 1;
    return g;
}
std::size_t arena::free_segments() const noexcept { return header().free_count; }

std::size_t arena::bytes_in_use() const noexcept {
    arena_guard guard(header());
    return heap_->managed.get_size() - heap_->managed.get_free_memory() - header().free_count * segment_size;
}

std::atomic<offset_t>& arena::holders_root() const noexcept { return header().holders; }

}  // namespace mproc::transport
