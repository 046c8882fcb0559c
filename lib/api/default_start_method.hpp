// The default context's start method, shared by get_context() and
// Process::start() (defined in context.cpp).
#pragma once

#include <mproc/start_method.hpp>

namespace mproc::detail {

/// The start method set by set_start_method; the first use fixes it to fork,
/// as Python's default context does.
start_method default_start_method();

}  // namespace mproc::detail
