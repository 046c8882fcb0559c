// Sizes and counts given to the shared-memory facades: what Python refuses
// (ValueError, OverflowError) is refused here with a clear exception before
// any arithmetic or allocation (issue 17, items 4, 7, 8), and Python's
// "<= 0 means unbounded" holds for a Queue's maxsize.
#define BOOST_TEST_MODULE limits
#include <boost/test/unit_test.hpp>

#include "transport/arena.hpp"

#include <mproc/mproc.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>

namespace mp = mproc;

namespace {

std::size_t arena_bytes() { return mproc::transport::arena::family().file_bytes(); }

}  // namespace

// Item 4: sizeof(T) * n overflowed into a tiny block whose size() said 2^61.
BOOST_AUTO_TEST_CASE(an_array_whose_byte_count_overflows_is_a_length_error) {
    mp::Value<int> neighbour(7);
    mp::Array<int> small(4);
    BOOST_CHECK_THROW(mp::Array<double>(std::size_t{1} << 61), std::length_error);
    BOOST_CHECK_THROW(mp::Array<double>(SIZE_MAX / 8 + 1), std::length_error);
    BOOST_CHECK_THROW(mp::Array<char>(SIZE_MAX), std::length_error);
    BOOST_CHECK_THROW(mp::RawArray<double>(std::size_t{1} << 61), std::length_error);
    BOOST_CHECK_THROW(mp::RawArray<std::uint64_t>(std::size_t{1} << 62), std::length_error);
    // Nothing else was touched.
    BOOST_TEST(neighbour.value() == 7);
    for (std::size_t i = 0; i < small.size(); ++i) BOOST_TEST(small[i] == 0);
    small[3] = 5;
    BOOST_TEST(small[3] == 5);
}

// Item 4: Array<double>(-1) became SIZE_MAX elements and died by SIGBUS.
BOOST_AUTO_TEST_CASE(a_negative_array_length_is_an_invalid_argument) {
    BOOST_CHECK_THROW(mp::Array<double>(-1), std::invalid_argument);
    BOOST_CHECK_THROW(mp::Array<double>(-1, false), std::invalid_argument);
    BOOST_CHECK_THROW(mp::RawArray<int>(-5), std::invalid_argument);
    BOOST_CHECK_THROW(mp::Array<char>(std::int64_t{INT64_MIN}), std::invalid_argument);
    // Zero and ordinary lengths of any integer type still work.
    BOOST_TEST(mp::Array<double>(0).size() == 0u);
    BOOST_TEST(mp::Array<double>(3).size() == 3u);
    BOOST_TEST(mp::RawArray<int>(short{2}).size() == 2u);
    BOOST_TEST(mp::Array<int>(std::size_t{5}).size() == 5u);
}

// Item 4: a size that does not overflow but cannot fit is the promised
// std::bad_alloc, and the arena is left as it was.
BOOST_AUTO_TEST_CASE(an_array_larger_than_the_shared_memory_can_grow_to_is_bad_alloc) {
    mp::Value<int> neighbour(11);
    const std::size_t before = arena_bytes();
    BOOST_CHECK_THROW(mp::Array<double>(std::size_t{1} << 58), std::bad_alloc);
    BOOST_CHECK_THROW(mp::Array<char>(PTRDIFF_MAX - 4096), std::bad_alloc);
    BOOST_TEST(arena_bytes() == before);
    BOOST_TEST(neighbour.value() == 11);
}

// Item 7: Queue<int>(-1) was always full (put_nowait threw Full on an empty
// queue, put blocked forever). Python: maxsize <= 0 is unbounded.
BOOST_AUTO_TEST_CASE(a_queue_with_a_maxsize_of_zero_or_less_is_unbounded) {
    for (long long maxsize : {-1LL, -100LL, 0LL, LLONG_MIN}) {
        mp::Queue<int> q(maxsize);
        BOOST_TEST(q.maxsize() == 0u);
        for (int i = 0; i < 1000; ++i) q.put_nowait(i);
        BOOST_TEST(!q.full());
        BOOST_TEST(q.qsize() == 1000u);
        for (int i = 0; i < 1000; ++i) BOOST_TEST(q.get_nowait() == i);
    }
    mp::JoinableQueue<int> jq(-3);
    BOOST_TEST(jq.maxsize() == 0u);
    for (int i = 0; i < 10; ++i) jq.put_nowait(i);
    BOOST_TEST(!jq.full());
}

BOOST_AUTO_TEST_CASE(a_queue_with_a_positive_maxsize_stays_bounded) {
    mp::Queue<int> q(2);
    BOOST_TEST(q.maxsize() == 2u);
    q.put_nowait(1);
    q.put_nowait(2);
    BOOST_TEST(q.full());
    BOOST_CHECK_THROW(q.put_nowait(3), mp::Full);
    mp::Queue<int> big(std::size_t{1} << 40);
    BOOST_TEST(big.maxsize() == std::size_t{1} << 40);
    big.put_nowait(1);
    BOOST_TEST(!big.full());
}

// Item 8: Semaphore(-1) held 4294967295 units. Python: ValueError.
BOOST_AUTO_TEST_CASE(a_semaphore_with_a_negative_or_too_large_value_is_refused) {
    BOOST_CHECK_THROW(mp::Semaphore(-1), std::invalid_argument);
    BOOST_CHECK_THROW(mp::BoundedSemaphore(-1), std::invalid_argument);
    BOOST_CHECK_THROW(mp::Semaphore(LLONG_MIN), std::invalid_argument);
    // Python's SEM_VALUE_MAX on Linux is INT_MAX.
    BOOST_CHECK_THROW(mp::Semaphore(static_cast<long long>(INT_MAX) + 1), std::invalid_argument);
    BOOST_CHECK_THROW(mp::Semaphore(std::uint64_t{UINT64_MAX}), std::invalid_argument);
    mp::Semaphore zero(0);
    BOOST_TEST(zero.get_value() == 0u);
    BOOST_TEST(!zero.acquire(false));
    mp::Semaphore most(INT_MAX);
    BOOST_TEST(most.get_value() == static_cast<unsigned>(INT_MAX));
    mp::BoundedSemaphore bounded(3u);
    BOOST_TEST(bounded.get_value() == 3u);
}

// Item 8: Barrier(-1) zeroed a 32 GiB block. Python: ValueError.
BOOST_AUTO_TEST_CASE(a_barrier_with_no_or_impossible_parties_is_refused_before_allocating) {
    const std::size_t before = arena_bytes();
    BOOST_CHECK_THROW(mp::Barrier(-1), std::invalid_argument);
    BOOST_CHECK_THROW(mp::Barrier(0), std::invalid_argument);
    BOOST_CHECK_THROW(mp::Barrier(LLONG_MIN), std::invalid_argument);
    // More parties than Linux can have threads (pid_max <= 2^22) can never meet.
    BOOST_CHECK_THROW(mp::Barrier(UINT_MAX), std::invalid_argument);
    BOOST_CHECK_THROW(mp::Barrier((1LL << 22) + 1), std::invalid_argument);
    BOOST_TEST(arena_bytes() == before);
    mp::Barrier one(1);
    BOOST_TEST(one.parties() == 1u);
    BOOST_TEST(one.wait() == 0u);
}
