/// Finding a function again in a child that re-executed the program (spawn,
/// forkserver): a code address is sent as (module, offset), checked against
/// the module's identity (its GNU build-id, else its file's identity), so a
/// binary or library replaced on disk is refused instead of jumping into the
/// wrong code.
#pragma once

#include <cstdint>
#include <string>

namespace mproc::detail {

struct code_ref {
    std::string module;     // "" for the main executable, else the loaded library's path
    std::string module_id;  // build-id bytes, or "file:" + device/inode/size/mtime
    std::uint64_t offset = 0;

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & module & module_id & offset;
    }
};

/// The reference of code at `address` in this process. Throws
/// mproc::ProcessError when no loaded module contains it.
code_ref locate_code(const void* address);

/// The address `ref` denotes in this process (loading the library if needed).
/// Throws mproc::ProcessError when the module is missing, is not the same file
/// as in the parent, or the offset is not code.
const void* resolve_code(const code_ref& ref);

template <class R, class... A>
code_ref locate_function(R (*function)(A...)) {
    return locate_code(reinterpret_cast<const void*>(function));
}

template <class Fn>
Fn resolve_function(const code_ref& ref) {
    return reinterpret_cast<Fn>(const_cast<void*>(resolve_code(ref)));
}

}  // namespace mproc::detail
