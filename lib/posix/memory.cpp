#include "posix/memory.hpp"

#include <cstdint>
#include <sys/mman.h>

namespace mproc::posix {

void advise_huge_pages(void* p, std::size_t len) noexcept {
#ifdef MADV_HUGEPAGE
    constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t first = (start + huge - 1) & ~(huge - 1);
    const std::uintptr_t last = (start + len) & ~(huge - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}

}  // namespace mproc::posix
