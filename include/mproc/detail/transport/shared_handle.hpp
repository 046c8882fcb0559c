/// The handle of an object in the process family's shared memory (a Queue, a
/// lock, a Value...): which block of which arena it names, what kind of
/// object that block holds, and when the block may be freed
/// (lib/transport/shared_handle.cpp). Every facade holds one.
///
/// A block starts with a 64-byte head: a 4-byte kind tag, a generation (the
/// arena's count of blocks made, when this one was) and the payload's size;
/// the object follows. A handle decoded from bytes is checked against that
/// head (bounds, kind, generation) and refused (mproc::ProtocolError) when it
/// does not match: a Queue<int> decoded as a Lock, an offset a peer chose, a
/// block freed since. Handles cross only as Process or Pool task arguments,
/// with the arena's descriptor; decoded anywhere else (loads<Lock> of plain
/// bytes, Connection::recv<Lock>) they are refused.
///
/// Lifetime: the block is freed when the last handle to it in any process of
/// the family is gone, counting processes that ended without destroying
/// theirs (SIGKILL) and handles still on their way as task arguments
/// (lib/transport/shared_handle_holders.hpp has the rule); a queue's
/// messages go with it.
#pragma once

#include <mproc/errors.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace mproc::detail {

/// What a block holds: the tag at its head.
enum class shared_kind : std::uint32_t {
    none = 0,  // a freed block, or a handle that names nothing
    lock = 0x4b434f4c,
    semaphore = 0x414d4553,
    event = 0x4e455645,
    condition = 0x444e4f43,
    barrier = 0x52524142,
    value = 0x554c4156,
    array = 0x59415241,
    queue = 0x45554551,
};

struct handle_state;

/// What crosses to another process (every field is checked when decoded).
struct handle_wire {
    std::uint64_t arena_id = 0;
    std::uint64_t reserve = 0;
    std::uint64_t offset = 0;  // of the block's head
    std::uint32_t fd_index = 0;
    std::uint32_t kind = 0;
    std::uint32_t generation = 0;
    std::uint64_t transit = 0;  // the record holding the block until the receiver does
};

class shared_handle {
public:
    /// Names nothing.
    shared_handle() noexcept = default;
    /// Names nothing yet; will be loaded as a `kind` (a facade made to be decoded).
    explicit shared_handle(shared_kind kind) noexcept : kind_(kind) {}
    /// A new zeroed `kind` block of `bytes` aligned on `align` in this
    /// family's arena; nothing while a task's arguments are decoded (load()
    /// follows). Throws std::bad_alloc, std::system_error, mproc::Error.
    shared_handle(shared_kind kind, std::size_t bytes, std::size_t align);
    ~shared_handle();
    shared_handle(const shared_handle&) noexcept = default;
    shared_handle& operator=(const shared_handle&) noexcept = default;

    /// The payload (null if the handle names nothing).
    void* get() const noexcept { return p_; }
    /// get(), or mproc::Error when the handle was never made or received.
    void* checked() const {
        if (!p_) throw Error("mproc: a shared object used before it was made or received");
        return p_;
    }
    shared_kind kind() const noexcept { return kind_; }
    /// The per-process state (lib/transport/shared_handle.hpp reads it).
    const handle_state* state() const noexcept { return s_.get(); }

    /// In a task being encoded: registers the arena's descriptor. Throws
    /// mproc::ProcessError outside a task, mproc::Error for an empty handle.
    handle_wire save_wire() const;
    /// Names the block `w` describes, after checking it (mproc::ProtocolError).
    void load_wire(const handle_wire& w);

    /// Boost.Serialization's member hook, one for both directions (so this
    /// header, and a Lock-only user, need no Boost.Serialization header).
    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        if constexpr (Archive::is_saving::value) {
            const handle_wire w = save_wire();
            ar << w.arena_id << w.reserve << w.offset << w.fd_index << w.kind << w.generation << w.transit;
        } else {
            handle_wire w;
            ar >> w.arena_id >> w.reserve >> w.offset >> w.fd_index >> w.kind >> w.generation >> w.transit;
            load_wire(w);
        }
    }

private:
    std::shared_ptr<handle_state> s_;
    void* p_ = nullptr;
    shared_kind kind_ = shared_kind::none;
};

}  // namespace mproc::detail
