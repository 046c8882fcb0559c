// (module, offset) references to code, checked against the module's identity.
// The main executable is the first object dl_iterate_phdr reports (its name
// differs between parent and child, so it is sent as ""); libraries are
// found again by the path they were loaded from.
#include "posix/open.hpp"

#include <mproc/detail/start/code_ref.hpp>
#include <mproc/errors.hpp>

#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string_view>
#include <utility>

namespace mproc::detail {

namespace {

std::string_view build_id(const dl_phdr_info& info) {
    for (int i = 0; i < info.dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info.dlpi_phdr[i];
        if (ph.p_type != PT_NOTE) continue;
        const char* p = reinterpret_cast<const char*>(info.dlpi_addr + ph.p_vaddr);
        const char* end = p + ph.p_memsz;
        auto align4 = [](std::size_t n) { return (n + 3) & ~std::size_t{3}; };
        while (end - p >= static_cast<std::ptrdiff_t>(sizeof(ElfW(Nhdr)))) {
            ElfW(Nhdr) note;
            std::memcpy(&note, p, sizeof note);
            const char* name = p + sizeof note;
            const char* desc = name + align4(note.n_namesz);
            const char* next = desc + align4(note.n_descsz);
            if (next > end) break;
            if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0)
                return {desc, note.n_descsz};
            p = next;
        }
    }
    return {};
}

std::string identity(const dl_phdr_info& info, bool main_program) {
    std::string_view id = build_id(info);
    if (!id.empty()) return "build-id:" + std::string(id);
    return posix::file_identity(main_program ? "/proc/self/exe" : info.dlpi_name);
}

bool in_segment(const dl_phdr_info& info, std::uintptr_t address, bool code_only) {
    for (int i = 0; i < info.dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info.dlpi_phdr[i];
        if (ph.p_type != PT_LOAD || (code_only && !(ph.p_flags & PF_X))) continue;
        const std::uintptr_t start = info.dlpi_addr + ph.p_vaddr;
        if (address >= start && address < start + ph.p_memsz) return true;
    }
    return false;
}

struct locate_search {
    std::uintptr_t address;
    bool first = true;
    bool found = false;
    code_ref ref;
};

int locate_one(dl_phdr_info* info, std::size_t, void* data) {
    auto& search = *static_cast<locate_search*>(data);
    const bool main_program = std::exchange(search.first, false);
    if (!in_segment(*info, search.address, false)) return 0;
    search.found = true;
    search.ref.module = main_program ? "" : info->dlpi_name;
    search.ref.module_id = identity(*info, main_program);
    search.ref.offset = search.address - info->dlpi_addr;
    return 1;
}

struct resolve_search {
    const code_ref* ref;
    bool first = true;
    bool found = false;
    std::string module_id;
    std::uintptr_t address = 0;
    bool is_code = false;
};

int resolve_one(dl_phdr_info* info, std::size_t, void* data) {
    auto& search = *static_cast<resolve_search*>(data);
    const bool main_program = std::exchange(search.first, false);
    if (main_program != search.ref->module.empty()) return 0;
    if (!main_program && search.ref->module != info->dlpi_name) return 0;
    search.found = true;
    search.module_id = identity(*info, main_program);
    search.address = info->dlpi_addr + search.ref->offset;
    search.is_code = in_segment(*info, search.address, true);
    return 1;
}

std::string module_label(const code_ref& ref) { return ref.module.empty() ? "the program" : ref.module; }

}  // namespace

code_ref locate_code(const void* address) {
    locate_search search{reinterpret_cast<std::uintptr_t>(address)};
    ::dl_iterate_phdr(locate_one, &search);
    if (!search.found) throw ProcessError("cannot locate the target's code in any loaded module");
    return search.ref;
}

const void* resolve_code(const code_ref& ref) {
    resolve_search search{&ref};
    ::dl_iterate_phdr(resolve_one, &search);
    if (!search.found && !ref.module.empty()) {
        // Loaded at run time in the parent: load it here too (never unloaded).
        if (::dlopen(ref.module.c_str(), RTLD_NOW | RTLD_LOCAL)) {
            search = resolve_search{&ref};
            ::dl_iterate_phdr(resolve_one, &search);
        }
    }
    if (!search.found) throw ProcessError("the target's module " + ref.module + " cannot be loaded in the child");
    if (search.module_id != ref.module_id)
        throw ProcessError(module_label(ref) +
                           " is not the same file the parent runs (it was replaced on disk since the parent "
                           "started): the child cannot find its target");
    if (!search.is_code) throw ProcessError("the target's code reference does not point into " + module_label(ref));
    return reinterpret_cast<const void*>(search.address);
}

}  // namespace mproc::detail
