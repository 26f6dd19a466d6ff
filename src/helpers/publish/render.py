"""Render a staged book with Jupyter Book's Sphinx build, prepared ahead of time.

Jupyter Book's ``build_sphinx`` creates the Sphinx application (reading the
configuration, loading every extension and the pickled environment of the last build)
and builds in one call. Here the two halves are split: the application is created in a
background thread while the chapters execute, and builds when they are done, so a
rebuild of one chapter does not wait for a second start of the Sphinx stack. The steps
are those of ``jupyter_book.sphinx.build_sphinx`` (Jupyter Book 1.0.4, pinned).

The preview server (:mod:`helpers.publish.serve`) goes one step further with
:class:`ResidentRenderer`: the Sphinx application of each staged book stays alive
between builds, with its environment in memory, so a rebuild neither starts Sphinx nor
reads its pickled environment again. A change to the staged ``_config.yml`` or
``_toc.yml`` (or a failed render) makes a new application.
"""

from __future__ import annotations

import hashlib
import io
import queue
import re
import threading
from pathlib import Path


def _make_app(staging: Path, fresh: bool, log: io.StringIO):
    """The Sphinx application Jupyter Book would make for the staged book (to be called
    inside ``patch_docutils``, with the docutils registries the application may fill)."""
    from docutils.utils import SystemMessage  # noqa: F401  (imported before Sphinx, as Sphinx does)
    from jupyter_book.config import get_final_config
    from sphinx.application import Sphinx

    src = staging
    config, _ = get_final_config(
        user_yaml=src / "_config.yml",
        cli_config={"external_toc_path": str(src / "_toc.yml"), "latex_individualpages": False},
        sourcedir=src,
        use_external_toc=True,
    )
    app = Sphinx(
        srcdir=src, confdir=None, outdir=src / "_build" / "html", doctreedir=src / "_build" / ".doctrees",
        buildername="html", confoverrides=config, status=log, warning=log,
        freshenv=fresh, warningiserror=True, keep_going=True, parallel=1,
    )
    if app.config["use_multitoc_numbering"] and "numbered: true" in str(app.config.external_site_map.as_json()):
        app.setup_extension("sphinx_multitoc_numbering")
    return app


def _failure_detail(log: str, result: object) -> str:
    """Sphinx's warnings and errors from its log (or its last lines), for a message."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in log.splitlines()]
    problems = [x for x in lines if "WARNING" in x or "ERROR" in x or "Exception" in x]
    detail = "\n".join(problems[:40] or lines[-40:])
    if isinstance(result, BaseException):
        detail += f"\n{type(result).__name__}: {result}"
    return detail


class Renderer(threading.Thread):
    """Create the Sphinx application now; build when :meth:`build` is called.

    Parameters
    ----------
    staging : Path
        The staged book (its ``_config.yml`` and ``_toc.yml`` must be final).
    fresh : bool
        Ignore the saved environment (a full render).
    """

    def __init__(self, staging: Path, fresh: bool = False):
        super().__init__(name="sphinx-renderer", daemon=True)
        self.staging = Path(staging).resolve()
        self.fresh = fresh
        self.log = io.StringIO()
        self.result: int | BaseException | None = None
        self._go = threading.Event()
        self._cancelled = False
        self.start()

    @property
    def output(self) -> Path:
        return self.staging / "_build" / "html"

    def run(self) -> None:
        try:
            from sphinx.util.docutils import docutils_namespace, patch_docutils

            with patch_docutils(None), docutils_namespace():
                app = _make_app(self.staging, self.fresh, self.log)
                self._go.wait()
                if self._cancelled:
                    return
                app.build(False, [])
                self.result = app.statuscode
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who reports it
            self.result = exc

    def build(self) -> Path:
        """Build now (the staged files are final); return the HTML folder.

        Raises
        ------
        RuntimeError
            With Sphinx's warnings and errors when the render fails.
        """
        self._go.set()
        self.join()
        if self.result != 0:
            raise RuntimeError(_failure_detail(self.log.getvalue(), self.result))
        return self.output

    def cancel(self) -> None:
        """Give up (a chapter failed): close the application without building."""
        self._cancelled = True
        self._go.set()
        self.join()


def _reset_numbering(app) -> None:
    """Set the chapter counters of sphinx-external-toc's table-of-contents collector back
    to zero, as a new application has them.

    The collector (``TocTreeCollectorWithStyles``, sphinx-external-toc 1.0) counts the
    numbered chapters in attributes of its own and, with continuous numbering across
    parts (``use_multitoc_numbering``, Jupyter Book's default), never resets them: a
    second build by the same application would number the chapters on from the last
    (chapter 1 becoming 7, its figures "Figure 7.1").
    """
    for listener in app.events.listeners.get("env-get-updated", []):
        collector = getattr(listener.handler, "__self__", None)
        for name in list(getattr(collector, "__dict__", {})):
            if name.startswith("_TocTreeCollectorWithStyles__") and name.endswith("_count"):
                setattr(collector, name, 0)


class _ResidentApp:
    """One staged book's Sphinx application, its log and its docutils registries."""

    def __init__(self, staging: Path, signature: str, app, log: io.StringIO, registries: tuple[dict, dict]):
        self.staging = staging
        self.signature = signature
        self.app = app
        self.log = log
        self.registries = registries


class RenderHandle:
    """What a build renders with (the interface of :class:`Renderer`), for a book staged
    at ``staging`` and rendered by a :class:`ResidentRenderer`."""

    def __init__(self, owner: ResidentRenderer, staging: Path):
        self.owner = owner
        self.staging = staging

    @property
    def output(self) -> Path:
        return self.staging / "_build" / "html"

    def build(self) -> Path:
        """Render the staged book now; return the HTML folder (raises ``RuntimeError``
        with Sphinx's warnings and errors when the render fails)."""
        return self.owner._call("build", self.staging)

    def cancel(self) -> None:
        """Nothing to do: the application stays alive for the next build."""


class ResidentRenderer:
    """Sphinx applications that stay alive between builds, one per staged book.

    Every application lives in one thread, which creates and builds them one at a time.
    Sphinx registers directives, roles and nodes in docutils' global registries, so each
    application keeps its own copy of them, swapped in while it works (what Sphinx's
    ``docutils_namespace`` does for one application). A build after a change to the
    staged ``_config.yml`` or ``_toc.yml``, after a failed build, or with ``fresh``,
    makes a new application.

    Use :meth:`for_staging` where a build would make a :class:`Renderer`; it starts
    preparing the application at once. :meth:`close` ends the thread.
    """

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self._apps: dict[Path, _ResidentApp] = {}
        self._thread = threading.Thread(target=self._loop, name="sphinx-resident", daemon=True)
        self._thread.start()

    def for_staging(self, staging: Path, fresh: bool = False) -> RenderHandle:
        """A handle to render the book staged at ``staging`` (its ``_config.yml`` and
        ``_toc.yml`` final); the application is prepared in the background meanwhile."""
        staging = Path(staging).resolve()
        self._jobs.put(("prepare", staging, fresh, None))
        return RenderHandle(self, staging)

    def applications(self) -> int:
        """How many applications are alive."""
        return len(self._apps)

    def close(self) -> None:
        """Close every application and end the thread."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _call(self, what: str, staging: Path):
        reply: queue.Queue = queue.Queue(1)
        if not self._thread.is_alive():
            raise RuntimeError("the resident renderer is closed")
        self._jobs.put((what, staging, False, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value

    @staticmethod
    def _signature(staging: Path) -> str:
        h = hashlib.sha256()
        for name in ("_config.yml", "_toc.yml"):
            f = staging / name
            h.update(f.read_bytes() if f.is_file() else b"")
        return h.hexdigest()

    def _loop(self) -> None:
        from copy import copy

        from docutils.parsers.rst import directives, roles
        from sphinx.util.docutils import additional_nodes, patch_docutils, unregister_node

        def reset_nodes() -> None:
            for node in list(additional_nodes):
                unregister_node(node)
                additional_nodes.discard(node)

        with patch_docutils(None):
            pristine = (copy(directives._directives), copy(roles._roles))

            def prepare(staging: Path, fresh: bool) -> _ResidentApp:
                signature = self._signature(staging)
                current = self._apps.get(staging)
                if current is not None and not fresh and current.signature == signature:
                    return current
                self._apps.pop(staging, None)
                directives._directives, roles._roles = copy(pristine[0]), copy(pristine[1])
                reset_nodes()
                log = io.StringIO()
                app = _make_app(staging, fresh, log)
                made = _ResidentApp(staging, signature, app, log, (directives._directives, roles._roles))
                self._apps[staging] = made
                return made

            def build(staging: Path) -> Path:
                try:
                    made = prepare(staging, False)
                except Exception as exc:  # noqa: BLE001 - reported as a failed render
                    raise RuntimeError(f"Sphinx could not start: {type(exc).__name__}: {exc}") from exc
                directives._directives, roles._roles = made.registries
                app = made.app
                made.log.seek(0)
                made.log.truncate()
                app._warncount = 0
                app.statuscode = 0
                _reset_numbering(app)
                try:
                    app.build(False, [])
                    result: object = app.statuscode
                except Exception as exc:  # noqa: BLE001 - reported as a failed render
                    result = exc
                if result != 0:
                    self._apps.pop(staging, None)  # start afresh next time
                    raise RuntimeError(_failure_detail(made.log.getvalue(), result))
                return made.staging / "_build" / "html"

            try:
                while (job := self._jobs.get()) is not None:
                    what, staging, fresh, reply = job
                    try:
                        value = prepare(staging, fresh) if what == "prepare" else build(staging)
                        outcome = (True, value)
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        outcome = (False, exc if isinstance(exc, RuntimeError) else RuntimeError(str(exc)))
                    if reply is not None:
                        reply.put(outcome)
            finally:
                self._apps.clear()
                directives._directives, roles._roles = pristine
                reset_nodes()
