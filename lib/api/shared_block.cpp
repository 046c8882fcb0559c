// The per-process side of a lock's or value's handle: which arena block it
// names, and when that block may be freed (as a Queue's, lib/api/queue.cpp).
#include <mproc/synchronize.hpp>

#include "posix/fork.hpp"
#include "transport/arena.hpp"

#include <mproc/detail/fd_transfer.hpp>  // decoding_task
#include <mproc/os.hpp>

#include <atomic>
#include <cstring>

namespace mproc::detail {

struct block_state {
    block_state(transport::arena& a, void* p, bool created)
        : arena(&a), block(p), created_here(created), creator(os::getpid()), forks(posix::fork_count()) {}

    // Freed with the last handle only when no other process can hold one:
    // made here, never serialized for a child, no fork since it was made.
    // Otherwise it lives as long as the family.
    ~block_state() {
        if (created_here && !crossed.load() && creator == os::getpid() && forks == posix::fork_count())
            arena->deallocate(block);
    }

    transport::arena* arena;
    void* block;
    bool created_here;
    pid_t creator;
    std::uint64_t forks;
    std::atomic<bool> crossed{false};
};

shared_block::shared_block(std::size_t bytes, std::size_t align) {
    if (decoding_task()) return;  // a task's argument: load() names the block
    transport::arena& a = transport::arena::family();
    void* p = a.allocate(bytes, align < 64 ? 64 : align);
    std::memset(p, 0, bytes);
    s_ = std::make_shared<block_state>(a, p, true);
    p_ = p;
}

shared_block::~shared_block() = default;

shared_block::wire shared_block::save_wire() const {
    if (!s_) throw Error("mproc: a shared object serialized before it was made or received");
    const transport::arena::crossing c = s_->arena->cross();
    wire w;
    w.arena_id = c.id;
    w.reserve = c.reserve;
    w.fd_index = c.fd_index;
    w.offset = s_->arena->offset_of(p_);
    s_->crossed.store(true);
    return w;
}

void shared_block::load_wire(const wire& w) {
    transport::arena& a = transport::arena::received({w.arena_id, w.reserve, w.fd_index});
    p_ = a.at<char>(w.offset);
    s_ = std::make_shared<block_state>(a, p_, false);
}

}  // namespace mproc::detail
