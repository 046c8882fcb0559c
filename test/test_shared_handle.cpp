// The handle of a shared object ((detail/transport/shared_handle.hpp)): decoded from
// bytes, it is checked against the block it names (bounds, kind tag,
// generation) and accepted only with its descriptor, as a task's argument
// (issue 17 item 6: recv<Lock> / loads<Lock> / recv<Queue<int>> took a
// memory offset a peer chose).
#define BOOST_TEST_MODULE shared_handle
#include <boost/test/unit_test.hpp>

#include "transport/arena.hpp"
#include "transport/fd_table.hpp"
#include "transport/shared_handle.hpp"

#include <mproc/mproc.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
namespace tr = mproc::transport;
using namespace std::chrono_literals;

namespace {

// The bytes a handle crosses as (in a task being encoded, as a Process or
// Pool argument would be).
template <class T>
std::string task_bytes(const T& obj) {
    mp::detail::fd_capture capture;
    return mp::dumps(obj);
}

// Decodes `bytes` as a task's argument would be: with the arena's descriptor.
template <class T>
T decode_in_task(const std::string& bytes) {
    tr::fd_import_scope scope({::dup(tr::arena::family().fd())});
    return mp::loads<T>(bytes);
}

// The head offset of the block `h` names, and where the wire's offset field
// sits in `bytes` (found by value: the generation follows 16 bytes after).
std::uint64_t head_of(const mp::detail::shared_handle& h) { return tr::payload_offset(h) - 64; }
std::size_t field_at(const std::string& bytes, std::uint64_t value) {
    for (std::size_t i = 0; i + 8 <= bytes.size(); ++i)
        if (std::memcmp(bytes.data() + i, &value, 8) == 0) return i;
    BOOST_FAIL("the offset is not in the bytes");
    return 0;
}
template <class V>
void patch(std::string& bytes, std::size_t at, V v) {
    std::memcpy(bytes.data() + at, &v, sizeof v);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_lock_decoded_from_plain_bytes_is_refused) {
    mp::Lock lock;
    const std::string bytes = task_bytes(lock);
    // The arena is mapped here: the bytes name a real block, yet without the
    // descriptor they are plain bytes, not a handle.
    BOOST_CHECK_THROW(mp::loads<mp::Lock>(bytes), mp::ProtocolError);
    auto [a, b] = mp::Pipe();
    a.send_bytes(bytes);
    BOOST_CHECK_THROW(b.recv<mp::Lock>(), mp::ProtocolError);
    BOOST_TEST(lock.acquire(false));  // nobody wrote into it
}

BOOST_AUTO_TEST_CASE(a_queue_decoded_from_plain_bytes_is_refused) {
    mp::Queue<int> q;
    q.put(7);
    auto [a, b] = mp::Pipe();
    a.send_bytes(task_bytes(q));
    BOOST_CHECK_THROW(b.recv<mp::Queue<int>>(), mp::ProtocolError);
    BOOST_TEST(q.get(0s) == 7);
}

BOOST_AUTO_TEST_CASE(a_handle_with_its_descriptor_names_the_same_object) {
    mp::Lock lock;
    mp::Lock twin = decode_in_task<mp::Lock>(task_bytes(lock));
    BOOST_TEST(twin.acquire(false));
    BOOST_TEST(!lock.acquire(false));
    lock.release();
    mp::Queue<int> q;
    auto q2 = decode_in_task<mp::Queue<int>>(task_bytes(q));
    q2.put(5);
    BOOST_TEST(q.get(0s) == 5);
}

BOOST_AUTO_TEST_CASE(a_peer_chosen_offset_is_refused) {
    mp::Lock lock;
    std::string bytes = task_bytes(lock);
    const std::size_t at = field_at(bytes, head_of(lock.block()));
    for (std::uint64_t wild : {std::uint64_t{0}, std::uint64_t{8}, std::uint64_t{1} << 39, ~std::uint64_t{0} - 63,
                               head_of(lock.block()) + 64}) {
        std::string bad = bytes;
        patch(bad, at, wild);
        BOOST_CHECK_THROW(decode_in_task<mp::Lock>(bad), mp::ProtocolError);
    }
    BOOST_TEST(lock.acquire(false));
}

BOOST_AUTO_TEST_CASE(another_kind_of_block_is_refused_by_its_tag) {
    using mp::detail::shared_handle;
    using mp::detail::shared_kind;
    mp::Lock lock;
    const std::string bytes = task_bytes(lock);
    const std::size_t at = field_at(bytes, head_of(lock.block()));
    const shared_handle event(shared_kind::event, 64, 64);
    const std::uint32_t event_generation = tr::arena::family().at<tr::block_head>(head_of(event))->generation;
    // The wire says "lock", the block at the offset is an event's.
    std::string bad = bytes;
    patch(bad, at, head_of(event));
    patch(bad, at + 16, event_generation);
    BOOST_CHECK_THROW(decode_in_task<mp::Lock>(bad), mp::ProtocolError);
    // The wire says "event" where a Lock is expected.
    bad = bytes;
    patch(bad, at + 12, static_cast<std::uint32_t>(shared_kind::event));
    BOOST_CHECK_THROW(decode_in_task<mp::Lock>(bad), mp::ProtocolError);
    // A whole Queue<int> decoded as a Lock.
    mp::Queue<int> q;
    BOOST_CHECK_THROW(decode_in_task<mp::Lock>(task_bytes(q)), mp::ProtocolError);
}

BOOST_AUTO_TEST_CASE(a_freed_or_remade_block_is_refused_by_its_generation) {
    using mp::detail::shared_handle;
    using mp::detail::shared_kind;
    mp::Lock lock;
    const std::string bytes = task_bytes(lock);
    const std::size_t at = field_at(bytes, head_of(lock.block()));
    std::string bad = bytes;
    const std::uint32_t generation = tr::arena::family().at<tr::block_head>(head_of(lock.block()))->generation;
    patch(bad, at + 16, generation + 1);
    BOOST_CHECK_THROW(decode_in_task<mp::Lock>(bad), mp::ProtocolError);
    // A lock freed with its last handle (never crossed): its place is refused.
    std::uint64_t freed_at = 0;
    std::uint32_t freed_generation = 0;
    {
        const shared_handle gone(shared_kind::lock, 64, 64);
        freed_at = head_of(gone);
        freed_generation = tr::arena::family().at<tr::block_head>(freed_at)->generation;
    }
    bad = bytes;
    patch(bad, at, freed_at);
    patch(bad, at + 16, freed_generation);
    BOOST_CHECK_THROW(decode_in_task<mp::Lock>(bad), mp::ProtocolError);
    BOOST_CHECK_NO_THROW(decode_in_task<mp::Lock>(bytes));
}
