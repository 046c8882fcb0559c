#!/usr/bin/env python3
"""Python's multiprocessing.Queue doing the work of bench/bench_queue.cpp.

Same groups and placement (the consumer, this process, on CPU 0; producers on
CPU 1), same output format ("impl": "python"); each value is the median of
the rounds. Fewer messages than the C++ side (the rate is what is compared).
Each round starts fresh forked peers; a round is timed from "go".
Standard library only.
"""
import multiprocessing
import os
import statistics
import sys
import time

from _common import report, rounds

SMALL_MESSAGES = 100000
BULK_MESSAGES = 64
BULK_SIZE = 1 << 20
LATENCY_ITERS = 5000

ctx = multiprocessing.get_context("fork")
CONSUMER_CPU = 0
PRODUCER_CPU = 1 if (os.cpu_count() or 1) > 1 else 0


def _peer(go, ready, body, args):
    os.sched_setaffinity(0, {PRODUCER_CPU})
    ready.release()
    go.wait()
    body(*args)


def run_round(producers, body, args_of, consume):
    """Starts `producers` peers running body(*args_of(k)); times consume()."""
    go = ctx.Event()
    ready = ctx.Semaphore(0)
    procs = [ctx.Process(target=_peer, args=(go, ready, body, args_of(k))) for k in range(producers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    consume()
    seconds = time.perf_counter() - start
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"bench peer failed with exit code {p.exitcode}")
    return seconds


def put_small(q, k, count):
    for i in range(count):
        q.put(k << 32 | i)


def small(producers):
    q = ctx.Queue()
    each = SMALL_MESSAGES // producers

    def consume():
        for _ in range(each * producers):
            q.get()

    s = run_round(producers, put_small, lambda k: (q, k, each), consume)
    return each * producers / s / 1e6


def put_bulk(q):
    payload = b"b" * BULK_SIZE
    for _ in range(BULK_MESSAGES):
        q.put(payload)


def bulk():
    q = ctx.Queue()

    def consume():
        for _ in range(BULK_MESSAGES):
            if len(q.get()) != BULK_SIZE:
                raise RuntimeError("bulk: wrong size")

    s = run_round(1, put_bulk, lambda k: (q,), consume)
    return BULK_MESSAGES * BULK_SIZE / s / 1e6


def echo(there, back):
    for _ in range(LATENCY_ITERS + 100):
        back.put(there.get())


def latency():
    there, back = ctx.Queue(), ctx.Queue()
    result = []

    def consume():
        for i in range(100):
            there.put(i)
            back.get()
        start = time.perf_counter()
        for i in range(LATENCY_ITERS):
            there.put(i)
            back.get()
        result.append((time.perf_counter() - start) * 1e6 / LATENCY_ITERS)

    run_round(1, echo, lambda k: (there, back), consume)
    return result[0]


def main():
    os.sched_setaffinity(0, {CONSUMER_CPU})
    n = rounds()
    report("queue.small.1to1", statistics.median(small(1) for _ in range(n)), "Mmsg/s")
    report("queue.small.4to1", statistics.median(small(4) for _ in range(n)), "Mmsg/s")
    report("queue.bulk.1mib", statistics.median(bulk() for _ in range(n)), "MB/s")
    report("queue.latency", statistics.median(latency() for _ in range(n)), "us/op")
    return 0


if __name__ == "__main__":
    sys.exit(main())
