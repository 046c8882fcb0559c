// How much more address space this process may map: RLIMIT_AS (`ulimit -v`)
// less what is mapped now. A shared-memory reservation is sized from it, so
// it never takes a large share of a limited budget.
#pragma once

#include <cstddef>

namespace mproc::posix {

/// Bytes this process may still map before RLIMIT_AS refuses (0 when it is
/// already over; the whole limit when /proc cannot be read); SIZE_MAX when
/// there is no limit.
std::size_t address_space_left() noexcept;

}  // namespace mproc::posix
