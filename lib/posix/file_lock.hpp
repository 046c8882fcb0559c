// Open-file-description locks (F_OFD_SETLK) on single bytes of a file, as
// tokens of liveness: the kernel drops such a lock when the last descriptor
// of its open file description closes, so a lock a process holds on its own
// private description ends exactly when that process does (however it
// ends), with no pid that could be reused. Used by the shared handle's
// holders (lib/transport/shared_handle_holders.cpp).
#pragma once

#include <mproc/unique_fd.hpp>

#include <cstdint>

namespace mproc::posix {

/// A new open file description of the file `fd` refers to (a memfd
/// reopened through /proc/self/fd), close-on-exec. Throws std::system_error.
unique_fd reopen_private(int fd);

/// Takes a write lock on byte `at` for the description of `fd` without
/// waiting; false when another description holds it. Throws
/// std::system_error for other errors.
bool lock_byte(int fd, std::uint64_t at);

/// Whether a description other than that of `fd` holds a lock on byte `at`
/// (true when the check itself fails: a holder is never called gone on doubt).
bool byte_locked_elsewhere(int fd, std::uint64_t at) noexcept;

}  // namespace mproc::posix
