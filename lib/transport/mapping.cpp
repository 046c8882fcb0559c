#include "transport/mapping.hpp"

#include "posix/address_space.hpp"

#include <mproc/errors.hpp>

#include <algorithm>
#include <new>
#include <random>
#include <system_error>

namespace mproc::transport {

namespace {

constexpr std::uint64_t arena_magic = 0x616e657261636f72ULL;  // "mproc arena"

std::uint64_t random_id() {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
}

// The reservation a new arena tries first: 1 TiB of address space (it costs
// no memory), but never more than an eighth of what RLIMIT_AS still allows
// (`ulimit -v`: a Lock must not take the budget of the program's own
// allocations; under a 2 GiB limit that is about 256 MiB). Failing that, a
// quarter as much, down to least_reserve.
constexpr std::size_t least_reserve = std::size_t{16} << 20;

std::size_t first_reserve(std::size_t alignment) noexcept {
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer leaves about 1.5 TiB of application address space: a
    // spawned child often could not map the creator's 1 TiB again.
    constexpr std::size_t most = std::size_t{64} << 30;
#else
    constexpr std::size_t most = std::size_t{1} << 40;
#endif
    const std::size_t share = posix::address_space_left() / 8 & ~(alignment - 1);
    return std::max(std::min(most, share), least_reserve);
}

}  // namespace

arena_mapping::arena_mapping(posix::unique_fd fd, posix::memfd_mapping map) noexcept
    : fd_(std::move(fd)), map_(std::move(map)) {}

arena_mapping arena_mapping::create(std::size_t initial, std::size_t alignment) {
    posix::unique_fd fd = posix::memfd_create_sized("mproc-arena", initial);
    posix::memfd_mapping map;
    for (std::size_t reserve = first_reserve(alignment);; reserve /= 4) {
        try {
            map = posix::memfd_mapping(fd.get(), reserve, alignment);
            break;
        } catch (const std::system_error&) {
            if (reserve / 4 < least_reserve) throw;
        }
    }
    new (map.data()) mapping_header{arena_magic, random_id(), map.reserve(), initial};
    return arena_mapping(std::move(fd), std::move(map));
}

arena_mapping arena_mapping::attach(posix::unique_fd fd, std::uint64_t id, std::size_t reserve, std::size_t least,
                                    std::size_t alignment) {
    if (posix::file_size(fd.get()) < least) throw ProtocolError("a queue's shared memory is not an mproc arena");
    posix::memfd_mapping map(fd.get(), reserve, alignment);
    const auto* h = reinterpret_cast<const mapping_header*>(map.data());
    if (h->magic != arena_magic || h->id != id || h->reserve != reserve)
        throw ProtocolError("a queue's shared memory is not the mproc arena it claims to be");
    return arena_mapping(std::move(fd), std::move(map));
}

void arena_mapping::grow_file(std::size_t bytes) {
    if (bytes > reserve()) throw std::bad_alloc();
    posix::grow_file(fd_.get(), bytes);
}

std::size_t arena_mapping::kernel_bytes() const noexcept {
    try {
        return std::min(posix::file_size(fd_.get()), map_.reserve());
    } catch (const std::system_error&) {
        return 0;
    }
}

bool arena_mapping::holds(offset_t off, std::size_t bytes, std::size_t from) const noexcept {
    const std::size_t size = kernel_bytes();
    return off >= from && off <= size && bytes <= size - off;
}

}  // namespace mproc::transport
