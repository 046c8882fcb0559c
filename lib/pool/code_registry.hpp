// Pool-wide code ids: the parent numbers each entry and function-pointer
// target the first time a task uses it and sends its code_ref to a worker
// once; the worker resolves it once and keeps the address by id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mproc::detail::pool {

/// The encoded code_ref of id `id` (registered by code_id in this process).
std::string definition(std::uint32_t id);

/// In a worker: resolves the encoded code_ref `ref` and records it as `id`
/// (or why it cannot be resolved: code_address(id) then throws that).
void define(std::uint32_t id, std::string_view ref);

}  // namespace mproc::detail::pool
