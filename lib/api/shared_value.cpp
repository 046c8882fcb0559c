// The byte-level cores of Value, RawValue, Array and RawArray over their
// shared-memory blocks (lib/sync/shared_value.hpp).
#include <mproc/shared_value.hpp>

#include "sync/shared_value.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mproc::detail {

namespace {

// The block's bytes for `n` elements, checked before any arithmetic can wrap:
// no object may be larger than PTRDIFF_MAX bytes (pointer differences).
std::size_t checked_array_bytes(std::size_t size, std::size_t align, std::size_t n) {
    const std::size_t overhead = sync::array_block_bytes(size, align, 0);
    if (n > (static_cast<std::size_t>(PTRDIFF_MAX) - overhead) / size)
        throw std::length_error("mproc::Array: " + std::to_string(n) + " elements of " + std::to_string(size) +
                                " bytes are more than memory can hold (Python: OverflowError)");
    return sync::array_block_bytes(size, align, n);
}

}  // namespace

value_core::value_core(std::size_t size, std::size_t align, const void* init)
    : block_(shared_kind::value, sync::value_block_bytes(size, align), align) {
    if (void* p = block_.get()) sync::value_init(p, size, align, init);
}

void value_core::load(void* out) const { sync::value_load(block_.checked(), out); }
void value_core::store(const void* in) { sync::value_store(block_.checked(), in); }

array_core::array_core(std::size_t size, std::size_t align, std::size_t n, const void* init)
    : block_(shared_kind::array, checked_array_bytes(size, align, n), align) {
    if (void* p = block_.get()) sync::array_init(p, size, align, n, init);
}

void* array_core::data() const {
    void* p = block_.get();
    return p ? sync::array_data(p) : nullptr;
}
std::size_t array_core::size() const {
    const void* p = block_.get();
    return p ? sync::array_size(p) : 0;
}
void array_core::load(std::size_t i, void* out) { sync::array_load(block_.checked(), i, out); }
void array_core::store(std::size_t i, const void* in) { sync::array_store(block_.checked(), i, in); }

}  // namespace mproc::detail
