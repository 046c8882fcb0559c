// Must not compile: a Pool task whose result cannot be serialized.
#include <mproc/mproc.hpp>

#include <string_view>

std::string_view name(int) { return "x"; }

int main() {
    mproc::Pool pool(1);
    auto r = pool.apply_async(name, 1);
    (void)r;
}
