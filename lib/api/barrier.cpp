// The Barrier facade over its shared-memory block (lib/sync/barrier.hpp),
// and its action's crossing to re-executed children as a code reference.
#include <mproc/synchronize.hpp>

#include "sync/barrier.hpp"

#include <mproc/codec.hpp>
#include <mproc/detail/start/code_ref.hpp>

#include <cmath>
#include <stdexcept>

namespace mproc {

namespace {

sync::barrier_block& block_of(const detail::shared_handle& b) { return *static_cast<sync::barrier_block*>(b.checked()); }

detail::timeout_t checked_timeout(detail::timeout_t timeout) {
    if (timeout && std::isnan(timeout->count())) throw std::invalid_argument("mproc::Barrier: the timeout is NaN");
    return timeout;
}

}  // namespace

// `parties` is in [1, parties_max] (the public constructor checked it).
Barrier::Barrier(checked_t, unsigned parties, action_type action, detail::timeout_t timeout)
    : block_(detail::shared_kind::barrier, sync::barrier_block_bytes(parties), 64), action_(action),
      timeout_(checked_timeout(timeout)) {
    if (void* p = block_.get()) sync::barrier_init(*static_cast<sync::barrier_block*>(p), parties);
}

unsigned Barrier::wait(detail::timeout_t timeout) {
    auto& b = block_of(block_);
    const detail::timeout_t t = timeout ? timeout : timeout_;
    if (t && std::isnan(t->count())) throw std::invalid_argument("mproc::Barrier::wait: the timeout is NaN");
    return sync::barrier_wait(b, posix::deadline_after(t), action_);
}

void Barrier::abort() { sync::barrier_abort(block_of(block_)); }
void Barrier::reset() { sync::barrier_reset(block_of(block_)); }
unsigned Barrier::parties() const { return block_of(block_).parties; }
unsigned Barrier::n_waiting() const { return sync::barrier_n_waiting(block_of(block_)); }
bool Barrier::broken() const { return sync::barrier_broken(block_of(block_)); }

namespace detail {

std::string barrier_action_save(Barrier::action_type action) {
    if (!action) return {};
    return dumps(locate_function(action));
}

Barrier::action_type barrier_action_load(const std::string& bytes) {
    if (bytes.empty()) return nullptr;
    return resolve_function<Barrier::action_type>(loads<code_ref>(bytes));
}

}  // namespace detail

}  // namespace mproc
