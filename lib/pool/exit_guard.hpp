// Pools still alive when the program exits: terminated by an atexit handler
// (as Python's pool finalizer), before mproc's own exit handler joins the
// children -- the fork zygote is not a daemon (it starts the workers), so
// without this a Pool left alive at exit() would keep that join waiting.
#pragma once

namespace mproc::detail::pool {

class core;

namespace exit_guard {
/// Registers a live pool (and, the first time, the atexit handler: after
/// the pool started its first child, so it runs before mproc's).
void add(core* pool);
void remove(core* pool) noexcept;
}  // namespace exit_guard

}  // namespace mproc::detail::pool
