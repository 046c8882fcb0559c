#define BOOST_TEST_MODULE frame
#include <boost/test/unit_test.hpp>

#include <mproc/errors.hpp>

#include "codec/frame.hpp"

#include <random>
#include <string>

namespace mp = mproc;
namespace frame = mproc::frame;

namespace {
std::string encode(frame::kind k, std::string_view payload, std::uint32_t tag = 0) {
    unsigned char h[frame::max_header_size];
    std::size_t n = frame::encode_header(k, payload.size(), h, tag);
    return std::string(reinterpret_cast<char*>(h), n) + std::string(payload);
}
}  // namespace

BOOST_AUTO_TEST_CASE(frames_split_a_stream_back_into_messages) {
    std::string stream = encode(frame::kind::bytes, "one") + encode(frame::kind::object, "") +
                         encode(frame::kind::bytes, std::string(70000, 'z'));
    std::string_view rest = stream;
    auto a = frame::next(rest);
    BOOST_REQUIRE(a);
    BOOST_TEST(a->payload == "one");
    BOOST_TEST((a->kind == frame::kind::bytes));
    auto b = frame::next(rest);
    BOOST_REQUIRE(b);
    BOOST_TEST(b->payload.empty());
    BOOST_TEST((b->kind == frame::kind::object));
    auto c = frame::next(rest);
    BOOST_REQUIRE(c);
    BOOST_TEST(c->payload.size() == 70000u);
    BOOST_TEST(rest.empty());
    BOOST_TEST(!frame::next(rest));
}

BOOST_AUTO_TEST_CASE(partial_frames_wait_for_more_bytes) {
    std::string whole = encode(frame::kind::bytes, "payload");
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
        std::string_view part(whole.data(), cut);
        BOOST_TEST(!frame::next(part));
        BOOST_TEST(part.size() == cut);
    }
}

BOOST_AUTO_TEST_CASE(huge_lengths_use_the_64_bit_escape) {
    unsigned char h[frame::max_header_size];
    BOOST_TEST(frame::encode_header(frame::kind::bytes, 0xFFFFFFFEull, h) == frame::short_header_size);
    BOOST_TEST(frame::encode_header(frame::kind::bytes, 0xFFFFFFFFull, h) == frame::long_header_size);
    auto d = frame::decode_header({reinterpret_cast<char*>(h), frame::long_header_size});
    BOOST_REQUIRE(d);
    BOOST_TEST(d->length == 0xFFFFFFFFull);
    std::size_t n = frame::encode_header(frame::kind::bytes, std::uint64_t{5} << 30, h);
    d = frame::decode_header({reinterpret_cast<char*>(h), n});
    BOOST_REQUIRE(d);
    BOOST_TEST(d->length == std::uint64_t{5} << 30);
    BOOST_CHECK_THROW(frame::encode_header(frame::kind::bytes, frame::max_payload + 1, h), mp::ProtocolError);
}

BOOST_AUTO_TEST_CASE(object_frames_carry_a_type_tag_and_bytes_frames_none) {
    std::string stream = encode(frame::kind::object, "abc", 0xdeadbeef) + encode(frame::kind::bytes, "xyz", 0x1234);
    auto h = frame::decode_header(stream);
    BOOST_REQUIRE(h);
    BOOST_TEST(h->size == frame::short_header_size + frame::tag_size);
    BOOST_TEST(h->tag == 0xdeadbeefu);
    std::string_view rest = stream;
    auto a = frame::next(rest);
    BOOST_REQUIRE(a);
    BOOST_TEST(a->payload == "abc");
    BOOST_TEST(a->tag == 0xdeadbeefu);
    auto b = frame::next(rest);
    BOOST_REQUIRE(b);
    BOOST_TEST(b->payload == "xyz");
    BOOST_TEST(b->tag == 0u);  // untyped: the bytes frame is as it always was
    BOOST_TEST(encode(frame::kind::bytes, "xyz").size() == frame::short_header_size + 3);
    unsigned char big[frame::max_header_size];
    BOOST_TEST(frame::encode_header(frame::kind::object, 0xFFFFFFFFull, big, 7) == frame::max_header_size);
    auto d = frame::decode_header({reinterpret_cast<char*>(big), frame::max_header_size});
    BOOST_REQUIRE(d);
    BOOST_TEST(d->tag == 7u);
    BOOST_TEST(d->length == 0xFFFFFFFFull);
}

BOOST_AUTO_TEST_CASE(every_single_bit_flip_in_a_header_is_caught) {
    std::string whole = encode(frame::kind::object, "abc", 0x01020304);
    for (std::size_t byte = 0; byte < frame::short_header_size + frame::tag_size; ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            // Trailing bytes, so a flipped long-length flag cannot just wait for more.
            std::string bad = whole + std::string(16, '\0');
            bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
            std::string_view rest = bad;
            BOOST_CHECK_THROW(frame::next(rest), mp::ProtocolError);
        }
    }
}

BOOST_AUTO_TEST_CASE(foreign_bytes_are_rejected_early) {
    std::string_view http = "GET";
    BOOST_CHECK_THROW(frame::next(http), mp::ProtocolError);
    std::mt19937 rng(7);
    int accepted = 0;
    for (int i = 0; i < 100000; ++i) {
        std::string junk(frame::long_header_size, '\0');
        for (char& c : junk) c = static_cast<char>(rng());
        std::string_view rest = junk;
        try {
            if (frame::decode_header(rest)) ++accepted;
        } catch (const mp::ProtocolError&) {
        }
    }
    BOOST_TEST(accepted == 0);
}

// Regression: a Connection's first recv decodes an empty
// view over a not-yet-allocated buffer; its null data() reached memcmp (UB).
BOOST_AUTO_TEST_CASE(an_empty_view_with_null_data_needs_more_bytes) {
    std::string_view nothing;
    BOOST_TEST(!frame::decode_header(nothing));
    BOOST_TEST(!frame::next(nothing));
}
