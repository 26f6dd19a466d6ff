"""The reliability matrix: what the build guarantees, tried as a careful user and an
adversarial one would (issue #11).

Each case runs the real command line on a copy of the tiny book (``tinybook.py``) and
asserts the exit status, the message, that the published site is byte-identical
afterwards and that the input folder is untouched. Concurrency and kill cases use real
processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from tinybook import make_book

from helpers.data.config import read_cohort_config
from helpers.publish import BuildError, build_book, cache
from helpers.publish.book import cohort_key, default_output
from helpers.publish.lock import BUSY_EXIT_STATUS, BuildLock
from helpers.publish.provenance import git_commit
from helpers.publish.site import OutputError, check_output, publish

pytestmark = pytest.mark.build


def tree(path: Path) -> dict[str, str]:
    """SHA-256 of every file under ``path`` (a published site's link is followed)."""
    path = path.resolve()
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def cli(book: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """``python -m helpers build`` on the tiny book (one kernel)."""
    cmd = [sys.executable, "-m", "helpers", "build", "tiny", "--root", str(book), "-j", "1", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def site(book: Path) -> Path:
    return book / "_build" / "cohorts" / "tiny" / "html"


def data(book: Path) -> Path:
    return book / "data" / "tiny"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The tiny book, built once; tests work on copies of it."""
    book = make_book(tmp_path_factory.mktemp("built") / "book")
    proc = cli(book)
    assert proc.returncode == 0, proc.stderr
    return book


@pytest.fixture
def book(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built tiny book (site included, as links)."""
    import shutil

    copy = tmp_path / "book"
    shutil.copytree(built, copy, symlinks=True)
    return copy


def assert_refused(proc: subprocess.CompletedProcess, *fragments: str, status: int = 1) -> None:
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


class Unchanged:
    """Snapshots of the published site and the inputs, compared after a failed build."""

    def __init__(self, book: Path):
        self.book = book
        self.site = tree(site(book))
        self.inputs = tree(data(book))

    def check(self) -> None:
        assert tree(site(self.book)) == self.site, "the published site changed"
        assert tree(data(self.book)) == self.inputs, "the input folder changed"


# ---------------------------------------------------------------------------------------
# 1. outputs never overwrite what the build did not make


@pytest.mark.parametrize("where", ["data", "root", "ancestor", "chapters", "foreign", "file"])
def test_output_refuses_folders_the_build_did_not_make(book: Path, where: str):
    foreign = book.parent / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("precious")
    (book.parent / "a-file").write_text("precious")
    target = {"data": data(book), "root": book, "ancestor": book.parent, "chapters": book / "chapters",
              "foreign": foreign, "file": book.parent / "a-file"}[where]
    before = Unchanged(book)
    others = tree(foreign), (book.parent / "a-file").read_bytes(), tree(book / "chapters")
    proc = cli(book, "--output", str(target))
    assert_refused(proc, "--output", "refused")
    before.check()
    assert (tree(foreign), (book.parent / "a-file").read_bytes(), tree(book / "chapters")) == others


def test_output_accepts_a_new_or_empty_folder_and_its_own_site(book: Path, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (empty, tmp_path / "new" / "site"):
        assert cli(book, "--output", str(target)).returncode == 0
        assert (target / "intro.html").is_file() and target.is_symlink()
        again = cli(book, "--output", str(target), "--force")  # its own site: replaced
        assert again.returncode == 0, again.stderr


def test_publish_is_one_atomic_switch_and_cleans_leftovers(book: Path, monkeypatch):
    out = site(book)
    versions = out.parent / ".html.versions"
    (versions / "orphan-from-a-crash").mkdir()
    (out.parent / ".html.new-999").mkdir()
    (out.parent / ".html.old-999").mkdir()
    assert out.is_symlink()
    assert cli(book, "--force").returncode == 0
    assert sorted(versions.iterdir()) == [out.resolve()], "only the published version is kept"
    assert not list(out.parent.glob(".html.[nol]*-*"))

    # a failure at the switch leaves the old site, whole, where it was
    before = tree(out)
    rendered = book / "_build" / ".work" / "tiny" / "book" / "_build" / "html"

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        publish(rendered, out, "x" * 64)
    monkeypatch.undo()
    assert tree(out) == before


def test_output_check_unit(tmp_path: Path):
    repo, data_dir = tmp_path / "repo", tmp_path / "repo" / "data" / "x"
    data_dir.mkdir(parents=True)
    rules = dict(read_only=[("the data folder", data_dir)], roots=[("the repository", repo)])
    check_output(repo / "_build" / "html", **rules)  # inside the repository: fine
    for bad in (repo, tmp_path, data_dir, data_dir / "site", Path("/")):
        with pytest.raises(OutputError, match="refused"):
            check_output(bad, **rules)


# ---------------------------------------------------------------------------------------
# 2. text from cohort.yml and folder names never runs as script

HOSTILE = "T <img src=x onerror=alert(1)> & Co"


def test_config_text_is_escaped_everywhere(tmp_path: Path):
    book = make_book(tmp_path / "book")
    cfg = data(book) / "cohort.yml"
    cfg.write_text(
        f'title: "{HOSTILE}"\nlabel: "L <b onmouseover=alert(2)>x</b>"\nregistry: "R<script>alert(3)</script>"\n'
        "simulated: true\ncontract: adam\narms: [A]\nchapters: [cohort]\n"
        "description: |\n  before\n  ```\n  <script>alert(4)</script>\n  after the fence\n"
    )
    hostile = book / "data" / "<img src=x onerror=alert(5)>"
    data(book).rename(hostile)
    proc = subprocess.run([sys.executable, "-m", "helpers", "build", str(hostile), "--root", str(book), "-j", "1",
                           "--output", str(tmp_path / "site")], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    pages = {p: p.read_text(encoding="utf-8") for p in (tmp_path / "site").resolve().rglob("*.html")}
    assert len(pages) >= 4
    for page, text in pages.items():
        for raw in ("<img src=x", "<script>alert", "<b onmouseover", "&amp;lt;"):
            assert raw not in text, (page.name, raw)
    provenance = pages[(tmp_path / "site").resolve() / "appendix" / "provenance.html"]
    # the description's backticks did not close the block: what follows is still code
    fence_end = provenance.index("after the fence")
    assert provenance.rfind("<pre>", 0, fence_end) > provenance.rfind("</pre>", 0, fence_end)
    assert "&lt;img src=x onerror=alert(5)&gt;" in provenance


def test_landing_outside_the_cohort_folder_is_refused(book: Path):
    cfg = data(book) / "cohort.yml"
    cfg.write_text(cfg.read_text().replace("landing: intro.md", "landing: ../../chapters/cohort.ipynb"))
    before = Unchanged(book)
    assert_refused(cli(book), "outside the cohort folder")
    before.check()


# ---------------------------------------------------------------------------------------
# 4. one build per cohort at a time


def test_second_build_exits_75_naming_the_holder(book: Path):
    before = Unchanged(book)
    with BuildLock(book / "_build" / ".work" / "tiny" / ".lock"):
        proc = cli(book, "--force")
    assert_refused(proc, f"PID {os.getpid()}", "--wait", status=BUSY_EXIT_STATUS)
    before.check()


def test_wait_waits_for_the_holder(book: Path):
    with BuildLock(book / "_build" / ".work" / "tiny" / ".lock"):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "helpers", "build", "tiny", "--root", str(book), "-j", "1", "--wait", "--force"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        for line in waiting.stdout:
            lines.append(line)
            if "waiting for another build" in line:
                break
        assert waiting.poll() is None, ("the second build did not wait", lines)
    out, err = waiting.communicate(timeout=240)
    assert waiting.returncode == 0, err
    assert "site ready" in out


def test_a_stale_lock_file_does_not_block(book: Path):
    (book / "_build" / ".work" / "tiny" / ".lock").write_text("PID 999999, started long ago: killed build\n")
    assert cli(book, "--force").returncode == 0


def test_two_builds_started_together(book: Path):
    procs = [subprocess.Popen([sys.executable, "-m", "helpers", "build", "tiny", "--root", str(book), "-j", "1",
                               "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    statuses = sorted(status for status, _ in results)
    assert statuses in ([0, 0], [0, BUSY_EXIT_STATUS]), results
    assert all("Traceback" not in err for _, err in results)
    again = cli(book)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert json.loads((site(book) / "results.json").read_text())["n_subjects"] == 3


def test_killed_build_recovers(book: Path):
    proc = subprocess.Popen([sys.executable, "-m", "helpers", "build", "tiny", "--root", str(book), "-j", "1",
                             "--force"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    for line in proc.stdout:
        if "chapter cohort: started" in line:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert (site(book) / "intro.html").is_file(), "the published site survives"
    again = cli(book)
    assert again.returncode == 0, again.stderr
    assert json.loads((site(book) / "results.json").read_text())["n_subjects"] == 3


def test_a_chapter_that_stops_early_is_never_cached(tmp_path: Path):
    book = make_book(tmp_path / "book")
    nb_path = book / "chapters" / "cohort.ipynb"
    nb = nbformat.read(nb_path, 4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    nbformat.write(nb, nb_path)
    t0 = time.monotonic()
    with pytest.raises(BuildError, match="chapter cohort") as err:
        build_book("tiny", root=book, workers=1, log=lambda _: None)
    assert time.monotonic() - t0 < 60, "a dead kernel is reported at once, not after a timeout"
    assert "died" in str(err.value).lower()
    assert not (book / "_build" / ".work" / "tiny" / "cache" / "cohort.json").exists()


# ---------------------------------------------------------------------------------------
# 5. the cache key covers everything a chapter reads; corrupt entries are rebuilt


def test_cache_covers_a_chapter_reading_another_folder(tmp_path: Path):
    book = make_book(tmp_path / "book")
    other = tmp_path / "other"
    other.mkdir()
    (other / "adsl.csv").write_text((data(book) / "adsl.csv").read_text())
    (other / "adae.csv").write_text((data(book) / "adae.csv").read_text())
    overrides = {"cohort": {"data_dir": str(other)}}
    build_book("tiny", root=book, workers=1, overrides=overrides, log=lambda _: None)
    assert json.loads((site(book) / "results.json").read_text())["n_subjects"] == 3
    with (other / "adsl.csv").open("a") as f:
        f.write("T-4,60,M,A,Y,Y\n")
    report = build_book("tiny", root=book, workers=1, overrides=overrides, log=lambda _: None)
    assert report.executed == ["cohort"]
    assert json.loads((site(book) / "results.json").read_text())["n_subjects"] == 4


@pytest.mark.parametrize("entry", ["validated/adsl.pkl", "validated/manifest.json", "declared", "cache/cohort.json",
                                   "executed/cohort.ipynb", "data.json"])
def test_a_corrupt_cache_entry_is_discarded_and_rebuilt(book: Path, entry: str):
    work = book / "_build" / ".work" / "tiny"
    # the copy moved the book: make the cache valid for the new place first
    assert cli(book).returncode == 0
    target = next((work / "declared").iterdir()) if entry == "declared" else work / entry
    target.write_bytes(target.read_bytes()[: max(1, target.stat().st_size // 2)])
    proc = cli(book)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((site(book) / "results.json").read_text())["n_subjects"] == 3
    assert cli(book, "--force").returncode == 0


# ---------------------------------------------------------------------------------------
# 9. errors are messages, not tracebacks; nothing is silently accepted


def _adsl_with_a_column_twice(book: Path) -> None:
    (data(book) / "adsl.csv").write_text("USUBJID,AGE,AGE,SEX,TRT01A,SAFFL,ITTFL\nT-1,30,30,F,A,Y,Y\n")


CONFIG_CASES = {
    "alpha": ("alpha: abc\n", "alpha"),
    "populations": ("populations: ITTFL\n", "populations"),
    "data_dir": ("data_dir: 5\n", "data_dir"),
    "simulated-string": ('simulated: "false"\n', "simulated"),
    "title-list": ("title: [a, b]\n", "title"),
    "course": ("courses:\n  - {number: 1, start_day: 30, end_day: 2}\n", "courses"),
    "duplicate-key": ("label: again\n", "label"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_config_errors_name_the_key(book: Path, case: str):
    text, key = CONFIG_CASES[case]
    cfg = data(book) / "cohort.yml"
    lines = [line for line in cfg.read_text().splitlines(keepends=True)
             if not (case in ("simulated-string", "title-list") and line.split(":")[0] in ("simulated", "title"))]
    cfg.write_text("".join(lines) + text)
    before = Unchanged(book)
    assert_refused(cli(book), key)
    before.check()


@pytest.mark.parametrize("case", ["directory", "fifo", "column-twice", "semicolons"])
def test_unreadable_tables_are_messages(book: Path, case: str):
    adae = data(book) / "adae.csv"
    if case == "directory":
        adae.unlink()
        adae.mkdir()
        fragment = "adae.csv"
    elif case == "fifo":
        adae.unlink()
        os.mkfifo(adae)
        fragment = "adae.csv"
    elif case == "column-twice":
        _adsl_with_a_column_twice(book)
        fragment = "AGE"
    else:
        (data(book) / "adsl.csv").write_text((data(book) / "adsl.csv").read_text().replace(",", ";"))
        fragment = ";"
    site_before = tree(site(book))
    proc = cli(book, timeout=120)
    assert_refused(proc, fragment)
    assert tree(site(book)) == site_before


def test_set_value_of_the_wrong_type_is_a_message(book: Path):
    assert_refused(cli(book, "--set", "cohort.scale=abc"), "cohort.scale")


def test_empty_adae_is_a_trial_without_adverse_events(book: Path):
    (data(book) / "adae.csv").write_text("USUBJID,AETERM,AEDECOD,AEBODSYS,AESER,AEREL,ASTDY,TRTEMFL\n")
    assert cli(book).returncode == 0


def test_empty_adsl_is_refused(book: Path):
    (data(book) / "adsl.csv").write_text("USUBJID,AGE,SEX,TRT01A,SAFFL,ITTFL\n")
    assert_refused(cli(book), "adsl", "no rows")


def test_identifiers_are_listed_with_every_other_problem(book: Path):
    before = Unchanged(book)
    (data(book) / "adsl.csv").write_text(
        "USUBJID,AGE,SEX,TRT01A,SAFFL,ITTFL,BRTHDAT\nT-1,abc,F,A,Y,Y,1980-01-01\n")
    proc = cli(book)
    assert_refused(proc, "BRTHDAT", "AGE")
    assert "1980-01-01" not in proc.stderr
    assert tree(site(book)) == before.site


# ---------------------------------------------------------------------------------------
# 10. smaller guarantees


def test_a_folder_elsewhere_with_a_known_name_gets_its_own_site(tmp_path: Path):
    book = make_book(tmp_path / "book")
    elsewhere = tmp_path / "export" / "nct02084238"
    (book / "data" / "tiny").rename(elsewhere.parent.mkdir() or elsewhere)
    config = read_cohort_config(elsewhere)
    key = cohort_key(config, book)
    assert key.startswith("nct02084238-") and key != "nct02084238"
    assert default_output(config, book) != book / "_build" / "html"


def test_the_build_never_takes_the_git_index_lock(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (repo / "f.txt").write_text("x")
    run("add", "f.txt")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    index = repo / ".git" / "index"
    os.utime(repo / "f.txt", (1, 1))  # stat-dirty: a plain `git status` would rewrite the index
    before = index.stat().st_mtime_ns
    assert "local changes" not in git_commit(repo)
    assert index.stat().st_mtime_ns == before


def test_kernels_talk_over_local_sockets(book: Path):
    proc = cli(book, "--force")
    assert proc.returncode == 0
    assert "without encryption" not in proc.stdout + proc.stderr


def test_force_rebuilds_from_nothing(book: Path, monkeypatch):
    work = book / "_build" / ".work" / "tiny"
    monkeypatch.setattr(cache, "helpers_source_hash", lambda: "fixed")
    build_book("tiny", root=book, workers=1, log=lambda _: None)
    (work / "stray-file").write_text("x")
    report = build_book("tiny", root=book, workers=1, force=True, log=lambda _: None)
    assert report.executed == ["cohort"] and report.rendered
    assert not (work / "stray-file").exists()


# ---------------------------------------------------------------------------------------
# 9. the public build profile


def test_public_profile_leaves_out_listings_sources_and_small_counts(tmp_path: Path):
    import shutil

    from helpers.present.disclosure import is_count_name

    root = Path(__file__).resolve().parents[1]
    cohort = tmp_path / "export" / "nct02084238"
    shutil.copytree(root / "data" / "nct02084238", cohort)
    cfg = cohort / "cohort.yml"
    cfg.write_text(cfg.read_text().replace("chapters: [cohort, sri, organ, labs, immunology, safety]",
                                           "chapters: [cohort, safety]"))  # its landing: intro.md, rewritten below
    (cohort / "intro.md").write_text("# Public build\n\n{glue:text}`chapters/safety.ipynb::grade3plus_subjects:s` patients.\n")
    out = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "helpers", "build", str(cohort), "--profile", "public", "--output",
                           str(out), "--work-dir", str(tmp_path / "work")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    small = {k: v for k, v in results.items() if is_count_name(k) and isinstance(v, int) and 0 < v < 5}
    assert not small, small
    assert "< 5" in results.values() or "< 5" in (out / "chapters" / "safety.html").read_text()
    safety = (out / "chapters" / "safety.html").read_text()
    assert "left out of this public build" in safety and "dt-ae-listing" not in safety
    assert not (out / "_sources").exists()
    assert not list((out / "downloads").rglob("*listing*"))
    assert "Build profile" in (out / "appendix" / "provenance.html").read_text()
