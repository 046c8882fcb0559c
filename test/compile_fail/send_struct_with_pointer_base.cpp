// Must not compile: Connection::send of an aggregate whose base holds a pointer.
#include <mproc/connection.hpp>

struct Base {
    char* name = nullptr;
};
struct Message : Base {
    int value = 0;
};

int main() {
    auto [a, b] = mproc::Pipe();
    a.send(Message{});
}
