// The README's examples compile cleanly under -Wall -Wextra -Werror, as a user
// with strict warnings would build them (test/snippets/readme.cpp): option
// aggregates such as PoolOptions{.processes = 2, .initializer = f} must not
// warn about the fields left out.
#define BOOST_TEST_MODULE readme_snippets
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

// The checkout this test binary was built from: b2 puts it under <root>/bin/.
fs::path source_root() {
    for (fs::path dir = fs::read_symlink("/proc/self/exe").parent_path(); dir != dir.root_path();
         dir = dir.parent_path()) {
        if (fs::exists(dir / "Jamroot") && fs::exists(dir / "test/snippets/readme.cpp")) return dir;
    }
    throw std::runtime_error("cannot find the mproc checkout above /proc/self/exe");
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_readme_examples_compile_under_wextra_werror) {
    const fs::path root = source_root();
    const fs::path log = fs::temp_directory_path() / ("mproc-readme-" + std::to_string(::getpid()) + ".log");
    const std::string command = "g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I'" + (root / "include").string() +
                                "' '" + (root / "test/snippets/readme.cpp").string() + "' >'" + log.string() + "' 2>&1";
    // The compiler is not instrumented: the sanitizer runtime must not be preloaded into it.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "LD_PRELOAD"})
        ::unsetenv(name);
    const int status = std::system(command.c_str());
    const std::string output = read_file(log);
    fs::remove(log);
    BOOST_TEST(status == 0, "g++ -Wall -Wextra -Werror failed:\n" << output);
    BOOST_TEST(output.empty(), output);
}
