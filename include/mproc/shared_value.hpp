/// Value, Array, RawValue and RawArray: trivially copyable data in shared
/// memory (Python: multiprocessing.Value, Array, sharedctypes.RawValue,
/// RawArray).
///
///     mproc::Value<int> counter(0);
///     counter += 1;                       // atomic under its lock; also fetch_add, modify(fn)
///     { std::lock_guard g(counter.get_lock()); counter.set(counter.value() * 2); }
///     mproc::Array<double> arr(1024);
///     arr[3] = 1.5;                       // under the array's lock
///     std::span<double> view = arr.span();  // raw: hold get_lock() yourself
///
/// All are handles: copies (here, in a forked child, or passed as a Process
/// argument under any start method) share the data. Value and Array carry an
/// RLock (Python's default), shared with the data's copies; made with
/// `lock = false` they have none (as Python's lock=False) and get_lock()
/// throws mproc::Error.
///
/// A process killed in the middle of Value::set, or of an Array element
/// write through operator[] (with a lock), leaves the old value or the new
/// one, never a mix: set() fills a second buffer and then switches to it with one store;
/// an element write is journaled, and the next locked access of the array
/// completes a write its writer did not finish. So a reader after an owner
/// death needs no repair. Writes through span(), begin() or a RawArray's
/// references are plain memory writes, without that guarantee.
///
/// Errors a caller can act on: mproc::Error (get_lock() without a lock, an
/// object used before it was received, and those of RLock);
/// std::out_of_range (Array::at); std::bad_alloc / std::system_error (the
/// shared memory cannot grow).
#pragma once

#include <mproc/detail/api/checked_count.hpp>
#include <mproc/synchronize.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <mutex>
#include <ranges>
#include <span>
#include <stdexcept>
#include <type_traits>

namespace mproc {

namespace detail {

/// Bytes of one value, double-buffered (lib/api/shared_value.cpp).
class value_core {
public:
    value_core() noexcept : block_(shared_kind::value) {}
    value_core(std::size_t size, std::size_t align, const void* init);
    /// Copies the current value out.
    void load(void* out) const;
    /// Writes a new value: a reader (or a process killed meanwhile) sees
    /// the old one or the new one. Writers must not race (hold the lock).
    void store(const void* in);

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & block_;
    }

private:
    shared_handle block_;
};

/// An array of `n` elements of `size` bytes with a one-entry write journal.
class array_core {
public:
    array_core() noexcept : block_(shared_kind::array) {}
    /// Copies `n` elements from `init` (null: zeroes). Throws
    /// std::length_error when `n` elements of `size` bytes exceed what an
    /// address space can hold, std::bad_alloc when the shared memory cannot
    /// grow that far.
    array_core(std::size_t size, std::size_t align, std::size_t n, const void* init);
    void* data() const;
    std::size_t size() const;
    /// Element `i`, with a write its writer did not finish completed first.
    void load(std::size_t i, void* out);
    /// Writes element `i` through the journal. Writers must not race.
    void store(std::size_t i, const void* in);

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & block_;
    }

private:
    shared_handle block_;
};

/// Holds an RLock for a scope, or nothing when it names no lock.
class maybe_locked {
public:
    explicit maybe_locked(RLock& l, bool use) : l_(use ? &l : nullptr) {
        if (l_) l_->lock();
    }
    ~maybe_locked() {
        if (l_) l_->unlock();
    }
    maybe_locked(const maybe_locked&) = delete;
    maybe_locked& operator=(const maybe_locked&) = delete;

private:
    RLock* l_;
};

}  // namespace detail

/// One T in shared memory without a lock (Python: sharedctypes.RawValue).
template <class T>
class RawValue {
    static_assert(std::is_trivially_copyable_v<T>, "mproc::RawValue<T>: T must be trivially copyable");

public:
    /// Throws std::bad_alloc / std::system_error.
    explicit RawValue(const T& init = T{}) : core_(sizeof(T), alignof(T), &init) {}
    T value() const {
        T v;
        core_.load(&v);
        return v;
    }
    void set(const T& v) { core_.store(&v); }

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & core_;
    }

private:
    detail::value_core core_;
};

/// One T in shared memory guarded by an RLock (Python: multiprocessing.Value).
template <class T>
class Value {
    static_assert(std::is_trivially_copyable_v<T>, "mproc::Value<T>: T must be trivially copyable");

public:
    /// With a new RLock, or none when `lock` is false. Throws
    /// std::bad_alloc / std::system_error.
    explicit Value(const T& init = T{}, bool lock = true)
        : core_(sizeof(T), alignof(T), &init), lock_(lock ? RLock() : RLock(detail::no_lock_t{})), locked_(lock) {}
    /// Guarded by `lock` (shared with other objects, as Python's lock=...).
    Value(const T& init, const RLock& lock) : core_(sizeof(T), alignof(T), &init), lock_(lock), locked_(true) {}

    /// Reads the value under the lock.
    T value() const {
        detail::maybe_locked g(lock_, locked_);
        T v;
        core_.load(&v);
        return v;
    }
    /// Writes the value under the lock (old or new value after a kill).
    void set(const T& v) {
        detail::maybe_locked g(lock_, locked_);
        core_.store(&v);
    }
    /// Read-modify-write under the lock: `fn` gets the value (as T&, to
    /// change in place, or as T, returning the new one) and no other
    /// process or thread using the lock reads or writes in between (Python:
    /// `with v.get_lock(): v.value = fn(v.value)`). Returns the new value.
    /// If `fn` throws, the value is unchanged; a process killed meanwhile
    /// leaves the old value or the new one. Made with lock = false (as
    /// Python's lock=False) it is a plain read and write, not atomic.
    template <class F>
        requires std::invocable<F&, T&>
    T modify(F fn) {
        detail::maybe_locked g(lock_, locked_);
        T v;
        core_.load(&v);
        if constexpr (std::is_convertible_v<std::invoke_result_t<F&, T&>, T>)
            v = fn(v);
        else
            fn(v);
        core_.store(&v);
        return v;
    }
    /// Adds / subtracts `d` under the lock; returns the value before (as
    /// std::atomic's).
    T fetch_add(const T& d)
        requires arithmetic
    {
        return modify_from([&](T& v) { v += d; });
    }
    T fetch_sub(const T& d)
        requires arithmetic
    {
        return modify_from([&](T& v) { v -= d; });
    }
    /// `v += d` / `v -= d`: atomic under the lock (unlike Python's
    /// `v.value += d`, which needs `with v.get_lock():`); return the new value.
    T operator+=(const T& d)
        requires arithmetic
    {
        return modify([&](T& v) { v += d; });
    }
    T operator-=(const T& d)
        requires arithmetic
    {
        return modify([&](T& v) { v -= d; });
    }

    /// The lock (Python: get_lock). Throws mproc::Error for lock = false.
    RLock& get_lock() {
        if (!locked_) throw Error("mproc::Value::get_lock: made with lock = false");
        return lock_;
    }

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & core_ & lock_ & locked_;
    }

private:
    static constexpr bool arithmetic = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;
    // modify(), returning the value before.
    template <class F>
    T modify_from(F change) {
        T old{};
        modify([&](T& v) {
            old = v;
            change(v);
        });
        return old;
    }

    detail::value_core core_;
    mutable RLock lock_;
    bool locked_;
};

/// N elements of T in shared memory without a lock (Python:
/// sharedctypes.RawArray).
template <class T>
class RawArray {
    static_assert(std::is_trivially_copyable_v<T>, "mproc::RawArray<T>: T must be trivially copyable");

public:
    /// `n` value-initialised elements. Throws std::invalid_argument for a
    /// negative `n`, std::length_error when the bytes overflow,
    /// std::bad_alloc / std::system_error.
    template <std::integral N = std::size_t>
    explicit RawArray(N n = 0)
        : core_(sizeof(T), alignof(T), detail::non_negative(n, "mproc::RawArray: the length"), nullptr) {
        fill(size());
    }
    RawArray(std::initializer_list<T> init) : core_(sizeof(T), alignof(T), init.size(), init.begin()) {}
    template <std::ranges::input_range R>
        requires std::convertible_to<std::ranges::range_value_t<R>, T> && (!std::integral<R>)
    explicit RawArray(const R& range) : RawArray(std::ranges::distance(range)) {
        std::ranges::copy(range, begin());
    }

    T& operator[](std::size_t i) { return data()[i]; }
    const T& operator[](std::size_t i) const { return data()[i]; }
    std::size_t size() const { return core_.size(); }
    T* data() const { return static_cast<T*>(core_.data()); }
    T* begin() const { return data(); }
    T* end() const { return data() + size(); }
    std::span<T> span() const { return {data(), size()}; }

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & core_;
    }

private:
    void fill(std::size_t n) {
        if (n && core_.data()) std::uninitialized_fill_n(data(), n, T{});
    }
    detail::array_core core_;
};

/// N elements of T in shared memory guarded by an RLock (Python:
/// multiprocessing.Array).
template <class T>
class Array {
    static_assert(std::is_trivially_copyable_v<T>, "mproc::Array<T>: T must be trivially copyable");

public:
    /// What operator[] returns: reads and writes one element under the lock.
    class reference {
    public:
        operator T() const {
            if (!a_->locked_) return a_->data()[i_];  // lock = false: plain memory, as Python's
            std::lock_guard g(a_->lock_);
            T v;
            a_->core_.load(i_, &v);
            return v;
        }
        reference& operator=(const T& v) {
            if (!a_->locked_) {
                a_->data()[i_] = v;  // no journal: unlocked writers would race on it
                return *this;
            }
            std::lock_guard g(a_->lock_);
            a_->core_.store(i_, &v);
            return *this;
        }
        reference& operator=(const reference& other) { return *this = static_cast<T>(other); }

    private:
        friend class Array;
        reference(Array* a, std::size_t i) : a_(a), i_(i) {}
        Array* a_;
        std::size_t i_;
    };

    /// `n` value-initialised elements, with a new RLock (none if `lock` is
    /// false). Throws std::invalid_argument for a negative `n` (Python:
    /// ValueError), std::length_error when n * sizeof(T) overflows (Python:
    /// OverflowError), std::bad_alloc / std::system_error.
    template <std::integral N = std::size_t>
    explicit Array(N n = 0, bool lock = true)
        : core_(sizeof(T), alignof(T), detail::non_negative(n, "mproc::Array: the length"), nullptr),
          lock_(make_lock(lock)),
          locked_(lock) {
        if (size() && core_.data()) std::uninitialized_fill_n(data(), size(), T{});
    }
    Array(std::initializer_list<T> init, bool lock = true)
        : core_(sizeof(T), alignof(T), init.size(), init.begin()), lock_(make_lock(lock)), locked_(lock) {}
    template <std::ranges::input_range R>
        requires std::convertible_to<std::ranges::range_value_t<R>, T>
    explicit Array(const R& range, bool lock = true) : Array(std::ranges::distance(range), lock) {
        std::ranges::copy(range, begin());
    }

    /// Element `i` under the lock (no bounds check).
    reference operator[](std::size_t i) { return reference(this, i); }
    T operator[](std::size_t i) const { return static_cast<T>(reference(const_cast<Array*>(this), i)); }
    /// Element `i` under the lock; std::out_of_range beyond size().
    reference at(std::size_t i) {
        if (i >= size()) throw std::out_of_range("mproc::Array::at: index out of range");
        return (*this)[i];
    }
    std::size_t size() const { return core_.size(); }
    /// Raw access to the elements (no lock taken: hold get_lock() for
    /// consistency between processes).
    T* data() const { return static_cast<T*>(core_.data()); }
    T* begin() const { return data(); }
    T* end() const { return data() + size(); }
    std::span<T> span() const { return {data(), size()}; }

    /// The lock (Python: get_lock). Throws mproc::Error for lock = false.
    RLock& get_lock() {
        if (!locked_) throw Error("mproc::Array::get_lock: made with lock = false");
        return lock_;
    }

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & core_ & lock_ & locked_;
    }

private:
    static RLock make_lock(bool lock) { return lock ? RLock() : RLock(detail::no_lock_t{}); }
    detail::array_core core_;
    mutable RLock lock_;
    bool locked_;
};

}  // namespace mproc
