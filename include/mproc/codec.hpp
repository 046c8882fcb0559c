/// dumps / loads: mproc's pickle, on Boost.Serialization binary archives.
///
/// Trivially copyable values (ints, doubles, enums, PODs, std::array of them)
/// take a memcpy fast path; everything else goes through a header-less
/// Boost binary archive. Any Boost-serializable type works, including every
/// standard container, pair, tuple, optional and variant. Pointers never
/// cross (a compile error).
///
///     std::string bytes = mproc::dumps(std::map<std::string, int>{{"a", 1}});
///     auto m = mproc::loads<std::map<std::string, int>>(bytes);
///
/// loads throws mproc::ProtocolError for truncated, oversized or malformed
/// bytes, never crashes or allocates more than the input justifies.
#pragma once

#include <mproc/detail/archive.hpp>
#include <mproc/detail/serialize_std.hpp>
#include <mproc/errors.hpp>

#include <boost/core/demangle.hpp>

#include <array>
#include <bit>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace mproc {

namespace detail {

template <class T>
inline constexpr bool memcpy_codec = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>;

template <class T>
std::string type_name() {
    return boost::core::demangle(typeid(T).name());
}

}  // namespace detail

/// Appends the serialized form of `value` to `out`.
template <class T>
void dumps_into(std::string& out, const T& value) {
    static_assert(!std::is_pointer_v<T>, "mproc never sends pointers: send the value");
    if constexpr (detail::memcpy_codec<T>) {
        out.append(reinterpret_cast<const char*>(&value), sizeof value);
    } else {
        detail::string_sink sink(out);
        boost::archive::binary_oarchive archive(sink, detail::archive_flags);
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
    static_assert(!std::is_pointer_v<T>, "mproc never decodes pointers: receive the value");
    if constexpr (detail::memcpy_codec<T>) {
        if (bytes.size() != sizeof(T))
            throw ProtocolError("malformed payload: " + detail::type_name<T>() + " needs " +
                                std::to_string(sizeof(T)) + " bytes, got " + std::to_string(bytes.size()));
        if constexpr (std::is_same_v<T, bool>) {
            if (static_cast<unsigned char>(bytes[0]) > 1) throw ProtocolError("malformed payload: bad bool");
        }
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
