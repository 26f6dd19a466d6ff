"""Shared by the benchmark scripts: timing a build in a subprocess, with its peak memory.

Every benchmark prints ratios of times measured side by side in one run (absolute
seconds on a shared machine are noise), as the median of several runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
PYTHON = sys.executable


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes: proportional set size summed over the process and all its children


def run_measured(cmd: list[str], cwd: Path = ROOT, env: dict | None = None, poll: float = 0.2) -> Run:
    """Run a command, returning its wall time and the peak memory of its whole process
    tree (the build, its kernels and Jupyter Book), sampled every ``poll`` s.

    Memory is the proportional set size (PSS): shared pages, such as the libraries every
    kernel maps, are split between the processes that share them, so the sum is the
    memory the build really holds (plain RSS would count them once per process)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):  # a process that just ended
                        total += p.memory_full_info().pss
                peak = max(peak, total)
            except psutil.Error:
                pass
            done.wait(poll)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{out[-4000:]}")
    return Run(seconds, peak)


#: What of the repository a build of a cohort reads, besides the package and the cohort.
BOOK = ("chapters", "_config.yml", "_toc.yml", "_static", "references.bib", "intro.md", "references.md",
        "rerunning.md")


def frozen_book(dest: Path, cohort: str | None = None) -> tuple[Path, dict]:
    """A copy of the book at ``dest`` (its pages, configuration, chapters and, when
    named, the cohort's folder) with a copy of the ``helpers`` package in
    ``dest/src``, and the environment that makes every process of a build (the build,
    its kernels, a preview server) import that copy.

    The benchmarks run on a machine where the package may be edited meanwhile: an edit
    would change the package's hash, so that a rebuild meant to find nothing changed
    would run every chapter again (and a server would restart its kernels). The copy is
    what they measure; the package's source is copied, not its installed metadata.
    """
    fresh(dest)
    for name in BOOK:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    if cohort is not None:
        shutil.copytree(ROOT / "data" / cohort, dest / "data" / cohort)
    shutil.copytree(ROOT / "src" / "helpers", dest / "src" / "helpers",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest, {"PYTHONPATH": str(dest / "src")}


def build_cmd(cohort: str | Path, output: Path, work: Path, *extra: str) -> list[str]:
    return [PYTHON, "-m", "helpers", "build", str(cohort), "--output", str(output), "--work-dir", str(work), *extra]


def fresh(path: Path) -> Path:
    """``path`` gone, ready to be made anew (a published site is a link to a version
    folder beside it: both go)."""
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
    versions = path.parent / f".{path.name}.versions"
    if versions.is_dir():
        shutil.rmtree(versions)
    return path


def median(values: list[float]) -> float:
    return statistics.median(values)


def gib(n: int) -> float:
    return n / 2**30
