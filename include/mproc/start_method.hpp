/// Start methods: how mproc creates a child process (Python: the names
/// multiprocessing.get_context() and set_start_method() take).
///
///  - fork: the child is a copy of the parent (any callable and arguments).
///  - spawn: the child re-executes this program and receives its task — the
///    target and its Boost-serialized arguments — over an inherited descriptor.
///  - forkserver: a small server process, started by spawn on first use, forks
///    each child on request.
///
/// `mproc::spawn` and its siblings are the enum values under short names, so
/// `mproc::get_context(mproc::spawn)` and `mproc::get_context<mproc::spawn>()`
/// read as in the design.
#pragma once

#include <iosfwd>
#include <string_view>

namespace mproc {

enum class start_method { fork, spawn, forkserver };

inline constexpr start_method fork = start_method::fork;
inline constexpr start_method spawn = start_method::spawn;
inline constexpr start_method forkserver = start_method::forkserver;

/// "fork", "spawn" or "forkserver".
constexpr std::string_view to_string(start_method method) noexcept {
    switch (method) {
        case start_method::fork: return "fork";
        case start_method::spawn: return "spawn";
        case start_method::forkserver: return "forkserver";
    }
    return "?";
}

/// Writes to_string(method).
std::ostream& operator<<(std::ostream& out, start_method method);

}  // namespace mproc
