// libFuzzer harness for the frame decoder (lib/codec/frame.hpp), the type
// tags of object frames included. The input is a byte stream as it would
// arrive on a Connection. Only mproc::ProtocolError may escape the decoder;
// anything else (another exception, a crash, UB, a leak) is a finding, as is
// a broken property below.
#include "check.hpp"
#include "codec/frame.hpp"

#include <mproc/errors.hpp>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace frame = mproc::frame;
using fuzz::require;

namespace {

// A header the decoder accepts is exactly the one the encoder writes for it:
// no second spelling of a frame gets through.
void check_header(std::string_view avail) {
    const auto h = frame::decode_header(avail);
    if (!h) {
        require(avail.size() < frame::max_header_size, "decode_header asked for more bytes than a header has");
        return;
    }
    const std::size_t tag_bytes = h->kind == frame::kind::object ? frame::tag_size : 0;
    require(h->size == frame::short_header_size + tag_bytes || h->size == frame::long_header_size + tag_bytes,
            "odd header size");
    require(h->size <= avail.size(), "header longer than the input");
    require(h->length <= frame::max_payload, "payload above the maximum");
    unsigned char again[frame::max_header_size];
    require(h->kind == frame::kind::object || h->tag == 0, "a tag in a bytes frame");
    require(frame::encode_header(h->kind, h->length, again, h->tag) == h->size, "re-encoded header differs in size");
    require(std::memcmp(again, avail.data(), h->size) == 0, "re-encoded header differs");
}

// Splitting a stream into frames consumes exactly header + payload each time
// and hands out payloads inside the input.
void check_stream(std::string_view input) {
    std::string_view stream = input;
    for (;;) {
        const std::string_view before = stream;
        const auto f = frame::next(stream);
        if (!f) {
            require(stream.data() == before.data() && stream.size() == before.size(), "partial frame consumed");
            return;
        }
        require(stream.size() < before.size(), "a frame consumed nothing");
        require(f->payload.data() >= before.data() && f->payload.data() + f->payload.size() == stream.data(),
                "payload not just before the rest of the stream");
        require(f->kind == frame::kind::bytes || f->kind == frame::kind::object, "unknown kind accepted");
        require(f->kind == frame::kind::object || f->tag == 0, "a tag in a bytes frame");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        check_header(input);
    } catch (const mproc::ProtocolError&) {
    }
    try {
        check_stream(input);
    } catch (const mproc::ProtocolError&) {
    }
    return 0;
}
