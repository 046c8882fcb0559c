// The seed's multiprocessing.Process example:
//
//     from multiprocessing import Process
//     import os
//
//     def run_proc(name):
//         print('Run child process %s (%s)' % (name, os.getpid()))
//
//     def main():
//         print('Parent process %s.' % os.getpid())
//         p = Process(target=run_proc, args=('test', ))
//         print('Child process will start.')
//         p.start()
//         p.join()
//         print('Child process ends.')
//
//     main()
#include <mproc/mproc.hpp>

#include <cstdio>
#include <string>

namespace mp = mproc;

void run_proc(std::string name) { std::printf("Run child process %s (%d)\n", name.c_str(), mp::os::getpid()); }

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);  // lets the spawn and forkserver start methods re-enter this program

    std::printf("Parent process %d.\n", mp::os::getpid());
    mp::Process p(run_proc, std::string("test"));
    std::printf("Child process will start.\n");
    p.start();
    p.join();
    std::printf("Child process ends.\n");
    return 0;
}
