#include "pool/dispatcher.hpp"

#include "start/code_table.hpp"
#include "pool/protocol.hpp"

#include <algorithm>

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

std::uint64_t code_key(const task_spec& spec) { return (std::uint64_t{spec.entry} << 32) | spec.target; }

}  // namespace

bool dispatcher::quick(const task_spec& spec) const {
    if (spec.fds) return false;  // never grouped: its worker holds it alone (protocol.hpp)
    auto it = run_us_.find(code_key(spec));
    return it != run_us_.end() && it->second < quick_us;
}

void dispatcher::ran(const task_spec& spec, std::uint32_t us) {
    double& run = run_us_[code_key(spec)];
    run = run == 0 ? us : 0.75 * run + 0.25 * us;
}

// Appends `t` to the frame: its descriptors' announcement, the code
// definitions the worker lacks, the task record.
void dispatcher::add_task(request& r, worker& w, const task_ptr& t, bool first_in_frame) {
    if (t->spec.fds) {  // alone in its frame (not quick), announced first
        r.fds = t->spec.fds;
        protocol::put_fds(r.frame, static_cast<std::uint32_t>(r.fds->size()));
    }
    for (std::uint32_t id : {t->spec.entry, t->spec.target}) {
        if (!id) continue;
        if (id >= w.known_code.size()) w.known_code.resize(id + 1, false);
        if (!w.known_code[id]) {
            protocol::put_define(r.frame, id, definition(id));
            w.known_code[id] = true;
        }
    }
    if (first_in_frame && r.frame.empty()) {
        // Perhaps alone in its frame: its record header goes in place.
        protocol::patch_task(t->spec.payload, t->id, t->spec.entry);
        r.alone = t;
        return;
    }
    if (r.alone) {
        r.frame.append(r.alone->spec.payload);  // not alone after all
        r.alone = nullptr;
    }
    protocol::put_task(r.frame, t->id, t->spec.entry, t->spec.input());
}

std::vector<request> dispatcher::plan(job_table& jobs, const std::vector<std::shared_ptr<worker>>& workers) {
    std::vector<request> sends;
    if (!jobs.has_queued()) return sends;
    const auto ready = static_cast<std::size_t>(
        std::count_if(workers.begin(), workers.end(), [](const auto& w) { return w->takes_work(); }));
    if (ready == 0) return sends;
    const std::size_t limit = std::clamp<std::size_t>((jobs.queued() + 2 * ready - 1) / (2 * ready), 1, max_held);
    const auto now = clock::now();
    for (auto& w : workers) {
        if (!jobs.has_queued()) break;
        if (!w->takes_work()) continue;
        request r{w, {}, nullptr, {}};
        std::size_t in_frame = 0;
        bool grouped = false;
        std::uint64_t group = 0;
        while (jobs.has_queued() && w->held.size() < limit && in_frame < max_frame_tasks && !spent(*w)) {
            const task_ptr& t = jobs.front();
            const std::size_t size = t->spec.payload.size();
            if (!w->held.empty() && w->held_bytes + size > w->window) break;
            const bool q = quick(t->spec);
            if (!q && !w->held.empty()) break;
            if (in_frame == 0) {
                grouped = q;
                if (grouped) {
                    protocol::put_grouped(r.frame);
                    group = next_group_++;
                }
            } else if (q != grouped) {
                break;
            }
            add_task(r, *w, t, in_frame == 0);
            t->group = group;
            if (w->held.empty()) w->head_since = now;
            w->held.push_back(jobs.pop_front());
            w->held_bytes += size;
            ++w->handed;
            ++in_frame;
        }
        if (!r.frame.empty() || r.alone) {
            w->sending = true;
            sends.push_back(std::move(r));
        }
    }
    return sends;
}

}  // namespace mproc::detail::pool
