// The exception types registered with mproc::register_exception<T>(): which
// of them a task's exception is (in the worker), and building one again from
// its what() (in the parent). Types are known by their demangled names, the
// same in every process of the program.
#pragma once

#include <exception>
#include <string>

namespace mproc::detail::pool {

/// The name of the most derived registered type that `e` is (a T, or derived
/// from T), or "" when it is none of them.
std::string registered_type_of(const std::exception_ptr& e);

/// The registered type `name` built from `what` (what() kept), or nullptr when
/// this process has no such type registered or building it threw.
std::exception_ptr rebuild_registered(const std::string& name, const std::string& what) noexcept;

}  // namespace mproc::detail::pool
