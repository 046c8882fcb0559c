// Test helpers reading /proc: this process's open descriptors, its zombie
// children, another process's state; and the entries of /dev/shm. Another
// process's files vanish under the reader when it ends (a read then fails
// with ESRCH): read them with read_proc_file, never a stream iterator (which
// throws from underflow).
#pragma once

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <string>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

namespace test_support {

/// The whole of a /proc file; "" when it cannot be read (the process ended).
inline std::string read_proc_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            text.append(buf, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n < 0) text.clear();  // gone mid-read: a torn file is no file
            break;
        }
    }
    ::close(fd);
    return text;
}

/// The value after "Name:" in /proc/PID/status (e.g. "PPid", "Threads"), or
/// -1 when the process is gone.
inline long status_number(pid_t pid, const std::string& name) {
    const std::string status = read_proc_file("/proc/" + std::to_string(pid) + "/status");
    const std::string key = "\n" + name + ":";
    const std::size_t at = ("\n" + status).find(key);
    if (at == std::string::npos) return -1;
    return std::strtol(status.c_str() + at + key.size() - 1, nullptr, 10);
}

/// Entries of /dev/shm (mproc must never make one).
inline std::set<std::string> dev_shm() {
    std::set<std::string> names;
    if (DIR* dir = ::opendir("/dev/shm")) {
        while (dirent* e = ::readdir(dir))
            if (e->d_name[0] != '.') names.insert(e->d_name);
        ::closedir(dir);
    }
    return names;
}

/// Numbers of this process's open descriptors.
inline std::set<int> open_fds() {
    std::set<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return fds;
    const int own = ::dirfd(dir);
    while (dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.' && std::stoi(e->d_name) != own) fds.insert(std::stoi(e->d_name));
    ::closedir(dir);
    return fds;
}

/// The fields of /proc/PID/stat after the command name: [0] state, [1] ppid,
/// [2] pgrp, [3] session. Empty when the process is gone.
inline std::vector<std::string> stat_fields(pid_t pid) {
    std::string line = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    if (!line.empty() && line.back() == '\n') line.pop_back();
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 > line.size()) return {};
    std::vector<std::string> fields;
    std::string field;
    for (char c : line.substr(close + 2)) {
        if (c == ' ') {
            fields.push_back(field);
            field.clear();
        } else {
            field += c;
        }
    }
    fields.push_back(field);
    return fields;
}

/// 'Z' for a zombie, 'R', 'S'... for a live process, 0 when gone.
inline char process_state(pid_t pid) {
    auto f = stat_fields(pid);
    return f.empty() ? 0 : f[0][0];
}

/// Children of this process that have ended but were not reaped.
inline std::vector<pid_t> zombie_children() {
    std::vector<pid_t> zombies;
    DIR* dir = ::opendir("/proc");
    if (!dir) return zombies;
    const std::string me = std::to_string(::getpid());
    while (dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        pid_t pid = std::stoi(e->d_name);
        auto f = stat_fields(pid);
        if (f.size() > 1 && f[0] == "Z" && f[1] == me) zombies.push_back(pid);
    }
    ::closedir(dir);
    return zombies;
}

}  // namespace test_support
