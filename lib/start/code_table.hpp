// The code table's other half (code_id and code_address are in
// <mproc/detail/start/task.hpp>): a sender numbers each entry and function-pointer
// target the first time a task uses it, locating it once, and sends its
// code_ref once per receiver; the receiver resolves it once and keeps the
// address by id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mproc::detail {

/// The encoded code_ref of id `id` (registered by code_id in this process).
std::string definition(std::uint32_t id);

/// In a receiver: resolves the encoded code_ref `ref` and records it as `id`
/// (or why it cannot be resolved: code_address(id) then throws that).
/// Called by the receiver's one thread, before the tasks that use `id`.
void define(std::uint32_t id, std::string_view ref);

}  // namespace mproc::detail
