/// dumps / loads: mproc's pickle, on Boost.Serialization binary archives.
///
/// Trivially copyable values whose bytes mean the same in another process
/// (ints, doubles, enums, std::array of them, aggregates of them) take a
/// memcpy fast path (but not std::optional or std::variant, whose flag and
/// index must be checked); everything else goes through a header-less Boost
/// binary archive. On the fast path loads checks that every bool (of a bool
/// or a std::array) is 0 or 1; the members of a trivially copyable struct of
/// your own are taken as they come. Any Boost-serializable type works,
/// including every standard container, pair, tuple, optional, variant and
/// std::wstring.
///
/// Pointers never cross: a raw or smart pointer, a C string, a view
/// (std::string_view, std::span), std::reference_wrapper, a container of
/// them, or a trivially copyable struct holding one is a compile error in
/// dumps, dumps_into, loads and Connection::send/recv, naming the type and
/// saying what to send instead (the rule: <mproc/detail/codec/wire_safe.hpp>). A
/// struct with a serialize() sends what serialize() writes (a pointer there
/// is a compile error too).
///
///     std::string bytes = mproc::dumps(std::map<std::string, int>{{"a", 1}});
///     auto m = mproc::loads<std::map<std::string, int>>(bytes);
///
/// loads throws mproc::ProtocolError for truncated, oversized or malformed
/// bytes, never crashes or allocates more than the input justifies.
#pragma once

#include <mproc/detail/codec/archive.hpp>
#include <mproc/detail/codec/serialize_std.hpp>
#include <mproc/detail/codec/type_name.hpp>
#include <mproc/detail/codec/wire_safe.hpp>
#include <mproc/errors.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

namespace mproc {

namespace detail {

// The memcpy fast path: trivially copyable types whose bytes may cross
// (layout_safe: no pointer anywhere in them), except those with byte patterns
// that are not valid objects and that mproc cannot check in place
// (std::optional's engaged flag, std::variant's index: they take the archive,
// whose loaders check them). bool, and arrays of bool, are checked byte by
// byte (valid_bytes). A trivially copyable class that is not layout-safe but
// has a serialize() takes the archive.
template <class T>
struct memcpy_codec_t : std::bool_constant<std::is_trivially_copyable_v<T> && layout_safe_v<T>> {};
template <class T>
struct memcpy_codec_t<std::optional<T>> : std::false_type {};
template <class... Ts>
struct memcpy_codec_t<std::variant<Ts...>> : std::false_type {};
template <class T, std::size_t N>
struct memcpy_codec_t<std::array<T, N>> : memcpy_codec_t<T> {};
template <class T>
struct memcpy_codec_t<const T> : memcpy_codec_t<T> {};

template <class T>
inline constexpr bool memcpy_codec = memcpy_codec_t<T>::value;

// Whether `p` holds a valid T for the memcpy path: every bool is 0 or 1.
template <class T>
bool valid_bytes(const char* p) {
    if constexpr (std::is_same_v<std::remove_cv_t<T>, bool>) {
        return static_cast<unsigned char>(*p) <= 1;
    } else if constexpr (requires { typename std::tuple_size<T>::type; std::declval<T&>().data(); }) {
        using element = std::remove_reference_t<decltype(*std::declval<T&>().data())>;
        for (std::size_t i = 0; i < std::tuple_size_v<T>; ++i)
            if (!valid_bytes<element>(p + i * sizeof(element))) return false;
        return true;
    } else {
        return true;
    }
}

}  // namespace detail

/// Appends the serialized form of `value` to `out`.
template <class T>
void dumps_into(std::string& out, const T& value) {
    static_assert(detail::assert_wire_safe<T>());
    if constexpr (detail::memcpy_codec<T>) {
        out.append(reinterpret_cast<const char*>(&value), sizeof value);
    } else {
        detail::string_sink sink(out);
        detail::wire_oarchive archive(sink);
        archive << value;
    }
}

/// The bytes of `value` (Python: pickle.dumps).
template <class T>
std::string dumps(const T& value) {
    std::string out;
    dumps_into(out, value);
    return out;
}

/// The value serialized in `bytes` (Python: pickle.loads).
/// Throws mproc::ProtocolError if `bytes` is not exactly one serialized T.
template <class T>
T loads(std::string_view bytes) {
    static_assert(detail::assert_wire_safe<T>());
    if constexpr (detail::memcpy_codec<T>) {
        if (bytes.size() != sizeof(T))
            throw ProtocolError("malformed payload: " + detail::type_name<T>() + " needs " +
                                std::to_string(sizeof(T)) + " bytes, got " + std::to_string(bytes.size()));
        if (!detail::valid_bytes<T>(bytes.data()))
            throw ProtocolError("malformed payload: a bool of " + detail::type_name<T>() + " is neither 0 nor 1");
        std::array<char, sizeof(T)> raw;
        std::memcpy(raw.data(), bytes.data(), sizeof(T));
        return std::bit_cast<T>(raw);
    } else {
        detail::view_source source(bytes);
        T value{};
        try {
            detail::capped_iarchive archive(source);
            archive >> value;
        } catch (const ProtocolError&) {
            throw;
        } catch (const std::exception& e) {
            throw ProtocolError("malformed payload for " + detail::type_name<T>() + ": " + e.what());
        }
        if (source.remaining() != 0)
            throw ProtocolError("malformed payload for " + detail::type_name<T>() + ": " +
                                std::to_string(source.remaining()) + " trailing bytes");
        return value;
    }
}

}  // namespace mproc
