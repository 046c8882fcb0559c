// Must not compile: a std::span decoded from the wire would point into
// another process's memory (receive a std::vector).
#include <mproc/codec.hpp>

#include <span>

int main() {
    auto values = mproc::loads<std::span<const int>>("");
    return static_cast<int>(values.size());
}
