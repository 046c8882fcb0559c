#include "api/default_start_method.hpp"
#include "start/default_method.hpp"

#include <mproc/context.hpp>

#include <ostream>
#include <stdexcept>
#include <string>

namespace mproc {

namespace {

start_method parse(std::string_view name) {
    if (name == "fork") return start_method::fork;
    if (name == "spawn") return start_method::spawn;
    if (name == "forkserver") return start_method::forkserver;
    throw std::invalid_argument("unknown start method '" + std::string(name) +
                                "': use \"fork\", \"spawn\" or \"forkserver\"");
}

}  // namespace

namespace detail {

start_method default_start_method() { return start::choose_method_if_unset(start_method::fork); }

}  // namespace detail

std::ostream& operator<<(std::ostream& out, start_method method) { return out << to_string(method); }

Context get_context(std::string_view method) { return Context(parse(method)); }

Context get_context(start_method method) noexcept { return Context(method); }

Context get_context() { return Context(detail::default_start_method()); }

void set_start_method(std::string_view method, bool force) { set_start_method(parse(method), force); }

void set_start_method(start_method method, bool force) {
    if (!start::set_default_method(method, force))
        throw ProcessError("set_start_method: the start method has already been set (or used); pass force = true");
}

std::string_view get_start_method() { return to_string(detail::default_start_method()); }

std::vector<std::string> get_all_start_methods() { return {"fork", "spawn", "forkserver"}; }

}  // namespace mproc
