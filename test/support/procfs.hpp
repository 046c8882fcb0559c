// Test helpers reading /proc: this process's open descriptors, its zombie
// children, another process's state; and the entries of /dev/shm.
#pragma once

#include <dirent.h>
#include <fstream>
#include <set>
#include <string>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

namespace test_support {

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
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return {};
    auto close = line.rfind(')');
    if (close == std::string::npos) return {};
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
