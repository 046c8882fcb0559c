#!/usr/bin/env python3
"""Draws bench/results/latest.json as a chart: for every workload, how many
times faster mproc is than each other contestant (log scale; a bar left of 1
means mproc is slower), one panel per family (pool, queue, ...).

    /usr/bin/python3 bench/chart.py RESULTS.json OUT      writes OUT.svg and OUT.png

Needs Debian's python3-matplotlib (build.sh bench installs it).
"""
import json
import sys
from pathlib import Path

# One colour per contestant key, the same in every chart.
COLOURS = {
    "raw": "#7f7f7f", "python": "#1f77b4", "pebble": "#ff7f0e", "billiard": "#2ca02c", "joblib": "#d62728",
    "concurrent_futures": "#9467bd", "iceoryx": "#8c564b", "boost_message_queue": "#e377c2",
    "boost_process": "#17becf", "mproc": "#bcbd22",
}


def bars(figures):
    """The bars of each family: {family: [(workload, impl, contestant, speedup, words)]}, in file order.

    >>> rows = [{"group": "pool.apply", "impl": "mproc", "contestant": "mproc", "speedup": None, "vs": "-"},
    ...         {"group": "pool.apply", "impl": "pebble", "contestant": "pebble", "speedup": 2.5, "vs": "2.5x faster"},
    ...         {"group": "lock.guard", "impl": "pthread_mutex", "contestant": "raw", "speedup": 0.8, "vs": "1.2x slower"}]
    >>> bars(rows)
    {'pool': [('apply', 'pebble', 'pebble', 2.5, '2.5x faster')], 'lock': [('guard', 'pthread_mutex', 'raw', 0.8, '1.2x slower')]}
    """
    out = {}
    for r in figures:
        if r["speedup"] is None:
            continue
        family, _, workload = r["group"].partition(".")
        out.setdefault(family, []).append((workload, r["impl"], r["contestant"], r["speedup"], r["vs"]))
    return out


def draw(doc, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = bars(doc["figures"])
    if not families:
        raise SystemExit("chart.py: no figure to compare with mproc")
    every = [b[3] for fam in families.values() for b in fam]
    low, high = min(every + [1.0]) / 3, max(every + [1.0]) * 4
    heights = [len(fam) + 1.2 for fam in families.values()]
    fig, axes = plt.subplots(len(families), 1, figsize=(12, 0.32 * sum(heights) + 2.2), sharex=True,
                             gridspec_kw={"height_ratios": heights})
    axes = axes if len(families) > 1 else [axes]
    for ax, (family, fam) in zip(axes, families.items()):
        ys = list(range(len(fam)))[::-1]
        for y, (workload, impl, key, speedup, words) in zip(ys, fam):
            ax.barh(y, speedup - 1, left=1, height=0.7, color=COLOURS.get(key, "#333333"), edgecolor="black",
                    linewidth=0.4)
            right = speedup >= 1
            ax.text(speedup * (1.08 if right else 1 / 1.08), y, words, va="center", ha="left" if right else "right",
                    fontsize=8, fontweight="normal" if right else "bold")
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{w}  vs {impl}" for w, impl, *_ in fam], fontsize=8)
        ax.set_ylim(-0.8, len(fam) - 0.2)
        ax.axvline(1, color="black", linewidth=1)
        ax.set_title(family, loc="left", fontsize=10, fontweight="bold")
        ax.grid(axis="x", which="major", linestyle=":", linewidth=0.6)
    axes[-1].set_xscale("log")
    axes[-1].set_xlim(low, high)
    axes[-1].set_xlabel("how many times faster mproc is (log scale; right of 1: mproc faster, left: mproc slower)")
    m = doc.get("machine", {})
    fig.suptitle("mproc against raw syscalls, Python and the libraries a user would pick instead\n"
                 f"{m.get('cpu', '?')}, {m.get('cpus', '?')} CPUs, Linux {m.get('kernel', '?')}; "
                 f"{doc.get('date', '?')} ({doc.get('mode', '?')} run)", fontsize=11)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for k, c in COLOURS.items() if k != "mproc"]
    fig.legend(handles, [k for k in COLOURS if k != "mproc"], loc="lower center", ncol=5, fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    for ext in ("svg", "png"):
        fig.savefig(f"{out}.{ext}", dpi=110)
    print(f"chart: {out}.svg, {out}.png", file=sys.stderr)


def main(argv):
    if len(argv) != 3:
        print("usage: chart.py RESULTS.json OUT", file=sys.stderr)
        return 2
    draw(json.loads(Path(argv[1]).read_text()), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
