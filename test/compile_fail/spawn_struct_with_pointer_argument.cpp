// Must not compile: the spawn argument check applies the codec's rule (one
// rule): a struct whose bytes hold a pointer cannot cross to a spawned child.
#include <mproc/mproc.hpp>

struct Config {
    int level = 0;
    const char* path = nullptr;
};

void consume(Config) {}

int main() {
    auto p = mproc::get_context<mproc::spawn>().Process(consume, Config{});
    (void)p;
}
