// Frames on a byte stream: a fixed header, then the payload.
//
//   offset 0  u32 magic 'MPRC'
//          4  u8  kind            (frame_kind)
//          5  u8  flags           bit 0: the 64-bit length follows; other bits 0
//          6  u16 check           over every other header byte
//          8  u32 length          (or 0xFFFFFFFF, then a u64 length at 12)
//     12 or 20  u32 type tag      object frames only: detail::type_tag of the
//                                 type sent, checked by the receiver
//
// Little-endian, as the host (frames never leave the machine). No payload
// checksum: kernel pipes and sockets do not corrupt bytes; the header check
// catches a desynchronised or foreign stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mproc::frame {

enum class kind : std::uint8_t { bytes = 1, object = 2 };

constexpr std::size_t short_header_size = 12;  // of a bytes frame; an object frame adds its tag
constexpr std::size_t long_header_size = 20;
constexpr std::size_t tag_size = 4;
constexpr std::size_t max_header_size = long_header_size + tag_size;
/// The largest payload accepted: anything bigger is garbage, not data.
constexpr std::uint64_t max_payload = std::uint64_t{1} << 34;  // 16 GiB

struct header {
    frame::kind kind;
    std::uint64_t length;  // payload bytes
    std::size_t size;      // header bytes (12 or 20, 4 more with a tag)
    std::uint32_t tag;     // object frames: the type tag; bytes frames: 0
};

/// Writes the header for a payload of `length` bytes into `out` (room for
/// max_header_size); returns its size. `tag` goes into object frames only.
/// Throws ProtocolError above max_payload.
std::size_t encode_header(kind k, std::uint64_t length, unsigned char* out, std::uint32_t tag = 0);

/// Decodes the header at the start of `avail` bytes. nullopt: more bytes are
/// needed. Throws ProtocolError naming what is wrong with a malformed header.
std::optional<header> decode_header(std::string_view avail);

/// A whole frame found in a buffer.
struct view {
    frame::kind kind;
    std::string_view payload;
    std::uint32_t tag;
};

/// Takes the next whole frame off the front of `stream`; nullopt (and
/// `stream` unchanged) when it holds only part of one. Throws ProtocolError.
std::optional<view> next(std::string_view& stream);

}  // namespace mproc::frame
