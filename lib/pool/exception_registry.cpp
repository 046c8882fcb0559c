#include "pool/exception_registry.hpp"

#include <mproc/detail/codec/type_name.hpp>
#include <mproc/errors.hpp>

#include <mutex>
#include <typeindex>
#include <unordered_map>
#include <vector>

namespace mproc::detail {

namespace {

struct registry {
    std::mutex mutex;
    std::unordered_map<std::type_index, exception_type_ops> by_type;
    std::unordered_map<std::string, exception_type_ops> by_name;
};

// Constructed on first use: registrations run during static initialisation,
// in any order across translation units.
registry& types() {
    static registry* r = new registry;  // never destroyed: used until exit
    return *r;
}

std::vector<exception_type_ops> all_registered() {
    registry& r = types();
    std::lock_guard lock(r.mutex);
    std::vector<exception_type_ops> out;
    out.reserve(r.by_type.size());
    for (const auto& [type, ops] : r.by_type) out.push_back(ops);
    return out;
}

std::string name_of(const exception_type_ops& ops) { return boost::core::demangle(ops.type->name()); }

// Whether every B is an A (B is A or derived from it), tried on a B built
// from an empty text.
bool is_a(const exception_type_ops& b, const exception_type_ops& a) {
    try {
        return a.catches(b.rebuild(std::string()));
    } catch (...) {
        return false;
    }
}

}  // namespace

bool register_exception_type(const exception_type_ops& ops) noexcept {
    try {
        registry& r = types();
        std::lock_guard lock(r.mutex);
        if (r.by_type.emplace(*ops.type, ops).second) r.by_name.emplace(name_of(ops), ops);
    } catch (...) {  // out of memory at start-up: the type comes back as its standard base
    }
    return true;
}

namespace pool {

std::string registered_type_of(const std::exception_ptr& e) {
    const std::vector<exception_type_ops> candidates = all_registered();
    const exception_type_ops* best = nullptr;
    for (const exception_type_ops& ops : candidates) {
        if (!ops.catches(e)) continue;
        if (!best || is_a(ops, *best)) best = &ops;
    }
    return best ? name_of(*best) : std::string();
}

std::exception_ptr rebuild_registered(const std::string& name, const std::string& what) noexcept {
    try {
        std::exception_ptr (*rebuild)(const std::string&) = nullptr;
        {
            registry& r = types();
            std::lock_guard lock(r.mutex);
            auto found = r.by_name.find(name);
            if (found == r.by_name.end()) return nullptr;
            rebuild = found->second.rebuild;
        }
        return rebuild(what);
    } catch (...) {
        return nullptr;
    }
}

}  // namespace pool
}  // namespace mproc::detail
