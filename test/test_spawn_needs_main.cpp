// A program whose main() lacks MPROC_MAIN: spawn and forkserver refuse to
// start (they would run main again in the child); fork works.
#define BOOST_TEST_MODULE spawn_needs_main
#include <boost/test/unit_test.hpp>

#include <mproc/mproc.hpp>

#include <string>

namespace mp = mproc;

namespace {
void do_nothing() {}
}  // namespace

BOOST_AUTO_TEST_CASE(spawn_and_forkserver_need_mproc_main) {
    for (auto method : {mp::start_method::spawn, mp::start_method::forkserver}) {
        auto p = mp::get_context(method).Process(do_nothing);
        try {
            p.start();
            BOOST_FAIL("start() should have thrown");
        } catch (const mp::ProcessError& e) {
            BOOST_TEST(std::string(e.what()).find("MPROC_MAIN(argc, argv)") != std::string::npos, e.what());
        }
        BOOST_TEST(p.pid() == 0);
        BOOST_TEST(mp::active_children().empty());
    }
    auto p = mp::get_context(mp::fork).Process(do_nothing);
    p.start();
    p.join();
    BOOST_TEST(p.exitcode().value() == 0);
}
