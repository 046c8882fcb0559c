/// The Boost.Serialization archives behind mproc::dumps / mproc::loads.
///
/// Output is a plain binary_oarchive without header. Input is capped_iarchive:
/// a binary input archive that treats its bytes as hostile. Every collection
/// or string length is checked against the bytes actually left (so garbage
/// cannot make it allocate gigabytes), bools must be 0 or 1, and pointers
/// are refused at compile time (mproc never decodes pointers from the wire).
#pragma once

#include <mproc/errors.hpp>

#include <boost/archive/binary_iarchive_impl.hpp>
#include <boost/archive/binary_oarchive.hpp>
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
        base::load_override(t);
    }
    template <class T>
    void load_override(T*&) {
        static_assert(always_false<T>,
                      "mproc never decodes pointers from the wire: send values, not pointers or smart pointers");
    }
    void load_override(boost::serialization::collection_size_type& count) {
        base::load_override(count);
        check_length(count, "collection");
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
        check_length(length, "string");
        s.resize(length);
        if (length) load_binary(s.data(), length);
    }

private:
    // Every element takes at least one byte on the wire, so a length larger
    // than the bytes left is garbage (and must not reach an allocation).
    void check_length(std::size_t length, const char* what) const {
        if (length > source_.remaining())
            throw ProtocolError(std::string("malformed payload: ") + what + " length " + std::to_string(length) +
                                " exceeds the " + std::to_string(source_.remaining()) + " bytes left");
    }

    view_source& source_;
};

}  // namespace mproc::detail

BOOST_SERIALIZATION_REGISTER_ARCHIVE(mproc::detail::capped_iarchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(mproc::detail::capped_iarchive)
