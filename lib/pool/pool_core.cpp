#include "pool/pool_core.hpp"

#include "start/code_table.hpp"
#include "pool/exit_guard.hpp"
#include "pool/protocol.hpp"
#include "posix/fd.hpp"
#include "posix/nonblocking_io.hpp"
#include "posix/poll.hpp"
#include "posix/signals.hpp"

#include <mproc/errors.hpp>

#include <algorithm>
#include <csignal>
#include <stdexcept>

namespace mproc::detail::pool {

namespace {

// Tasks one worker may hold at once: enough to keep it busy between two
// rounds of the pump, few enough that the others get their share.
constexpr std::size_t max_held = 128;
// Tasks in one request frame.
constexpr std::size_t max_frame_tasks = 64;
// Tasks that ran for less than this (on average, recently) are sent in
// grouped frames, whose results come back together.
constexpr double quick_us = 50;
// A worker busy with other tasks gets at most worker::window bytes of
// requests: the socket buffer takes them without blocking the pump (a worker
// that is not reading would otherwise stall every other worker, and a worker
// blocked sending its results to a pump blocked sending to it would deadlock).
// Workers that die before saying hello this many times in a row break the pool.
constexpr int max_startup_deaths = 20;
// Result frames read from one worker before looking at the others.
constexpr int frames_per_round = 64;

std::exception_ptr broken(const std::string& what) { return std::make_exception_ptr(BrokenPool(what)); }

}  // namespace

std::shared_ptr<core> core::create(config cfg) {
    if (cfg.processes < 1) throw std::invalid_argument("mproc::Pool: the number of processes must be at least 1");
    return std::make_shared<pool_core>(std::move(cfg));
}

pool_core::pool_core(config cfg) : cfg_(std::move(cfg)) {
    protocol::worker_config wc;
    wc.maxtasks = cfg_.maxtasksperchild;
    if (cfg_.initializer.entry) {
        for (std::uint32_t id : {cfg_.initializer.entry, cfg_.initializer.target})
            if (id) protocol::put_define(wc.initializer_defs, id, definition(id));
        wc.initializer_entry = cfg_.initializer.entry;
        wc.initializer_payload = std::string(cfg_.initializer.input());
        wc.initializer_fds = cfg_.initializer.fds ? static_cast<std::uint32_t>(cfg_.initializer.fds->size()) : 0;
    }
    std::tie(wake_read_, wake_write_) = posix::make_pipe();
    posix::set_nonblocking(wake_read_.get());
    posix::set_nonblocking(wake_write_.get());
    // Under fork the zygote is forked here, while the pool has no thread.
    factory_.emplace(cfg_.method, wc.encode(), cfg_.initializer.fds);
    {
        lock_t lk(m_);
        try {
            for (int i = 0; i < cfg_.processes; ++i) workers_.push_back(factory_->start(next_token_++));
        } catch (...) {
            lk.unlock();
            terminate();
            join();
            throw;
        }
    }
    progress_ = std::thread([this] { progress_loop(); });
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

// ---- the pump role ---------------------------------------------------------

bool pool_core::take_role(lock_t& lk, deadline until) {
    while (pumping_) {
        if (progress_pumping_ && !role_wanted_) {
            role_wanted_ = true;
            wake();
        }
        ++waiters_;
        if (until) {
            if (cv_.wait_until(lk, *until) == std::cv_status::timeout && pumping_) {
                --waiters_;
                return false;
            }
        } else {
            cv_.wait(lk);
        }
        --waiters_;
    }
    pumping_ = true;
    return true;
}

void pool_core::release_role(lock_t&) {
    pumping_ = false;
    if (waiters_) cv_.notify_all();
}

void pool_core::wake() noexcept {
    if (!polling_ || woken_) return;
    woken_ = true;
    const char byte = 0;
    try {
        posix::write_nonblock(wake_write_.get(), &byte, 1);
    } catch (...) {
    }
}

bool pool_core::wait(const std::function<bool()>& done, deadline until) {
    lock_t lk(m_);
    for (;;) {
        if (done()) return true;
        if (until && clock::now() >= *until) {
            // One look without waiting (ready(), get(0s)), if the role is free.
            if (pumping_) return false;
            pumping_ = true;
            {
                role_scope role{*this, lk};
                step(lk, clock::now());
            }
            return done();
        }
        if (!pumping_) {
            pumping_ = true;
            if (!progress_pumping_) ++activity_;
            {
                role_scope role{*this, lk};
                while (!done() && !(until && clock::now() >= *until)) step(lk, until);
            }
            return done();
        }
        if (progress_pumping_ && !role_wanted_) {
            role_wanted_ = true;
            wake();
        }
        ++waiters_;
        if (until)
            cv_.wait_until(lk, *until);
        else
            cv_.wait(lk);
        --waiters_;
    }
}

void pool_core::step(lock_t& lk, deadline until) {
    if (!progress_pumping_) ++activity_;
    flush_finished(lk);
    dispatch(lk);
    bury_ended(lk);
    flush_finished(lk);

    // What to wait for: the wake pipe, the zygote, each worker's Connection
    // (results, or its end) and sentinel.
    std::vector<pollfd> fds;
    std::vector<std::shared_ptr<worker>> whose;  // per entry from 2 on
    std::vector<bool> is_sentinel;
    fds.push_back({wake_read_.get(), POLLIN, 0});
    zygote* z = factory_ ? factory_->zyg() : nullptr;
    fds.push_back({z && !zygote_gone_ ? z->fd() : -1, POLLIN, 0});
    for (auto& w : workers_) {
        if (!w->eof) {
            fds.push_back({w->conn.fileno(), POLLIN, 0});
            whose.push_back(w);
            is_sentinel.push_back(false);
        }
        if (w->process && !w->exitcode) {
            fds.push_back({w->process->sentinel(), POLLIN, 0});
            whose.push_back(w);
            is_sentinel.push_back(true);
        }
    }
    polling_ = true;
    woken_ = false;
    lk.unlock();
    int ready = 0;
    try {
        ready = posix::poll_until(fds.data(), fds.size(), until);
    } catch (...) {
        lk.lock();
        polling_ = false;
        throw;
    }
    lk.lock();
    polling_ = false;
    if (ready == 0) return;
    if (fds[0].revents) {
        char drain[64];
        while (posix::read_nonblock(wake_read_.get(), drain, sizeof drain).bytes > 0) {
        }
        if (progress_pumping_ && role_wanted_) return;
    }
    if (fds[1].revents) on_zygote_report(lk);
    for (std::size_t i = 0; i < whose.size(); ++i) {
        const short revents = fds[i + 2].revents;
        if (!revents) continue;
        const auto& w = whose[i];
        if (is_sentinel[i]) {
            w->exitcode = w->process->exitcode();
        } else if (!w->eof) {
            read_from(lk, w, false);
        }
    }
    bury_ended(lk);
    flush_finished(lk);
}

// ---- dispatch ----------------------------------------------------------------

void pool_core::dispatch(lock_t& lk) {
    if (pending_.empty()) return;
    std::size_t ready = 0;
    for (auto& w : workers_)
        if (w->state == worker::phase::ready && !w->eof && !w->exitcode && !w->sending) ++ready;
    if (ready == 0) return;
    const std::size_t limit = std::clamp<std::size_t>((pending_.size() + 2 * ready - 1) / (2 * ready), 1, max_held);
    const auto now = clock::now();
    struct request {
        std::shared_ptr<worker> to;
        std::string frame;
        const task* alone = nullptr;  // a frame of just this task: its payload goes as it is
        task_fds fds;                 // go first, on the descriptor channel
    };
    std::vector<request> sends;
    for (auto& w : workers_) {
        if (pending_.empty()) break;
        if (w->state != worker::phase::ready || w->eof || w->exitcode || w->sending) continue;
        std::string out;
        std::size_t in_frame = 0;
        bool grouped = false;
        std::uint64_t group = 0;
        const task* first = nullptr;
        task_fds fds;
        while (!pending_.empty() && w->held.size() < limit && in_frame < max_frame_tasks) {
            if (cfg_.maxtasksperchild > 0 && w->handed >= cfg_.maxtasksperchild) break;
            const auto& t = pending_.front();
            const std::size_t size = t->spec.payload.size();
            if (!w->held.empty() && w->held_bytes + size > w->window) break;
            const bool q = quick(t->spec);
            // A task not known to be quick waits for a free worker (as
            // Python's workers take tasks when free): queued behind a long
            // one it would wait while another worker idles.
            if (!q && !w->held.empty()) break;
            if (in_frame == 0) {
                grouped = q;
                if (grouped) {
                    out.push_back('G');
                    group = next_group_++;
                }
            } else if (q != grouped) {
                break;
            }
            if (t->spec.fds) {  // alone in its frame (not quick), announced first
                fds = t->spec.fds;
                protocol::put_fds(out, static_cast<std::uint32_t>(fds->size()));
            }
            for (std::uint32_t id : {t->spec.entry, t->spec.target}) {
                if (!id) continue;
                if (id >= w->known_code.size()) w->known_code.resize(id + 1, false);
                if (!w->known_code[id]) {
                    protocol::put_define(out, id, definition(id));
                    w->known_code[id] = true;
                }
            }
            if (in_frame == 0 && out.empty()) {
                // Perhaps alone in its frame: its record header goes in place.
                protocol::patch_task(t->spec.payload, t->id, t->spec.entry);
                first = t.get();
            } else {
                if (first) {
                    out.append(first->spec.payload);  // not alone after all
                    first = nullptr;
                }
                protocol::put_task(out, t->id, t->spec.entry, t->spec.input());
            }
            t->sent = now;
            t->group = group;
            if (w->held.empty()) w->head_since = now;
            w->held.push_back(t);
            w->held_bytes += size;
            ++w->handed;
            ++in_frame;
            pending_.pop_front();
        }
        if (!out.empty() || first) {
            w->sending = true;
            sends.push_back({w, std::move(out), first, std::move(fds)});
        }
    }
    if (sends.empty()) return;
    lk.unlock();
    std::vector<std::shared_ptr<worker>> failed;
    for (auto& r : sends) {
        try {
            if (r.fds) send_fds(r.to->descriptors.get(), *r.fds);
            r.to->conn.send_bytes(r.alone ? std::string_view(r.alone->spec.payload) : std::string_view(r.frame));
        } catch (...) {
            failed.push_back(r.to);
        }
    }
    lk.lock();
    for (auto& r : sends) r.to->sending = false;
    for (auto& w : failed) {
        // It stopped reading: it is dead or dying; make sure, and let
        // bury() fail what it held once its end is known.
        w->eof = true;
        if (w->process) {
            try {
                w->process->kill();
            } catch (...) {
            }
        }
    }
}

void pool_core::send_to(lock_t& lk, const std::shared_ptr<worker>& w, std::string message) {
    if (w->eof || w->exitcode) return;
    w->sending = true;
    lk.unlock();
    bool ok = true;
    try {
        w->conn.send_bytes(message);
    } catch (...) {
        ok = false;
    }
    lk.lock();
    w->sending = false;
    if (!ok) w->eof = true;
}

// ---- results by job id ---------------------------------------------------------

void pool_core::read_from(lock_t& lk, const std::shared_ptr<worker>& w, bool until_end) {
    for (int n = 0; until_end || n < frames_per_round; ++n) {
        lk.unlock();
        bool got = false;
        try {
            if (n == 0 || w->conn.poll()) {
                w->conn.recv_bytes_into(frame_);
                got = true;
            }
        } catch (...) {
            lk.lock();
            w->eof = true;  // end of stream, or a frame cut short by its death
            return;
        }
        lk.lock();
        if (!got) {
            if (!until_end) return;
            // Dead, so its data and its end are all there: wait for them.
            lk.unlock();
            try {
                w->conn.poll(std::chrono::seconds(1));
            } catch (...) {
            }
            lk.lock();
            continue;
        }
        try {
            on_message(lk, w, frame_);
        } catch (const ProtocolError&) {
            // Garbage on a worker's Connection: it cannot be trusted any more.
            w->eof = true;
            if (w->process) {
                try {
                    w->process->kill();
                } catch (...) {
                }
            }
            return;
        }
    }
}

void pool_core::on_message(lock_t& lk, const std::shared_ptr<worker>& w, std::string_view message) {
    reader in(message);
    const char kind = in.fixed<char>();
    if (kind == 'H') {
        const pid_t pid = in.fixed<std::int32_t>();
        const bool ok = in.fixed<char>() != 0;
        if (!w->pid) w->pid = pid;
        if (ok) {
            if (w->state == worker::phase::starting) w->state = worker::phase::ready;
            startup_deaths_ = 0;
            return;
        }
        std::string type(protocol::get_text(in));
        std::string what(protocol::get_text(in));
        w->state = worker::phase::retiring;
        if (!broken_)
            break_pool(lk, broken("mproc::Pool: the initializer raised " + type + ": " + what + " in worker " +
                                  std::to_string(pid) + "; the pool cannot run tasks"));
        return;
    }
    if (kind != 'R') throw ProtocolError("malformed pool message: unknown kind");
    const std::uint32_t count = in.u32();
    for (std::uint32_t i = 0; i < count; ++i) on_result(lk, w, in);
    if (cfg_.maxtasksperchild > 0 && w->handed >= cfg_.maxtasksperchild && w->held.empty() &&
        w->state == worker::phase::ready) {
        // Its budget is spent: it exits by itself; a fresh one takes its place.
        w->state = worker::phase::retiring;
        if (should_replace()) replace(lk);
    }
}

bool pool_core::quick(const task_spec& spec) const {
    if (spec.fds) return false;  // never grouped: its worker holds it alone (protocol.hpp)
    auto it = run_us_.find((std::uint64_t{spec.entry} << 32) | spec.target);
    return it != run_us_.end() && it->second < quick_us;
}

void pool_core::on_result(lock_t& lk, const std::shared_ptr<worker>& w, reader& in) {
    const std::uint64_t id = in.u64();
    const auto status = static_cast<protocol::status>(in.fixed<char>());
    const std::uint32_t us = in.u32();
    std::string_view bytes = in.bytes(in.u64());
    if (w->held.empty() || w->held.front()->id != id) throw ProtocolError("malformed pool message: unexpected task");
    std::shared_ptr<task> t = std::move(w->held.front());
    w->held.pop_front();
    w->held_bytes -= t->spec.payload.size();
    w->head_since = clock::now();
    double& run = run_us_[(std::uint64_t{t->spec.entry} << 32) | t->spec.target];
    run = run == 0 ? us : 0.75 * run + 0.25 * us;
    std::exception_ptr error;
    if (status == protocol::status::ok) {
        job& j = *t->owner;
        const bool wanted = !j.ready && !(j.fail_fast && j.error) && j.state[t->chunk] == job::chunk_state::pending;
        if (wanted) {
            lk.unlock();
            try {
                j.accept(t->chunk, bytes);
            } catch (...) {
                error = std::current_exception();
            }
            lk.lock();
        }
    } else {
        reader text(bytes);
        std::string type(protocol::get_text(text));
        std::string what(protocol::get_text(text));
        if (status == protocol::status::not_sent) what = "the task's result could not be sent back: " + what;
        error = std::make_exception_ptr(RemoteError(std::move(type), std::move(what), w->pid));
    }
    complete(lk, t, error);
}

void pool_core::complete(lock_t&, const std::shared_ptr<task>& t, std::exception_ptr error) {
    job& j = *t->owner;
    if (j.ready || (j.fail_fast && j.error) || j.state[t->chunk] != job::chunk_state::pending) return;
    bool finished = false;
    if (error && j.fail_fast) {
        // The first failure fails the whole job: its other chunks need not run.
        j.error = error;
        const job* owner = &j;
        std::erase_if(pending_, [owner](const std::shared_ptr<task>& p) { return p->owner.get() == owner; });
        finished = true;
    } else {
        j.state[t->chunk] = error ? job::chunk_state::failed : job::chunk_state::done;
        if (!j.fail_fast) {
            if (error) j.errors[t->chunk] = error;
            j.completed.push_back(t->chunk);
        }
        finished = --j.remaining == 0;
    }
    if (finished) finished_.push_back(t->owner);
    if (waiters_ && (finished || !j.fail_fast)) cv_.notify_all();
}

void pool_core::flush_finished(lock_t& lk) {
    if (finished_.empty()) return;
    std::vector<std::shared_ptr<job>> jobs;
    jobs.swap(finished_);
    finishing_ += static_cast<int>(jobs.size());
    lk.unlock();
    for (auto& j : jobs) j->finished();
    lk.lock();
    finishing_ -= static_cast<int>(jobs.size());
    // Ready only now: as in Python, a result's callback has run before
    // get() returns it.
    for (auto& j : jobs) j->ready = true;
    if (waiters_) cv_.notify_all();
}

bool pool_core::idle() const {
    if (!pending_.empty() || !finished_.empty() || finishing_) return false;
    return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->held.empty(); });
}

// ---- workers: death and replacement -------------------------------------------

void pool_core::on_zygote_report(lock_t& lk) {
    zygote* z = factory_->zyg();
    while (auto r = z->read_report()) {
        if (auto* s = std::get_if<zygote::started>(&*r)) {
            for (auto& w : workers_)
                if (w->token == s->token && !w->pid) w->pid = s->pid;
        } else if (auto* f = std::get_if<zygote::start_failed>(&*r)) {
            for (auto& w : workers_)
                if (w->token == f->token) {
                    w->eof = true;
                    w->exitcode = 1;
                }
            break_pool(lk, broken("mproc::Pool: a worker could not be started: " + f->error));
        } else if (auto* e = std::get_if<zygote::ended>(&*r)) {
            for (auto& w : workers_)
                if (w->token == e->token && !w->exitcode) w->exitcode = e->exitcode;
        } else {
            zygote_gone_ = true;
            // Its workers died with it (PDEATHSIG); nothing can replace them.
            for (auto& w : workers_) {
                w->eof = true;
                if (!w->exitcode) w->exitcode = std::nullopt;
            }
            if (state_ != run_state::terminated && state_ != run_state::joining)
                break_pool(lk, broken("mproc::Pool: the zygote process that forks the workers died"));
            break;
        }
    }
}

void pool_core::bury_ended(lock_t& lk) {
    for (std::size_t i = 0; i < workers_.size();) {
        auto w = workers_[i];
        const bool ended = w->exitcode.has_value() || (zygote_gone_ && !w->process);
        if (ended && !w->eof && !w->sending) read_from(lk, w, true);  // what it sent before dying
        if (ended && w->eof && !w->sending) {
            bury(lk, w);
            continue;  // workers_[i] is now the next one
        }
        ++i;
    }
}

void pool_core::bury(lock_t& lk, const std::shared_ptr<worker>& w) {
    std::erase(workers_, w);
    if (waiters_) cv_.notify_all();  // join() waits for the workers to be gone
    if (w->process) {
        try {
            w->process->join();  // reaped already (exitcode known): returns at once
        } catch (...) {
        }
    }
    const std::string end = describe_end(w->pid, w->exitcode);
    if (!w->held.empty()) {
        // The front task was running (or about to): it fails. The ones behind
        // it never started: they go back to the front of the queue.
        auto head = std::move(w->held.front());
        w->held.pop_front();
        const double seconds = std::chrono::duration<double>(clock::now() - w->head_since).count();
        const auto error =
            broken("mproc::Pool: " + end + " while running this task (for " + std::to_string(seconds) + " s)");
        complete(lk, head, error);
        // The rest of a grouped frame may have run too (their results were
        // not sent yet): they fail with it.
        while (head->group && !w->held.empty() && w->held.front()->group == head->group) {
            complete(lk, w->held.front(), error);
            w->held.pop_front();
        }
        for (auto it = w->held.rbegin(); it != w->held.rend(); ++it) {
            job& j = *(*it)->owner;
            if (j.ready || (j.fail_fast && j.error)) continue;
            pending_.push_front(*it);
        }
        w->held.clear();
        if (broken_ || state_ == run_state::terminated) fail_everything(lk, broken_ ? broken_ : broken("mproc::Pool: terminated"));
    }
    if (w->state == worker::phase::starting && state_ != run_state::terminated && state_ != run_state::joining &&
        ++startup_deaths_ >= max_startup_deaths && !broken_)
        break_pool(lk, broken("mproc::Pool: workers keep dying before they are ready (last: " + end + ")"));
    if (w->state != worker::phase::retiring && should_replace()) replace(lk);
}

bool pool_core::should_replace() const {
    if (broken_ || zygote_gone_) return false;
    if (state_ == run_state::running) return true;
    return state_ == run_state::closed && !idle();
}

void pool_core::replace(lock_t& lk) {
    std::size_t live = 0;
    for (auto& w : workers_)
        if (w->state != worker::phase::retiring) ++live;
    if (live >= static_cast<std::size_t>(cfg_.processes)) return;
    try {
        workers_.push_back(factory_->start(next_token_++));
    } catch (const std::exception& e) {
        break_pool(lk, broken(std::string("mproc::Pool: a replacement worker could not be started: ") + e.what()));
    }
}

void pool_core::break_pool(lock_t& lk, std::exception_ptr error) {
    if (!broken_) broken_ = error;
    fail_everything(lk, error);
}

void pool_core::fail_everything(lock_t& lk, std::exception_ptr error) {
    while (!pending_.empty()) {
        auto t = std::move(pending_.front());
        pending_.pop_front();
        complete(lk, t, error);
    }
    if (state_ == run_state::terminated)
        for (auto& w : workers_) {
            for (auto& t : w->held) complete(lk, t, error);
            w->held.clear();
            w->held_bytes = 0;
        }
}

void pool_core::retire_idle_workers(lock_t& lk) {
    std::string quit(1, 'Q');
    auto snapshot = workers_;
    for (auto& w : snapshot) {
        if (w->state == worker::phase::retiring) continue;  // leaving already
        w->state = worker::phase::retiring;
        send_to(lk, w, quit);
    }
}

// ---- public operations ------------------------------------------------------------

void pool_core::submit(const std::shared_ptr<job>& owner, std::vector<task_spec> tasks, std::size_t first_chunk,
                       bool continuing) {
    lock_t lk(m_);
    if (state_ != run_state::running && !(continuing && state_ == run_state::closed))
        throw ProcessError(continuing ? "Pool not running (joined or terminated while imap was reading its range)"
                                      : "Pool not running");
    if (broken_) {
        fail_chunks(lk, owner, first_chunk, first_chunk + tasks.size(), broken_);
        return;
    }
    if (owner->state.empty()) finished_.push_back(owner);  // no chunk at all: ready at once
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        auto t = std::make_shared<task>();
        t->owner = owner;
        t->chunk = first_chunk + i;
        t->spec = std::move(tasks[i]);
        t->id = next_task_++;
        pending_.push_back(std::move(t));
    }
    if (progress_idle_) {
        progress_idle_ = false;
        progress_cv_.notify_one();
    }
    if (!pumping_) {
        // Hand the tasks to idle workers from this thread: no hop.
        pumping_ = true;
        ++activity_;
        role_scope role{*this, lk};
        flush_finished(lk);
        dispatch(lk);
    } else {
        wake();
    }
}

void pool_core::fail_chunks(lock_t& lk, const std::shared_ptr<job>& owner, std::size_t from, std::size_t to,
                             std::exception_ptr error) {
    for (std::size_t c = from; c < to && c < owner->state.size(); ++c) {
        auto t = std::make_shared<task>();
        t->owner = owner;
        t->chunk = c;
        complete(lk, t, error);
    }
    if (owner->state.empty()) finished_.push_back(owner);
    if (!pumping_) {
        pumping_ = true;
        flush_finished(lk);
        release_role(lk);
    } else {
        wake();
    }
}

void pool_core::abandon(const std::shared_ptr<job>& owner) noexcept {
    lock_t lk(m_);
    const job* abandoned = owner.get();
    std::erase_if(pending_, [abandoned](const std::shared_ptr<task>& t) { return t->owner.get() == abandoned; });
}

void pool_core::close() {
    lock_t lk(m_);
    if (state_ == run_state::running) state_ = run_state::closed;
}

void pool_core::terminate() noexcept {
    lock_t lk(m_);
    if (state_ == run_state::terminated) return;
    state_ = run_state::terminated;
    fail_everything(lk, broken("mproc::Pool: terminated before this task completed"));
    // Kill every worker now; the pump buries them as their ends show.
    for (auto& w : workers_) {
        w->state = worker::phase::retiring;
        if (w->process) {
            try {
                w->process->kill();
            } catch (...) {
            }
        }
    }
    if (zygote* z = factory_ ? factory_->zyg() : nullptr) z->kill_workers();
    wake();
    auto snapshot = workers_;
    lk.unlock();
    // "Returns once no worker is left": wait for each to end.
    for (auto& w : snapshot) {
        if (!w->process) continue;
        try {
            w->process->join();
        } catch (...) {
        }
    }
    if (zygote* z = factory_ ? factory_->zyg() : nullptr) {
        try {
            z->join();
        } catch (...) {
        }
    }
    lk.lock();
    if (!pumping_) {
        pumping_ = true;
        flush_finished(lk);
        release_role(lk);
    }
}

void pool_core::join() {
    {
        lock_t lk(m_);
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
        lock_t lk(m_);
        if (take_role(lk, std::nullopt)) {
            retire_idle_workers(lk);
            release_role(lk);
        }
    }
    wait([this] { return workers_.empty(); }, std::nullopt);
    if (zygote* z = factory_ ? factory_->zyg() : nullptr) {
        z->quit();
        z->join();
    }
    lock_t lk(m_);
    stop_ = true;
    progress_cv_.notify_all();
    wake();
    lk.unlock();
    if (progress_.joinable() && progress_.get_id() != std::this_thread::get_id()) progress_.join();
    lk.lock();
    joined_ = true;
}

// ---- the progress thread ----------------------------------------------------------

bool pool_core::work_outstanding() const { return !idle(); }

void pool_core::progress_loop() {
    posix::block_all_signals();  // signals are the application's threads' business
    lock_t lk(m_);
    std::uint64_t seen = activity_;
    while (!stop_) {
        if (!work_outstanding()) {
            progress_idle_ = true;
            progress_cv_.wait(lk);
            progress_idle_ = false;
            seen = activity_;
            continue;
        }
        if (pumping_ || activity_ != seen) {
            seen = activity_;
            progress_cv_.wait_for(lk, std::chrono::milliseconds(1));
            continue;
        }
        // Tasks are outstanding and nobody has looked for a millisecond.
        pumping_ = true;
        progress_pumping_ = true;
        try {
            while (!stop_ && !role_wanted_ && work_outstanding()) step(lk, std::nullopt);
        } catch (...) {
        }
        progress_pumping_ = false;
        role_wanted_ = false;
        release_role(lk);
        seen = activity_;
    }
}

}  // namespace mproc::detail::pool
