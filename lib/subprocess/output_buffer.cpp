#include "subprocess/output_buffer.hpp"

#include "posix/memory.hpp"
#include "posix/nonblocking_io.hpp"

#include <algorithm>

namespace mproc::subprocess::detail {

namespace {

// A string with room for `capacity` bytes, on huge pages when it is large:
// fresh memory about to be written in full.
std::string fresh(std::size_t capacity) {
    std::string s;
    s.reserve(capacity);
    if (capacity >= output_buffer::bulk_from) posix::advise_huge_pages(s.data(), s.capacity());
    return s;
}

}  // namespace

// The string the next read lands in, with at least some room left.
std::string& output_buffer::room_for(std::size_t piece) {
    if (chunks_.empty() && first_.size() < bulk_from) {
        const std::size_t wanted = std::min(piece, std::max<std::size_t>(first_.size(), 4096));
        if (first_.capacity() - first_.size() < wanted)
            first_.reserve(std::max(first_.capacity() * 2, first_.size() + wanted));
        return first_;
    }
    std::string& last = chunks_.empty() ? first_ : chunks_.back();
    if (last.capacity() > last.size()) return last;
    chunks_.push_back(fresh(std::max(size_, piece)));
    return chunks_.back();
}

bool output_buffer::read_from(int fd, std::size_t piece) {
    std::string& dst = room_for(piece);
    const std::size_t old = dst.size();
    const std::size_t room = std::min(piece, dst.capacity() - old);
    dst.resize(old + room);
    posix::io_result r;
    try {
        r = posix::read_nonblock(fd, dst.data() + old, room);
    } catch (...) {
        dst.resize(old);
        throw;
    }
    dst.resize(old + r.bytes);
    size_ += r.bytes;
    return r.would_block || r.bytes > 0;
}

std::string output_buffer::copy() const {
    std::string all = chunks_.empty() ? std::string() : fresh(size_);
    all += first_;
    for (const std::string& chunk : chunks_) all += chunk;
    return all;
}

std::string output_buffer::take() {
    std::string all = chunks_.empty() ? std::move(first_) : copy();
    first_.clear();
    chunks_.clear();
    size_ = 0;
    return all;
}

void output_buffer::assign(std::string bytes) {
    first_ = std::move(bytes);
    chunks_.clear();
    size_ = first_.size();
}

}  // namespace mproc::subprocess::detail
