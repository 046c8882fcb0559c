// Children nobody waits for any more (their Popen or Process was destroyed
// while they ran): neither waited for nor killed, but reaped later so no
// zombie stays behind (CPython's subprocess._active).
#pragma once

#include "posix/child.hpp"

namespace mproc::lifecycle {

/// Takes over a child that may still be running; it is reaped by a later
/// reap_abandoned() once it has ended.
void abandon(posix::child_handle child);

/// Reaps every abandoned child that has ended, without blocking. Called
/// whenever mproc starts a child and by active_children().
void reap_abandoned() noexcept;

}  // namespace mproc::lifecycle
