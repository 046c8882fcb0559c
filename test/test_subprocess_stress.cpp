// mproc::subprocess under load: many sequential runs leak nothing, many
// concurrent Popens from several threads neither deadlock nor leak pipes
// into each other's children.
#define BOOST_TEST_MODULE subprocess_stress
#include <boost/test/unit_test.hpp>

#include <mproc/subprocess.hpp>

#include "support/procfs.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace sp = mproc::subprocess;
using namespace std::chrono_literals;

namespace {

std::set<int> parse_fds(const std::string& listing) {
    std::set<int> fds;
    std::istringstream in(listing);
    for (int fd; in >> fd;) fds.insert(fd);
    return fds;
}

// ThreadSanitizer makes every start several times slower: fewer rounds there.
#if defined(__SANITIZE_THREAD__)
constexpr int sequential_runs = 2000;
constexpr int per_thread = 50;
#else
constexpr int sequential_runs = 10000;
constexpr int per_thread = 200;
#endif
constexpr int threads = 8;

}  // namespace

BOOST_AUTO_TEST_CASE(ten_thousand_sequential_runs_leak_no_descriptor_and_no_zombie) {
    const std::set<int> fds_before = test_support::open_fds();
    int failures = 0, exec_errors = 0;
    for (int i = 0; i < sequential_runs; ++i) {
        try {
            if (i % 100 == 99) {
                sp::run({"mproc-no-such-program"}, {.capture_output = true});  // the error path too
            } else if (i % 2) {
                failures += sp::run({"true"}, {.capture_output = true}).returncode != 0;
            } else {
                failures += sp::run({"/bin/true"}).returncode != 0;
            }
        } catch (const std::system_error&) {
            ++exec_errors;
        }
    }
    BOOST_TEST(failures == 0);
    BOOST_TEST(exec_errors == sequential_runs / 100);
    BOOST_TEST((test_support::open_fds() == fds_before));
    BOOST_TEST(test_support::zombie_children().empty());
}

BOOST_AUTO_TEST_CASE(concurrent_popens_from_eight_threads_neither_deadlock_nor_cross_inherit_pipes) {
    // What a child started with close_fds = false inherits when nothing else
    // runs: only these may show up while other threads start children.
    auto child_fds = [](sp::Popen& p, const std::string& message) {
        auto [out, err] = p.communicate(message, 60s);
        return std::make_pair(out, parse_fds(err));
    };
    const std::string probe = "ls /proc/$$/fd >&2; exec cat";
    sp::Popen alone({"sh", "-c", probe}, {.std_in = sp::PIPE, .std_out = sp::PIPE, .std_err = sp::PIPE, .close_fds = false});
    const std::set<int> baseline = child_fds(alone, "x").second;
    BOOST_TEST_MESSAGE("a close_fds=false child alone sees " << baseline.size() << " descriptors");
    const std::set<int> fds_before = test_support::open_fds();

    std::atomic<int> wrong_output{0}, foreign_fds{0}, errors{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                try {
                    const bool inherit_all = i % 2 == 1;
                    const std::string message = "thread " + std::to_string(t) + " run " + std::to_string(i) + "\n";
                    sp::Popen p({"sh", "-c", probe}, {.std_in = sp::PIPE, .std_out = sp::PIPE, .std_err = sp::PIPE,
                                                      .close_fds = !inherit_all});
                    auto [out, fds] = child_fds(p, message);
                    if (out != message || p.returncode() != 0) ++wrong_output;
                    for (int fd : fds)
                        if (fd > 2 && !baseline.count(fd)) ++foreign_fds;
                } catch (const std::exception& e) {
                    BOOST_TEST_MESSAGE("thread " << t << ": " << e.what());
                    ++errors;
                }
            }
        });
    }
    for (auto& w : workers) w.join();

    BOOST_TEST(errors.load() == 0);
    BOOST_TEST(wrong_output.load() == 0);
    BOOST_TEST(foreign_fds.load() == 0);
    BOOST_TEST((test_support::open_fds() == fds_before));
    BOOST_TEST(test_support::zombie_children().empty());
}

BOOST_AUTO_TEST_CASE(concurrent_runs_with_timeouts_all_end) {
    // Threads racing run() with timeouts against each other: every child is
    // killed and reaped, none is left behind.
    std::atomic<int> timeouts{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                try {
                    sp::run({"sh", "-c", "echo x; exec sleep 10"}, {.capture_output = true, .timeout = 0.05s});
                } catch (const sp::TimeoutExpired& e) {
                    timeouts += e.output == "x\n" || e.output.empty();
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    BOOST_TEST(timeouts.load() == 40);
    BOOST_TEST(test_support::zombie_children().empty());
}
