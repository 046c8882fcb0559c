#include "posix/spawn.hpp"
#include "posix/fd.hpp"

#include <algorithm>
#include <climits>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mproc::posix {

namespace {

// Renumbering without clobbering: copy every descriptor above all sources and
// targets first, then down to its target, then close everything above.
int staging_base(std::span<const int> fds) noexcept {
    int high = first_passed_fd + static_cast<int>(fds.size());
    for (int fd : fds) high = std::max(high, fd + 1);
    return high;
}

class file_actions {
public:
    file_actions() {
        if (int err = ::posix_spawn_file_actions_init(&actions_)) throw_errno("posix_spawn_file_actions_init", err);
    }
    ~file_actions() { ::posix_spawn_file_actions_destroy(&actions_); }
    file_actions(const file_actions&) = delete;
    file_actions& operator=(const file_actions&) = delete;
    void dup2(int from, int to) {
        if (int err = ::posix_spawn_file_actions_adddup2(&actions_, from, to)) throw_errno("posix_spawn dup2", err);
    }
    void close_from(int from) {
        if (int err = ::posix_spawn_file_actions_addclosefrom_np(&actions_, from))
            throw_errno("posix_spawn closefrom", err);
    }
    const posix_spawn_file_actions_t* get() const { return &actions_; }

private:
    posix_spawn_file_actions_t actions_;
};

class spawn_attributes {
public:
    spawn_attributes() {
        if (int err = ::posix_spawnattr_init(&attr_)) throw_errno("posix_spawnattr_init", err);
    }
    ~spawn_attributes() { ::posix_spawnattr_destroy(&attr_); }
    spawn_attributes(const spawn_attributes&) = delete;
    spawn_attributes& operator=(const spawn_attributes&) = delete;
    void mask(const sigset_t& m) {
        ::posix_spawnattr_setsigmask(&attr_, &m);
        ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK);
    }
    const posix_spawnattr_t* get() const { return &attr_; }

private:
    posix_spawnattr_t attr_;
};

}  // namespace

pid_t spawn_with_fds(const spawn_request& request) {
    file_actions actions;
    const int base = staging_base(request.fds);
    const int n = static_cast<int>(request.fds.size());
    for (int i = 0; i < n; ++i) actions.dup2(request.fds[i], base + i);
    // dup2 clears FD_CLOEXEC on the copy: these survive the exec.
    for (int i = 0; i < n; ++i) actions.dup2(base + i, first_passed_fd + i);
    actions.close_from(first_passed_fd + n);
    spawn_attributes attributes;
    if (request.mask) attributes.mask(*request.mask);
    pid_t pid = -1;
    if (int err = ::posix_spawn(&pid, request.path, actions.get(), attributes.get(), request.argv, request.envp))
        throw_errno("posix_spawn", err);
    return pid;
}

bool keep_only_fds(std::span<const int> fds) noexcept {
    const int base = staging_base(fds);
    const int n = static_cast<int>(fds.size());
    for (int i = 0; i < n; ++i)
        if (::dup2(fds[i], base + i) < 0) return false;
    for (int i = 0; i < n; ++i)
        if (::dup2(base + i, first_passed_fd + i) < 0) return false;
    const unsigned first = static_cast<unsigned>(first_passed_fd + n);
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, first, UINT_MAX, 0) == 0) return true;
#endif
    rlimit limit{};
    int top = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 1u << 20 ? static_cast<int>(limit.rlim_cur)
                                                                                   : 1 << 16;
    for (int fd = static_cast<int>(first); fd < top; ++fd) ::close(fd);
    return true;
}

}  // namespace mproc::posix
