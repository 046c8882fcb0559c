#include "transport/journal.hpp"

#include <mproc/errors.hpp>

#include <atomic>

namespace mproc::transport {

namespace {

// The order of the stores is what a killed process leaves behind: the compiler
// must not move them across each other (a killed process's stores are all
// visible to the next locker: the kernel's hand-over of the robust mutex
// orders them).
void in_order() noexcept { std::atomic_signal_fence(std::memory_order_seq_cst); }

}  // namespace

void journal::set(std::uint64_t& word, std::uint64_t value) {
    const std::uint64_t n = h_.count;
    if (n >= journal_header::capacity)
        throw Error("mproc: a shared-memory arena operation outgrew its journal (a bug in mproc)");
    h_.entries[n] = {static_cast<offset_t>(reinterpret_cast<char*>(&word) - map_.base()), word};
    in_order();
    h_.count = n + 1;
    in_order();
    word = value;
    in_order();
}

void journal::commit() noexcept {
    in_order();
    h_.count = 0;
    in_order();
}

bool journal::open() const noexcept { return h_.count != 0; }

void journal::roll_back() noexcept {
    std::uint64_t n = h_.count;
    if (n == 0) return;
    if (n > journal_header::capacity) n = journal_header::capacity;  // a wild count: undo what is there
    const std::size_t bytes = map_.kernel_bytes();
    for (std::uint64_t i = n; i-- > 0;) {
        const journal_header::entry e = h_.entries[i];
        if (e.at % sizeof(std::uint64_t) != 0 || e.at >= bytes || bytes - e.at < sizeof(std::uint64_t)) continue;
        *reinterpret_cast<std::uint64_t*>(map_.base() + e.at) = e.old;
    }
    in_order();
    h_.count = 0;
    in_order();
}

}  // namespace mproc::transport
