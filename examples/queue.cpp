// The seed's multiprocessing.Queue example (processes talking through a queue):
//
//     from multiprocessing import Process, Queue
//     import os, time, random
//
//     def write(q):
//         print('Process to write: %s' % os.getpid())
//         for value in ['A', 'B', 'C']:
//             print('Put %s to quese...' % value)
//             q.put(value)
//             time.sleep(random.random() * 3)
//
//     def read(q):
//         print('Process to read: %s' % os.getpid())
//         while True:
//             value = q.get(True)
//             print('Get %s from queue.' % value)
//
//     def main():
//         q = Queue()
//         pw = Process(target=write, args=(q,))
//         pr = Process(target=read, args=(q,))
//         pw.start()
//         pr.start()
//         pw.join()
//         pr.terminate()
//
//     main()
// (write and read are write_proc and read_proc here: C has its own write and read.)
#include <mproc/mproc.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

namespace mp = mproc;

void write_proc(mp::Queue<std::string> q) {
    std::printf("Process to write: %d\n", mp::os::getpid());
    std::fflush(stdout);
    std::mt19937 rng(std::random_device{}());
    std::uniform_real_distribution<double> random(0.0, 1.0);
    for (std::string value : {"A", "B", "C"}) {
        std::printf("Put %s to quese...\n", value.c_str());
        std::fflush(stdout);
        q.put(value);
        std::this_thread::sleep_for(std::chrono::duration<double>(random(rng) * 3));
    }
}

void read_proc(mp::Queue<std::string> q) {
    std::printf("Process to read: %d\n", mp::os::getpid());
    std::fflush(stdout);
    for (;;) {
        std::string value = q.get();
        std::printf("Get %s from queue.\n", value.c_str());
        std::fflush(stdout);  // terminate() below gives no chance to flush later
    }
}

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);  // lets the spawn and forkserver start methods re-enter this program

    mp::Queue<std::string> q;
    mp::Process pw(write_proc, q);
    mp::Process pr(read_proc, q);
    pw.start();  // start the writer
    pr.start();  // start the reader
    pw.join();   // wait for the writer to end
    pr.terminate();  // the reader loops forever: stop it
    return 0;
}
