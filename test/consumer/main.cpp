// A consumer of the mproc library: one value through the codec, one through a
// Pipe to a forked child and back. Prints one line the test compares.
#include <mproc/mproc.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

int main() {
    using table = std::map<std::string, std::vector<int>>;
    const table sent{{"primes", {2, 3, 5, 7}}, {"squares", {1, 4, 9}}};
    const auto decoded = mproc::loads<table>(mproc::dumps(sent));

    auto [parent, child] = mproc::Pipe();
    const pid_t pid = mproc::os::fork();
    if (pid == 0) {
        // Child: sum every list it receives and send the total back.
        int total = 0;
        for (const auto& [name, xs] : child.recv<table>())
            for (int x : xs) total += x;
        child.send(total);
        _exit(0);
    }
    parent.send(decoded);
    const int total = parent.recv<int>();
    int status = 0;
    waitpid(pid, &status, 0);

    std::printf("consumer: %zu lists, total %d, child exit %d\n", decoded.size(), total,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return decoded == sent && total == 31 ? 0 : 1;
}
