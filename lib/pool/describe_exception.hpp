// The exception being handled, as text: its dynamic type's name and what().
// (lib/start/child_entry.cpp prints the same for a Process target; this one
// returns it, for RemoteError.)
#pragma once

#include <string>
#include <utility>

namespace mproc::detail::pool {

/// {type name, what()} of the exception currently being handled (call from
/// a catch block); what() is empty for a type not derived from std::exception.
std::pair<std::string, std::string> describe_current_exception() noexcept;

}  // namespace mproc::detail::pool
