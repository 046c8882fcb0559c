// The parts of submitting to a Pool and reading an imap that need not be
// templates (include/mproc/detail/pool/submit.hpp).
#include <mproc/detail/pool/submit.hpp>

#include <mproc/errors.hpp>

namespace mproc::detail::pool {

namespace {

// A map's chunks go to the workers in batches of about this many bytes.
constexpr std::size_t submit_batch_bytes = 256 * 1024;

}  // namespace

std::size_t default_chunksize(std::size_t n, int processes) noexcept {
    // Python: chunksize, extra = divmod(len, len(pool) * 4); if extra: chunksize += 1
    const std::size_t per = 4 * static_cast<std::size_t>(processes);
    return n == 0 ? 1 : (n + per - 1) / per;
}

void submit_encoded(core& pool, const std::shared_ptr<job>& owner, std::size_t chunks,
                    const std::function<task_spec(std::size_t)>& encode) {
    std::vector<task_spec> batch;
    std::size_t batch_bytes = 0, submitted = 0;
    auto submit_batch = [&] {
        const std::size_t count = batch.size();
        pool.submit(owner, std::move(batch), submitted);
        batch.clear();
        submitted += count;
        batch_bytes = 0;
    };
    try {
        for (std::size_t c = 0; c < chunks; ++c) {
            batch.push_back(encode(c));
            batch_bytes += batch.back().payload.size();
            if (batch_bytes >= submit_batch_bytes) submit_batch();
        }
        if (!batch.empty() || chunks == 0) submit_batch();
    } catch (...) {
        // The caller gets the exception, not the job: what was not handed
        // to a worker yet is dropped.
        if (submitted > 0) pool.abandon(owner);
        throw;
    }
}

imap_reader::imap_reader(std::shared_ptr<core> pool, std::shared_ptr<imap_chunks> job, bool ordered)
    : pool_(std::move(pool)), whole_(std::move(job)), ordered_(ordered) {}

imap_reader::imap_reader(std::shared_ptr<core> pool, chunk_source source, job_maker make, std::size_t window,
                         bool ordered)
    : pool_(std::move(pool)), source_(std::move(source)), make_(std::move(make)), window_(window), ordered_(ordered) {
    refill();
}

namespace {
bool pending(const job& j, std::size_t chunk) { return j.state[chunk] == job::chunk_state::pending; }
}  // namespace

bool imap_reader::open_next(std::optional<std::chrono::duration<double>> timeout) {
    if (source_) refill();
    if (source_ ? inflight_.empty() : chunks_read_ == whole_->state.size()) return false;
    const deadline until = timeout ? deadline_after(*timeout) : std::nullopt;
    std::size_t found = 0;
    const bool ok = pool_->wait(
        [&] {
            if (source_) {
                for (std::size_t i = 0; i < (ordered_ ? 1 : inflight_.size()); ++i)
                    if (!pending(*inflight_[i], 0)) return found = i, true;
                return false;
            }
            if (ordered_) return found = chunks_read_, !pending(*whole_, found);
            if (chunks_read_ >= whole_->completed.size()) return false;
            found = whole_->completed[chunks_read_];
            return true;
        },
        until);
    if (!ok) throw TimeoutError("IMapIterator::next: no result within the timeout");
    std::size_t chunk = 0;
    if (source_) {
        reading_ = inflight_[found];
        inflight_.erase(inflight_.begin() + static_cast<std::ptrdiff_t>(found));
    } else {
        reading_ = whole_;
        chunk = found;
        ++chunks_read_;
    }
    if (reading_->state[chunk] == job::chunk_state::failed) std::rethrow_exception(reading_->errors[chunk]);
    first_ = chunk * reading_->chunksize();
    count_ = std::min(reading_->chunksize(), reading_->items() - first_);
    return true;
}

// Keeps `window_` chunks in flight while the range has items.
void imap_reader::refill() {
    while (!source_done_ && inflight_.size() < window_) {
        std::optional<std::pair<task_spec, std::size_t>> chunk;
        try {
            chunk = source_();
        } catch (...) {
            source_done_ = true;  // the chunks in flight are still read
            throw;
        }
        if (!chunk) {
            source_done_ = true;
            break;
        }
        auto job = make_(chunk->second);
        std::vector<task_spec> tasks;
        tasks.push_back(std::move(chunk->first));
        // After the first chunks, the rest of an imap started before close() is still taken.
        pool_->submit(job, std::move(tasks), 0, submitted_any_);
        submitted_any_ = true;
        inflight_.push_back(std::move(job));
    }
}

}  // namespace mproc::detail::pool
