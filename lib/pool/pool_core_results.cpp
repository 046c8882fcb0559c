// pool_core: results by job id. The pump reads a worker's frames; each
// result completes the task at the front of what that worker holds (the one
// channel per worker says which), decoded without the lock.
#include "pool/pool_core.hpp"
#include "pool/remote_exception.hpp"

#include <mproc/errors.hpp>

namespace mproc::detail::pool {

namespace {

// Result frames read from one worker before looking at the others.
constexpr int frames_per_round = 64;

}  // namespace

void pool_core::read_from(lock_t& lk, const std::shared_ptr<worker>& w, bool until_end) {
    for (int n = 0; until_end || n < frames_per_round; ++n) {
        lk.unlock();
        bool got = false;
        try {
            got = w->channel->receive(frame_, n == 0 || until_end);
        } catch (...) {
            lk.lock();
            w->eof = true;  // end of stream, or a frame cut short by its death
            return;
        }
        lk.lock();
        if (!got) return;
        try {
            on_message(lk, w, frame_);
        } catch (const ProtocolError&) {
            // Garbage on a worker's channel: it cannot be trusted any more.
            w->eof = true;
            w->channel->kill();
            return;
        }
    }
}

void pool_core::on_message(lock_t& lk, const std::shared_ptr<worker>& w, std::string_view message) {
    reader in(message);
    const protocol::message m = protocol::read_message(in);
    if (m.is_hello) {
        if (m.ok) return workers_->on_ready(*w, m.pid);
        if (!w->pid) w->pid = m.pid;
        w->state = worker::phase::retiring;
        if (!broken_)
            break_pool(broken("mproc::Pool: the initializer raised " + std::string(m.type) + ": " +
                              std::string(m.what) + " in worker " + std::to_string(m.pid) +
                              "; the pool cannot run tasks"));
        return;
    }
    for (std::uint32_t i = 0; i < m.count; ++i) on_result(lk, w, protocol::next_entry(in));
    if (dispatcher_.spent(*w) && w->held.empty() && w->state == worker::phase::ready) {
        // Its budget is spent: it exits by itself; a fresh one takes its place.
        w->state = worker::phase::retiring;
        if (should_replace()) replace();
    }
}

void pool_core::on_result(lock_t& lk, const std::shared_ptr<worker>& w, const protocol::entry& e) {
    if (w->held.empty() || w->held.front()->id != e.task)
        throw ProtocolError("malformed pool message: unexpected task");
    task_ptr t = std::move(w->held.front());
    w->held.pop_front();
    w->held_bytes -= t->spec.payload.size();
    w->head_since = clock::now();
    dispatcher_.ran(t->spec, e.us);
    std::exception_ptr error;
    if (e.outcome == protocol::status::ok) {
        if (job_table::wanted(*t)) {
            // Only this thread accepts this chunk: decoded without the lock.
            lk.unlock();
            try {
                t->owner->accept(t->chunk, e.bytes);
            } catch (...) {
                error = std::current_exception();
            }
            lk.lock();
        }
    } else {
        error = std::make_exception_ptr(remote_error(e.bytes, w->pid, e.outcome == protocol::status::not_sent));
    }
    if (jobs_.complete(*t, error)) pump_.notify();
}

}  // namespace mproc::detail::pool
