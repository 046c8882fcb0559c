// The engine of Popen::communicate: one poll loop that writes stdin and reads
// stdout and stderr at once, so no amount of data either way can deadlock,
// and that can stop at a deadline and resume later.
#pragma once

#include "posix/poll.hpp"
#include "subprocess/output_buffer.hpp"

#include <mproc/subprocess.hpp>

#include <string>
#include <string_view>

namespace mproc::subprocess::detail {

/// State kept across communicate calls (a timeout, then a second call).
struct communication {
    bool started = false;
    std::string_view input;     ///< not yet written: the caller's bytes, or `saved_input`
    std::string saved_input;    ///< the unwritten rest, kept when a call times out
    output_buffer out, err;     ///< read so far
    bool grown[3] = {false, false, false};  ///< pipe buffer enlargement tried
    std::size_t pipe_size[3] = {64 * 1024, 64 * 1024, 64 * 1024};  ///< kernel buffer of each pipe
};

/// Moves data until stdin is written (or its reader is gone; then it is
/// closed) and stdout and stderr reach end of file (then they are closed).
/// `in`, `out`, `err` are null when not PIPEs. Returns false if the deadline
/// passed first; call again to continue. Throws std::system_error.
bool exchange(Stream* in, Stream* out, Stream* err, communication& c, posix::deadline until);

}  // namespace mproc::subprocess::detail
