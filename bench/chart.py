#!/usr/bin/env python3
"""Draws bench/results/latest.json as a chart: for every workload, how many
times faster mproc is than each other contestant (log scale; a bar left of 1
means mproc is slower), one panel per family (pool, queue, ...).

    /usr/bin/python3 bench/chart.py RESULTS.json OUT      writes OUT.svg, OUT.png and OUT.md

OUT.md: the headline table of README.md's Benchmarks section (Markdown).

Needs Debian's python3-matplotlib (build.sh bench installs it).
"""
import json
import sys
from pathlib import Path

# One colour per contestant key, the same in every chart.
COLOURS = {
    "python": "#1f77b4", "pebble": "#ff7f0e", "billiard": "#2ca02c", "joblib": "#d62728",
    "concurrent_futures": "#9467bd", "iceoryx": "#8c564b", "boost_message_queue": "#e377c2",
    "boost_process": "#17becf", "raw": "#7f7f7f", "mproc": "#bcbd22",
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


def columns(families):
    """Splits the families into two columns of about the same number of bars, in order.

    >>> columns({"a": [1] * 5, "b": [1] * 2, "c": [1] * 4})
    (['a'], ['b', 'c'])
    """
    names = list(families)
    total = sum(len(families[n]) for n in names)
    left, count = [], 0
    for n in names:
        if left and count + len(families[n]) / 2 > total / 2:
            break
        left.append(n)
        count += len(families[n])
    return left, names[len(left):] or []


def draw(doc, out):
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: a smaller, searchable SVG
    import matplotlib.pyplot as plt

    families = bars(doc["figures"])
    if not families:
        raise SystemExit("chart.py: no figure to compare with mproc")
    every = [b[3] for fam in families.values() for b in fam]
    low, high = min(every + [1.0]) / 15, max(every + [1.0]) * 6  # room for the words
    cols = [c for c in columns(families) if c]
    tallest = max(sum(len(families[f]) + 1.5 for f in col) for col in cols)
    height = 0.3 * tallest + 2.6
    fig = plt.figure(figsize=(9 * len(cols), height))
    subfigs = fig.subfigures(1, len(cols), facecolor="none")
    for subfig, col in zip(subfigs if len(cols) > 1 else [subfigs], cols):
        # Room above for the title and legend, at the left for the labels.
        subfig.subplots_adjust(left=0.3, right=0.97, top=1 - 1.3 / height, bottom=0.7 / height, hspace=0.45)
        heights = [len(families[f]) + 1.5 for f in col]
        spare = tallest - sum(heights)
        axes = subfig.subplots(len(col) + (1 if spare > 0.5 else 0), 1,
                               gridspec_kw={"height_ratios": heights + ([spare] if spare > 0.5 else [])})
        axes = list(axes) if hasattr(axes, "__len__") else [axes]
        if spare > 0.5:
            axes.pop().axis("off")
        for ax, family in zip(axes, col):
            fam = families[family]
            ys = list(range(len(fam)))[::-1]
            for y, (workload, impl, key, speedup, words) in zip(ys, fam):
                ax.barh(y, speedup - 1, left=1, height=0.72, color=COLOURS.get(key, "#333333"), edgecolor="black",
                        linewidth=0.4)
                right = speedup >= 1
                ax.text(speedup * (1.1 if right else 1 / 1.1), y, words, va="center", ha="left" if right else "right",
                        fontsize=8.5, fontweight="normal" if right else "bold", color="black" if right else "#b00000")
            ax.set_yticks(ys)
            ax.set_yticklabels([f"{w} vs {impl}" for w, impl, *_ in fam], fontsize=8.5)
            ax.set_ylim(-0.7, len(fam) - 0.3)
            ax.set_xscale("log")
            ax.set_xlim(low, high)
            ax.axvline(1, color="black", linewidth=1.2)
            ax.set_title(family, loc="left", fontsize=11, fontweight="bold")
            ax.grid(axis="x", which="major", linestyle=":", linewidth=0.6)
            ax.tick_params(axis="x", labelsize=8)
        axes[len(col) - 1].set_xlabel("times faster mproc is (log scale): right of 1, mproc faster; left, slower",
                                      fontsize=9)
    m = doc.get("machine", {})
    load = m.get("load_before", [None])[0]
    fig.suptitle("mproc against raw syscalls, Python and the libraries a user would pick instead: "
                 "how many times faster mproc is\n"
                 f"{m.get('cpu', '?')}, {m.get('cpus', '?')} CPUs, Linux {m.get('kernel', '?')}; {doc.get('date', '?')}, "
                 f"{doc.get('mode', '?')} run, rounds {doc.get('rounds', '?')}" +
                 (f", load average {load:.1f} at the start" if load is not None else ""),
                 fontsize=12, y=0.995)
    labels = {"mproc": "mproc (its other start method)"}
    keys = [k for k in COLOURS if any(b[2] == k for fam in families.values() for b in fam)]
    fig.legend([plt.Rectangle((0, 0), 1, 1, color=COLOURS[k]) for k in keys], [labels.get(k, k) for k in keys],
               loc="upper center", bbox_to_anchor=(0.5, 0.975), ncol=min(len(keys), 10), fontsize=9, frameon=False)
    for ext in ("svg", "png"):
        fig.savefig(f"{out}.{ext}", dpi=100, bbox_inches="tight")
    Path(f"{out}.md").write_text(headline(doc["figures"]) + "\n")
    print(f"chart: {out}.svg, {out}.png; headline table: {out}.md", file=sys.stderr)

def amount(value, unit):
    """A figure for people: 11,910,000 tasks/s, 23.6 us/op.

    >>> amount(11912345.6, "tasks/s"), amount(23.61, "us/op"), amount(0.0517, "us/op")
    ('11,912,346 tasks/s', '23.6 us/op', '0.0517 us/op')
    """
    return f"{value:,.0f} {unit}" if value >= 1000 else f"{value:.3g} {unit}"


def headline(figures):
    """A Markdown table of the workloads where mproc meets a library a user
    would pick instead: how mproc compares with Python, each library and the
    raw floor (a loss in bold).

    >>> rows = [{"group": "pool.apply", "impl": "mproc", "contestant": "mproc", "value": 50.0, "unit": "us/op", "vs": "-"},
    ...         {"group": "pool.apply", "impl": "python", "contestant": "python", "value": 100.0, "unit": "us/op", "vs": "2.0x faster"},
    ...         {"group": "pool.apply", "impl": "pebble", "contestant": "pebble", "value": 40.0, "unit": "us/op", "vs": "1.2x slower"},
    ...         {"group": "pool.apply", "impl": "raw", "contestant": "raw", "value": 40.0, "unit": "us/op", "vs": "1.2x slower"},
    ...         {"group": "lock.guard", "impl": "mproc", "contestant": "mproc", "value": 1.0, "unit": "us/op", "vs": "-"},
    ...         {"group": "lock.guard", "impl": "python", "contestant": "python", "value": 3.0, "unit": "us/op", "vs": "3.0x faster"}]
    >>> print(headline(rows))
    | workload | mproc | vs Python | vs the libraries | vs raw syscalls |
    |---|---|---|---|---|
    | pool.apply | 50 us/op | 2.0x faster | pebble **1.2x slower** | **1.2x slower** |
    """
    def said(r, name=None):
        words = f"**{r['vs']}**" if r["vs"].endswith("slower") else r["vs"]
        return f"{name} {words}" if name else words

    groups = {}
    for r in figures:
        groups.setdefault(r["group"], []).append(r)
    lines = ["| workload | mproc | vs Python | vs the libraries | vs raw syscalls |", "|---|---|---|---|---|"]
    for group, rs in groups.items():
        mproc = next((r for r in rs if r["impl"] == "mproc"), None)
        libraries = [r for r in rs if r["contestant"] not in ("mproc", "raw", "python")]
        if not mproc or not libraries:
            continue
        python = [said(r, None if r["impl"] == "python" else r["impl"].removeprefix("python_")) for r in rs
                  if r["contestant"] == "python"]
        raw = [said(r, None if r["impl"] == "raw" else r["impl"]) for r in rs if r["contestant"] == "raw"][:1]  # the first: it has a target
        lines.append(f"| {group} | {amount(mproc['value'], mproc['unit'])} | {', '.join(python)} | "
                     f"{', '.join(said(r, r['impl']) for r in libraries)} | {', '.join(raw)} |")
    return "\n".join(lines)


def main(argv):
    if len(argv) != 3:
        print("usage: chart.py RESULTS.json OUT", file=sys.stderr)
        return 2
    draw(json.loads(Path(argv[1]).read_text()), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
