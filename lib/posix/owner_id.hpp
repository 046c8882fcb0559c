// Who holds a lock, in a form another process can check: the holder's thread
// id (in the lock word), and beside it a stamp naming the holder's process,
// which is what a takeover follows: a lock is held by a process (Python: a
// Lock is not owned by a thread), so a holder is dead when its process has
// ended, not when the thread that took the lock has.
//
// The stamp: the process id (bits 0-21), the process's birth (bits 22-53)
// and a tag of its pid namespace (bits 54-63). The birth tells a live
// process from a later one given the same pid: the inode of the process's
// pidfd, which pidfs (Linux 6.9+) never gives to two processes of one boot,
// else its start time in clock ticks (a pid reused within one tick then
// passes for the old process: its lock is recovered when the newcomer ends).
// A checker in another pid namespace cannot see the holder: it never takes
// the lock over (as Python, which never does).
#pragma once

#include <cstdint>

namespace mproc::posix {

// Per-thread caches (constant-initialised, so reading them is one load: the
// lock's fast path uses both). Zero = not known yet; a forked child resets them.
inline thread_local std::uint32_t cached_tid = 0;
inline thread_local std::uint64_t cached_stamp = 0;
std::uint32_t find_self_tid() noexcept;
std::uint64_t find_self_stamp() noexcept;

/// This thread's id (gettid), cached per thread and renewed in a forked
/// child. Always below 2^22 (Linux's pid_max limit).
inline std::uint32_t self_tid() noexcept {
    const std::uint32_t t = cached_tid;
    return t ? t : find_self_tid();
}

/// This process's stamp (see above). Computed once per process (a /proc
/// read and a pidfd), renewed in a forked child.
inline std::uint64_t self_stamp() noexcept {
    const std::uint64_t s = cached_stamp;
    return s ? s : find_self_stamp();
}

/// The process id a stamp names (its leader's thread id).
constexpr std::uint32_t stamp_tid(std::uint64_t stamp) noexcept {
    return static_cast<std::uint32_t>(stamp & ((1u << 22) - 1));
}

/// What a check of a holder found.
enum class holder_state {
    alive,   ///< its process lives (or cannot be seen from here: another pid namespace)
    dead,    ///< its process has ended (or is a zombie): it can hold nothing any more
    reused,  ///< the stamp's pid, named by the lock word too, is a later
             ///< process's: the holder is dead, unless that process took the
             ///< lock and has not written its stamp yet (callers confirm over a
             ///< second look)
};

/// Checks the holder whose thread `tid` is in the lock word and whose
/// `stamp` is beside it (0: not written; only the thread's liveness is then
/// checked). When the word names a thread of another process than the
/// stamp, the stamp is an earlier holder's (the holder took the word and has
/// not written its stamp yet): the holder is then judged by that thread, so a
/// live new holder is never taken for a dead earlier one. Never throws.
holder_state check_holder(std::uint32_t tid, std::uint64_t stamp) noexcept;

}  // namespace mproc::posix
