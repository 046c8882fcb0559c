#include "posix/owner_id.hpp"

#include "posix/fork.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace mproc::posix {

namespace {

// A forked child is a new thread with a new id: forget the parent's.
const bool registered = [] {
    at_fork({nullptr, nullptr, [] {
                 cached_tid = 0;
                 cached_stamp = 0;
             }});
    return true;
}();

struct stat_fields {
    char state = 0;
    std::uint64_t start = 0;
};

// Reads the state and start time (field 22) of /proc/TID/stat; false when
// the thread does not exist.
bool read_stat(std::uint32_t tid, stat_fields& out) noexcept {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%u/stat", tid);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[1024];
    ssize_t n;
    do n = ::read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    ::close(fd);
    if (n <= 0) return false;  // ESRCH: it went away between open and read
    buf[n] = '\0';
    // The name (field 2) may hold anything but ends at the last ')'.
    const char* p = std::strrchr(buf, ')');
    if (!p || p[1] != ' ') return false;
    p += 2;
    out.state = *p;
    // Fields 3..22: skip 19 separators after the state.
    for (int field = 3; field < 22 && *p; ++p)
        if (*p == ' ') ++field;
    out.start = std::strtoull(p, nullptr, 10);
    return true;
}

}  // namespace

std::uint32_t find_self_tid() noexcept {
    static_cast<void>(registered);
    cached_tid = static_cast<std::uint32_t>(::gettid());
    return cached_tid;
}

std::uint64_t find_self_stamp() noexcept {
    {
        const std::uint32_t tid = self_tid();
        stat_fields f;
        const std::uint64_t start = read_stat(tid, f) ? f.start : 0;
        cached_stamp = (start << 22) | tid;
    }
    return cached_stamp;
}

holder_state check_holder(std::uint32_t tid, std::uint64_t stamp) noexcept {
    stat_fields f;
    if (!read_stat(tid, f)) {
        // No /proc entry: no such thread -- unless /proc is not there at
        // all, so ask the kernel too (kill accepts any thread id; it cannot
        // tell a reused id, but never calls a live holder dead).
        return ::kill(static_cast<pid_t>(tid), 0) != 0 && errno == ESRCH ? holder_state::dead : holder_state::alive;
    }
    if (f.state == 'Z' || f.state == 'X' || f.state == 'x') return holder_state::dead;
    if (stamp_tid(stamp) == tid && (stamp >> 22) != f.start) return holder_state::reused;
    return holder_state::alive;
}

}  // namespace mproc::posix
