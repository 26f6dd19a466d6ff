"""The site's downloads: every table of a cohort bundled in one Word and one RTF file, and
the appendix page "Downloads" that lists them with the book's PDF, ``results.json`` and
each chapter's table and figure files.

The chapters write their own files (CSV, DOCX, RTF per table; SVG, PNG, PDF per figure)
and list them, in the order of the page, in ``tables.json`` and ``figures.json`` in their
downloads folder (:func:`helpers.present.export.write_manifest`). This module reads those
manifests; it computes nothing. The bundles are kept in the build's work folder under the
hash of the files they join, so a rebuild whose tables did not change joins none again.
"""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from helpers.present import export
from helpers.present.prose import count_noun
from helpers.publish import cache
from helpers.publish.provenance import md_text

#: The bundles' file names in the site's ``downloads/`` folder.
BUNDLE_DOCX = "tables.docx"
BUNDLE_RTF = "tables.rtf"


@dataclass(frozen=True)
class ChapterDownloads:
    """One chapter's exported files, as its manifests list them."""

    name: str
    title: str
    folder: Path
    tables: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)

    @property
    def bundled(self) -> list[dict]:
        """The tables that go into the bundles: every one with a DOCX and an RTF file
        (subject-level listings have their CSV only)."""
        return [t for t in self.tables if {"docx", "rtf"} <= set(t.get("files", {}))]


def _manifest(folder: Path, filename: str) -> list[dict]:
    path = folder / filename
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("entries", []))


def chapter_title(notebook: Path, default: str) -> str:
    """The first level-1 heading of a notebook's Markdown cells (``default`` if none)."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return default
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", []))
        for line in source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return default


def read_chapter_downloads(name: str, folder: Path, notebook: Path) -> ChapterDownloads:
    """A chapter's downloads from the manifests in its downloads ``folder``."""
    return ChapterDownloads(name, chapter_title(notebook, name), folder,
                            _manifest(folder, "tables.json"), _manifest(folder, "figures.json"))


def bundle_tables(chapters: Sequence[ChapterDownloads], work: Path) -> dict[str, bytes]:
    """Every bundled table of the chapters, in book order, as one DOCX and one RTF file.

    Parameters
    ----------
    chapters : sequence of ChapterDownloads
        In the order of the book.
    work : Path
        A folder of the build's work area where the bundles are kept under the hash of
        the files they join (a rebuild with the same tables reuses them).

    Returns
    -------
    dict
        ``{"tables.docx": bytes, "tables.rtf": bytes}``; empty when no chapter has a
        bundled table.
    """
    docx = [c.folder / t["files"]["docx"] for c in chapters for t in c.bundled]
    rtf = [c.folder / t["files"]["rtf"] for c in chapters for t in c.bundled]
    if not docx:
        return {}
    key = cache.digest({f"{i}:{p.name}": cache.sha256_file(p) for i, p in enumerate(docx + rtf)})[:24]
    kept = {BUNDLE_DOCX: work / f"{key}.docx", BUNDLE_RTF: work / f"{key}.rtf"}
    if not all(p.is_file() for p in kept.values()):
        work.mkdir(parents=True, exist_ok=True)
        for stale in work.glob("*"):
            stale.unlink()
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            export.bundle_docx(docx, Path(tmp) / BUNDLE_DOCX).replace(kept[BUNDLE_DOCX])
            export.bundle_rtf(rtf, Path(tmp) / BUNDLE_RTF).replace(kept[BUNDLE_RTF])
    return {name: path.read_bytes() for name, path in kept.items()}


def _links(label: str, url: str, files: dict[str, str]) -> str:
    """``CSV, Word (DOCX), RTF``, each a download link labelled for a screen reader."""
    parts = []
    for kind, filename in files.items():
        name = export.FORMAT_NAMES.get(kind, kind.upper())
        parts.append(f'<a href="{html.escape(url + filename)}" download '
                     f'aria-label="{html.escape(f"Download {label} as {name}")}">{html.escape(name)}</a>')
    return ", ".join(parts)


def _list(items: list[str]) -> str:
    # A raw HTML block in MyST: blank lines around it, no indentation.
    return '\n<ul class="downloads">\n' + "\n".join(f"<li>{item}</li>" for item in items) + "\n</ul>\n"


def downloads_page(chapters: Sequence[ChapterDownloads], *, bundles: bool, pdf: bool,
                   url: str = "../downloads/") -> str:
    """The Markdown of the appendix page "Downloads".

    Parameters
    ----------
    chapters : sequence of ChapterDownloads
        In the order of the book.
    bundles : bool
        Whether :func:`bundle_tables` wrote the two bundles into ``url``.
    pdf : bool
        Whether the build prints the book as ``book.pdf`` at the site's root.
    url : str
        The site's ``downloads/`` folder relative to the page.

    Returns
    -------
    str
        Markdown with raw HTML lists of download links, every text escaped.

    Examples
    --------
    >>> page = downloads_page([], bundles=False, pdf=True)
    >>> "book.pdf" in page and "results.json" in page
    True
    """
    n_tables = sum(len(c.bundled) for c in chapters)
    lines = ["(downloads)=", "# Downloads", "",
             "Every table and figure of this book as a file, to hand on or to check. The numbers "
             "are those of the pages: nothing here is computed anew. Table files carry their "
             "number, title, footnotes and, for simulated data, the note that says so.", "",
             "## The whole book"]
    whole = []
    if pdf:
        whole.append("The book as a PDF: " + _links("the book", f"{url}../", {"pdf": "book.pdf"}))
    if bundles:
        whole.append(("The table" if n_tables == 1 else f"All {count_noun(n_tables, 'table')}") + " in one file: "
                     + _links("all tables", url, {"docx": BUNDLE_DOCX, "rtf": BUNDLE_RTF}))
    whole.append("Every result the pages quote, by name: " + _links("the results", f"{url}../", {"json": "results.json"})
                 + "; with the chapter and the digits each is shown with: "
                 + _links("the results' metadata", f"{url}../", {"json": "results-meta.json"}))
    lines.append(_list(whole))
    for chapter in chapters:
        if not chapter.tables and not chapter.figures:
            continue
        lines.append(f"## {md_text(chapter.title)}")
        items = []
        for t in chapter.tables:
            label = str(t.get("label") or t.get("name", ""))
            items.append(f"{html.escape(label)}. {html.escape(str(t.get('title', '')))}: "
                         + _links(label, f"{url}{chapter.name}/", t.get("files", {})))
        for f in chapter.figures:
            label = f"figure {f.get('name', '')}"
            items.append(f"Figure <code>{html.escape(str(f.get('name', '')))}</code>: "
                         + _links(label, f"{url}{chapter.name}/", f.get("files", {})))
        lines.append(_list(items))
    return "\n".join(lines).rstrip() + "\n"
