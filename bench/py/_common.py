"""Helpers shared by the bench/py/bench_*.py scripts (not run by compare.py)."""
import json
import os


def rounds(fallback=7):
    """Rounds per measurement: MPROC_BENCH_ROUNDS, else `fallback`."""
    try:
        n = int(os.environ.get("MPROC_BENCH_ROUNDS", ""))
    except ValueError:
        n = 0
    return n if n > 0 else fallback


def quick():
    """True under `./build.sh bench --quick` (MPROC_BENCH_QUICK=1): fewer items per round."""
    return os.environ.get("MPROC_BENCH_QUICK", "") == "1"


def wanted(group, argv):
    """Whether `group` starts with the optional prefix argument (all groups without one)."""
    return len(argv) < 2 or group.startswith(argv[1])


def report(group, value, unit, impl="python", note=None):
    """Prints one result line in bench_util.hpp's format; `note` says how the
    contestant ran (placement, chunksize, blocks or busy-polls)."""
    line = {"group": group, "impl": impl, "value": round(value, 6), "unit": unit}
    if note:
        line["note"] = note
    print(json.dumps(line, separators=(",", ":")), flush=True)
