#!/usr/bin/env python3
"""Plots the figures of `grantledger bench --json OUT`: cost against log size.

Usage: bench/plot.py BENCH.json [--out docs/perf-growth.png] [--venv DIR]

Four log-log panels against events in the log: import / replay / server start
(s); point-in-time queries (ms, p50 and p99, at the head and at any
(as_of, at_seq)); HTTP appends (ms); memory and disk (MiB). The issue's
targets are dashed lines.

Needs matplotlib. When it is missing, the script makes a virtual environment
(default ~/.cache/grantledger/plot-venv, or --venv DIR), pip-installs
matplotlib into it from PyPI and runs itself again with that interpreter.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

DEFAULT_VENV = Path.home() / ".cache" / "grantledger" / "plot-venv"


def ensure_matplotlib(venv: Path) -> None:
    """Imports matplotlib, or installs it into `venv` and re-runs the script there."""
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("GRANTLEDGER_PLOT_REEXEC"):
        sys.exit(f"matplotlib is still missing in {sys.executable}")
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"plot: making a virtual environment in {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    has = subprocess.run([str(python), "-c", "import matplotlib"], capture_output=True)
    if has.returncode != 0:
        print("plot: installing matplotlib", file=sys.stderr)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "matplotlib"], check=True)
    env = dict(os.environ, GRANTLEDGER_PLOT_REEXEC="1")
    os.execve(str(python), [str(python), os.path.abspath(__file__), *sys.argv[1:]], env)


def get(d, *path):
    """d[path[0]][path[1]]... or None when any step is missing or null."""
    for p in path:
        if not isinstance(d, dict) or d.get(p) is None:
            return None
        d = d[p]
    return d


def series(runs, *path, scale=1.0):
    """(events, value) pairs of the runs that have the figure."""
    xs, ys = [], []
    for r in runs:
        v = get(r, *path)
        if v is not None and r.get("events"):
            xs.append(r["events"])
            ys.append(v * scale)
    return xs, ys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path, help="the file written by `grantledger bench --json`")
    ap.add_argument("--out", type=Path, default=Path("docs/perf-growth.png"))
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    a = ap.parse_args()
    ensure_matplotlib(a.venv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doc = json.loads(a.json.read_text())
    runs = sorted(doc.get("runs", []), key=lambda r: r.get("events") or 0)
    if not runs:
        sys.exit(f"{a.json}: no runs")
    targets = doc.get("targets", {})
    mib = 1 / (1024 * 1024)

    fig, axes = plt.subplots(2, 2, figsize=(12, 9))

    def panel(ax, title, unit, lines, hlines=()):
        drawn = False
        for label, (xs, ys), style in lines:
            if xs:
                ax.plot(xs, ys, style, label=label)
                drawn = True
        for label, y in hlines:
            if y is not None:
                ax.axhline(y, linestyle="--", color="grey", linewidth=0.8)
                ax.annotate(label, (0.01, y), xycoords=("axes fraction", "data"),
                            fontsize=8, color="grey", va="bottom")
        ax.set_title(title)
        ax.set_xlabel("events in the log")
        ax.set_ylabel(unit)
        ax.set_xscale("log")
        if drawn:
            ax.set_yscale("log")
            ax.legend(fontsize=8)
        ax.grid(True, which="both", linewidth=0.3)

    panel(axes[0][0], "Whole-log work", "seconds", [
        ("durable import", series(runs, "import", "seconds"), "o-"),
        ("replay from seq 1 (read+decode+fold)", series(runs, "replay", "seconds"), "s-"),
        ("replay: fold alone", series(runs, "replay", "fold_seconds"), "s--"),
        ("server start (fold of the log)", series(runs, "server", "startup_seconds"), "^-"),
    ])
    q = ("server", "queries")
    panel(axes[0][1], "Point-in-time queries over loopback", "ms", [
        ("indicators at head p50", series(runs, *q, "indicators", "head", "p50_ms"), "o-"),
        ("indicators at head p99", series(runs, *q, "indicators", "head", "p99_ms"), "o--"),
        ("indicators at any p50", series(runs, *q, "indicators", "any", "p50_ms"), "s-"),
        ("indicators at any p99", series(runs, *q, "indicators", "any", "p99_ms"), "s--"),
        ("findings at any p99", series(runs, *q, "findings", "any", "p99_ms"), "^--"),
        ("period report at any p99", series(runs, *q, "period_report", "any", "p99_ms"), "v--"),
    ], [("target p99 at head", targets.get("indicators_head_p99_ms")),
        ("target p99 at any", targets.get("indicators_any_p99_ms"))])
    a_ = ("server", "appends")
    panel(axes[1][0], "HTTP appends, single events, concurrent clients", "ms", [
        ("p50", series(runs, *a_, "p50_ms"), "o-"),
        ("p99", series(runs, *a_, "p99_ms"), "o--"),
        ("max", series(runs, *a_, "max_ms"), "x:"),
    ], [("target p99", targets.get("append_p99_ms"))])
    panel(axes[1][1], "Memory and disk", "MiB", [
        ("server peak RSS", series(runs, "server", "peak_rss_mib"), "o-"),
        ("importer peak RSS", series(runs, "import", "peak_rss_mib"), "o--"),
        ("on disk after import", series(runs, "disk", "allocated_bytes", scale=mib), "s-"),
        ("encoded records", series(runs, "disk", "encoded_bytes", scale=mib), "s--"),
    ], [("target RSS", targets.get("server_peak_rss_mib"))])

    machine = doc.get("machine", {})
    fig.suptitle(f"grantledger cost against log size — {machine.get('cores', '?')} cores, "
                 f"{machine.get('filesystem', '?')}, {doc.get('measured_at', '')[:10]}")
    fig.tight_layout()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.out, dpi=110)
    print(f"plot: wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
