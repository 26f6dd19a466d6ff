"""The live preview server: ``python -m helpers serve [COHORT] [--port N]`` (``make serve``).

What it does, and why:

1. **Builds the cohort** as ``python -m helpers build`` does (:func:`build_book`, into
   the same output and work folders, under the same cohort lock for each build), but on
   kernels and Sphinx applications that stay alive between builds
   (:class:`~helpers.publish.execute.KernelPool`,
   :class:`~helpers.publish.render.ResidentRenderer`): one warm kernel per core, so a
   rebuild pays no kernel start and no import.
2. **Serves the site on 127.0.0.1 only** (never another interface), from the stdlib's
   ``http.server``. Into every HTML page it serves (never into the files of the site) it
   injects a small script that long-polls the server and reloads the page when a build
   finished, and, on a chapter page, shows the **parameter panel**.
3. **Watches** the chapters, the ``helpers`` source, the cohort's config and data and
   the book's pages, by polling their sizes and modification times; a change starts a
   build, which reruns only what the change touches (the build's content-hash cache).
   A change of content in the ``helpers`` source restarts the kernels first (a kernel
   keeps the modules it imported); a change to a module the server itself has imported
   (the build, staging, provenance) starts the whole server anew, in the same process
   and on the same port (``python -m helpers serve``). A kernel that died is replaced.
4. **The parameter panel** lists a chapter's parameters with their current values and
   types (the notebook's ``parameters`` cell, then the cohort config); "Rerun" parses
   each value as a typed literal (YAML, never evaluated as code), checks it against the
   notebook's default (:func:`helpers.data.config.check_parameter_value`), rebuilds the
   chapter with it into a **preview copy** (its own output and work folders under
   ``_build/.preview/``; never the published site), and answers with the results that
   changed (:func:`helpers.publish.compare.compare_results`) and the command line that
   reproduces the build (``--set chapter.param=value``).
5. **Errors on the page**: while the last build failed, every page shows what failed
   (the chapter, its cell, the error and traceback) instead of the stale page, with a
   link to the last good version of the page (``?last-good``).
6. **Refuses other origins**: a request whose ``Host`` is not the server's own address
   is refused (DNS rebinding), and so is a request to rerun whose ``Origin`` (or, without
   one, ``Referer``) is not the server's own (403).

Ctrl-C (SIGINT) or SIGTERM stops the server and every kernel it started.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shlex
import shutil
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import helpers
from helpers.data.config import CohortConfig, read_cohort_config, resolve_cohort
from helpers.errors import HelpersError
from helpers.paths import project_root
from helpers.publish.book import DEFAULT_COHORT, cohort_key, default_output

#: The loopback address the server binds: never another interface.
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: URL prefix of the server's own endpoints (the site never has a page there).
PREFIX = "/__serve__/"
#: Parameters the build sets for each chapter itself: shown, not editable.
BUILD_SET = ("downloads_dir", "downloads_url")
#: Seconds a long poll for the next build waits before it answers anyway.
LONG_POLL = 25.0
#: Seconds the watched files must stay unchanged before a build starts (an editor's
#: several writes of one save make one build).
SETTLE = 0.1
#: Book files watched besides the chapters, the package and the cohort.
BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib")


class ServeError(HelpersError, RuntimeError):
    """The server cannot start (its port is taken)."""


# ---------------------------------------------------------------------------------------
# watching


def _ignored(path: Path) -> bool:
    """Files no build reads: caches, editor swap and backup files, hidden files."""
    return ("__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts or path.name.startswith(".")
            or path.name.endswith("~") or path.suffix in (".pyc", ".swp"))


def watched_files(root: Path, config: CohortConfig) -> list[Path]:
    """The files a build of the cohort reads, which the server watches: the chapters,
    the ``helpers`` source, the cohort's folder and data folder, and the book's pages
    (Markdown pages at the root, ``_config.yml``, ``_toc.yml``, the bibliography,
    ``_static/``)."""
    folders = [root / "chapters", Path(helpers.__file__).parent, config.folder, config.data_dir, root / "_static"]
    files = [root / name for name in BOOK_FILES] + sorted(root.glob("*.md"))
    for folder in folders:
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file()]
    return sorted({p for p in files if p.is_file() and not _ignored(p)})


def snapshot(paths: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """Each file's modification time (ns) and size, by path: cheap enough to poll."""
    out = {}
    for p in paths:
        try:
            st = p.stat()
        except OSError:  # removed meanwhile
            continue
        out[str(p)] = (st.st_mtime_ns, st.st_size)
    return out


def imported_here(paths: Iterable[str]) -> list[str]:
    """Those of ``paths`` that this process has imported as modules: a change to one of
    them changes the server's own code (building, staging, provenance), which only a
    new process runs.

    Examples
    --------
    >>> imported_here([json.__file__, "/no/such/module.py"]) == [json.__file__]
    True
    """
    import sys

    loaded = {os.path.realpath(f) for m in list(sys.modules.values()) if (f := getattr(m, "__file__", None))}
    return [p for p in paths if os.path.realpath(p) in loaded]


def changed_files(before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]]) -> list[str]:
    """Paths added, removed or changed between two snapshots.

    Examples
    --------
    >>> changed_files({"a": (1, 2), "b": (1, 2)}, {"a": (1, 2), "b": (3, 2), "c": (1, 1)})
    ['b', 'c']
    """
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


# ---------------------------------------------------------------------------------------
# parameters


def parameter_type(default: object) -> str:
    """The type a parameter's value must have, named as the panel shows it: that of
    the notebook's default (``any`` for a default of ``None`` or an expression).

    Examples
    --------
    >>> parameter_type(0.3), parameter_type(24), parameter_type(True), parameter_type("holm"), parameter_type(None)
    ('float', 'int', 'bool', 'str', 'any')
    """
    if default is None:
        return "any"
    return type(default).__name__


def format_literal(value: object) -> str:
    """A value as the YAML literal ``--set`` reads back to the same value.

    Examples
    --------
    >>> format_literal(0.4), format_literal("holm"), format_literal([1, 2]), format_literal(None), format_literal("")
    ('0.4', 'holm', '[1, 2]', 'null', "''")
    """
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True).strip()
    return text[:-4].rstrip() if text.endswith("\n...") else text


def parse_parameter_values(chapter: str, texts: Mapping[str, object], declared: Mapping[str, object]) -> dict:
    """The panel's values for a chapter, parsed and checked, as ``--set`` would.

    Parameters
    ----------
    chapter : str
        The chapter (``"sri"``).
    texts : mapping
        Parameter name -> the text typed in the panel (a YAML literal: ``0.4``,
        ``holm``, ``[a, b]``, ``null``).
    declared : mapping
        The parameters the notebook declares, name -> default (as a value, or the
        source text papermill reports).

    Returns
    -------
    dict
        Name -> value, typed.

    Raises
    ------
    ConfigError
        A name the notebook does not declare or the build sets, text that is not one
        YAML literal, or a value of the wrong type or range (naming the parameter).

    Examples
    --------
    >>> parse_parameter_values("sri", {"null_rate": "0.4", "weeks": "[12, 24]"}, {"null_rate": 0.3, "weeks": [24]})
    {'null_rate': 0.4, 'weeks': [12, 24]}
    """
    from helpers.data.config import check_parameter_value, parse_yaml_value
    from helpers.errors import ConfigError
    from helpers.publish.book import _default

    out = {}
    for name, text in texts.items():
        where = f"--set {chapter}.{name}"
        if name not in declared:
            raise ConfigError(f"{where}: chapter {chapter} declares no parameter {name!r} (it declares {sorted(declared)})")
        if name in BUILD_SET:
            raise ConfigError(f"{where}: set by the build for each chapter; it cannot be changed here")
        if not isinstance(text, str):
            raise ConfigError(f"{where}: expected the value as text (a YAML literal), got {type(text).__name__}")
        value = parse_yaml_value(text, where)
        out[name] = check_parameter_value(chapter, name, value, _default(declared[name]))
    return out


def reproduce_command(cohort: str, overrides: Mapping[str, Mapping[str, object]], root: Path | None = None) -> str:
    """The command line that builds what a preview built.

    Examples
    --------
    >>> reproduce_command("nct02084238", {"sri": {"null_rate": 0.4, "method": "holm"}})
    'python -m helpers build nct02084238 --set sri.null_rate=0.4 --set sri.method=holm'
    """
    words = ["python", "-m", "helpers", "build", str(cohort)]
    if root is not None:
        words += ["--root", str(root)]
    for chapter, values in overrides.items():
        for name, value in values.items():
            words += ["--set", f"{chapter}.{name}={format_literal(value)}"]
    return shlex.join(words)


# ---------------------------------------------------------------------------------------
# failures


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _source_cell(chapters: Path | None, chapter: str, source: str) -> int | None:
    """The 1-based number of the cell holding ``source`` in ``chapters/<chapter>.ipynb``."""
    import nbformat

    path = chapters / f"{chapter}.ipynb" if chapters is not None else None
    if path is None or not path.is_file():
        return None
    try:
        cells = nbformat.read(path, as_version=4).cells
    except Exception:  # noqa: BLE001 - the notebook is being written: no number
        return None
    return next((i for i, c in enumerate(cells, start=1) if c.source.strip() == source.strip()), None)


def failed_cells(work: Path, since: float = 0.0, chapters: Path | None = None) -> list[dict]:
    """The failing cell of each chapter notebook the last build kept under
    ``<work>/failed/`` (written after ``since``, a time stamp): chapter, cell number
    (in ``chapters/<chapter>.ipynb`` when ``chapters`` is given and the cell is found
    there, else among the cells that ran), source, error and traceback (colour codes
    removed)."""
    import nbformat

    out = []
    folder = work / "failed"
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        if path.stat().st_mtime < since:
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - a notebook cut short: named without its cell
            out.append({"chapter": path.stem, "cell": None, "source": "", "error": "", "traceback": ""})
            continue
        entry = {"chapter": path.stem, "cell": None, "source": "", "error": "", "traceback": ""}
        papermill = ("papermill-error-cell-tag", "injected-parameters")
        own = [c for c in nb.cells if not any(t in c.get("metadata", {}).get("tags", []) for t in papermill)]
        for i, cell in enumerate(own, start=1):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                e = errors[0]
                entry.update(cell=_source_cell(chapters, path.stem, cell.source) or i, source=cell.source,
                             error=f"{e.get('ename')}: {e.get('evalue')}",
                             traceback=_strip_ansi("\n".join(e.get("traceback", []))))
                break
        out.append(entry)
    return out


# ---------------------------------------------------------------------------------------
# the page side: the script injected into served pages, and the server's own pages

LIVE_JS = r"""
(function () {
  "use strict";
  var me = document.currentScript;
  var generation = parseInt(me.getAttribute("data-generation"), 10);
  var prefix = "/__serve__/";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var keep = false;  // a rerun is under way or its answer is shown: do not reload under it
  var badge = el("div", {id: "serve-status", role: "status",
    style: "position:fixed;bottom:0.5rem;left:0.5rem;z-index:9999;padding:0.2rem 0.6rem;border-radius:0.3rem;" +
           "font:12px system-ui,sans-serif;background:#1f3a5f;color:#fff;display:none"});
  document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(badge); panel(); });
  function poll() {
    fetch(prefix + "events?since=" + generation, {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.generation !== generation && !keep) { location.reload(); return; }
        badge.textContent = "";
        if (s.generation !== generation) {
          var a = el("a", {href: location.href, style: "color:#fff"}, "The site was rebuilt: reload");
          badge.appendChild(a);
        } else if (s.building) {
          badge.textContent = "Rebuilding\u2026";
        }
        badge.style.display = badge.textContent ? "block" : "none";
        if (s.generation === generation) poll();
        else setTimeout(poll, 30000);
      }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
  function panel() {
    var m = location.pathname.match(/^\/(?:__serve__\/preview\/)?chapters\/([A-Za-z0-9_-]+)\.html$/);
    if (!m || me.getAttribute("data-error")) return;
    var chapter = m[1];
    fetch(prefix + "params?chapter=" + encodeURIComponent(chapter), {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; }).then(function (info) { if (info) show(chapter, info); });
  }
  function show(chapter, info) {
    var box = el("details", {id: "serve-panel", "aria-label": "Chapter parameters (preview server)",
      style: "position:fixed;top:4rem;right:0.5rem;z-index:9998;max-width:32rem;max-height:80vh;overflow:auto;" +
             "background:#fff;color:#1a1a1a;border:1px solid #1f3a5f;border-radius:0.3rem;padding:0.4rem 0.7rem;" +
             "font:13px system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.2)"});
    box.appendChild(el("summary", {style: "cursor:pointer;font-weight:600"}, "Parameters of " + chapter));
    var form = el("form", {});
    var table = el("table", {style: "border-collapse:collapse;margin:0.4rem 0"});
    var head = el("tr", {});
    ["Parameter", "Type", "Value", "Set by"].forEach(function (h) { head.appendChild(el("th", {scope: "col", style: "text-align:left;padding:0 0.4rem"}, h)); });
    table.appendChild(head);
    info.parameters.forEach(function (p) {
      var tr = el("tr", {});
      tr.appendChild(el("th", {scope: "row", style: "text-align:left;padding:0 0.4rem"}, p.name));
      tr.appendChild(el("td", {style: "padding:0 0.4rem"}, p.type));
      var td = el("td", {style: "padding:0 0.4rem"});
      var input = el("input", {name: p.name, value: p.value, "aria-label": p.name + " (" + p.type + ")", size: "18"});
      if (!p.editable) input.setAttribute("readonly", "readonly");
      input.setAttribute("data-initial", p.value);
      td.appendChild(input);
      tr.appendChild(td);
      tr.appendChild(el("td", {style: "padding:0 0.4rem"}, p.source));
      table.appendChild(tr);
    });
    form.appendChild(table);
    var button = el("button", {type: "submit"}, "Rerun");
    form.appendChild(button);
    var out = el("div", {id: "serve-result", "aria-live": "polite"});
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var values = {};
      Array.prototype.forEach.call(form.querySelectorAll("input"), function (i) {
        if (!i.readOnly && i.value !== i.getAttribute("data-initial")) values[i.name] = i.value;
      });
      button.disabled = true;
      keep = true;
      out.textContent = "Rebuilding " + chapter + " into a preview copy\u2026";
      fetch(prefix + "rerun", {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify({chapter: chapter, values: values})})
        .then(function (r) { return r.json(); })
        .then(function (res) {
          button.disabled = false;
          out.textContent = "";
          if (!res.ok) { out.appendChild(el("pre", {style: "white-space:pre-wrap;color:#8b0000"}, res.error)); return; }
          out.appendChild(el("p", {}, res.summary));
          var a = el("a", {href: res.preview}, "Open the preview of this chapter");
          out.appendChild(el("p", {})).appendChild(a);
          out.appendChild(el("p", {}, "Reproduce it with:"));
          out.appendChild(el("pre", {style: "white-space:pre-wrap"}, res.command));
          var changes = el("div", {});
          changes.innerHTML = res.changes_html;  // built by the server, every value escaped
          out.appendChild(changes);
        }).catch(function (e) { button.disabled = false; out.textContent = "The server did not answer: " + e; });
    });
    box.appendChild(form);
    box.appendChild(out);
    document.body.appendChild(box);
  }
})();
"""

_PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1a1a1a; }
pre { background: #f4f4f4; padding: 0.6rem; overflow-x: auto; white-space: pre-wrap; }
.error { color: #8b0000; }
""".strip()


def live_script_tag(generation: int, error: bool = False) -> str:
    """The tag the server injects into each HTML page it serves."""
    flag = ' data-error="1"' if error else ""
    return f'<script src="{PREFIX}live.js" data-generation="{generation}"{flag}></script>'


def inject(page: bytes, tag: str) -> bytes:
    """An HTML page with ``tag`` added before its closing ``</body>`` (or at its end).

    Examples
    --------
    >>> inject(b"<html><body><p>x</p></body></html>", "<script></script>")
    b'<html><body><p>x</p><script></script></body></html>'
    """
    data = tag.encode("utf-8")
    at = page.lower().rfind(b"</body>")
    return page[:at] + data + page[at:] if at >= 0 else page + data


def _page(title: str, body: str, generation: int) -> bytes:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_PAGE_STYLE}</style></head><body><main>{body}</main>"
            f"{live_script_tag(generation, error=True)}</body></html>\n").encode()


def error_page(error: str, cells: list[dict], path: str, generation: int, last_good: bool) -> bytes:
    """What every page shows while the last build failed: the message, each failing
    chapter's cell with its error and traceback, and a link to the last good version
    of the page. Every piece of text is escaped."""
    parts = ["<h1>The last build failed</h1>",
             "<p>This page is rebuilt and reloaded as soon as the files are fixed.</p>"]
    if last_good:
        href = html.escape(f"{path}?last-good", quote=True)
        parts.append(f'<p><a href="{href}">Show the last good version of this page</a></p>')
    parts.append(f'<pre class="error">{html.escape(error)}</pre>')
    for c in cells:
        where = f"cell {c['cell']} of chapters/{c['chapter']}.ipynb" if c.get("cell") else "before any cell ran"
        parts.append(f"<h2>Chapter {html.escape(c['chapter'])}, {html.escape(where)}</h2>")
        if c.get("source"):
            parts.append(f"<pre><code>{html.escape(c['source'])}</code></pre>")
        if c.get("error"):
            parts.append(f'<p class="error">{html.escape(c["error"])}</p>')
        if c.get("traceback"):
            parts.append(f"<details><summary>Traceback</summary><pre>{html.escape(c['traceback'])}</pre></details>")
    return _page("Build failed", "\n".join(parts), generation)


def waiting_page(generation: int) -> bytes:
    """What a page shows before the first build has published a site."""
    return _page("Building", "<h1>Building the book\u2026</h1><p>This page reloads when the site is ready.</p>",
                 generation)


# ---------------------------------------------------------------------------------------
# the server


@dataclass
class State:
    """What the pages are told: the build generation (bumped by each build that
    published a site or failed), whether a build runs, and the last failure."""

    generation: int = 0
    builds: int = 0
    building: bool = False
    error: str | None = None
    cells: list[dict] = field(default_factory=list)


class PreviewServer:
    """The preview server of one cohort (see the module's docstring).

    Parameters
    ----------
    cohort : str or Path
        A cohort name under ``data/`` or a folder holding ``cohort.yml``.
    root : Path, optional
        The book (default: this repository).
    port : int
        The port on 127.0.0.1 (0: any free port; :attr:`port` tells which).
    data_dir : str or Path, optional
        Read the cohort's tables from here instead.
    workers : int, optional
        Resident kernels (default: one per core).
    poll : float
        Seconds between two looks at the watched files.
    log : callable
        Where progress lines go.
    restart_argv : list of str, optional
        The command line that starts this server again. With it, a change to a module
        of the package that the server itself has imported stops the server, and
        :func:`serve` starts it anew with this command (same process id, same port);
        without it, such a change only restarts the kernels.

    Examples
    --------
    ``server = PreviewServer("nct02084238", port=0); server.start(); ...; server.stop()``
    """

    def __init__(self, cohort: str | Path = DEFAULT_COHORT, *, root: Path | None = None, port: int = DEFAULT_PORT,
                 data_dir: str | Path | None = None, workers: int | None = None, poll: float = 0.5,
                 log: Callable[[str], None] = print, restart_argv: list[str] | None = None):
        self.cohort = cohort
        self.restart_argv = restart_argv
        self.restart_requested = False
        self.root = (Path(root) if root else project_root()).resolve()
        self.custom_root = root is not None and self.root != project_root().resolve()
        self.data_dir = Path(data_dir).resolve() if data_dir else None
        self.config = self._read_config()
        key = cohort_key(self.config, self.root)
        self.output = default_output(self.config, self.root)
        self.work = self.root / "_build" / ".work" / key
        self.preview_output = self.root / "_build" / ".preview" / key / "html"
        self.preview_work = self.root / "_build" / ".preview" / key / "work"
        self.workers = workers
        self.poll = poll
        self.log = log
        self.state = State()
        self._changed = threading.Condition()
        self._build_lock = threading.Lock()
        self._stop = threading.Event()
        self._seeded_generation: int | None = None
        self._declared: dict[str, tuple[str, dict]] = {}
        self.pool = None
        self.renderer = None
        self.httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._helpers_hash: str | None = None
        try:
            self.httpd = ThreadingHTTPServer((HOST, port), _handler(self))
        except OSError as exc:
            raise ServeError(f"cannot serve on {HOST}:{port} ({exc.strerror or exc}); "
                             "another server may be using the port: pick another with --port") from None
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]

    # -- life cycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def _read_config(self) -> CohortConfig:
        config = read_cohort_config(resolve_cohort(self.cohort, self.root))
        return config.with_data_dir(self.data_dir) if self.data_dir else config

    def start(self) -> None:
        """Start the kernels, the HTTP server and the watcher (which builds first)."""
        import logging

        # Sphinx configures logging once it has rendered; papermill's and nbclient's
        # lines about each notebook would then repeat the build's own.
        for name in ("papermill", "traitlets", "nbclient"):
            logging.getLogger(name).setLevel(logging.WARNING)
        from helpers.publish.cache import helpers_source_hash
        from helpers.publish.execute import KernelPool
        from helpers.publish.render import ResidentRenderer

        self.pool = KernelPool(self.workers)
        self.renderer = ResidentRenderer()
        self._helpers_hash = helpers_source_hash()
        for target, name in ((self.httpd.serve_forever, "http"), (self._watch, "watcher")):
            t = threading.Thread(target=target, name=f"serve-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        self.log(f"serving {self.url} (127.0.0.1 only); watching the chapters, src/helpers, "
                 f"{os.path.relpath(self.config.folder, self.root)} and the book's pages; Ctrl-C stops")

    def stop(self) -> None:
        """Stop serving and watching, and shut every kernel down."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        # A build under way ends when its kernels are gone; wait for it a little.
        if self.pool is not None:
            self.pool.close()
        for t in self._threads:
            t.join(timeout=30)
        if self.renderer is not None:
            self.renderer.close()
        self.log("stopped; every kernel shut down")

    def wait(self) -> None:
        """Block until :meth:`stop` (or a signal, see :func:`serve`)."""
        while not self._stop.wait(0.5):
            pass

    # -- building ----------------------------------------------------------------------
    def _bump(self, **changes) -> None:
        with self._changed:
            for k, v in changes.items():
                setattr(self.state, k, v)
            self._changed.notify_all()

    def _refresh_kernels(self) -> None:
        """Restart the kernels when the ``helpers`` source changed since they started
        (a kernel keeps the modules it imported; the cache keys already name the new
        source). Called under the build lock, before every build and rerun."""
        from helpers.publish.cache import helpers_source_hash

        now = helpers_source_hash()
        if self._helpers_hash is not None and now != self._helpers_hash:
            self.log("the helpers source changed: restarting the kernels")
            self.pool.restart()
        self._helpers_hash = now

    def build(self, reason: str = "start") -> bool:
        """Build the cohort's site now (the watcher calls this on a change). Returns
        whether it succeeded; the pages reload when it published a site or failed."""
        from helpers.publish import build_book

        with self._build_lock:
            if self._stop.is_set():
                return False
            self._bump(building=True)
            t0 = time.time()
            try:
                self.log(f"building ({reason})")
                self._refresh_kernels()
                self.config = self._read_config()
                report = build_book(self.cohort, root=self.root, data_dir=self.data_dir, output=self.output,
                                    work_dir=self.work, wait=True, log=self.log, pool=self.pool,
                                    renderer=self.renderer)
            except HelpersError as exc:
                if self._stop.is_set():
                    return False
                self.log(f"build failed: {exc}")
                self._bump(building=False, builds=self.state.builds + 1, error=str(exc),
                           cells=failed_cells(self.work, since=t0, chapters=self.root / "chapters"),
                           generation=self.state.generation + 1)
                return False
            except Exception as exc:  # noqa: BLE001 - shown on the page; the server keeps serving
                if self._stop.is_set():
                    return False
                text = "".join(traceback.format_exception(exc))
                self.log(f"build failed: {text}")
                self._bump(building=False, builds=self.state.builds + 1, error=text, cells=[],
                           generation=self.state.generation + 1)
                return False
            finally:
                self.pool.replace_dead()
            # The first build counts as new (pages may have been shown while it ran, or
            # by the server this one replaced); later ones when they published or recovered.
            published = report.rendered or self.state.error is not None or self.state.builds == 0
            self._bump(building=False, builds=self.state.builds + 1, error=None, cells=[],
                       generation=self.state.generation + (1 if published else 0))
            return True

    def _watch(self) -> None:
        """Build, then poll the watched files and build again after each change (once
        the files stop changing, so that an editor's several writes make one build)."""
        before = snapshot(watched_files(self.root, self.config))
        self.build("start")
        while not self._stop.wait(self.poll):
            self.pool.replace_dead()
            try:
                after = snapshot(watched_files(self.root, self.config))
            except OSError:
                continue
            changed = changed_files(before, after)
            if not changed:
                continue
            while not self._stop.wait(min(self.poll, SETTLE)):  # let the writes settle
                settled = snapshot(watched_files(self.root, self.config))
                if settled == after:
                    break
                after = settled
            before = after  # what changes during the build is seen by the next look
            own = imported_here(changed)
            if own and self.restart_argv:
                self.log(f"the server's own code changed ({self._label(Path(own[0]))}): restarting the server")
                self.restart_requested = True
                self._stop.set()
                return
            names = [self._label(Path(c)) for c in changed[:3]]
            self.build("changed: " + ", ".join(names) + (f" and {len(changed) - 3} more" if len(changed) > 3 else ""))

    def _label(self, path: Path) -> str:
        """A path as a message names it: from the book, else from the package's repository."""
        for base in (self.root, Path(helpers.__file__).parents[2]):
            if path.is_relative_to(base):
                return str(path.relative_to(base))
        return str(path)

    # -- the panel ---------------------------------------------------------------------
    def declared(self, chapter: str) -> dict[str, object]:
        """The parameters a chapter's notebook declares, with their defaults (as
        papermill reports them), remembered by the notebook's content hash."""
        from helpers.publish.book import declared_parameters
        from helpers.publish.cache import sha256_file

        source = self.root / "chapters" / f"{chapter}.ipynb"
        digest = sha256_file(source)
        if chapter not in self._declared or self._declared[chapter][0] != digest:
            self._declared[chapter] = (digest, declared_parameters(source))
        return self._declared[chapter][1]

    def parameters(self, chapter: str) -> dict:
        """The panel's content for a chapter: each parameter's name, type, current value
        (as a YAML literal), whether it may be changed, and what set it."""
        from helpers.publish.book import _default
        from helpers.publish.cache import read_json

        if chapter not in self.config.chapters:
            raise KeyError(chapter)
        declared = self.declared(chapter)
        try:
            current = read_json(self.work / "cache" / f"{chapter}.json").get("parameters", {})
        except (OSError, ValueError):
            current = {}
        section = {**self.config.parameters.get("all", {}), **self.config.parameters.get(chapter, {})}
        rows = []
        for name, source in declared.items():
            default = _default(source)
            if name in section:
                value, by = section[name], "cohort config"
            elif name in current:
                value, by = current[name], "build"
            else:
                value, by = default, "notebook"
            rows.append({"name": name, "type": parameter_type(default), "value": format_literal(value),
                         "editable": name not in BUILD_SET, "source": by})
        return {"chapter": chapter, "parameters": rows}

    def _seed_preview(self) -> None:
        """Bring the preview's work folder up to the published build (its cache records,
        executed chapters, downloads and validated tables), so that a rerun runs only
        the chapter whose parameters differ. The preview keeps its own staged book, which
        its own Sphinx application renders incrementally (a staged book copied from
        elsewhere would be read again whole: Sphinx re-reads every page of a moved source
        folder)."""
        if self._seeded_generation == self.state.generation and self.preview_work.is_dir():
            return
        self.preview_work.mkdir(parents=True, exist_ok=True)
        skip = {".lock", "running", "failed", "book"}
        same = [self.work / "data.json", self.preview_work / "data.json"]
        if all(f.is_file() for f in same) and same[0].read_bytes() == same[1].read_bytes():
            skip |= {"validated", "data.json", "data-queries.csv"}  # the same data: validated already
        for entry in sorted(self.work.iterdir()) if self.work.is_dir() else []:
            if entry.name in skip:
                continue
            dst = self.preview_work / entry.name
            if dst.is_dir() and not dst.is_symlink():
                shutil.rmtree(dst)
            elif dst.exists() or dst.is_symlink():
                dst.unlink()
            if entry.is_dir():
                shutil.copytree(entry, dst, symlinks=True)
            else:
                shutil.copy2(entry, dst)
        self._move_cache_records()
        self._seeded_generation = self.state.generation

    def _move_cache_records(self) -> None:
        """Make the copied cache records valid in the preview's work folder.

        A chapter's cache key covers its parameters, among them ``downloads_dir``, which
        names the work folder: copied as they are, the records would match nothing and
        the preview would run every chapter. Each record whose key the build would
        compute again for the published build (the same notebook, parameters, data,
        package and versions: checked, not assumed) gets the key of the same run with the
        preview's ``downloads_dir``; a record that does not check is dropped (that
        chapter runs)."""
        from helpers.publish import book, cache

        records = sorted((self.preview_work / "cache").glob("*.json"))
        if not records:
            return
        config = self.config
        data_hashes = cache.sha256_files(book._data_files(config))
        helpers_hash, versions = cache.helpers_source_hash(), cache.package_versions()
        for path in records:
            name = path.stem
            source = self.preview_work / "sources" / f"{name}.ipynb"
            try:
                record = cache.read_json(path)
                params = dict(record["parameters"])
                inputs = {**data_hashes, **book._other_inputs(params, config, self.root)}
                if not source.is_file() or cache.chapter_key(source, params, inputs, helpers_hash,
                                                             versions) != record.get("key"):
                    raise ValueError("stale")
            except (ValueError, KeyError, TypeError, OSError, HelpersError):
                path.unlink()
                continue
            if "downloads_dir" in params:
                params["downloads_dir"] = os.path.relpath(self.preview_work / "downloads" / name, self.root)
            record.update(key=cache.chapter_key(source, params, inputs, helpers_hash, versions), parameters=params)
            cache.write_json(path, record)

    def rerun(self, chapter: str, texts: Mapping[str, object]) -> dict:
        """Rebuild the cohort with a chapter's parameters changed into the preview copy.

        Returns the answer the panel shows: ``ok``, the preview's URL, the command line
        that reproduces it, a summary and the changed results as HTML, and the chapters
        that ran (the others are reused from the published build). Raises
        ``ConfigError`` for a value that is refused (nothing is built).
        """
        from helpers.errors import ConfigError
        from helpers.publish import build_book
        from helpers.publish.compare import (
            compare_results,
            comparison_tables_html,
            differences,
            format_summary,
            read_results,
        )

        if chapter not in self.config.chapters:
            raise ConfigError(f"no chapter {chapter!r} in cohort {self.config.name} (it builds {list(self.config.chapters)})")
        values = parse_parameter_values(chapter, texts, self.declared(chapter))
        overrides = {chapter: values} if values else {}
        command = reproduce_command(str(self.cohort), overrides, self.root if self.custom_root else None)
        with self._build_lock:
            t0 = time.time()
            try:
                self._refresh_kernels()
                self._seed_preview()
                self.log(f"preview: rerunning {chapter} with {values or 'its current parameters'}")
                report = build_book(self.cohort, root=self.root, data_dir=self.data_dir, output=self.preview_output,
                                    work_dir=self.preview_work, overrides=overrides, wait=True, log=self.log,
                                    pool=self.pool, renderer=self.renderer)
            except HelpersError as exc:
                cells = failed_cells(self.preview_work, since=t0, chapters=self.root / "chapters")
                detail = "".join(f"\n\nchapter {c['chapter']}, cell {c['cell']}:\n{c['source']}\n{c['error']}"
                                 for c in cells if c.get("cell"))
                return {"ok": False, "error": f"{exc}{detail}", "command": command}
            finally:
                self.pool.replace_dead()
        published, preview = read_results(self.output), read_results(self.preview_output)
        frame = compare_results(published.results, preview.results, published.meta, preview.meta)
        diff = differences(frame)
        tables = comparison_tables_html(diff, headers=("Published", "Preview"), headings=False)
        return {"ok": True, "preview": f"{PREFIX}preview/chapters/{chapter}.html", "command": command,
                "summary": format_summary(frame), "changed": len(diff), "executed": report.executed,
                "changes_html": "\n".join(tables) or "<p>No result changed.</p>",
                "seconds": round(time.time() - t0, 2)}

    # -- what a request sees -----------------------------------------------------------
    def wait_for_change(self, since: int, timeout: float = LONG_POLL) -> dict:
        """The state, once the generation differs from ``since`` (or after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.state.generation == since and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return {"generation": self.state.generation, "building": self.state.building,
                    "failed": self.state.error is not None}

    def own_origins(self) -> set[str]:
        """The origins of this server's own pages."""
        return {f"http://{HOST}:{self.port}", f"http://localhost:{self.port}"}


def _site_file(site: Path, url_path: str) -> Path | None:
    """The file of a site a URL path names (a folder's ``index.html``), or None when it
    is missing or lies outside the site."""
    base = site.resolve()
    rel = urllib.parse.unquote(url_path).lstrip("/")
    target = (base / rel).resolve()
    if not target.is_relative_to(base):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def _handler(server: PreviewServer) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to one server."""
    import mimetypes

    class Handler(BaseHTTPRequestHandler):
        server_version = "helpers-preview"

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
            pass  # requests are not logged: the build's lines are what matters

        # -- helpers -------------------------------------------------------------------
        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if self.command != "HEAD":
                # the page may have gone (reloaded, closed) before the answer
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        def _json(self, status: int, value: object) -> None:
            self._send(status, json.dumps(value).encode("utf-8"), "application/json")

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").strip().lower()
            return host in {f"{HOST}:{server.port}", f"localhost:{server.port}"}

        def _origin_ok(self) -> bool:
            origin = self.headers.get("Origin")
            if origin is not None:
                return origin.rstrip("/") in server.own_origins()
            referer = self.headers.get("Referer")
            if referer:
                parts = urllib.parse.urlsplit(referer)
                return f"{parts.scheme}://{parts.netloc}" in server.own_origins()
            return False

        def _refuse(self, why: str) -> None:
            self._json(HTTPStatus.FORBIDDEN, {"ok": False, "error": why})

        # -- verbs ---------------------------------------------------------------------
        def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's name
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if not self._host_ok():
                return self._refuse("refused: this server answers only requests to its own address")
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            if url.path == f"{PREFIX}live.js":
                return self._send(HTTPStatus.OK, LIVE_JS.encode("utf-8"), "text/javascript; charset=utf-8")
            if url.path == f"{PREFIX}events":
                try:
                    since = int(query.get("since", ["-1"])[0])
                except ValueError:
                    return self._json(HTTPStatus.BAD_REQUEST, {"ok": False, "error": "since must be a whole number"})
                return self._json(HTTPStatus.OK, server.wait_for_change(since))
            if url.path == f"{PREFIX}status":
                s = server.state
                return self._json(HTTPStatus.OK, {"generation": s.generation, "builds": s.builds,
                                                  "building": s.building, "error": s.error, "cells": s.cells})
            if url.path == f"{PREFIX}params":
                chapter = query.get("chapter", [""])[0]
                try:
                    return self._json(HTTPStatus.OK, server.parameters(chapter))
                except KeyError:
                    return self._json(HTTPStatus.NOT_FOUND, {"ok": False, "error": f"no chapter {chapter!r}"})
            if url.path.startswith(f"{PREFIX}preview/"):
                return self._file(server.preview_output, url.path[len(f"{PREFIX}preview"):], preview=True)
            if url.path.startswith(PREFIX):
                return self._json(HTTPStatus.NOT_FOUND, {"ok": False, "error": "no such endpoint"})
            return self._file(server.output, url.path, last_good="last-good" in query)

        def _file(self, site: Path, path: str, last_good: bool = False, preview: bool = False) -> None:
            state = server.state
            published = site.exists()
            target = _site_file(site, path) if published else None
            is_page = path.endswith("/") or path.endswith(".html") or "." not in path.rsplit("/", 1)[-1]
            if state.error is not None and is_page and not last_good and not preview:
                return self._send(HTTPStatus.INTERNAL_SERVER_ERROR,
                                  error_page(state.error, state.cells, path, state.generation, target is not None),
                                  "text/html; charset=utf-8")
            if target is None:
                if not published and is_page:
                    return self._send(HTTPStatus.SERVICE_UNAVAILABLE, waiting_page(state.generation),
                                      "text/html; charset=utf-8")
                return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            body = target.read_bytes()
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if ctype == "text/html":
                body = inject(body, live_script_tag(state.generation))
            if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
                ctype += "; charset=utf-8"
            self._send(HTTPStatus.OK, body, ctype)

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            if not self._host_ok():
                return self._refuse("refused: this server answers only requests to its own address")
            if not self._origin_ok():
                return self._refuse("refused: the request does not come from this server's own pages")
            url = urllib.parse.urlsplit(self.path)
            if url.path != f"{PREFIX}rerun":
                return self._json(HTTPStatus.NOT_FOUND, {"ok": False, "error": "no such endpoint"})
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                return self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"ok": False, "error": "send JSON"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 < length <= 100_000:
                return self._json(HTTPStatus.BAD_REQUEST, {"ok": False, "error": "a JSON body of at most 100 kB"})
            try:
                body = json.loads(self.rfile.read(length))
            except (ValueError, UnicodeDecodeError):
                return self._json(HTTPStatus.BAD_REQUEST, {"ok": False, "error": "the body is not JSON"})
            if not isinstance(body, dict) or not isinstance(body.get("chapter"), str) \
                    or not isinstance(body.get("values", {}), dict):
                return self._json(HTTPStatus.BAD_REQUEST,
                                  {"ok": False, "error": 'expected {"chapter": name, "values": {parameter: text}}'})
            try:
                answer = server.rerun(body["chapter"], body.get("values", {}))
            except HelpersError as exc:
                return self._json(HTTPStatus.BAD_REQUEST, {"ok": False, "error": str(exc)})
            self._json(HTTPStatus.OK if answer["ok"] else HTTPStatus.UNPROCESSABLE_ENTITY, answer)

    return Handler


def _release_children() -> None:
    """Before this process runs the server anew (``os.execv``): stop multiprocessing's
    resource tracker (started by the validation's process pool; it would outlive the old
    program as a process nobody waits for) and wait for every child that has ended (the
    kernels are shut down already), so that no process is left behind."""
    from multiprocessing import resource_tracker

    with contextlib.suppress(Exception):  # an internal of the stdlib (3.11): best effort
        resource_tracker._resource_tracker._stop()
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(cohort: str | Path = DEFAULT_COHORT, *, root: Path | None = None, port: int = DEFAULT_PORT,
          data_dir: str | Path | None = None, workers: int | None = None, poll: float = 0.5,
          log: Callable[[str], None] = print, restart_argv: list[str] | None = None) -> int:
    """Run the preview server until Ctrl-C (SIGINT) or SIGTERM; then stop it and every
    kernel it started. Returns the exit status (0).

    ``restart_argv``: the command line that starts the server; when the server's own
    code changes, the server stops and this process runs it again (``os.execv``, on the
    port it had), so that the new code builds the pages.
    """
    import signal

    server = PreviewServer(cohort, root=root, port=port, data_dir=data_dir, workers=workers, poll=poll, log=log,
                           restart_argv=restart_argv)

    def terminate(signum, frame) -> None:
        raise KeyboardInterrupt

    # SIGINT too, explicitly: a server started in the background of a script would
    # otherwise inherit it ignored, and Ctrl-C or kill -INT would not stop it.
    previous = {s: signal.signal(s, terminate) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        server.wait()
    except KeyboardInterrupt:
        log("stopping")
    finally:
        for s in previous:  # a second signal does not cut the shutdown short
            signal.signal(s, signal.SIG_IGN)
        try:
            server.stop()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    if server.restart_requested and restart_argv:
        import sys

        _release_children()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(restart_argv[0], [*restart_argv, "--port", str(server.port)])
    return 0
