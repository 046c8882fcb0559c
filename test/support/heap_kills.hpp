// Kills at random instants of processes allocating and freeing in the arena's
// heap, and the check that every operation was done or not done (used by
// test_arena's short loop and test/stress/stress_heap's long one).
//
// A table of owner words lives in the arena. A forked child loops: a random
// word, empty -> arena::allocate_into (a random size, sometimes large enough
// to grow the file or with a large alignment), set -> arena::deallocate_from.
// The harness SIGKILLs it after a random number of its operations and a
// random delay, then (no other process touches the heap):
//  - an allocation and a free work (a refusal is counted);
//  - the heap's lists walk cleanly and every owner word names a valid block;
//  - leaked bytes: what the heap says is in use, less the owned blocks, less
//    what was in use before the run: 0 if every operation was done or not.
#pragma once

#include "transport/arena.hpp"

#include <mproc/os.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <exception>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace test_support {

struct heap_kill_figures {
    long kills = 0;
    long mid_operation = 0;  // kills that left an operation open (its journal not empty)
    long allocations = 0;
    long frees = 0;
    long refusals = 0;       // an allocation or free refused after a kill
    long failed_children = 0;  // a child that stopped on its own (an error in it)
    long long leaked_bytes = 0;
};

namespace heap_kills_detail {

constexpr int slots = 64;

struct table {
    std::uint64_t owner[slots];
    std::atomic<long> allocations;
    std::atomic<long> frees;
};

[[noreturn]] inline void churn(mproc::transport::arena& a, table& t) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ULL);
    try {
        for (;;) {
            std::uint64_t& owner = t.owner[rng() % slots];
            if (owner) {
                a.deallocate_from(owner);
                t.frees.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            const std::uint64_t r = rng();
            std::size_t bytes = 1 + r % 2000;
            if (r % 61 == 0) bytes = (std::size_t{1} << 16) + r % (std::size_t{1} << 20);  // splits, growth
            const std::size_t align = r % 7 == 0 ? std::size_t{4096} : 64;
            a.allocate_into(owner, bytes, align);
            t.allocations.fetch_add(1, std::memory_order_relaxed);
        }
    } catch (const std::exception&) {
        ::_exit(3);
    }
}

// Bytes in use that no owner word accounts for; -1 when the heap is corrupt.
inline long long unowned_bytes(mproc::transport::arena& a, table& t) {
    try {
        long long used = static_cast<long long>(a.heap_span_bytes()) - static_cast<long long>(a.heap_free_bytes());
        for (std::uint64_t o : t.owner)
            if (o) used -= static_cast<long long>(a.block_bytes(a.at<char>(o)));
        return used;
    } catch (const std::exception&) {
        return -1;
    }
}

}  // namespace heap_kills_detail

/// Runs for `seconds` or `max_kills` kills, whichever ends first.
inline heap_kill_figures kill_heap_users(double seconds, long max_kills) {
    using namespace heap_kills_detail;
    using clock = std::chrono::steady_clock;
    mproc::transport::arena& a = mproc::transport::arena::family();
    heap_kill_figures f;
    auto* t = new (a.allocate(sizeof(table), 64)) table{};
    const long long before = unowned_bytes(a, *t);
    std::mt19937_64 rng(12345);
    const auto end = clock::now() + std::chrono::duration<double>(seconds);
    while (clock::now() < end && f.kills < max_kills) {
        const long ops_before = t->allocations.load() + t->frees.load();
        const long ops_wanted = ops_before + 1 + static_cast<long>(rng() % 200);
        const pid_t child = mproc::os::fork();
        if (child == 0) churn(a, *t);
        // Wait for the child's work (an event: its operations counted), then a
        // random extra instant, then the kill.
        const auto give_up = clock::now() + std::chrono::seconds(10);
        bool stopped = false;
        while (t->allocations.load() + t->frees.load() < ops_wanted && clock::now() < give_up) {
            int status = 0;
            if (::waitpid(child, &status, WNOHANG) == child) {
                stopped = true;
                break;
            }
            std::this_thread::yield();  // the child needs the CPU more (2 cores, shared)
        }
        const auto instant = clock::now() + std::chrono::microseconds(rng() % 300);
        while (!stopped && clock::now() < instant) {}
        if (!stopped) {
            ::kill(child, SIGKILL);
            int status = 0;
            while (::waitpid(child, &status, 0) < 0) {}
            if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
                ++f.kills;
            } else {
                ++f.failed_children;
            }
        } else {
            ++f.failed_children;
        }
        if (a.operation_open()) ++f.mid_operation;
        try {
            a.deallocate(a.allocate(100, 64));
        } catch (const std::exception&) {
            ++f.refusals;
        }
        const long long now = unowned_bytes(a, *t);
        if (now < 0) {
            ++f.refusals;
            break;
        }
        f.leaked_bytes = now - before;
        if (f.leaked_bytes != 0) break;
    }
    f.allocations = t->allocations.load();
    f.frees = t->frees.load();
    for (std::uint64_t& o : t->owner) {
        try {
            a.deallocate_from(o);
        } catch (const std::exception&) {
            ++f.refusals;
        }
    }
    a.deallocate(t);
    return f;
}

}  // namespace test_support
