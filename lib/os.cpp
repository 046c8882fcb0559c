#include <mproc/os.hpp>

#include "posix/fd.hpp"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace mproc::os {

pid_t fork() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) posix::throw_errno("fork");
    return pid;
}

pid_t getpid() noexcept { return ::getpid(); }
pid_t getppid() noexcept { return ::getppid(); }

}  // namespace mproc::os
