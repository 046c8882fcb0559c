#include "codec/frame.hpp"

#include <mproc/errors.hpp>

#include <cstdio>
#include <cstring>
#include <string>

namespace mproc::frame {

namespace {

constexpr std::uint32_t magic = 0x4352504D;  // "MPRC" in memory order
constexpr std::uint8_t long_length_flag = 1;
constexpr std::uint32_t length_escape = 0xFFFFFFFF;

// FNV-1a over the header without its check field, folded to 16 bits.
std::uint16_t header_check(const unsigned char* h, std::size_t size) {
    std::uint32_t x = 2166136261u;
    for (std::size_t i = 0; i < size; ++i) {
        if (i == 6 || i == 7) continue;
        x = (x ^ h[i]) * 16777619u;
    }
    return static_cast<std::uint16_t>(x ^ (x >> 16));
}

template <class T>
T load(const unsigned char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T>
void store(unsigned char* p, T v) {
    std::memcpy(p, &v, sizeof v);
}

[[noreturn]] void malformed(const std::string& what) { throw ProtocolError("malformed frame header: " + what); }

}  // namespace

std::size_t encode_header(kind k, std::uint64_t length, unsigned char* out, std::uint32_t tag) {
    if (length > max_payload)
        throw ProtocolError("message of " + std::to_string(length) + " bytes exceeds the maximum of " +
                            std::to_string(max_payload));
    const bool long_form = length >= length_escape;
    const std::size_t length_end = long_form ? long_header_size : short_header_size;
    const bool tagged = k == kind::object;
    const std::size_t size = length_end + (tagged ? tag_size : 0);
    store(out, magic);
    out[4] = static_cast<unsigned char>(k);
    out[5] = long_form ? long_length_flag : 0;
    store(out + 8, long_form ? length_escape : static_cast<std::uint32_t>(length));
    if (long_form) store(out + 12, length);
    if (tagged) store(out + length_end, tag);
    store(out + 6, header_check(out, size));
    return size;
}

std::optional<header> decode_header(std::string_view avail) {
    auto p = reinterpret_cast<const unsigned char*>(avail.data());
    if (avail.empty()) return std::nullopt;
    if (avail.size() < 4) {
        // Reject a foreign stream as soon as its first bytes disagree.
        if (std::memcmp(p, &magic, avail.size()) != 0) malformed("bad magic (not an mproc stream, or out of sync)");
        return std::nullopt;
    }
    if (load<std::uint32_t>(p) != magic) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08x", load<std::uint32_t>(p));
        malformed(std::string("bad magic ") + hex + " (not an mproc stream, or out of sync)");
    }
    if (avail.size() < short_header_size) return std::nullopt;
    const std::uint8_t flags = p[5];
    if (flags & ~long_length_flag) malformed("unknown flags " + std::to_string(flags));
    const std::uint8_t k = p[4];
    if (k != static_cast<std::uint8_t>(kind::bytes) && k != static_cast<std::uint8_t>(kind::object))
        malformed("unknown kind " + std::to_string(k));
    const bool long_form = flags & long_length_flag;
    const std::size_t length_end = long_form ? long_header_size : short_header_size;
    const bool tagged = k == static_cast<std::uint8_t>(kind::object);
    const std::size_t size = length_end + (tagged ? tag_size : 0);
    if (avail.size() < size) return std::nullopt;
    if (load<std::uint16_t>(p + 6) != header_check(p, size)) malformed("check mismatch (corrupt or out of sync)");
    std::uint64_t length = load<std::uint32_t>(p + 8);
    if (long_form) {
        if (length != length_escape) malformed("long form without the length escape");
        length = load<std::uint64_t>(p + 12);
        if (length < length_escape) malformed("long form for a short length");
    } else if (length == length_escape) {
        malformed("length escape without the long-form flag");
    }
    if (length > max_payload)
        malformed("payload length " + std::to_string(length) + " exceeds the maximum of " +
                  std::to_string(max_payload));
    return header{static_cast<kind>(k), length, size, tagged ? load<std::uint32_t>(p + length_end) : 0};
}

std::optional<view> next(std::string_view& stream) {
    auto h = decode_header(stream);
    if (!h || stream.size() - h->size < h->length) return std::nullopt;
    view v{h->kind, stream.substr(h->size, h->length), h->tag};
    stream.remove_prefix(h->size + h->length);
    return v;
}

}  // namespace mproc::frame
