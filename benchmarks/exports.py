"""What the chapters' file exports cost: DOCX/RTF tables and SVG/PNG/PDF figures.

Builds the cohort once (not timed) for its validated tables and each chapter's
parameters, then runs every chapter's code cells in this process, in order, as a warm
kernel does (IPython, cleared namespace), --runs times, timing the whole chapter and
the time spent in each export writer of ``helpers.present.export`` and
``helpers.present.tables`` (figures split by format, and the resizing to the column each
figure is drawn from). Prints, per chapter and in total, the medians and the share of
the chapter's time the exports take.

    .venv/bin/python benchmarks/exports.py [--runs 3] [--cohort nct02084238]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import time
from pathlib import Path

from _common import ROOT, WORK, build_cmd, fresh, median, run_measured

CHAPTERS = ("cohort", "sri", "organ", "labs", "immunology", "safety")


def instrument(spent: collections.Counter) -> None:
    """Wrap the export writers so that each call adds its time to ``spent``."""
    import matplotlib.figure

    import helpers.present.export as export
    import helpers.present.tables as tables

    def timed(module, name, key=None):
        original = getattr(module, name)

        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent[key or name] += time.perf_counter() - t0

        setattr(module, name, wrapper)

    for name in ("write_table_docx", "write_table_rtf", "write_manifest"):
        timed(export, name)
    timed(tables, "write_table_csv")
    # the figure resized to the column in place (text scaled, laid out again), then put back
    timed(export, "_resize", "figure: resize")
    inside = {"figures": False}
    original_files = export.write_figure_files

    def figure_files(*a, **k):
        inside["figures"] = True
        try:
            return original_files(*a, **k)
        finally:
            inside["figures"] = False

    export.write_figure_files = figure_files
    savefig = matplotlib.figure.Figure.savefig

    def timed_savefig(self, fname, *a, **k):
        t0 = time.perf_counter()
        try:
            return savefig(self, fname, *a, **k)
        finally:
            if inside["figures"]:
                spent[f"figure: {k.get('format')}"] += time.perf_counter() - t0

    matplotlib.figure.Figure.savefig = timed_savefig


def run_chapter(shell, work: Path, name: str, downloads: Path) -> float:
    import nbformat

    import helpers.data

    record = json.loads((work / "cache" / f"{name}.json").read_text())
    params = {**record["parameters"], "downloads_dir": str(fresh(downloads / name))}
    (downloads / name).mkdir(parents=True)
    nb = nbformat.read(work / "sources" / f"{name}.ipynb", as_version=4)
    shell.run_line_magic("reset", "-f")
    helpers.data.forget_loaded()
    t0 = time.perf_counter()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        result = shell.run_cell(cell.source, silent=True)
        if "parameters" in cell.metadata.get("tags", []):
            shell.user_ns.update(params)
        if not result.success:
            raise SystemExit(f"chapter {name} failed: {result.error_in_exec or result.error_before_exec}")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cohort", default="nct02084238")
    args = parser.parse_args()
    work = fresh(WORK / "exports" / "work")
    run_measured(build_cmd(args.cohort, fresh(WORK / "exports" / "site"), work))

    import matplotlib

    matplotlib.use("agg")
    from IPython.core.interactiveshell import InteractiveShell

    import helpers.data

    helpers.data.use_validated_cache(str(work / "validated"))
    spent: collections.Counter = collections.Counter()
    instrument(spent)
    shell = InteractiveShell.instance()
    os.chdir(ROOT)
    chapters = [c for c in CHAPTERS if (work / "cache" / f"{c}.json").is_file()]
    totals: dict[str, list[float]] = collections.defaultdict(list)
    parts: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for i in range(args.runs + 1):  # the first run imports what the chapters use: not counted
        for name in chapters:
            spent.clear()
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                seconds = run_chapter(shell, work, name, WORK / "exports" / "downloads")
            if i:
                totals[name].append(seconds)
                for key, value in spent.items():
                    parts[name][key].append(value)
        if i:
            print(f"  run {i}: " + ", ".join(f"{n} {totals[n][-1]:.2f} s" for n in chapters), flush=True)
    keys = sorted({k for p in parts.values() for k in p})
    print()
    print(f"medians of {args.runs} runs, seconds")
    print(f"{'chapter':<11} {'total':>6} {'exports':>8} {'share':>6}  " + "  ".join(keys))
    grand, grand_exports = 0.0, 0.0
    for name in chapters:
        total = median(totals[name])
        by = {k: median(parts[name][k]) if parts[name][k] else 0.0 for k in keys}
        exports = sum(by.values())
        grand, grand_exports = grand + total, grand_exports + exports
        print(f"{name:<11} {total:>6.2f} {exports:>8.2f} {exports / total:>6.0%}  "
              + "  ".join(f"{by[k]:.2f}" for k in keys))
    print(f"{'all':<11} {grand:>6.2f} {grand_exports:>8.2f} {grand_exports / grand:>6.0%}")


if __name__ == "__main__":
    main()
