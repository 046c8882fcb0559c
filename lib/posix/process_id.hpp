// This process's id and its parent's, for code outside the posix layer
// (which includes no system-call header itself).
#pragma once

#include <sys/types.h>
#include <unistd.h>

namespace mproc::posix {

inline pid_t current_pid() noexcept { return ::getpid(); }
inline pid_t parent_pid() noexcept { return ::getppid(); }

}  // namespace mproc::posix
