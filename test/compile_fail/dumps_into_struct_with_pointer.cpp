// Must not compile: a trivially copyable struct whose bytes hold a pointer,
// here in a nested member, would reach the other process as an address.
#include <mproc/codec.hpp>

#include <string>

struct Inner {
    int size = 0;
    const double* values = nullptr;
};
struct Outer {
    int id = 0;
    Inner inner;
};

int main() {
    std::string out;
    mproc::dumps_into(out, Outer{});
    return static_cast<int>(out.size());
}
