// Writes the seed corpora for the fuzz harnesses: make_seeds FRAME_DIR LOADS_DIR.
// Frame seeds are small valid streams; loads seeds are each sample value of
// loads_types.hpp behind its type byte, and a stream of typed frames.
#include "codec/frame.hpp"
#include "loads_types.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

namespace {

void write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string encode(mproc::frame::kind k, const std::string& payload, std::uint32_t tag = 0) {
    unsigned char h[mproc::frame::max_header_size];
    const std::size_t n = mproc::frame::encode_header(k, payload.size(), h, tag);
    return std::string(reinterpret_cast<char*>(h), n) + payload;
}

template <std::size_t... I>
void write_loads_seeds(const std::string& dir, std::index_sequence<I...>) {
    const auto samples = fuzz::loads_samples();
    ((write(dir + "/type" + std::to_string(I), std::string(1, static_cast<char>(I)) +
                                                   mproc::dumps(std::get<I>(samples)))),
     ...);
    // Typed frames: after the byte past the last type, every sample in an
    // object frame tagged with its type, then a bytes frame.
    std::string stream(1, static_cast<char>(sizeof...(I)));
    ((stream += encode(mproc::frame::kind::object, mproc::dumps(std::get<I>(samples)),
                       mproc::detail::type_tag<std::tuple_element_t<I, fuzz::loads_types>>)),
     ...);
    stream += encode(mproc::frame::kind::bytes, "raw");
    write(dir + "/frames", stream);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_seeds FRAME_DIR LOADS_DIR\n");
        return 2;
    }
    using mproc::frame::kind;
    const std::string frames = argv[1];
    write(frames + "/one", encode(kind::bytes, "payload"));
    write(frames + "/empty", encode(kind::object, ""));
    write(frames + "/tagged", encode(kind::object, mproc::dumps(1.5), mproc::detail::type_tag<double>));
    write(frames + "/stream", encode(kind::object, mproc::dumps(std::string("abc")), mproc::detail::type_tag<std::string>) +
                                  encode(kind::bytes, "xyz") +
                                  encode(kind::bytes, std::string(300, 'z')));
    write(frames + "/partial", encode(kind::bytes, "cut short").substr(0, 15));
    write_loads_seeds(argv[2], std::make_index_sequence<std::tuple_size_v<fuzz::loads_types>>{});
    return 0;
}
