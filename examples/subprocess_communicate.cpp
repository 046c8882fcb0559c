// The seed's Popen + communicate example, feeding commands to a program's stdin:
//
//     print('$ nslookup')
//     p = subprocess.Popen(['nslookup'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
//     output, err = p.communicate(b'set q=mx\npython.org\nexit\n')
//     print(output.decode('utf-8'))
//     print(err.decode('utf-8'))
//     print('Exit code:', p.returncode)
//
// nslookup needs a network and is not installed on every machine; `sh` is, and
// reads commands from stdin the same way (its last command, `exit`, ends it
// as in the seed). The lookup it runs is a local one.
#include <mproc/mproc.hpp>

#include <cstdio>

namespace sp = mproc::subprocess;

int main() {
    std::printf("$ sh\n");
    sp::Popen p({"sh"}, {.std_in = sp::PIPE, .std_out = sp::PIPE, .std_err = sp::PIPE});
    auto [output, err] = p.communicate("echo 'lookup of localhost:'\ngetent hosts localhost\nexit\n");
    std::printf("%s\n", output.c_str());
    std::printf("%s\n", err.c_str());
    std::printf("Exit code: %d\n", *p.returncode());
    return 0;
}
