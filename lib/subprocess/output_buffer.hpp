// Bytes read from a pipe until end of file, of a size nobody knows in advance,
// gathered so that each byte is copied at most once after read() delivers it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mproc::subprocess::detail {

/// Small output grows in one string (geometrically, from a page) and is
/// returned as is. Past `bulk_from` bytes, data lands in chunks that never
/// move (each twice the size of everything before it, on huge pages), joined
/// once by take(): doubling a single string would copy the bulk up to twice
/// more and fault in twice the memory.
class output_buffer {
public:
    static constexpr std::size_t bulk_from = 8u << 20;

    /// One read() of up to `piece` bytes from non-blocking `fd`. Returns false
    /// at end of file (true when nothing was available yet). Throws
    /// std::system_error.
    bool read_from(int fd, std::size_t piece);

    std::size_t size() const noexcept { return size_; }
    /// Everything so far, left in place.
    std::string copy() const;
    /// Everything so far; the buffer is empty afterwards.
    std::string take();
    /// Starts over with `bytes`.
    void assign(std::string bytes);

private:
    std::string& room_for(std::size_t piece);
    std::string first_;
    std::vector<std::string> chunks_;
    std::size_t size_ = 0;
};

}  // namespace mproc::subprocess::detail
