// A started child, whatever the start method made it (CPython's Popen
// classes): its pid, a sentinel descriptor readable once it has ended, a
// non-blocking poll for its exit code, and signals. Not thread-safe:
// child_record serialises the calls.
#pragma once

#include <optional>
#include <sys/types.h>

namespace mproc::lifecycle {

class child {
public:
    virtual ~child() = default;
    virtual pid_t pid() const noexcept = 0;
    /// Readable once the child has ended; valid until destruction.
    virtual int sentinel() const noexcept = 0;
    /// The exit code (Python's convention) if the child has ended, reaping
    /// it; nullopt while it runs.
    virtual std::optional<int> poll() = 0;
    /// Sends `sig` unless the child has been reaped. Throws std::system_error.
    virtual void send_signal(int sig) = 0;
};

}  // namespace mproc::lifecycle
