// Must not compile: a std::string_view is a pointer and a length; sent as
// its bytes it would point into the sender's memory (send a std::string).
#include <mproc/codec.hpp>

#include <string_view>

int main() {
    std::string_view text = "hello";
    return static_cast<int>(mproc::dumps(text).size());
}
