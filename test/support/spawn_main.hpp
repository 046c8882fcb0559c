// main() for a test module whose children may be started by spawn or
// forkserver: MPROC_MAIN runs first (a re-executed child never reaches
// Boost.Test), then Boost.Test. Include once, after defining BOOST_TEST_MODULE
// and BOOST_TEST_NO_MAIN and including <boost/test/unit_test.hpp>.
#pragma once

#include <mproc/main.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>

int main(int argc, char** argv) {
    // Lets a test simulate a program whose main() ends before MPROC_MAIN.
    if (std::getenv("MPROC_TEST_RETURN_BEFORE_HOOK")) return 3;
    MPROC_MAIN(argc, argv);
    return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}
