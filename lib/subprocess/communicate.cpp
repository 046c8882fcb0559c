#include "subprocess/communicate.hpp"

#include "posix/memory.hpp"
#include "posix/nonblocking_io.hpp"
#include "posix/sigpipe.hpp"

#include <algorithm>
#include <optional>
#include <poll.h>

namespace mproc::subprocess::detail {

namespace {

// The default pipe buffer, and what a pipe carrying bulk data grows to
// (Linux's unprivileged maximum by default, /proc/sys/fs/pipe-max-size).
constexpr std::size_t default_pipe = 64 * 1024;
constexpr std::size_t bulk_pipe = 1024 * 1024;

// Gives `dst` room for `capacity` bytes. Large buffers are fresh memory that
// will be written in full: they get huge pages before the first byte lands
// (also the bytes moved over from the old buffer).
void grow(std::string& dst, std::size_t capacity) {
    constexpr std::size_t huge_from = 4u << 20;
    if (capacity < huge_from) {
        dst.reserve(capacity);
        return;
    }
    std::string bigger;
    bigger.reserve(capacity);
    posix::advise_huge_pages(bigger.data(), bigger.capacity());
    bigger.append(dst);
    dst.swap(bigger);
}

// Reads what is available from `fd` (at most `piece` bytes) straight into
// the end of `dst`, whose capacity grows geometrically from a page, so small
// outputs stay small and bulk output is not copied twice. Returns false at
// end of file.
bool read_into(int fd, std::string& dst, std::size_t piece) {
    const std::size_t wanted_spare = std::min(piece, std::max<std::size_t>(dst.size(), 4096));
    if (dst.capacity() - dst.size() < wanted_spare)
        grow(dst, std::max(dst.capacity() * 2, dst.size() + wanted_spare));
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
    return r.would_block || r.bytes > 0;
}

}  // namespace

bool exchange(Stream* in, Stream* out, Stream* err, communication& c, posix::deadline until) {
    if (in && !in->closed() && c.input.empty()) in->close();  // nothing (more) to send: EOF for the child
    std::optional<posix::sigpipe_guard> guard;
    if (in && !in->closed()) {
        guard.emplace();
        // Large input: a bigger pipe means fewer wake-ups of both sides.
        if (!c.grown[0] && c.input.size() > default_pipe) {
            if (std::size_t size = posix::grow_pipe(in->fileno(), std::min(c.input.size(), bulk_pipe)))
                c.pipe_size[0] = size;
            c.grown[0] = true;
        }
    }
    Stream* streams[3] = {in, out, err};
    std::string* sinks[3] = {nullptr, &c.out, &c.err};

    for (;;) {
        pollfd fds[3];
        int index[3];
        nfds_t n = 0;
        for (int i = 0; i < 3; ++i) {
            if (!streams[i] || streams[i]->closed()) continue;
            fds[n] = {streams[i]->fileno(), static_cast<short>(i == 0 ? POLLOUT : POLLIN), 0};
            index[n++] = i;
        }
        if (n == 0) return true;
        if (posix::poll_until(fds, n, until) == 0) return false;

        for (nfds_t k = 0; k < n; ++k) {
            if (fds[k].revents == 0) continue;
            const int i = index[k];
            Stream& s = *streams[i];
            if (i == 0) {
                posix::io_result r = posix::write_nonblock(s.fileno(), c.input.data(), c.input.size());
                if (r.broken_pipe) {
                    // The child stopped reading: like Python, not an error.
                    guard->raised();
                    c.input = {};
                } else {
                    c.input.remove_prefix(r.bytes);
                }
                if (c.input.empty()) s.close();
                continue;
            }
            // Read in pipe-sized pieces; a pipe found full is carrying bulk
            // data: enlarge it once.
            std::size_t& piece = c.pipe_size[i];
            const std::size_t before = sinks[i]->size();
            if (!read_into(s.fileno(), *sinks[i], piece)) {
                s.close();
            } else if (!c.grown[i] && sinks[i]->size() - before == piece) {
                if (std::size_t size = posix::grow_pipe(s.fileno(), bulk_pipe)) piece = size;
                c.grown[i] = true;
            }
        }
    }
}

}  // namespace mproc::subprocess::detail
