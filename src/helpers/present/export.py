"""Tables and figures as the files a trial team hands on: Word and RTF tables,
print-ready figures, and bundles of a cohort's tables.

A numbered table of a page (a :class:`helpers.present.tables.ResultTable` with its
number) is also written as a Word document (python-docx) and as an RTF file (rtflite, the
library for submission-style RTF tables), each with its number and title, the column
headers (with spanners), every cell as the page shows it, the footnotes and, for a
simulated cohort, the simulated-data note. A figure is also written as SVG (text as
paths), PNG at 300 dpi and PDF (TrueType fonts embedded), at a journal's column width.

Every file is deterministic: two builds of the same inputs give the same bytes. No
creation date, random id or zip time stamp is written: SVG without ``dc:date`` and with
a fixed hash salt, PDF without ``CreationDate``, PNG without ``Software``, DOCX without
created and modified dates and with every zip entry dated 1980-01-01, RTF has none.

The chapter (:class:`helpers.chapter.Chapter`) calls the ``write_*`` functions and lists
what it wrote in a per-chapter manifest (:func:`write_manifest`); the build bundles a
cohort's tables with :func:`bundle_docx` and :func:`bundle_rtf`.
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import json
import os
import pickle
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: The resolution of the PNG files.
FIGURE_DPI = 300
MM_PER_INCH = 25.4
#: A chart drawn wider than the column is scaled down to the column, its text, lines and
#: markers by the ratio of the widths but by no less than this: 10 pt text stays 7 pt,
#: the smallest most journals accept, and the chart is laid out again around it.
MIN_TEXT_SCALE = 0.7
#: Above this many columns a table's page is landscape (DOCX and RTF).
LANDSCAPE_COLUMNS = 6
#: What each kind of download is called in a link.
FORMAT_NAMES: dict[str, str] = {
    "csv": "CSV",
    "docx": "Word (DOCX)",
    "rtf": "RTF",
    "svg": "SVG",
    "png": f"PNG ({FIGURE_DPI} dpi)",
    "pdf": "PDF",
}
#: The date every entry of a DOCX file carries (the earliest a zip file can hold).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: Characters XML 1.0 cannot hold (a DOCX is XML): control characters but tab and newline.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# ---------------------------------------------------------------------------------------
# what a table export holds


@dataclass(frozen=True)
class ExportTable:
    """A numbered table as the exports hold it.

    Attributes
    ----------
    label : str
        The table's number as the page shows it (``"Table 3.2"``); empty for none.
    table : ResultTable-like
        Anything with ``name``, ``title``, ``display`` (a DataFrame of display strings),
        ``notes`` and, optionally, ``rowname``, ``groupname`` and ``spanners`` as
        :class:`helpers.present.tables.ResultTable` has them.
    notes : tuple of str
        Notes for the files only, after the table's own (the simulated-data note).
    """

    label: str
    table: Any
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def heading(self) -> str:
        """``"Table 3.2. Title"``, or the title alone without a number."""
        return f"{self.label}. {self.table.title}" if self.label else str(self.table.title)

    @property
    def all_notes(self) -> list[str]:
        return [str(n) for n in [*self.table.notes, *self.notes]]


@dataclass(frozen=True)
class HeaderCell:
    """One cell of a header row, spanning ``span`` columns."""

    text: str
    span: int = 1


@dataclass(frozen=True)
class Row:
    """One body row: its cells, or, for a row group's heading, one cell (``group``)."""

    cells: tuple[str, ...]
    group: bool = False


@dataclass(frozen=True)
class TableLayout:
    """A table laid out as the page shows it, for any file format.

    Attributes
    ----------
    columns : tuple of str
        The columns of ``display`` shown, in the order shown: the row-label column
        first, the columns under one spanner next to each other, the row-group column
        left out (its values head their rows).
    header : tuple of tuple of HeaderCell
        The header rows, top first: with spanners, a row of spanner labels (blank over
        the columns no spanner covers) above the column labels.
    rows : tuple of Row
        The body, with a group heading row before each row group's rows.
    """

    columns: tuple[str, ...]
    header: tuple[tuple[HeaderCell, ...], ...]
    rows: tuple[Row, ...] = field(default_factory=tuple)

    @property
    def ncol(self) -> int:
        return len(self.columns)


def format_cell(value: object) -> str:
    """A display cell as text: missing values are blank, anything else as ``str``.

    Examples
    --------
    >>> [format_cell(v) for v in ("12 (30.0%)", 3, 2.5, None, float("nan"))]
    ['12 (30.0%)', '3', '2.5', '', '']
    """
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value)


def table_layout(table) -> TableLayout:
    """The layout of a table's display: columns in the order shown, header rows with the
    spanners, body rows with their row groups.

    Parameters
    ----------
    table : ResultTable-like
        ``display`` (what the page shows), ``rowname``, ``groupname`` and ``spanners``
        (spanner label -> columns) as :class:`helpers.present.tables.ResultTable`.

    Returns
    -------
    TableLayout
        As the page's great_tables table shows it: the row-label column (``rowname``)
        first, its header blank; the columns of each spanner gathered after the first of
        them; the row-group column (``groupname``) left out, each group's label on a row
        of its own before the group's rows, groups in order of first appearance.

    Raises
    ------
    ValueError
        When ``rowname``, ``groupname`` or a spanner names a column ``display`` lacks.

    Examples
    --------
    >>> t = type("T", (), {})()
    >>> t.display = pd.DataFrame({"Soc": ["Skin", "Skin", "Eye"], "Term": ["Rash", "Itch", "Dry eye"],
    ...                           "A": ["1", "2", "0"], "B": ["3", "0", "1"]})
    >>> t.rowname, t.groupname, t.spanners = "Term", "Soc", {"Arm": ["A", "B"]}
    >>> lay = table_layout(t)
    >>> lay.columns
    ('Term', 'A', 'B')
    >>> [[(c.text, c.span) for c in r] for r in lay.header]
    [[('', 1), ('Arm', 2)], [('', 1), ('A', 1), ('B', 1)]]
    >>> [(r.cells, r.group) for r in lay.rows]  # doctest: +NORMALIZE_WHITESPACE
    [(('Skin',), True), (('Rash', '1', '3'), False), (('Itch', '2', '0'), False),
     (('Eye',), True), (('Dry eye', '0', '1'), False)]
    """
    display: pd.DataFrame = table.display
    names = list(display.columns)
    rowname = getattr(table, "rowname", None)
    groupname = getattr(table, "groupname", None)
    spanners: Mapping[str, Sequence[str]] = getattr(table, "spanners", None) or {}
    for what, column in (("rowname", rowname), ("groupname", groupname)):
        if column is not None and column not in names:
            raise ValueError(f"table {table.name!r}: {what} {column!r} is not a column of its display ({names})")
    for label, cols in spanners.items():
        missing = [c for c in cols if c not in names]
        if missing:
            raise ValueError(f"table {table.name!r}: spanner {label!r} names columns its display lacks: {missing}")

    columns = [c for c in names if c != groupname]
    if rowname is not None:
        columns = [rowname] + [c for c in columns if c != rowname]
    spanner_of: dict[str, str] = {}
    for label, cols in spanners.items():  # gathered after the first of its columns, as great_tables does
        cols = [c for c in columns if c in set(cols)]
        if not cols:
            continue
        at = columns.index(cols[0])  # no column before it is one of them
        rest = [c for c in columns if c not in cols]
        columns = rest[:at] + cols + rest[at:]
        spanner_of.update({c: label for c in cols})

    labels = tuple(HeaderCell("" if c == rowname else format_cell(c)) for c in columns)
    header: tuple[tuple[HeaderCell, ...], ...] = (labels,)
    if spanner_of:
        top: list[HeaderCell] = []
        for c in columns:
            label = spanner_of.get(c, "")
            if top and label and top[-1].text == label:
                top[-1] = HeaderCell(label, top[-1].span + 1)
            else:
                top.append(HeaderCell(label))
        header = (tuple(top), labels)

    positions = [names.index(c) for c in columns]
    values = display.to_numpy(dtype=object)
    body: list[Row] = []
    if groupname is None:
        body = [Row(tuple(format_cell(r[i]) for i in positions)) for r in values]
    else:
        g = names.index(groupname)
        groups = list(dict.fromkeys(format_cell(r[g]) for r in values))
        for group in groups:
            body.append(Row((group,), group=True))
            body += [Row(tuple(format_cell(r[i]) for i in positions)) for r in values if format_cell(r[g]) == group]
    return TableLayout(tuple(columns), header, tuple(body))


def simulated_note(source: str) -> str:
    """The note a table file of a simulated cohort carries (the page has its banner).

    Examples
    --------
    >>> simulated_note("NCT02084238")  # doctest: +NORMALIZE_WHITESPACE
    "Simulated data: a cohort generated by helpers.simulate and calibrated to the published
    results of NCT02084238, not the trial's patient records."
    """
    return (f"Simulated data: a cohort generated by helpers.simulate and calibrated to the published results of "
            f"{source}, not the trial's patient records.")


# ---------------------------------------------------------------------------------------
# Word


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _fixed_zip(data: bytes) -> bytes:
    """A zip file with the same entries, in the same order, each dated 1980-01-01 and
    compressed the same way: python-docx stamps every entry with the time of saving."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 0
            fixed.external_attr = 0
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _docx_bytes(document) -> bytes:
    """The bytes of a python-docx document, without dates."""
    from docx.oxml.ns import qn

    props = document.core_properties
    props.author = ""
    props.comments = ""
    props.last_modified_by = ""
    props.revision = 1
    element = props._element  # python-docx has no API to drop a date: remove the elements
    for tag in ("dcterms:created", "dcterms:modified", "cp:lastPrinted"):
        for child in element.findall(qn(tag)):
            element.remove(child)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _set_landscape(section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT

    width, height = section.page_width, section.page_height
    if landscape != (width > height):
        section.page_width, section.page_height = height, width
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT


def _docx_cell(cell, text: str, bold: bool = False, italic: bool = False, size: float = 9) -> None:
    from docx.shared import Pt

    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(_xml_text(text))
    run.bold, run.italic = bold or None, italic or None
    run.font.size = Pt(size)


def _add_docx_table(document, export: ExportTable) -> None:
    """Append one table (heading, table, notes) to a python-docx document."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    layout = table_layout(export.table)
    document.add_heading(_xml_text(export.heading), level=2)
    grid = document.add_table(rows=len(layout.header) + len(layout.rows), cols=max(layout.ncol, 1))
    grid.style = "Table Grid"
    for i, header in enumerate(layout.header):
        row = grid.rows[i]
        properties = row._tr.get_or_add_trPr()  # repeated at the top of each page
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        properties.append(repeat)
        at = 0
        for cell in header:
            target = row.cells[at]
            if cell.span > 1:
                target = target.merge(row.cells[at + cell.span - 1])
            _docx_cell(target, cell.text, bold=True)
            at += cell.span
    for i, body in enumerate(layout.rows, start=len(layout.header)):
        row = grid.rows[i]
        if body.group:
            target = row.cells[0].merge(row.cells[layout.ncol - 1]) if layout.ncol > 1 else row.cells[0]
            _docx_cell(target, body.cells[0], bold=True)
            continue
        for j, text in enumerate(body.cells):
            _docx_cell(row.cells[j], text)
    for note in export.all_notes:
        paragraph = document.add_paragraph()
        run = paragraph.add_run(_xml_text(note))
        run.font.size = Pt(8)


def docx_document(tables: Sequence[ExportTable]) -> bytes:
    """A Word document holding ``tables``, one after another, each on its own page.

    Parameters
    ----------
    tables : sequence of ExportTable
        In order. Each gets its heading (``"Table 3.2. Title"``, a level-2 heading, so a
        bundle has a navigation pane), a table with its header rows (repeated on every
        page) and body as :func:`table_layout` lays them out, then its notes.

    Returns
    -------
    bytes
        The ``.docx`` file. Portrait, or landscape for a table of more than
        :data:`LANDSCAPE_COLUMNS` columns (per table, in a section of its own). The
        same tables give the same bytes: no dates in the core properties, zip entries
        dated 1980-01-01.
    """
    import docx
    from docx.enum.section import WD_SECTION

    if not tables:
        raise ValueError("docx_document: no tables")
    document = docx.Document()
    for i, export in enumerate(tables):
        landscape = table_layout(export.table).ncol > LANDSCAPE_COLUMNS
        section = document.sections[-1] if i == 0 else document.add_section(WD_SECTION.NEW_PAGE)
        _set_landscape(section, landscape)
        _add_docx_table(document, export)
    document.core_properties.title = _xml_text(tables[0].heading if len(tables) == 1 else "")
    return _docx_bytes(document)


# ---------------------------------------------------------------------------------------
# RTF


def _rtf_text(text: str) -> str:
    r"""Text as RTF source: rtflite encodes non-ASCII characters but passes ``\``, ``{``
    and ``}`` through, which would end a group early; they are escaped here."""
    text = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    return text.replace("\r\n", "\n").replace("\n", "\\line ")


def _widths(layout: TableLayout) -> list[float]:
    """Relative column widths from the longest text in each column (4 to 40 characters)."""
    longest = [len(c.text) for c in layout.header[-1]]
    for row in layout.rows:
        if not row.group:
            longest = [max(n, len(t)) for n, t in zip(longest, row.cells, strict=True)]
    return [float(min(max(n, 4), 40)) for n in longest]


def rtf_document(export: ExportTable) -> str:
    """An RTF document holding one table, in the style of submission tables (rtflite).

    Parameters
    ----------
    export : ExportTable
        The heading becomes the title; the header rows (a spanner row above the column
        labels) the column header, repeated on every page; the body rows the table,
        a row group's heading as a row whose first cell holds it in bold; the notes
        the footnote.

    Returns
    -------
    str
        The ``.rtf`` file's text (ASCII: other characters as ``\\uN`` escapes).
        Portrait, or landscape above :data:`LANDSCAPE_COLUMNS` columns. rtflite writes
        no date: the same table gives the same text.
    """
    import polars as pl
    import rtflite as rtf

    layout = table_layout(export.table)
    ncol = max(layout.ncol, 1)
    widths = _widths(layout) if layout.ncol else [1.0]
    rows = [r.cells + ("",) * (ncol - len(r.cells)) if r.group else r.cells for r in layout.rows]
    if not rows:  # rtflite needs a body: an empty table shows one blank row
        rows = [("",) * ncol]
    frame = pl.DataFrame({f"c{j}": [_rtf_text(r[j]) for r in rows] for j in range(ncol)},
                         schema={f"c{j}": pl.String for j in range(ncol)})
    bold = [["b" if (layout.rows and layout.rows[i].group and j == 0) else "" for j in range(ncol)]
            for i in range(len(rows))]
    justify = [["l"] + ["c"] * (ncol - 1) for _ in rows]
    headers = []
    for header in layout.header:
        spans, at = [], 0
        for cell in header:
            spans.append(sum(widths[at:at + cell.span]))
            at += cell.span
        headers.append(rtf.RTFColumnHeader(
            text=[_rtf_text(c.text) for c in header], col_rel_width=spans, text_convert=False,
            text_justification=["l" if i == 0 and c.span == 1 else "c" for i, c in enumerate(header)],
        ))
    notes = export.all_notes
    document = rtf.RTFDocument(
        df=frame,
        rtf_page=rtf.RTFPage(orientation="landscape" if ncol > LANDSCAPE_COLUMNS else "portrait"),
        rtf_title=rtf.RTFTitle(text=[_rtf_text(export.heading)], text_convert=False),
        rtf_column_header=headers or None,
        rtf_body=rtf.RTFBody(col_rel_width=widths, text_format=bold, text_justification=justify, text_convert=False),
        rtf_footnote=rtf.RTFFootnote(text=[_rtf_text(n) for n in notes], text_convert=False) if notes else None,
    )
    return document.rtf_encode()


# ---------------------------------------------------------------------------------------
# writing tables


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write_table_docx(export: ExportTable, folder: Path) -> Path:
    """Write a table as ``<folder>/<name>.docx`` (:func:`docx_document`), atomically;
    return the path."""
    return write_atomic(Path(folder) / f"{export.name}.docx", docx_document([export]))


def write_table_rtf(export: ExportTable, folder: Path) -> Path:
    """Write a table as ``<folder>/<name>.rtf`` (:func:`rtf_document`), atomically;
    return the path."""
    return write_atomic(Path(folder) / f"{export.name}.rtf", rtf_document(export).encode("ascii"))


def write_manifest(folder: Path, filename: str, entries: Sequence[Mapping[str, object]]) -> Path:
    """Write what a chapter exported as ``<folder>/<filename>`` (JSON), atomically.

    Parameters
    ----------
    folder : Path
        The chapter's downloads folder.
    filename : str
        ``tables.json`` or ``figures.json``.
    entries : sequence of mapping
        One per table (``name``, ``number``, ``label``, ``title``, ``listing`` and
        ``files``: format -> file name in ``folder``, e.g. ``{"csv": "x.csv", "docx":
        "x.docx", "rtf": "x.rtf"}``; a listing has its CSV only) or figure (``name``,
        ``width_mm``, ``height_mm``, ``files``), in the order of the page.

    Returns
    -------
    Path
        The file: ``{"entries": [...]}``, keys sorted, the entries in order, so the same
        chapter gives the same bytes.
    """
    text = json.dumps({"entries": list(entries)}, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return write_atomic(Path(folder) / filename, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------
# bundles


def _paths_or_tables(items: Iterable[ExportTable | str | Path], kind: str) -> tuple[list[Path], list[ExportTable]]:
    items = list(items)
    if not items:
        raise ValueError(f"bundle_{kind}: no tables to bundle")
    paths = [Path(x) for x in items if isinstance(x, str | os.PathLike)]
    tables = [x for x in items if isinstance(x, ExportTable)]
    if len(paths) + len(tables) != len(items) or (paths and tables):
        kinds = sorted({type(x).__name__ for x in items})
        raise TypeError(f"bundle_{kind}: give either ExportTable records or paths to .{kind} files, not {kinds}")
    wrong = [str(p) for p in paths if p.suffix.lower() != f".{kind}"]
    if wrong:
        raise ValueError(f"bundle_{kind}: not .{kind} files: {wrong}")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"bundle_{kind}: no such files: {missing}")
    return paths, tables


def bundle_docx(paths_or_tables: Iterable[ExportTable | str | Path], out: str | Path) -> Path:
    """Write one Word document holding every table, in the order given.

    Parameters
    ----------
    paths_or_tables : iterable
        Either :class:`ExportTable` records (each rendered as :func:`docx_document`
        does) or paths to ``.docx`` files :func:`write_table_docx` wrote (their bodies
        are copied one after another: tables and text, no images), not both.
    out : path
        The bundle, written atomically.

    Returns
    -------
    Path
        ``out``. Each table starts a new page (a section, portrait or landscape as its
        own file). The same tables give the same bytes.

    Raises
    ------
    ValueError
        No tables, or a path that is not a ``.docx`` file.
    TypeError
        Records and paths mixed, or anything else given.
    FileNotFoundError
        A path that does not exist.
    """
    paths, tables = _paths_or_tables(paths_or_tables, "docx")
    if tables:
        return write_atomic(Path(out), docx_document(tables))
    import copy

    import docx
    from docx.oxml.ns import qn

    documents = [docx.Document(str(p)) for p in paths]
    bundle = documents[0]
    body = bundle.element.body
    for document in documents[1:]:
        # The last section's properties (page size, orientation) sit at the end of the body;
        # a section break carrying the previous file's becomes a paragraph before the next.
        last = body.find(qn("w:sectPr"))
        breaker = bundle.add_paragraph()._p
        breaker.get_or_add_pPr().append(copy.deepcopy(last))
        body.remove(last)
        for child in document.element.body.iterchildren():
            body.append(copy.deepcopy(child))
    bundle.core_properties.title = ""
    return write_atomic(Path(out), _docx_bytes(bundle))


def bundle_rtf(paths_or_tables: Iterable[ExportTable | str | Path], out: str | Path) -> Path:
    """Write one RTF file holding every table, in the order given, each from a new page.

    Parameters
    ----------
    paths_or_tables : iterable
        Either :class:`ExportTable` records (each rendered as :func:`rtf_document`) or
        paths to ``.rtf`` files :func:`write_table_rtf` wrote, not both. They are joined
        by rtflite's ``assemble_rtf`` (the first file's header, then each file's body
        after a page break).
    out : path
        The bundle, written atomically.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError
        As :func:`bundle_docx`.
    """
    from rtflite import assemble_rtf

    paths, tables = _paths_or_tables(paths_or_tables, "rtf")
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix=".bundle-", dir=out.parent if out.parent.exists() else None) as tmp:
        if tables:
            paths = [Path(tmp) / f"{i:04d}.rtf" for i in range(len(tables))]
            for path, export in zip(paths, tables, strict=True):
                path.write_bytes(rtf_document(export).encode("ascii"))
        joined = Path(tmp) / "bundle.rtf"
        assemble_rtf([str(p) for p in paths], str(joined))
        return write_atomic(out, joined.read_bytes())


# ---------------------------------------------------------------------------------------
# figures


def column_size(size_inches: tuple[float, float], width_mm: float, dpi: int = FIGURE_DPI) -> tuple[float, float]:
    """A figure's size in inches at a column width, keeping its aspect, on whole pixels.

    Parameters
    ----------
    size_inches : (float, float)
        The figure's width and height as drawn.
    width_mm : float
        The column width in millimetres.
    dpi : int
        The resolution of the PNG: the width and height are whole numbers of its pixels,
        ``round(width_mm / 25.4 * dpi)`` wide.

    Returns
    -------
    (float, float)
        Width and height in inches.

    Examples
    --------
    >>> w, h = column_size((7.0, 4.0), 85)
    >>> round(w * 300), round(h * 300), round(w * 25.4, 2)
    (1004, 574, 85.01)
    """
    if not width_mm > 0:
        raise ValueError(f"width_mm must be positive, got {width_mm}")
    w, h = size_inches
    px = round(width_mm / MM_PER_INCH * dpi)
    py = max(round(px * h / w), 1)
    # matplotlib sizes the PNG as int(inches * dpi): a hair over the whole pixel keeps it
    return (px + 1e-6) / dpi, (py + 1e-6) / dpi


def _is_diagram(fig) -> bool:
    """Whether every axes of the figure hides its axis: a diagram drawn in data
    coordinates (boxes with text inside), which is scaled as a whole."""
    shown = [ax for ax in fig.axes if ax.get_visible()]
    return bool(shown) and not any(ax.axison for ax in shown)


def _scale_artists(fig, factor: float) -> list:
    """Scale every text size, line width, marker and arrow of a figure by ``factor``;
    returns the ``(setter, value)`` pairs that put each back as it was."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, Patch
    from matplotlib.text import Text

    undo: list = []

    def scale(getter, setter) -> None:
        value = getter()
        undo.append((setter, value))
        setter(value * factor)

    artists = {id(a): a for a in fig.findobj()}  # each once, even when reached twice
    for artist in artists.values():
        if isinstance(artist, Text):
            scale(artist.get_fontsize, artist.set_fontsize)
            patch = getattr(artist, "arrow_patch", None)
            if patch is not None:
                scale(patch.get_linewidth, patch.set_linewidth)
                scale(patch.get_mutation_scale, patch.set_mutation_scale)
        elif isinstance(artist, Line2D):
            scale(artist.get_linewidth, artist.set_linewidth)
            scale(artist.get_markersize, artist.set_markersize)
            scale(artist.get_markeredgewidth, artist.set_markeredgewidth)
        elif isinstance(artist, FancyArrowPatch):
            scale(artist.get_linewidth, artist.set_linewidth)
            scale(artist.get_mutation_scale, artist.set_mutation_scale)
        elif isinstance(artist, Patch) and artist is not fig.patch:
            scale(artist.get_linewidth, artist.set_linewidth)
        elif isinstance(artist, Collection):
            widths = list(artist.get_linewidths())
            undo.append((artist.set_linewidths, widths))
            artist.set_linewidths([w * factor for w in widths])
    return undo


def _relayout(fig) -> None:
    """Lay a resized chart out again (``tight_layout``), leaving the room a figure
    legend takes at the top or bottom, unless the figure has a layout engine of its own
    (which runs when it is drawn)."""
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
        return
    bottom, top = 0.0, 1.0
    inverse = fig.transFigure.inverted()
    for legend in fig.legends:
        box = legend.get_window_extent().transformed(inverse)
        if box.y1 <= 0.5:
            bottom = max(bottom, min(box.y1, 0.4))
        elif box.y0 >= 0.5:
            top = min(top, max(box.y0, 0.6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a layout that cannot fit keeps the last one
        fig.tight_layout(rect=(0, bottom, 1, top))


def fit_to_width(fig, width_mm: float, dpi: int = FIGURE_DPI):
    """A copy of a figure at a column width (the figure itself is left as it is).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    width_mm : float
        The column width in millimetres; the height keeps the figure's aspect
        (:func:`column_size`).
    dpi : int
        The PNG resolution the size is rounded to whole pixels of.

    Returns
    -------
    matplotlib.figure.Figure
        The copy (a figure that cannot be copied is resized in place), ``width_mm`` wide.
        A chart's text, lines and markers are scaled by the ratio of the widths, but by
        no less than :data:`MIN_TEXT_SCALE` and never up (a chart drawn 7 inches wide
        has 7 pt text at 85 mm, not 4.8 pt), and the chart is laid out again for its
        new size (``tight_layout``, leaving a figure legend its room). A diagram (every
        axis hidden: boxes and text placed in data coordinates, such as the
        participant flow) is scaled as a whole, so its text stays inside its boxes.
    """
    try:
        copy = pickle.loads(pickle.dumps(fig))
    except Exception:  # noqa: BLE001 - an artist that cannot be pickled: resize the original
        copy = fig
    _resize(copy, width_mm, dpi)
    return copy


def _resize(fig, width_mm: float, dpi: int) -> list:
    """Resize a figure to a column width in place, as :func:`fit_to_width` describes;
    returns the ``(setter, value)`` pairs that put it back as it was."""
    w, h = fig.get_size_inches()
    width, height = column_size((float(w), float(h)), width_mm, dpi)
    factor = width / w
    undo: list = [(lambda size: fig.set_size_inches(*size), (float(w), float(h)))]
    if _is_diagram(fig):
        undo += _scale_artists(fig, factor)
        fig.set_size_inches(width, height)
        return undo
    text = min(1.0, max(factor, MIN_TEXT_SCALE))
    if text != 1.0:
        undo += _scale_artists(fig, text)
    # tight_layout moves the subplots (the figure's subplot parameters, each axes' box)
    pars = fig.subplotpars
    saved = {k: getattr(pars, k) for k in ("left", "right", "bottom", "top", "wspace", "hspace")}
    undo.append((lambda kw: fig.subplots_adjust(**kw), saved))
    for ax in fig.axes:
        undo.append((lambda boxes, ax=ax: (ax._set_position(boxes[0], "original"), ax._set_position(boxes[1], "active")),
                     (ax.get_position(original=True).frozen(), ax.get_position(original=False).frozen())))
    fig.set_size_inches(width, height)
    _relayout(fig)
    return undo


@contextlib.contextmanager
def fitted_to_width(fig, width_mm: float, dpi: int = FIGURE_DPI):
    """The figure itself at a column width while the context lasts, then put back.

    What :func:`fit_to_width` does on a copy, done on the figure (no pickle round trip,
    which costs about as much as writing one of the files) and undone on leaving: its
    size, every text size, line width and marker scaled, and the subplots' positions
    are restored to the values they had (the values, not a rescaling), so the figure
    draws as it did before.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(7, 4))
    >>> with fitted_to_width(fig, 85) as sized:
    ...     round(sized.get_size_inches()[0] * 25.4)
    85
    >>> fig.get_size_inches().tolist()
    [7.0, 4.0]
    >>> plt.close(fig)
    """
    undo = _resize(fig, width_mm, dpi)
    try:
        yield fig
    finally:
        for setter, value in reversed(undo):
            setter(value)


#: Font tables the embedded subsets of a PDF leave out: OpenType layout (substitution,
#: positioning, kerning). A PDF places every glyph itself (matplotlib writes the kerning
#: into the text operators), so a viewer never reads them; subsetting them is most of the
#: cost of a PDF (fontTools decompiles DejaVu Sans's GSUB and GPOS for each file).
LAYOUT_TABLES: tuple[str, ...] = ("GSUB", "GPOS", "GDEF", "kern")


@contextlib.contextmanager
def lean_font_subsets():
    """While active, the TrueType subsets matplotlib embeds in a PDF (``pdf.fonttype``
    42) leave out the OpenType layout tables (:data:`LAYOUT_TABLES`).

    The outlines (``glyf``), metrics (``hmtx``), character map and names stay, so the
    PDF shows and extracts the same text; the file is smaller, the subset made in about a
    quarter of the time (0.08 s against 0.3 s for DejaVu Sans) and a figure's PDF about a
    third faster. matplotlib subsets with fontTools' ``subset.Options`` and offers
    no option for this: the options it makes are amended (and restored on leaving).
    """
    from fontTools import subset

    original = subset.Options.__init__

    def lean(self, **kwargs):
        original(self, **kwargs)
        self.drop_tables = [*self.drop_tables, *LAYOUT_TABLES]
        self.layout_features = []

    subset.Options.__init__ = lean
    try:
        yield
    finally:
        subset.Options.__init__ = original


#: Where :func:`write_figure_files` keeps the files it wrote, by the digest of what they
#: show (:func:`use_figure_cache`); None: no cache, every file drawn.
_FIGURE_CACHE: Path | None = None


def use_figure_cache(folder: str | Path | None) -> None:
    """Keep every figure file written from now on in ``folder``, under the digest of the
    figure's content and the export's settings (:func:`figure_digest`), and copy it from
    there when the same figure is exported again; None turns the cache off.

    The build gives each kernel a folder in its work folder (``figures/`` beside the
    validated tables): a rebuild whose chapter draws the same figures again (another
    parameter of a test, a prose change) writes none of them, while a cold build, whose
    work folder is new, draws every one.
    """
    global _FIGURE_CACHE
    _FIGURE_CACHE = Path(folder) if folder is not None else None


class _ContentPickler(pickle.Pickler):
    """A pickler whose bytes depend only on what a figure shows: sets in sorted order
    (not in the order of the process's string hashing), callback registries left out
    (matplotlib pickles each with its id counter, which advances on every pickling) and
    each transform's parents listed without their memory addresses (its keys), and
    without pyplot's figure number."""

    def reducer_override(self, obj):
        import copyreg

        from matplotlib import cbook
        from matplotlib.figure import Figure
        from matplotlib.transforms import TransformNode

        if isinstance(obj, cbook.CallbackRegistry):
            return (cbook.CallbackRegistry, ())
        if isinstance(obj, TransformNode):  # its parents are keyed by id(): kept in order, without the ids
            state = obj.__getstate__()
            return (copyreg.__newobj__, (type(obj),), {**state, "_parents": list(state.get("_parents", {}).values())})
        if isinstance(obj, Figure):  # pyplot's number for the figure: how many were opened before it
            state = {k: v for k, v in obj.__getstate__().items() if k != "_number"}
            return (copyreg.__newobj__, (type(obj),), state)
        if isinstance(obj, set | frozenset):
            try:
                items = sorted(obj)
            except TypeError:
                items = sorted(obj, key=lambda o: (type(o).__qualname__, repr(o)))
            return (type(obj), (items,))
        return NotImplemented


def figure_digest(fig, name: str, width_mm: float, dpi: int = FIGURE_DPI,
                  formats: Sequence[str] = ("svg", "png", "pdf")) -> str | None:
    """The SHA-256 of everything a figure file depends on: the figure's content (its
    pickle, made deterministic), the file stem (the SVG's id salt), width, resolution and
    formats, matplotlib's settings, the versions of matplotlib and fontTools, and this
    module's source (how the files are written).

    Returns
    -------
    str or None
        The hex digest; None for a figure that cannot be pickled (never cached).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> figure_digest(fig, "f", 85) == figure_digest(fig, "f", 85) != figure_digest(fig, "f", 170)
    True
    >>> plt.close(fig)
    """
    import hashlib

    import fontTools
    import matplotlib

    digest = hashlib.sha256()

    class _Sink:
        write = digest.update

    try:
        _ContentPickler(_Sink(), protocol=5).dump(fig)
    except Exception:  # noqa: BLE001 - an artist that cannot be pickled: no digest, no cache
        return None
    settings = {"name": name, "width_mm": float(width_mm), "dpi": int(dpi), "formats": list(formats),
                "matplotlib": matplotlib.__version__, "fonttools": fontTools.version,
                "rc": sorted((k, repr(v)) for k, v in matplotlib.rcParams.items()), "code": _source_digest()}
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


@functools.cache
def _source_digest() -> str:
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def write_figure_files(fig, folder: Path, name: str, width_mm: float,
                       formats: Sequence[str] = ("svg", "png", "pdf"), dpi: int = FIGURE_DPI) -> dict[str, Path]:
    """Write a figure at a column width as ``<folder>/<name>.svg``, ``.png`` and ``.pdf``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Drawn at the column width and put back as it was (:func:`fitted_to_width`).
    folder : Path
        Where the files go (created when missing).
    name : str
        The file stem: the figure's glue name.
    width_mm : float
        The column width (``figure_width_mm`` of ``cohort.yml``).
    formats : sequence of str
        Any of ``svg``, ``png``, ``pdf``.
    dpi : int
        The PNG's resolution, recorded in the file.

    Returns
    -------
    dict
        Format -> path, in the order of ``formats``. SVG with text as paths (no font
        needed to show it), PNG at ``dpi`` (``round(width_mm / 25.4 * dpi)`` pixels
        wide), PDF with TrueType font subsets embedded (``pdf.fonttype`` 42, without
        the layout tables a PDF never reads: :func:`lean_font_subsets`). No dates,
        no random ids (the SVG's ids are salted with ``name``): the same figure gives the
        same bytes. With a figure cache (:func:`use_figure_cache`), a figure exported
        before with the same content and settings is copied from it, not drawn.

    Raises
    ------
    ValueError
        An unknown format.
    """
    import matplotlib

    unknown = [f for f in formats if f not in ("svg", "png", "pdf")]
    if unknown:
        raise ValueError(f"write_figure_files: unknown formats {unknown}; use svg, png or pdf")
    folder = Path(folder)
    cached = None
    if _FIGURE_CACHE is not None:
        key = figure_digest(fig, name, width_mm, dpi, formats)
        cached = _FIGURE_CACHE / key[:2] / key if key else None
        if cached is not None and all((cached / f"{name}.{kind}").is_file() for kind in formats):
            return {kind: write_atomic(folder / f"{name}.{kind}", (cached / f"{name}.{kind}").read_bytes())
                    for kind in formats}
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}, "png": {"Software": None}}
    rc = {"svg.fonttype": "path", "svg.hashsalt": name, "pdf.fonttype": 42}
    paths: dict[str, Path] = {}
    with fitted_to_width(fig, width_mm, dpi) as sized, matplotlib.rc_context(rc):
        for kind in formats:
            buffer = io.BytesIO()
            with lean_font_subsets() if kind == "pdf" else contextlib.nullcontext():
                sized.savefig(buffer, format=kind, dpi=dpi, metadata=metadata[kind])
            paths[kind] = write_atomic(folder / f"{name}.{kind}", buffer.getvalue())
            if cached is not None:
                write_atomic(cached / f"{name}.{kind}", buffer.getvalue())
    return paths


# ---------------------------------------------------------------------------------------
# links on the page


def _links(label: str, url: str, files: Mapping[str, str]) -> str:
    parts = []
    for kind, filename in files.items():
        href = html.escape(f"{url}{filename}")
        name = FORMAT_NAMES.get(kind, kind.upper())
        parts.append(f'<a href="{href}" download aria-label="{html.escape(f"Download {label} as {name}")}">'
                     f"{html.escape(name)}</a>")
    return ", ".join(parts)


def format_table_downloads(label: str, url: str, files: Mapping[str, str], rows: int) -> str:
    """The download line under a table: ``Download Table 3.2 as CSV, Word (DOCX), RTF
    (12 rows)``, each format a link.

    Parameters
    ----------
    label : str
        ``"Table 3.2"``.
    url : str
        The downloads folder's URL, ending with ``/``.
    files : mapping
        Format (``csv``, ``docx``, ``rtf``) -> file name, in the order shown.
    rows : int
        Rows of the CSV.

    Returns
    -------
    str
        A ``<p class="table-download">``; URLs and text escaped, each link labelled for
        a screen reader with the table's number (``Download Table 3.2 as RTF``).

    Examples
    --------
    >>> format_table_downloads("Table 1.1", "dl/", {"csv": "a&b.csv"}, 1200)  # doctest: +NORMALIZE_WHITESPACE
    '<p class="table-download">Download Table 1.1 as <a href="dl/a&amp;b.csv" download
    aria-label="Download Table 1.1 as CSV">CSV</a> (1,200 rows)</p>'
    """
    return (f'<p class="table-download">Download {html.escape(label)} as {_links(label, url, files)}'
            f" ({rows:,} rows)</p>")


def format_figure_downloads(url: str, files: Mapping[str, str]) -> str:
    """The download line of a figure: ``Download Figure: SVG, PNG (300 dpi), PDF``.

    Parameters
    ----------
    url : str
        The downloads folder's URL, ending with ``/``.
    files : mapping
        Format (``svg``, ``png``, ``pdf``) -> file name, in the order shown.

    Returns
    -------
    str
        A ``<span class="figure-download">`` (it may sit inside a caption's paragraph);
        URLs and text escaped.

    Examples
    --------
    >>> format_figure_downloads("dl/", {"svg": "f.svg", "png": "f.png"})  # doctest: +NORMALIZE_WHITESPACE
    '<span class="figure-download">Download Figure: <a href="dl/f.svg" download
    aria-label="Download the figure as SVG">SVG</a>, <a href="dl/f.png" download
    aria-label="Download the figure as PNG (300 dpi)">PNG (300 dpi)</a></span>'
    """
    return f'<span class="figure-download">Download Figure: {_links("the figure", url, files)}</span>'
