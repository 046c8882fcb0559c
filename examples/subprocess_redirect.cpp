// The seed's redirection of a child's stdout and stderr to files:
//
//     out = open('out.txt', 'wb')
//     err = open('err.txt', 'wb')
//     p = subprocess.Popen(['ls', '-l'], stdout=out, stderr=err)
//     print('Done with code', p.returncode)    # None: the child is still running
//     print(out.tell()); out.flush(); print(out.tell()); print(out.tell())
//     time.sleep(1)
//     print(out.tell())                         # the child's output has landed
//     for file in ['out.txt', 'err.txt']: print('Reading %s' % file); print(open(file).read())
//
// The child writes through the same open file as the parent, so the parent's
// position (tell) moves once the child has written: 0 right after Popen, the
// size of `ls -l`'s output a second later (the child starts ls after 0.3 s:
// see main).
#include <mproc/mproc.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace sp = mproc::subprocess;
using namespace std::chrono_literals;

namespace {

// Python's print of an Optional[int]: the number, or None.
std::string show(std::optional<int> code) { return code ? std::to_string(*code) : "None"; }

}  // namespace

int main() {
    std::printf("$ ls -l\n");

    std::FILE* out = std::fopen("out.txt", "wb");
    std::FILE* err = std::fopen("err.txt", "wb");
    if (!out || !err) {
        std::perror("fopen");
        return 1;
    }

    // In the seed, `ls -l` had written nothing yet when the parent looked right
    // after Popen. A local ls is quicker than that and often has (then every
    // tell() below prints the same number): the child waits 0.3 s before
    // running it, so the first three show 0 and the one after the sleep shows
    // the output landed, as in the seed, every time.
    sp::Popen p({"sh", "-c", "sleep 0.3; exec ls -l"}, {.std_out = out, .std_err = err});
    std::printf("Done with code %s\n", show(p.returncode()).c_str());

    std::printf("%ld\n", std::ftell(out));
    std::fflush(out);
    std::printf("%ld\n", std::ftell(out));
    std::printf("%ld\n", std::ftell(out));

    std::this_thread::sleep_for(1s);
    std::printf("%ld\n", std::ftell(out));
    p.wait();  // unlike the Python snippet, reap the child before reading (it has long finished)
    std::fclose(out);
    std::fclose(err);

    for (const char* file : {"out.txt", "err.txt"}) {
        std::printf("Reading %s\n", file);
        std::ifstream in(file, std::ios::binary);
        std::stringstream c;
        c << in.rdbuf();
        std::printf("%s\n", c.str().c_str());
    }
    return 0;
}
