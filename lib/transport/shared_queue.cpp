#include "transport/shared_queue.hpp"

#include "posix/futex.hpp"
#include "posix/robust_mutex.hpp"
#include "posix/waiting.hpp"

#include <mproc/errors.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

namespace mproc::transport {

namespace {

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

bool at_end(offset_t pos) noexcept { return pos % seg_bytes == 0; }
// The segment a position belongs to (a position at a segment's end belongs
// to that segment).
offset_t seg_of(offset_t pos) noexcept { return at_end(pos) ? pos - seg_bytes : pos & ~(seg_bytes - 1); }
std::uint64_t padded(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }
std::uint64_t commit_word(std::uint64_t seq, std::uint64_t size) noexcept {
    return (seq & seq_mask) << 24 | (size + 1 < long_size ? size + 1 : long_size);
}

using posix::passed;

}  // namespace

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
    const tail_state& now() const noexcept { return producer[current.load(std::memory_order_relaxed)]; }
    void set(offset_t tail, std::uint64_t next_seq) noexcept {
        const std::uint32_t other = 1 - current.load(std::memory_order_relaxed);
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

namespace {

// The log's words, in the arena.
struct log_view {
    arena& a;
    std::atomic_ref<std::uint64_t> word(offset_t off) const noexcept {
        return std::atomic_ref<std::uint64_t>(*a.at<std::uint64_t>(off));
    }
    std::atomic_ref<std::uint64_t> link(offset_t seg) const noexcept { return word(seg); }
    char* bytes(offset_t off) const noexcept { return a.base() + off; }

    // Where the record at `pos` starts for a reader: past a segment's end,
    // the next segment's data; 0 when that segment is not linked yet.
    offset_t readable(offset_t pos) const noexcept {
        if (!at_end(pos)) return pos;
        const offset_t next = link(pos - seg_bytes).load(std::memory_order_acquire);
        return next ? next + data_start : 0;
    }
    // The committed record's header at `pos`, or 0.
    std::uint64_t committed(offset_t pos) const noexcept {
        const offset_t at = readable(pos);
        return at ? word(at).load(std::memory_order_acquire) : 0;
    }
    // The payload of the committed record at `at` (header `c`): its size
    // and where it starts.
    std::pair<std::uint64_t, offset_t> payload(offset_t at, std::uint64_t c) const noexcept {
        offset_t data = at + header_bytes;
        if ((c & long_size) != long_size) return {(c & long_size) - 1, data};
        if (at_end(data)) data = link(data - seg_bytes).load(std::memory_order_acquire) + data_start;
        return {word(data).load(std::memory_order_relaxed), data + 8};
    }
    // The position `n` bytes after data position `pos`, along linked segments
    // (which exist: the bytes belong to a committed record).
    offset_t advance(offset_t pos, std::uint64_t n) const noexcept {
        for (;;) {
            if (at_end(pos) && n) pos = link(pos - seg_bytes).load(std::memory_order_acquire) + data_start;
            const std::uint64_t room = seg_of(pos) + seg_bytes - pos;
            if (n <= room) return pos + n;
            pos += room;
            n -= room;
        }
    }
};

// Writer's side: the position `pos`, moving into the next segment (linked
// now if no producer did before) when it is a segment's end.
offset_t writable(const log_view& log, offset_t pos) {
    if (!at_end(pos)) return pos;
    const offset_t seg = pos - seg_bytes;
    offset_t next = log.link(seg).load(std::memory_order_acquire);
    if (!next) {
        next = log.a.take_segments(1);
        log.word(next + data_start).store(0, std::memory_order_relaxed);  // nothing there yet
        log.link(seg).store(next, std::memory_order_release);
    }
    return next + data_start;
}

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
    offset_t pos = q.now().tail;
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
    const offset_t at = log.readable(q.head.load(std::memory_order_relaxed));
    const std::uint64_t c = at ? log.word(at).load(std::memory_order_acquire) : 0;
    // The record at the head has the number of the next get: from its 40
    // low bits and get_seq (behind by at most one), the whole number.
    const std::uint64_t stale = q.get_seq.load(std::memory_order_relaxed);
    q.get_seq.store(c ? stale + (((c >> 24) - stale) & seq_mask) : q.put_seq.load(), std::memory_order_release);
}

}  // namespace

std::size_t shared_queue::block_bytes() noexcept { return sizeof(queue_block); }
std::size_t shared_queue::block_align() noexcept { return alignof(queue_block); }

void shared_queue::create(arena& a, offset_t block, std::uint64_t maxsize) {
    const offset_t first = a.take_segments(1);
    auto* q = new (a.at<void>(block)) queue_block{};
    q->magic = queue_magic;
    q->maxsize = maxsize;
    log_view log{a};
    log.word(first + data_start).store(0, std::memory_order_relaxed);
    q->set(first + data_start, 0);
    q->head.store(first + data_start, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
}

shared_queue::shared_queue(arena& a, offset_t block) noexcept
    : a_(&a), q_(a.at<queue_block>(block)), block_(block) {}

void shared_queue::destroy() noexcept {
    log_view log{*a_};
    // Every segment from the head's on (those after the tail included).
    const offset_t first = seg_of(q_->head.load());
    offset_t last = first;
    std::size_t count = 1;
    for (offset_t next; (next = log.link(last).load()) != 0; last = next) ++count;
    a_->give_segments(first, last, count);
    q_->magic = 0;
    q_->~queue_block();
}

bool shared_queue::put(std::string_view bytes, posix::deadline until) {
    queue_block& q = *q_;
    const log_view log{*a_};
    for (bool spun = false;;) {
        // Bounded or not, the lock is waited for until `until` only (another
        // producer may hold it for the copy of a message of any size).
        posix::robust_guard lock(q.put_lock, until);
        if (!lock.held()) return false;
        if (lock.owner_died()) {
            // The consumers' lock too (put_lock, then get_lock: get() never
            // takes put_lock), so head and get_seq hold still.
            posix::robust_guard consumers(q.get_lock);
            if (consumers.owner_died()) repair_head(log, q);
            repair_tail(log, q);
            consumers.unlock();
            q.items.wake_all();
        }
        if (q.maxsize &&
            static_cast<std::int64_t>(q.now().next_seq - q.get_seq.load(std::memory_order_acquire)) >=
                static_cast<std::int64_t>(q.maxsize)) {
            // Full: wait for a consumer's commit (lock released).
            if (passed(until)) return false;
            if (!spun) {
                lock.unlock();
                spun = true;
                posix::spin_until(
                    [&] {
                        return static_cast<std::int64_t>(q.put_seq.load(std::memory_order_relaxed) -
                                                         q.get_seq.load(std::memory_order_acquire)) <
                               static_cast<std::int64_t>(q.maxsize);
                    },
                    spin_time);
                continue;
            }
            const std::uint32_t event = q.space.arm();
            const bool full = static_cast<std::int64_t>(q.now().next_seq - q.get_seq.load(std::memory_order_seq_cst)) >=
                              static_cast<std::int64_t>(q.maxsize);
            lock.unlock();
            if (full) posix::sleep_slice(q.space.event, event, until, wait_slice);
            continue;
        }
        // The header at the tail is 0 (nothing committed there): write the
        // payload, zero the header after it, then commit.
        const auto [tail, next_seq] = q.now();
        const offset_t at = writable(log, tail);
        offset_t pos = at + header_bytes;
        const std::uint64_t commit = commit_word(next_seq, bytes.size());
        if ((commit & long_size) == long_size) {
            pos = writable(log, pos);
            log.word(pos).store(bytes.size(), std::memory_order_relaxed);
            pos += 8;
        }
        const char* src = bytes.data();
        std::size_t left = bytes.size();
        while (left) {
            pos = writable(log, pos);
            const std::size_t n = std::min<std::uint64_t>(left, seg_of(pos) + seg_bytes - pos);
            std::memcpy(log.bytes(pos), src, n);
            pos += n;
            src += n;
            left -= n;
        }
        const offset_t end = at_end(pos) ? pos : padded(pos);
        if (!at_end(end)) {
            log.word(end).store(0, std::memory_order_relaxed);
        } else if (const offset_t next = log.link(end - seg_bytes).load(std::memory_order_acquire)) {
            log.word(next + data_start).store(0, std::memory_order_relaxed);  // a dead producer's bytes
        }
        log.word(at).store(commit, std::memory_order_release);  // the commit
        q.set(end, next_seq + 1);
        q.put_seq.store(next_seq + 1, std::memory_order_release);
        lock.unlock();
        q.items.wake_all();
        return true;
    }
}

bool shared_queue::get(const receiver& to, posix::deadline until) {
    queue_block& q = *q_;
    const log_view log{*a_};
    for (bool spun = false;;) {
        posix::robust_guard lock(q.get_lock, until);
        if (!lock.held()) return false;
        if (lock.owner_died()) {
            repair_head(log, q);
            q.space.wake_all();
        }
        const offset_t head = q.head.load(std::memory_order_relaxed);
        const offset_t at = log.readable(head);
        const std::uint64_t commit = at ? log.word(at).load(std::memory_order_acquire) : 0;
        if (!commit) {
            if (passed(until)) return false;
            if (!spun) {
                // Empty: spin on the next header without the lock, then sleep.
                lock.unlock();
                spun = true;
                posix::spin_until([&] { return log.committed(q.head.load(std::memory_order_acquire)) != 0; }, spin_time);
                continue;
            }
            const std::uint32_t event = q.items.arm();  // pairs with wake_all's fence
            const bool empty = log.committed(head) == 0;
            lock.unlock();
            if (empty) posix::sleep_slice(q.items.event, event, until, wait_slice);
            continue;
        }
        auto [len, data] = log.payload(at, commit);
        if (at_end(data) && len) data = log.link(data - seg_bytes).load(std::memory_order_acquire) + data_start;
        std::exception_ptr failed;
        try {
            if (data + len <= seg_of(data) + seg_bytes) {
                to.whole(to.ctx, std::string_view(log.bytes(data), len));  // in place
            } else {
                // Gathered from its segments into the receiver's room, or
                // else a buffer of ours (not zero-filled first: one pass).
                std::unique_ptr<char[]> ours;
                char* const room = to.room ? to.room(to.ctx, len) : (ours.reset(new char[len]), ours.get());
                offset_t pos = data;
                for (std::uint64_t copied = 0; copied < len;) {
                    if (at_end(pos)) pos = log.link(pos - seg_bytes).load(std::memory_order_acquire) + data_start;
                    const std::uint64_t n = std::min<std::uint64_t>(len - copied, seg_of(pos) + seg_bytes - pos);
                    std::memcpy(room + copied, log.bytes(pos), n);
                    copied += n;
                    pos += n;
                }
                if (ours) to.whole(to.ctx, std::string_view(room, len));
            }
        } catch (const std::bad_alloc&) {
            throw;  // the message stays: nothing was taken
        } catch (...) {
            failed = std::current_exception();
        }
        const offset_t end = log.advance(data, padded(len));
        // The segments the head leaves, freed once it has left them.
        const offset_t stop = seg_of(end);
        offset_t first = seg_of(head);
        offset_t last = 0;
        std::size_t count = 0;
        for (offset_t s = first; s != stop; s = log.link(s).load(std::memory_order_relaxed)) {
            last = s;
            ++count;
        }
        q.head.store(end, std::memory_order_release);  // the commit
        q.get_seq.store(q.get_seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
        lock.unlock();
        if (count) a_->give_segments(first, last, count);
        if (q.maxsize) q.space.wake_all();
        if (failed) std::rethrow_exception(failed);
        return true;
    }
}

std::uint64_t shared_queue::size() const noexcept {
    const std::uint64_t taken = q_->get_seq.load(std::memory_order_acquire);
    const std::uint64_t put = q_->put_seq.load(std::memory_order_acquire);
    return put > taken ? put - taken : 0;
}

bool shared_queue::empty() const noexcept {
    const log_view log{*a_};
    return log.committed(q_->head.load(std::memory_order_acquire)) == 0;
}

std::uint64_t shared_queue::maxsize() const noexcept { return q_->maxsize; }

posix::robust_mutex& shared_queue::producer_lock() const noexcept { return q_->put_lock; }
posix::robust_mutex& shared_queue::consumer_lock() const noexcept { return q_->get_lock; }

void shared_queue::task_done() {
    queue_block& q = *q_;
    std::uint64_t d = q.done.load();
    for (;;) {
        const std::uint64_t bound = std::max(q.put_seq.load(), q.get_seq.load());
        if (d >= bound) throw Error("task_done() called too many times");
        if (q.done.compare_exchange_weak(d, d + 1)) break;
    }
    if (d + 1 >= q.put_seq.load()) q.joined.wake_all();
}

bool shared_queue::join(posix::deadline until) {
    queue_block& q = *q_;
    for (;;) {
        if (q.done.load() >= q.put_seq.load()) return true;
        if (passed(until)) return false;
        const std::uint32_t event = q.joined.arm();
        if (q.done.load() < q.put_seq.load()) posix::sleep_slice(q.joined.event, event, until, wait_slice);
    }
}

}  // namespace mproc::transport
