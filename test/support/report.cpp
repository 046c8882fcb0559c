// Prints one countable line per test module; ./build.sh sums these lines into
// the closing "N passed, N failed".
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstring>

namespace {

struct report_results {
    ~report_results() {
        namespace ut = boost::unit_test;
        const ut::test_results& r = ut::results_collector.results(ut::framework::master_test_suite().p_id);

        // Named after the binary (test_<module>), as build.sh expects.
        const ut::master_test_suite_t& suite = ut::framework::master_test_suite();
        const char* name = suite.argc > 0 ? std::strrchr(suite.argv[0], '/') : nullptr;
        name = name ? name + 1 : (suite.argc > 0 ? suite.argv[0] : "?");
        std::printf("mproc-test-result: %s %lu passed, %lu failed\n", name,
                    static_cast<unsigned long>(r.p_test_cases_passed),
                    static_cast<unsigned long>(r.p_test_cases_failed));
        std::fflush(stdout);
    }
};

}  // namespace

BOOST_TEST_GLOBAL_CONFIGURATION(report_results);
