#!/usr/bin/env python3
"""The process pools a Python user would pick instead, on bench_pool.cpp's workloads.

    /usr/bin/python3 bench/py/bench_pool_peers.py [GROUP_PREFIX]

Contestants (the "impl" of each line): `concurrent_futures`
(ProcessPoolExecutor), `pebble` (ProcessPool), `billiard` (Celery's Pool) and
`joblib` (its loky reusable executor), each with 2 workers doing x*x, the same
groups and placement as bench_pool.cpp and bench_pool.py (Python's own Pool):
the throughput groups unpinned, pool.apply with the parent on the first
allowed CPU and the workers on the second. Each value is the median of the
rounds; a peer whose per-task path is slow gets fewer tasks (the rate is what
is compared). Needs Debian's python3-pebble, python3-billiard and
python3-joblib, importable by /usr/bin/python3 (build.sh installs them).
"""
import concurrent.futures
import math
import multiprocessing
import os
import statistics
import sys
import time

import billiard
import pebble
from joblib.externals import loky

from _common import quick, report, rounds, wanted
from _pool_tasks import CPUS, PARENT_CPU, WORKER_CPU, pin_worker, square

WORKERS = 2
MAP_ITEMS = 1_000_000


def pool_chunksize(n):
    """multiprocessing.Pool's default chunksize for n items: the same chunks for the peers that have no default."""
    return math.ceil(n / (WORKERS * 4))


class ConcurrentFutures:
    key = "concurrent_futures"
    start_methods = {"fork": "fork", "spawn": "spawn"}
    counts = {"chunk1": 20_000, "apply_async": 30_000}

    def make(self, method="fork", initializer=None):
        ctx = multiprocessing.get_context(method)
        return concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=ctx, initializer=initializer)

    def map(self, pool, items, chunksize):
        return list(pool.map(square, items, chunksize=chunksize))

    def submit(self, pool, x):
        return pool.submit(square, x)

    def get(self, future):
        return future.result()

    def close(self, pool):
        pool.shutdown(wait=True)


class Pebble(ConcurrentFutures):
    key = "pebble"
    counts = {"chunk1": 20_000, "apply_async": 30_000}

    def make(self, method="fork", initializer=None):
        return pebble.ProcessPool(WORKERS, initializer=initializer, context=multiprocessing.get_context(method))

    def map(self, pool, items, chunksize):
        return list(pool.map(square, items, chunksize=chunksize).result())

    def submit(self, pool, x):
        return pool.schedule(square, args=(x,))

    def close(self, pool):
        pool.close()
        pool.join()


class Billiard:
    key = "billiard"
    start_methods = {"fork": "fork", "spawn": "spawn"}
    counts = {"chunk1": 1_500, "apply_async": 30_000}  # its chunksize-1 map runs ~1k tasks/s

    def make(self, method="fork", initializer=None):
        return billiard.get_context(method).Pool(WORKERS, initializer=initializer)

    def map(self, pool, items, chunksize):
        return pool.map(square, items, chunksize)  # None: its own default, as multiprocessing.Pool

    def submit(self, pool, x):
        return pool.apply_async(square, (x,))

    def get(self, result):
        return result.get()

    def close(self, pool):
        pool.close()
        pool.join()


class Joblib(ConcurrentFutures):
    """loky's executor: its workers start with "loky" (fork + exec, like spawn); it does not support fork."""
    key = "joblib"
    start_methods = {"spawn": "loky"}
    counts = {"chunk1": 20_000, "apply_async": 30_000}

    def make(self, method="loky", initializer=None):
        ctx = loky.backend.context.get_context(method)
        return loky.ProcessPoolExecutor(WORKERS, context=ctx, initializer=initializer)

    def reusable(self, initializer=None):
        """What joblib users get: the reusable executor (kept across calls, like a warmed pool)."""
        return loky.get_reusable_executor(WORKERS, initializer=initializer, reuse=True)

    def close(self, pool):
        pool.shutdown(wait=True)


PEERS = [ConcurrentFutures(), Pebble(), Billiard(), Joblib()]


def life_count(method):
    return (2 if method == "spawn" else 4) if quick() else (5 if method == "spawn" else 20)


def scaled(n):
    return max(n // 5, 200) if quick() else n


def warm_pool(peer, initializer=None):
    pool = peer.reusable(initializer) if isinstance(peer, Joblib) else peer.make("fork", initializer)
    peer.map(pool, range(1000), 1)  # warm: workers up
    return pool


def done(peer, pool):
    if not isinstance(peer, Joblib):  # the reusable executor stays for the next group
        peer.close(pool)


def map_rate(peer, n, chunksize):
    pool = warm_pool(peer)
    try:
        start = time.perf_counter()
        ys = peer.map(pool, range(n), chunksize)
        seconds = time.perf_counter() - start
    finally:
        done(peer, pool)
    assert len(ys) == n and ys[n // 2] == (n // 2) ** 2
    return n / seconds


def apply_async_rate(peer, n):
    pool = warm_pool(peer)
    try:
        start = time.perf_counter()
        futures = [peer.submit(pool, i) for i in range(n)]
        total = sum(peer.get(f) for f in futures)
        seconds = time.perf_counter() - start
    finally:
        done(peer, pool)
    assert total == sum(i * i for i in range(n))
    return n / seconds


def apply_roundtrip(peer, n):
    os.sched_setaffinity(0, {PARENT_CPU})
    try:
        pool = warm_pool(peer, initializer=pin_worker)
        try:
            for _ in range(100):
                peer.get(peer.submit(pool, 3))
            start = time.perf_counter()
            for _ in range(n):
                assert peer.get(peer.submit(pool, 3)) == 9
            return (time.perf_counter() - start) * 1e6 / n
        finally:
            done(peer, pool)
    finally:
        os.sched_setaffinity(0, set(CPUS))


def life(peer, method, n):
    start = time.perf_counter()
    for _ in range(n):
        pool = peer.make(method)
        assert peer.map(pool, [1, 2], 1)[1] == 4
        peer.close(pool)
    return (time.perf_counter() - start) * 1e3 / n


def main(argv):
    n = rounds(5)
    default_chunks = f"chunksize {pool_chunksize(MAP_ITEMS)} (multiprocessing.Pool's rule)"
    for peer in PEERS:
        counts = {k: scaled(v) for k, v in peer.counts.items()}
        chunksize = None if isinstance(peer, Billiard) else pool_chunksize(MAP_ITEMS)
        groups = [  # the life groups first, as in bench_pool.cpp
            *[(f"pool.life.{m}", "ms/op", (lambda m=m: life(peer, peer.start_methods[m], life_count(m))),
               f"start method {peer.start_methods[m]}") for m in ("fork", "spawn") if m in peer.start_methods],
            ("pool.map.default", "tasks/s", lambda: map_rate(peer, scaled(MAP_ITEMS), chunksize),
             "own default chunksize" if chunksize is None else default_chunks),
            ("pool.map.chunk1", "tasks/s", lambda: map_rate(peer, counts["chunk1"], 1), f"{counts['chunk1']} tasks"),
            ("pool.apply_async", "tasks/s", lambda: apply_async_rate(peer, counts["apply_async"]),
             f"{counts['apply_async']} submits, then each result"),
            ("pool.apply", "us/op", lambda: apply_roundtrip(peer, scaled(2000)),
             f"parent on CPU {PARENT_CPU}, workers on CPU {WORKER_CPU}"),
        ]
        for group, unit, run, note in groups:
            if wanted(group, argv):
                placed = "" if group == "pool.apply" else f"parent and 2 workers unpinned (CPUs {','.join(map(str, CPUS))}); "
                report(group, statistics.median(run() for _ in range(n)), unit, impl=peer.key, note=placed + note)
    loky.get_reusable_executor(WORKERS).shutdown(wait=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
