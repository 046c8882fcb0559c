// Must not compile: a Pool task argument that cannot be serialized.
#include <mproc/mproc.hpp>

struct opaque {
    int value = 0;
};
int get(opaque o) { return o.value; }

int main() {
    mproc::Pool pool(1);
    return pool.apply(get, opaque{});
}
