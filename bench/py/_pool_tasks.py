"""The tasks of bench_pool_peers.py, in a module of their own: a worker started
by spawn (billiard's especially) finds them by importing it, not __main__."""
import os

CPUS = sorted(os.sched_getaffinity(0))
PARENT_CPU = CPUS[0]
WORKER_CPU = CPUS[1] if len(CPUS) > 1 else CPUS[0]


def square(x):
    return x * x


def pin_worker():
    os.sched_setaffinity(0, {WORKER_CPU})
