#include "pool/worker_set.hpp"

#include "posix/poll.hpp"

#include <mproc/errors.hpp>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace mproc::detail::pool {

namespace {

// Workers that die before saying hello this many times in a row break the pool.
constexpr int max_startup_deaths = 20;

}  // namespace

std::exception_ptr broken(const std::string& what) { return std::make_exception_ptr(BrokenPool(what)); }

namespace {

// The zygote could not fork a worker: EAGAIN (a process limit) is a
// std::system_error, as a failed start under spawn and forkserver is.
std::exception_ptr could_not_start(const std::string& error) {
    const std::string what = "mproc::Pool: a worker could not be started: " + error;
    if (error.find(std::generic_category().message(EAGAIN)) != std::string::npos)
        return std::make_exception_ptr(std::system_error(EAGAIN, std::generic_category(), what));
    return broken(what);
}

}  // namespace

worker_set::worker_set(int processes, start_method method, std::string worker_config, task_fds initializer_fds)
    : processes_(processes),
      starter_(method, std::move(worker_config), std::move(initializer_fds)),
      by_zygote_(method == start_method::fork) {}

void worker_set::start_all() {
    for (int i = 0; i < processes_; ++i) workers_.push_back(starter_.start(next_token_++));
    if (zygote* z = starter_.zyg()) await_forks(*z);
}

// Under fork the zygote forks the first workers: wait until it has, so a
// fork it could not make (RLIMIT_NPROC, no memory) fails the constructor, as
// under spawn and forkserver, instead of the pool's first use.
void worker_set::await_forks(zygote& z) {
    auto unforked = [&] {
        return std::any_of(workers_.begin(), workers_.end(), [](const auto& w) { return !w->pid && !w->exitcode; });
    };
    while (unforked()) {
        posix::wait_readable(z.fd(), std::nullopt);
        if (auto error = read_zygote_reports(true)) std::rethrow_exception(error);
    }
}

bool worker_set::idle() const noexcept {
    return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->held.empty(); });
}

void worker_set::on_ready(worker& w, pid_t pid) noexcept {
    if (!w.pid) {
        w.pid = pid;
        w.channel->started(pid);
    }
    if (w.state == worker::phase::starting) w.state = worker::phase::ready;
    startup_deaths_ = 0;
}

std::exception_ptr worker_set::read_zygote_reports(bool running) {
    zygote* z = starter_.zyg();
    std::exception_ptr error;
    while (auto r = z->read_report()) {
        if (auto* s = std::get_if<zygote::started>(&*r)) {
            for (auto& w : workers_)
                if (w->token == s->token && !w->pid) {
                    w->pid = s->pid;
                    w->channel->started(s->pid);
                }
        } else if (auto* f = std::get_if<zygote::start_failed>(&*r)) {
            for (auto& w : workers_)
                if (w->token == f->token) {
                    w->eof = true;
                    w->exitcode = 1;
                }
            if (!error) error = could_not_start(f->error);
        } else if (auto* e = std::get_if<zygote::ended>(&*r)) {
            for (auto& w : workers_)
                if (w->token == e->token && !w->exitcode) w->exitcode = e->exitcode;
        } else {
            zygote_gone_ = true;
            // Its workers died with it (PDEATHSIG); nothing can replace them.
            for (auto& w : workers_) w->eof = true;
            if (running && !error) error = broken("mproc::Pool: the zygote process that forks the workers died");
            break;
        }
    }
    return error;
}

void worker_set::on_end(worker& w) noexcept {
    w.ended = true;
    if (!w.exitcode) w.exitcode = w.channel->exitcode();
}

bool worker_set::end_known(const worker& w) const noexcept {
    // Under fork the exit code comes from the zygote's report, a moment
    // after the worker's end fd fired.
    return w.exitcode.has_value() || (by_zygote_ ? zygote_gone_ : w.ended);
}

worker_set::burial worker_set::bury(const std::shared_ptr<worker>& w, job_table& jobs, bool running) {
    burial out;
    std::erase(workers_, w);
    w->channel->join();  // reaped already (its end is known): returns at once
    const std::string end = describe_end(w->pid, w->exitcode);
    if (!w->held.empty()) {
        // The front task was running (or about to): it fails. The ones behind
        // it never started: they go back to the front of the queue.
        task_ptr head = std::move(w->held.front());
        w->held.pop_front();
        const double seconds = std::chrono::duration<double>(clock::now() - w->head_since).count();
        const auto error =
            broken("mproc::Pool: " + end + " while running this task (for " + std::to_string(seconds) + " s)");
        out.notify = jobs.complete(*head, error);
        // The rest of a grouped frame may have run too (their results were
        // not sent yet): they fail with it.
        while (head->group && !w->held.empty() && w->held.front()->group == head->group) {
            out.notify = jobs.complete(*w->held.front(), error) || out.notify;
            w->held.pop_front();
        }
        for (auto it = w->held.rbegin(); it != w->held.rend(); ++it)
            if (job_table::wanted(**it)) jobs.requeue_front(*it);
        w->held.clear();
    }
    if (w->state == worker::phase::starting && running && ++startup_deaths_ >= max_startup_deaths)
        out.breaks = broken("mproc::Pool: workers keep dying before they are ready (last: " + end + ")");
    return out;
}

std::exception_ptr worker_set::replace() {
    const auto live = std::count_if(workers_.begin(), workers_.end(),
                                    [](const auto& w) { return w->state != worker::phase::retiring; });
    if (live >= processes_) return nullptr;
    try {
        workers_.push_back(starter_.start(next_token_++));
    } catch (const std::exception& e) {
        return broken(std::string("mproc::Pool: a replacement worker could not be started: ") + e.what());
    }
    return nullptr;
}

void worker_set::kill_all() noexcept {
    for (auto& w : workers_) {
        w->state = worker::phase::retiring;
        w->channel->kill();
    }
    if (zygote* z = starter_.zyg()) z->kill_workers();
}

}  // namespace mproc::detail::pool
