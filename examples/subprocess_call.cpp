// The seed's subprocess.call example:
//
//     print('$ nslookup www.python.org')
//     r = subprocess.call(('nslookup', 'www.python.org'))
//     print('Exit code:', r)
//
// nslookup needs a network (and the dnsutils package); this twin looks a name
// up with `getent hosts localhost`, a local program present on every Debian
// machine that answers from /etc/hosts.
#include <mproc/mproc.hpp>

#include <cstdio>

namespace sp = mproc::subprocess;

int main() {
    std::printf("$ getent hosts localhost\n");
    std::fflush(stdout);  // the child writes to the same stdout: keep the order
    int r = sp::call({"getent", "hosts", "localhost"});
    std::printf("Exit code: %d\n", r);
    return 0;
}
