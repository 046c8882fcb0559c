/// Fixed-size fields and length-prefixed bytes, host byte order, for mproc's
/// own byte protocols between processes of one machine (a task's code ids
/// and items, the Pool's records, the fork servers' requests and reports).
/// Values of user types go through the codec's archives instead.
#pragma once

#include <mproc/errors.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace mproc::detail {

inline void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
inline void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

/// Appends fields to a string it does not own.
class wire_writer {
public:
    explicit wire_writer(std::string& out) : out_(out) {}
    template <class T>
        requires std::is_trivially_copyable_v<T>
    wire_writer& fixed(const T& v) {
        out_.append(reinterpret_cast<const char*>(&v), sizeof v);
        return *this;
    }
    wire_writer& u8(std::uint8_t v) { return fixed(v); }
    wire_writer& u32(std::uint32_t v) { return fixed(v); }
    wire_writer& u64(std::uint64_t v) { return fixed(v); }
    wire_writer& i32(std::int32_t v) { return fixed(v); }
    /// u32 length, then the bytes.
    wire_writer& text(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
        return *this;
    }

private:
    std::string& out_;
};

/// Reads fields off the front of bytes it does not own; ProtocolError when
/// they run out.
class wire_reader {
public:
    explicit wire_reader(std::string_view bytes) : rest_(bytes) {}
    std::uint8_t u8() { return fixed<std::uint8_t>(); }
    std::uint32_t u32() { return fixed<std::uint32_t>(); }
    std::uint64_t u64() { return fixed<std::uint64_t>(); }
    std::int32_t i32() { return fixed<std::int32_t>(); }
    std::string_view bytes(std::size_t n) {
        need(n);
        std::string_view out = rest_.substr(0, n);
        rest_.remove_prefix(n);
        return out;
    }
    /// What wire_writer::text wrote.
    std::string_view text() { return bytes(u32()); }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    T fixed() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, rest_.data(), sizeof v);
        rest_.remove_prefix(sizeof v);
        return v;
    }
    std::string_view rest() const noexcept { return rest_; }
    bool empty() const noexcept { return rest_.empty(); }

private:
    void need(std::size_t n) const {
        if (rest_.size() < n) throw ProtocolError("malformed message: truncated");
    }
    std::string_view rest_;
};

}  // namespace mproc::detail
