// Must not compile: a Pool task that captures (workers are long-lived
// processes: the captures would be a stale copy; pass them as arguments).
#include <mproc/mproc.hpp>

int main() {
    mproc::Pool pool(1);
    int offset = 1;
    return pool.apply([offset](int x) { return x + offset; }, 2);
}
