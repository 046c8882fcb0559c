// libFuzzer harness for mproc::loads<T> (include/mproc/codec.hpp and the
// capped input archive). The first input byte picks T from loads_types.hpp;
// the rest is the payload -- or, past the last type, a stream of frames whose
// object frames are decoded as the type their tag names (as Connection::recv
// does; a tag naming none of the types is a mismatch, refused before
// decoding). Only mproc::ProtocolError may escape loads;
// anything else (another exception, a crash, UB, a leak, a huge allocation)
// is a finding, as is a value that does not survive its own round trip.
#include "check.hpp"
#include "codec/frame.hpp"
#include "loads_types.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace {

template <class T>
inline constexpr bool unordered = false;
template <class K, class V>
inline constexpr bool unordered<std::unordered_map<K, V>> = true;

template <class T>
void decode(std::string_view payload) {
    T value{};
    try {
        value = mproc::loads<T>(payload);
    } catch (const mproc::ProtocolError&) {
        return;
    }
    // What decoded must encode and decode again to the same thing. Compared as
    // bytes (a NaN is not equal to itself), except unordered containers, whose
    // iteration order may change on re-insertion.
    const std::string bytes = mproc::dumps(value);
    const T again = mproc::loads<T>(bytes);
    if constexpr (unordered<T>)
        fuzz::require(again == value, "decoded value does not survive a round trip");
    else
        fuzz::require(mproc::dumps(again) == bytes, "decoded value does not survive a round trip");
}

template <std::size_t... I>
void decode_as(std::size_t which, std::string_view payload, std::index_sequence<I...>) {
    ((which == I ? decode<std::tuple_element_t<I, fuzz::loads_types>>(payload) : void()), ...);
}

template <std::size_t... I>
void decode_tagged(std::uint32_t tag, std::string_view payload, std::index_sequence<I...>) {
    using types = fuzz::loads_types;
    ((tag == mproc::detail::type_tag<std::tuple_element_t<I, types>> ? decode<std::tuple_element_t<I, types>>(payload)
                                                                     : void()),
     ...);
}

constexpr std::size_t count = std::tuple_size_v<fuzz::loads_types>;

void decode_frames(std::string_view stream) {
    try {
        while (auto f = mproc::frame::next(stream)) {
            fuzz::require(f->kind == mproc::frame::kind::object || f->tag == 0, "a tag in a bytes frame");
            if (f->kind == mproc::frame::kind::object) decode_tagged(f->tag, f->payload, std::make_index_sequence<count>{});
        }
    } catch (const mproc::ProtocolError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t which = data[0] % (count + 1);
    if (which == count)
        decode_frames(payload);
    else
        decode_as(which, payload, std::make_index_sequence<count>{});
    return 0;
}
