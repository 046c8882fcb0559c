/// The Boost.Serialization archives behind mproc::dumps / mproc::loads.
///
/// Output is wire_oarchive, input capped_iarchive: header-less binary archives.
/// The input archive treats its bytes as hostile: every collection, string or
/// wide string length is checked against the bytes actually left (so garbage
/// cannot make it allocate gigabytes), bools must be 0 or 1. Both refuse
/// pointers at compile time (mproc never sends or decodes pointers).
///
/// An object of an empty class (std::monostate, std::tuple<>, a struct whose
/// serialize() writes nothing) is written as one marker byte, so that every
/// element of a container takes at least one byte and the length check above
/// holds for containers of empty elements too.
#pragma once

#include <mproc/detail/codec/wire_safe.hpp>
#include <mproc/errors.hpp>

#include <boost/archive/binary_iarchive_impl.hpp>
#include <boost/archive/binary_oarchive_impl.hpp>
#include <boost/archive/detail/register_archive.hpp>
#include <boost/serialization/array_optimization.hpp>
#include <boost/serialization/collection_size_type.hpp>

#include <cstddef>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>

namespace mproc::detail {

/// A streambuf that appends everything written to a std::string.
class string_sink : public std::streambuf {
public:
    explicit string_sink(std::string& out) : out_(out) {}

protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        out_.append(s, static_cast<std::size_t>(n));
        return n;
    }
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) out_.push_back(traits_type::to_char_type(c));
        return traits_type::not_eof(c);
    }

private:
    std::string& out_;
};

/// A read-only streambuf over bytes owned elsewhere.
class view_source : public std::streambuf {
public:
    explicit view_source(std::string_view bytes) {
        char* p = const_cast<char*>(bytes.data());
        setg(p, p, p + bytes.size());
    }
    std::size_t remaining() const { return static_cast<std::size_t>(egptr() - gptr()); }
};

template <class>
inline constexpr bool always_false = false;

constexpr unsigned archive_flags = boost::archive::no_header | boost::archive::no_codecvt;

// The byte standing for an object of an empty class.
constexpr unsigned char empty_object_marker = 0;

class wire_oarchive
    : public boost::archive::binary_oarchive_impl<wire_oarchive, char, std::char_traits<char>> {
    using base = boost::archive::binary_oarchive_impl<wire_oarchive, char, std::char_traits<char>>;
    friend class boost::archive::detail::interface_oarchive<wire_oarchive>;
    friend class boost::archive::basic_binary_oarchive<wire_oarchive>;
    friend class boost::archive::basic_binary_oprimitive<wire_oarchive, char, std::char_traits<char>>;
    friend class boost::archive::save_access;

public:
    explicit wire_oarchive(std::streambuf& sink) : base(sink, archive_flags) { init(archive_flags); }

protected:
    template <class T>
    void save_override(const T& t) {
        static_assert(archive_leaf_safe_v<T>,
                      "mproc never sends views, references or smart pointers (T is named in the instantiation trace): send values");
        base::save_override(t);
        if constexpr (std::is_empty_v<T>) save_binary(&empty_object_marker, 1);
    }
    template <class T>
    void save_override(T* const&) {
        static_assert(always_false<T>,
                      "mproc never sends pointers: send values, not pointers or smart pointers");
    }
};

class capped_iarchive
    : public boost::archive::binary_iarchive_impl<capped_iarchive, char, std::char_traits<char>> {
    using base = boost::archive::binary_iarchive_impl<capped_iarchive, char, std::char_traits<char>>;
    friend class boost::archive::detail::interface_iarchive<capped_iarchive>;
    friend class boost::archive::basic_binary_iarchive<capped_iarchive>;
    friend class boost::archive::basic_binary_iprimitive<capped_iarchive, char, std::char_traits<char>>;
    friend class boost::archive::load_access;

public:
    explicit capped_iarchive(view_source& source) : base(source, archive_flags), source_(source) {
        init(archive_flags);
    }

protected:
    template <class T>
    void load_override(T& t) {
        static_assert(archive_leaf_safe_v<T>,
                      "mproc never decodes views, references or smart pointers (T is named in the instantiation trace): receive values");
        base::load_override(t);
        if constexpr (std::is_empty_v<T>) {
            unsigned char marker = 1;
            load_binary(&marker, 1);
            if (marker != empty_object_marker)
                throw ProtocolError("malformed payload: an empty object's marker holds " + std::to_string(marker));
        }
    }
    template <class T>
    void load_override(T*&) {
        static_assert(always_false<T>,
                      "mproc never decodes pointers from the wire: send values, not pointers or smart pointers");
    }
    void load_override(boost::serialization::collection_size_type& count) {
        base::load_override(count);
        check_length(count, 1, "collection");
    }

    using base::load;
    void load(bool& b) {
        unsigned char byte = 0;
        load_binary(&byte, 1);
        if (byte > 1) throw ProtocolError("malformed payload: a bool holds " + std::to_string(byte));
        b = byte != 0;
    }
    void load(std::string& s) {
        std::size_t length = 0;
        load_binary(&length, sizeof length);
        check_length(length, 1, "string");
        s.resize(length);
        if (length) load_binary(s.data(), length);
    }
    void load(std::wstring& s) {
        std::size_t length = 0;
        load_binary(&length, sizeof length);
        check_length(length, sizeof(wchar_t), "wide string");
        s.resize(length);
        if (length) load_binary(s.data(), length * sizeof(wchar_t));
    }

private:
    // Every element takes at least `element_bytes` on the wire (a collection's
    // elements one byte: see empty_object_marker), so a length needing more
    // than the bytes left is garbage (and must not reach an allocation).
    void check_length(std::size_t length, std::size_t element_bytes, const char* what) const {
        if (length > source_.remaining() / element_bytes)
            throw ProtocolError(std::string("malformed payload: ") + what + " length " + std::to_string(length) +
                                " exceeds the " + std::to_string(source_.remaining()) + " bytes left");
    }

    view_source& source_;
};

}  // namespace mproc::detail

BOOST_SERIALIZATION_REGISTER_ARCHIVE(mproc::detail::wire_oarchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(mproc::detail::wire_oarchive)
BOOST_SERIALIZATION_REGISTER_ARCHIVE(mproc::detail::capped_iarchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(mproc::detail::capped_iarchive)
