// Heap stress: a process allocating and freeing in the arena's heap (random
// sizes, some large enough to grow the file, some 4 KiB-aligned) is SIGKILLed
// at a random instant, again and again; after each kill the harness checks
// that the heap walks cleanly, still allocates, and that every byte in use
// is owned (test/support/heap_kills.hpp).
//
//     stress_heap [SECONDS [KILLS]]      (defaults 30 and 100000: whichever ends first)
//
// Prints kills (and how many left an operation open, rolled back by the next
// locker), allocations, frees, leaked bytes, refusals. Exits 1 on a leaked
// byte, a refusal, or a child that stopped on its own.
#include "support/heap_kills.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 30.0;
    const long kills = argc > 2 ? std::atol(argv[2]) : 100000;
    const test_support::heap_kill_figures f = test_support::kill_heap_users(seconds, kills);
    std::printf("stress_heap: kills %ld (mid-operation %ld), allocations %ld, frees %ld, leaked bytes %lld, "
                "refusals %ld, children failed %ld\n",
                f.kills, f.mid_operation, f.allocations, f.frees, f.leaked_bytes, f.refusals, f.failed_children);
    const bool ok = f.leaked_bytes == 0 && f.refusals == 0 && f.failed_children == 0 && f.kills > 0;
    std::printf("stress_heap: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
