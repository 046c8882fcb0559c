/// Type names for messages: the readable name of a type, and what the
/// exception being handled is (Process prints it, a Pool's RemoteError
/// carries it).
#pragma once

#include <boost/core/demangle.hpp>

#include <string>
#include <typeinfo>

namespace mproc::detail {

/// The demangled name of T, e.g. "std::vector<int, std::allocator<int> >".
template <class T>
std::string type_name() {
    return boost::core::demangle(typeid(T).name());
}

struct exception_description {
    std::string type;  ///< demangled type name ("unknown exception" if none)
    std::string what;  ///< what() of a std::exception, else empty
};

/// Inside a catch block: the type and what() of the exception being handled.
exception_description describe_current_exception() noexcept;

}  // namespace mproc::detail
