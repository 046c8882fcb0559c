// The shared queue: a log of records in a chain of arena segments, written
// by producers under one robust lock and read by consumers under another.
//
// A record is an 8-byte header (its commit word: sequence number and size)
// then the payload (any size, continuing into the next segments), padded to
// 8 bytes. The commit word is 0 until the record is whole; the producer
// stores it last (release), after zeroing the header that follows, so
// a reader never passes a record that is not whole, and a producer killed
// anywhere before that store leaves nothing visible. The consumer copies a
// record out (or hands it to a decoder in place), then moves the head past
// it in one store: killed before that, the record stays for the next
// consumer. A robust lock recovered from a dead producer re-reads the log
// from the last known tail (the dead one may have committed without
// recording it); from a dead consumer it re-derives the count of records
// taken. Nothing needs more repair.
//
// Waiting (posix/waiting.hpp): a short spin on the next header, then a sliced
// sleep on the other side's wake_point, which that side bumps after its
// commit when someone said it sleeps (every sleeper is woken: one killed
// after its wake-up cannot strand the others).
//
// Whole segments go back to the arena's pool as the head leaves them.
//
// Trust: every offset read from shared memory (head, tails, links, lengths)
// is checked against the arena file before it is followed; a queue another
// process wrote over makes put/get/empty throw mproc::Error, never fault.
#pragma once

#include "posix/poll.hpp"
#include "posix/robust_mutex.hpp"
#include "transport/arena.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mproc::transport {

struct queue_block;

class shared_queue {
public:
    /// Where a message goes. `whole` receives a message kept in one piece
    /// (its bytes valid during the call only); a message in pieces is
    /// gathered into `room(ctx, size)` when given (then `whole` is not
    /// called), else into a buffer passed to `whole`.
    struct receiver {
        void (*whole)(void* ctx, std::string_view bytes);
        char* (*room)(void* ctx, std::size_t size);
        void* ctx;
    };

    /// Bytes and alignment of a queue's block (a shared_handle's payload).
    static std::size_t block_bytes() noexcept;
    static std::size_t block_align() noexcept;
    /// Makes an empty queue in the zeroed block at `block` of `a`. `maxsize`
    /// 0 means unbounded. Throws as arena::take_segments.
    static void create(arena& a, offset_t block, std::uint64_t maxsize);

    /// The queue at `block` in `a` (a view: copying it copies no queue).
    shared_queue(arena& a, offset_t block) noexcept;

    /// Gives the queue's segments (and the messages in them) back to the
    /// arena; nobody may use it afterwards. The block itself is its handle's.
    void destroy() noexcept;

    /// Appends `bytes`. Waits until `until` for the producers' lock and, when
    /// bounded, for room: false if it could not put by then. Throws std::bad_alloc / mproc::Error when the
    /// arena cannot give memory (the queue is unchanged), mproc::Error when
    /// the queue's memory was written over.
    bool put(std::string_view bytes, posix::deadline until);

    /// Takes the oldest message and passes it to `to`; waits for one until
    /// `until` (false if none came). If the receiver throws, the message is
    /// taken all the same (a message that cannot be decoded must not block
    /// the queue) and the exception propagates; std::bad_alloc leaves it.
    bool get(const receiver& to, posix::deadline until);

    /// Messages put and not yet taken (approximate while others work).
    std::uint64_t size() const noexcept;
    /// Whether no whole message is waiting now.
    bool empty() const;
    std::uint64_t maxsize() const noexcept;

    /// JoinableQueue: one message processed. Throws mproc::Error when called
    /// more often than messages were put.
    void task_done();
    /// Waits until every message put was task_done'd, until `until`.
    bool join(posix::deadline until);

    offset_t block() const noexcept { return block_; }
    /// The producers' and the consumers' locks (tests hold them, or kill
    /// their holders, to drive the waiting and repair paths directly).
    posix::robust_mutex& producer_lock() const noexcept;
    posix::robust_mutex& consumer_lock() const noexcept;

private:
    arena* a_;
    queue_block* q_;
    offset_t block_;
};

}  // namespace mproc::transport
