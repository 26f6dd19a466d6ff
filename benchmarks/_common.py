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
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
PYTHON = sys.executable


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes: proportional set size summed over the process and all its children
    peak_parts: dict = field(default_factory=dict)  # at the peak: what each kind of process held, bytes
    finished: bool = True  # False: killed at the timeout
    cpu_seconds: float = 0.0  # processor time (user + system) of the command and the processes it waited for


def process_kind(cmdline: list[str]) -> str:
    """What a process of a build is, for the memory at the peak: a kernel, the
    validation child, Jupyter Book, or the build itself."""
    text = " ".join(cmdline)
    if "ipykernel" in text:
        return "kernels"
    if "multiprocessing" in text:
        return "validation"
    if "jupyter-book" in text or "jupyter_book" in text:
        return "jupyter-book"
    return "build"


def run_measured(cmd: list[str], cwd: Path = ROOT, env: dict | None = None, poll: float = 0.2,
                 timeout: float | None = None) -> Run:
    """Run a command, returning its wall time and the peak memory of its whole process
    tree (the build, its kernels and Jupyter Book), sampled every ``poll`` s.

    Memory is the proportional set size (PSS): shared pages, such as the libraries every
    kernel maps, are split between the processes that share them, so the sum is the
    memory the build really holds (plain RSS would count them once per process).

    After ``timeout`` seconds the command and every process it started are killed, and
    the run is returned with ``finished`` False (its time is the timeout)."""
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    parts: dict[str, int] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, parts
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                now: dict[str, int] = {}
                for p in procs:
                    with contextlib.suppress(psutil.Error):  # a process that just ended
                        pss = p.memory_full_info().pss
                        total += pss
                        kind = process_kind(p.cmdline())
                        now[kind] = now.get(kind, 0) + pss
                if total > peak:
                    peak, parts = total, now
            except psutil.Error:
                pass
            done.wait(poll)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        tree = [*psutil.Process(proc.pid).children(recursive=True), psutil.Process(proc.pid)]
        for p in tree:  # this command's own processes, by id
            with contextlib.suppress(psutil.Error):
                p.kill()
        proc.communicate()
        done.set()
        sampler.join()
        return Run(time.perf_counter() - t0, peak, parts, finished=False, cpu_seconds=_children_cpu() - cpu0)
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{out[-4000:]}")
    return Run(seconds, peak, parts, cpu_seconds=_children_cpu() - cpu0)


def _children_cpu() -> float:
    """Processor seconds of this process's children that have ended (and, through them,
    of the processes they waited for: kernels, the validation child): another
    engineer's load on the machine stretches wall time, hardly this."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: What of the repository a build of a cohort reads, besides the package and the cohort.
BOOK = ("chapters", "_config.yml", "_toc.yml", "_static", "references.bib", "references.md",
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
