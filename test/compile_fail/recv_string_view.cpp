// Must not compile: Connection::recv of a view (its bytes would be an
// address and a length in the sender's memory; receive a std::string).
#include <mproc/connection.hpp>

#include <string_view>

int main() {
    auto [a, b] = mproc::Pipe();
    auto word = b.recv<std::string_view>();
    return static_cast<int>(word.size());
}
