/// Type names for messages: the readable name of a type, a type's tag (the
/// hash typed frames carry, so a receiver can tell a message of another type),
/// and what the exception being handled is (Process prints it, a Pool's
/// RemoteError carries it).
#pragma once

#include <boost/core/demangle.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <typeinfo>

namespace mproc::detail {

/// The demangled name of T, e.g. "std::vector<int, std::allocator<int> >".
template <class T>
std::string type_name() {
    return boost::core::demangle(typeid(T).name());
}

// FNV-1a of the compiler's spelling of the signature of type_tag<T>, which
// names T: computed at compile time, identical in every process running the
// same program.
template <class T>
constexpr std::uint32_t compute_type_tag() {
    const std::string_view signature = __PRETTY_FUNCTION__;
    std::uint32_t h = 2166136261u;
    for (char c : signature) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
}

/// The tag of T in typed frames: a 32-bit hash of T's name.
template <class T>
inline constexpr std::uint32_t type_tag = compute_type_tag<T>();

/// Records that `tag` names the type `name()` returns (name_of_tag finds it).
bool register_type_tag(std::uint32_t tag, std::string (*name)()) noexcept;

/// The name of the type whose tag is `tag`, if this program registered it
/// (every type sent or received on a Connection is), else "a type with tag
/// 0x...".
std::string name_of_tag(std::uint32_t tag);

/// Registers T's tag at start-up; odr-use `registered` wherever T is sent or
/// received, so that the program that received a message can name its type.
template <class T>
struct type_tag_registration {
    static const bool registered;
};
template <class T>
const bool type_tag_registration<T>::registered = register_type_tag(type_tag<T>, &type_name<T>);

struct exception_description {
    std::string type;  ///< demangled type name ("unknown exception" if none)
    std::string what;  ///< what() of a std::exception, else empty
};

/// Inside a catch block: the type and what() of the exception being handled.
exception_description describe_current_exception() noexcept;

}  // namespace mproc::detail
