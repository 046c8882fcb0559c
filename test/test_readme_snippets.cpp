// The README's examples compile cleanly under -Wall -Wextra -Werror, as a user
// with strict warnings would build them (test/snippets/readme.cpp): option
// aggregates such as PoolOptions{.processes = 2, .initializer = f} must not
// warn about the fields left out.
#define BOOST_TEST_MODULE readme_snippets
#include <boost/test/unit_test.hpp>

#include "support/checkout.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using test_support::quoted;

BOOST_AUTO_TEST_CASE(the_readme_examples_compile_under_wextra_werror) {
    const fs::path root = test_support::checkout_root();
    const fs::path log = fs::temp_directory_path() / ("mproc-readme-" + std::to_string(::getpid()) + ".log");
    const std::string command = "g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I" + quoted(root / "include") +
                                " " + quoted(root / "test/snippets/readme.cpp") + " >" + quoted(log) + " 2>&1";
    test_support::drop_sanitizer_environment();
    const int status = std::system(command.c_str());
    const std::string output = test_support::read_file(log);
    fs::remove(log);
    BOOST_TEST(status == 0, "g++ -Wall -Wextra -Werror failed:\n" << output);
    BOOST_TEST(output.empty(), output);
}
