"""Scale: cold builds of simulated cohorts of 40, 400, 4,000 and 40,000 subjects.

Prints, for each size, the cold-build time (median of --runs), its ratio to the smallest
cohort's, and the peak memory of the whole build (the build process, its kernels and
Jupyter Book, summed). Targets: largest / smallest <= 3, peak memory < 2 GiB.

    .venv/bin/python benchmarks/scale.py [--sizes 40 400 4000 40000] [--runs 3]

The cohorts are generated (not timed) into benchmarks/_work/, which is git-ignored.
"""

from __future__ import annotations

import argparse
import shutil

from _common import ROOT, WORK, build_cmd, fresh, gib, median, run_measured


def make_cohort(n: int) -> object:
    from helpers.simulate import generate_cohort, write_cohort

    folder = WORK / "scale" / f"n{n}"
    if not (folder / "adsl.csv").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_cohort(generate_cohort("nct02084238", n_subjects=n), folder)
        shutil.copy(ROOT / "data" / "nct02084238" / "cohort.yml", folder / "cohort.yml")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 400, 4000, 40000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        folder = make_cohort(n)
        times, peaks = [], []
        for i in range(args.runs):
            work = fresh(WORK / "scale" / f"work-n{n}")
            out = fresh(WORK / "scale" / f"site-n{n}")
            run = run_measured(build_cmd(folder, out, work))
            times.append(run.seconds)
            peaks.append(run.peak_rss)
            print(f"  n={n:>6} run {i + 1}: {run.seconds:6.1f} s, peak {gib(run.peak_rss):.2f} GiB", flush=True)
        rows.append((n, median(times), max(peaks)))
    base = rows[0][1]
    print()
    print(f"{'subjects':>9} {'cold build, s':>14} {'ratio to n=' + str(rows[0][0]):>14} {'peak memory, GiB':>17}")
    for n, t, peak in rows:
        print(f"{n:>9} {t:>14.1f} {t / base:>14.2f} {gib(peak):>17.2f}")
    largest = rows[-1]
    print()
    print(f"largest / smallest: {largest[1] / base:.2f} (target <= 3); "
          f"peak memory of the largest: {gib(largest[2]):.2f} GiB (target < 2)")


if __name__ == "__main__":
    main()
