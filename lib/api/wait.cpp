#include "posix/poll.hpp"

#include <mproc/connection.hpp>
#include <mproc/errors.hpp>
#include <mproc/process.hpp>
#include <mproc/wait.hpp>

namespace mproc {

std::vector<Waitable> wait(std::span<const Waitable> objects, std::optional<std::chrono::duration<double>> timeout) {
    const posix::deadline until = posix::deadline_after(timeout);  // std::invalid_argument for NaN
    std::vector<pollfd> fds;
    fds.reserve(objects.size());
    std::vector<bool> ready_now(objects.size(), false);
    bool any_ready_now = false;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const Waitable& w = objects[i];
        int fd = w.fd();
        if (w.process()) {
            fd = w.process()->sentinel();  // ProcessError if not started
        } else if (w.connection()) {
            fd = w.connection()->fileno();  // mproc::Error if closed
            // A message already buffered inside the Connection is ready. A
            // write-only end is waited on as Python does: its descriptor, for
            // readability.
            if (w.connection()->readable() && w.connection()->poll()) ready_now[i] = any_ready_now = true;
        }
        fds.push_back({fd, POLLIN, 0});
    }
    posix::poll_until(fds.data(), fds.size(),
                      any_ready_now ? posix::deadline(posix::clock::now()) : until);
    std::vector<Waitable> ready;
    for (std::size_t i = 0; i < objects.size(); ++i)
        if (ready_now[i] || fds[i].revents != 0) ready.push_back(objects[i]);
    return ready;
}

std::vector<Waitable> wait(std::initializer_list<Waitable> objects,
                           std::optional<std::chrono::duration<double>> timeout) {
    return wait(std::span<const Waitable>(objects.begin(), objects.size()), timeout);
}

}  // namespace mproc
