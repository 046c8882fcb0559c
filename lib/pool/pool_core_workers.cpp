// pool_core: workers' ends. A worker's end is noticed by the pump's poll
// (or, for an idle worker about to get work, by notice_idle_deaths); it is
// buried once its end is known and what it sent is read (worker_set.hpp).
#include "pool/pool_core.hpp"

#include "posix/poll.hpp"

#include <mproc/errors.hpp>

namespace mproc::detail::pool {

// A worker that died while idle is buried (and replaced) before it is given
// work: only a task a worker was running fails with it. One poll of the idle
// workers' end fds and result streams, without waiting; a worker that
// answered within the last millisecond is taken as alive (no system call on
// the hot path of a burst). The end fd may tell late (a forkserver worker's
// sentinel fires once the server has reaped it and reported): the end of its
// stream, which its death closes at once, keeps work from it meanwhile; it is
// buried when its end is known (never on the stream's end alone: a task's
// children may hold it open, and then only the end fd tells).
void pool_core::notice_idle_deaths(lock_t& lk) {
    constexpr auto recently = std::chrono::milliseconds(1);
    const auto now = clock::now();
    std::vector<pollfd> fds;  // per worker: its end fd, then its results
    std::vector<std::shared_ptr<worker>> whose;
    for (auto& w : workers_->all())
        if (w->takes_work() && w->held.empty() && now - w->head_since >= recently && w->channel->end_fd() >= 0) {
            fds.push_back({w->channel->end_fd(), POLLIN, 0});
            fds.push_back({w->channel->results_fd(), POLLIN, 0});
            whose.push_back(w);
        }
    if (fds.empty() || posix::poll_until(fds.data(), fds.size(), clock::now()) == 0) return;
    for (std::size_t i = 0; i < whose.size(); ++i) {
        if (fds[2 * i].revents) workers_->on_end(*whose[i]);
        if (fds[2 * i + 1].revents && !whose[i]->eof) read_from(lk, whose[i], false);
    }
    bury_ended(lk);
}

void pool_core::bury_ended(lock_t& lk) {
    const auto snapshot = workers_->all();  // bury() changes the set
    for (const auto& w : snapshot) {
        if (w->sending || !workers_->end_known(*w)) continue;
        if (!w->eof) {
            // What it sent before its end, without waiting for anyone who
            // may still hold its stream open.
            w->channel->closed_for_good();
            read_from(lk, w, true);
        }
        if (w->eof && !w->sending) bury(w);
    }
}

void pool_core::bury(const std::shared_ptr<worker>& w) {
    const bool retiring = w->state == worker::phase::retiring;
    const worker_set::burial b = workers_->bury(w, jobs_, !stopping());
    pump_.notify();  // join() waits for the workers to be gone; results may have failed
    if (b.breaks && !broken_) break_pool(b.breaks);
    if (broken_ || state_ == run_state::terminated)
        fail_everything(broken_ ? broken_ : broken("mproc::Pool: terminated"));
    if (!retiring && should_replace()) replace();
}

bool pool_core::should_replace() const {
    if (broken_ || workers_->zygote_gone()) return false;
    if (state_ == run_state::running) return true;
    return state_ == run_state::closed && !idle();
}

void pool_core::replace() {
    if (auto error = workers_->replace()) break_pool(error);
}

void pool_core::break_pool(std::exception_ptr error) {
    if (!broken_) broken_ = error;
    fail_everything(error);
}

void pool_core::fail_everything(std::exception_ptr error) {
    bool notify = jobs_.fail_queued(error);
    if (state_ == run_state::terminated)
        for (auto& w : workers_->all()) {
            for (auto& t : w->held) notify = jobs_.complete(*t, error) || notify;
            w->held.clear();
            w->held_bytes = 0;
        }
    if (notify) pump_.notify();
}

}  // namespace mproc::detail::pool
