// Must not compile: a context typed as spawn refuses a pointer argument.
#include <mproc/mproc.hpp>

void consume(const int*) {}

int main() {
    static int value = 1;
    auto p = mproc::get_context<mproc::spawn>().Process(consume, &value);
    (void)p;
}
