#!/usr/bin/env python3
"""Python's multiprocessing.Pool(2) doing the work of bench/bench_pool.cpp.

Same groups, same placement (the throughput groups unpinned; pool.apply with
the parent on the first allowed CPU and the workers on the second), same
output format ("impl": "python"); each value is the median of the rounds.
Standard library only.
"""
import multiprocessing
import os
import statistics
import sys
import time

from _common import quick, report, rounds

SCALE = 5 if quick() else 1

CPUS = sorted(os.sched_getaffinity(0))
PARENT_CPU = CPUS[0]
WORKER_CPU = CPUS[1] if len(CPUS) > 1 else CPUS[0]


def square(x):
    return x * x


def pin_worker():
    os.sched_setaffinity(0, {WORKER_CPU})


def pool2(ctx=None, **kwargs):
    pool = (ctx or multiprocessing.get_context("fork")).Pool(2, **kwargs)
    pool.map(square, range(1000), 1)  # warm: workers up
    return pool


def map_default():
    n = 1_000_000 // SCALE
    with pool2() as pool:
        start = time.perf_counter()
        ys = pool.map(square, range(n))
        s = time.perf_counter() - start
    assert len(ys) == n and ys[1000] == 1_000_000
    return n / s


def map_chunk1():
    n = 100_000 // SCALE
    with pool2() as pool:
        start = time.perf_counter()
        ys = pool.map(square, range(n), 1)
        s = time.perf_counter() - start
    assert len(ys) == n and ys[300] == 90000
    return n / s


def apply_async_all():
    n = 100_000 // SCALE
    with pool2() as pool:
        start = time.perf_counter()
        results = [pool.apply_async(square, (i,)) for i in range(n)]
        total = sum(r.get() for r in results)
        s = time.perf_counter() - start
    assert total > 0
    return n / s


def apply_roundtrip():
    n = 5000 // SCALE
    os.sched_setaffinity(0, {PARENT_CPU})
    try:
        with pool2(initializer=pin_worker) as pool:
            for _ in range(200):
                pool.apply(square, (3,))
            start = time.perf_counter()
            for _ in range(n):
                pool.apply(square, (3,))
            return (time.perf_counter() - start) * 1e6 / n
    finally:
        os.sched_setaffinity(0, set(CPUS))


def life(method):
    n = (2 if method == "spawn" else 4) if quick() else (5 if method == "spawn" else 20)
    ctx = multiprocessing.get_context(method)
    start = time.perf_counter()
    for _ in range(n):
        pool = ctx.Pool(2)
        ys = pool.map(square, [1, 2])
        assert ys[1] == 4
        pool.close()
        pool.join()
    return (time.perf_counter() - start) * 1e3 / n


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    n = rounds(5)
    groups = [  # the life groups first, as in bench_pool.cpp
        ("pool.life.fork", "ms/op", lambda: life("fork")),
        ("pool.life.spawn", "ms/op", lambda: life("spawn")),
        ("pool.map.default", "tasks/s", map_default),
        ("pool.map.chunk1", "tasks/s", map_chunk1),
        ("pool.apply_async", "tasks/s", apply_async_all),
        ("pool.apply", "us/op", apply_roundtrip),
    ]
    for group, unit, run in groups:
        if not group.startswith(only):
            continue
        note = (f"parent on CPU {PARENT_CPU}, workers on CPU {WORKER_CPU}" if group == "pool.apply"
                else f"parent and 2 workers unpinned (CPUs {','.join(map(str, CPUS))})")
        report(group, statistics.median(run() for _ in range(n)), unit, note=note)


if __name__ == "__main__":
    main()
