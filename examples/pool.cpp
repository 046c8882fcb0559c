// The seed's multiprocessing.Pool example:
//
//     from multiprocessing import Pool
//     import os, time, random
//
//     def long_time_task(name):
//         print('Run task %s (%s)...' % (name, os.getpid()))
//         start = time.time()
//         time.sleep(random.random() * 3)
//         end = time.time()
//         print('Task %s runs %.2f seconds. ' % (name, (end - start)))
//
//     def main():
//         print('Parent process %s.' % os.getpid())
//         # Pool的默认大小是CPU的核数
//         p = Pool(4)
//         for i in range(5):
//             p.apply_async(long_time_task, args=('task %d' % i, ))
//         print('Waiting for all subprocesses done...')
//
//         # 调用join之前必须调用close, 调用close后就不能继续添加process了
//         p.close()
//         p.join()
//
//         print('All subprocesses done.')
//
//     main()
//
// Task 4 waits until one of the first four is done (4 workers).
#include <mproc/mproc.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

namespace mp = mproc;

void long_time_task(std::string name) {
    std::printf("Run task %s (%d)...\n", name.c_str(), mp::os::getpid());
    std::fflush(stdout);  // the worker lives on: show the line now
    auto start = std::chrono::steady_clock::now();
    std::mt19937 random(std::random_device{}());
    std::this_thread::sleep_for(std::chrono::duration<double>(std::uniform_real_distribution<double>(0, 3)(random)));
    auto end = std::chrono::steady_clock::now();
    std::printf("Task %s runs %.2f seconds. \n", name.c_str(), std::chrono::duration<double>(end - start).count());
    std::fflush(stdout);
}

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);  // lets the spawn and forkserver start methods re-enter this program

    std::printf("Parent process %d.\n", mp::os::getpid());
    // The default size of a Pool is the number of CPUs.
    mp::Pool p(4);
    for (int i = 0; i < 5; ++i) p.apply_async(long_time_task, "task " + std::to_string(i));
    std::printf("Waiting for all subprocesses done...\n");
    std::fflush(stdout);

    // close() must come before join(); after close() no task can be added.
    p.close();
    p.join();

    std::printf("All subprocesses done.\n");
    return 0;
}
