// Must not compile: a serialize() that writes a pointer member, on the
// sending side (loads_pointer.cpp is the receiving side).
#include <mproc/codec.hpp>

#include <vector>

struct Node {
    int value = 0;
    Node* next = nullptr;
    template <class Archive>
    void serialize(Archive& ar, unsigned) {
        ar & value & next;
    }
};

int main() {
    return static_cast<int>(mproc::dumps(std::vector<Node>(2)).size());
}
