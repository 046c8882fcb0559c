#!/usr/bin/env python3
"""Runs every benchmark and prints one comparison table.

    python3 bench/compare.py BIN_DIR

Runs each executable named bench_* under BIN_DIR built in a release variant
(the newest file of each name), then every bench/py/*.py with this Python.
Each prints one JSON object per line (see bench/README.md). Exits non-zero
if any program fails or none is found. Standard library only.

    python3 -m doctest bench/compare.py     checks the wording of the table
"""
import json
import os
import subprocess
import sys
from pathlib import Path

TIMEOUT = 1800  # seconds per program: a hang fails instead of blocking


def find_binaries(bin_dir):
    """The newest release build of each bench_* executable under bin_dir."""
    newest = {}
    for root, _dirs, files in os.walk(bin_dir):
        if "release" not in Path(root).parts:
            continue
        for name in files:
            path = Path(root) / name
            if not name.startswith("bench_") or path.suffix or not os.access(path, os.X_OK):
                continue
            if name not in newest or path.stat().st_mtime > newest[name].stat().st_mtime:
                newest[name] = path
    return [newest[name] for name in sorted(newest)]


def run(command):
    """Runs one program; returns (its result lines, whether it succeeded)."""
    print(f"running {' '.join(str(c) for c in command)}", file=sys.stderr, flush=True)
    try:
        proc = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"compare.py: {command[-1]} timed out after {TIMEOUT} s", file=sys.stderr)
        return [], False
    results = []
    for line in proc.stdout.splitlines():
        try:
            results.append(json.loads(line))
        except json.JSONDecodeError:
            print(line, file=sys.stderr)  # not a result: pass it on
    if proc.returncode != 0:
        print(f"compare.py: {command[-1]} failed (exit code {proc.returncode})", file=sys.stderr)
    return results, proc.returncode == 0


def higher_is_better(unit):
    return unit.endswith("/s")


def meets(value, target):
    """Checks a value against a target written like "<=1.2" or ">=0.9"."""
    for op, test in (("<=", lambda a, b: a <= b), (">=", lambda a, b: a >= b)):
        if target.startswith(op):
            return test(value, float(target[len(op):]))
    return None


def fmt(value):
    return "-" if value is None else f"{value:.4g}"


def versus_python(mproc, python, unit):
    """How mproc compares with Python, in words: "2.0x faster" or "1.4x slower".

    >>> versus_python(10.0, 20.0, "us/op")
    '2.0x faster'
    >>> versus_python(60.0, 44.0, "us/op")
    '1.4x slower'
    >>> versus_python(900.0, 300.0, "MB/s")
    '3.0x faster'
    >>> versus_python(200.0, 300.0, "MB/s")
    '1.5x slower'
    """
    times = mproc / python if higher_is_better(unit) else python / mproc
    return f"{times:.1f}x faster" if times >= 1 else f"{1 / times:.1f}x slower"


def table(results):
    """One row per (group, baseline): values, the same-run ratio and target,
    and how many times faster than Python mproc is."""
    groups = {}  # group -> {"values": {impl: (value, unit)}, "ratios": {impl: line}}
    for r in results:
        g = groups.setdefault(r["group"], {"values": {}, "ratios": {}})
        kind = "ratios" if r["unit"] == "ratio" else "values"
        g[kind][r["impl"]] = r if kind == "ratios" else (r["value"], r["unit"])

    header = ["group", "unit", "mproc", "baseline", "python", "mproc/base", "target", "vs python"]
    rows = []
    for name, g in groups.items():
        values = g["values"]
        unit = next(iter(values.values()))[1] if values else "ratio"
        mproc = values.get("mproc", (None,))[0]
        python = values.get("python", (None,))[0]
        vs_python = "-"
        if mproc and python:
            vs_python = versus_python(mproc, python, unit)
        baselines = [impl for impl in values if impl not in ("mproc", "python")] or [None]
        for i, base in enumerate(baselines):
            base_value = values[base][0] if base else None
            ratio_line = g["ratios"].get(f"mproc/{base}")
            ratio, target, check = None, "", ""
            if ratio_line:  # measured in the same run, alternating rounds
                ratio, target = ratio_line["value"], ratio_line.get("target", "")
            elif mproc and base_value:
                ratio = mproc / base_value
            if ratio is not None and target:
                check = "ok" if meets(ratio, target) else "MISS"
            base_cell = fmt(base_value) + ("" if base in (None, "raw") else f" ({base})")
            first = i == 0
            rows.append([name if first else "", unit if first else "", fmt(mproc) if first else "", base_cell,
                         fmt(python) if first else "", fmt(ratio), f"{target} {check}".strip(),
                         vs_python if first else ""])

    widths = [max(len(str(row[c])) for row in [header] + rows) for c in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv):
    if len(argv) != 2:
        print("usage: compare.py BIN_DIR", file=sys.stderr)
        return 2
    binaries = find_binaries(argv[1])
    scripts = sorted(p for p in (Path(__file__).resolve().parent / "py").glob("*.py") if not p.name.startswith("_"))
    if not binaries:
        print(f"compare.py: no release bench_* binaries under {argv[1]}", file=sys.stderr)
        return 1

    results, failed = [], []
    for command in [[b] for b in binaries] + [[sys.executable, s] for s in scripts]:
        lines, succeeded = run(command)
        results += lines
        if not succeeded:
            failed.append(Path(command[-1]).name)

    print()
    print(table(results))
    print()
    print("mproc/base: median of per-round ratios, mproc and baseline alternating in one run "
          "(time: lower is better; MB/s: higher is better).")
    if failed:
        print(f"FAILED: {', '.join(failed)} (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
