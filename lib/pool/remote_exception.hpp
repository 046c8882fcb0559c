// A task's exception on its way from a worker to the parent: captured and
// encoded in the worker, rebuilt in the parent inside the RemoteError that
// get() throws (RemoteError::original<T>()).
//
// On the wire (the failure of a task or of the initializer, protocol.hpp):
//   text type, text what, text original
// type and what are the demangled type name and what() (empty for a value
// that is no std::exception); original holds what the parent needs to build
// the exception again:
//   u8 is_std_exception, text value (e.g. "an int (42)", when it is not one),
//   text registered type ("" if none), text nearest standard type,
//   u32 code value, text code category, text path1, text path2
#pragma once

#include <mproc/errors.hpp>

#include <string>
#include <string_view>
#include <sys/types.h>

namespace mproc::detail::pool {

/// In a worker, inside a catch block: appends the exception being handled.
void put_current_exception(std::string& out);

/// In the parent: the RemoteError for a failure a worker in process `pid`
/// sent. `result_not_sent`: the task ran but its result could not be encoded
/// (then nothing is rebuilt: the exception was not the task's). ProtocolError
/// when `failure` is malformed.
RemoteError remote_error(std::string_view failure, pid_t pid, bool result_not_sent);

}  // namespace mproc::detail::pool
