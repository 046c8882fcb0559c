// Must not compile: Connection::recv of a container of views.
#include <mproc/connection.hpp>

#include <string_view>
#include <vector>

int main() {
    auto [a, b] = mproc::Pipe();
    auto words = b.recv<std::vector<std::string_view>>();
    return static_cast<int>(words.size());
}
