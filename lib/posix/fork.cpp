#include "posix/fork.hpp"

#include "posix/fd.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <iostream>
#include <pthread.h>
#include <unistd.h>

namespace mproc::posix {

namespace {

constexpr int max_registrations = 16;
fork_handlers registered[max_registrations];
std::atomic<int> registered_count{0};
std::atomic<std::uint64_t> forks{0};

void run_prepare() {
    forks.fetch_add(1, std::memory_order_relaxed);
    for (int i = registered_count.load(std::memory_order_acquire); i-- > 0;)
        if (registered[i].prepare) registered[i].prepare();
}

void run_parent() {
    const int n = registered_count.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i)
        if (registered[i].parent) registered[i].parent();
}

void run_child() {
    const int n = registered_count.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i)
        if (registered[i].child) registered[i].child();
}

// The one registration, made on first use (from whichever static
// initialiser or call comes first: no initialisation-order dependency).
bool install() noexcept {
    static const bool installed = ::pthread_atfork(run_prepare, run_parent, run_child) == 0;
    return installed;
}

// Counted from static initialisation on, before any fork mproc makes.
const bool counting = install();

}  // namespace

std::uint64_t fork_count() noexcept {
    static_cast<void>(counting);
    return forks.load(std::memory_order_relaxed);
}

void at_fork(fork_handlers handlers) noexcept {
    static std::atomic<int> reserved{0};
    const int slot = reserved.fetch_add(1);
    if (!install() || slot >= max_registrations) std::terminate();
    registered[slot] = handlers;
    // Published in slot order: a registration finishing early waits for the
    // earlier ones (static initialisers, so never for long).
    int expected = slot;
    while (!registered_count.compare_exchange_weak(expected, slot + 1, std::memory_order_release)) expected = slot;
}

void flush_standard_streams() noexcept {
    try {
        std::cout.flush();
        std::cerr.flush();
        std::clog.flush();
    } catch (...) {
    }
    std::fflush(nullptr);
}

pid_t fork() {
    const pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    return pid;
}

}  // namespace mproc::posix
