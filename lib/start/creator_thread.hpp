// Where children are created. PR_SET_PDEATHSIG fires when the *thread* that
// created a child exits, so a child created by a short-lived thread would be
// killed with that thread. mproc therefore creates children only on threads
// that live as long as the process: the main thread, or its own creator
// thread (started on first need, all signals blocked, never stopped).
#pragma once

#include <functional>

namespace mproc::start {

/// Runs `work` on a long-lived thread and waits for it: directly on the main
/// thread, else on the creator thread. Exceptions from `work` are rethrown
/// here. A child forked inside `work` never returns from it.
void run_on_long_lived_thread(const std::function<void()>& work);

}  // namespace mproc::start
