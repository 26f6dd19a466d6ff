"""Rebuilds against a cold build: nothing changed, and one chapter's parameter changed.

Measures, in one run, the medians of --runs runs of:
- a cold build (empty cache);
- a rebuild with nothing changed (target: <= 0.1 of the cold build);
- a rebuild after one chapter's parameter changed (`--set sri.null_rate=...`, a
  different value each run; target: <= 0.4 of the cold build).

    .venv/bin/python benchmarks/rebuild.py [--runs 3] [--cohort nct02084238]
"""

from __future__ import annotations

import argparse

from _common import WORK, build_cmd, fresh, median, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cohort", default="nct02084238")
    args = parser.parse_args()
    site, work = WORK / "rebuild" / "site", WORK / "rebuild" / "work"
    cold, unchanged, one_param = [], [], []
    for i in range(args.runs):
        fresh(site), fresh(work)
        c = run_measured(build_cmd(args.cohort, site, work)).seconds
        u = run_measured(build_cmd(args.cohort, site, work)).seconds
        p = run_measured(build_cmd(args.cohort, site, work, "--set", f"sri.null_rate={0.31 + i / 100:.2f}")).seconds
        cold.append(c), unchanged.append(u), one_param.append(p)
        print(f"  run {i + 1}: cold {c:6.1f} s, nothing changed {u:5.1f} s, one parameter changed {p:5.1f} s", flush=True)
    c, u, p = median(cold), median(unchanged), median(one_param)
    print()
    print(f"medians of {args.runs}: cold {c:.1f} s, nothing changed {u:.1f} s, one parameter changed {p:.1f} s")
    print(f"nothing changed / cold: {u / c:.2f} (target <= 0.1)")
    print(f"one parameter changed / cold: {p / c:.2f} (target <= 0.4)")


if __name__ == "__main__":
    main()
