#include "pool/pool_core.hpp"

#include "start/code_table.hpp"
#include "pool/exit_guard.hpp"
#include "posix/fork.hpp"
#include "posix/poll.hpp"

#include <mproc/errors.hpp>
#include <mproc/os.hpp>

#include <atomic>
#include <stdexcept>
#include <utility>

namespace mproc::detail::pool {

namespace {

// The pool whose callbacks this thread is running (join() there would wait
// for itself).
thread_local const pool_core* running_callbacks_of = nullptr;

// This process's pid, refreshed in a forked child: every call checks the
// pool's owner, and getpid() is a system call.
std::atomic<pid_t> this_pid{0};
void refresh_pid() noexcept { this_pid.store(os::getpid(), std::memory_order_relaxed); }
const bool pid_tracked = (posix::at_fork({nullptr, nullptr, &refresh_pid}), refresh_pid(), true);

pid_t current_pid() noexcept { return this_pid.load(std::memory_order_relaxed); }

}  // namespace

std::shared_ptr<core> core::create(config cfg) {
    if (cfg.processes < 1) throw std::invalid_argument("mproc::Pool: the number of processes must be at least 1");
    // In a forked child the last reference to the parent's pool is dropped
    // without destroying it: its threads do not exist there, its mutex may
    // be held, its workers and zygote are the parent's.
    const pid_t owner = current_pid();
    return std::shared_ptr<pool_core>(new pool_core(std::move(cfg)), [owner](pool_core* p) {
        if (current_pid() == owner) delete p;
    });
}

bool pool_core::foreign() const noexcept { return current_pid() != owner_; }

void pool_core::check_owner() const {
    if (foreign())
        throw ProcessError("mproc::Pool: this pool belongs to process " + std::to_string(owner_) +
                           "; a forked child cannot use its parent's pool");
}

pool_core::pool_core(config cfg)
    : cfg_(std::move(cfg)), owner_(current_pid()), pump_(*this), dispatcher_(cfg_.maxtasksperchild) {
    protocol::worker_config wc;
    wc.maxtasks = cfg_.maxtasksperchild;
    if (cfg_.initializer.entry) {
        for (std::uint32_t id : {cfg_.initializer.entry, cfg_.initializer.target})
            if (id) protocol::put_define(wc.initializer_defs, id, definition(id));
        wc.initializer_entry = cfg_.initializer.entry;
        wc.initializer_payload = std::string(cfg_.initializer.input());
        wc.initializer_fds = cfg_.initializer.fds ? static_cast<std::uint32_t>(cfg_.initializer.fds->size()) : 0;
    }
    // Under fork the zygote is forked here, while the pool has no thread.
    workers_.emplace(cfg_.processes, cfg_.method, wc.encode(), cfg_.initializer.fds);
    {
        lock_t lk(pump_.mutex());
        try {
            workers_->start_all();
        } catch (...) {
            lk.unlock();
            terminate();
            join();
            throw;
        }
    }
    pump_.start_progress();
    exit_guard::add(this);
}

pool_core::~pool_core() {
    exit_guard::remove(this);
    terminate();
    try {
        join();
    } catch (...) {
    }
}

// ---- one round of the pump ---------------------------------------------------

void pool_core::step(lock_t& lk, deadline until) {
    pump_.round_begins();
    flush_finished(lk);
    dispatch(lk);
    bury_ended(lk);
    flush_finished(lk);

    // What to wait for: [0] the pump's wake pipe, [1] the zygote, then each
    std::vector<pollfd> fds(2);
    // worker's results, the rest of a frame it has not taken, and its end.
    enum class what { results, unsent, end };
    std::vector<std::pair<std::shared_ptr<worker>, what>> whose;  // per entry from 2 on
    zygote* z = workers_->zyg();
    fds[1] = {z && !workers_->zygote_gone() ? z->fd() : -1, POLLIN, 0};
    for (auto& w : workers_->all()) {
        if (!w->eof) {
            fds.push_back({w->channel->results_fd(), POLLIN, 0});
            whose.emplace_back(w, what::results);
            if (w->unsent) {
                fds.push_back({w->channel->send_fd(), POLLOUT, 0});
                whose.emplace_back(w, what::unsent);
            }
        }
        if (!w->ended && w->channel->end_fd() >= 0) {
            fds.push_back({w->channel->end_fd(), POLLIN, 0});
            whose.emplace_back(w, what::end);
        }
    }
    if (pump_.poll(lk, fds, until) == 0) return;
    if (fds[1].revents)
        if (auto error = workers_->read_zygote_reports(!stopping())) break_pool(error);
    for (std::size_t i = 0; i < whose.size(); ++i) {
        if (!fds[i + 2].revents) continue;
        const auto& [w, kind] = whose[i];
        if (kind == what::end)
            workers_->on_end(*w);
        else if (w->eof)
            continue;
        else if (kind == what::results)
            read_from(lk, w, false);
        else if (w->unsent)
            write_to(lk, w, nullptr);
    }
    bury_ended(lk);
    flush_finished(lk);
}

// ---- handing out tasks ----------------------------------------------------------

void pool_core::dispatch(lock_t& lk) {
    if (!jobs_.has_queued()) return;
    notice_idle_deaths(lk);
    std::vector<request> sends = dispatcher_.plan(jobs_, workers_->all());
    for (auto& r : sends) {
        r.to->out_frame = std::move(r.frame);
        r.to->out_task = std::move(r.alone);
        write_to(lk, r.to, r.fds);
    }
}

void pool_core::send_to(lock_t& lk, const std::shared_ptr<worker>& w, std::string message) {
    if (w->eof || w->ended || w->exitcode || w->unsent) return;
    w->out_frame = std::move(message);
    write_to(lk, w, nullptr);
}

// Writes to w's channel without the lock (the pump role keeps others off
// it), never blocking: more of its unsent frame, else the start of its out
// frame (after `fds`). What the channel does not take now waits until it is
// writable (step() polls for that), so a busy or stopped worker holds up
// neither the thread that submitted nor the other workers.
void pool_core::write_to(lock_t& lk, const std::shared_ptr<worker>& w, const task_fds& fds) {
    const bool more = w->unsent;
    w->sending = true;
    lk.unlock();
    bool done = false, ok = true;
    try {
        done = more ? w->channel->send_more() : w->channel->send(w->out(), fds);
    } catch (...) {
        ok = false;
    }
    lk.lock();
    w->sending = false;
    w->unsent = ok && !done;
    if (!w->unsent) {
        w->out_frame = std::string();  // a big frame's memory goes now
        w->out_task.reset();
    }
    if (!ok) {
        // It stopped reading: it is dead or dying; make sure, and let
        // bury() fail what it held once its end is known.
        w->eof = true;
        w->channel->kill();
    }
}

// ---- completed jobs ------------------------------------------------------------

void pool_core::flush_finished(lock_t& lk) {
    std::vector<std::shared_ptr<job>> done = jobs_.take_finished();
    if (done.empty()) return;
    lk.unlock();
    const pool_core* outer = std::exchange(running_callbacks_of, this);
    for (auto& j : done) j->finished();
    running_callbacks_of = outer;
    lk.lock();
    jobs_.mark_ready(done);
    pump_.notify();
}

void pool_core::flush_or_wake(lock_t& lk) {
    if (pump_.try_take(lk)) {
        pump::role r{pump_, lk};
        flush_finished(lk);
    } else {
        pump_.wake();
    }
}

bool pool_core::idle() const { return jobs_.quiet() && workers_->idle(); }

// ---- public operations ------------------------------------------------------------

bool pool_core::wait(const std::function<bool()>& done, deadline until) {
    check_owner();
    const auto keep = keep_alive();  // a callback run here may drop the pool
    lock_t lk(pump_.mutex());
    return pump_.drive(lk, done, until);
}

void pool_core::submit(const std::shared_ptr<job>& owner, std::vector<task_spec> tasks, std::size_t first_chunk,
                       bool continuing) {
    check_owner();
    const auto keep = keep_alive();
    lock_t lk(pump_.mutex());
    if (state_ != run_state::running && !(continuing && state_ == run_state::closed))
        throw ProcessError(continuing ? "Pool not running (joined or terminated while imap was reading its range)"
                                      : "Pool not running");
    if (broken_) {
        if (jobs_.fail_chunks(owner, first_chunk, first_chunk + tasks.size(), broken_)) pump_.notify();
        flush_or_wake(lk);
        return;
    }
    jobs_.add(owner, std::move(tasks), first_chunk);
    pump_.work_arrived();
    if (pump_.try_take(lk)) {
        // Hand the tasks to idle workers from this thread: no hop.
        pump_.activity();
        pump::role r{pump_, lk};
        flush_finished(lk);
        dispatch(lk);
    } else {
        pump_.wake();
    }
}

void pool_core::abandon(const std::shared_ptr<job>& owner) noexcept {
    if (foreign()) return;
    lock_t lk(pump_.mutex());
    jobs_.abandon(*owner);
}

void pool_core::close() {
    check_owner();
    lock_t lk(pump_.mutex());
    if (state_ == run_state::running) state_ = run_state::closed;
}

void pool_core::terminate() noexcept {
    if (foreign()) return;  // the parent's workers are not this process's to kill
    const auto keep = keep_alive();
    lock_t lk(pump_.mutex());
    if (state_ == run_state::terminated) return;
    state_ = run_state::terminated;
    fail_everything(broken("mproc::Pool: terminated before this task completed"));
    // Kill every worker now; the pump buries them as their ends show.
    workers_->kill_all();
    pump_.wake();
    const auto snapshot = workers_->all();
    zygote* z = workers_->zyg();
    lk.unlock();
    // "Returns once no worker is left": wait for each to end.
    for (auto& w : snapshot) w->channel->join();
    if (z) {
        try {
            z->join();
        } catch (...) {
        }
    }
    lk.lock();
    flush_or_wake(lk);
}

void pool_core::join() {
    check_owner();
    if (running_callbacks_of == this)
        throw ProcessError("Pool::join: called from one of the pool's own callbacks, it would wait for itself");
    const auto keep = keep_alive();
    {
        lock_t lk(pump_.mutex());
        if (state_ == run_state::running) throw ProcessError("Pool::join: call close() or terminate() first");
        if (joined_) return;
    }
    // Every submitted task done (after close()), then the workers told to go.
    // Joining from the moment the pool is seen idle (under the lock): an imap
    // still reading its range may submit up to then, not after.
    wait(
        [this] {
            if (!idle()) return false;
            if (state_ == run_state::closed) state_ = run_state::joining;
            return true;
        },
        std::nullopt);
    {
        lock_t lk(pump_.mutex());
        if (pump_.take(lk, std::nullopt)) {
            pump::role r{pump_, lk};
            std::string quit;
            protocol::put_quit(quit);
            for (auto& w : std::vector(workers_->all())) {
                if (w->state == worker::phase::retiring) continue;  // leaving already
                w->state = worker::phase::retiring;
                send_to(lk, w, quit);
            }
        }
    }
    wait([this] { return workers_->empty(); }, std::nullopt);
    if (zygote* z = workers_->zyg()) {
        z->quit();
        z->join();
    }
    pump_.stop_progress();
    lock_t lk(pump_.mutex());
    joined_ = true;
}

}  // namespace mproc::detail::pool
