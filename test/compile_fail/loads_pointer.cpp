// Must not compile: mproc never decodes pointers from the wire, so receiving
// a type that holds a pointer is a compile error, not a crash at run time.
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
    auto nodes = mproc::loads<std::vector<Node>>("");
    return static_cast<int>(nodes.size());
}
