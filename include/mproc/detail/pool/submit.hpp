/// How a Pool call becomes a job and its encoded chunks (the templates
/// <mproc/pool.hpp> needs), and the reader behind IMapIterator. What need
/// not be a template lives in lib/pool/submit.cpp.
#pragma once

#include <mproc/detail/pool/codec.hpp>
#include <mproc/detail/pool/core.hpp>
#include <mproc/detail/pool/jobs.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace mproc::detail::pool {

template <class F, class... Args>
using result_t = task_result_t<std::decay_t<F>, std::decay_t<Args>...>;

template <class Range>
using item_t = std::ranges::range_value_t<Range>;

template <class T>
struct tuple_args;
template <class... Ts>
struct tuple_args<std::tuple<Ts...>> {
    template <class F>
    using result = task_result_t<F, Ts...>;
    template <class F>
    static constexpr bool check() {
        return assert_task<F, Ts...>();
    }
};
template <class A, class B>
struct tuple_args<std::pair<A, B>> : tuple_args<std::tuple<A, B>> {};

/// Moves a mproc::callbacks{callback, error_callback} into the job.
template <class Callbacks, class T>
void set_callbacks(valued_job<T>& job, Callbacks& cb) {
    if constexpr (!std::is_same_v<decltype(cb.callback), std::nullptr_t>) job.on_result = std::move(cb.callback);
    if constexpr (!std::is_same_v<decltype(cb.error_callback), std::nullptr_t>)
        job.on_error = std::move(cb.error_callback);
}

/// Python's map chunksize: ceil(n / (4 * processes)).
std::size_t default_chunksize(std::size_t n, int processes) noexcept;

/// Submits `chunks` chunks of `owner`, chunk c encoded by encode(c), to the
/// workers as they are encoded (batches of ~256 KB: the workers start on the
/// first while the rest are encoded). If encoding throws, what was not handed
/// out is dropped and the exception propagates.
void submit_encoded(core& pool, const std::shared_ptr<job>& owner, std::size_t chunks,
                    const std::function<task_spec(std::size_t)>& encode);

/// Items first..first+count of `items` as one task; `it` is at `first` and
/// moves past them (unless the range is copied as a block).
template <bool Star, class Fn, class Range, class It>
task_spec encode_chunk(const Fn& f, Range& items, It& it, std::size_t first, std::size_t count) {
    using Item = item_t<Range>;
    auto add = [&](auto& writer) {
        if constexpr (!Star && std::ranges::contiguous_range<Range> && raw_args<Item>) {
            writer.add_block(std::ranges::data(items) + first, count);
        } else {
            writer.reserve(count);
            for (std::size_t i = 0; i < count; ++i, ++it) {
                if constexpr (Star)
                    std::apply([&](const auto&... a) { writer.add(a...); }, *it);
                else
                    writer.add(*it);
            }
        }
        return count;
    };
    if constexpr (Star) {
        // A pair's or a tuple's element types are the task's arguments.
        return [&]<class... Ts>(std::type_identity<std::tuple<Ts...>>) {
            return make_task<Fn, Ts...>(f, add);
        }(std::type_identity<decltype(std::tuple_cat(std::declval<Item>()))>{});
    } else {
        return make_task<Fn, Item>(f, add);
    }
}

/// A job of type Job over every item of `items` (a range that is not both
/// sized and forward is copied first), submitted in chunks.
template <class Job, bool Star, class Fn, class Range, class Callbacks>
std::shared_ptr<Job> submit_chunks(core& pool, Callbacks& cb, const Fn& f, Range&& items,
                                   std::optional<std::size_t> chunksize) {
    if constexpr (std::ranges::sized_range<Range> && std::ranges::forward_range<Range>) {
        const std::size_t n = std::ranges::size(items);
        const std::size_t size = chunksize ? *chunksize : default_chunksize(n, pool.processes());
        if (size < 1) throw std::invalid_argument("mproc::Pool: chunksize must be at least 1");
        const std::size_t chunks = n == 0 ? 0 : (n + size - 1) / size;
        auto job = std::make_shared<Job>(n, size, chunks);
        if constexpr (requires { job->on_error; }) set_callbacks(*job, cb);
        auto it = std::ranges::begin(items);
        submit_encoded(pool, job, chunks, [&](std::size_t c) {
            return encode_chunk<Star>(f, items, it, c * size, std::min(size, n - c * size));
        });
        return job;
    } else {
        std::vector<item_t<Range>> copy;
        for (auto&& x : items) copy.push_back(std::forward<decltype(x)>(x));
        return submit_chunks<Job, Star>(pool, cb, f, copy, chunksize);
    }
}

/// The next chunk's task and its item count, or nullopt at the range's end.
using chunk_source = std::function<std::optional<std::pair<task_spec, std::size_t>>()>;

/// Reads `chunksize` items of `items` (kept here: a view of an lvalue, an
/// rvalue moved in) per call, as one encoded task.
template <class Fn, class Item, class Range>
chunk_source lazy_chunks(const Fn& f, Range&& items, std::size_t chunksize) {
    using View = std::views::all_t<Range>;
    struct reading {
        View view;
        std::optional<std::ranges::iterator_t<View>> at;
    };
    auto state = std::make_shared<reading>(reading{std::views::all(std::forward<Range>(items)), std::nullopt});
    return [state, f, chunksize]() -> std::optional<std::pair<task_spec, std::size_t>> {
        reading& r = *state;
        if (!r.at) r.at.emplace(std::ranges::begin(r.view));
        auto& it = *r.at;
        if (it == std::ranges::end(r.view)) return std::nullopt;
        std::size_t count = 0;
        task_spec task = make_task<Fn, Item>(f, [&](auto& writer) {
            for (; count < chunksize && it != std::ranges::end(r.view); ++it, ++count) writer.add(*it);
            return count;
        });
        return std::pair{std::move(task), count};
    };
}

/// The chunks of an imap, in order or as they complete: every chunk of a
/// sized range as one job, or chunks read from a source as results are
/// taken, `window` in flight, each a job of its own.
class imap_reader {
public:
    using job_maker = std::function<std::shared_ptr<imap_chunks>(std::size_t items)>;

    imap_reader(std::shared_ptr<core> pool, std::shared_ptr<imap_chunks> job, bool ordered);
    imap_reader(std::shared_ptr<core> pool, chunk_source source, job_maker make, std::size_t window, bool ordered);

    /// Waits for the next chunk and makes it the one read; false once there
    /// is none. Throws the chunk's error, TimeoutError, std::invalid_argument
    /// (NaN timeout), or what reading the source threw.
    bool open_next(std::optional<std::chrono::duration<double>> timeout);
    /// The chunk being read: its job, its first item there and its count.
    imap_chunks& job() const noexcept { return *reading_; }
    std::size_t first() const noexcept { return first_; }
    std::size_t count() const noexcept { return count_; }

private:
    void refill();

    std::shared_ptr<core> pool_;
    std::shared_ptr<imap_chunks> whole_;  // sized range: its one job
    chunk_source source_;                 // otherwise: where chunks come from...
    job_maker make_;
    std::deque<std::shared_ptr<imap_chunks>> inflight_;  // ...and those submitted, not read yet
    std::size_t window_ = 0;
    bool source_done_ = false;
    bool submitted_any_ = false;
    bool ordered_;
    std::size_t chunks_read_ = 0;  // of whole_ (imap_unordered: entries of whole_->completed)
    std::shared_ptr<imap_chunks> reading_;
    std::size_t first_ = 0, count_ = 0;
};

}  // namespace mproc::detail::pool
