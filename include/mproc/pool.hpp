/// mproc::Pool: a pool of worker processes (Python: multiprocessing.Pool).
///
///     int square(int x) { return x * x; }
///
///     mproc::Pool pool(4);                              // default: cpu_count()
///     int y = pool.apply(square, 3);                    // 9
///     mproc::AsyncResult<int> r = pool.apply_async(square, 4);
///     r.get();  r.get(1s);  r.wait();  r.ready();  r.successful();
///     std::vector<int> ys = pool.map(square, std::views::iota(0, 100));
///     for (int v : pool.imap(square, xs)) ...           // in order, as results come
///     pool.starmap(add, std::vector<std::tuple<int, int>>{{1, 2}, {3, 4}});
///     pool.close(); pool.join();
///
/// Tasks. A task is a free function, a captureless lambda or a serializable
/// function object, with arguments and a result the codec carries (anything
/// Boost.Serialization handles, every standard type). Under every start
/// method it crosses to the worker encoded (a code reference and the
/// Boost-serialized arguments), as CPython pickles tasks under fork too.
/// Workers are long-lived, so a capturing lambda (which would read a stale
/// copy of the parent's memory) is a compile error: pass the data as
/// arguments. An argument or result type that cannot be serialized is a
/// compile error too. `void` tasks are allowed (map then returns void).
///
/// Handles as arguments. A Queue, Lock, Event, Value, Array (any type of
/// <mproc/synchronize.hpp>, <mproc/shared_value.hpp>, <mproc/queue.hpp>) or a
/// Connection may be an argument of a task or of the initializer, under every
/// start method (Python refuses them there, "should only be shared through
/// inheritance"): the worker's copy shares the object. Their descriptors go
/// to the worker beside the request (SCM_RIGHTS); the pool keeps duplicates
/// until the task is answered, so the caller's handles may be gone by then,
/// and a task requeued to a replacement worker carries them again. A task
/// with handles is handed to an idle worker alone (never batched). A
/// Connection argument may be move-only in the task's signature (the worker
/// passes decoded arguments as rvalues). A handle as a task's result is a
/// RemoteError for that task (handles do not cross back).
///
/// Errors a caller can act on (from get(), apply, map, imap's next):
///  - mproc::RemoteError: the task threw; it carries the original type name,
///    what() and the worker's pid, and the task's exception itself, rebuilt
///    here: e.original<T>() (nullptr unless it is a T or derived from T),
///    e.rethrow_original(). Standard exception types always; your own types
///    after mproc::register_exception<T>() at namespace scope; others as their
///    nearest registered or standard base (<mproc/errors.hpp>). The pool goes
///    on. Also when the worker could not encode the task's result (the
///    message says so; nothing is rebuilt then).
///  - mproc::BrokenPool: the worker running the task died (killed by a
///    signal, abort, _exit...); the message names its pid and the signal or
///    exit status. Only the tasks that worker held fail (for map: the whole
///    map, as any failed item fails it), within a second: the one it was
///    running and, for quick tasks (under 50 us so far, sent in batches whose
///    results come back together), the rest of the batch it was working
///    through. Tasks queued behind them, and tasks not yet handed out, run on
///    the other workers or the dead one's replacement. Also raised for every
///    pending task when the initializer threw (then the pool cannot run
///    tasks: no respawn loop) and after terminate().
///  - mproc::TimeoutError: get(timeout) / next(timeout) ran out.
///  - mproc::ProcessError ("Pool not running"): submitting after close() or
///    terminate(); join() before either.
///  - std::invalid_argument: processes < 1, chunksize < 1.
///
/// Workers. Each worker is an mproc::Process of the pool's start method (the
/// default context's, or ctx.Pool()'s), a daemon: it dies with the parent. The
/// parent talks to each over its own Connection, so it knows at every moment
/// which tasks each worker holds and since when; a worker's death is seen on
/// its Connection and sentinel. Under spawn and forkserver the parent starts
/// replacements itself (re-execution and the single-threaded fork server are
/// safe from a multithreaded parent). Under fork, a process forked once when
/// the Pool starts, before the pool has any thread — the zygote,
/// single-threaded forever — forks every worker, the first ones and the
/// replacements, so no worker is ever forked from a parent that runs other
/// threads (a lock another thread held at fork time would deadlock the child).
///
/// Threads. Every member may be called from several threads at once. There
/// are no handler threads on the hot path: the thread that submits writes the
/// request to an idle worker, the thread that waits reads the results (one at
/// a time, the others sleep until their result is in). A helper thread takes
/// over only when no caller has been inside the pool for a millisecond while
/// tasks are outstanding, so callbacks run and queued tasks move on while the
/// program does something else. Callbacks run on whichever of these threads
/// saw the result; they must be quick and must not throw (exceptions are
/// dropped).
///
/// Lifetime. The destructor calls terminate() then join(), as Python's
/// `with Pool() as p:` does: results not yet delivered fail with BrokenPool.
/// Call close() and join() first to let submitted work finish.
#pragma once

#include <mproc/detail/pool/submit.hpp>
#include <mproc/errors.hpp>
#include <mproc/start_method.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace mproc {

class Context;

/// The initializer a Pool's workers run once, before their first task:
/// `.initializer = init` (a function or captureless lambda without
/// arguments) or `.initializer = mproc::initializer(init, args...)` (Python's
/// initializer + initargs; the arguments are bound here, checked at compile
/// time, and cross to every worker encoded as a task's do).
class PoolInitializer {
public:
    PoolInitializer() = default;
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, PoolInitializer>)
    PoolInitializer(F&& f) : PoolInitializer(bind(std::forward<F>(f))) {}

    template <class F, class... Args>
    static PoolInitializer bind(F&& f, Args&&... args) {
        using Fn = std::decay_t<F>;
        static_assert(detail::pool::assert_task<Fn, std::decay_t<Args>...>());
        PoolInitializer out;
        std::tuple<std::decay_t<Args>...> bound(std::forward<Args>(args)...);
        out.task_ = detail::pool::make_task<Fn, std::decay_t<Args>...>(f, [&](auto& writer) {
            std::apply([&](const auto&... a) { writer.add(a...); }, bound);
            return 1;
        });
        return out;
    }

    explicit operator bool() const noexcept { return task_.entry != 0; }
    const detail::pool::task_spec& task() const noexcept { return task_; }

private:
    detail::pool::task_spec task_;
};

/// Python's Pool(initializer=f, initargs=(args...)).
template <class F, class... Args>
PoolInitializer initializer(F&& f, Args&&... args) {
    return PoolInitializer::bind(std::forward<F>(f), std::forward<Args>(args)...);
}

/// Pool(PoolOptions{.processes = 4, .initializer = init, .maxtasksperchild = 100}).
struct PoolOptions {
    /// Number of workers; default cpu_count(). < 1: std::invalid_argument.
    std::optional<int> processes{};
    /// Run once in each worker before its first task. If it throws, the
    /// pool fails its pending results with BrokenPool naming the exception,
    /// and later submissions too, instead of respawning workers forever.
    PoolInitializer initializer{};
    /// Each worker retires after this many tasks (a chunk counts as one) and
    /// is replaced; nullopt: workers live as long as the pool.
    std::optional<long> maxtasksperchild{};
};

/// Callbacks for the async forms: `pool.apply_async(mproc::callbacks{on_result, on_error}, f, args...)`.
/// `callback` gets the result (const T&; nothing for void), `error_callback`
/// the exception (std::exception_ptr). Either may be nullptr.
template <class OnResult = std::nullptr_t, class OnError = std::nullptr_t>
struct callbacks {
    OnResult callback = nullptr;
    OnError error_callback = nullptr;
};
template <class C, class E = std::nullptr_t>
callbacks(C, E = nullptr) -> callbacks<C, E>;

/// The result of an async Pool call (Python: AsyncResult). A handle: copies
/// share the result; it stays valid after its Pool is gone (a result not in
/// by then failed with BrokenPool).
template <class T>
class AsyncResult {
public:
    AsyncResult() = default;

    /// The result, waiting for it. Throws the task's error (RemoteError,
    /// BrokenPool), or TimeoutError if it is not ready within `timeout`.
    T get() const {
        wait();
        return value();
    }
    T get(std::chrono::duration<double> timeout) const {
        if (!wait(timeout)) throw TimeoutError("AsyncResult::get: the result is not ready after the timeout");
        return value();
    }
    /// Waits until the result is ready (Python: wait).
    void wait() const { state().wait([this] { return job_->ready; }, std::nullopt); }
    /// Waits at most `timeout`; returns ready().
    /// A NaN timeout is std::invalid_argument; a century or more waits forever.
    bool wait(std::chrono::duration<double> timeout) const {
        return state().wait([this] { return job_->ready; }, detail::pool::deadline_after(timeout));
    }
    /// Whether the call has completed (makes progress without waiting).
    bool ready() const { return wait(std::chrono::duration<double>::zero()); }
    /// Whether it completed without error. Throws ProcessError if not ready (as Python's ValueError).
    bool successful() const {
        if (!ready()) throw ProcessError("AsyncResult::successful: the result is not ready");
        return !job_->error;
    }

private:
    friend class Pool;
    AsyncResult(std::shared_ptr<detail::pool::core> core, std::shared_ptr<detail::pool::valued_job<T>> job)
        : core_(std::move(core)), job_(std::move(job)) {}
    T value() const {
        if (job_->error) std::rethrow_exception(job_->error);
        return job_->value();
    }
    detail::pool::core& state() const {
        if (!core_) throw ProcessError("AsyncResult: no result (default-constructed)");
        return *core_;
    }

    std::shared_ptr<detail::pool::core> core_;
    std::shared_ptr<detail::pool::valued_job<T>> job_;
};

/// The results of imap / imap_unordered, as they come (Python: IMapIterator).
/// `for (R v : it)` or `while (auto v = it.next(1s))`. A failed chunk throws
/// its error once, at its place; iteration then goes on with the next chunk.
/// Over a range that is not sized (an infinite iota, a filter, an input
/// stream), items are read as results are taken: a few chunks per worker are
/// in flight at a time, so the range may be endless.
template <class R>
class IMapIterator {
public:
    /// The next result; nullopt once every result was returned. Throws the
    /// task's error, TimeoutError if none comes within `timeout`, or (over a
    /// range that is not sized) what reading or encoding the next items threw.
    std::optional<R> next(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
        if (left_in_chunk_ == 0) {
            if (!reader_.open_next(timeout)) return std::nullopt;
            left_in_chunk_ = reader_.count();
            offset_ = 0;
        }
        --left_in_chunk_;
        return static_cast<detail::pool::imap_job<R>&>(reader_.job()).take(reader_.first() + offset_++);
    }

    class iterator {
    public:
        using value_type = R;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(IMapIterator* owner) : owner_(owner) { ++*this; }
        R& operator*() { return *current_; }
        iterator& operator++() {
            current_ = owner_->next();
            if (!current_) owner_ = nullptr;
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return owner_ == nullptr; }

    private:
        IMapIterator* owner_ = nullptr;
        std::optional<R> current_;
    };
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() { return {}; }

private:
    friend class Pool;
    explicit IMapIterator(detail::pool::imap_reader reader) : reader_(std::move(reader)) {}

    detail::pool::imap_reader reader_;
    std::size_t offset_ = 0;         // next item within the chunk being read
    std::size_t left_in_chunk_ = 0;
};

class Pool {
public:
    /// cpu_count() workers of the default start method.
    Pool();
    /// `processes` workers (< 1: std::invalid_argument).
    explicit Pool(int processes);
    explicit Pool(PoolOptions options);
    Pool(Pool&&) noexcept;
    Pool& operator=(Pool&&) noexcept;
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    /// terminate() then join(): results not yet in fail with BrokenPool.
    ~Pool();

    /// f(args...) in a worker; waits for the result (Python: apply).
    template <class F, class... Args>
    detail::pool::result_t<F, Args...> apply(F&& f, Args&&... args) {
        return apply_async(std::forward<F>(f), std::forward<Args>(args)...).get();
    }

    /// f(args...) in a worker, without waiting (Python: apply_async).
    template <class F, class... Args>
    AsyncResult<detail::pool::result_t<F, Args...>> apply_async(F&& f, Args&&... args) {
        return apply_async(callbacks<>{}, std::forward<F>(f), std::forward<Args>(args)...);
    }
    template <class OnResult, class OnError, class F, class... Args>
    AsyncResult<detail::pool::result_t<F, Args...>> apply_async(callbacks<OnResult, OnError> cb, F&& f,
                                                                 Args&&... args) {
        using Fn = std::decay_t<F>;
        using R = detail::pool::result_t<F, Args...>;
        static_assert(detail::pool::assert_task<Fn, std::decay_t<Args>...>());
        auto job = std::make_shared<detail::pool::apply_job<R>>();
        detail::pool::set_callbacks(*job, cb);
        std::vector<detail::pool::task_spec> tasks;
        tasks.push_back(detail::pool::make_task<Fn, std::decay_t<Args>...>(f, [&](auto& writer) {
            writer.reserve(1);
            writer.add(args...);
            return 1;
        }));
        core().submit(job, std::move(tasks));
        return AsyncResult<R>(core_, job);
    }

    /// [f(x) for x in items], in order (Python: map). Default chunksize:
    /// ceil(len / (4 * processes)), as Python's. Chunks go to the workers as
    /// they are encoded; an item that cannot be encoded throws from the call
    /// (as from map_async, imap, starmap), and chunks already handed out
    /// run to no one's use.
    template <class F, std::ranges::input_range Range>
    auto map(F&& f, Range&& items, std::optional<std::size_t> chunksize = std::nullopt) {
        return results_of(submit_map<false>(callbacks<>{}, f, std::forward<Range>(items), chunksize));
    }
    template <class F, std::ranges::input_range Range>
    auto map_async(F&& f, Range&& items, std::optional<std::size_t> chunksize = std::nullopt) {
        return map_async(callbacks<>{}, std::forward<F>(f), std::forward<Range>(items), chunksize);
    }
    template <class OnResult, class OnError, class F, std::ranges::input_range Range>
    auto map_async(callbacks<OnResult, OnError> cb, F&& f, Range&& items,
                   std::optional<std::size_t> chunksize = std::nullopt) {
        auto job = submit_map<false>(std::move(cb), f, std::forward<Range>(items), chunksize);
        using T = std::remove_cvref_t<decltype(job->take())>;
        return AsyncResult<T>(core_, job);
    }

    /// f(*t) for each tuple t, in order (Python: starmap).
    template <class F, std::ranges::input_range Range>
    auto starmap(F&& f, Range&& items, std::optional<std::size_t> chunksize = std::nullopt) {
        return results_of(submit_map<true>(callbacks<>{}, f, std::forward<Range>(items), chunksize));
    }
    template <class F, std::ranges::input_range Range>
    auto starmap_async(F&& f, Range&& items, std::optional<std::size_t> chunksize = std::nullopt) {
        return starmap_async(callbacks<>{}, std::forward<F>(f), std::forward<Range>(items), chunksize);
    }
    template <class OnResult, class OnError, class F, std::ranges::input_range Range>
    auto starmap_async(callbacks<OnResult, OnError> cb, F&& f, Range&& items,
                       std::optional<std::size_t> chunksize = std::nullopt) {
        auto job = submit_map<true>(std::move(cb), f, std::forward<Range>(items), chunksize);
        using T = std::remove_cvref_t<decltype(job->take())>;
        return AsyncResult<T>(core_, job);
    }

    /// f(x) for each item, results in order as they come (Python: imap).
    /// A sized range is read and queued here (sent in batches as it is
    /// encoded); any other (endless, filtered, an input stream) is read as
    /// results are taken, 8 chunks per worker ahead, and must outlive the
    /// iterator if passed as an lvalue (an rvalue is kept by it).
    template <class F, std::ranges::input_range Range>
    auto imap(F&& f, Range&& items, std::size_t chunksize = 1) {
        return submit_imap(f, std::forward<Range>(items), chunksize, true);
    }
    /// The same, results in the order they complete (Python: imap_unordered).
    template <class F, std::ranges::input_range Range>
    auto imap_unordered(F&& f, Range&& items, std::size_t chunksize = 1) {
        return submit_imap(f, std::forward<Range>(items), chunksize, false);
    }

    /// No more tasks; workers exit once the submitted ones are done.
    void close();
    /// Kills the workers now (SIGKILL); results not in fail with BrokenPool.
    /// Returns once no worker is left.
    void terminate();
    /// Waits until every submitted task is done and the workers have exited.
    /// ProcessError unless close() or terminate() came first.
    void join();

    /// The number of workers.
    int processes() const;

private:
    friend class Context;
    Pool(PoolOptions options, start_method method);

    detail::pool::core& core() const;

    // Encodes items in chunks and submits them; returns the map job.
    template <bool Star, class OnResult, class OnError, class F, class Range>
    auto submit_map(callbacks<OnResult, OnError> cb, F& f, Range&& items, std::optional<std::size_t> chunksize) {
        using Fn = std::decay_t<F>;
        using Item = detail::pool::item_t<Range>;
        if constexpr (Star) {
            static_assert(detail::pool::tuple_args<Item>::template check<Fn>());
            using R = typename detail::pool::tuple_args<Item>::template result<Fn>;
            return detail::pool::submit_chunks<detail::pool::map_job<R>, Star>(core(), cb, Fn(f),
                                                                               std::forward<Range>(items), chunksize);
        } else {
            static_assert(detail::pool::assert_task<Fn, Item>());
            using R = detail::task_result_t<Fn, Item>;
            return detail::pool::submit_chunks<detail::pool::map_job<R>, Star>(core(), cb, Fn(f),
                                                                               std::forward<Range>(items), chunksize);
        }
    }

    template <class F, class Range>
    auto submit_imap(F& f, Range&& items, std::size_t chunksize, bool ordered) {
        using Fn = std::decay_t<F>;
        using Item = detail::pool::item_t<Range>;
        static_assert(detail::pool::assert_task<Fn, Item>());
        using R = detail::task_result_t<Fn, Item>;
        static_assert(!std::is_void_v<R>, "mproc::Pool::imap: the task returns nothing to iterate: use map");
        using Job = detail::pool::imap_job<R>;
        if constexpr (std::ranges::sized_range<Range> && std::ranges::forward_range<Range>) {
            callbacks<> none;
            auto job = detail::pool::submit_chunks<Job, false>(core(), none, Fn(f), std::forward<Range>(items), chunksize);
            return IMapIterator<R>(detail::pool::imap_reader(core_, std::move(job), ordered));
        } else {
            if (chunksize < 1) throw std::invalid_argument("mproc::Pool: chunksize must be at least 1");
            auto make = [](std::size_t n) { return std::make_shared<Job>(n, n, 1); };
            return IMapIterator<R>(detail::pool::imap_reader(
                core_, detail::pool::lazy_chunks<Fn, Item>(f, std::forward<Range>(items), chunksize), make,
                lazy_window * static_cast<std::size_t>(core().processes()), ordered));
        }
    }

    /// map / starmap: waits for the job, then its results or its error.
    template <class Job>
    auto results_of(const std::shared_ptr<Job>& job) {
        core().wait([&] { return job->ready; }, std::nullopt);
        if (job->error) std::rethrow_exception(job->error);
        return job->take();
    }
    /// Chunks in flight per worker for imap over a range that is not sized.
    static constexpr std::size_t lazy_window = 8;

    std::shared_ptr<detail::pool::core> core_;
};

}  // namespace mproc
