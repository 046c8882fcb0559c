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


def report(group, value, unit):
    """Prints one result line in bench_util.hpp's format, impl "python"."""
    line = {"group": group, "impl": "python", "value": round(value, 6), "unit": unit}
    print(json.dumps(line, separators=(",", ":")), flush=True)
