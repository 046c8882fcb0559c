// The layout of a shared queue in the arena, shared by its operations
// (shared_queue.cpp) and its repair after a death (shared_queue_repair.cpp):
// the queue's block, a record's header word, and the view of the log's
// words. See shared_queue.hpp for the protocol.
#pragma once

#include "posix/waiting.hpp"
#include "transport/arena.hpp"
#include "transport/shared_queue.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

namespace mproc::transport::queue_layout {

constexpr std::uint64_t seg_bytes = arena::segment_size;
constexpr std::uint64_t data_start = 64;  // a segment's link word, then padding
// A record's header is one word: (sequence number mod 2^40) << 24 | size
// field, never 0 once committed. The size field is the payload's size + 1,
// or `long_size` when that does not fit in 24 bits: the size then follows
// as a word of its own. Small messages take 8 bytes of header, so four
// 8-byte messages share a cache line.
constexpr std::uint64_t header_bytes = 8;
constexpr std::uint64_t long_size = 0xffffff;
constexpr std::uint64_t seq_mask = (std::uint64_t{1} << 40) - 1;
constexpr std::uint64_t queue_magic = 0x657565757163706dULL;
// How long a consumer (or a producer facing a full queue) spins before it
// sleeps: shorter than a cross-CPU wake-up (~30 us here).
constexpr auto spin_time = std::chrono::microseconds(20);
// A sleeper re-checks this often whatever happens (no lost wake-up can
// strand it longer).
constexpr auto wait_slice = std::chrono::milliseconds(50);

inline bool at_end(offset_t pos) noexcept { return pos % seg_bytes == 0; }
// The segment a position belongs to (a position at a segment's end belongs
// to that segment).
inline offset_t seg_of(offset_t pos) noexcept { return at_end(pos) ? pos - seg_bytes : pos & ~(seg_bytes - 1); }
inline std::uint64_t padded(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }
inline std::uint64_t commit_word(std::uint64_t seq, std::uint64_t size) noexcept {
    return (seq & seq_mask) << 24 | (size + 1 < long_size ? size + 1 : long_size);
}

}  // namespace mproc::transport::queue_layout

namespace mproc::transport {

struct queue_block {
    std::uint64_t magic;
    std::uint64_t maxsize;
    // Producers' side.
    alignas(64) posix::robust_mutex put_lock;
    // Where the next record goes and its number (put_lock), in two copies:
    // a producer writes the other copy, then switches `current` in one store,
    // so a dead producer leaves one consistent pair.
    struct tail_state {
        offset_t tail;
        std::uint64_t next_seq;
    } producer[2];
    std::atomic<std::uint32_t> current;
    // (A `current` written over by another process still names one of the
    // two: its tail is checked where it is used.)
    const tail_state& now() const noexcept { return producer[current.load(std::memory_order_relaxed) & 1]; }
    void set(offset_t tail, std::uint64_t next_seq) noexcept {
        const std::uint32_t other = 1 - (current.load(std::memory_order_relaxed) & 1);
        producer[other] = {tail, next_seq};
        current.store(other, std::memory_order_release);
    }
    alignas(64) std::atomic<std::uint64_t> put_seq;  // records committed, published
    // Consumers' side.
    alignas(64) posix::robust_mutex get_lock;
    std::atomic<offset_t> head;          // the next record to take
    std::atomic<std::uint64_t> get_seq;  // records taken, published
    // Bumped by one side after its commit when the other side said it
    // sleeps (posix::wake_point: survives killed sleepers and wakers).
    alignas(64) posix::wake_point items;
    alignas(64) posix::wake_point space;
    // JoinableQueue.
    alignas(64) std::atomic<std::uint64_t> done;
    posix::wake_point joined;
};

}  // namespace mproc::transport

namespace mproc::transport::queue_layout {

// The log's words, in the arena. Every offset read from shared memory (the
// head, a tail, a segment's link, a record's length) is checked against the
// file before it is followed: a process that wrote over one makes the reader
// throw mproc::Error (corrupt()), never fault.
struct log_view {
    arena& a;
    std::atomic_ref<std::uint64_t> word(offset_t off) const noexcept {
        return std::atomic_ref<std::uint64_t>(*a.at<std::uint64_t>(off));
    }
    char* bytes(offset_t off) const noexcept { return a.base() + off; }

    /// Throws mproc::Error naming the damaged structure.
    [[noreturn]] static void corrupt(const char* what);
    /// `p` (read from shared memory as `what`) is a position in the log: in a
    /// segment of the file, 8-aligned, past the segment's link word.
    offset_t position(offset_t p, const char* what) const {
        if (p % 8 != 0 || !a.holds(seg_of(p), seg_bytes) || (!at_end(p) && p % seg_bytes < data_start)) corrupt(what);
        return p;
    }
    /// The segment after `seg` (0 when none is linked yet), checked.
    offset_t link(offset_t seg) const {
        const offset_t next = word(seg).load(std::memory_order_acquire);
        if (next && (next % seg_bytes != 0 || !a.holds(next, seg_bytes))) corrupt("a segment's link");
        return next;
    }
    /// The segment after `seg`, which a committed record continues into.
    offset_t follow(offset_t seg) const {
        const offset_t next = link(seg);
        if (!next) corrupt("a segment's link (a message continues past its segment)");
        return next;
    }

    // Where the record at `pos` starts for a reader: past a segment's end,
    // the next segment's data; 0 when that segment is not linked yet.
    offset_t readable(offset_t pos) const {
        if (!at_end(pos)) return pos;
        const offset_t next = link(pos - seg_bytes);
        return next ? next + data_start : 0;
    }
    // The committed record's header at `pos`, or 0.
    std::uint64_t committed(offset_t pos) const {
        const offset_t at = readable(pos);
        return at ? word(at).load(std::memory_order_acquire) : 0;
    }
    // The payload of the committed record at `at` (header `c`): its size
    // (no more than the file holds) and where it starts.
    std::pair<std::uint64_t, offset_t> payload(offset_t at, std::uint64_t c) const {
        offset_t data = at + header_bytes;
        if ((c & long_size) != long_size) return {(c & long_size) - 1, data};
        if (at_end(data)) data = follow(data - seg_bytes) + data_start;
        const std::uint64_t size = word(data).load(std::memory_order_relaxed);
        if (!a.holds(seg_bytes, size)) corrupt("a message's length");
        return {size, data + 8};
    }
    // The position `n` bytes after data position `pos`, along linked segments
    // (which exist: the bytes belong to a committed record).
    offset_t advance(offset_t pos, std::uint64_t n) const {
        for (;;) {
            if (at_end(pos) && n) pos = follow(pos - seg_bytes) + data_start;
            const std::uint64_t room = seg_of(pos) + seg_bytes - pos;
            if (n <= room) return pos + n;
            pos += room;
            n -= room;
        }
    }
};

/// After a producer died holding the producers' lock (both locks held): the
/// record it committed without moving the tail is taken into account.
void repair_tail(const log_view& log, queue_block& q);
/// After a consumer died holding the consumers' lock: get_seq re-derived.
void repair_head(const log_view& log, queue_block& q);

}  // namespace mproc::transport::queue_layout
