/// The target of a Process and its arguments, type-erased: run in place by a
/// forked child, or encoded for a child that re-executes the program (spawn,
/// forkserver) in the one task encoding ((detail/start/task.hpp)) as a task of one
/// item: the code id of an entry function instantiated for the target's
/// types, then the target and the arguments.
#pragma once

#include <mproc/detail/start/crossable.hpp>
#include <mproc/detail/transport/fd_transfer.hpp>
#include <mproc/detail/start/task.hpp>
#include <mproc/errors.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace mproc::detail {

/// What a re-executed child runs: the entry (code id of a
/// run_spawned<F, Args...> instantiation) decodes `payload` and calls the
/// target. `code` lists the code ids the child must learn first.
struct spawn_task {
    std::uint32_t entry = 0;
    std::vector<std::uint32_t> code;
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

/// The entry a re-executed child calls: rebuilds the target and its arguments
/// from `payload` and calls it.
template <class F, class... Args>
void run_spawned(std::string_view payload) {
    wire_reader in(payload);
    F f = get_target<F>(in);
    std::tuple<Args...> args = item_reader<Args...>(in.rest()).next();
    finish_import();
    invoke_task(f, args);
}

template <class F, class... Args>
class bound_target final : public process_target {
public:
    template <class G, class... A>
    explicit bound_target(G&& f, A&&... args) : f_(std::forward<G>(f)), args_(std::forward<A>(args)...) {}

    void run() override { invoke_task(f_, args_); }

    spawn_task encode() const override {
        if constexpr (crossable_target_v<F> && (crossable_v<Args> && ...)) {
            spawn_task task;
            task.entry = code_id(reinterpret_cast<const void*>(&run_spawned<F, Args...>));
            task.code.push_back(task.entry);
            std::uint32_t target = 0;
            put_target(task.payload, f_, target);
            if (target) task.code.push_back(target);
            std::apply([&task](const Args&... a) { item_writer<Args...>(task.payload).add(a...); }, args_);
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
