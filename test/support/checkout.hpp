// For tests that run tools over the source tree (compilers, cmake): where the
// checkout is, quoting for /bin/sh, reading a log back, and an environment
// the uninstrumented tools can run in.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace test_support {

/// The mproc checkout this test binary was built from: b2 puts it under <root>/bin/.
inline std::filesystem::path checkout_root() {
    namespace fs = std::filesystem;
    for (fs::path dir = fs::read_symlink("/proc/self/exe").parent_path(); dir != dir.root_path();
         dir = dir.parent_path()) {
        if (fs::exists(dir / "Jamroot") && fs::exists(dir / "CMakeLists.txt") && fs::exists(dir / "test")) return dir;
    }
    throw std::runtime_error("cannot find the mproc checkout above /proc/self/exe");
}

/// `p` as one /bin/sh word, whatever characters it holds.
inline std::string quoted(const std::filesystem::path& p) {
    std::string out = "'";
    for (char c : p.string()) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Drops this (possibly instrumented) test binary's sanitizer settings, so
/// that the compilers and tools it starts, which are not instrumented, run
/// as they would for a user.
inline void drop_sanitizer_environment() {
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "LD_PRELOAD"})
        ::unsetenv(name);
}

}  // namespace test_support
