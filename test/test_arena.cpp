// The arena on its own: its heap, its segment pool and arena_allocator
// (a Boost.Interprocess map shared across a fork), below every facade.
#define BOOST_TEST_MODULE arena
#include <boost/test/unit_test.hpp>

#include "posix/robust_mutex.hpp"
#include "transport/arena.hpp"

#include "support/child.hpp"

#include <mproc/detail/transport/arena_allocator.hpp>

#include <boost/interprocess/containers/map.hpp>
#include <boost/interprocess/containers/string.hpp>
#include <boost/interprocess/containers/vector.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <set>
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

}  // namespace

// ---- arena_allocator -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_map_filled_here_is_read_and_updated_by_a_forked_child_and_seen_after) {
    tr::arena& a = tr::arena::family();
    auto* m = make_in_arena<guarded<shared_map>>(arena_allocator<char>());
    BOOST_TEST(a.holds(a.offset_of(m), sizeof *m));
    for (int i = 0; i < 100; ++i) m->value.emplace(i, i * 0.5);
    const std::size_t file_before = a.file_bytes();
    // Enough inserts to grow the file several times over, in the child only.
    const int added = static_cast<int>(file_before / 16);

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
