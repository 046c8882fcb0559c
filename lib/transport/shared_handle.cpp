#include "transport/shared_handle.hpp"

#include "transport/shared_handle_holders.hpp"


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

// The head at a received handle's offset is the block the wire names.
bool check_head(transport::arena& a, transport::offset_t block, const void* ctx) {
    const handle_wire& w = *static_cast<const handle_wire*>(ctx);
    const transport::block_head& h = head_at(a, block);
    if (h.kind.load(std::memory_order_acquire) != w.kind)
        refuse("the block at its offset holds another kind of object, or was freed");
    if (h.generation != w.generation) refuse("the block it named was freed and made again since");
    if (h.payload_at < head_room || h.payload_at > max_align || (h.payload_at & (h.payload_at - 1)) != 0 ||
        !a.holds(block + h.payload_at, h.bytes))
        refuse("the block's head is damaged");
    return true;
}

}  // namespace

handle_state::~handle_state() {
    if (held) transport::holders::release(*arena, block);
}

shared_handle::shared_handle(shared_kind kind, std::size_t bytes, std::size_t align) : kind_(kind) {
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
    std::shared_ptr<handle_state> made;
    try {
        made = std::make_shared<handle_state>(a, a.offset_of(block), block + align);
        transport::holders::add_made(a, made->block);
    } catch (...) {
        a.deallocate(block);
        throw;
    }
    made->held = true;
    p_ = made->payload;
    s_ = std::move(made);
}

shared_handle::~shared_handle() = default;

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
    w.transit = transport::holders::cross(*s_->arena, s_->block);
    return w;
}

void shared_handle::load_wire(const handle_wire& w) {
    if (kind_ == shared_kind::none) refuse("this handle names no kind of object");
    transport::arena& a = transport::arena::received({w.arena_id, w.reserve, w.fd_index});
    // Every field is checked against the memory itself, never trusted.
    if (w.kind != static_cast<std::uint32_t>(kind_)) refuse("it names another kind of object");
    if (w.offset % head_room != 0 || !a.holds(w.offset, head_room)) refuse("its offset lies outside the arena");
    auto state = std::make_shared<handle_state>(a, w.offset, nullptr);
    // Checked and held under the table of holders' lock: a block freed
    // meanwhile (its tag cleared under that lock) is refused, never held.
    transport::holders::add_received(a, w.offset, w.transit, {&check_head, &w});
    state->held = true;
    state->payload = a.base() + w.offset + head_at(a, w.offset).payload_at;
    p_ = state->payload;
    s_ = std::move(state);
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
