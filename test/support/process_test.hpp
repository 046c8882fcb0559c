// Helpers for process-level tests: the start methods as a Boost.Test dataset,
// capture of a standard stream, /proc inspection, and iteration counts scaled
// down under sanitizers (a re-executed sanitized child starts slowly).
#pragma once

#include "procfs.hpp"

#include <mproc/start_method.hpp>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/tools/detail/print_helper.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <unistd.h>

// BOOST_TEST prints std::optional (exitcode()) as its value or "nullopt".
namespace boost::test_tools::tt_detail {
template <class T>
struct print_log_value<std::optional<T>> {
    void operator()(std::ostream& out, const std::optional<T>& value) {
        if (value)
            out << *value;
        else
            out << "nullopt";
    }
};
}  // namespace boost::test_tools::tt_detail

namespace test_support {

inline const mproc::start_method all_methods[] = {mproc::start_method::fork, mproc::start_method::spawn,
                                                  mproc::start_method::forkserver};

inline auto methods() { return boost::unit_test::data::make(all_methods); }

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

/// `full` normally, `reduced` under a sanitizer.
constexpr int scaled(int full, int reduced) { return sanitized ? reduced : full; }

/// Redirects descriptor `fd` (1 or 2) to a temporary file until text().
class capture_fd {
public:
    explicit capture_fd(int fd) : fd_(fd) {
        std::fflush(nullptr);
        saved_ = ::dup(fd_);
        file_ = std::tmpfile();
        if (saved_ < 0 || !file_) throw std::runtime_error("capture_fd: cannot redirect");
        ::dup2(::fileno(file_), fd_);
    }
    ~capture_fd() { restore(); }
    /// Restores the descriptor and returns everything written to it.
    std::string text() {
        restore();
        std::string out;
        std::rewind(file_);
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(nullptr);
        ::dup2(saved_, fd_);
        ::close(saved_);
        saved_ = -1;
    }
    int fd_;
    int saved_ = -1;
    std::FILE* file_ = nullptr;
};

/// Running: present and not a zombie.
inline bool running(pid_t pid) {
    char s = process_state(pid);
    return s != 0 && s != 'Z';
}

/// Polls `condition` until it holds or `timeout` passes; returns its last value.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= until) return false;
        ::usleep(5000);
    }
}

}  // namespace test_support
