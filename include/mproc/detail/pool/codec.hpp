/// How a Pool task crosses to a worker, under every start method (always
/// encoded, as CPython pickles tasks under fork too): the code id of an entry
/// function instantiated for the task's types, then the target and the
/// chunk's items in the one task encoding ((detail/start/task.hpp)), and back the
/// results: trivially copyable ones as raw bytes, anything else in one Boost
/// binary archive per chunk.
#pragma once

#include <mproc/codec.hpp>
#include <mproc/detail/codec/archive.hpp>
#include <mproc/detail/start/crossable.hpp>
#include <mproc/detail/transport/fd_transfer.hpp>
#include <mproc/detail/codec/serialize_std.hpp>
#include <mproc/detail/start/task.hpp>
#include <mproc/detail/codec/type_name.hpp>
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

/// The wire reader under the name the pool's protocol uses.
using reader = wire_reader;

/// A result the worker computed but could not encode: the task fails with
/// this message instead of the pool.
class result_not_sent : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// ---- what may be a task ---------------------------------------------------

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

/// Calls `f` on `count` items, each a tuple `next()` returns, and appends
/// the results.
template <class F, class... Args, class Next>
void run_items(F& f, std::uint32_t count, Next&& next, std::string& out) {
    using R = task_result_t<F, Args...>;
    if constexpr (std::is_void_v<R>) {
        for (std::uint32_t i = 0; i < count; ++i) {
            auto args = next();
            invoke_task(f, args);
        }
    } else if constexpr (memcpy_codec<R>) {
        const std::size_t base = out.size();
        out.resize(base + std::size_t{count} * sizeof(R));
        char* at = out.data() + base;
        for (std::uint32_t i = 0; i < count; ++i, at += sizeof(R)) {
            auto args = next();
            const R r = invoke_task(f, args);
            std::memcpy(at, &r, sizeof r);
        }
    } else {
        std::vector<R> results;
        results.reserve(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            auto args = next();
            results.push_back(invoke_task(f, args));
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
