// libFuzzer harness for mproc::loads<T> (include/mproc/codec.hpp and the
// capped input archive). The first input byte picks T from loads_types.hpp;
// the rest is the payload. Only mproc::ProtocolError may escape loads;
// anything else (another exception, a crash, UB, a leak, a huge allocation)
// is a finding, as is a value that does not survive its own round trip.
#include "check.hpp"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    constexpr std::size_t count = std::tuple_size_v<fuzz::loads_types>;
    const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
    decode_as(data[0] % count, payload, std::make_index_sequence<count>{});
    return 0;
}
