// What communicate needs from a Stream beyond its public interface.
#pragma once

#include <mproc/subprocess.hpp>

#include <string>

namespace mproc::subprocess {

struct stream_access {
    /// Bytes a reader buffered but has not returned yet; the buffer is emptied.
    static std::string take_buffered(Stream& s) {
        std::string rest = s.buffer_.substr(s.pos_);
        s.buffer_.clear();
        s.pos_ = 0;
        return rest;
    }
};

}  // namespace mproc::subprocess
