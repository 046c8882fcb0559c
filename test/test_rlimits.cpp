// Shared memory under resource limits (issue 17, items 2 and 16), each in a
// forked child that sets the limit and makes its own arena (this module's
// parent never makes a shared object, so no child inherits one):
//  - RLIMIT_FSIZE (`ulimit -f`): growing the memfd past it raised SIGXFSZ,
//    which killed the program; now the promised std::bad_alloc, and what was
//    put before is still there;
//  - RLIMIT_AS (`ulimit -v`): the arena reserved 4 GiB at least (no Queue or
//    Lock under 4 GiB) and half an 8 GiB budget; now a small share of it.
#define BOOST_TEST_MODULE rlimits
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/child.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::fork_child;
using test_support::wait_child;

namespace {

void limit(int resource, rlim_t bytes) {
    const rlimit r{bytes, bytes};
    if (::setrlimit(resource, &r) != 0) throw std::runtime_error("setrlimit failed");
}

// SIGXFSZ's default action (kill), whatever the test framework installed.
void default_sigxfsz() { std::signal(SIGXFSZ, SIG_DFL); }

void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(what);
}

// The process's mapped bytes now (VmSize).
rlim_t mapped_now() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    unsigned long long pages = 0;
    require(f && std::fscanf(f, "%llu", &pages) == 1, "cannot read /proc/self/statm");
    std::fclose(f);
    return static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE));
}

void put_from_child(mp::Queue<std::string> q, mp::Lock l) {
    std::lock_guard g(l);
    q.put("from a spawned child");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_put_past_the_file_size_limit_is_bad_alloc_and_loses_nothing) {
    const pid_t pid = fork_child([] {
        default_sigxfsz();
        limit(RLIMIT_FSIZE, 8u << 20);
        mp::Queue<std::string> q;
        for (int i = 0; i < 10; ++i) q.put("message " + std::to_string(i));
        bool refused = false;
        try {
            q.put(std::string(64u << 20, 'x'));
        } catch (const std::bad_alloc& e) {
            refused = std::string(e.what()).find("RLIMIT_FSIZE") != std::string::npos;
        }
        require(refused, "a 64 MiB put under an 8 MiB file-size limit was not a bad_alloc naming the limit");
        for (int i = 0; i < 10; ++i) require(q.get(10s) == "message " + std::to_string(i), "a message was lost");
        q.put("after");
        require(q.get(10s) == "after", "the queue does not work after the refusal");
        // A message that fits under the limit still goes through.
        q.put(std::string(1u << 20, 'y'));
        require(q.get(10s).size() == 1u << 20, "a 1 MiB message was lost");
    });
    BOOST_TEST(wait_child(pid) == 0);  // before the fix: -SIGXFSZ
}

BOOST_AUTO_TEST_CASE(a_lock_under_a_tiny_file_size_limit_is_bad_alloc_not_death) {
    const pid_t pid = fork_child([] {
        default_sigxfsz();
        limit(RLIMIT_FSIZE, 512u << 10);
        bool refused = false;
        try {
            mp::Lock l;
        } catch (const std::bad_alloc&) {
            refused = true;
        }
        require(refused, "Lock() under a 512 KiB file-size limit did not throw std::bad_alloc");
    });
    BOOST_TEST(wait_child(pid) == 0);  // before the fix: -SIGXFSZ
}

BOOST_AUTO_TEST_CASE(a_sigxfsz_blocked_and_pending_before_is_left_to_its_owner) {
    const pid_t pid = fork_child([] {
        default_sigxfsz();
        sigset_t xfsz;
        sigemptyset(&xfsz);
        sigaddset(&xfsz, SIGXFSZ);
        ::pthread_sigmask(SIG_BLOCK, &xfsz, nullptr);
        ::raise(SIGXFSZ);  // the application's own, pending
        limit(RLIMIT_FSIZE, 8u << 20);
        mp::Queue<std::string> q;
        bool refused = false;
        try {
            q.put(std::string(64u << 20, 'x'));
        } catch (const std::bad_alloc&) {
            refused = true;
        }
        require(refused, "no bad_alloc");
        sigset_t pending;
        sigpending(&pending);
        require(sigismember(&pending, SIGXFSZ) == 1, "the application's pending SIGXFSZ was taken");
        sigset_t mask;
        ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
        require(sigismember(&mask, SIGXFSZ) == 1, "the thread's signal mask was not restored");
    });
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(queue_and_lock_work_under_a_2_gib_address_space_limit_and_leave_it_to_malloc) {
    const pid_t pid = fork_child([] {
        // 2 GiB beyond what is mapped now (a sanitizer's shadow is terabytes).
        limit(RLIMIT_AS, mapped_now() + (rlim_t{2} << 30));
        mp::Queue<std::string> q;
        mp::Lock l;
        {
            std::lock_guard g(l);
            q.put(std::string(8u << 20, 'q'));
        }
        require(q.get(10s).size() == 8u << 20, "the 8 MiB message was lost");
        // The arena must leave most of the budget to the program.
        void* big = std::malloc(std::size_t{3} << 29);  // 1.5 GiB
        require(big != nullptr, "a 1.5 GiB malloc failed after making a Queue and a Lock");
        std::free(big);
        // A spawned child maps the same arena again under the same limit.
        auto p = mp::get_context(mp::spawn).Process(put_from_child, q, l);
        p.start();
        require(p.join(30s) && p.exitcode() == 0, "the spawned child failed");
        require(q.get(10s) == "from a spawned child", "the spawned child's message was lost");
    });
    BOOST_TEST(wait_child(pid) == 0);  // before the fix: mmap(reservation) ENOMEM
}
