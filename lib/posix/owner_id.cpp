#include "posix/owner_id.hpp"

#include "posix/fork.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mproc::posix {

namespace {

constexpr std::uint64_t pid_bits = 22, birth_bits = 32;
constexpr std::uint64_t pid_mask = (std::uint64_t{1} << pid_bits) - 1;
constexpr std::uint64_t birth_mask = (std::uint64_t{1} << birth_bits) - 1;
constexpr std::uint64_t ns_mask = (std::uint64_t{1} << (64 - pid_bits - birth_bits)) - 1;
constexpr long pidfs_magic = 0x50494446;  // "PIDF": pidfds are pidfs inodes (Linux 6.9+)

// This process's stamp, shared by its threads (0: not computed yet).
std::atomic<std::uint64_t> process_stamp{0};

// A forked child is a new process whose thread has a new id: forget the parent's.
const bool registered = [] {
    at_fork({nullptr, nullptr, [] {
                 cached_tid = 0;
                 cached_stamp = 0;
                 process_stamp.store(0, std::memory_order_relaxed);
             }});
    return true;
}();

// Reads up to `size - 1` bytes of a /proc file; false when it is not there.
bool read_proc(const char* path, char* buf, std::size_t size) noexcept {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n;
    do n = ::read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    ::close(fd);
    if (n <= 0) return false;  // ESRCH: it went away between open and read
    buf[n] = '\0';
    return true;
}

struct stat_fields {
    char state = 0;
    std::uint64_t start = 0;  // clock ticks after boot
};

// The state and start time (field 22) of /proc/PID/stat.
bool read_stat(std::uint32_t pid, stat_fields& out) noexcept {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%u/stat", pid);
    char buf[1024];
    if (!read_proc(path, buf, sizeof buf)) return false;
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

// A number field ("Tgid:", "Threads:") of /proc/TID/status; 0 when absent.
std::uint32_t status_field(const char* status, const char* name) noexcept {
    const char* p = std::strstr(status, name);
    return p ? static_cast<std::uint32_t>(std::strtoul(p + std::strlen(name), nullptr, 10)) : 0;
}

bool read_status(std::uint32_t tid, char* buf, std::size_t size) noexcept {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%u/status", tid);
    return read_proc(path, buf, size);
}

int open_pidfd(std::uint32_t pid) noexcept {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
#else
    errno = ENOSYS;
    return -1;
#endif
}

// Whether pidfds are pidfs inodes, unique per process for the whole boot.
bool have_pidfs() noexcept {
    static const bool yes = [] {
        const int fd = open_pidfd(static_cast<std::uint32_t>(::getpid()));
        if (fd < 0) return false;
        struct statfs fs {};
        const bool is = ::fstatfs(fd, &fs) == 0 && static_cast<long>(fs.f_type) == pidfs_magic;
        ::close(fd);
        return is;
    }();
    return yes;
}

// The birth of process `pid` (see the header), or nullopt-like false when it
// cannot be opened (gone).
bool birth_of(std::uint32_t pid, std::uint64_t start_ticks, std::uint64_t& out) noexcept {
    if (!have_pidfs()) {
        out = start_ticks & birth_mask;
        return true;
    }
    const int fd = open_pidfd(pid);
    if (fd < 0) return false;
    struct stat st {};
    const bool ok = ::fstat(fd, &st) == 0;
    ::close(fd);
    out = static_cast<std::uint64_t>(st.st_ino) & birth_mask;
    return ok;
}

// A tag of this process's pid namespace (its /proc/self/ns/pid inode).
std::uint64_t pid_namespace_tag() noexcept {
    struct stat st {};
    if (::stat("/proc/self/ns/pid", &st) != 0) return 0;
    return static_cast<std::uint64_t>(st.st_ino) & ns_mask;
}

constexpr std::uint64_t stamp_birth(std::uint64_t stamp) noexcept { return (stamp >> pid_bits) & birth_mask; }
constexpr std::uint64_t stamp_ns(std::uint64_t stamp) noexcept { return stamp >> (pid_bits + birth_bits); }

// Whether live thread `tid` (the lock word's) belongs to another process than
// `pid` (the stamp's): the stamp is an earlier holder's.
bool word_names_another_process(std::uint32_t tid, std::uint32_t pid) noexcept {
    if (tid == pid) return false;
    char buf[2048];
    if (!read_status(tid, buf, sizeof buf)) return false;
    const std::uint32_t tgid = status_field(buf, "\nTgid:");
    return tgid != 0 && tgid != pid;
}

// A thread's liveness alone (a stamp not written yet).
holder_state thread_state(std::uint32_t tid) noexcept {
    stat_fields f;
    if (!read_stat(tid, f))
        return ::kill(static_cast<pid_t>(tid), 0) != 0 && errno == ESRCH ? holder_state::dead : holder_state::alive;
    return f.state == 'Z' || f.state == 'X' || f.state == 'x' ? holder_state::dead : holder_state::alive;
}

// When the word's thread belongs to another process than the stamp's, the
// stamp is an earlier holder's and the word's holder has not stored its own
// yet: that holder is judged by its thread, never by the earlier stamp (a
// live new holder would otherwise be taken for the dead earlier one).
// Otherwise the stamp's verdict `by_stamp` stands.
holder_state judge_unstamped_or(std::uint32_t tid, std::uint32_t pid, holder_state by_stamp) noexcept {
    return word_names_another_process(tid, pid) ? thread_state(tid) : by_stamp;
}

// A zombie leader whose process still has other threads is alive (its main
// thread ended with pthread_exit).
bool other_threads_live(std::uint32_t pid) noexcept {
    char buf[2048];
    return read_status(pid, buf, sizeof buf) && status_field(buf, "\nThreads:") > 1;
}

}  // namespace

std::uint32_t find_self_tid() noexcept {
    static_cast<void>(registered);
    cached_tid = static_cast<std::uint32_t>(::gettid());
    return cached_tid;
}

std::uint64_t find_self_stamp() noexcept {
    std::uint64_t s = process_stamp.load(std::memory_order_relaxed);
    if (!s) {
        const auto pid = static_cast<std::uint32_t>(::getpid());
        stat_fields f;
        std::uint64_t birth = 0;
        if (read_stat(pid, f)) birth_of(pid, f.start, birth);
        s = (pid_namespace_tag() << (pid_bits + birth_bits)) | (birth << pid_bits) | pid;
        process_stamp.store(s, std::memory_order_relaxed);
    }
    cached_stamp = s;
    return s;
}

holder_state check_holder(std::uint32_t tid, std::uint64_t stamp) noexcept {
    if (stamp == 0) return thread_state(tid);
    // The holder's pids mean nothing here: never call it dead.
    if (stamp_ns(stamp) != stamp_ns(self_stamp())) return holder_state::alive;
    const std::uint32_t pid = stamp_tid(stamp);
    stat_fields f;
    if (!read_stat(pid, f)) {
        // No /proc entry: no such process -- unless /proc is not there at
        // all, so ask the kernel too (it cannot tell a reused pid, but never
        // calls a live holder dead).
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) return holder_state::alive;
        return judge_unstamped_or(tid, pid, holder_state::dead);
    }
    std::uint64_t birth = 0;
    if (!birth_of(pid, f.start, birth))
        return judge_unstamped_or(tid, pid, holder_state::dead);
    // A later process has the stamp's pid: if the word names it, it is the
    // holder not stamped yet or the dead holder's reused id (a second look
    // tells).
    if (birth != stamp_birth(stamp)) return judge_unstamped_or(tid, pid, holder_state::reused);
    if ((f.state == 'Z' || f.state == 'X' || f.state == 'x') && !other_threads_live(pid))
        return judge_unstamped_or(tid, pid, holder_state::dead);
    return holder_state::alive;
}

}  // namespace mproc::posix
