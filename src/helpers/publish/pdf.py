"""Print a cohort's book as one PDF: Sphinx's single-page HTML, printed by Chromium.

No LaTeX and no download: Jupyter Book's own ``pdfhtml`` builder asks Playwright for a
browser build of its own, which fails offline. Here the steps are

1. Render the staged book (the folder the build rendered the site from) with Sphinx's
   ``singlehtml`` builder into the work folder, configured as
   :mod:`helpers.publish.render` configures the ``html`` builder (same Jupyter Book
   configuration; its own doctrees, so the site's incremental render is not disturbed).
   Every page of the book becomes one HTML document, cross-references become links
   within it, and a table of contents opens it.
2. Open it in Debian's Chromium (``/usr/bin/chromium``, launched by Playwright with the
   flags the browser tests use) with every request that would leave the machine
   aborted; wait for the subject-level listings (itables) to initialise, then show every
   row of them (on screen they page by 10), open every ``<details>`` and unlink the links
   to files the PDF does not hold (downloads, the search page). ``_static/book.css``
   holds the print stylesheet: each chapter starts a new page, figures and table rows
   are not split, download lines and the listings' controls are hidden.
3. Print it (Chrome DevTools' ``Page.printToPDF`` through Playwright): A4, the book's
   title and the banner of every page (simulated data, dummy randomization, plan
   changed after lock: :func:`helpers.publish.stage.banner_text`) in the header, "Page
   n of m" in the footer, an outline (bookmarks from the headings,
   ``generateDocumentOutline``) and tags (``generateTaggedPDF``) for accessibility.
4. Make it deterministic (:func:`deterministic_pdf`: Chromium stamps the creation
   and modification times, which are blanked, and numbers the tagged structure by DOM
   node, which is renumbered in order), check it
   (:func:`check_book_pdf`: a page or more per chapter, the outline, the tags, the
   banner on every page) and write it as ``<site>/book.pdf``.

The PDF is remembered by the published site's stamp: a rebuild that changed nothing
copies the PDF printed last time instead of printing again.

:func:`read_pdf` reads back what the checks and the tests need (pages, outline, named
destinations, tags, the text of each page) from the PDF Chromium writes, without a PDF
library.
"""

from __future__ import annotations

import html
import io
import re
import time
import unicodedata
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from helpers.errors import HelpersError
from helpers.present.export import write_atomic

#: The file the PDF is published as, at the root of the site.
PDF_NAME = "book.pdf"
#: Debian's Chromium, as the browser tests use it (``make browser`` installs it).
CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking flags Chromium calls Google hosts when it starts
#: (the flags of ``tests/test_site.py``).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
#: Paper and margins. The top margin holds the header (title and banner, up to three
#: lines at 7 pt), the bottom one the page numbers.
PAPER = "A4"
MARGINS: Mapping[str, str] = {"top": "24mm", "bottom": "16mm", "left": "16mm", "right": "16mm"}
#: How long Chromium may take to load and print the book, in milliseconds.
TIMEOUT_MS = 600_000

#: Run in the page before printing: wait for itables, show every row of each listing,
#: open every ``<details>``, unlink links to files outside the document, set the title.
_PREPARE = """
async (title) => {
  document.title = title;
  const key = Object.keys(window).find(k => k.startsWith('_itables_'));
  let listings = 0;
  if (key) {
    const { jQuery: $ } = await window[key];
    for (const table of document.querySelectorAll('table.dataTable')) {
      $(table).DataTable().page.len(-1).draw(false);
      listings += 1;
    }
  }
  for (const d of document.querySelectorAll('details')) d.open = true;
  const here = location.href.split('#')[0];
  let unlinked = 0;
  for (const a of document.querySelectorAll('a[href]')) {
    const url = new URL(a.getAttribute('href'), location.href);
    if (url.protocol === 'file:' && url.href.split('#')[0] !== here) {
      a.removeAttribute('href');
      a.removeAttribute('download');
      unlinked += 1;
    }
  }
  return {listings, unlinked};
}
"""
#: True once every listing's table is initialised (its DataTable gives it the class).
_LISTINGS_READY = "() => document.querySelectorAll('table[id^=\"dt-\"]:not(.dataTable)').length === 0"


class PdfError(HelpersError, RuntimeError):
    """The book could not be printed, or the PDF fails a check; the message says which."""


# ---------------------------------------------------------------------------------------
# 1. the single-page HTML


def render_singlehtml(staging: Path, out: Path, fresh: bool = False) -> Path:
    """Render a staged book with Sphinx's ``singlehtml`` builder.

    The configuration is Jupyter Book's, from the staged ``_config.yml`` and ``_toc.yml``,
    as :class:`helpers.publish.render.Renderer` builds the site, but the extra files of
    the site (downloads, ``results.json``) are not copied: the PDF links none of them.

    Parameters
    ----------
    staging : Path
        The staged book (``<work>/book``).
    out : Path
        The output folder; Sphinx keeps its doctrees in ``<out>/../.doctrees`` and myst-nb
        its outputs in ``<out>/../jupyter_execute``, so a second render is incremental.
    fresh : bool
        Read every page again.

    Returns
    -------
    Path
        The HTML file of the book (``<out>/<root>.html``).

    Raises
    ------
    PdfError
        Sphinx failed; the message holds its warnings and errors.
    """
    from docutils.utils import SystemMessage  # noqa: F401  (imported before Sphinx, as Sphinx does)
    from jupyter_book.config import get_final_config
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    src, out = Path(staging).resolve(), Path(out).resolve()
    if not (src / "_config.yml").is_file() or not (src / "_toc.yml").is_file():
        raise PdfError(f"{src} is not a staged book (no _config.yml and _toc.yml); build the site first")
    config, _ = get_final_config(
        user_yaml=src / "_config.yml",
        cli_config={"external_toc_path": str(src / "_toc.yml"), "latex_individualpages": False},
        sourcedir=src,
        use_external_toc=True,
    )
    config["html_extra_path"] = []
    log = io.StringIO()
    try:
        with patch_docutils(None), docutils_namespace():
            app = Sphinx(
                srcdir=src, confdir=None, outdir=out, doctreedir=out.parent / ".doctrees", buildername="singlehtml",
                confoverrides=config, status=log, warning=log, freshenv=fresh, warningiserror=True,
                keep_going=True, parallel=1,
            )
            if app.config["use_multitoc_numbering"] and "numbered: true" in str(app.config.external_site_map.as_json()):
                app.setup_extension("sphinx_multitoc_numbering")
            app.build(False, [])
            status, root = app.statuscode, app.config.root_doc
    except Exception as exc:  # Sphinx raises its own errors and whatever an extension raises
        raise PdfError(f"Sphinx failed to render the single-page book:\n{_problems(log.getvalue())}\n"
                       f"{type(exc).__name__}: {exc}") from exc
    if status != 0:
        raise PdfError(f"Sphinx failed to render the single-page book:\n{_problems(log.getvalue())}")
    return out / f"{root}.html"


def _problems(log: str) -> str:
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in log.splitlines()]
    problems = [x for x in lines if "WARNING" in x or "ERROR" in x or "Exception" in x]
    return "\n".join(problems[:40] or lines[-40:])


# ---------------------------------------------------------------------------------------
# 2-3. printing


def header_template(title: str, banner_html: str = "") -> str:
    """The header Chromium prints on every page: the book's title and, under it, the banner.

    Parameters
    ----------
    title : str
        The book's title (plain text; escaped here).
    banner_html : str
        The banner as HTML (:func:`helpers.publish.stage.banner_text`, escaped there);
        ``""`` for none.

    Examples
    --------
    >>> h = header_template("A & B", "Simulated data.")
    >>> '<div style="font-weight: 600;">A &amp; B</div><div>Simulated data.</div></div>' in h
    True
    """
    banner = f"<div>{banner_html}</div>" if banner_html else ""
    return (f'<div style="width: 100%; margin: 0 {MARGINS["left"]}; font-family: sans-serif; font-size: 7pt; '
            f'color: #333;"><div style="font-weight: 600;">{html.escape(title)}</div>{banner}</div>')


def footer_template() -> str:
    """The footer Chromium prints on every page: ``Page n of m``, centred.

    Examples
    --------
    >>> "pageNumber" in footer_template() and "totalPages" in footer_template()
    True
    """
    return ('<div style="width: 100%; text-align: center; font-family: sans-serif; font-size: 7pt; color: #333;">'
            'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')


@dataclass(frozen=True)
class Printed:
    """What :func:`print_pdf` did: the PDF's bytes (as Chromium wrote them), the listings
    expanded, the links to files outside the document removed, the requests aborted
    (URLs that would have left the machine) and the seconds taken to load and to print."""

    data: bytes
    listings: int
    unlinked: int
    blocked: tuple[str, ...]
    load_seconds: float
    print_seconds: float


def print_pdf(html_file: Path, *, title: str, banner_html: str = "", chromium: str | Path = CHROMIUM,
              paper: str = PAPER, timeout_ms: int = TIMEOUT_MS) -> Printed:
    """Print an HTML file with Chromium: header and footer, outline, tags.

    Parameters
    ----------
    html_file : Path
        The single-page book (:func:`render_singlehtml`).
    title : str
        The PDF's title (its metadata and the header).
    banner_html : str
        The banner every page's header shows (HTML, escaped).
    chromium : str or Path
        The browser (Debian's ``chromium``).
    paper : str
        A paper size Chromium knows (``A4``, ``Letter``).
    timeout_ms : int
        Longest wait for the page to load and print.

    Returns
    -------
    Printed

    Raises
    ------
    PdfError
        No Chromium at ``chromium``, no Playwright, or the page failed to load or print.
    """
    html_file = Path(html_file).resolve()
    if not html_file.is_file():
        raise PdfError(f"no single-page book at {html_file}")
    if not Path(chromium).is_file():
        raise PdfError(f"no Chromium at {chromium}: install Debian's chromium (`make browser`, as `make test` does)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
        raise PdfError("printing the book needs Playwright (pinned in requirements.txt)") from exc

    blocked: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium), args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page()
                page.set_default_timeout(timeout_ms)
                page.route("**/*", route)
                t0 = time.perf_counter()
                page.goto(html_file.as_uri(), wait_until="load")
                page.wait_for_function(_LISTINGS_READY, timeout=min(timeout_ms, 60_000))
                done = page.evaluate(_PREPARE, title)
                page.evaluate("() => document.fonts.ready.then(() => true)")
                t1 = time.perf_counter()
                data = page.pdf(
                    format=paper, margin=dict(MARGINS), print_background=True, display_header_footer=True,
                    header_template=header_template(title, banner_html), footer_template=footer_template(),
                    outline=True, tagged=True,
                )
                t2 = time.perf_counter()
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfError(f"Chromium failed to print {html_file}: {exc}") from exc
    return Printed(data, int(done["listings"]), int(done["unlinked"]), tuple(blocked), t1 - t0, t2 - t1)


# ---------------------------------------------------------------------------------------
# 4. deterministic metadata


_DATES = re.compile(rb"/(?:CreationDate|ModDate)\s*\(D:[0-9+\-Z']*\)")
#: The ids Chromium gives the tagged structure's elements (table headers are found by
#: them): its DOM node numbers, which shift with whatever the page's scripts created.
_NODE_IDS = re.compile(rb"\(node(\d{8})\)")


def deterministic_pdf(data: bytes) -> bytes:
    """A PDF with its creation and modification dates blanked and the ids of its tagged
    structure renumbered in order.

    Chromium stamps the time of printing in the document information dictionary and
    offers no option against it. Each ``/CreationDate (D:...)`` and ``/ModDate (D:...)``
    entry is overwritten with spaces of the same length (whitespace between the keys of
    a dictionary): the document simply has no dates. The structure elements' ids
    (``(node00000201)``, cited by table cells' ``/Headers``) are Chromium's DOM node
    numbers, which depend on the order the page's scripts ran in; each is replaced by
    its rank of first appearance, written with as many digits. Every byte offset of the
    cross-reference table stays right, and two prints of the same page give the same
    bytes.

    Examples
    --------
    >>> deterministic_pdf(b"<</Producer (Skia)\\n/CreationDate (D:20260101120000+00'00')>>")
    b'<</Producer (Skia)\\n                                          >>'
    >>> deterministic_pdf(b"/ID (node00000201) /Headers [(node00000201)] /ID (node00000198)")
    b'/ID (node00000001) /Headers [(node00000001)] /ID (node00000002)'
    """
    ranks: dict[bytes, int] = {}

    def rank(m: re.Match) -> bytes:
        number = ranks.setdefault(m.group(1), len(ranks) + 1)
        return b"(node%08d)" % number

    return _NODE_IDS.sub(rank, _DATES.sub(lambda m: b" " * len(m.group()), data))


# ---------------------------------------------------------------------------------------
# reading a PDF back (Chromium's: a classic cross-reference table, Flate streams)


@dataclass(frozen=True)
class Ref:
    """An indirect reference ``n g R``."""

    number: int
    generation: int = 0


class Name(str):
    """A PDF name (``/Type``), without its slash."""


class _Operator(str):
    """A content-stream operator (``Tj``)."""


_WHITESPACE = b" \t\r\n\x00\x0c"
_DELIMITERS = b"()<>[]{}/%"
_REF = re.compile(rb"(\d+)\s+(\d+)\s+R(?![^\s()<>\[\]{}/%])")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)$")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


class _Parser:
    """Reads PDF objects (numbers, names, strings, arrays, dictionaries, references) and,
    in content streams, operators."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def _skip(self) -> None:
        data, n = self.data, len(self.data)
        while self.pos < n:
            c = data[self.pos]
            if c in _WHITESPACE:
                self.pos += 1
            elif c == 0x25:  # % comment
                while self.pos < n and data[self.pos] not in b"\r\n":
                    self.pos += 1
            else:
                return

    def at_end(self) -> bool:
        self._skip()
        return self.pos >= len(self.data)

    def parse(self):
        self._skip()
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise PdfError("unexpected end of a PDF object")
        c = data[pos]
        if data.startswith(b"<<", pos):
            self.pos += 2
            out = {}
            while True:
                self._skip()
                if self.data.startswith(b">>", self.pos):
                    self.pos += 2
                    return out
                key = self.parse()
                if not isinstance(key, Name):
                    raise PdfError(f"a dictionary key is not a name at byte {self.pos}")
                out[str(key)] = self.parse()
        if c == 0x3C:  # <hex>
            end = data.index(b">", pos)
            self.pos = end + 1
            digits = re.sub(rb"\s", b"", data[pos + 1:end])
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        if c == 0x28:  # (literal)
            return self._literal()
        if c == 0x5B:  # [array]
            self.pos += 1
            items = []
            while True:
                self._skip()
                if self.data[self.pos] == 0x5D:
                    self.pos += 1
                    return items
                items.append(self.parse())
        if c == 0x2F:  # /Name
            end = pos + 1
            while end < len(data) and data[end] not in _WHITESPACE and data[end] not in _DELIMITERS:
                end += 1
            self.pos = end
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data[pos + 1:end])
            return Name(raw.decode("utf-8", "replace"))
        m = _REF.match(data, pos)
        if m:
            self.pos = m.end()
            return Ref(int(m.group(1)), int(m.group(2)))
        end = pos
        while end < len(data) and data[end] not in _WHITESPACE and data[end] not in _DELIMITERS:
            end += 1
        if end == pos:
            raise PdfError(f"unexpected {chr(c)!r} at byte {pos} of a PDF object")
        token = data[pos:end]
        self.pos = end
        if _NUMBER.match(token):
            return float(token) if b"." in token else int(token)
        return {b"true": True, b"false": False, b"null": None}.get(token, _Operator(token.decode("latin-1")))

    def _literal(self) -> bytes:
        data, pos, depth, out = self.data, self.pos + 1, 1, bytearray()
        while True:
            c = data[pos]
            if c == 0x5C:  # backslash
                nxt = data[pos + 1]
                if nxt in _ESCAPES:
                    out += _ESCAPES[nxt]
                    pos += 2
                elif 0x30 <= nxt <= 0x37:
                    m = re.match(rb"[0-7]{1,3}", data[pos + 1:pos + 4])
                    out.append(int(m.group(), 8) & 0xFF)
                    pos += 1 + len(m.group())
                elif nxt in b"\r\n":  # a line continuation
                    pos += 3 if data[pos + 1:pos + 3] == b"\r\n" else 2
                else:
                    out.append(nxt)
                    pos += 2
                continue
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
                if depth == 0:
                    self.pos = pos + 1
                    return bytes(out)
            out.append(c)
            pos += 1


def pdf_string(value: bytes) -> str:
    """A PDF text string as text: UTF-16BE after a byte-order mark, else PDFDocEncoding
    (read as Latin-1, which it equals for printable characters).

    Examples
    --------
    >>> pdf_string(b"\\xfe\\xff\\x00A\\x00\\xe9"), pdf_string(b"Results")
    ('Aé', 'Results')
    """
    if value.startswith(b"\xfe\xff"):
        return value[2:].decode("utf-16-be", "replace")
    return value.decode("latin-1")


class _Document:
    """The objects of a PDF, found through its cross-reference table."""

    def __init__(self, data: bytes):
        self.data = data
        self.offsets = self._xref()
        self._cache: dict[int, object] = {}

    def _xref(self) -> dict[int, int]:
        tail = self.data[-2048:]
        m = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", tail)
        if not m:
            raise PdfError("not a PDF (no startxref at its end)")
        pos = int(m.group(1))
        if not self.data.startswith(b"xref", pos):
            raise PdfError("the PDF has no classic cross-reference table (a cross-reference stream is not read here)")
        offsets: dict[int, int] = {}
        lines = iter(self.data[pos + 4:].split(b"\n"))
        for line in lines:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == b"trailer":
                break
            first, count = int(parts[0]), int(parts[1])
            for i in range(count):
                entry = next(lines).split()
                if entry[2] == b"n":
                    offsets[first + i] = int(entry[0])
        trailer = self.data.index(b"trailer", pos)
        self.trailer = _Parser(self.data, trailer + len(b"trailer")).parse()
        return offsets

    def _header(self, number: int) -> int:
        pos = self.offsets[number]
        m = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj").match(self.data, pos)
        if not m or int(m.group(1)) != number:
            raise PdfError(f"the cross-reference table points object {number} at the wrong byte ({pos})")
        return m.end()

    def get(self, value):
        """``value``, or the object it refers to."""
        if not isinstance(value, Ref):
            return value
        if value.number not in self._cache:
            if value.number not in self.offsets:
                raise PdfError(f"object {value.number} is not in the cross-reference table")
            parser = _Parser(self.data, self._header(value.number))
            self._cache[value.number] = parser.parse()
        return self._cache[value.number]

    def stream(self, ref: Ref) -> bytes:
        """The decoded content of a stream object (no filter or FlateDecode)."""
        parser = _Parser(self.data, self._header(ref.number))
        head = parser.parse()
        m = re.compile(rb"\s*stream\r?\n").match(self.data, parser.pos)
        if not isinstance(head, dict) or not m:
            raise PdfError(f"object {ref.number} is not a stream")
        length = self.get(head.get("Length"))
        raw = self.data[m.end():m.end() + int(length)]
        filters = self.get(head.get("Filter"))
        filters = [] if filters is None else filters if isinstance(filters, list) else [filters]
        for f in filters:
            if f != "FlateDecode":
                raise PdfError(f"stream {ref.number} uses the filter {f}, not read here")
            raw = zlib.decompress(raw)
        return raw


@dataclass(frozen=True)
class PdfFacts:
    """What :func:`read_pdf` reads from a PDF.

    Attributes
    ----------
    pages : int
        Number of pages.
    text : tuple of str
        The text of each page, in page order (text runs joined by spaces, whitespace
        collapsed): header and footer included.
    outline : tuple of (int, str, int or None)
        The bookmarks in reading order: depth (1 for the top level), title and the
        1-based page it opens (None when it names no page).
    destinations : dict
        Named destinations (HTML anchors, e.g. ``document-chapters/sri``) -> 1-based page.
    tagged : bool
        The document is marked as tagged (``/MarkInfo /Marked true``) and has a structure tree.
    info : dict
        The document information dictionary, as text (``Title``, ``Producer``, ...).
    language : str or None
        The document's language (``/Lang``).
    """

    pages: int
    text: tuple[str, ...]
    outline: tuple[tuple[int, str, int | None], ...]
    destinations: dict[str, int] = field(default_factory=dict)
    tagged: bool = False
    info: dict[str, str] = field(default_factory=dict)
    language: str | None = None


def read_pdf(data: bytes | Path) -> PdfFacts:
    """Read a PDF's pages, text, outline, named destinations, tags and metadata.

    A small reader for what Chromium writes (Skia's PDF backend): a classic
    cross-reference table, Flate-compressed streams, Type 0 fonts with ``ToUnicode``
    maps. It is what the build's checks and the tests need, not a general PDF library.

    Parameters
    ----------
    data : bytes or Path
        The PDF, or its file.

    Returns
    -------
    PdfFacts

    Raises
    ------
    PdfError
        The file is not a PDF of that kind.
    """
    if isinstance(data, (str, Path)):
        data = Path(data).read_bytes()
    if not data.startswith(b"%PDF-"):
        raise PdfError("not a PDF (it does not start with %PDF-)")
    doc = _Document(data)
    catalog = doc.get(doc.trailer.get("Root"))
    if not isinstance(catalog, dict):
        raise PdfError("the PDF has no document catalog")
    pages = _pages(doc, catalog.get("Pages"))
    page_number = {ref.number: i + 1 for i, (ref, _) in enumerate(pages)}
    text = tuple(_page_text(doc, page) for _, page in pages)
    destinations = {}
    named = doc.get(catalog.get("Dests"))
    for name, dest in (named or {}).items():
        dest = doc.get(dest)
        dest = doc.get(dest.get("D")) if isinstance(dest, dict) else dest
        if isinstance(dest, list) and dest and isinstance(dest[0], Ref):
            destinations[name] = page_number.get(dest[0].number)
    outline = []
    root = doc.get(catalog.get("Outlines"))
    if isinstance(root, dict):
        _walk_outline(doc, root.get("First"), 1, outline, page_number, destinations)
    mark = doc.get(catalog.get("MarkInfo")) or {}
    tagged = bool(isinstance(mark, dict) and mark.get("Marked") is True and catalog.get("StructTreeRoot"))
    info_dict = doc.get(doc.trailer.get("Info")) or {}
    info = {k: pdf_string(v) if isinstance(v, bytes) else str(v) for k, v in info_dict.items()}
    lang = doc.get(catalog.get("Lang"))
    return PdfFacts(len(pages), text, tuple(outline), destinations, tagged, info,
                    pdf_string(lang) if isinstance(lang, bytes) else None)


def _pages(doc: _Document, node, seen: set | None = None) -> list[tuple[Ref, dict]]:
    seen = set() if seen is None else seen
    out = []
    obj = doc.get(node)
    if isinstance(node, Ref):
        if node.number in seen:
            raise PdfError(f"the page tree loops at object {node.number}")
        seen.add(node.number)
    if not isinstance(obj, dict):
        raise PdfError("the PDF's page tree is broken")
    if obj.get("Type") == "Page":
        return [(node, obj)]
    for kid in obj.get("Kids", []):
        out += _pages(doc, kid, seen)
    return out


def _walk_outline(doc: _Document, ref, depth: int, out: list, page_number: dict, named: dict) -> None:
    seen = set()
    while isinstance(ref, Ref) and ref.number not in seen:
        seen.add(ref.number)
        item = doc.get(ref)
        dest = doc.get(item.get("Dest"))
        action = doc.get(item.get("A"))
        if dest is None and isinstance(action, dict):
            dest = doc.get(action.get("D"))
        page = None
        if isinstance(dest, list) and dest and isinstance(dest[0], Ref):
            page = page_number.get(dest[0].number)
        elif isinstance(dest, (bytes, Name)):
            page = named.get(pdf_string(dest) if isinstance(dest, bytes) else str(dest))
        title = doc.get(item.get("Title"))
        out.append((depth, " ".join(pdf_string(title).split()) if isinstance(title, bytes) else "", page))
        _walk_outline(doc, item.get("First"), depth + 1, out, page_number, named)
        ref = item.get("Next")


def _to_unicode(doc: _Document, font) -> Callable[[bytes], str]:
    """A decoder of a font's strings: its ``ToUnicode`` map (two-byte codes, as Type 0
    fonts with ``Identity-H`` have), else Latin-1."""
    font = doc.get(font)
    ref = font.get("ToUnicode") if isinstance(font, dict) else None
    if not isinstance(ref, Ref):
        return lambda s: s.decode("latin-1")
    cmap = doc.stream(ref)
    table: dict[int, str] = {}
    width = 2
    for block in re.findall(rb"begincodespacerange(.*?)endcodespacerange", cmap, re.S):
        lo = re.findall(rb"<([0-9A-Fa-f]+)>", block)
        if lo:
            width = len(lo[0]) // 2
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            lo_i, hi_i = int(lo, 16), int(hi, 16)
            if dst.startswith(b"["):
                for i, d in enumerate(re.findall(rb"<([0-9A-Fa-f]*)>", dst)):
                    table[lo_i + i] = bytes.fromhex(d.decode()).decode("utf-16-be", "replace")
            else:
                start = bytes.fromhex(dst[1:-1].decode())
                for i in range(hi_i - lo_i + 1):
                    last = int.from_bytes(start[-2:], "big") + i
                    table[lo_i + i] = (start[:-2] + last.to_bytes(2, "big")).decode("utf-16-be", "replace")

    def decode(s: bytes) -> str:
        return "".join(table.get(int.from_bytes(s[i:i + width], "big"), "") for i in range(0, len(s), width))

    return decode


_TEXT_OR_FORM = re.compile(rb"\bBT\b(.*?)\bET\b|/([^\s/\[\]()<>{}%]+)\s+Do\b", re.S)


def _page_text(doc: _Document, page: dict, depth: int = 0) -> str:
    resources = doc.get(page.get("Resources")) or {}
    contents = doc.get(page.get("Contents"))
    refs = contents if isinstance(contents, list) else [page.get("Contents")] if page.get("Contents") else []
    stream = b"\n".join(doc.stream(r) for r in refs if isinstance(r, Ref))
    return _content_text(doc, stream, resources, depth)


def _content_text(doc: _Document, stream: bytes, resources: dict, depth: int) -> str:
    fonts = {name: _to_unicode(doc, ref) for name, ref in (doc.get(resources.get("Font")) or {}).items()}
    runs: list[str] = []
    # Text is shown between BT and ET; forms (XObjects) drawn with Do may hold more.
    for m in _TEXT_OR_FORM.finditer(stream):
        if m.group(1) is not None:
            runs.append(_block_text(m.group(1), fonts))
        elif depth < 4:
            xobjects = doc.get(resources.get("XObject")) or {}
            ref = xobjects.get(m.group(2).decode("latin-1"))
            if isinstance(ref, Ref):
                obj = doc.get(ref)
                if isinstance(obj, dict) and obj.get("Subtype") == "Form":
                    form = {**obj, "Contents": ref}
                    form.setdefault("Resources", resources)
                    runs.append(_page_text(doc, form, depth + 1))
    return " ".join(unicodedata.normalize("NFKC", " ".join(runs)).split())


def _block_text(block: bytes, fonts: Mapping[str, Callable[[bytes], str]]) -> str:
    parser = _Parser(block)
    operands: list = []
    decode: Callable[[bytes], str] = lambda s: s.decode("latin-1")  # noqa: E731
    out: list[str] = []
    while not parser.at_end():
        token = parser.parse()
        if not isinstance(token, _Operator):
            operands.append(token)
            continue
        if token == "Tf" and len(operands) >= 2 and isinstance(operands[-2], Name):
            decode = fonts.get(str(operands[-2]), decode)
        elif token in ("Tj", "'", '"') and operands and isinstance(operands[-1], bytes):
            out.append(decode(operands[-1]))
        elif token == "TJ" and operands and isinstance(operands[-1], list):
            out.append("".join(decode(x) for x in operands[-1] if isinstance(x, bytes)))
        operands = []
    return "".join(out)


# ---------------------------------------------------------------------------------------
# checks and the whole step


def plain_text(html_text: str) -> str:
    """HTML as the text a reader sees: tags dropped, entities decoded, whitespace collapsed.

    Examples
    --------
    >>> plain_text("Simulated data: results of <b>NCT1</b> &amp; more")
    'Simulated data: results of NCT1 & more'
    """
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", html_text)).split())


def check_book_pdf(facts: PdfFacts, documents: Sequence[str], banner: str = "", min_pages: int = 1) -> list[str]:
    """What is wrong with a printed book, if anything.

    Parameters
    ----------
    facts : PdfFacts
        From :func:`read_pdf`.
    documents : sequence of str
        The book's pages in order (``chapters/cohort``, ...): each must open on a page
        of its own, after the previous one's (Sphinx names a page's start
        ``document-<page>`` in the single-page HTML).
    banner : str
        Plain text every page must show (its header); ``""`` for none.
    min_pages : int
        The least number of pages.

    Returns
    -------
    list of str
        One line per problem; empty when the PDF passes.

    Examples
    --------
    >>> facts = PdfFacts(3, ("Sim. Intro", "Sim. 1. A", "2. B"), ((1, "Intro", 1),),
    ...                  {"document-a": 2, "document-b": 2}, tagged=True)
    >>> check_book_pdf(facts, ["a", "b"], banner="Sim.")  # doctest: +NORMALIZE_WHITESPACE
    ['page b opens on page 2, not after page a (page 2)', 'the banner is missing from page 3']
    """
    problems = []
    if facts.pages < min_pages:
        problems.append(f"{facts.pages} pages, fewer than {min_pages}")
    if not facts.outline:
        problems.append("no outline (bookmarks)")
    if not facts.tagged:
        problems.append("not a tagged PDF")
    previous, previous_page = "the title page", 1
    for doc in documents:
        page = facts.destinations.get(f"document-{doc}")
        if page is None:
            problems.append(f"page {doc} has no destination in the PDF")
            continue
        if page <= previous_page:
            problems.append(f"page {doc} opens on page {page}, not after {previous} (page {previous_page})")
        previous, previous_page = f"page {doc}", page
    if banner:
        want = " ".join(banner.split())
        missing = [i + 1 for i, t in enumerate(facts.text) if want not in t]
        if missing:
            pages = ", ".join(str(p) for p in missing[:10]) + (" ..." if len(missing) > 10 else "")
            problems.append(f"the banner is missing from page{'s' if len(missing) > 1 else ''} {pages}")
    return problems


def landing_link(printed: bool) -> str:
    """What a landing page shows for the PDF, as the MyST substitution ``{{ book_pdf }}``
    (inline HTML): a link to ``book.pdf`` beside the page when the build prints it,
    else nothing.

    Examples
    --------
    >>> landing_link(True)
    '<a href="book.pdf" download>The whole book as one PDF file</a> (printed from these pages).'
    >>> landing_link(False)
    ''
    """
    if not printed:
        return ""
    return f'<a href="{PDF_NAME}" download>The whole book as one PDF file</a> (printed from these pages).'


def _build_date(site: Path) -> str | None:
    """The build date the published provenance page shows (``YYYY-MM-DD HH:MM UTC``)."""
    page = site / "appendix" / "provenance.html"
    if not page.is_file():
        return None
    m = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", page.read_text(encoding="utf-8", errors="replace"))
    return m.group() if m else None


@dataclass(frozen=True)
class BookPdf:
    """What :func:`write_book_pdf` wrote: the PDF in the site, its pages, whether it was
    printed now (False: the PDF printed for this site earlier was copied) and the
    seconds taken by each step (``render``, ``load``, ``print``, ``check``; ``total``)."""

    path: Path
    pages: int
    printed: bool
    seconds: dict[str, float]


def _toc_documents(staging: Path) -> list[str]:
    """The book's pages in order, from the staged ``_toc.yml`` (the root first)."""
    import yaml

    toc = yaml.safe_load((staging / "_toc.yml").read_text(encoding="utf-8")) or {}
    docs = [str(toc.get("root", "intro"))]
    for part in toc.get("parts", []) or [{"chapters": toc.get("chapters", [])}]:
        docs += [str(c["file"]) for c in part.get("chapters", []) or [] if "file" in c]
    return docs


def write_book_pdf(
    staging: Path,
    site: Path,
    work: Path,
    *,
    title: str,
    banner_html: str = "",
    chromium: str | Path = CHROMIUM,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> BookPdf:
    """Print the book a site was rendered from and publish it as ``<site>/book.pdf``.

    Parameters
    ----------
    staging : Path
        The staged book the site was rendered from (``<work>/book``).
    site : Path
        The published site (its ``.site-stamp`` names the staged book it holds).
    work : Path
        Where the single-page HTML, its doctrees and the last PDF are kept
        (``<work>/pdf`` of the build).
    title : str
        The book's title (the PDF's title and every page's header).
    banner_html : str
        The banner every page shows (:func:`helpers.publish.stage.banner_text`).
    chromium : str or Path
        Debian's Chromium.
    force : bool
        Print again even when the PDF printed last time is for this site.
    log : callable
        Called with a line for each step.

    Returns
    -------
    BookPdf

    Raises
    ------
    PdfError
        No published site, Sphinx or Chromium failed, or the PDF fails a check
        (:func:`check_book_pdf`); the site is left without a new PDF.
    """
    from helpers.publish import cache
    from helpers.publish.provenance import DATE_PLACEHOLDER
    from helpers.publish.site import STAMP_FILE

    t0 = time.perf_counter()
    site, work, staging = Path(site), Path(work), Path(staging)
    if not (site / STAMP_FILE).is_file():
        raise PdfError(f"{site} is not a published site (no {STAMP_FILE}); build it first")
    key = cache.digest({"site": (site / STAMP_FILE).read_text(), "title": title, "banner": banner_html,
                        "printer": cache.sha256_file(Path(__file__)), "chromium": str(chromium)})
    kept, record = work / PDF_NAME, work / "pdf.json"
    seconds: dict[str, float] = {}
    try:
        entry = cache.read_json(record) if record.is_file() else {}
    except ValueError:
        entry = {}
    reuse = (not force and entry.get("key") == key and kept.is_file()
             and cache.sha256_file(kept) == entry.get("sha256"))
    if reuse:
        data = kept.read_bytes()
        pages = int(entry.get("pages", 0))
    else:
        # The staged provenance page holds the date of the build that rendered the site,
        # or the placeholder when the last build found nothing to render: then the date
        # the published page shows.
        prov = staging / "appendix" / "provenance.md"
        if prov.is_file() and DATE_PLACEHOLDER in (text := prov.read_text(encoding="utf-8")):
            prov.write_text(text.replace(DATE_PLACEHOLDER, _build_date(site) or "not recorded"), encoding="utf-8")
        log("rendering the book as one page (Sphinx singlehtml)")
        t = time.perf_counter()
        book = render_singlehtml(staging, work / "singlehtml", fresh=force)
        seconds["render"] = time.perf_counter() - t
        log(f"printing it with Chromium ({seconds['render']:.1f} s to render)")
        printed = print_pdf(book, title=title, banner_html=banner_html, chromium=chromium)
        seconds["load"], seconds["print"] = printed.load_seconds, printed.print_seconds
        if printed.blocked:
            log(f"{len(printed.blocked)} request(s) that would leave the machine were blocked, e.g. {printed.blocked[0]}")
        t = time.perf_counter()
        data = deterministic_pdf(printed.data)
        facts = read_pdf(data)
        documents = _toc_documents(staging)[1:]
        problems = check_book_pdf(facts, documents, plain_text(banner_html), min_pages=len(documents) + 1)
        seconds["check"] = time.perf_counter() - t
        if problems:
            raise PdfError("the printed book fails its checks; no PDF was published:\n  - " + "\n  - ".join(problems))
        pages = facts.pages
        write_atomic(kept, data)
        cache.write_json(record, {"key": key, "sha256": cache.sha256_file(kept), "pages": pages})
    target = site / PDF_NAME
    if not target.is_file() or target.read_bytes() != data:
        write_atomic(target, data)
    seconds["total"] = time.perf_counter() - t0
    log(f"{PDF_NAME}: {pages} pages, " + ("printed" if not reuse else "unchanged since the last print, copied")
        + f" in {seconds['total']:.1f} s")
    return BookPdf(target, pages, not reuse, seconds)
