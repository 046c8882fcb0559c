// The facades of Lock, RLock, Semaphore, Event and Condition over their
// shared-memory blocks (lib/sync/).
#include <mproc/synchronize.hpp>

#include "posix/poll.hpp"
#include "sync/condition.hpp"
#include "sync/event.hpp"
#include "sync/lock.hpp"
#include "sync/semaphore.hpp"

#include <climits>
#include <cmath>
#include <new>
#include <stdexcept>

namespace mproc {

namespace {

posix::deadline deadline_of(const detail::timeout_t& t, const char* who) {
    if (t && std::isnan(t->count())) throw std::invalid_argument(std::string(who) + ": the timeout is NaN");
    return posix::deadline_after(t);
}

template <class Block>
Block& block_of(const detail::shared_handle& b) {
    return *static_cast<Block*>(b.checked());
}

}  // namespace

// ---- Lock, RLock -----------------------------------------------------------

namespace detail {

static_assert(sizeof(sync::lock_block) <= 64);

lock_handle::lock_handle(bool recursive) : block_(shared_kind::lock, sizeof(sync::lock_block), 64) {
    if (void* p = block_.get()) static_cast<sync::lock_block*>(p)->recursive = recursive;
}

bool lock_handle::acquire_for(bool block, timeout_t timeout) {
    auto& b = block_of<sync::lock_block>(block_);
    const posix::deadline until = block ? deadline_of(timeout, "mproc::Lock::acquire") : posix::deadline{};
    return sync::lock_acquire(b, block, until) != sync::took::timeout;
}

void lock_handle::lock() { sync::lock_acquire(block_of<sync::lock_block>(block_)); }

void lock_handle::release() { sync::lock_release(block_of<sync::lock_block>(block_)); }

bool lock_handle::previous_owner_died() const { return block_of<sync::lock_block>(block_).m.owner_died(); }

bool lock_handle::is_mine() const { return sync::lock_is_mine(block_of<sync::lock_block>(block_)); }

}  // namespace detail

// ---- Semaphore, BoundedSemaphore -------------------------------------------

Semaphore::Semaphore(unsigned value, bool bounded)
    : block_(detail::shared_kind::semaphore, sizeof(sync::semaphore_block), 64) {
    if (void* p = block_.get()) {
        auto* b = static_cast<sync::semaphore_block*>(p);
        b->value.store(value);
        b->bounded = bounded;
        b->bound = value;
    }
}

bool Semaphore::acquire(bool block, detail::timeout_t timeout) {
    auto& b = block_of<sync::semaphore_block>(block_);
    const posix::deadline until = block ? deadline_of(timeout, "mproc::Semaphore::acquire") : posix::deadline{};
    return sync::semaphore_acquire(b, block, until);
}

void Semaphore::release() { sync::semaphore_release(block_of<sync::semaphore_block>(block_)); }

unsigned Semaphore::get_value() const { return block_of<sync::semaphore_block>(block_).value.load(); }

// ---- Event -------------------------------------------------------------------

Event::Event() : block_(detail::shared_kind::event, sizeof(sync::event_block), 64) {}

void Event::set() { sync::event_set(block_of<sync::event_block>(block_)); }
void Event::clear() { sync::event_clear(block_of<sync::event_block>(block_)); }
bool Event::is_set() const { return sync::event_is_set(block_of<sync::event_block>(block_)); }
bool Event::wait(detail::timeout_t timeout) {
    auto& b = block_of<sync::event_block>(block_);
    return sync::event_wait(b, deadline_of(timeout, "mproc::Event::wait"));
}

// ---- Condition -----------------------------------------------------------------

std::chrono::duration<double> Condition::check(std::chrono::duration<double> d) {
    if (std::isnan(d.count())) throw std::invalid_argument("mproc::Condition::wait_for: the timeout is NaN");
    return d;
}

bool Condition::wait(detail::timeout_t timeout) {
    auto& c = block_of<sync::condition_block>(block_);
    auto& l = block_of<sync::lock_block>(lock_.block());
    const posix::deadline until = deadline_of(timeout, "mproc::Condition::wait");
    bool died = false;
    return sync::condition_wait(c, l, until, died);
}

void Condition::notify(int n) {
    sync::condition_notify(block_of<sync::condition_block>(block_), block_of<sync::lock_block>(lock_.block()), n);
}

void Condition::notify_all() { notify(INT_MAX); }

}  // namespace mproc
