#include "subprocess/communicate.hpp"

#include "posix/nonblocking_io.hpp"
#include "posix/sigpipe.hpp"

#include <algorithm>
#include <optional>

namespace mproc::subprocess::detail {

namespace {

// The default pipe buffer, and what a pipe carrying bulk data grows to
// (Linux's unprivileged maximum by default, /proc/sys/fs/pipe-max-size).
constexpr std::size_t default_pipe = 64 * 1024;
constexpr std::size_t bulk_pipe = 1024 * 1024;

// The pipe ends are blocking (another child may share one: a pipeline);
// exchange's loop needs them non-blocking, so they are while it runs.
class nonblocking_while_alive {
public:
    explicit nonblocking_while_alive(Stream* const (&streams)[3]) : streams_(streams) {
        for (Stream* s : streams_)
            if (s && !s->closed()) posix::set_nonblocking(s->fileno(), true);
    }
    ~nonblocking_while_alive() {
        for (Stream* s : streams_) {
            try {
                if (s && !s->closed()) posix::set_nonblocking(s->fileno(), false);
            } catch (...) {
                // fcntl on a descriptor we own does not fail; nothing to do if it did.
            }
        }
    }
    nonblocking_while_alive(const nonblocking_while_alive&) = delete;
    nonblocking_while_alive& operator=(const nonblocking_while_alive&) = delete;

private:
    Stream* const (&streams_)[3];
};

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
    Stream* const streams[3] = {in, out, err};
    const nonblocking_while_alive nonblocking(streams);
    output_buffer* sinks[3] = {nullptr, &c.out, &c.err};

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
            if (!sinks[i]->read_from(s.fileno(), piece)) {
                s.close();
            } else if (!c.grown[i] && sinks[i]->size() - before == piece) {
                if (std::size_t size = posix::grow_pipe(s.fileno(), bulk_pipe)) piece = size;
                c.grown[i] = true;
            }
        }
        // Checked after each round, not only when poll finds nothing ready: a
        // child that writes faster than we read never lets poll time out.
        // (One round still runs after a deadline that has already passed, so
        // a zero timeout collects what is waiting in the pipes.)
        if (until && posix::clock::now() >= *until) return false;
    }
}

}  // namespace mproc::subprocess::detail
