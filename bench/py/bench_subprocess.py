#!/usr/bin/env python3
"""Python's subprocess doing the work of bench/bench_subprocess.cpp.

Same groups, same sizes and counts, same output format (one JSON object per
line, "impl": "python"); each value is the median of the rounds. Standard
library only.
"""
import statistics
import subprocess
import sys
import time

from _common import quick, report, rounds

RUNS_PER_ROUND = 20 if quick() else 100
HEAP_SIZE = 256 << 20
CAT_SIZE = (64 if quick() else 256) << 20
HOW = "unpinned; subprocess.run: _posixsubprocess's vfork + exec, then waitpid"


def run_true():
    """runs/s of subprocess.run(["/bin/true"])."""
    start = time.perf_counter()
    for _ in range(RUNS_PER_ROUND):
        if subprocess.run(["/bin/true"]).returncode != 0:
            raise RuntimeError("/bin/true failed")
    return RUNS_PER_ROUND / (time.perf_counter() - start)


def communicate_cat(data):
    """MB/s of 256 MiB through cat with Popen.communicate."""
    start = time.perf_counter()
    p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = p.communicate(data)
    seconds = time.perf_counter() - start
    if len(out) != len(data) or p.returncode != 0:
        raise RuntimeError("cat lost data")
    return len(data) / seconds / 1e6


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""  # run only the groups starting with it

    def wanted(group):
        return group.startswith(only)

    run_rounds, cat_rounds = rounds(21), rounds(7)
    if wanted("subprocess.run_true"):
        run_true()  # warm-up
        report("subprocess.run_true", statistics.median(run_true() for _ in range(run_rounds)), "runs/s", note=HOW)
    if wanted("subprocess.run_true.bigheap"):
        heap = b"\x01" * HEAP_SIZE  # written, so its pages exist
        report("subprocess.run_true.bigheap", statistics.median(run_true() for _ in range(run_rounds)), "runs/s",
               note=HOW)
        del heap
    if wanted("subprocess.communicate_cat"):
        data = bytes((ord("a") + i % 23 for i in range(23))) * (CAT_SIZE // 23 + 1)
        data = data[:CAT_SIZE]
        report("subprocess.communicate_cat",
               statistics.median(communicate_cat(data) for _ in range(cat_rounds)), "MB/s")


if __name__ == "__main__":
    main()
