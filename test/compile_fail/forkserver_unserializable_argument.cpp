// Must not compile: a context typed as forkserver refuses an argument type
// with no Boost.Serialization serialize().
#include <mproc/mproc.hpp>

#include <vector>

struct Opaque {
    int value = 0;
};

void consume(std::vector<Opaque>) {}

int main() {
    auto p = mproc::get_context<mproc::forkserver>().Process(consume, std::vector<Opaque>{});
    (void)p;
}
