#include "posix/spawn.hpp"

#include "posix/close_range.hpp"
#include "posix/config.hpp"
#include "posix/fault_injection.hpp"
#include "posix/fd.hpp"
#include "posix/open.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace mproc::posix {

namespace {

const char* stage_name(spawn_stage stage) {
    switch (stage) {
        case spawn_stage::stdio: return "child: redirecting stdin/stdout/stderr";
        case spawn_stage::keep_fds: return "child: keeping pass_fds open";
        case spawn_stage::cwd: return "child: changing the working directory";
        case spawn_stage::hook: return "child: setting up";
        case spawn_stage::signals: return "child: restoring signal defaults";
        case spawn_stage::session: return "child: starting a new session or process group";
        case spawn_stage::close_fds: return "child: closing inherited descriptors";
        case spawn_stage::exec: return "child: exec";
    }
    return "child";
}

// The kernel's struct sigaction for rt_sigaction. All zero is SIG_DFL with no
// flags and an empty mask on every architecture (with or without sa_restorer).
struct kernel_sigaction {
    unsigned long handler;
    unsigned long flags;
    unsigned long restorer;
    std::uint64_t mask;
};
constexpr long kernel_sigset_size = 8;  // the kernel's sigset_t: 64 signals
constexpr int last_signal = 64;

// The child's own stack. The parent thread is suspended while the child runs
// on it (CLONE_VFORK), so one per thread suffices; it is mapped once.
class child_stack {
public:
    child_stack() {
        void* p = ::mmap(nullptr, guard + size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) throw_errno("mmap (child stack)");
        base_ = static_cast<char*>(p);
        ::mprotect(base_, guard, PROT_NONE);  // a stack overflow faults instead of scribbling
    }
    ~child_stack() { ::munmap(base_, guard + size); }
    child_stack(const child_stack&) = delete;
    child_stack& operator=(const child_stack&) = delete;

    void* top() noexcept {
#if defined(__SANITIZE_ADDRESS__)
        // Instrumented code the child calls (the hook) may have left poisoned
        // frames behind on its last use.
        __asan_unpoison_memory_region(base_ + guard, size);
#endif
        return base_ + guard + size;  // stacks grow down; mmap is page-aligned
    }

private:
    static constexpr std::size_t guard = 4096;
    static constexpr std::size_t size = 256 * 1024;
    char* base_ = nullptr;
};

child_stack& this_thread_stack() {
    thread_local child_stack stack;
    return stack;
}

// Everything the child needs, prepared by the parent.
struct child_args {
    const spawn_plan* plan;
    int error_fd;             // CLOEXEC write end: closed by a successful exec
    const int* keep;          // sorted: plan's keep_fds plus error_fd
    std::size_t keep_count;
};

// All signals blocked; set with the raw system call so glibc's internal
// signals (thread cancellation, setxid) are blocked as well.
std::uint64_t set_signal_mask(std::uint64_t mask) {
    std::uint64_t old = 0;
    ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, &old, kernel_sigset_size);
    return old;
}

// ---- child side: raw system calls only ----------------------------------

MPROC_CHILD_CODE void child_fail(int error_fd, spawn_stage stage, int err) {
    int report[2] = {static_cast<int>(stage), err};
    // 8 bytes into an empty pipe: never partial, never blocks.
    ::syscall(SYS_write, error_fd, report, sizeof report);
    for (;;) ::syscall(SYS_exit_group, 127);  // never exit(): no atexit handlers, no stdio flush
}

MPROC_CHILD_CODE int child_main(void* raw) {
    const child_args& a = *static_cast<const child_args*>(raw);
    const spawn_plan& plan = *a.plan;

    for (int target = 0; target < 3; ++target) {
        int source = plan.stdio[target];
        if (source == spawn_plan::inherit) continue;
        if (source == spawn_plan::same_as_stdout) source = 1;
        // dup3 clears close-on-exec on the copy; a descriptor already in place
        // only needs its flag cleared.
        long r = source == target ? ::syscall(SYS_fcntl, target, F_SETFD, 0)
                                  : ::syscall(SYS_dup3, source, target, 0);
        if (r < 0) child_fail(a.error_fd, spawn_stage::stdio, errno);
    }

    for (std::size_t i = 0; i < plan.keep_count; ++i)
        if (::syscall(SYS_fcntl, plan.keep_fds[i], F_SETFD, 0) < 0)
            child_fail(a.error_fd, spawn_stage::keep_fds, errno);

    if (plan.cwd && ::syscall(SYS_chdir, plan.cwd) < 0) child_fail(a.error_fd, spawn_stage::cwd, errno);

    if (plan.child_hook) {
        int err = plan.child_hook(plan.hook_context);
        if (err) child_fail(a.error_fd, spawn_stage::hook, err);
    }

    // Dispositions first, then the empty mask: no handler of the parent's
    // may ever run in this child, which shares its memory. As CPython's
    // child: a caught signal is reset to default, an ignored one stays
    // ignored (so nohup works), except SIGPIPE and SIGXFSZ with
    // restore_signals.
    kernel_sigaction dfl{};
    for (int sig = 1; sig <= last_signal; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        kernel_sigaction current{};
        if (::syscall(SYS_rt_sigaction, sig, nullptr, &current, kernel_sigset_size) != 0) continue;
        const bool restore = plan.restore_signals && (sig == SIGPIPE || sig == SIGXFSZ);
        if (current.handler == reinterpret_cast<unsigned long>(SIG_IGN) && !restore) continue;
        if (current.handler == reinterpret_cast<unsigned long>(SIG_DFL)) continue;
        ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, kernel_sigset_size);
    }
    std::uint64_t empty = 0;
    if (::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, nullptr, kernel_sigset_size) < 0)
        child_fail(a.error_fd, spawn_stage::signals, errno);

    if (plan.new_session && ::syscall(SYS_setsid) < 0) child_fail(a.error_fd, spawn_stage::session, errno);
    if (plan.process_group >= 0 && ::syscall(SYS_setpgid, 0, plan.process_group) < 0)
        child_fail(a.error_fd, spawn_stage::session, errno);

    if (plan.close_fds) {
        int lo = 3;
        for (std::size_t i = 0; i < a.keep_count; ++i) {
            if (int err = close_descriptors(lo, a.keep[i] - 1L)) child_fail(a.error_fd, spawn_stage::close_fds, err);
            lo = a.keep[i] + 1;
        }
        if (int err = close_descriptors(lo, -1))
            child_fail(a.error_fd, spawn_stage::close_fds, err);
    }

    int first_error = 0, last_error = ENOENT;
    for (const char* const* program = plan.programs; program && *program; ++program) {
        ::syscall(SYS_execve, *program, plan.argv, plan.envp);
        last_error = errno;
        if (first_error == 0 && last_error != ENOENT && last_error != ENOTDIR) first_error = last_error;
    }
    child_fail(a.error_fd, spawn_stage::exec, first_error ? first_error : last_error);
    return 127;
}

// ---- parent side ---------------------------------------------------------

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer's clone() interceptor treats every clone as a fork and runs
// its fork bookkeeping in the child: with CLONE_VM that bookkeeping would
// overwrite the parent's. Under TSan the child gets a copy of our memory
// (fork semantics; slower, same behaviour).
constexpr int clone_flags = SIGCHLD;
#else
constexpr int clone_flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
#endif

void reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
}

}  // namespace

spawn_error::spawn_error(spawn_stage stage, int err)
    : std::system_error(err, std::system_category(), stage_name(stage)), stage_(stage) {}

pid_t spawn(const spawn_plan& plan) {
    auto [error_read, error_write] = make_pipe();
    // make_pipe keeps it above 2: the child's stdio set-up cannot overwrite it.

    std::vector<int> keep(plan.keep_fds, plan.keep_fds + plan.keep_count);
    keep.push_back(error_write.get());
    std::sort(keep.begin(), keep.end());
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());

    spawn_plan with_environment = plan;
    if (!with_environment.envp) with_environment.envp = environ;
    child_args args{&with_environment, error_write.get(), keep.data(), keep.size()};
    void* stack = this_thread_stack().top();

    // No signal handler may run in the child while it shares our memory; it
    // installs defaults before unblocking. Our own mask is restored after.
    std::uint64_t old_mask = set_signal_mask(~std::uint64_t{0});
    const int injected = injected_fault(fault_point::clone);
    pid_t pid = injected ? -1 : ::clone(child_main, stack, clone_flags, &args);
    int clone_errno = injected ? injected : errno;
    set_signal_mask(old_mask);
    if (pid < 0) throw_errno("clone", clone_errno);

    // The child has exec'd (closing its copy of the write end) or exited.
    error_write.reset();
    int report[2] = {0, 0};
    std::size_t n = read_full(error_read.get(), report, sizeof report);
    if (n == 0) return pid;
    reap(pid);
    if (n != sizeof report) throw std::system_error(EIO, std::system_category(), "child: truncated start report");
    throw spawn_error(static_cast<spawn_stage>(report[0]), report[1]);
}

}  // namespace mproc::posix
