#!/usr/bin/env python3
"""Runs every benchmark, prints one comparison table and writes the results as JSON.

    python3 bench/compare.py BIN_DIR [--quick] [--group GROUP] [--json PATH]

Runs each executable named bench_* under BIN_DIR built in a release variant
(the newest file of each name), then every bench/py/*.py with this Python
(Debian's /usr/bin/python3 sees the python3-* peers). Each prints one JSON
object per line (see bench/README.md). `--quick`: one round and fewer items
each (MPROC_BENCH_ROUNDS=1, MPROC_BENCH_QUICK=1). `--group GROUP`: only the
programs of GROUP's family (pool, queue, subprocess, process, sync,
connection; `queue.latency` runs bench_queue* with that prefix). `--json`:
where the results go (machine, CPU, kernel, date, every figure). Exits
non-zero if any program fails or none is found. Standard library only.

    python3 -m doctest bench/compare.py     checks the wording of the table
"""
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

TIMEOUT = 1800  # seconds per program: a hang fails instead of blocking

# The stable contestant keys of results/latest.json, and what each stands for.
CONTESTANTS = {
    "mproc": "mproc (this library)",
    "raw": "raw syscalls written in the benchmark (the floor)",
    "python": "Python's standard library (multiprocessing, subprocess)",
    "pebble": "pebble.ProcessPool",
    "billiard": "billiard.Pool (Celery's pool)",
    "joblib": "joblib's loky reusable executor",
    "concurrent_futures": "concurrent.futures.ProcessPoolExecutor",
    "iceoryx": "iceoryx 2.0 publish/subscribe (RouDi daemon)",
    "boost_message_queue": "Boost.Interprocess message_queue",
    "boost_process": "Boost.Process v2",
}
# A program's own name for a contestant -> its stable key (unlisted names are keys already).
KEY_OF = {
    "posix_spawn": "raw", "posix_spawn_true": "raw", "self_exec": "raw", "raw_fork": "raw",
    "raw_reused": "raw", "spsc": "raw", "pthread_mutex": "raw", "spawn": "mproc",
    "python_simplequeue": "python", "iceoryx_busypoll": "iceoryx",
}
# Why mproc loses a row to a peer, where we know: (group, impl or "*") -> reason.
REASONS = {
    ("subprocess.run_true", "python"): "both start the child with a vfork-style clone (mproc: clone(CLONE_VM | "
    "CLONE_VFORK), Python: vfork); Python runs in its own process at another time, compared by medians: within "
    "noise on a loaded machine (mproc was 1.1x faster in the quick run before the committed one)",
    ("subprocess.run_true.bigheap", "python"): "the same launch as Python's (a vfork-style clone, so the heap "
    "costs neither); a 2% gap, within noise",
    ("pool.apply", "*"): "a round trip is two cross-CPU wake-ups: on a loaded machine it measures the scheduler "
    "(mproc was 1.5-22x faster than every pool in the committed full run)",
    ("queue.latency", "iceoryx_busypoll"): "iceoryx_busypoll spins on both sides without end (a CPU each at "
    "100%); mproc spins 20 us, then sleeps on a futex",
    ("queue.small.1to1", "iceoryx_busypoll"): "iceoryx_busypoll's subscriber never sleeps; mproc's consumer "
    "sleeps after 20 us without a message",
}


def contestant_key(impl):
    """The stable key of a program's contestant name.

    >>> contestant_key("pthread_mutex"), contestant_key("pebble"), contestant_key("spawn")
    ('raw', 'pebble', 'mproc')
    """
    return KEY_OF.get(impl, impl)


# Groups whose names do not start with their program's family.
FAMILY_OF_GROUP = {"lock": "sync", "value": "sync", "pipe": "connection"}


def family(name):
    """The program family of a program or group: bench_queue_iceoryx -> queue,
    pool.map.default -> pool, lock.guard -> sync (bench_sync).

    >>> family("bench_queue_iceoryx"), family("bench_pool_peers.py"), family("pool.map.default"), family("lock.guard")
    ('queue', 'pool', 'pool', 'sync')
    """
    name = name.removesuffix(".py").removeprefix("bench_")
    first = name.split(".")[0].split("_")[0]
    return FAMILY_OF_GROUP.get(first, first)


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
    start = time.monotonic()
    try:
        proc = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"compare.py: {command[-1]} timed out after {TIMEOUT} s", file=sys.stderr)
        return [], False
    print(f"  took {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
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


def speedup(mproc, other, unit):
    """How many times faster mproc is than `other` (below 1: slower)."""
    return mproc / other if higher_is_better(unit) else other / mproc


def versus(mproc, other, unit):
    """How mproc compares with another contestant, in words: "2.0x faster" or "1.4x slower".

    >>> versus(10.0, 20.0, "us/op")
    '2.0x faster'
    >>> versus(60.0, 44.0, "us/op")
    '1.4x slower'
    >>> versus(900.0, 300.0, "MB/s")
    '3.0x faster'
    >>> versus(200.0, 300.0, "MB/s")
    '1.5x slower'
    >>> versus(1.0, 1.0, "tasks/s")
    '1.0x faster'
    """
    times = speedup(mproc, other, unit)
    return f"{times:.1f}x faster" if times >= 1 else f"{1 / times:.1f}x slower"


def collect(results):
    """Groups result lines: group -> {"unit", "values": {impl: value}, "ratios": {impl: line}, "notes": {impl: text}}.

    >>> g = collect([{"group": "q", "impl": "mproc", "value": 2.0, "unit": "us/op"},
    ...              {"group": "q", "impl": "raw", "note": "pinned"},
    ...              {"group": "q", "impl": "raw", "value": 1.0, "unit": "us/op", "note": "futex"},
    ...              {"group": "q", "impl": "mproc/raw", "value": 2.1, "unit": "ratio", "target": "<=1.2"}])
    >>> g["q"]["unit"], g["q"]["values"], g["q"]["notes"], g["q"]["ratios"]["mproc/raw"]["value"]
    ('us/op', {'mproc': 2.0, 'raw': 1.0}, {'raw': 'pinned; futex'}, 2.1)
    """
    groups = {}
    for r in results:
        g = groups.setdefault(r["group"], {"unit": None, "values": {}, "ratios": {}, "notes": {}})
        if r.get("unit") == "ratio":
            g["ratios"][r["impl"]] = r
            continue
        if "value" in r:
            g["values"][r["impl"]] = r["value"]
            g["unit"] = g["unit"] or r["unit"]
        if r.get("note"):
            old = g["notes"].get(r["impl"])
            g["notes"][r["impl"]] = r["note"] if not old or r["note"] in old else f"{old}; {r['note']}"
    return groups


def ordered_impls(values):
    """mproc first, then its own other modes, the raw floors, Python, then the peers in CONTESTANTS order."""
    order = list(CONTESTANTS)
    return sorted(values, key=lambda impl: (order.index(contestant_key(impl)) if contestant_key(impl) in order
                                            else len(order), impl != contestant_key(impl), impl))


def rows_of(groups):
    """One row per (group, contestant): mproc's own row first, then each other contestant
    with how mproc compares, the same-run ratio and its target, and how it ran.

    >>> g = collect([{"group": "q", "impl": "mproc", "value": 2.0, "unit": "us/op", "note": "CPU 0"},
    ...              {"group": "q", "impl": "python", "value": 20.0, "unit": "us/op"},
    ...              {"group": "q", "impl": "pebble", "value": 1.0, "unit": "us/op"}])
    >>> [r["vs"] for r in rows_of(g)]
    ['-', '10.0x faster', '2.0x slower']
    """
    rows = []
    for name, g in groups.items():
        values, unit = g["values"], g["unit"]
        mproc = values.get("mproc")
        for impl in ordered_impls(values):
            value = values[impl]
            ratio_line = g["ratios"].get(f"mproc/{impl}")
            ratio = ratio_line["value"] if ratio_line else None
            target = ratio_line.get("target", "") if ratio_line else ""
            met = meets(ratio, target) if ratio is not None and target else None
            rows.append({
                "group": name, "unit": unit, "impl": impl, "contestant": contestant_key(impl), "value": value,
                "vs": versus(mproc, value, unit) if mproc and value and impl != "mproc" else "-",
                "speedup": speedup(mproc, value, unit) if mproc and value and impl != "mproc" else None,
                "ratio": ratio, "target": target, "met": met, "note": g["notes"].get(impl, ""),
            })
    return rows


def table(rows):
    """The rows as aligned text, the group and unit written once per group."""
    header = ["group", "unit", "contestant", "value", "mproc is", "mproc/it", "target", "how it ran"]
    cells, last = [], None
    for r in rows:
        first = r["group"] != last
        last = r["group"]
        check = "" if r["met"] is None else (" ok" if r["met"] else " MISS")
        cells.append([r["group"] if first else "", r["unit"] if first else "", r["impl"], fmt(r["value"]), r["vs"],
                      fmt(r["ratio"]) if r["ratio"] is not None else "", f"{r['target']}{check}", r["note"]])
    widths = [max(len(str(row[c])) for row in [header] + cells) for c in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header] + cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def losses(rows):
    """The rows where mproc is slower than a peer (not a raw floor: those have targets).

    >>> rows = [{"group": "g", "impl": "pebble", "contestant": "pebble", "speedup": 0.5, "vs": "2.0x slower"},
    ...         {"group": "g", "impl": "raw", "contestant": "raw", "speedup": 0.8, "vs": "1.2x slower"}]
    >>> losses(rows)
    ['g vs pebble: 2.0x slower (no reason recorded yet)']
    """
    out = []
    for r in rows:
        if r["speedup"] is not None and r["speedup"] < 1 and r["contestant"] not in ("raw", "mproc"):
            reason = REASONS.get((r["group"], r["impl"])) or REASONS.get((r["group"], "*")) or "no reason recorded yet"
            out.append(f"{r['group']} vs {r['impl']}: {r['vs']} ({reason})")
    return out


def machine():
    """Where the figures were measured."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"hostname": socket.gethostname(), "cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
            "os": platform.freedesktop_os_release().get("PRETTY_NAME", "") if hasattr(platform, "freedesktop_os_release") else "",
            "python": f"{sys.executable} {platform.python_version()}", "load_before": list(os.getloadavg())}


def write_json(path, info, mode, groups, rows, failed):
    info["load_after"] = list(os.getloadavg())
    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": mode, "rounds": os.environ.get("MPROC_BENCH_ROUNDS", "each program's default"), "machine": info, "contestants": CONTESTANTS,
        "groups": {name: {"unit": g["unit"], "higher_is_better": higher_is_better(g["unit"] or "")} for name, g in groups.items()},
        "figures": rows, "failed": failed,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"results: {path}", file=sys.stderr)


def parse(argv):
    opts = {"bin_dir": None, "quick": False, "group": "", "json": None}
    args = iter(argv[1:])
    for a in args:
        if a == "--quick":
            opts["quick"] = True
        elif a in ("--group", "--json"):
            opts[a[2:]] = next(args, None)
            if opts[a[2:]] is None:
                raise ValueError(f"{a} needs a value")
        elif a.startswith("-") or opts["bin_dir"]:
            raise ValueError(f"unknown argument {a}")
        else:
            opts["bin_dir"] = a
    if not opts["bin_dir"]:
        raise ValueError("no BIN_DIR")
    return opts


def main(argv):
    try:
        opts = parse(argv)
    except ValueError as e:
        print(f"compare.py: {e}\nusage: compare.py BIN_DIR [--quick] [--group GROUP] [--json PATH]", file=sys.stderr)
        return 2
    binaries = find_binaries(opts["bin_dir"])
    scripts = sorted(p for p in (Path(__file__).resolve().parent / "py").glob("*.py") if not p.name.startswith("_"))
    if not binaries:
        print(f"compare.py: no release bench_* binaries under {opts['bin_dir']}", file=sys.stderr)
        return 1
    commands = [[b] for b in binaries] + [[sys.executable, s] for s in scripts]
    group = opts["group"]
    if group:
        commands = [c for c in commands if family(Path(c[-1]).name) == family(group)]
        if not commands:
            print(f"compare.py: no benchmark program of family '{family(group)}'", file=sys.stderr)
            return 2
        if family(group) != group:  # a prefix of group names: each program runs only those
            commands = [c + [group] for c in commands]
    if opts["quick"]:
        os.environ.setdefault("MPROC_BENCH_ROUNDS", "1")
        os.environ["MPROC_BENCH_QUICK"] = "1"

    info = machine()
    results, failed = [], []
    for command in commands:
        lines, succeeded = run(command)
        results += lines
        if not succeeded:
            failed.append(Path(command[1] if command[0] == sys.executable else command[0]).name)

    groups = collect(results)
    rows = rows_of(groups)
    print()
    print(table(rows))
    print()
    print("mproc is: mproc against that contestant (medians). mproc/it: the median of per-round ratios, mproc and it "
          "alternating in one run (a time ratio: lower is better; a rate ratio: higher is better).")
    lost = losses(rows)
    if lost:
        print("mproc is slower than a peer in:")
        for line in lost:
            print(f"  {line}")
    if opts["json"]:
        mode = "quick" if opts["quick"] else "full"
        write_json(opts["json"], info, mode + (f" --group {group}" if group else ""), groups, rows, failed)
    if failed:
        print(f"FAILED: {', '.join(failed)} (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
