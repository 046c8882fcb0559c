// Builds the tiny consumer in test/consumer/ the four ways a user would link
// mproc -- b2 use-project (as README.md shows), CMake add_subdirectory, CMake
// find_package after tools/install.sh, and pkg-config -- then runs each
// program and checks what it prints.
// Needs cmake, make and pkg-config (./build.sh test installs them).
#define BOOST_TEST_MODULE consumer_build
#include <boost/test/unit_test.hpp>

#include "support/checkout.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace fs = std::filesystem;
using test_support::checkout_root;
using test_support::quoted;
using test_support::read_file;

namespace {

const std::string expected_output = "consumer: 2 lists, total 31, child exit 0\n";

// A fresh directory, removed with everything in it at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string templ = (fs::temp_directory_path() / "mproc-consumer-XXXXXX").string();
        if (!mkdtemp(templ.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
        path = templ;
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

// Runs `command` with /bin/sh, output to `log`. True when it exits 0; otherwise
// the log is printed so the failure can be read in the test output. Sanitizer
// settings of this (possibly instrumented) test binary are not passed on:
// compilers and cmake are not instrumented, and the consumers need none.
bool run(const std::string& command, const fs::path& log) {
    test_support::drop_sanitizer_environment();
    const std::string line = "(" + command + ") >" + quoted(log) + " 2>&1";
    const int status = std::system(line.c_str());
    if (status != 0) BOOST_TEST_MESSAGE("command failed: " << command << "\n" << read_file(log));
    return status == 0;
}

// Runs a built consumer and checks its output.
void check_consumer(const fs::path& program, const fs::path& work) {
    BOOST_REQUIRE_MESSAGE(fs::exists(program), program << " was not built");
    const fs::path out = work / "consumer.out";
    BOOST_TEST(run(quoted(program), out));
    BOOST_TEST(read_file(out) == expected_output);
}

// One install of the library for the find_package and pkg-config tests.
struct installed {
    temp_dir dir;
    fs::path prefix = dir.path / "prefix";
    bool ok = run("bash " + quoted(checkout_root() / "tools/install.sh") + " " + quoted(prefix),
                  dir.path / "install.log");
};

const installed& install_once() {
    static const installed tree;
    BOOST_REQUIRE_MESSAGE(tree.ok, "tools/install.sh failed");
    return tree;
}

}  // namespace

BOOST_AUTO_TEST_CASE(b2_use_project) {
    // README.md's recipe, word for word: use-project, /mproc//mproc among the
    // sources, C++20 in the consumer's requirements. The library builds in the
    // checkout's bin/ (up to date after `./build.sh test`).
    temp_dir work;
    std::ofstream(work.path / "project-config.jam") << "using gcc ;\n";
    std::ofstream(work.path / "Jamroot") << "use-project /mproc : \"" << checkout_root().string() << "\" ;\n"
                                         << "project : requirements <cxxstd>20 ;\n"
                                         << "exe consumer : main.cpp /mproc//mproc ;\n"
                                         << "install dist : consumer : <location>dist ;\n";
    fs::copy_file(checkout_root() / "test/consumer/main.cpp", work.path / "main.cpp");
    BOOST_REQUIRE(run("cd " + quoted(work.path) + " && b2 -j2 variant=debug dist", work.path / "build.log"));
    check_consumer(work.path / "dist/consumer", work.path);
}

BOOST_AUTO_TEST_CASE(cmake_add_subdirectory) {
    temp_dir work;
    const fs::path build = work.path / "build";
    BOOST_REQUIRE(run("cmake -S " + quoted(checkout_root() / "test/consumer") + " -B " + quoted(build) +
                          " -DMPROC_SOURCE_DIR=" + quoted(checkout_root()),
                      work.path / "configure.log"));
    BOOST_REQUIRE(run("cmake --build " + quoted(build) + " -j 2", work.path / "build.log"));
    check_consumer(build / "consumer", work.path);
}

BOOST_AUTO_TEST_CASE(install_lays_out_headers_library_and_package_files) {
    const fs::path& prefix = install_once().prefix;
    for (const char* file : {"include/mproc/mproc.hpp", "include/mproc/detail/codec/archive.hpp", "lib/libmproc.a",
                             "lib/cmake/mproc/mprocConfig.cmake", "lib/cmake/mproc/mprocConfigVersion.cmake",
                             "lib/pkgconfig/mproc.pc"})
        BOOST_TEST(fs::is_regular_file(prefix / file), file);
    // The pkg-config file names this prefix, not the checkout.
    BOOST_TEST(read_file(prefix / "lib/pkgconfig/mproc.pc").find("prefix=" + prefix.string() + "\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(cmake_find_package_after_install) {
    const fs::path& prefix = install_once().prefix;
    temp_dir work;
    const fs::path build = work.path / "build";
    BOOST_REQUIRE(run("cmake -S " + quoted(checkout_root() / "test/consumer") + " -B " + quoted(build) +
                          " -DCMAKE_PREFIX_PATH=" + quoted(prefix),
                      work.path / "configure.log"));
    BOOST_REQUIRE(run("cmake --build " + quoted(build), work.path / "build.log"));
    check_consumer(build / "consumer", work.path);
}

BOOST_AUTO_TEST_CASE(pkg_config_after_install) {
    const fs::path& prefix = install_once().prefix;
    temp_dir work;
    const fs::path program = work.path / "consumer";
    // No flags of our own: -std=c++20, the include path and the libraries all
    // come from mproc.pc.
    BOOST_REQUIRE(run("export PKG_CONFIG_PATH=" + quoted(prefix / "lib/pkgconfig") + " && c++ " + quoted(checkout_root() / "test/consumer/main.cpp") + " -o " + quoted(program) +
                          " $(pkg-config --cflags --libs mproc)",
                      work.path / "build.log"));
    check_consumer(program, work.path);
}
