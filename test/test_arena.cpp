// The arena on its own: its heap, its segment pool and arena_allocator
// (a Boost.Interprocess map shared across a fork), below every facade.
#define BOOST_TEST_MODULE arena
#include <boost/test/unit_test.hpp>

#include "posix/robust_mutex.hpp"
#include "transport/arena.hpp"

#include "support/child.hpp"
#include "support/heap_kills.hpp"

#include <mproc/detail/transport/arena_allocator.hpp>
#include <mproc/errors.hpp>

#include <boost/interprocess/containers/map.hpp>
#include <boost/interprocess/containers/string.hpp>
#include <boost/interprocess/containers/vector.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>
#include <utility>

namespace tr = mproc::transport;
namespace posix = mproc::posix;
namespace bi = boost::interprocess;
using mproc::detail::arena_allocator;
using test_support::fork_child;
using test_support::wait_child;

namespace {

using entry = std::pair<const int, double>;
using shared_map = bi::map<int, double, std::less<int>, arena_allocator<entry>>;

// A container and the robust lock guarding it, both in the arena.
template <class C>
struct guarded {
    posix::robust_mutex lock;
    C value;
    explicit guarded(const arena_allocator<char>& a) : value(a) {}
};

template <class T, class... Args>
T* make_in_arena(Args&&... args) {
    arena_allocator<T> a;
    return std::construct_at(a.allocate(1).get(), std::forward<Args>(args)...);
}

template <class T>
void free_in_arena(T* p) {
    std::destroy_at(p);
    arena_allocator<T>().deallocate(p, 1);
}

// Bytes of the heap in use (by every block of this process).
std::size_t heap_used(tr::arena& a) { return a.heap_span_bytes() - a.heap_free_bytes(); }

}  // namespace

// ---- the heap ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_heap_gives_aligned_blocks_of_the_size_asked_and_takes_them_back) {
    tr::arena& a = tr::arena::family();
    const std::size_t used = heap_used(a);
    std::vector<void*> blocks;
    std::set<std::uintptr_t> starts;
    for (std::size_t align : {std::size_t{8}, std::size_t{64}, std::size_t{256}, std::size_t{4096}})
        for (std::size_t bytes : {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{1000}, std::size_t{5000}}) {
            void* p = a.allocate(bytes, align);
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % align == 0u);
            BOOST_TEST(a.holds(a.offset_of(p), bytes));
            BOOST_TEST(a.block_bytes(p) >= bytes);
            std::memset(p, 0x5a, bytes);  // its own bytes: no neighbour is hurt (ASan and the tags)
            starts.insert(reinterpret_cast<std::uintptr_t>(p));
            blocks.push_back(p);
        }
    BOOST_TEST(starts.size() == blocks.size());
    BOOST_TEST(heap_used(a) > used);
    for (void* p : blocks) a.deallocate(p);
    BOOST_TEST(heap_used(a) == used);  // every block merged back
}

BOOST_AUTO_TEST_CASE(a_freed_block_is_reused_and_the_file_does_not_grow_for_it) {
    tr::arena& a = tr::arena::family();
    void* p = a.allocate(3000, 64);
    const std::size_t file = a.file_bytes();
    a.deallocate(p);
    for (int i = 0; i < 1000; ++i) a.deallocate(a.allocate(3000, 64));
    BOOST_TEST(a.file_bytes() == file);
}

BOOST_AUTO_TEST_CASE(the_heap_grows_the_file_for_a_big_block_and_exhaustion_changes_nothing) {
    tr::arena& a = tr::arena::family();
    const std::size_t file = a.file_bytes();
    const std::size_t bytes = file * 3;  // more than the file holds
    char* big = static_cast<char*>(a.allocate(bytes, 64));
    BOOST_TEST(a.file_bytes() > file);
    big[0] = 1;
    big[bytes - 1] = 1;  // backed: no SIGBUS
    const std::size_t used = heap_used(a);
    const std::size_t grown = a.file_bytes();
    BOOST_CHECK_THROW(a.allocate(a.reserve(), 64), std::bad_alloc);
    BOOST_CHECK_THROW(a.allocate(SIZE_MAX - 10, 64), std::bad_alloc);
    BOOST_TEST(heap_used(a) == used);  // the refused allocation was rolled back whole
    BOOST_TEST(a.file_bytes() == grown);
    a.deallocate(big);
}

BOOST_AUTO_TEST_CASE(a_block_freed_twice_or_a_wild_pointer_is_refused_without_harm) {
    tr::arena& a = tr::arena::family();
    const std::size_t used = heap_used(a);
    void* p = a.allocate(500, 64);
    a.deallocate(p);
    a.deallocate(p);  // refused: the block is free
    BOOST_CHECK_THROW(a.block_bytes(p), mproc::Error);
    alignas(64) static char elsewhere[128];
    a.deallocate(elsewhere + 64);  // not the arena's: refused
    char* inside = static_cast<char*>(a.allocate(500, 64));
    std::memset(inside, 0, 500);  // no stale head of an earlier block in it
    a.deallocate(inside + 64);    // not a block's start: refused
    void* x = a.allocate(500, 64);
    void* y = a.allocate(500, 64);
    BOOST_TEST(x != y);  // the double free did not list the block twice
    a.deallocate(x);
    a.deallocate(y);
    BOOST_TEST(heap_used(a) == used + a.block_bytes(inside));  // only the block freed at a wrong pointer
    a.deallocate(inside);
}

// ---- issue 17 item 19: offsets read from shared memory are checked --------------------

BOOST_AUTO_TEST_CASE(a_wild_word_a_child_writes_into_the_free_list_is_a_clear_error_not_a_segfault) {
    tr::arena& a = tr::arena::family();
    const unsigned order = tr::arena_heap::order_for(100, 64);
    // A free block of that order at the head of its list.
    void* keep = a.allocate(100, 64);
    void* freed = a.allocate(100, 64);
    a.deallocate(freed);
    tr::offset_t& head = a.heap().list_head(order);
    BOOST_TEST_REQUIRE(head != 0u);
    const tr::offset_t was = head;
    for (std::uint64_t wild : {std::uint64_t{0xdead0000beef}, std::uint64_t{64}, std::uint64_t{was + 64}}) {
        const pid_t child = fork_child([&] { a.heap().list_head(order) = wild; });
        BOOST_TEST_REQUIRE(wait_child(child) == 0);
        BOOST_CHECK_THROW(a.allocate(100, 64), mproc::Error);
        BOOST_CHECK_THROW(a.heap_free_bytes(), mproc::Error);
        head = was;  // repaired: the heap goes on
    }
    // A wild link inside the free block itself.
    std::uint64_t& next = *a.at<std::uint64_t>(was + 8);
    const std::uint64_t next_was = next;
    const pid_t child = fork_child([&] { *a.at<std::uint64_t>(was + 8) = a.reserve() - 64; });
    BOOST_TEST_REQUIRE(wait_child(child) == 0);
    try {
        a.allocate(100, 64);
        BOOST_FAIL("a wild link was followed");
    } catch (const mproc::Error& e) {
        BOOST_TEST(std::string(e.what()).find("corrupt") != std::string::npos);
    }
    next = next_was;
    a.deallocate(a.allocate(100, 64));
    a.deallocate(keep);
}

BOOST_AUTO_TEST_CASE(a_wild_link_in_the_segment_pool_is_a_clear_error) {
    tr::arena& a = tr::arena::family();
    const tr::offset_t s = a.take_segments(2);
    const tr::offset_t second = *tr::segment_link(a, s);
    a.give_segments(s, second, 2);
    const pid_t child = fork_child([&] { *tr::segment_link(a, s) = 0x123456789; });
    BOOST_TEST_REQUIRE(wait_child(child) == 0);
    BOOST_CHECK_THROW(a.take_segments(2), mproc::Error);
    *tr::segment_link(a, s) = second;
    const tr::offset_t again = a.take_segments(2);
    BOOST_TEST(again == s);
    a.give_segments(again, *tr::segment_link(a, again), 2);
}

// ---- the segment pool --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_segment_pool_takes_refills_gives_back_and_reuses) {
    tr::arena& a = tr::arena::family();
    const std::size_t want = a.free_segments() + 100;  // past what it holds: a refill
    const tr::offset_t first = a.take_segments(want);
    std::set<tr::offset_t> taken;
    tr::offset_t last = first;
    for (tr::offset_t s = first; s; s = *tr::segment_link(a, s)) {
        BOOST_TEST_REQUIRE(s % tr::arena::segment_size == 0u);
        BOOST_TEST_REQUIRE(a.holds(s, tr::arena::segment_size));
        taken.insert(s);
        last = s;
    }
    BOOST_TEST(taken.size() == want);
    const std::size_t used = heap_used(a);
    const std::size_t pooled = a.free_segments();
    a.give_segments(first, last, want);
    BOOST_TEST(a.free_segments() == pooled + want);
    const tr::offset_t again = a.take_segments(want);
    std::size_t reused = 0;
    for (tr::offset_t s = again; s; s = *tr::segment_link(a, s)) reused += taken.count(s);
    BOOST_TEST(reused == want);      // the chain given back, nothing new
    BOOST_TEST(heap_used(a) == used);  // no refill
    tr::offset_t end = again;
    while (*tr::segment_link(a, end)) end = *tr::segment_link(a, end);
    a.give_segments(again, end, want);
    BOOST_CHECK_THROW(a.take_segments(a.reserve() / tr::arena::segment_size + 1), std::bad_alloc);
    BOOST_TEST(a.free_segments() == pooled + want);  // the refused take changed nothing
}

// ---- crash consistency -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(processes_killed_at_random_instants_in_the_heap_leave_every_operation_done_or_not_done) {
    // 200 kills or 12 s (a loaded machine, a sanitizer), whichever comes first.
    const test_support::heap_kill_figures f = test_support::kill_heap_users(12.0, 200);
    BOOST_TEST_MESSAGE("kills " << f.kills << " (mid-operation " << f.mid_operation << "), allocations "
                                << f.allocations << ", frees " << f.frees << ", leaked bytes " << f.leaked_bytes
                                << ", refusals " << f.refusals);
    BOOST_TEST(f.failed_children == 0);
    BOOST_TEST(f.kills >= 20);
    if (f.kills >= 150) BOOST_TEST(f.mid_operation > 0);  // the rollback path was taken (7% of kills when measured)
    BOOST_TEST(f.refusals == 0);
    BOOST_TEST(f.leaked_bytes == 0);
}

// ---- arena_allocator -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_map_filled_here_is_read_and_updated_by_a_forked_child_and_seen_after) {
    tr::arena& a = tr::arena::family();
    auto* m = make_in_arena<guarded<shared_map>>(arena_allocator<char>());
    BOOST_TEST(a.holds(a.offset_of(m), sizeof *m));
    for (int i = 0; i < 100; ++i) m->value.emplace(i, i * 0.5);
    const std::size_t file_before = a.file_bytes();
    // More inserts than the heap has room for: the child grows the file.
    const int added = static_cast<int>(a.heap_free_bytes() / 128 + 2000);

    const pid_t child = fork_child([&] {
        posix::robust_guard g(m->lock);
        if (m->value.size() != 100u) throw std::runtime_error("the child sees another map");
        for (int i = 0; i < 100; ++i) {
            if (m->value.at(i) != i * 0.5) throw std::runtime_error("the child reads a wrong value");
            m->value.at(i) = i * 2.0;
        }
        for (int i = 0; i < added; ++i) m->value.emplace(1000 + i, -i);
    });
    BOOST_TEST(wait_child(child) == 0);

    posix::robust_guard g(m->lock);
    BOOST_TEST(!g.owner_died());
    BOOST_TEST(a.file_bytes() > file_before);  // grown by the child, seen here
    BOOST_TEST(m->value.size() == 100u + static_cast<std::size_t>(added));
    bool all = true;
    for (int i = 0; i < 100; ++i) all = all && m->value.at(i) == i * 2.0;
    for (int i = 0; i < added; ++i) all = all && m->value.at(1000 + i) == -i;
    BOOST_TEST(all);
    m->value.emplace(-1, 1.5);  // and it goes on here
    BOOST_TEST(m->value.at(-1) == 1.5);
    g.unlock();
    free_in_arena(m);
}

BOOST_AUTO_TEST_CASE(vectors_and_strings_live_in_the_arena_too) {
    using shared_string = bi::basic_string<char, std::char_traits<char>, arena_allocator<char>>;
    using shared_strings = bi::vector<shared_string, arena_allocator<shared_string>>;
    tr::arena& a = tr::arena::family();
    auto* v = make_in_arena<shared_strings>(arena_allocator<shared_string>());
    for (int i = 0; i < 50; ++i) v->emplace_back(std::string(100 + i, char('a' + i % 26)).c_str(), v->get_allocator());
    const pid_t child = fork_child([&] {
        if (v->size() != 50u || (*v)[7].size() != 107u || (*v)[7][0] != 'h') throw std::runtime_error("wrong strings");
        (*v)[7] = shared_string("changed by the child", v->get_allocator());
    });
    BOOST_TEST(wait_child(child) == 0);
    BOOST_TEST(std::string((*v)[7].c_str()) == "changed by the child");
    BOOST_TEST(a.holds(a.offset_of((*v)[49].data()), (*v)[49].size()));
    free_in_arena(v);
}

BOOST_AUTO_TEST_CASE(an_allocator_naming_no_arena_is_refused) {
    alignas(8) char elsewhere[64];
    BOOST_CHECK_THROW(mproc::detail::arena_allocate(elsewhere, 16, 8), std::invalid_argument);
}
