#!/usr/bin/env python3
"""Python's multiprocessing.Lock and Value doing the work of bench/bench_sync.cpp.

Same groups and placement (the parent, this process, on CPU 0; the peer of
the contended case on CPU 1), same output format ("impl": "python"); each
value is the median of the rounds. Fewer iterations than the C++ side (the
time per operation is what is compared). Standard library only.
"""
import multiprocessing
import os
import statistics
import sys
import time

from _common import report, rounds

UNCONTENDED_ITERS = 200000
CONTENDED_ITERS = 50000  # per process

ctx = multiprocessing.get_context("fork")
PARENT_CPU = 0
PEER_CPU = 1 if (os.cpu_count() or 1) > 1 else 0


def us_per_op(iters, body):
    start = time.perf_counter()
    body()
    return (time.perf_counter() - start) * 1e6 / iters


def uncontended():
    lock = ctx.Lock()

    def body():
        for _ in range(UNCONTENDED_ITERS):
            lock.acquire()
            lock.release()

    return us_per_op(UNCONTENDED_ITERS, body)


def guard():
    lock = ctx.Lock()

    def body():
        for _ in range(UNCONTENDED_ITERS):
            with lock:
                pass

    return us_per_op(UNCONTENDED_ITERS, body)


def _hammer(lock, counter, n):
    for _ in range(n):
        lock.acquire()
        counter.value += 1
        lock.release()


def _peer(ready, go, lock, counter):
    os.sched_setaffinity(0, {PEER_CPU})
    ready.release()
    go.wait()
    _hammer(lock, counter, CONTENDED_ITERS)


def contended():
    lock = ctx.Lock()
    counter = ctx.RawValue("l", 0)
    ready, go = ctx.Semaphore(0), ctx.Event()
    peer = ctx.Process(target=_peer, args=(ready, go, lock, counter))
    peer.start()
    ready.acquire()
    start = time.perf_counter()
    go.set()
    _hammer(lock, counter, CONTENDED_ITERS)
    peer.join()
    seconds = time.perf_counter() - start
    if peer.exitcode != 0 or counter.value != 2 * CONTENDED_ITERS:
        sys.exit("bench_sync.py: contended round failed")
    return seconds * 1e6 / (2 * CONTENDED_ITERS)


def value_increment():
    v = ctx.Value("i", 0)

    def body():
        for _ in range(UNCONTENDED_ITERS):
            with v.get_lock():
                v.value += 1

    us = us_per_op(UNCONTENDED_ITERS, body)
    if v.value != UNCONTENDED_ITERS:
        sys.exit("bench_sync.py: Value count wrong")
    return us


def main():
    os.sched_setaffinity(0, {PARENT_CPU})
    print(f"bench_sync.py: parent on CPU {PARENT_CPU}, peer (contended) on CPU {PEER_CPU}", file=sys.stderr)
    n = rounds()
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    for group, fn in (("lock.uncontended", uncontended), ("lock.guard", guard),
                      ("lock.contended.2proc", contended), ("value.increment", value_increment)):
        if group.startswith(only):
            report(group, statistics.median(fn() for _ in range(n)), "us/op")


if __name__ == "__main__":
    main()
