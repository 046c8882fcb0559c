// main() for a test module whose children may be started by spawn or
// forkserver: MPROC_MAIN runs first (a re-executed child never reaches
// Boost.Test), then Boost.Test. Include once, after defining BOOST_TEST_MODULE
// and BOOST_TEST_NO_MAIN and including <boost/test/unit_test.hpp>.
#pragma once

#include <mproc/context.hpp>
#include <mproc/main.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>

int main(int argc, char** argv) {
    // Lets a test simulate a program whose main() ends before MPROC_MAIN.
    if (std::getenv("MPROC_TEST_RETURN_BEFORE_HOOK")) return 3;
    // ...or one that starts a process before MPROC_MAIN (the variable is
    // dropped first, so a grandchild started anyway runs normally).
    if (std::getenv("MPROC_TEST_START_BEFORE_HOOK")) {
        ::unsetenv("MPROC_TEST_START_BEFORE_HOOK");
        auto p = mproc::get_context(mproc::spawn).Process(+[] {});
        p.start();
        p.join();
    }
    MPROC_MAIN(argc, argv);
    return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}
