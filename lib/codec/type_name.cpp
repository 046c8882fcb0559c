#include <mproc/detail/codec/type_name.hpp>

#include <cstdio>
#include <cxxabi.h>
#include <exception>
#include <mutex>
#include <unordered_map>

namespace mproc::detail {

namespace {
struct tag_registry {
    std::mutex mutex;
    std::unordered_map<std::uint32_t, std::string (*)()> names;
};
// Constructed on first use: registrations run during static initialisation,
// in any order across translation units.
tag_registry& registry() {
    static tag_registry* r = new tag_registry;  // never destroyed: used until exit
    return *r;
}
}  // namespace

bool register_type_tag(std::uint32_t tag, std::string (*name)()) noexcept {
    try {
        tag_registry& r = registry();
        std::lock_guard lock(r.mutex);
        r.names.emplace(tag, name);
    } catch (...) {  // out of memory at start-up: the type goes unnamed in messages
    }
    return true;
}

std::string name_of_tag(std::uint32_t tag) {
    std::string (*name)() = nullptr;
    {
        tag_registry& r = registry();
        std::lock_guard lock(r.mutex);
        auto found = r.names.find(tag);
        if (found != r.names.end()) name = found->second;
    }
    if (name) return name();
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", tag);
    return std::string("a type with tag ") + hex + " (not sent or received by this program)";
}

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
