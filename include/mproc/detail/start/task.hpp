/// The one task encoding, shared by Process (one item, for a re-executed
/// child) and Pool (a chunk of items, for a worker): the target, the items'
/// arguments, and how the target is called on them.
///
/// Code (an entry function instantiated for the task's types, a function
/// pointer target) crosses as a small process-wide code id: the code table
/// is a cache in front of locate_code (each address is located once), and
/// the receiver learns an id's code_ref once (define) before its first use.
/// A target is then a code id (function pointer), nothing (captureless
/// lambda) or Boost-serialized bytes (function object). Items whose
/// arguments are all trivially copyable are raw bytes; anything else goes
/// through one Boost binary archive per task.
#pragma once

#include <mproc/codec.hpp>
#include <mproc/detail/codec/archive.hpp>
#include <mproc/detail/start/crossable.hpp>
#include <mproc/detail/codec/serialize_std.hpp>
#include <mproc/detail/codec/wire.hpp>
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

namespace mproc::detail {

// ---- the code table -------------------------------------------------------

/// The process-wide id of code at `address` (located on first use; ids start
/// at 1). Throws ProcessError when no loaded module contains it.
std::uint32_t code_id(const void* address);
/// In a receiver: the address code id `id` denotes here. Throws ProtocolError
/// for an id never defined, ProcessError for one whose code is not here.
const void* code_address(std::uint32_t id);

// ---- what may be called, and how ------------------------------------------

// The receiver owns the arguments it decoded: it passes them as rvalues (so
// a move-only one, a Connection, can be taken by value), or as lvalues to a
// target that takes only those. The target itself is an lvalue (a Pool
// calls it once per item).
template <class F, class... Args>
inline constexpr bool task_invocable_v = std::is_invocable_v<F&, Args&&...> || std::is_invocable_v<F&, Args&...>;

template <class F, class... Args>
using task_result_t = typename std::conditional_t<std::is_invocable_v<F&, Args&&...>, std::invoke_result<F&, Args&&...>,
                                                  std::invoke_result<F&, Args&...>>::type;

template <class F, class... Args>
decltype(auto) invoke_task(F& f, std::tuple<Args...>& args) {
    return std::apply(
        [&f](Args&... a) -> decltype(auto) {
            if constexpr (std::is_invocable_v<F&, Args&&...>)
                return std::invoke(f, std::move(a)...);
            else
                return std::invoke(f, a...);
        },
        args);
}

// ---- the target -----------------------------------------------------------

/// Appends `f`; `target_code` is its code id when it is a function pointer.
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
F get_target(wire_reader& in) {
    if constexpr (classify_target<F>() == target_kind::function_pointer) {
        return reinterpret_cast<F>(const_cast<void*>(code_address(in.u32())));
    } else if constexpr (classify_target<F>() == target_kind::serializable) {
        return loads<F>(in.bytes(in.u64()));
    } else {
        return F{};
    }
}

// ---- the items' arguments -------------------------------------------------

template <class... Args>
inline constexpr bool raw_args = (memcpy_codec<Args> && ...);

/// Encodes items into `out`, each one call's arguments.
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
    wire_reader in_;
    std::unique_ptr<view_source> source_;
    std::unique_ptr<capped_iarchive> archive_;
};

}  // namespace mproc::detail
