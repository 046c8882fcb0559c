/// The byte-level core of mproc::Pool (lib/pool/): workers, dispatch, the job
/// table. The typed templates of <mproc/pool.hpp> encode tasks into task_specs
/// and decode results in job::accept; everything else happens here, without
/// Boost.Process, Asio or Interprocess in the header.
#pragma once

#include <mproc/detail/pool/codec.hpp>
#include <mproc/start_method.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mproc::detail::pool {

using clock = std::chrono::steady_clock;
using deadline = std::optional<clock::time_point>;

/// `timeout` from now. Throws std::invalid_argument for NaN; a century or
/// more is no deadline (a duration cast would overflow).
deadline deadline_after(std::chrono::duration<double> timeout);

/// A submitted request: one apply (one chunk) or one map (n chunks). The
/// fields below the virtual functions are guarded by the core's mutex.
class job {
public:
    enum class chunk_state : std::uint8_t { pending, done, failed };

    /// `fail_fast`: the first failed chunk makes the whole job ready and
    /// failed (apply, map); otherwise each chunk fails on its own (imap).
    job(std::size_t chunks, bool fail_fast) : state(chunks, chunk_state::pending), remaining(chunks), fail_fast(fail_fast) {
        if (!fail_fast) errors.resize(chunks);
    }
    job(const job&) = delete;
    job& operator=(const job&) = delete;
    virtual ~job() = default;

    /// The result bytes of chunk `index`, on the thread reading results,
    /// without the core's lock (only one thread accepts a job's chunks at a
    /// time, and each chunk once). Throws (ProtocolError) if they do not decode.
    virtual void accept(std::size_t index, std::string_view bytes) = 0;
    /// Called once, without the lock, after the job became ready: callbacks.
    virtual void finished() noexcept {}

    std::vector<chunk_state> state;
    std::vector<std::exception_ptr> errors;  // per chunk, when !fail_fast
    std::vector<std::size_t> completed;      // chunk indices in completion order
    std::exception_ptr error;                // the job's failure, when fail_fast
    std::size_t remaining;
    std::size_t queued = 0;  // chunks waiting in the pool's queue (not handed out)
    bool ready = false;  // complete, and its callbacks have run
    const bool fail_fast;
};

struct config {
    int processes = 1;
    start_method method = start_method::fork;
    /// The initializer as a task (entry 0: none).
    task_spec initializer;
    /// 0: workers live as long as the pool.
    long maxtasksperchild = 0;
};

/// The shared state of a Pool, also held by its AsyncResults. Thread-safe.
class core {
public:
    /// Starts the workers. Throws std::invalid_argument (processes < 1),
    /// ProcessError (MPROC_MAIN missing under spawn or forkserver, ...),
    /// std::system_error.
    static std::shared_ptr<core> create(config cfg);
    virtual ~core() = default;

    virtual int processes() const noexcept = 0;
    /// Queues `tasks` (chunk first_chunk + i of `owner` is tasks[i]) and
    /// hands what it can to idle workers; a job's chunks may come in several
    /// calls, in order. Throws ProcessError ("Pool not running") after
    /// close() or terminate() — after close(), a `continuing` call (an imap
    /// reading the rest of its range) is taken until join() finds the pool
    /// idle; when the pool is broken the chunks fail with BrokenPool.
    virtual void submit(const std::shared_ptr<job>& owner, std::vector<task_spec> tasks, std::size_t first_chunk = 0,
                        bool continuing = false) = 0;
    /// Drops the chunks of `owner` not handed to a worker yet: the job was
    /// abandoned (encoding its later chunks threw, and the caller got that
    /// exception instead of the job), so it never completes.
    virtual void abandon(const std::shared_ptr<job>& owner) noexcept = 0;
    /// Makes progress (sending tasks, reading results, replacing dead
    /// workers) until `done()` — called with the core's lock held — is true
    /// or the deadline passes; returns done(). Jobs that became ready have
    /// their finished() called by whichever thread saw them complete.
    virtual bool wait(const std::function<bool()>& done, deadline until) = 0;
    virtual void close() = 0;
    virtual void join() = 0;
    virtual void terminate() noexcept = 0;
};

}  // namespace mproc::detail::pool
