#include "transport/shared_handle.hpp"

#include "posix/fork.hpp"
#include "posix/process_id.hpp"

#include <mproc/detail/transport/fd_transfer.hpp>  // decoding_task

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace mproc::detail {

namespace {

constexpr std::size_t head_room = 64;
// A payload aligned beyond this is refused (a page is more than any object asks).
constexpr std::size_t max_align = 4096;

transport::block_head& head_at(transport::arena& a, transport::offset_t block) {
    return *a.at<transport::block_head>(block);
}

[[noreturn]] void refuse(const std::string& why) {
    throw ProtocolError("mproc: a shared object's handle was refused: " + why);
}

}  // namespace

handle_state::handle_state(transport::arena& a, transport::offset_t b, void* p, shared_handle::finalizer f,
                           bool created)
    : arena(&a), block(b), payload(p), fin(f), created_here(created), creator(posix::current_pid()),
      forks(posix::fork_count()) {}

handle_state::~handle_state() {
    if (!created_here || crossed.load() || creator != posix::current_pid() || forks != posix::fork_count()) return;
    if (fin) fin(*this);
    transport::block_head& h = head_at(*arena, block);
    h.kind.store(0, std::memory_order_relaxed);  // a stale handle's decode now fails
    h.generation = 0;
    arena->deallocate(&h);
}

shared_handle::shared_handle(shared_kind kind, std::size_t bytes, std::size_t align, finalizer fin)
    : kind_(kind), fin_(fin) {
    if (decoding_task()) return;  // a task's argument: load() names the block
    align = std::max(align, head_room);
    if (align > max_align || (align & (align - 1)) != 0)
        throw std::invalid_argument("mproc: a shared object's alignment must be a power of two up to 4096");
    transport::arena& a = transport::arena::family();
    if (bytes > SIZE_MAX - align) throw std::bad_alloc();
    char* block = static_cast<char*>(a.allocate(align + bytes, align));
    std::memset(block, 0, align + bytes);
    auto& h = *reinterpret_cast<transport::block_head*>(block);
    h.generation = a.next_generation();
    h.payload_at = static_cast<std::uint32_t>(align);
    h.bytes = bytes;
    h.kind.store(static_cast<std::uint32_t>(kind), std::memory_order_release);
    p_ = block + align;
    s_ = std::make_shared<handle_state>(a, a.offset_of(block), p_, fin, true);
}

shared_handle::~shared_handle() = default;

void shared_handle::finalize_with(finalizer fin) noexcept {
    fin_ = fin;
    if (s_) s_->fin = fin;
}

handle_wire shared_handle::save_wire() const {
    if (!s_) throw Error("mproc: a shared object serialized before it was made or received");
    const transport::arena::crossing c = s_->arena->cross();
    handle_wire w;
    w.arena_id = c.id;
    w.reserve = c.reserve;
    w.fd_index = c.fd_index;
    w.offset = s_->block;
    w.kind = static_cast<std::uint32_t>(kind_);
    w.generation = head_at(*s_->arena, s_->block).generation;
    s_->crossed.store(true);
    return w;
}

void shared_handle::load_wire(const handle_wire& w) {
    if (kind_ == shared_kind::none) refuse("this handle names no kind of object");
    transport::arena& a = transport::arena::received({w.arena_id, w.reserve, w.fd_index});
    // Every field is checked against the memory itself, never trusted.
    if (w.kind != static_cast<std::uint32_t>(kind_)) refuse("it names another kind of object");
    if (w.offset % head_room != 0 || !a.holds(w.offset, head_room)) refuse("its offset lies outside the arena");
    const transport::block_head& h = head_at(a, w.offset);
    if (h.kind.load(std::memory_order_acquire) != w.kind)
        refuse("the block at its offset holds another kind of object, or was freed");
    if (h.generation != w.generation) refuse("the block it named was freed and made again since");
    if (h.payload_at < head_room || h.payload_at > max_align || (h.payload_at & (h.payload_at - 1)) != 0 ||
        !a.holds(w.offset + h.payload_at, h.bytes))
        refuse("the block's head is damaged");
    p_ = a.base() + w.offset + h.payload_at;
    s_ = std::make_shared<handle_state>(a, w.offset, p_, fin_, false);
}

}  // namespace mproc::detail

namespace mproc::transport {

arena& arena_of(const detail::shared_handle& h) {
    if (!h.state()) throw Error("mproc: a shared object used before it was made or received");
    return *h.state()->arena;
}

offset_t payload_offset(const detail::shared_handle& h) {
    if (!h.state()) throw Error("mproc: a shared object used before it was made or received");
    return h.state()->arena->offset_of(h.state()->payload);
}

}  // namespace mproc::transport
