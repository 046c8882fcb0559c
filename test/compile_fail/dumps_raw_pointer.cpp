// Must not compile: sending a raw pointer would send an address, not a value.
#include <mproc/codec.hpp>

int main() {
    int x = 1;
    return static_cast<int>(mproc::dumps(&x).size());
}
