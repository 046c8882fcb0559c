// Must not compile: an array of pointers is trivially copyable, yet mproc
// never decodes pointers from the wire, so it must not take the memcpy path.
#include <mproc/codec.hpp>

#include <array>

int main() {
    auto ptrs = mproc::loads<std::array<int*, 2>>("");
    return ptrs[0] != nullptr;
}
