#!/usr/bin/env python3
"""Python's multiprocessing.Process doing the work of bench/bench_process.cpp.

Start + join of an empty target per start method; same groups, same output
format (one JSON object per line, "impl": "python", starts/s); each value is
the median of the rounds. Standard library only.
"""
import multiprocessing
import statistics
import sys
import time

from _common import report, rounds


def empty_target():
    pass


def starts_per_second(ctx, n):
    start = time.perf_counter()
    for _ in range(n):
        p = ctx.Process(target=empty_target)
        p.start()
        p.join()
        if p.exitcode != 0:
            raise RuntimeError("a child failed")
    return n / (time.perf_counter() - start)


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""  # run only the groups starting with it
    # Spawned children are whole Python interpreters: fewer starts per round.
    for method, n in (("fork", 200), ("spawn", 10), ("forkserver", 100)):
        group = f"process.{method}"
        if not group.startswith(only):
            continue
        ctx = multiprocessing.get_context(method)
        starts_per_second(ctx, 2)  # warm-up (starts the fork server)
        values = [starts_per_second(ctx, n) for _ in range(rounds(7))]
        report(group, statistics.median(values), "starts/s")


if __name__ == "__main__":
    main()
