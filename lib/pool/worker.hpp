// A Pool's worker as the engine sees it: its channel, the tasks it holds and
// since when, how far it is in its life.
#pragma once

#include "pool/job_table.hpp"
#include "pool/worker_channel.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mproc::detail::pool {

struct worker {
    enum class phase {
        starting,  // no hello yet: holds nothing
        ready,     // takes tasks
        retiring,  // told to stop (or its task budget is spent): takes none
    };
    std::uint64_t token = 0;  // identity in this pool (pids are reused)
    phase state = phase::starting;
    pid_t pid = 0;
    std::unique_ptr<worker_channel> channel;
    /// Handed out and not answered yet, in the order sent: the worker runs
    /// them in this order, so the front one is running (since head_since;
    /// with nothing held: idle since then).
    std::deque<task_ptr> held;
    clock::time_point head_since{};
    std::size_t held_bytes = 0;
    std::size_t window = 32 * 1024;  // request bytes it may hold unread without blocking a send
    long handed = 0;                 // tasks handed out in its life (maxtasksperchild)
    std::vector<bool> known_code;    // code ids already defined on its channel
    bool sending = false;            // a thread is writing to its channel without the lock
    /// A request frame its channel has not taken whole yet (the worker is
    /// busy or stopped): the rest goes when the channel is writable, and it
    /// gets no other frame meanwhile. Its bytes live here until then: a
    /// frame of several records, or the payload of the task sent alone.
    bool unsent = false;
    std::string out_frame;
    task_ptr out_task;
    bool eof = false;                // its stream of results reached its end (or failed)
    bool ended = false;              // its end_fd fired: it is gone
    std::optional<int> exitcode;     // known once it ended

    bool takes_work() const noexcept {
        return state == phase::ready && !eof && !ended && !exitcode && !sending && !unsent;
    }
    std::string_view out() const noexcept {
        return out_task ? std::string_view(out_task->spec.payload) : std::string_view(out_frame);
    }
};

}  // namespace mproc::detail::pool
