// A queue's repair after a process died holding one of its locks (the
// recovering locker calls these; see shared_queue.hpp for the rule).
#include "transport/shared_queue_log.hpp"

namespace mproc::transport::queue_layout {

// After a producer died holding the lock: the record it committed without
// moving the tail is taken into account. Called with both locks held: a
// consumer may already have taken that record and given its segment back to
// the arena, whose free list then owns the link word the walk below would
// follow; the tail is then where the consumers' head stopped (nothing after
// the dead producer's record was committed).
void repair_tail(const log_view& log, queue_block& q) {
    if (const std::uint64_t taken = q.get_seq.load(std::memory_order_acquire); taken > q.now().next_seq) {
        q.set(q.head.load(std::memory_order_acquire), taken);
        q.put_seq.store(taken, std::memory_order_release);
        return;
    }
    offset_t pos = log.position(q.now().tail, "the queue's tail");
    std::uint64_t next_seq = q.now().next_seq;
    for (;;) {
        const offset_t at = log.readable(pos);
        if (!at) break;
        const std::uint64_t c = log.word(at).load(std::memory_order_acquire);
        if (!c) break;
        ++next_seq;  // the dead producer's record: it had number next_seq
        const auto [size, data] = log.payload(at, c);
        pos = log.advance(data, padded(size));
    }
    q.set(pos, next_seq);
    q.put_seq.store(next_seq, std::memory_order_release);
}

// After a consumer died holding the lock: its record may be taken (head
// moved) without get_seq saying so.
void repair_head(const log_view& log, queue_block& q) {
    const offset_t at = log.readable(log.position(q.head.load(std::memory_order_relaxed), "the queue's head"));
    const std::uint64_t c = at ? log.word(at).load(std::memory_order_acquire) : 0;
    // The record at the head has the number of the next get: from its 40
    // low bits and get_seq (behind by at most one), the whole number.
    const std::uint64_t stale = q.get_seq.load(std::memory_order_relaxed);
    q.get_seq.store(c ? stale + (((c >> 24) - stale) & seq_mask) : q.put_seq.load(), std::memory_order_release);
}

}  // namespace mproc::transport::queue_layout
