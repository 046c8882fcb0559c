// The seed's simplest way to get a program's output and errors:
//
//     print('$ ls -l')
//     p = subprocess.Popen(['ls', '-l'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
//     output, err = p.communicate(b'')
//     print(output.decode('utf-8'))
//     print(err.decode('utf-8'))
//     print('Exit code:', p.returncode)
#include <mproc/mproc.hpp>

#include <cstdio>

namespace sp = mproc::subprocess;

int main() {
    std::printf("$ ls -l\n");
    sp::Popen p({"ls", "-l"}, {.std_in = sp::PIPE, .std_out = sp::PIPE, .std_err = sp::PIPE});
    auto [output, err] = p.communicate("");
    std::printf("%s\n", output.c_str());
    std::printf("%s\n", err.c_str());
    std::printf("Exit code: %d\n", *p.returncode());
    return 0;
}
