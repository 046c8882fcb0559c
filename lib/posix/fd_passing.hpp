// Descriptors sent between processes over AF_UNIX sockets (SCM_RIGHTS), as
// mproc's fork server receives the descriptors a child needs.
#pragma once

#include <mproc/unique_fd.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace mproc::posix {

/// The most descriptors one message carries (the kernel's SCM_MAX_FD).
constexpr std::size_t max_fds_per_message = 253;

/// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC): message boundaries kept.
std::pair<unique_fd, unique_fd> make_seqpacket_pair();

/// Sends one message of `len` bytes (at least 1) carrying `fds`. Never raises
/// SIGPIPE; throws std::system_error (EPIPE when the peer is gone).
void send_with_fds(int sock, const void* data, std::size_t len, std::span<const int> fds);

/// Receives one message into `data` and the descriptors it carries (appended
/// to `fds`, close-on-exec). Returns its size, 0 at end of stream, nullopt when
/// `nonblocking` and nothing is waiting. `peek` leaves the message queued (its
/// descriptors are not received then). Throws std::system_error; EMSGSIZE when
/// the message or its descriptors were truncated.
std::optional<std::size_t> recv_with_fds(int sock, void* data, std::size_t len, std::vector<unique_fd>& fds,
                                         bool nonblocking = false, bool peek = false);

}  // namespace mproc::posix
