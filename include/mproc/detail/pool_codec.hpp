/// How a Pool task crosses to a worker, under every start method (always
/// encoded, as CPython pickles tasks under fork too): the address of an entry
/// function instantiated for the task's types (a small pool-wide code id, whose
/// code_ref the worker learns once), then the target (a code id for a function
/// pointer, nothing for a captureless lambda, Boost-serialized bytes for a
/// function object) and the chunk's items. Trivially copyable arguments and
/// results are copied as raw bytes; anything else goes through one Boost
/// binary archive per chunk.
#pragma once

#include <mproc/codec.hpp>
#include <mproc/detail/archive.hpp>
#include <mproc/detail/crossable.hpp>
#include <mproc/detail/fd_transfer.hpp>
#include <mproc/detail/serialize_std.hpp>
#include <mproc/detail/type_name.hpp>
#include <mproc/errors.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mproc::detail::pool {

/// The pool-wide id of code at `address` (registered on first use; ids start
/// at 1). Throws ProcessError when no loaded module contains it.
std::uint32_t code_id(const void* address);
/// In a worker: the address code id `id` denotes here. Throws ProtocolError
/// for an id the parent never defined.
const void* code_address(std::uint32_t id);

/// A result the worker computed but could not encode: the task fails with
/// this message instead of the pool.
class result_not_sent : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// ---- raw little-endian fields ---------------------------------------------

inline void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
inline void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

/// Reads fields off the front of bytes it does not own; ProtocolError when
/// they run out.
class reader {
public:
    explicit reader(std::string_view bytes) : rest_(bytes) {}
    std::uint32_t u32() { return fixed<std::uint32_t>(); }
    std::uint64_t u64() { return fixed<std::uint64_t>(); }
    std::string_view bytes(std::size_t n) {
        need(n);
        std::string_view out = rest_.substr(0, n);
        rest_.remove_prefix(n);
        return out;
    }
    template <class T>
    T fixed() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, rest_.data(), sizeof v);
        rest_.remove_prefix(sizeof v);
        return v;
    }
    std::string_view rest() const noexcept { return rest_; }
    bool empty() const noexcept { return rest_.empty(); }

private:
    void need(std::size_t n) const {
        if (rest_.size() < n) throw ProtocolError("malformed pool message: truncated");
    }
    std::string_view rest_;
};

// ---- what may be a task ---------------------------------------------------

// A worker owns the arguments it decoded: it passes them as rvalues (so a
// move-only one, a Connection, can be taken by value), or as lvalues to a
// target that takes only those.
template <class F, class... Args>
inline constexpr bool task_invocable_v = std::is_invocable_v<F&, Args&&...> || std::is_invocable_v<F&, Args&...>;

template <class F, class... Args>
using task_result_t = typename std::conditional_t<std::is_invocable_v<F&, Args&&...>, std::invoke_result<F&, Args&&...>,
                                                  std::invoke_result<F&, Args&...>>::type;

/// static_asserts, with the reason, that F(Args...) can be a Pool task.
template <class F, class... Args>
constexpr bool assert_task() {
    static_assert(crossable_target_v<F>,
                  "mproc::Pool: the task must be a free function, a captureless lambda or a serializable function "
                  "object. Pool workers are long-lived processes, so a capturing lambda would run on a stale copy "
                  "of its captures: pass the data as arguments instead (std::function is refused for the same "
                  "reason)");
    static_assert(task_invocable_v<F, Args...>, "mproc::Pool: the task cannot be called with these arguments");
    if constexpr (task_invocable_v<F, Args...>) {
        using R = task_result_t<F, Args...>;
        static_assert(!std::is_reference_v<R> && !std::is_pointer_v<R>,
                      "mproc::Pool: the task returns a reference or a pointer, which cannot cross back from the "
                      "worker: return a value");
        if constexpr (!std::is_void_v<R>)
            static_assert(crossable_v<R>,
                          "mproc::Pool: the task's result type cannot be serialized (no Boost.Serialization "
                          "serialize(), or a view, pointer or reference inside): it could not cross back from the "
                          "worker");
    }
    static_assert((crossable_v<Args> && ... && true),
                  "mproc::Pool: an argument type cannot be serialized; Pool tasks always cross to the worker "
                  "encoded, under fork too (the next error says why this type cannot)");
    return (assert_argument_crosses<Args>() && ... && true);
}

// ---- the target -----------------------------------------------------------

template <class F>
void put_target(std::string& out, const F& f, std::uint32_t& target_code) {
    if constexpr (classify_target<F>() == target_kind::function_pointer) {
        target_code = code_id(reinterpret_cast<const void*>(f));
        put_u32(out, target_code);
    } else if constexpr (classify_target<F>() == target_kind::serializable) {
        std::string bytes = dumps(f);
        put_u64(out, bytes.size());
        out += bytes;
    }
}

template <class F>
F get_target(reader& in) {
    if constexpr (classify_target<F>() == target_kind::function_pointer) {
        return reinterpret_cast<F>(const_cast<void*>(code_address(in.u32())));
    } else if constexpr (classify_target<F>() == target_kind::serializable) {
        return loads<F>(in.bytes(in.u64()));
    } else {
        return F{};
    }
}

// ---- a chunk's items: [u32 count] then each item's arguments ---------------

template <class... Args>
inline constexpr bool raw_args = (memcpy_codec<Args> && ...);

/// Encodes items into `out`. `each(visit)` calls visit(args...) once per item.
template <class... Args>
class item_writer {
public:
    explicit item_writer(std::string& out) : out_(out), used_(out.size()) {
        if constexpr (!raw_args<Args...>) {
            sink_ = std::make_unique<string_sink>(out_);
            archive_ = std::make_unique<wire_oarchive>(*sink_);
        }
    }
    /// Raw items: the room made ahead and not filled goes.
    ~item_writer() {
        if constexpr (raw_args<Args...>) out_.resize(used_);
    }
    item_writer(const item_writer&) = delete;
    item_writer& operator=(const item_writer&) = delete;

    /// Makes room for `items` items at once (one allocation).
    void reserve(std::size_t items) {
        if constexpr (raw_args<Args...>) out_.resize(std::max(out_.size(), used_ + items * item_bytes));
    }
    void add(const Args&... args) {
        if constexpr (raw_args<Args...>) {
            // Straight into the room reserve() made: a map's million items
            // are a million small copies, not a million appends.
            if (out_.size() - used_ < item_bytes) out_.resize(used_ + item_bytes);
            char* at = out_.data() + used_;
            ((std::memcpy(at, &args, sizeof(Args)), at += sizeof(Args)), ...);
            used_ += item_bytes;
        } else {
            ((*archive_ << args), ...);
        }
    }
    /// A block of `n` raw single-argument items, copied at once.
    template <class T>
    void add_block(const T* items, std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (out_.size() - used_ < bytes) out_.resize(used_ + bytes);
        std::memcpy(out_.data() + used_, items, bytes);
        used_ += bytes;
    }

private:
    static constexpr std::size_t item_bytes = (sizeof(Args) + ... + 0);
    std::string& out_;
    std::size_t used_;  // raw items: bytes of out_ written so far
    std::unique_ptr<string_sink> sink_;
    std::unique_ptr<wire_oarchive> archive_;
};

template <class... Args>
class item_reader {
public:
    explicit item_reader(std::string_view bytes) : in_(bytes) {
        if constexpr (!raw_args<Args...>) {
            source_ = std::make_unique<view_source>(bytes);
            archive_ = std::make_unique<capped_iarchive>(*source_);
        }
    }
    std::tuple<Args...> next() {
        std::tuple<Args...> args;
        if constexpr (raw_args<Args...>) {
            std::apply([this](Args&... a) { ((a = loads<Args>(in_.bytes(sizeof(Args)))), ...); }, args);
        } else {
            std::apply([this](Args&... a) { ((*archive_ >> a), ...); }, args);
        }
        return args;
    }

private:
    reader in_;
    std::unique_ptr<view_source> source_;
    std::unique_ptr<capped_iarchive> archive_;
};

// ---- results: `count` values, raw or in one archive -------------------------

template <class R>
void put_results(std::string& out, const std::vector<R>& values) {
    if constexpr (memcpy_codec<R>) {
        out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(R));
    } else {
        string_sink sink(out);
        wire_oarchive ar(sink);
        for (const R& v : values) ar << v;
    }
}

/// Whether `count` results of type R can be copied straight into an array.
template <class R>
inline constexpr bool block_results = memcpy_codec<R> && !std::is_same_v<std::remove_cv_t<R>, bool> &&
                                      std::is_trivially_default_constructible_v<R>;

/// Copies `count` raw results into `out` (block_results<R> only).
template <class R>
void get_result_block(std::string_view bytes, std::size_t count, R* out) {
    if (bytes.size() != count * sizeof(R)) throw ProtocolError("malformed pool result: wrong size");
    std::memcpy(static_cast<void*>(out), bytes.data(), bytes.size());
}

/// Decodes `count` results, passing each to `store(index, R&&)`. Throws
/// ProtocolError for bytes that are not exactly that.
template <class R, class Store>
void get_results(std::string_view bytes, std::size_t count, Store&& store) {
    if constexpr (std::is_void_v<R>) {
        if (!bytes.empty()) throw ProtocolError("malformed pool result: a void task sent a value");
    } else if constexpr (memcpy_codec<R>) {
        if (bytes.size() != count * sizeof(R)) throw ProtocolError("malformed pool result: wrong size");
        for (std::size_t i = 0; i < count; ++i) store(i, loads<R>(bytes.substr(i * sizeof(R), sizeof(R))));
    } else {
        try {
            view_source source(bytes);
            capped_iarchive ar(source);
            for (std::size_t i = 0; i < count; ++i) {
                R v{};
                ar >> v;
                store(i, std::move(v));
            }
            if (source.remaining() != 0) throw ProtocolError("malformed pool result: trailing bytes");
        } catch (const ProtocolError&) {
            throw;
        } catch (const std::exception& e) {
            throw ProtocolError(std::string("malformed pool result: ") + e.what());
        }
    }
}

// ---- the entry a worker calls -----------------------------------------------

/// A worker runs an entry: decodes the target and the chunk's items from
/// `in`, calls the target on each, and appends the encoded results to `out`.
/// An exception from the target propagates (the task failed); one while
/// encoding the results becomes result_not_sent. `with_handles`: the task
/// came with descriptors (handles among its arguments), being handed out on
/// this thread: every item is decoded before the first call, so the task's
/// own code runs after finish_import().
using entry_fn = void (*)(std::string_view in, std::string& out, bool with_handles);

template <class F, class... Args>
decltype(auto) call_task(F& f, std::tuple<Args...>& args) {
    return std::apply(
        [&f](Args&... a) -> decltype(auto) {
            if constexpr (std::is_invocable_v<F&, Args&&...>)
                return std::invoke(f, std::move(a)...);
            else
                return std::invoke(f, a...);
        },
        args);
}

/// Calls `f` on `count` items, each a tuple `next()` returns, and appends
/// the results.
template <class F, class... Args, class Next>
void run_items(F& f, std::uint32_t count, Next&& next, std::string& out) {
    using R = task_result_t<F, Args...>;
    if constexpr (std::is_void_v<R>) {
        for (std::uint32_t i = 0; i < count; ++i) {
            auto args = next();
            call_task(f, args);
        }
    } else if constexpr (memcpy_codec<R>) {
        const std::size_t base = out.size();
        out.resize(base + std::size_t{count} * sizeof(R));
        char* at = out.data() + base;
        for (std::uint32_t i = 0; i < count; ++i, at += sizeof(R)) {
            auto args = next();
            const R r = call_task(f, args);
            std::memcpy(at, &r, sizeof r);
        }
    } else {
        std::vector<R> results;
        results.reserve(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            auto args = next();
            results.push_back(call_task(f, args));
        }
        try {
            put_results(out, results);
        } catch (const std::exception& e) {
            throw result_not_sent(boost::core::demangle(typeid(e).name()) + " while encoding the result (" +
                                  type_name<R>() + "): " + e.what());
        }
    }
}

template <class F, class... Args>
void run_entry(std::string_view in_bytes, std::string& out, bool with_handles) {
    reader in(in_bytes);
    F f = get_target<F>(in);
    const std::uint32_t count = in.u32();
    item_reader<Args...> items(in.rest());
    if (!with_handles) {
        run_items<F, Args...>(f, count, [&] { return items.next(); }, out);
        return;
    }
    std::vector<std::tuple<Args...>> all;
    all.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) all.push_back(items.next());
    finish_import();
    std::size_t at = 0;
    run_items<F, Args...>(f, count, [&] { return std::move(all[at++]); }, out);
}

/// The code id of run_entry<F, Args...> (looked up once per instantiation).
template <class F, class... Args>
std::uint32_t entry_code() {
    static const std::uint32_t id = code_id(reinterpret_cast<const void*>(&run_entry<F, Args...>));
    return id;
}

/// One task (a chunk) ready to be handed to a worker. The payload starts
/// with `record_room` bytes where the core writes the task's record header
/// (its layout is the pool's wire protocol, lib/pool/protocol.hpp, which
/// checks this size), so a task sent alone goes out without a copy.
struct task_spec {
    static constexpr std::size_t record_room = 21;
    std::string payload;
    std::uint32_t entry = 0;   // code id of the entry
    std::uint32_t target = 0;  // code id of a function-pointer target, else 0
    std::uint32_t items = 0;
    /// Duplicates of the descriptors of handles among the target and the
    /// arguments (null: none); they go to the worker with the task.
    task_fds fds;

    /// The entry's input (after the record room).
    std::string_view input() const noexcept { return std::string_view(payload).substr(record_room); }
};

/// Encodes one task: F's target, then the items `add_items(writer)` adds
/// (it returns how many).
template <class F, class... Args, class AddItems>
task_spec make_task(const F& f, AddItems&& add_items) {
    task_spec t;
    t.entry = entry_code<F, Args...>();
    t.payload.assign(task_spec::record_room, '\0');
    fd_capture handles;
    put_target(t.payload, f, t.target);
    const std::size_t count_at = t.payload.size();
    put_u32(t.payload, 0);
    {
        item_writer<Args...> writer(t.payload);
        t.items = static_cast<std::uint32_t>(add_items(writer));
    }
    t.fds = handles.duplicates();
    std::memcpy(t.payload.data() + count_at, &t.items, sizeof t.items);
    return t;
}

}  // namespace mproc::detail::pool
