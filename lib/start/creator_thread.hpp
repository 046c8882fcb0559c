// Where children are created. PR_SET_PDEATHSIG fires when the *thread* that
// created a child exits, so a child created by a short-lived thread would be
// killed with that thread -- the main thread too, when it calls
// pthread_exit() while other threads keep the program running. mproc
// therefore creates children only on its own creator thread (started on first
// need, all signals blocked, never stopped), which lives as long as the
// process. Not instead: forking on the calling thread with a parent-death
// signal the child handles -- a handled signal cuts the child's sleeps and
// polls short (EINTR) when its starting thread ends (docs/ARCHITECTURE.md).
#pragma once

#include <functional>

namespace mproc::start {

/// Runs `work` on the creator thread and waits for it (directly when called
/// there). Exceptions from `work` are rethrown
/// here. A child forked inside `work` never returns from it.
void run_on_long_lived_thread(const std::function<void()>& work);

}  // namespace mproc::start
