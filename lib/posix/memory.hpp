// Hints to the kernel about memory we own.
#pragma once

#include <cstddef>

namespace mproc::posix {

/// Best effort: asks for transparent huge pages over the 2 MiB-aligned part of
/// [p, p + len) (madvise MADV_HUGEPAGE), so filling a large fresh buffer
/// takes a few hundred page faults instead of tens of thousands. Does
/// nothing where the kernel has THP disabled.
void advise_huge_pages(void* p, std::size_t len) noexcept;

}  // namespace mproc::posix
