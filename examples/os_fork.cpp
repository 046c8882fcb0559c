// The seed's os.fork example:
//
//     pid = os.fork()
//     print('Process (%s) start...' % os.getpid())
//     if pid == 0:
//         print('I am the child process (%d), created by the process (%d)' % (os.getpid(), os.getppid()))
//     else:
//         print('I am the parent process (%d), spawn a child process (%d)' % (os.getpid(), pid))
#include <mproc/mproc.hpp>

#include <cstdio>
#include <sys/wait.h>

namespace mp = mproc;

int main() {
    pid_t pid = mp::os::fork();

    std::printf("Process (%d) start...\n", mp::os::getpid());

    if (pid == 0) {
        std::printf("I am the child process (%d), created by the process (%d)\n", mp::os::getpid(),
                    mp::os::getppid());
    } else {
        std::printf("I am the parent process (%d), spawn a child process (%d)\n", mp::os::getpid(), pid);
        std::fflush(stdout);
        // Unlike the Python snippet, wait for the child so the demo's output is complete
        // when it returns (and no zombie is left behind).
        ::waitpid(pid, nullptr, 0);
    }
    return 0;
}
