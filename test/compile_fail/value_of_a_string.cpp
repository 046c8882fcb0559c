// Must not compile: a Value's bytes live in shared memory and are copied as
// bytes, so T must be trivially copyable (a std::string would share a pointer
// into one process's heap).
#include <mproc/shared_value.hpp>

#include <string>

int main() {
    mproc::Value<std::string> v;
    return static_cast<int>(v.value().size());
}
