// Must not compile: a serialize() that writes a std::string_view member
// (mproc's archives refuse views wherever they appear).
#include <mproc/codec.hpp>

#include <string>
#include <string_view>

struct Record {
    std::string owner;
    std::string_view name;
    template <class Archive>
    void serialize(Archive& ar, unsigned) {
        ar & owner & name;
    }
};

int main() {
    return static_cast<int>(mproc::dumps(Record{}).size());
}
