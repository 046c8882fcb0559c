// Must not compile: a trivially copyable class with private members and no
// serialize(): mproc cannot see whether it holds a pointer (this one does).
#include <mproc/connection.hpp>

class Handle {
public:
    explicit Handle(int* target) : target_(target) {}

private:
    int* target_;
};

int main() {
    int x = 0;
    auto [a, b] = mproc::Pipe();
    a.send(Handle(&x));
}
