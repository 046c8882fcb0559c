#include <mproc/detail/type_name.hpp>

#include <cxxabi.h>
#include <exception>

namespace mproc::detail {

exception_description describe_current_exception() noexcept {
    exception_description d;
    try {
        const std::type_info* type = abi::__cxa_current_exception_type();
        d.type = type ? boost::core::demangle(type->name()) : "unknown exception";
        try {
            throw;
        } catch (const std::exception& e) {
            d.what = e.what();
        } catch (...) {
        }
    } catch (...) {  // out of memory: say what we can
    }
    return d;
}

}  // namespace mproc::detail
