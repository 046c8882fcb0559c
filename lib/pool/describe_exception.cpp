#include "pool/describe_exception.hpp"

#include <boost/core/demangle.hpp>

#include <cxxabi.h>
#include <exception>
#include <typeinfo>

namespace mproc::detail::pool {

std::pair<std::string, std::string> describe_current_exception() noexcept {
    try {
        const std::type_info* type = abi::__cxa_current_exception_type();
        std::string name = type ? boost::core::demangle(type->name()) : "unknown exception";
        std::string what;
        try {
            throw;
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        return {std::move(name), std::move(what)};
    } catch (...) {
        return {"unknown exception", ""};
    }
}

}  // namespace mproc::detail::pool
