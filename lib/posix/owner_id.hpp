// Who holds a lock, in a form another process can check: the holder's thread
// id, and a stamp (thread id + the thread's start time) that tells a live
// thread from a later one that was given the same id (pid reuse).
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

/// This thread's stamp: (start time in clock ticks << 22) | tid. Computed
/// once per thread (a /proc read), renewed in a forked child.
inline std::uint64_t self_stamp() noexcept {
    const std::uint64_t s = cached_stamp;
    return s ? s : find_self_stamp();
}

/// The thread id a stamp names.
constexpr std::uint32_t stamp_tid(std::uint64_t stamp) noexcept {
    return static_cast<std::uint32_t>(stamp & ((1u << 22) - 1));
}

/// What a check of a holder found.
enum class holder_state {
    alive,   ///< a live thread has that id (and, if the stamp names it, the same start time)
    dead,    ///< no such thread, or a zombie: it can hold nothing any more
    reused,  ///< a live thread has the id but started after the stamp's: the
             ///< stamp's thread is dead, unless the holder has not written its
             ///< stamp yet (callers confirm over a second look)
};

/// Checks thread `tid` (from /proc/TID/stat). `stamp` is what the holder
/// wrote beside the lock word (0 or another tid's stamp: only liveness is
/// checked). Never throws.
holder_state check_holder(std::uint32_t tid, std::uint64_t stamp) noexcept;

}  // namespace mproc::posix
