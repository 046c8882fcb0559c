#include "transport/shared_queue.hpp"

#include "posix/futex.hpp"
#include "posix/robust_mutex.hpp"
#include "posix/waiting.hpp"
#include "transport/shared_queue_log.hpp"

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

using namespace queue_layout;
using posix::passed;

namespace {

// Writer's side: the position `pos`, moving into the next segment (linked
// now if no producer did before) when it is a segment's end.
offset_t writable(const log_view& log, offset_t pos) {
    if (!at_end(pos)) return pos;
    const offset_t seg = pos - seg_bytes;
    offset_t next = log.link(seg);
    if (!next) {
        next = log.a.take_segments(1);
        log.word(next + data_start).store(0, std::memory_order_relaxed);  // nothing there yet
        log.word(seg).store(next, std::memory_order_release);
    }
    return next + data_start;
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
    if (q_->magic != queue_magic) return;  // never made whole (create threw): no segments
    const log_view log{*a_};
    try {
        // Every segment from the head's on (those after the tail included).
        const offset_t first = seg_of(log.position(q_->head.load(), "the queue's head"));
        offset_t last = first;
        std::size_t count = 1;
        for (offset_t next; (next = log.link(last)) != 0; last = next)
            if (++count > a_->reserve() / seg_bytes) log_view::corrupt("a segment's link (a cycle)");
        a_->give_segments(first, last, count);
    } catch (const Error&) {
        // Written over by another process: its segments are left (leaked), not followed.
    }
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
        const offset_t at = writable(log, log.position(tail, "the queue's tail"));
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
        } else if (const offset_t next = log.link(end - seg_bytes)) {
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

void log_view::corrupt(const char* what) {
    throw Error(std::string("mproc::Queue: the queue's shared memory is corrupt (") + what +
                " was written over by another process)");
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
        const offset_t head = log.position(q.head.load(std::memory_order_relaxed), "the queue's head");
        const offset_t at = log.readable(head);
        const std::uint64_t commit = at ? log.word(at).load(std::memory_order_acquire) : 0;
        if (!commit) {
            if (passed(until)) return false;
            if (!spun) {
                // Empty: spin on the next header without the lock, then sleep.
                lock.unlock();
                spun = true;
                posix::spin_until(
                    [&] {
                        return log.committed(log.position(q.head.load(std::memory_order_acquire), "the queue's head")) != 0;
                    },
                    spin_time);
                continue;
            }
            const std::uint32_t event = q.items.arm();  // pairs with wake_all's fence
            const bool empty = log.committed(head) == 0;
            lock.unlock();
            if (empty) posix::sleep_slice(q.items.event, event, until, wait_slice);
            continue;
        }
        auto [len, data] = log.payload(at, commit);
        if (at_end(data) && len) data = log.follow(data - seg_bytes) + data_start;
        // The record's whole chain is checked before anyone reads it.
        const offset_t end = log.advance(data, padded(len));
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
                    if (at_end(pos)) pos = log.follow(pos - seg_bytes) + data_start;
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
        // The segments the head leaves, freed once it has left them (the
        // chain advance() checked, so at most one per segment's worth of data).
        const offset_t stop = seg_of(end);
        offset_t first = seg_of(head);
        offset_t last = 0;
        std::size_t count = 0;
        for (offset_t s = first; s != stop; s = log.follow(s)) {
            last = s;
            if (++count > len / (seg_bytes - data_start) + 2) log_view::corrupt("a segment's link (a cycle)");
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

bool shared_queue::empty() const {
    const log_view log{*a_};
    return log.committed(log.position(q_->head.load(std::memory_order_acquire), "the queue's head")) == 0;
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
