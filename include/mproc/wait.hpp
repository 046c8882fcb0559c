/// mproc::wait: wait for any of several processes and connections at once
/// (Python: multiprocessing.connection.wait).
///
///     auto [reader, writer] = mproc::Pipe();
///     for (const mproc::Waitable& ready : mproc::wait({worker, reader}, 1s)) {
///         if (ready == worker) ...            // the worker ended
///         if (ready == reader) ...            // a message (or EOF) is waiting
///     }
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

namespace mproc {

// Declared only: waiting needs their addresses, not their definitions (nor
// the serialization that <mproc/connection.hpp> and <mproc/process.hpp> bring).
class Connection;
class Process;

/// Something wait() watches: a started Process (ready once it has ended), a
/// Connection (ready when a message or end-of-file is waiting to be read), or
/// a raw descriptor such as a sentinel (ready when readable). As in Python,
/// what is watched is readability: the write-only end of Pipe(false) is not
/// an error, and is ready only when its descriptor reports an event (once
/// the reading end is closed). Refers to the
/// object; it must outlive the wait.
class Waitable {
public:
    Waitable(const Process& process) noexcept : process_(&process) {}
    Waitable(Connection& connection) noexcept : connection_(&connection) {}
    explicit Waitable(int fd) noexcept : fd_(fd) {}

    const Process* process() const noexcept { return process_; }
    Connection* connection() const noexcept { return connection_; }
    /// The raw descriptor for a Waitable made from one, else -1.
    int fd() const noexcept { return fd_; }

    friend bool operator==(const Waitable&, const Waitable&) = default;

private:
    const Process* process_ = nullptr;
    Connection* connection_ = nullptr;
    int fd_ = -1;
};

/// The objects that are ready, in the order given, once at least one is
/// ready or `timeout` has passed (then the result may be empty); nullopt waits
/// forever. Throws std::invalid_argument for a NaN timeout, ProcessError for a Process not started, mproc::Error for a
/// closed Connection, std::system_error if poll fails.
std::vector<Waitable> wait(std::span<const Waitable> objects,
                           std::optional<std::chrono::duration<double>> timeout = std::nullopt);
std::vector<Waitable> wait(std::initializer_list<Waitable> objects,
                           std::optional<std::chrono::duration<double>> timeout = std::nullopt);

}  // namespace mproc
