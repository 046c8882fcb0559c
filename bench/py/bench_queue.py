#!/usr/bin/env python3
"""Python's multiprocessing.Queue and SimpleQueue doing the work of bench/bench_queue.cpp.

Same groups and placement (the consumer, this process, on CPU 0; producers on
CPU 1), same output format ("impl": "python"); each value is the median of
the rounds. Fewer messages than the C++ side (the rate is what is compared).
Each round starts fresh forked peers; a round is timed from "go".
Queue ("impl": "python") hands each put to a feeder thread that writes a
pipe; SimpleQueue ("python_simplequeue") writes the pipe in put() itself,
under a lock. Both block in get(). Standard library only.
"""
import multiprocessing
import os
import statistics
import sys
import time

from _common import quick, report, rounds, wanted

SCALE = 5 if quick() else 1
SMALL_MESSAGES = 100000 // SCALE
BULK_MESSAGES = 64 // SCALE
BULK_SIZE = 1 << 20
LATENCY_ITERS = 5000 // SCALE

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


def small(producers, make):
    q = make()
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


def bulk(make):
    q = make()

    def consume():
        for _ in range(BULK_MESSAGES):
            if len(q.get()) != BULK_SIZE:
                raise RuntimeError("bulk: wrong size")

    s = run_round(1, put_bulk, lambda k: (q,), consume)
    return BULK_MESSAGES * BULK_SIZE / s / 1e6


def echo(there, back):
    for _ in range(LATENCY_ITERS + 100):
        back.put(there.get())


def latency(make):
    there, back = make(), make()
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


def main(argv):
    os.sched_setaffinity(0, {CONSUMER_CPU})
    n = rounds()
    placed = f"consumer (parent) on CPU {CONSUMER_CPU}, producers on CPU {PRODUCER_CPU}"
    contestants = [("python", ctx.Queue, "a feeder thread writes a pipe; get blocks"),
                   ("python_simplequeue", ctx.SimpleQueue, "put writes a pipe under a lock; get blocks")]
    groups = [("queue.small.1to1", "Mmsg/s", lambda make: small(1, make)),
              ("queue.small.4to1", "Mmsg/s", lambda make: small(4, make)),
              ("queue.bulk.1mib", "MB/s", bulk),
              ("queue.latency", "us/op", latency)]
    for group, unit, run in groups:
        if not wanted(group, argv):
            continue
        for impl, make, how in contestants:
            report(group, statistics.median(run(make) for _ in range(n)), unit, impl=impl, note=f"{placed}; {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
