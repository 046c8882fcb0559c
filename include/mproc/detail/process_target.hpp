/// The target of a Process and its arguments, type-erased: run in place by a
/// forked child, or encoded for a child that re-executes the program (spawn,
/// forkserver) as the address of an entry function instantiated for the
/// target's types plus the Boost-serialized target and arguments.
#pragma once

#include <mproc/detail/archive.hpp>
#include <mproc/detail/code_ref.hpp>
#include <mproc/detail/crossable.hpp>
#include <mproc/detail/fd_transfer.hpp>
#include <mproc/detail/serialize_std.hpp>
#include <mproc/errors.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mproc::detail {

/// What a re-executed child runs: `entry` locates a run_spawned<F, Args...>
/// instantiation, which decodes `payload` and calls the target.
struct spawn_task {
    code_ref entry;
    std::string payload;
};

using spawn_entry = void (*)(std::string_view payload);

class process_target {
public:
    virtual ~process_target() = default;
    /// Calls the target here (in a forked child). Exceptions propagate.
    virtual void run() = 0;
    /// The task for a re-executed child; handles among the arguments register
    /// their descriptors with export_fd. Throws mproc::ProcessError saying
    /// why the target or an argument cannot cross.
    virtual spawn_task encode() const = 0;
};

/// The target is called with its arguments as rvalues when it accepts them
/// (so it may take move-only arguments by value), else as lvalues (so it may
/// take them by non-const reference).
template <class F, class... Args>
void invoke_target(F& f, std::tuple<Args...>& args) {
    std::apply(
        [&f](Args&... a) {
            if constexpr (std::is_invocable_v<F&&, Args&&...>)
                std::invoke(std::move(f), std::move(a)...);
            else
                std::invoke(f, a...);
        },
        args);
}

template <class F, class... Args>
inline constexpr bool invocable_target_v =
    std::is_invocable_v<F&&, Args&&...> || std::is_invocable_v<F&, Args&...>;

template <class F>
void save_target(wire_oarchive& ar, const F& f) {
    if constexpr (classify_target<F>() == target_kind::function_pointer) {
        const code_ref ref = locate_function(f);
        ar << ref;
    } else if constexpr (classify_target<F>() == target_kind::serializable) {
        ar << f;
    }
}

template <class F>
F load_target(capped_iarchive& ar) {
    if constexpr (classify_target<F>() == target_kind::function_pointer) {
        code_ref ref;
        ar >> ref;
        return resolve_function<F>(ref);
    } else if constexpr (classify_target<F>() == target_kind::serializable) {
        F f{};
        ar >> f;
        return f;
    } else {
        return F{};
    }
}

/// The entry a re-executed child calls: rebuilds the target and its arguments
/// from `payload` and calls it.
template <class F, class... Args>
void run_spawned(std::string_view payload) {
    view_source source(payload);
    capped_iarchive ar(source);
    F f = load_target<F>(ar);
    std::tuple<Args...> args;
    std::apply([&ar](Args&... a) { ((ar >> a), ...); }, args);
    finish_import();
    invoke_target(f, args);
}

template <class F, class... Args>
class bound_target final : public process_target {
public:
    template <class G, class... A>
    explicit bound_target(G&& f, A&&... args) : f_(std::forward<G>(f)), args_(std::forward<A>(args)...) {}

    void run() override { invoke_target(f_, args_); }

    spawn_task encode() const override {
        if constexpr (crossable_target_v<F> && (crossable_v<Args> && ...)) {
            spawn_task task;
            task.entry = locate_function(&run_spawned<F, Args...>);
            string_sink sink(task.payload);
            wire_oarchive ar(sink);
            save_target(ar, f_);
            std::apply([&ar](const Args&... a) { ((ar << a), ...); }, args_);
            return task;
        } else {
            throw ProcessError("cannot start this process with the spawn or forkserver start method: " +
                               crossing_problems<F, Args...>());
        }
    }

private:
    F f_;
    std::tuple<Args...> args_;
};

}  // namespace mproc::detail
