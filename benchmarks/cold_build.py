"""Cold build of the default book against Jupyter Book's own executor.

Measures, side by side and alternately, the median of --runs runs of:
- ours: `python -m helpers build` with an empty cache (papermill on warm kernels, one per
  core, then Jupyter Book with execution off), each run in a new work folder: no cached
  chapter, validated table or figure file (the figure cache lives in the work folder);
- Jupyter Book's executor: the same staged book, the same chapters with the same
  parameters injected but not executed, rendered by `jupyter-book build` with
  `execute_notebooks: force` (serial, one fresh kernel per notebook).
Target: ours / Jupyter Book's <= 0.35. Both run on a copy of the book and of the
``helpers`` package (benchmarks/_work/cold/book), which every process imports, so that
an edit to the repository meanwhile changes nothing measured.

    .venv/bin/python benchmarks/cold_build.py [--runs 3] [--cohort nct02084238]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import nbformat
import yaml
from _common import WORK, build_cmd, fresh, frozen_book, median, run_measured


def prepare_jupyter_book_copy(staging: Path, work: Path, dest: Path) -> Path:
    """A copy of a staged book whose chapters are parameterized but not executed."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    fresh(dest)
    shutil.copytree(staging, dest, ignore=shutil.ignore_patterns("_build"))
    for nb_path in sorted((dest / "chapters").glob("*.ipynb")):
        record = yaml.safe_load((work / "cache" / f"{nb_path.stem}.json").read_text())
        source = load_notebook_node(str(work / "sources" / nb_path.name))
        nb = parameterize_notebook(source, record["parameters"])
        nbformat.write(nb, nb_path)
    cfg_path = dest / "_config.yml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["execute"] = {"execute_notebooks": "force", "timeout": 1800}
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cohort", default="nct02084238")
    args = parser.parse_args()
    jb = str(Path(sys.executable).with_name("jupyter-book"))

    book, env = frozen_book(WORK / "cold" / "book", args.cohort)
    root = ("--root", str(book))
    # One build of ours gives the staged book and the parameters each chapter ran with.
    ref_work = fresh(WORK / "cold" / "reference-work")
    run_measured(build_cmd(args.cohort, fresh(WORK / "cold" / "reference-site"), ref_work, *root), env=env)
    jb_book = prepare_jupyter_book_copy(ref_work / "book", ref_work, WORK / "cold" / "jupyter-book")

    ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
    for i in range(args.runs):
        run = run_measured(build_cmd(args.cohort, fresh(WORK / "cold" / "site"), fresh(WORK / "cold" / "work"), *root),
                           env=env)
        ours.append(run.seconds)
        shutil.rmtree(jb_book / "_build", ignore_errors=True)
        jrun = run_measured([jb, "build", str(jb_book), "--builder", "html"], env=env)
        theirs.append(jrun.seconds)
        ours_cpu.append(run.cpu_seconds), theirs_cpu.append(jrun.cpu_seconds)
        print(f"  run {i + 1}: ours {run.seconds:6.1f} s ({run.cpu_seconds:.1f} s of processor), "
              f"Jupyter Book executor {jrun.seconds:6.1f} s ({jrun.cpu_seconds:.1f} s of processor)", flush=True)
    o, t = median(ours), median(theirs)
    print()
    print(f"cold build, median of {args.runs}: ours {o:.1f} s, Jupyter Book's executor {t:.1f} s")
    print(f"ratio ours / Jupyter Book: {o / t:.2f} (target <= 0.35); best run {min(ours) / min(theirs):.2f}")
    print(f"processor time, median: ours {median(ours_cpu):.1f} s, Jupyter Book's executor {median(theirs_cpu):.1f} s")


if __name__ == "__main__":
    main()
