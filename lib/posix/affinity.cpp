#include "posix/affinity.hpp"

#include <cerrno>
#include <sched.h>
#include <unistd.h>

namespace mproc::posix {

int usable_cpu_count() noexcept {
    // The mask may be larger than cpu_set_t on big machines: grow until it fits.
    for (int ncpus = 1024; ncpus <= (1 << 20); ncpus *= 2) {
        cpu_set_t* set = CPU_ALLOC(ncpus);
        if (!set) break;
        const std::size_t size = CPU_ALLOC_SIZE(ncpus);
        CPU_ZERO_S(size, set);
        if (::sched_getaffinity(0, size, set) == 0) {
            int count = CPU_COUNT_S(size, set);
            CPU_FREE(set);
            return count > 0 ? count : 1;
        }
        int err = errno;
        CPU_FREE(set);
        if (err != EINVAL) break;
    }
    long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? static_cast<int>(online) : 1;
}

}  // namespace mproc::posix
