"""Rebuilds against a cold build: from the command line, and in the preview server.

Works on a copy of the book (benchmarks/_work/rebuild/book: the chapters, pages,
configuration, the cohort's folder and the ``helpers`` package, which every process
imports from there), so that a prose change can be made to a page, and an edit to the
repository's package meanwhile changes nothing measured.
Measures, in one run, the medians of --runs runs of:

- a cold build (`python -m helpers build`, empty cache);
- a rebuild with nothing changed (target: <= 0.1 of the cold build);
- a rebuild after one chapter's parameter changed (`--set sri.null_rate=...`, a
  different value each run), from the command line (for comparison with earlier figures);

then starts the preview server (`python -m helpers serve`) on the same copy, lets it
build, and measures in it:

- one parameter changed: the panel's "Rerun" of sri with another null_rate (a different
  value each run) until its answer, when the preview page is rendered (target: <= 0.2 of
  the cold build); the first rerun after a build, which also copies the published build
  into the preview, is reported on its own;
- a prose-only change to a Markdown page (rerunning.md) until the served page shows it
  (target: <= 0.1);
- a file touched but unchanged (chapters/sri.ipynb) until the server's build ended
  (target: <= 0.1).

    .venv/bin/python benchmarks/rebuild.py [--runs 3] [--cohort nct02084238]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import PYTHON, WORK, frozen_book, median, run_measured

ENV: dict = {}


def build(book: Path, cohort: str, *extra: str) -> float:
    return run_measured([PYTHON, "-m", "helpers", "build", cohort, "--root", str(book), *extra], env=ENV).seconds


class Server:
    """`python -m helpers serve` on the book copy, on a free port."""

    def __init__(self, book: Path, cohort: str):
        self.proc = subprocess.Popen([PYTHON, "-m", "helpers", "serve", cohort, "--root", str(book), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **ENV})
        first = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", first)
        if not match:
            raise SystemExit(f"the server did not start: {first}{self.proc.stdout.read()[-3000:]}")
        self.url = match.group(1)
        self.log: list[str] = []
        threading.Thread(target=lambda: self.log.extend(self.proc.stdout), daemon=True).start()

    def get(self, path: str, timeout: float = 600) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def status(self) -> dict:
        return json.loads(self.get("/__serve__/status")[1])

    def wait(self, key: str, after: int, deadline: float = 900) -> dict:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            s = self.status()
            if s[key] > after and not s["building"]:
                return s
            time.sleep(0.02)
        raise SystemExit("the server's build did not end in time:\n" + "".join(self.log[-40:]))

    def rerun(self, chapter: str, values: dict) -> dict:
        req = urllib.request.Request(self.url + "/__serve__/rerun", method="POST",
                                     data=json.dumps({"chapter": chapter, "values": values}).encode(),
                                     headers={"Content-Type": "application/json", "Origin": self.url})
        with urllib.request.urlopen(req, timeout=900) as r:
            answer = json.loads(r.read())
        if not answer.get("ok"):
            raise SystemExit(f"the rerun failed: {answer}")
        return answer

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=120)


def until(predicate, deadline: float = 600, step: float = 0.02) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(step)
    raise SystemExit("timed out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cohort", default="nct02084238")
    args = parser.parse_args()
    book, env = frozen_book(WORK / "rebuild" / "book", args.cohort)
    ENV.update(env)
    cold, unchanged, one_param = [], [], []
    for i in range(args.runs):
        shutil.rmtree(book / "_build", ignore_errors=True)
        c = build(book, args.cohort)
        u = build(book, args.cohort)
        p = build(book, args.cohort, "--set", f"sri.null_rate={0.31 + i / 100:.2f}")
        cold.append(c), unchanged.append(u), one_param.append(p)
        print(f"  run {i + 1}: cold {c:6.1f} s, nothing changed {u:5.1f} s, one parameter changed {p:5.1f} s", flush=True)

    server = Server(book, args.cohort)
    try:
        server.wait("builds", 0)
        first_rerun = None
        rerun, prose, touched = [], [], []
        page = book / "rerunning.md"
        for i in range(args.runs + 1):
            t0 = time.perf_counter()
            server.rerun("sri", {"null_rate": f"{0.41 + i / 100:.2f}"})
            t = time.perf_counter() - t0
            if first_rerun is None:
                first_rerun = t
            else:
                rerun.append(t)
        for i in range(args.runs):
            token = f"Benchmark sentence {time.time_ns()}."
            before = server.status()["builds"]
            t0 = time.perf_counter()
            page.write_text(page.read_text(encoding="utf-8") + f"\n{token}\n", encoding="utf-8")
            until(lambda token=token: token.encode() in server.get("/rerunning.html")[1])
            prose.append(time.perf_counter() - t0)
            server.wait("builds", before)
            before = server.status()["builds"]
            t0 = time.perf_counter()
            os.utime(book / "chapters" / "sri.ipynb")
            server.wait("builds", before)
            touched.append(time.perf_counter() - t0)
            print(f"  server run {i + 1}: rerun {rerun[i]:5.1f} s, prose change {prose[-1]:5.1f} s, "
                  f"touched {touched[-1]:5.1f} s", flush=True)
    finally:
        server.stop()

    c = median(cold)
    print()
    print(f"medians of {args.runs}: cold {c:.1f} s; command line: nothing changed {median(unchanged):.1f} s, "
          f"one parameter changed {median(one_param):.1f} s")
    print(f"in the server: one parameter changed {median(rerun):.1f} s (the first after a build {first_rerun:.1f} s), "
          f"prose change {median(prose):.1f} s, touched {median(touched):.1f} s")
    print(f"nothing changed / cold (command line): {median(unchanged) / c:.2f} (target <= 0.1)")
    print(f"one parameter changed / cold (command line): {median(one_param) / c:.2f}")
    print(f"one parameter changed / cold (server, panel rerun): {median(rerun) / c:.2f} (target <= 0.2); "
          f"first after a build {first_rerun / c:.2f}")
    print(f"prose-only change / cold (server): {median(prose) / c:.2f} (target <= 0.1)")
    print(f"touched, nothing changed / cold (server): {median(touched) / c:.2f} (target <= 0.1)")


if __name__ == "__main__":
    main()
