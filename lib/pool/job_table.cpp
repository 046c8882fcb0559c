#include "pool/job_table.hpp"

#include <algorithm>

namespace mproc::detail::pool {

void job_table::add(const std::shared_ptr<job>& owner, std::vector<task_spec> specs, std::size_t first_chunk) {
    if (owner->state.empty()) finished_.push_back(owner);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        auto t = std::make_shared<task>();
        t->owner = owner;
        t->chunk = first_chunk + i;
        t->spec = std::move(specs[i]);
        t->id = next_task_++;
        ++owner->queued;
        queued_.push_back(std::move(t));
    }
}

bool job_table::fail_chunks(const std::shared_ptr<job>& owner, std::size_t from, std::size_t to,
                            std::exception_ptr error) {
    bool notify = false;
    for (std::size_t c = from; c < to && c < owner->state.size(); ++c) {
        task t;
        t.owner = owner;
        t.chunk = c;
        notify = complete(t, error) || notify;
    }
    if (owner->state.empty()) finished_.push_back(owner);
    return notify;
}

bool job_table::wanted(const task& t) noexcept {
    const job& j = *t.owner;
    return !j.ready && !(j.fail_fast && j.error) && j.state[t.chunk] == job::chunk_state::pending;
}

bool job_table::complete(const task& t, std::exception_ptr error) {
    if (!wanted(t)) return false;
    job& j = *t.owner;
    bool finished = false;
    if (error && j.fail_fast) {
        // The first failure fails the whole job: its other chunks need not run.
        j.error = error;
        if (j.queued > 0) {
            const job* owner = &j;
            std::erase_if(queued_, [owner](const task_ptr& p) { return p->owner.get() == owner; });
            j.queued = 0;
        }
        finished = true;
    } else {
        j.state[t.chunk] = error ? job::chunk_state::failed : job::chunk_state::done;
        if (!j.fail_fast) {
            if (error) j.errors[t.chunk] = error;
            j.completed.push_back(t.chunk);
        }
        finished = --j.remaining == 0;
    }
    if (finished) finished_.push_back(t.owner);
    return finished || !j.fail_fast;
}

bool job_table::fail_queued(std::exception_ptr error) {
    std::deque<task_ptr> failing;
    failing.swap(queued_);
    bool notify = false;
    for (auto& t : failing) {
        --t->owner->queued;
        notify = complete(*t, error) || notify;
    }
    return notify;
}

void job_table::abandon(job& owner) noexcept {
    if (owner.queued == 0) return;
    const job* abandoned = &owner;
    std::erase_if(queued_, [abandoned](const task_ptr& t) { return t->owner.get() == abandoned; });
    owner.queued = 0;
}

task_ptr job_table::pop_front() {
    task_ptr t = std::move(queued_.front());
    queued_.pop_front();
    --t->owner->queued;
    return t;
}

void job_table::requeue_front(task_ptr t) {
    ++t->owner->queued;
    queued_.push_front(std::move(t));
}

std::vector<std::shared_ptr<job>> job_table::take_finished() {
    std::vector<std::shared_ptr<job>> jobs;
    jobs.swap(finished_);
    finishing_ += static_cast<int>(jobs.size());
    return jobs;
}

void job_table::mark_ready(const std::vector<std::shared_ptr<job>>& jobs) noexcept {
    finishing_ -= static_cast<int>(jobs.size());
    // Ready only now: as in Python, a result's callback has run before
    // get() returns it.
    for (auto& j : jobs) j->ready = true;
}

}  // namespace mproc::detail::pool
