// Must not compile: a context typed as spawn refuses a capturing lambda.
#include <mproc/mproc.hpp>

int main() {
    int captured = 1;
    auto p = mproc::get_context<mproc::spawn>().Process([captured] { (void)captured; });
    (void)p;
}
