/// Queue, SimpleQueue and JoinableQueue: message queues between processes in
/// shared memory (Python: multiprocessing.Queue, SimpleQueue, JoinableQueue).
///
///     mproc::Queue<std::string> q;                 // unbounded; Queue<T>(n) holds at most n
///     mproc::Process p([](mproc::Queue<std::string> q) { q.put("A"); }, q);
///     p.start();
///     std::string v = q.get();                     // "A"
///     auto w = q.try_get(500ms);                   // std::optional: nullopt after 500 ms
///
/// Queues are handles: copies (in this process, in a forked child, or passed
/// as a Process or Pool task argument under any start method) share one queue.
/// The queue and its unread messages are freed when the last handle in any
/// process is gone, a process killed with its handle included. Any number
/// of processes and threads may put and get at once; messages from one
/// producer arrive in the order it put them. T is any type mproc::dumps /
/// loads carry (std::string and vectors of bytes travel as their bytes,
/// trivially copyable values as theirs); messages may be of any size.
///
/// Where mproc goes further than Python: there is no feeder thread: once
/// put() has returned, the message is in shared memory and is delivered even
/// if its producer is killed the next instant. A process killed in the middle
/// of put() or get() leaves no half message and no held lock: the others go
/// on. The memory is a memfd: nothing in /dev/shm, no other user can open
/// it, nothing remains after the last process of the family ends. One
/// descriptor serves every queue of a process family.
///
/// Timeouts are std::chrono durations; a negative one means "do not wait"; a
/// NaN one throws std::invalid_argument.
///
/// Errors a caller can act on:
///  - mproc::Empty: get(timeout) found nothing in time, get_nowait found nothing;
///  - mproc::Full: put(v, timeout) / put_nowait on a bounded queue that stayed full;
///  - mproc::Error: put or get after close() in this process; task_done()
///    called more often than messages were put; the shared memory damaged
///    by a process killed while allocating queue memory; the queue's memory
///    written over by a process (an offset in it points outside the arena);
///  - mproc::ProtocolError: get() of a message that is not a T (the message
///    is consumed);
///  - std::bad_alloc: the shared memory cannot grow (the message is not put;
///    also past a file-size limit, `ulimit -f`, which never kills the
///    program with SIGXFSZ).
#pragma once

#include <mproc/codec.hpp>
#include <mproc/detail/api/checked_count.hpp>
#include <mproc/detail/transport/fd_transfer.hpp>
#include <mproc/detail/transport/shared_handle.hpp>
#include <mproc/errors.hpp>

#include <boost/serialization/split_member.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mproc {

namespace detail {

/// The byte-level queue under the typed facades (lib/api/queue.cpp).
class queue_core {
public:
    using timeout = std::optional<std::chrono::duration<double>>;  // nullopt: wait forever
    /// Where get() puts a message: see transport::shared_queue::receiver.
    struct receiver {
        void (*whole)(void* ctx, std::string_view bytes);
        char* (*room)(void* ctx, std::size_t size);
        void* ctx;
    };

    /// A new queue in this family's shared memory (nothing while a task is
    /// decoded: load() follows).
    explicit queue_core(std::size_t maxsize);
    queue_core(const queue_core&) noexcept = default;
    queue_core& operator=(const queue_core&) noexcept = default;
    ~queue_core();

    /// Throws Full when still full at the timeout.
    void put(std::string_view bytes, timeout t);
    /// Passes the oldest message to `to`; false when none came in time.
    bool get(const receiver& to, timeout t);

    std::size_t qsize() const;
    bool empty() const;
    bool full() const;
    std::size_t maxsize() const;
    void close() noexcept;
    void task_done();
    void join();

    template <class Archive>
    void save(Archive& ar, const unsigned) const {
        ar << h_;
    }
    template <class Archive>
    void load(Archive& ar, const unsigned) {
        ar >> h_;
        closed_ = std::make_shared<std::atomic<bool>>(false);
    }
    BOOST_SERIALIZATION_SPLIT_MEMBER()

private:
    void check_open(const char* op) const;
    shared_handle h_;
    std::shared_ptr<std::atomic<bool>> closed_;  // close() in this process
};

// Byte strings travel as their bytes (no archive around them): one copy in,
// one copy out, as the memcpy codec does for trivially copyable values.
template <class T>
inline constexpr bool byte_string = false;
template <>
inline constexpr bool byte_string<std::string> = true;
template <>
inline constexpr bool byte_string<std::vector<char>> = true;
template <>
inline constexpr bool byte_string<std::vector<unsigned char>> = true;
template <>
inline constexpr bool byte_string<std::vector<signed char>> = true;
template <>
inline constexpr bool byte_string<std::vector<std::byte>> = true;

template <class T>
void decode_into(void* ctx, std::string_view bytes) {
    auto& out = *static_cast<std::optional<T>*>(ctx);
    if constexpr (byte_string<T>) {
        using byte = typename T::value_type;
        const auto* p = reinterpret_cast<const byte*>(bytes.data());
        out.emplace(p, p + bytes.size());
    } else {
        out.emplace(loads<T>(bytes));
    }
}

template <class T>
char* room_in(void* ctx, std::size_t size) {
    auto& out = *static_cast<std::optional<T>*>(ctx);
    out.emplace();
    out->resize(size);
    return reinterpret_cast<char*>(out->data());
}

template <class T>
queue_core::receiver receiver_for(std::optional<T>& out) {
    if constexpr (byte_string<T>)
        return {&decode_into<T>, &room_in<T>, &out};
    else
        return {&decode_into<T>, nullptr, &out};
}

template <class T, class F>
void with_bytes(const T& obj, F&& use) {
    if constexpr (byte_string<T>) {
        use(std::string_view(reinterpret_cast<const char*>(obj.data()), obj.size()));
    } else if constexpr (memcpy_codec<T>) {
        use(std::string_view(reinterpret_cast<const char*>(&obj), sizeof obj));
    } else {
        use(std::string_view(dumps(obj)));
    }
}

}  // namespace detail

/// A multi-producer, multi-consumer queue of T (Python: multiprocessing.Queue).
template <class T>
class Queue {
public:
    using duration = std::chrono::duration<double>;

    /// An empty queue; `maxsize` 0 or less means unbounded (as Python's;
    /// maxsize() then says 0; put never waits for room), else put waits while
    /// `maxsize` messages are waiting. What a put waits for besides room: the
    /// producers' lock, held by another producer while it copies its message
    /// in (for as long as that copy takes). Throws std::system_error when the
    /// shared memory cannot be made.
    template <std::integral N = std::size_t>
    explicit Queue(N maxsize = 0) : core_(detail::queue_bound(maxsize)) {}

    /// Puts `obj`; waits for the producers' lock and, on a bounded queue,
    /// for room (Python: put).
    void put(const T& obj) { put_for(obj, std::nullopt); }
    /// Waits at most `timeout` for the producers' lock and room, else throws
    /// mproc::Full (bounded or not: nothing was put).
    void put(const T& obj, duration timeout) { put_for(obj, timeout); }
    /// Puts `obj` if there is room now, else throws mproc::Full.
    void put_nowait(const T& obj) { put_for(obj, duration::zero()); }

    /// Takes the oldest message, waiting for one (Python: get).
    T get() { return *take(std::nullopt); }
    /// Waits at most `timeout`, else throws mproc::Empty.
    T get(duration timeout) {
        auto v = take(timeout);
        if (!v) throw Empty();
        return std::move(*v);
    }
    /// Takes a message waiting now, else throws mproc::Empty.
    T get_nowait() { return get(duration::zero()); }
    /// Waits at most `timeout`; nullopt if nothing came.
    std::optional<T> try_get(duration timeout) { return take(timeout); }

    /// Messages waiting (approximate while others put and get).
    std::size_t qsize() const { return core_.qsize(); }
    bool empty() const { return core_.empty(); }
    /// Whether a bounded queue holds maxsize messages.
    bool full() const { return core_.full(); }
    std::size_t maxsize() const { return core_.maxsize(); }

    /// This process will put and get no more: later put/get throw
    /// mproc::Error (Python: close). Other processes are not affected.
    void close() noexcept { core_.close(); }
    /// No-op: mproc has no feeder thread, nothing is ever buffered in the
    /// process (Python: join_thread waits for the feeder to flush).
    void join_thread() noexcept {}
    /// No-op, for the same reason (Python: cancel_join_thread).
    void cancel_join_thread() noexcept {}

    /// A queue passed as a Process argument crosses to a spawned or
    /// forkserver child, and as a Pool task argument to a worker: the
    /// family's shared-memory descriptor travels with the task. Serializing a
    /// queue anywhere else throws mproc::ProcessError.
    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & core_;
    }

protected:
    void put_for(const T& obj, detail::queue_core::timeout t) {
        detail::with_bytes(obj, [&](std::string_view bytes) { core_.put(bytes, t); });
    }
    std::optional<T> take(detail::queue_core::timeout t) {
        std::optional<T> out;
        core_.get(detail::receiver_for(out), t);
        return out;
    }

    detail::queue_core core_;
};

/// A queue whose consumers report each message done (Python:
/// multiprocessing.JoinableQueue).
template <class T>
class JoinableQueue : public Queue<T> {
public:
    /// As Queue's: `maxsize` 0 or less means unbounded.
    template <std::integral N = std::size_t>
    explicit JoinableQueue(N maxsize = 0) : Queue<T>(maxsize) {}

    /// One message taken with get() is processed. Throws mproc::Error when
    /// called more often than messages were put.
    void task_done() { this->core_.task_done(); }
    /// Waits until every message put has been task_done'd (Python: join).
    void join() { this->core_.join(); }
};

/// The unbounded queue reduced to put, get, empty and close (Python:
/// multiprocessing.SimpleQueue).
template <class T>
class SimpleQueue {
public:
    SimpleQueue() = default;
    void put(const T& obj) { q_.put(obj); }
    T get() { return q_.get(); }
    bool empty() const { return q_.empty(); }
    void close() noexcept { q_.close(); }

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & q_;
    }

private:
    Queue<T> q_;
};

}  // namespace mproc
