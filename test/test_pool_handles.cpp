// Handles as Pool task arguments: not supported yet (a Pool encodes its
// tasks but passes no descriptors to its workers). Submitting one is a clear
// ProcessError before anything is sent, and the pool goes on.
#define BOOST_TEST_MODULE pool_handles
#define BOOST_TEST_NO_MAIN
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <string>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::methods;

namespace {

int put_square(mp::Queue<int> q, int x) {
    q.put(x * x);
    return x;
}

int square(int x) { return x * x; }

}  // namespace

BOOST_DATA_TEST_CASE(a_queue_as_a_pool_task_argument_is_refused_clearly, methods(), method) {
    mp::Queue<int> q;
    mp::Pool pool = mp::get_context(method).Pool(1);
    try {
        pool.apply(put_square, q, 3);
        BOOST_FAIL("a Queue crossed as a Pool task argument");
    } catch (const mp::ProcessError& e) {
        BOOST_TEST(std::string(e.what()).find("not as a Pool task argument") != std::string::npos, e.what());
    }
    BOOST_TEST(pool.apply(square, 7) == 49);  // the pool goes on
    BOOST_TEST(q.empty());
}
