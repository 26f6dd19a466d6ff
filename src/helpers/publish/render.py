"""Render a staged book with Jupyter Book's Sphinx build, prepared ahead of time.

Jupyter Book's ``build_sphinx`` creates the Sphinx application (reading the
configuration, loading every extension and the pickled environment of the last build)
and builds in one call. Here the two halves are split: the application is created in a
background thread while the chapters execute, and builds when they are done, so a
rebuild of one chapter does not wait for a second start of the Sphinx stack. The steps
are those of ``jupyter_book.sphinx.build_sphinx`` (Jupyter Book 1.0.4, pinned).
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path


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
            from docutils.utils import SystemMessage  # noqa: F401  (imported before Sphinx, as Sphinx does)
            from jupyter_book.config import get_final_config
            from sphinx.application import Sphinx
            from sphinx.util.docutils import docutils_namespace, patch_docutils

            src = self.staging
            config, _ = get_final_config(
                user_yaml=src / "_config.yml",
                cli_config={"external_toc_path": str(src / "_toc.yml"), "latex_individualpages": False},
                sourcedir=src,
                use_external_toc=True,
            )
            with patch_docutils(None), docutils_namespace():
                app = Sphinx(
                    srcdir=src, confdir=None, outdir=self.output, doctreedir=src / "_build" / ".doctrees",
                    buildername="html", confoverrides=config, status=self.log, warning=self.log,
                    freshenv=self.fresh, warningiserror=True, keep_going=True, parallel=1,
                )
                if app.config["use_multitoc_numbering"] and "numbered: true" in str(app.config.external_site_map.as_json()):
                    app.setup_extension("sphinx_multitoc_numbering")
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
            lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in self.log.getvalue().splitlines()]
            problems = [x for x in lines if "WARNING" in x or "ERROR" in x or "Exception" in x]
            detail = "\n".join(problems[:40] or lines[-40:])
            if isinstance(self.result, BaseException):
                detail += f"\n{type(self.result).__name__}: {self.result}"
            raise RuntimeError(detail)
        return self.output

    def cancel(self) -> None:
        """Give up (a chapter failed): close the application without building."""
        self._cancelled = True
        self._go.set()
        self.join()
