/// The typed jobs behind AsyncResult<T> and IMapIterator<R>: where a Pool
/// puts a task's decoded results, and the callbacks it runs.
#pragma once

#include <mproc/detail/pool/core.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mproc::detail::pool {

template <class T>
struct callback_type {
    using type = std::function<void(const T&)>;
};
template <>
struct callback_type<void> {
    using type = std::function<void()>;
};

/// A job whose outcome is one value of type T (or void): apply, map.
template <class T>
class valued_job : public job {
public:
    using job::job;
    /// The value once ready and successful (copied out: get() may be called
    /// again).
    virtual T value() = 0;

    typename callback_type<T>::type on_result;
    std::function<void(std::exception_ptr)> on_error;

    void finished() noexcept override {
        try {
            if (error) {
                if (on_error) on_error(error);
            } else if (on_result) {
                if constexpr (std::is_void_v<T>)
                    on_result();
                else
                    on_result(value_ref());
            }
        } catch (...) {
            // A callback must not throw (as in Python, where it would kill
            // the result handler): the exception is dropped.
        }
    }

protected:
    // The value without a copy, for the callback.
    virtual const T& value_ref() = 0;
};

template <>
class valued_job<void> : public job {
public:
    using job::job;
    void value() {}

    std::function<void()> on_result;
    std::function<void(std::exception_ptr)> on_error;

    void finished() noexcept override {
        try {
            if (error) {
                if (on_error) on_error(error);
            } else if (on_result) {
                on_result();
            }
        } catch (...) {
        }
    }
};

/// apply / apply_async: one chunk holding one item.
template <class R>
class apply_job final : public valued_job<R> {
public:
    apply_job() : valued_job<R>(1, true) {}
    void accept(std::size_t, std::string_view bytes) override {
        get_results<R>(bytes, 1, [this](std::size_t, R&& v) { value_.emplace(std::move(v)); });
    }
    R value() override { return *value_; }

private:
    const R& value_ref() override { return *value_; }
    std::optional<R> value_;
};

template <>
class apply_job<void> final : public valued_job<void> {
public:
    apply_job() : valued_job<void>(1, true) {}
    void accept(std::size_t, std::string_view bytes) override { get_results<void>(bytes, 0, nullptr); }
};

/// map / starmap (+ _async): n items in chunks of `chunksize`.
template <class R>
class map_job final : public valued_job<std::vector<R>> {
public:
    map_job(std::size_t items, std::size_t chunksize, std::size_t chunks)
        : valued_job<std::vector<R>>(chunks, true), values_(items), chunksize_(chunksize) {}
    void accept(std::size_t index, std::string_view bytes) override {
        const std::size_t first = index * chunksize_;
        const std::size_t count = std::min(chunksize_, values_.size() - first);
        if constexpr (block_results<R>)
            get_result_block<R>(bytes, count, values_.data() + first);
        else
            get_results<R>(bytes, count, [&](std::size_t i, R&& v) { values_[first + i] = std::move(v); });
    }
    std::vector<R> value() override { return values_; }
    /// The values, moved out (for map(), which gets them once).
    std::vector<R> take() { return std::move(values_); }

private:
    const std::vector<R>& value_ref() override { return values_; }
    std::vector<R> values_;
    std::size_t chunksize_;
};

template <>
class map_job<void> final : public valued_job<void> {
public:
    map_job(std::size_t, std::size_t, std::size_t chunks) : valued_job<void>(chunks, true) {}
    void accept(std::size_t, std::string_view bytes) override { get_results<void>(bytes, 0, nullptr); }
    void take() {}
};

/// imap / imap_unordered: chunks fail on their own; results are read chunk
/// by chunk, in order or as they complete (imap_reader, not a template).
class imap_chunks : public job {
public:
    imap_chunks(std::size_t items, std::size_t chunksize, std::size_t chunks)
        : job(chunks, false), items_(items), chunksize_(chunksize) {}
    std::size_t items() const noexcept { return items_; }
    std::size_t chunksize() const noexcept { return chunksize_; }

private:
    std::size_t items_;
    std::size_t chunksize_;
};

template <class R>
class imap_job final : public imap_chunks {
public:
    imap_job(std::size_t items, std::size_t chunksize, std::size_t chunks)
        : imap_chunks(items, chunksize, chunks), values_(items) {}
    void accept(std::size_t index, std::string_view bytes) override {
        const std::size_t first = index * chunksize();
        const std::size_t count = std::min(chunksize(), values_.size() - first);
        get_results<R>(bytes, count, [&](std::size_t i, R&& v) { values_[first + i] = std::move(v); });
    }
    /// Item i, moved out (each is read once).
    R take(std::size_t i) { return std::move(values_[i]); }

private:
    std::vector<R> values_;
};

}  // namespace mproc::detail::pool
