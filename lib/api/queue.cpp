// The per-process side of a queue handle: which arena and block it names,
// whether this process closed it, and when its shared memory may be freed.
#include <mproc/queue.hpp>

#include "posix/atfork.hpp"
#include "transport/arena.hpp"
#include "transport/shared_queue.hpp"

#include <mproc/os.hpp>

#include <atomic>
#include <cmath>
#include <stdexcept>

namespace mproc::detail {

struct queue_state {
    queue_state(transport::arena& a, transport::offset_t block, bool created)
        : arena(&a), q(a, block), created_here(created), creator(os::getpid()), forks(posix::fork_count()) {}

    // The shared memory is freed with the last handle only when no other
    // process can hold one: made here, never serialized for a child, and no
    // fork since it was made. Otherwise it lives as long as the family.
    ~queue_state() {
        if (created_here && !crossed.load() && creator == os::getpid() && forks == posix::fork_count()) q.destroy();
    }

    transport::arena* arena;
    transport::shared_queue q;
    bool created_here;
    pid_t creator;
    std::uint64_t forks;
    std::atomic<bool> closed{false};
    std::atomic<bool> crossed{false};
};

namespace {

posix::deadline deadline_of(const queue_core::timeout& t) {
    if (t && std::isnan(t->count())) throw std::invalid_argument("mproc::Queue: the timeout is NaN");
    return posix::deadline_after(t);
}

void check_open(const queue_state& s, const char* op) {
    if (s.closed.load(std::memory_order_relaxed))
        throw Error(std::string("mproc::Queue::") + op + ": the queue is closed in this process");
}

}  // namespace

queue_core::queue_core(std::size_t maxsize) {
    if (decoding_task()) return;  // a task's argument: load() names the queue
    transport::arena& a = transport::arena::family();
    s_ = std::make_shared<queue_state>(a, transport::shared_queue::create(a, maxsize), true);
}

queue_core::~queue_core() = default;

const queue_state& queue_core::state() const {
    if (!s_) throw Error("mproc::Queue: used before it was received");
    return *s_;
}

void queue_core::put(std::string_view bytes, timeout t) {
    const queue_state& s = state();
    check_open(s, "put");
    const posix::deadline until = deadline_of(t);
    transport::shared_queue q = s.q;
    if (!q.put(bytes, until)) throw Full();
}

bool queue_core::get(const receiver& to, timeout t) {
    const queue_state& s = state();
    check_open(s, "get");
    const posix::deadline until = deadline_of(t);
    transport::shared_queue q = s.q;
    return q.get(transport::shared_queue::receiver{to.whole, to.room, to.ctx}, until);
}

std::size_t queue_core::qsize() const { return state().q.size(); }
bool queue_core::empty() const { return state().q.empty(); }
bool queue_core::full() const {
    const auto& q = state().q;
    return q.maxsize() != 0 && q.size() >= q.maxsize();
}
std::size_t queue_core::maxsize() const { return state().q.maxsize(); }

void queue_core::close() noexcept {
    if (s_) s_->closed.store(true);
}

void queue_core::task_done() {
    transport::shared_queue q = state().q;
    q.task_done();
}

void queue_core::join() {
    transport::shared_queue q = state().q;
    q.join(std::nullopt);
}

queue_core::wire queue_core::save() const {
    const queue_state& s = state();
    const transport::arena::crossing c = s.arena->cross();
    wire w;
    w.arena_id = c.id;
    w.reserve = c.reserve;
    w.fd_index = c.fd_index;
    w.block = s.q.block();
    s_->crossed.store(true);
    return w;
}

void queue_core::load(const wire& w) {
    transport::arena& a = transport::arena::received({w.arena_id, w.reserve, w.fd_index});
    s_ = std::make_shared<queue_state>(a, w.block, false);
}

}  // namespace mproc::detail
