/// Start-method contexts (Python: multiprocessing.get_context and friends).
///
///     auto ctx = mproc::get_context("spawn");          // or get_context(mproc::spawn)
///     mproc::Process p = ctx.Process(worker, 42);      // started by spawn
///
///     auto typed = mproc::get_context<mproc::spawn>(); // checked at compile time:
///     typed.Process([x](int) {}, 1);                   // error: a capturing lambda cannot cross
///
///     mproc::set_start_method("forkserver");           // the default for mproc::Process
///
/// A Context only selects how children are made; creating one is free.
/// (Pools made from a context will use its start method too.)
#pragma once

#include <mproc/process.hpp>
#include <mproc/queue.hpp>
#include <mproc/shared_value.hpp>
#include <mproc/synchronize.hpp>
#include <mproc/start_method.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mproc {

class Pool;
struct PoolOptions;

class Context {
public:
    explicit Context(start_method method) noexcept : method_(method) {}

    /// The start method this context uses.
    start_method method() const noexcept { return method_; }
    /// Its name: "fork", "spawn" or "forkserver" (Python: get_start_method).
    std::string_view get_start_method() const noexcept { return to_string(method_); }

    /// A Process started with this context's method. Under spawn and
    /// forkserver, a target or argument that cannot cross makes start() throw
    /// ProcessError (use get_context<M>() to make it a compile error).
    template <class F, class... Args>
    mproc::Process Process(F&& target, Args&&... args) const {
        mproc::Process p;
        p.adopt(mproc::Process::make_target(std::forward<F>(target), std::forward<Args>(args)...), method_);
        return p;
    }

    /// A Pool whose workers this context starts (include <mproc/pool.hpp>).
    /// Templates only so that this header, a layer below the Pool, needs its
    /// name and nothing more: the Pool is made where it is complete.
    template <class P = mproc::Pool, class Options = PoolOptions>
    P Pool(std::type_identity_t<Options> options = {}) const {
        return P(std::move(options), method_);
    }
    template <class P = mproc::Pool, class Options = PoolOptions>
    P Pool(int processes) const {
        return P(Options{.processes = processes}, method_);
    }
    /// Queues (Python: ctx.Queue(), ctx.SimpleQueue(), ctx.JoinableQueue()):
    /// the same under every start method, passed to this context's
    /// processes as arguments.
    template <class T>
    mproc::Queue<T> Queue(std::size_t maxsize = 0) const {
        return mproc::Queue<T>(maxsize);
    }
    template <class T>
    mproc::SimpleQueue<T> SimpleQueue() const {
        return mproc::SimpleQueue<T>();
    }
    template <class T>
    mproc::JoinableQueue<T> JoinableQueue(std::size_t maxsize = 0) const {
        return mproc::JoinableQueue<T>(maxsize);
    }

    /// Locks, semaphores, events, conditions, barriers (Python: ctx.Lock()
    /// etc.): the same under every start method, passed to this context's
    /// processes as arguments.
    mproc::Lock Lock() const { return mproc::Lock(); }
    mproc::RLock RLock() const { return mproc::RLock(); }
    mproc::Semaphore Semaphore(unsigned value = 1) const { return mproc::Semaphore(value); }
    mproc::BoundedSemaphore BoundedSemaphore(unsigned value = 1) const { return mproc::BoundedSemaphore(value); }
    mproc::Event Event() const { return mproc::Event(); }
    mproc::Condition Condition() const { return mproc::Condition(); }
    mproc::Condition Condition(const mproc::Lock& lock) const { return mproc::Condition(lock); }
    mproc::Condition Condition(const mproc::RLock& lock) const { return mproc::Condition(lock); }
    mproc::Barrier Barrier(unsigned parties, mproc::Barrier::action_type action = nullptr,
                           std::optional<std::chrono::duration<double>> timeout = std::nullopt) const {
        return mproc::Barrier(parties, action, timeout);
    }

    /// Shared values and arrays (Python: ctx.Value, ctx.Array, ctx.RawValue,
    /// ctx.RawArray).
    template <class T>
    mproc::Value<T> Value(const T& init = T{}, bool lock = true) const {
        return mproc::Value<T>(init, lock);
    }
    template <class T>
    mproc::Array<T> Array(std::size_t n, bool lock = true) const {
        return mproc::Array<T>(n, lock);
    }
    template <class T>
    mproc::RawValue<T> RawValue(const T& init = T{}) const {
        return mproc::RawValue<T>(init);
    }
    template <class T>
    mproc::RawArray<T> RawArray(std::size_t n) const {
        return mproc::RawArray<T>(n);
    }

private:
    start_method method_;
};

/// A context whose method is known at compile time: under spawn and
/// forkserver, Process() refuses at compile time (static_assert with the
/// reason) a target or argument that could not cross to the child.
template <start_method M>
class MethodContext : public Context {
public:
    MethodContext() noexcept : Context(M) {}

    template <class F, class... Args>
    mproc::Process Process(F&& target, Args&&... args) const {
        if constexpr (M != start_method::fork)
            static_assert(detail::assert_crosses<std::decay_t<F>, std::decay_t<Args>...>());
        return Context::Process(std::forward<F>(target), std::forward<Args>(args)...);
    }
};

using ForkContext = MethodContext<start_method::fork>;
using SpawnContext = MethodContext<start_method::spawn>;
using ForkServerContext = MethodContext<start_method::forkserver>;

/// The context for `method`: "fork", "spawn" or "forkserver". Throws
/// std::invalid_argument for any other name.
Context get_context(std::string_view method);
Context get_context(start_method method) noexcept;
/// The default context (the method set_start_method chose, else fork).
Context get_context();
/// A context typed at compile time: get_context<mproc::spawn>().
template <start_method M>
MethodContext<M> get_context() noexcept {
    return {};
}

/// Sets the default start method (Python: set_start_method). Throws
/// std::invalid_argument for an unknown name, and ProcessError if the default
/// was already set or used (by starting a Process, or by get_start_method())
/// unless `force`. A child started by spawn or forkserver inherits the
/// default (as Python's): its own Processes use the same method.
void set_start_method(std::string_view method, bool force = false);
void set_start_method(start_method method, bool force = false);

/// The default start method's name; fixes the default to fork if none was set.
std::string_view get_start_method();

/// Every start method this platform supports: {"fork", "spawn", "forkserver"}.
std::vector<std::string> get_all_start_methods();

}  // namespace mproc
