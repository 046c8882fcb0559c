// How many CPUs this process may run on.
#pragma once

namespace mproc::posix {

/// The number of CPUs in this process's scheduler affinity mask (at least 1);
/// the number of online CPUs when the mask cannot be read.
int usable_cpu_count() noexcept;

}  // namespace mproc::posix
