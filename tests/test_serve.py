"""The live preview server (issue #17): ``python -m helpers serve``.

The server cases run the real command line on a copy of the tiny book (``tinybook.py``)
with one kernel, and talk to it over HTTP as a browser would: it serves only on the
loopback address, rebuilds after a file change, reruns a chapter from the parameter
panel with a typed value, refuses a malformed value and a foreign origin, shows a
failing chapter's cell on the page, and leaves no process behind when it stops. Waits
poll the server's status with a deadline; nothing sleeps for a fixed time.

The pure pieces (watching, parameters, the page side) and the resident kernel pool
(with fake kernels) are tested on their own.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest
from tinybook import make_book

from helpers.errors import ConfigError
from helpers.publish.execute import ChapterRun, KernelDiedError, KernelPool
from helpers.publish.serve import (
    LIVE_JS,
    PREFIX,
    _site_file,
    changed_files,
    error_page,
    failed_cells,
    format_literal,
    inject,
    live_script_tag,
    parameter_type,
    parse_parameter_values,
    reproduce_command,
    snapshot,
)

# ---------------------------------------------------------------------------------------
# the pure pieces


def test_changed_files_added_removed_changed():
    before = {"a": (1, 10), "b": (1, 10), "gone": (1, 1)}
    after = {"a": (1, 10), "b": (2, 10), "new": (5, 5)}
    assert changed_files(before, after) == ["b", "gone", "new"]
    assert changed_files(before, before) == []


def test_snapshot_skips_a_file_removed_meanwhile(tmp_path: Path):
    f = tmp_path / "a.txt"
    f.write_text("abc")
    snap = snapshot([f, tmp_path / "missing.txt"])
    assert list(snap) == [str(f)]
    assert snap[str(f)][1] == 3  # the size


def test_parameter_type_names():
    assert [parameter_type(v) for v in (0.3, 24, False, "holm", [1], {"a": 1}, None)] == \
        ["float", "int", "bool", "str", "list", "dict", "any"]


def test_format_literal_reads_back_as_yaml():
    import yaml

    for value in (0.4, 24, True, "holm", "", "a: b", [12, 24], {"x": 1}, None):
        assert yaml.safe_load(format_literal(value)) == value
    assert format_literal(0.4) == "0.4"
    assert format_literal("a: b") == "'a: b'"


def test_parse_parameter_values_typed():
    declared = {"null_rate": "0.3", "weeks": "[24]", "method": "'holm'", "downloads_dir": "None"}
    out = parse_parameter_values("sri", {"null_rate": "0.4", "weeks": "[12, 24]", "method": "bonferroni"}, declared)
    assert out == {"null_rate": 0.4, "weeks": [12, 24], "method": "bonferroni"}
    assert type(out["null_rate"]) is float


def test_parse_parameter_values_never_runs_code():
    # YAML reads this as a string, which the int default refuses: nothing is evaluated
    with pytest.raises(ConfigError, match=r"--set cohort.scale: .*whole number.*__import__"):
        parse_parameter_values("cohort", {"scale": "__import__('os').system('false')"}, {"scale": "1"})


def test_parse_parameter_values_refusals():
    declared = {"null_rate": "0.3", "downloads_dir": "None"}
    with pytest.raises(ConfigError, match=r"--set sri.nul_rate: chapter sri declares no parameter 'nul_rate'"):
        parse_parameter_values("sri", {"nul_rate": "0.4"}, declared)
    with pytest.raises(ConfigError, match=r"--set sri.downloads_dir: set by the build"):
        parse_parameter_values("sri", {"downloads_dir": "/tmp"}, declared)
    with pytest.raises(ConfigError, match=r"--set sri.null_rate: expected the value as text"):
        parse_parameter_values("sri", {"null_rate": 0.4}, declared)
    with pytest.raises(ConfigError, match=r"--set sri.null_rate: no value"):
        parse_parameter_values("sri", {"null_rate": " "}, declared)
    with pytest.raises(ConfigError, match=r"--set sri.null_rate"):
        parse_parameter_values("sri", {"null_rate": "1.5"}, declared)  # a rate above 1


def test_reproduce_command_quotes_for_the_shell():
    assert reproduce_command("tiny", {"cohort": {"scale": 2}}, Path("/books/my book")) == \
        "python -m helpers build tiny --root '/books/my book' --set cohort.scale=2"
    assert reproduce_command("x", {"sri": {"label": "a b"}}) == "python -m helpers build x --set 'sri.label=a b'"
    assert reproduce_command("x", {}) == "python -m helpers build x"


def test_inject_before_the_closing_body_tag():
    assert inject(b"<p>x</p></BODY>", "<i>") == b"<p>x</p><i></BODY>"
    assert inject(b"<p>no body</p>", "<i>") == b"<p>no body</p><i>"
    assert live_script_tag(3) == '<script src="/__serve__/live.js" data-generation="3"></script>'


def test_site_file_stays_inside_the_site(tmp_path: Path):
    site = tmp_path / "site"
    (site / "chapters").mkdir(parents=True)
    (site / "index.html").write_text("i")
    (site / "chapters" / "a.html").write_text("a")
    (tmp_path / "secret.txt").write_text("s")
    assert _site_file(site, "/") == (site / "index.html").resolve()
    assert _site_file(site, "/chapters/a.html") == (site / "chapters" / "a.html").resolve()
    assert _site_file(site, "/../secret.txt") is None
    assert _site_file(site, "/%2e%2e/secret.txt") is None
    assert _site_file(site, "/missing.html") is None


def test_error_page_escapes_and_links_the_last_good_page():
    cells = [{"chapter": "sri", "cell": 4, "source": "x = '<b>'", "error": "ValueError: <bad>", "traceback": "tb"}]
    page = error_page("1 chapter(s) failed <x>", cells, "/chapters/sri.html", 7, last_good=True).decode()
    assert "&lt;x&gt;" in page and "<x>" not in page
    assert "x = &#x27;&lt;b&gt;&#x27;" in page and "ValueError: &lt;bad&gt;" in page
    assert '<a href="/chapters/sri.html?last-good">' in page
    assert "Chapter sri, cell 4 of chapters/sri.ipynb" in page
    assert 'data-generation="7" data-error="1"' in page
    assert "last good" not in error_page("e", [], "/", 1, last_good=False).decode()


def test_failed_cells_reads_the_kept_notebook(tmp_path: Path):
    nb = nbformat.v4.new_notebook()
    marker = nbformat.v4.new_markdown_cell("An Exception was encountered")
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    ok = nbformat.v4.new_code_cell("a = 1")
    bad = nbformat.v4.new_code_cell("b = 1 / 0")
    bad.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                          traceback=["\x1b[31mZeroDivisionError\x1b[0m", "line 1"])]
    nb.cells = [marker, ok, bad]
    (tmp_path / "failed").mkdir()
    nbformat.write(nb, tmp_path / "failed" / "sri.ipynb")
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    source = nbformat.v4.new_notebook()
    source.cells = [nbformat.v4.new_markdown_cell("# SRI"), nbformat.v4.new_code_cell("a = 1"),
                    nbformat.v4.new_markdown_cell("text"), nbformat.v4.new_code_cell("b = 1 / 0")]
    nbformat.write(source, chapters / "sri.ipynb")
    assert failed_cells(tmp_path) == [{"chapter": "sri", "cell": 2, "source": "b = 1 / 0",
                                       "error": "ZeroDivisionError: division by zero",
                                       "traceback": "ZeroDivisionError\nline 1"}]
    assert failed_cells(tmp_path, chapters=chapters)[0]["cell"] == 4  # its number in the chapter
    assert failed_cells(tmp_path, since=time.time() + 60) == []  # kept by an earlier build


def test_live_script_uses_no_network_but_the_server():
    assert "http" not in LIVE_JS.replace("https://", "")  # relative URLs only
    assert "eval(" not in LIVE_JS
    assert PREFIX in LIVE_JS


# ---------------------------------------------------------------------------------------
# the resident kernel pool, with fake kernels


class FakeKernel:
    started: list[FakeKernel] = []

    def __init__(self):
        self.alive = True
        self.ran: list[tuple[str, object]] = []
        self.pid = None
        FakeKernel.started.append(self)

    def is_alive(self) -> bool:
        return self.alive

    def execute(self, run, execution_timeout=None, validated_cache=None):
        if not self.alive:
            raise KernelDiedError("gone")
        if run.name == "boom":
            raise RuntimeError("the chapter raised")
        self.ran.append((run.name, validated_cache))

    def shutdown(self):
        self.alive = False


def runs(*names: str) -> list[ChapterRun]:
    return [ChapterRun(n, Path(f"{n}.ipynb"), Path(f"out/{n}.ipynb"), {}, Path(".")) for n in names]


@pytest.fixture
def fake_pool():
    FakeKernel.started = []
    pool = KernelPool(2, kernel_factory=FakeKernel)
    yield pool
    pool.close()


def test_kernel_pool_keeps_its_kernels_between_batches(fake_pool: KernelPool):
    fake_pool.use_validated_cache(Path("/v"))
    first = fake_pool.run(runs("a", "b", "c"))
    second = fake_pool.run(runs("d"))
    assert [r.ok for r in first + second] == [True, True, True, True]
    assert len(FakeKernel.started) == 2  # no kernel started for the second batch
    ran = sorted(x for k in FakeKernel.started for x in k.ran)
    assert ran == [("a", Path("/v")), ("b", Path("/v")), ("c", Path("/v")), ("d", Path("/v"))]


def test_kernel_pool_reports_a_failing_chapter_and_goes_on(fake_pool: KernelPool):
    results = fake_pool.run(runs("a", "boom", "c"))
    assert [(r.name, r.ok) for r in results] == [("a", True), ("boom", False), ("c", True)]
    assert results[1].error == "RuntimeError: the chapter raised"


def test_kernel_pool_replaces_a_dead_kernel(fake_pool: KernelPool):
    fake_pool.wait_ready()
    FakeKernel.started[0].alive = False
    assert fake_pool.replace_dead() == 1
    fake_pool.wait_ready()
    assert len(FakeKernel.started) == 3
    assert [r.ok for r in fake_pool.run(runs("a", "b"))] == [True, True]
    assert fake_pool.replace_dead() == 0


def test_kernel_pool_restart_and_close(fake_pool: KernelPool):
    fake_pool.wait_ready()
    old = list(FakeKernel.started)
    fake_pool.restart()
    fake_pool.wait_ready()
    assert not any(k.alive for k in old) and len(FakeKernel.started) == 4
    fake_pool.close()
    assert not any(k.alive for k in FakeKernel.started)
    assert fake_pool.replace_dead() == 0 and len(FakeKernel.started) == 4  # none started once closed
    with pytest.raises(RuntimeError, match="the kernel pool is closed"):
        fake_pool.run(runs("a"))


# ---------------------------------------------------------------------------------------
# the server, as a browser talks to it

DEADLINE = 180.0


class Served:
    """A ``python -m helpers serve`` process on a tiny book, and how to talk to it."""

    def __init__(self, book: Path, *extra: str, env: dict | None = None):
        import os

        self.book = book
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "helpers", "serve", "tiny", "--root", str(book), "--port", "0", "-j", "1",
             "--poll", "0.2", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        first = self.proc.stdout.readline()
        self.lines.append(first)
        match = re.search(r"serving (http://127\.0\.0\.1:(\d+)/)", first)
        assert match, first
        self.url, self.port = match.group(1), int(match.group(2))
        import threading

        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def request(self, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url.rstrip("/") + path, data=data, headers=headers or {},
                                     method="POST" if data is not None else "GET")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=DEADLINE) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def status(self) -> dict:
        return json.loads(self.request(f"{PREFIX}status")[1])

    def wait_built(self, after: int = 0) -> dict:
        """Wait (long-polling the server) until a build after generation ``after`` ended."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            s = self.status()
            if s["generation"] > after and not s["building"]:
                return s
            self.request(f"{PREFIX}events?since={s['generation']}")
        raise AssertionError("no build finished in time:\n" + "".join(self.lines[-30:]))

    def page(self, path: str) -> str:
        return self.request(path)[1].decode()

    def rerun(self, chapter: str, values: dict, origin: str | None = "own") -> tuple[int, dict]:
        headers = {"Origin": self.url.rstrip("/")} if origin == "own" else ({"Origin": origin} if origin else {})
        status, body = self.request(f"{PREFIX}rerun", {"chapter": chapter, "values": values}, headers)
        return status, json.loads(body)

    def descendants(self) -> list[int]:
        return [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)]

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def stop_leaving_nothing(self, sig: int, pids: list[int]) -> None:
        """Stop the server with ``sig``: it exits 0 and, within 30 s, none of ``pids``
        (the server and the kernels it started) is left."""
        assert self.stop(sig) == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in pids):
            time.sleep(0.1)
        assert not [p for p in pids if psutil.pid_exists(p)]


def frozen(book: Path) -> dict:
    """A copy of the package in the book, and the environment that makes the server and
    its kernels import it: what the server runs then cannot change under a test (an
    edit to the repository's package meanwhile would restart it)."""
    import shutil

    import helpers

    shutil.copytree(Path(helpers.__file__).parent, book / "src" / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    return {"PYTHONPATH": str(book / "src")}


def subjects(page: str) -> str:
    match = re.search(r"There are (?:<[^>]+>)?(\d+)", page)
    assert match, page[:2000]
    return match.group(1)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    book = make_book(tmp_path_factory.mktemp("serve") / "book")
    server = Served(book, env=frozen(book))
    try:
        server.wait_built()
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


@pytest.mark.build
def test_serve_builds_and_serves_the_site_on_loopback_only(served: Served):
    listening = [c for c in psutil.Process(served.proc.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert [(c.laddr.ip, c.laddr.port) for c in listening] == [("127.0.0.1", served.port)]
    for pid in served.descendants():  # nor does any kernel listen beyond the loopback address
        assert {c.laddr.ip for c in psutil.Process(pid).net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN} <= {"127.0.0.1", "::1"}
    page = served.page("/chapters/cohort.html")
    assert subjects(page) == "3"
    assert '<script src="/__serve__/live.js" data-generation="' in page
    # injected into what is served, never into the published files
    site = served.book / "_build" / "cohorts" / "tiny" / "html"
    assert "__serve__" not in (site / "chapters" / "cohort.html").read_text()
    assert served.request(f"{PREFIX}live.js")[0] == 200


@pytest.mark.build
def test_serve_refuses_a_foreign_host(served: Served):
    status, body = served.request("/chapters/cohort.html", headers={"Host": f"evil.example:{served.port}"})
    assert status == 403 and b"its own address" in body


@pytest.mark.build
def test_serve_panel_lists_the_parameters_with_types(served: Served):
    info = json.loads(served.page(f"{PREFIX}params?chapter=cohort"))
    rows = {p["name"]: p for p in info["parameters"]}
    assert rows["scale"] == {"name": "scale", "type": "int", "value": "1", "editable": True, "source": "notebook"}
    assert rows["cohort_dir"]["value"] == "data/tiny" and rows["cohort_dir"]["source"] == "build"
    assert rows["downloads_dir"]["editable"] is False
    assert served.request(f"{PREFIX}params?chapter=nope")[0] == 404


@pytest.mark.build
def test_serve_reruns_a_chapter_into_a_preview_copy(served: Served):
    status, answer = served.rerun("cohort", {})  # as published: the chapter is reused, not run
    assert status == 200, answer
    assert answer["executed"] == [] and answer["changed"] == 0
    status, answer = served.rerun("cohort", {"scale": "2"})
    assert status == 200, answer
    assert answer["ok"] is True and answer["executed"] == ["cohort"]
    # the server runs the book's own copy of the package, whose root the book is: no --root
    assert answer["command"] == "python -m helpers build tiny --set cohort.scale=2"
    assert answer["changed"] == 1
    assert "<code>n_subjects</code></th><td>changed</td><td>3</td><td>6</td>" in answer["changes_html"]
    assert subjects(served.page(answer["preview"])) == "6"
    assert subjects(served.page("/chapters/cohort.html")) == "3"  # the published site is untouched
    assert not (served.book / "_build" / ".preview" / "tiny" / "html" / "chapters" / "cohort.html").is_symlink()


@pytest.mark.build
def test_serve_refuses_a_malformed_value(served: Served):
    status, answer = served.rerun("cohort", {"scale": "two"})
    assert status == 400
    assert answer == {"ok": False, "error": "--set cohort.scale: expected a whole number (the notebook's default "
                                            "is 1), got 'two'"}
    status, answer = served.rerun("cohort", {"scale": "[1, 2"})
    assert status == 400 and answer["error"].startswith("--set cohort.scale, line 1: not valid YAML")
    status, answer = served.rerun("nope", {})
    assert status == 400 and "no chapter 'nope'" in answer["error"]


@pytest.mark.build
def test_serve_refuses_a_foreign_origin(served: Served):
    for origin in ("http://evil.example", f"http://127.0.0.1:{served.port + 1}", None):
        status, answer = served.rerun("cohort", {"scale": "2"}, origin=origin)
        assert status == 403, origin
        assert answer["error"] == "refused: the request does not come from this server's own pages"
    # a Referer from the server's own pages is accepted when no Origin is sent
    status, body = served.request(f"{PREFIX}rerun", {"chapter": "cohort", "values": {"scale": "x"}},
                                  {"Referer": served.url + "chapters/cohort.html"})
    assert status == 400  # past the origin check, refused for its value


@pytest.mark.build
def test_serve_rebuilds_after_a_data_change(served: Served):
    generation = served.status()["generation"]
    adsl = served.book / "data" / "tiny" / "adsl.csv"
    adsl.write_text(adsl.read_text() + "T-4,60,M,A,Y,Y\n")
    served.wait_built(after=generation)
    assert subjects(served.page("/chapters/cohort.html")) == "4"


@pytest.mark.build
def test_serve_shows_a_failing_chapter_and_the_last_good_page(served: Served):
    notebook = served.book / "chapters" / "cohort.ipynb"
    good = notebook.read_text()
    nb = nbformat.reads(good, as_version=4)
    nb.cells[1].source += "\nraise ValueError('broken on purpose')"
    generation = served.status()["generation"]
    notebook.write_text(nbformat.writes(nb))
    state = served.wait_built(after=generation)
    assert state["error"] and "chapter cohort" in state["error"]
    status, body = served.request("/chapters/cohort.html")
    page = body.decode()
    assert status == 500
    assert "Chapter cohort, cell 2 of chapters/cohort.ipynb" in page
    assert "ValueError: broken on purpose" in page
    assert '<a href="/chapters/cohort.html?last-good">' in page
    assert subjects(served.page("/chapters/cohort.html?last-good")) == "4"
    notebook.write_text(good)
    served.wait_built(after=state["generation"])
    assert served.status()["error"] is None
    assert subjects(served.page("/chapters/cohort.html")) == "4"


@pytest.mark.build
def test_serve_stops_on_sigterm_leaving_no_process(served: Served):
    kernels = served.descendants()
    assert kernels, "the server keeps a warm kernel"
    served.stop_leaving_nothing(signal.SIGTERM, [served.proc.pid, *kernels])
    assert "stopped; every kernel shut down" in "".join(served.lines)


@pytest.mark.build
def test_serve_stops_on_ctrl_c_during_a_build(tmp_path: Path):
    book = make_book(tmp_path / "book")
    server = Served(book, env=frozen(book))
    try:
        deadline = time.monotonic() + DEADLINE
        while not server.descendants() and time.monotonic() < deadline:  # its kernel is starting
            time.sleep(0.05)
        server.stop_leaving_nothing(signal.SIGINT, [server.proc.pid, *server.descendants()])
    finally:
        if server.proc.poll() is None:
            server.proc.kill()


def test_reset_numbering_sets_the_toc_collectors_chapter_counters_to_zero():
    from types import SimpleNamespace

    from helpers.publish.render import _reset_numbering

    class TocTreeCollectorWithStyles:  # the name sphinx-external-toc's collector mangles its counters with
        def __init__(self):
            self.__numerical_count = 6
            self.__romanupper_count = 2
            self.other = 5

        def get_updated_docs(self, app, env):
            return []

    collector = TocTreeCollectorWithStyles()
    app = SimpleNamespace(events=SimpleNamespace(listeners={"env-get-updated": [
        SimpleNamespace(handler=collector.get_updated_docs), SimpleNamespace(handler=print)]}))
    _reset_numbering(app)
    assert vars(collector) == {"_TocTreeCollectorWithStyles__numerical_count": 0,
                               "_TocTreeCollectorWithStyles__romanupper_count": 0, "other": 5}


def test_serve_refuses_a_port_in_use(tmp_path: Path):
    import socket

    from helpers.publish.serve import PreviewServer, ServeError

    book = make_book(tmp_path / "book")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match=rf"cannot serve on 127\.0\.0\.1:{port} .*pick another with --port"):
            PreviewServer("tiny", root=book, port=port)


@pytest.mark.build
def test_serve_restarts_itself_when_its_own_code_changes(tmp_path: Path):
    """A change to a module the server imported (here the provenance page's) starts the
    server anew in the same process, on the same port, with new kernels; a change to a
    module only the chapters import restarts the kernels alone. The server runs a copy
    of the package, which the test edits."""
    book = make_book(tmp_path / "book")
    server = Served(book, env=frozen(book))
    try:
        server.wait_built()
        kernels = server.descendants()
        module = book / "src" / "helpers" / "chapter.py"  # the chapters import it, the server does not
        module.write_text(module.read_text() + "\n# edited by the test\n")
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and "restarting the kernels" not in "".join(server.lines):
            time.sleep(0.05)
        assert "restarting the kernels" in "".join(server.lines)
        assert "restarting the server" not in "".join(server.lines)
        own = book / "src" / "helpers" / "publish" / "provenance.py"
        own.write_text(own.read_text() + "\n# edited by the test\n")
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and "".join(server.lines).count("serving http://127.0.0.1") < 2:
            time.sleep(0.05)
        log = "".join(server.lines)
        assert "the server's own code changed (src/helpers/publish/provenance.py): restarting the server" in log
        assert f"serving http://127.0.0.1:{server.port}/" in log.split("restarting the server", 1)[1]
        assert server.proc.poll() is None  # the same process, started anew
        server.wait_built()
        assert subjects(server.page("/chapters/cohort.html")) == "3"
        assert not [p for p in kernels if psutil.pid_exists(p)]  # the old kernels and helpers are gone
        server.stop_leaving_nothing(signal.SIGTERM, [server.proc.pid, *server.descendants()])
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
