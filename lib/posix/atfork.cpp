#include "posix/atfork.hpp"

#include "posix/fd.hpp"

#include <atomic>
#include <pthread.h>

namespace mproc::posix {

namespace {

std::atomic<std::uint64_t> forks{0};

// Installed at static initialisation, before any fork mproc makes.
const int counting = ::pthread_atfork([] { forks.fetch_add(1, std::memory_order_relaxed); }, nullptr, nullptr);

}  // namespace

std::uint64_t fork_count() noexcept {
    static_cast<void>(counting);
    return forks.load(std::memory_order_relaxed);
}

void at_fork(void (*prepare)(), void (*parent)(), void (*child)()) {
    if (const int r = ::pthread_atfork(prepare, parent, child); r != 0) throw_errno("pthread_atfork", r);
}

}  // namespace mproc::posix
