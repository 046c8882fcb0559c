// Contexts and start-method selection, cpu_count.
#define BOOST_TEST_MODULE context
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <sched.h>
#include <stdexcept>
#include <string>

namespace mp = mproc;
using namespace std::chrono_literals;

namespace {

int marker = 0;  // set after start-up: only a forked child sees it
void report_marker(mp::Connection out) { out.send(marker); }

// Which method started the child: fork keeps the parent's memory.
bool child_shares_memory(mp::Process p, mp::Connection& reader) {
    marker = 1;
    p.start();
    int seen = reader.recv<int>();
    p.join();
    return seen == 1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(get_context_takes_the_three_names_and_the_enum) {
    BOOST_TEST(mp::get_context("fork").method() == mp::start_method::fork);
    BOOST_TEST(mp::get_context("spawn").method() == mp::start_method::spawn);
    BOOST_TEST(mp::get_context("forkserver").method() == mp::start_method::forkserver);
    BOOST_TEST(mp::get_context(mp::spawn).get_start_method() == "spawn");
    BOOST_TEST(mp::get_context<mp::forkserver>().get_start_method() == "forkserver");
    BOOST_CHECK_THROW(mp::get_context("vfork"), std::invalid_argument);
    BOOST_CHECK_THROW(mp::get_context(""), std::invalid_argument);
    BOOST_TEST((mp::get_all_start_methods() == std::vector<std::string>{"fork", "spawn", "forkserver"}));
}

BOOST_AUTO_TEST_CASE(a_context_starts_its_processes_with_its_method) {
    auto [r1, w1] = mp::Pipe();
    BOOST_TEST(child_shares_memory(mp::get_context("fork").Process(report_marker, std::move(w1)), r1));
    auto [r2, w2] = mp::Pipe();
    BOOST_TEST(!child_shares_memory(mp::get_context("spawn").Process(report_marker, std::move(w2)), r2));
    auto [r3, w3] = mp::Pipe();
    BOOST_TEST(!child_shares_memory(mp::get_context<mp::forkserver>().Process(report_marker, std::move(w3)), r3));
    auto [r4, w4] = mp::Pipe();
    mp::SpawnContext typed = mp::get_context<mp::spawn>();
    BOOST_TEST(!child_shares_memory(typed.Process([](mp::Connection out) { out.send(marker); }, std::move(w4)), r4));
}

BOOST_AUTO_TEST_CASE(the_default_start_method_is_fork_and_can_be_set_once) {
    BOOST_TEST(mp::get_start_method() == "fork");  // fixes the default
    BOOST_CHECK_THROW(mp::set_start_method("spawn"), mp::ProcessError);
    BOOST_CHECK_THROW(mp::set_start_method("nope", true), std::invalid_argument);
    mp::set_start_method("spawn", true);
    BOOST_TEST(mp::get_start_method() == "spawn");
    BOOST_TEST(mp::get_context().method() == mp::start_method::spawn);
    auto [r1, w1] = mp::Pipe();
    BOOST_TEST(!child_shares_memory(mp::Process(report_marker, std::move(w1)), r1));
    mp::set_start_method(mp::forkserver, true);
    BOOST_TEST(mp::get_start_method() == "forkserver");
    mp::set_start_method(mp::fork, true);
    auto [r2, w2] = mp::Pipe();
    BOOST_TEST(child_shares_memory(mp::Process(report_marker, std::move(w2)), r2));
}

BOOST_AUTO_TEST_CASE(a_process_takes_the_default_method_at_start_not_at_construction) {
    mp::set_start_method(mp::fork, true);
    auto [reader, writer] = mp::Pipe();
    mp::Process p(report_marker, std::move(writer));
    mp::set_start_method(mp::spawn, true);
    BOOST_TEST(!child_shares_memory(std::move(p), reader));
    mp::set_start_method(mp::fork, true);
}

BOOST_AUTO_TEST_CASE(start_methods_print_their_names) {
    std::ostringstream out;
    out << mp::start_method::forkserver << ' ' << mp::spawn;
    BOOST_TEST(out.str() == "forkserver spawn");
}

BOOST_AUTO_TEST_CASE(cpu_count_is_the_affinity_mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    BOOST_REQUIRE(::sched_getaffinity(0, sizeof set, &set) == 0);
    BOOST_TEST(mp::cpu_count() == CPU_COUNT(&set));
    BOOST_TEST(mp::cpu_count() >= 1);
    // Restricted to one CPU (as taskset or a container would): not the machine's count.
    int first = 0;
    while (!CPU_ISSET(first, &set)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    BOOST_REQUIRE(::sched_setaffinity(0, sizeof one, &one) == 0);
    const int restricted = mp::cpu_count();
    ::sched_setaffinity(0, sizeof set, &set);
    BOOST_TEST(restricted == 1);
}
