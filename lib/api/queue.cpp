// The byte-level queue under Queue, SimpleQueue and JoinableQueue: a
// shared_handle naming a transport::shared_queue, and whether this process
// closed it.
#include "transport/shared_handle.hpp"
#include "transport/shared_queue.hpp"

#include <mproc/queue.hpp>

#include <cmath>
#include <stdexcept>

namespace mproc::detail {

namespace {

posix::deadline deadline_of(const queue_core::timeout& t) {
    if (t && std::isnan(t->count())) throw std::invalid_argument("mproc::Queue: the timeout is NaN");
    return posix::deadline_after(t);
}

transport::shared_queue view(const shared_handle& h) {
    return transport::shared_queue(transport::arena_of(h), transport::payload_offset(h));
}

}  // namespace

queue_core::queue_core(std::size_t maxsize)
    : h_(shared_kind::queue), closed_(std::make_shared<std::atomic<bool>>(false)) {
    if (decoding_task()) return;  // a task's argument: load() names the queue
    h_ = shared_handle(shared_kind::queue, transport::shared_queue::block_bytes(),
                       transport::shared_queue::block_align());
    // When its last handle anywhere is gone, the block's segments (and
    // unread messages) go with it (transport/shared_handle_holders.hpp).
    transport::shared_queue::create(transport::arena_of(h_), transport::payload_offset(h_), maxsize);
}

queue_core::~queue_core() = default;

void queue_core::check_open(const char* op) const {
    if (closed_->load(std::memory_order_relaxed))
        throw Error(std::string("mproc::Queue::") + op + ": the queue is closed in this process");
}

void queue_core::put(std::string_view bytes, timeout t) {
    check_open("put");
    const posix::deadline until = deadline_of(t);
    if (!view(h_).put(bytes, until)) throw Full();
}

bool queue_core::get(const receiver& to, timeout t) {
    check_open("get");
    const posix::deadline until = deadline_of(t);
    return view(h_).get(transport::shared_queue::receiver{to.whole, to.room, to.ctx}, until);
}

std::size_t queue_core::qsize() const { return view(h_).size(); }
bool queue_core::empty() const { return view(h_).empty(); }
bool queue_core::full() const {
    const auto q = view(h_);
    return q.maxsize() != 0 && q.size() >= q.maxsize();
}
std::size_t queue_core::maxsize() const { return view(h_).maxsize(); }

void queue_core::close() noexcept { closed_->store(true); }

void queue_core::task_done() { view(h_).task_done(); }

void queue_core::join() { view(h_).join(std::nullopt); }

}  // namespace mproc::detail
