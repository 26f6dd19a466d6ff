"""Tables and figures as files (helpers.present.export) and the chapter's downloads.

Tables are read back with python-docx (DOCX) and as text (RTF); figures are checked for
their size, resolution, embedded fonts and the absence of dates; every export is written
twice and compared byte for byte. The chapter tests use the tiny two-arm cohort of
``conftest.py``.
"""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from pathlib import Path

import docx
import matplotlib
import pandas as pd
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.chapter import Chapter  # noqa: E402
from helpers.data.config import ConfigError, read_cohort_config  # noqa: E402
from helpers.present.export import (  # noqa: E402
    ExportTable,
    bundle_docx,
    bundle_rtf,
    column_size,
    docx_document,
    fit_to_width,
    format_figure_downloads,
    format_table_downloads,
    rtf_document,
    table_layout,
    write_figure_files,
    write_manifest,
    write_table_docx,
    write_table_rtf,
)
from helpers.present.tables import ResultTable  # noqa: E402

# ---------------------------------------------------------------------------------------
# helpers


def ae_table(name: str = "ae-soc") -> ResultTable:
    """Row groups, a row-label column, a spanner, text RTF must escape, a missing cell."""
    display = pd.DataFrame({
        "System organ class": ["Skin", "Skin", "Eye"],
        "Preferred term": ["Rash {macular}", "Itch \\ scratch", "Dry eye"],
        "IL-2": ["1 (25.0%)", "2 (50.0%)", "0"],
        "Placebo": ["3 (75.0%)", "0", None],
    })
    return ResultTable(name, "Adverse events ≥ grade 1 by system organ class", display,
                       notes=["Percentages of the safety population.", "MedDRA 26.0 terms."],
                       rowname="Preferred term", groupname="System organ class",
                       spanners={"Arm": ["IL-2", "Placebo"]})


def small_table(name: str = "small") -> ResultTable:
    display = pd.DataFrame({"Row": ["Any", "Grade 3"], "IL-2": ["2 (100.0%)", "1 (50.0%)"]})
    data = pd.DataFrame({"row": ["Any", "Grade 3"], "n_subjects": [2, 1]})
    return ResultTable(name, "A demo table", display, data, notes=["A note."])


def rtf_text(rtf: str) -> str:
    """The text of an RTF document's runs: ``\\uN*`` decoded, ``\\{ \\} \\\\`` unescaped."""
    text = rtf.replace("\\uc1", "")
    text = re.sub(r"\\u(-?\d+)\*", lambda m: chr(int(m.group(1)) % 65536), text)
    return text.replace("\\{", "{").replace("\\}", "}").replace("\\\\", "\\")


def balanced(rtf: str) -> bool:
    """Whether every RTF group opened is closed (escaped braces and backslashes aside)."""
    depth = 0
    for token in re.findall(r"\\\\|\\\{|\\\}|\{|\}", rtf):
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            return False
    return depth == 0


def docx_rows(path: Path, index: int = 0) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in docx.Document(str(path)).tables[index].rows]


def chart(width: float = 7.0, height: float = 4.0):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.plot([0, 2, 4], [3, 1, 2], marker="o", label="IL-2")
    ax.set_xlabel("Week")
    ax.set_ylabel("SLEDAI-2K")
    ax.legend()
    fig.tight_layout()
    return fig


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def shown(monkeypatch) -> list[str]:
    """The HTML a chapter displays, instead of a notebook's output."""
    import IPython.display

    out: list[str] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **_: out.append(obj.data))
    return out


@pytest.fixture
def glued(monkeypatch) -> dict[str, object]:
    """What a chapter glues, instead of a notebook's output."""
    import myst_nb

    out: dict[str, object] = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: out.__setitem__(name, value))
    return out


# ---------------------------------------------------------------------------------------
# the layout


def test_table_layout_groups_spanners_and_row_labels():
    layout = table_layout(ae_table())
    assert layout.columns == ("Preferred term", "IL-2", "Placebo")
    assert [[(c.text, c.span) for c in row] for row in layout.header] == [
        [("", 1), ("Arm", 2)], [("", 1), ("IL-2", 1), ("Placebo", 1)],
    ]
    assert [(r.cells, r.group) for r in layout.rows] == [
        (("Skin",), True), (("Rash {macular}", "1 (25.0%)", "3 (75.0%)"), False),
        (("Itch \\ scratch", "2 (50.0%)", "0"), False), (("Eye",), True), (("Dry eye", "0", ""), False),
    ]


def test_table_layout_plain_table_has_one_header_row():
    layout = table_layout(small_table())
    assert layout.columns == ("Row", "IL-2")
    assert [c.text for c in layout.header[0]] == ["Row", "IL-2"] and len(layout.header) == 1
    assert [r.cells for r in layout.rows] == [("Any", "2 (100.0%)"), ("Grade 3", "1 (50.0%)")]


def test_table_layout_gathers_a_spanners_columns():
    display = pd.DataFrame({"Row": ["a"], "A n": ["1"], "Total": ["3"], "A %": ["50"]})
    t = ResultTable("t", "T", display, spanners={"A": ["A n", "A %"]})
    layout = table_layout(t)
    assert layout.columns == ("Row", "A n", "A %", "Total")
    assert [(c.text, c.span) for c in layout.header[0]] == [("", 1), ("A", 2), ("", 1)]


@pytest.mark.parametrize("change, message", [
    ({"rowname": "Term"}, r"table 'small': rowname 'Term' is not a column of its display"),
    ({"groupname": "Soc"}, r"table 'small': groupname 'Soc' is not a column of its display"),
    ({"spanners": {"Arm": ["IL-2", "Placebo"]}}, r"table 'small': spanner 'Arm' names columns its display lacks: \['Placebo'\]"),
])
def test_table_layout_refuses_unknown_columns(change, message):
    t = small_table()
    for key, value in change.items():
        setattr(t, key, value)
    with pytest.raises(ValueError, match=message):
        table_layout(t)


# ---------------------------------------------------------------------------------------
# Word


def test_write_table_docx_reads_back_with_title_cells_and_notes(tmp_path):
    path = write_table_docx(ExportTable("Table 6.1", ae_table(), ("Simulated data.",)), tmp_path)
    assert path == tmp_path / "ae-soc.docx"
    document = docx.Document(str(path))
    assert [p.text for p in document.paragraphs] == [
        "Table 6.1. Adverse events ≥ grade 1 by system organ class",
        "Percentages of the safety population.", "MedDRA 26.0 terms.", "Simulated data.",
    ]
    # python-docx repeats a merged cell's text in each column it spans
    assert docx_rows(path) == [
        ["", "Arm", "Arm"],
        ["", "IL-2", "Placebo"],
        ["Skin", "Skin", "Skin"],
        ["Rash {macular}", "1 (25.0%)", "3 (75.0%)"],
        ["Itch \\ scratch", "2 (50.0%)", "0"],
        ["Eye", "Eye", "Eye"],
        ["Dry eye", "0", ""],
    ]
    assert document.core_properties.title == "Table 6.1. Adverse events ≥ grade 1 by system organ class"


def test_write_table_docx_has_no_dates(tmp_path):
    path = write_table_docx(ExportTable("Table 1.1", small_table()), tmp_path)
    props = docx.Document(str(path)).core_properties
    assert props.created is None and props.modified is None
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_write_table_docx_is_byte_identical_at_another_time(tmp_path, monkeypatch):
    export = ExportTable("Table 6.1", ae_table())
    first = write_table_docx(export, tmp_path / "a").read_bytes()
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)  # zip entries would carry 2033
    assert write_table_docx(export, tmp_path / "b").read_bytes() == first


def test_docx_document_wide_table_is_landscape():
    display = pd.DataFrame({f"c{i}": ["x"] for i in range(8)})
    data = docx_document([ExportTable("Table 1.1", ResultTable("wide", "Wide", display))])
    import io

    section = docx.Document(io.BytesIO(data)).sections[0]
    assert section.page_width > section.page_height


def test_docx_document_needs_a_table():
    with pytest.raises(ValueError, match="docx_document: no tables"):
        docx_document([])


# ---------------------------------------------------------------------------------------
# RTF


def test_write_table_rtf_holds_title_every_cell_and_notes(tmp_path):
    path = write_table_rtf(ExportTable("Table 6.1", ae_table(), ("Simulated data.",)), tmp_path)
    assert path == tmp_path / "ae-soc.rtf"
    raw = path.read_text(encoding="ascii")
    assert raw.startswith("{\\rtf1") and balanced(raw)
    text = rtf_text(raw)
    assert "Table 6.1. Adverse events ≥ grade 1 by system organ class" in text
    for cell in ["Arm", "IL-2", "Placebo", "Skin", "Eye", "Rash {macular}", "Itch \\ scratch", "Dry eye",
                 "1 (25.0%)", "3 (75.0%)", "2 (50.0%)", "Percentages of the safety population.",
                 "MedDRA 26.0 terms.", "Simulated data."]:
        assert cell in text, cell
    assert "{\\f0\\b Skin}" in raw, "a row group's heading is bold"


def test_write_table_rtf_is_byte_identical(tmp_path):
    export = ExportTable("Table 6.1", ae_table())
    assert write_table_rtf(export, tmp_path / "a").read_bytes() == write_table_rtf(export, tmp_path / "b").read_bytes()


def test_rtf_document_empty_table_has_its_header():
    text = rtf_text(rtf_document(ExportTable("Table 2.1", small_table().__class__(
        "empty", "Nothing", pd.DataFrame({"Row": [], "IL-2": []})))))
    assert "Table 2.1. Nothing" in text and "IL-2" in text


# ---------------------------------------------------------------------------------------
# bundles


@pytest.fixture
def exports() -> list[ExportTable]:
    return [ExportTable("Table 1.1", small_table("first")), ExportTable("Table 6.1", ae_table()),
            ExportTable("Table 6.2", small_table("third"))]


def test_bundle_docx_from_records_holds_every_table_in_order(tmp_path, exports):
    path = bundle_docx(exports, tmp_path / "tables.docx")
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["Table 1.1. A demo table", "Table 6.1. Adverse events ≥ grade 1 by system organ class",
                        "Table 6.2. A demo table"]
    assert len(document.tables) == 3 and docx_rows(path, 1)[3] == ["Rash {macular}", "1 (25.0%)", "3 (75.0%)"]


def test_bundle_docx_from_files_equals_the_files_in_order(tmp_path, exports):
    paths = [write_table_docx(e, tmp_path) for e in exports]
    path = bundle_docx(paths, tmp_path / "bundle" / "tables.docx")
    document = docx.Document(str(path))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 2"][1].startswith("Table 6.1.")
    assert [docx_rows(path, i) for i in range(3)] == [docx_rows(p) for p in paths]
    assert len(document.sections) == 3, "each table starts a new page"
    again = bundle_docx(paths, tmp_path / "again.docx")
    assert again.read_bytes() == path.read_bytes()


def test_bundle_rtf_from_records_and_from_files_hold_every_table_in_order(tmp_path, exports):
    from_records = bundle_rtf(exports, tmp_path / "a.rtf").read_text(encoding="ascii")
    paths = [write_table_rtf(e, tmp_path) for e in exports]
    from_files = bundle_rtf(paths, tmp_path / "b.rtf").read_text(encoding="ascii")
    assert from_records == from_files and balanced(from_files)
    text = rtf_text(from_files)
    at = [text.index(t) for t in ("Table 1.1. A demo", "Table 6.1. Adverse", "Table 6.2. A demo")]
    assert at == sorted(at) and text.count("\\page") == 2
    assert from_files.count("{\\rtf1") == 1


def test_bundle_refuses_bad_input(tmp_path, exports):
    with pytest.raises(ValueError, match="bundle_docx: no tables to bundle"):
        bundle_docx([], tmp_path / "x.docx")
    with pytest.raises(TypeError, match="bundle_rtf: give either ExportTable records or paths"):
        bundle_rtf([exports[0], tmp_path / "a.rtf"], tmp_path / "x.rtf")
    with pytest.raises(ValueError, match=r"bundle_docx: not \.docx files: .*a\.rtf"):
        bundle_docx([tmp_path / "a.rtf"], tmp_path / "x.docx")
    with pytest.raises(FileNotFoundError, match=r"bundle_rtf: no such files: .*gone\.rtf"):
        bundle_rtf([tmp_path / "gone.rtf"], tmp_path / "x.rtf")


# ---------------------------------------------------------------------------------------
# figures


def test_column_size_keeps_the_aspect_on_whole_pixels():
    w, h = column_size((7.0, 4.0), 85)
    assert (int(w * 300), int(h * 300)) == (1004, 574)  # 85 / 25.4 * 300 = 1003.9
    with pytest.raises(ValueError, match="width_mm must be positive, got 0"):
        column_size((7.0, 4.0), 0)


def test_write_figure_files_sizes_and_resolution(tmp_path):
    fig = chart()
    paths = write_figure_files(fig, tmp_path, "fig_sledai", 85)
    assert paths == {k: tmp_path / f"fig_sledai.{k}" for k in ("svg", "png", "pdf")}
    with Image.open(paths["png"]) as im:
        assert im.size == (round(85 / 25.4 * 300), round(85 / 25.4 * 300 * 4 / 7))  # (1004, 574)
        assert [round(d) for d in im.info["dpi"]] == [300, 300]
        assert "Software" not in im.info
    svg = paths["svg"].read_text()
    # 1004 px at 300 dpi is 240.96 pt (85.01 mm); 574 px, 137.76 pt
    assert 'width="240.96pt" height="137.76pt"' in svg
    pdf = paths["pdf"].read_bytes()
    assert re.search(rb"/MediaBox \[ 0 0 240\.96\d* 137\.76\d* \]", pdf)
    assert tuple(fig.get_size_inches()) == (7.0, 4.0), "the page's figure is left as drawn"


def test_write_figure_files_embeds_fonts_and_writes_no_dates(tmp_path):
    paths = write_figure_files(chart(), tmp_path, "fig", 85)
    svg = paths["svg"].read_text()
    assert "<text" not in svg, "text is drawn as paths"
    assert "dc:date" not in svg
    pdf = paths["pdf"].read_bytes()
    assert b"/FontFile2" in pdf, "a TrueType font program is embedded"
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf


def _embedded_fonts(pdf: bytes):
    """The TrueType programs (``/FontFile2`` streams) of a matplotlib PDF, read by fontTools."""
    import io
    import zlib

    from fontTools.ttLib import TTFont

    fonts = []
    for number in re.findall(rb"/FontFile2 (\d+) 0 R", pdf):
        obj = re.search(rb"\n" + number + rb" 0 obj\n<<(.*?)>>\nstream\n", pdf, re.S)
        length = int(re.search(rb"/Length (\d+)", obj.group(1)).group(1))
        data = pdf[obj.end():obj.end() + length]
        fonts.append(TTFont(io.BytesIO(zlib.decompress(data) if b"/FlateDecode" in obj.group(1) else data)))
    return fonts


def test_write_figure_files_pdf_fonts_without_layout_tables(tmp_path):
    from fontTools import subset

    from helpers.present.export import LAYOUT_TABLES, lean_font_subsets

    pdf = write_figure_files(chart(), tmp_path, "fig", 85)["pdf"].read_bytes()
    fonts = _embedded_fonts(pdf)
    # one Type 42 font (a TrueType program, as a CIDFontType2 in matplotlib 3.11): DejaVu Sans, the default
    assert len(fonts) == 1 and b"/Subtype /CIDFontType2" in pdf
    tables = set(fonts[0].keys())
    # the outlines, metrics, character map and names a viewer draws and extracts text with stay
    assert {"glyf", "loca", "hmtx", "hhea", "head", "cmap", "name", "post"} <= tables
    assert not tables & set(LAYOUT_TABLES), "no GSUB, GPOS, GDEF or kern: a PDF places its glyphs itself"
    # "W" and "k" of "Week", "IL-2" of the legend, among others: the glyphs drawn are in the subset
    cmap = fonts[0].getBestCmap()
    assert all(ord(c) in cmap for c in "WeekSLEDAI-2K")
    # fontTools' options are as they were outside the context
    with lean_font_subsets():
        assert "GSUB" in subset.Options().drop_tables
    assert "GSUB" not in subset.Options().drop_tables and subset.Options().layout_features != []


@pytest.mark.parametrize("make", [chart, lambda: chart(2.5, 2.0)], ids=["scaled-down", "narrower-than-the-column"])
def test_write_figure_files_draws_the_figure_itself_and_puts_it_back(tmp_path, make):
    import io

    from helpers.present.export import fit_to_width

    fig = make()
    before = io.BytesIO()
    fig.savefig(before, format="png", dpi=50)
    paths = write_figure_files(fig, tmp_path, "fig", 85)
    after = io.BytesIO()
    fig.savefig(after, format="png", dpi=50)
    assert after.getvalue() == before.getvalue(), "the figure draws as it did before the export"
    # the same files as a copy resized by fit_to_width (the pickle round trip the export no longer pays)
    copy = fit_to_width(fig, 85)
    for kind in ("svg", "png"):
        buffer = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "fig"}):
            copy.savefig(buffer, format=kind, dpi=300, metadata={"svg": {"Date": None}, "png": {"Software": None}}[kind])
        assert paths[kind].read_bytes() == buffer.getvalue()


def _count_draws(monkeypatch) -> list:
    drawn: list = []
    savefig = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: (drawn.append(k.get("format")), savefig(self, *a, **k))[1])
    return drawn


def test_figure_cache_copies_a_figure_exported_before(tmp_path, monkeypatch):
    from helpers.present.export import use_figure_cache

    monkeypatch.setattr("helpers.present.export._FIGURE_CACHE", None)
    uncached = write_figure_files(chart(), tmp_path / "plain", "fig", 85)
    use_figure_cache(tmp_path / "cache")
    drawn = _count_draws(monkeypatch)
    first = write_figure_files(chart(), tmp_path / "a", "fig", 85)
    assert drawn == ["svg", "png", "pdf"]
    # the same chart drawn again (another figure object): copied from the cache, nothing drawn
    second = write_figure_files(chart(), tmp_path / "b", "fig", 85)
    assert drawn == ["svg", "png", "pdf"]
    for kind in ("svg", "png", "pdf"):
        assert first[kind].read_bytes() == second[kind].read_bytes() == uncached[kind].read_bytes()
    assert second["png"] == tmp_path / "b" / "fig.png"
    # another width, another name (the SVG's id salt) or another line: drawn
    write_figure_files(chart(), tmp_path / "c", "fig", 170)
    write_figure_files(chart(), tmp_path / "c", "other", 85)
    changed = chart()
    changed.axes[0].lines[0].set_ydata([3, 1, 2.5])
    write_figure_files(changed, tmp_path / "c", "fig", 85)
    assert len(drawn) == 12
    use_figure_cache(None)
    write_figure_files(chart(), tmp_path / "d", "fig", 85)
    assert len(drawn) == 15, "no cache: drawn"


def test_build_kernels_use_the_figure_cache_beside_the_validated_tables(tmp_path, monkeypatch):
    import helpers.present.export as export
    from helpers.publish.execute import _use_figure_cache, figure_cache_for

    monkeypatch.setattr(export, "_FIGURE_CACHE", None)
    assert figure_cache_for(tmp_path / "work" / "validated") == tmp_path / "work" / "figures"
    exec(_use_figure_cache(tmp_path / "work" / "validated"), {})  # what a kernel runs before each chapter
    assert tmp_path / "work" / "figures" == export._FIGURE_CACHE


def test_figure_digest_is_the_same_in_another_process(tmp_path):
    import subprocess
    import sys

    script = (
        "import matplotlib; matplotlib.use('agg'); import matplotlib.pyplot as plt\n"
        "from helpers.present.export import figure_digest\n"
        "fig, ax = plt.subplots(figsize=(7, 4)); ax.plot([0, 2, 4], [3, 1, 2], marker='o', label='IL-2')\n"
        "ax.fill_between([0, 1, 2], [0, 1, 0], [1, 2, 1]); ax.legend(); fig.tight_layout()\n"
        "fig.canvas.draw()\n"  # a chapter's figure is drawn for the page before its files are written
        "print(figure_digest(fig, 'fig', 85), figure_digest(fig, 'fig', 85))\n"
    )
    digests = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout.split() for seed in ("1", "2")]
    # the same in both processes (string hashing seeded differently) and on every pickling (matplotlib's
    # callback registries count up each time one is pickled)
    assert len(set(digests[0] + digests[1])) == 1 and len(digests[0][0]) == 64


def test_write_figure_files_is_byte_identical(tmp_path):
    fig = chart()
    first = write_figure_files(fig, tmp_path / "a", "fig", 85)
    second = write_figure_files(fig, tmp_path / "b", "fig", 85)
    for kind in ("svg", "png", "pdf"):
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind


def test_write_figure_files_other_width(tmp_path):
    paths = write_figure_files(chart(), tmp_path, "fig", 170, formats=("png",))
    assert list(paths) == ["png"]
    with Image.open(paths["png"]) as im:
        assert im.width == round(170 / 25.4 * 300) == 2008


def test_write_figure_files_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"unknown formats \['eps'\]"):
        write_figure_files(chart(), tmp_path, "fig", 85, formats=("svg", "eps"))


def test_fit_to_width_keeps_a_figure_legend_clear_of_the_axes():
    fig, axes = plt.subplots(2, 2, figsize=(8.4, 5.8))
    for ax in axes.flat:
        ax.plot([0, 1], [0, 1], label="IL-2")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="lower center")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    sized = fit_to_width(fig, 85)
    legend_top = sized.legends[0].get_window_extent().transformed(sized.transFigure.inverted()).y1
    assert min(ax.get_position().y0 for ax in sized.axes) >= legend_top


def test_fit_to_width_scales_a_diagram_as_a_whole():
    fig, ax = plt.subplots(figsize=(5.0, 4.0))
    ax.axis("off")
    label = ax.text(0.5, 0.5, "Enrolled\nn = 40", fontsize=10)
    sized = fit_to_width(fig, 85)
    factor = sized.get_size_inches()[0] / 5.0
    assert [t.get_fontsize() for t in sized.axes[0].texts] == [pytest.approx(10 * factor)]
    assert label.get_fontsize() == 10, "the original is left as drawn"


def test_fit_to_width_scales_a_charts_text_down_to_a_floor():
    fig = chart()  # 7 inches wide: 85 mm is 0.48 of it
    size = fig.axes[0].xaxis.label.get_fontsize()
    sized = fit_to_width(fig, 85)
    assert sized.axes[0].xaxis.label.get_fontsize() == pytest.approx(size * 0.7)
    assert tuple(sized.get_size_inches()) == column_size((7.0, 4.0), 85)
    assert fig.axes[0].xaxis.label.get_fontsize() == size, "the original is left as drawn"


def test_fit_to_width_never_scales_a_charts_text_up():
    fig = chart(width=3.0, height=2.0)
    size = fig.axes[0].xaxis.label.get_fontsize()
    assert fit_to_width(fig, 170).axes[0].xaxis.label.get_fontsize() == size


# ---------------------------------------------------------------------------------------
# links and manifests


def test_format_table_downloads_escapes_and_names_each_format():
    line = format_table_downloads("Table 3.2", 'dl/"x"/', {"csv": "t.csv", "docx": "t.docx", "rtf": "t.rtf"}, 3)
    assert line == (
        '<p class="table-download">Download Table 3.2 as '
        '<a href="dl/&quot;x&quot;/t.csv" download aria-label="Download Table 3.2 as CSV">CSV</a>, '
        '<a href="dl/&quot;x&quot;/t.docx" download aria-label="Download Table 3.2 as Word (DOCX)">Word (DOCX)</a>, '
        '<a href="dl/&quot;x&quot;/t.rtf" download aria-label="Download Table 3.2 as RTF">RTF</a> (3 rows)</p>'
    )


def test_format_figure_downloads_lists_svg_png_pdf():
    line = format_figure_downloads("dl/", {"svg": "f.svg", "png": "f.png", "pdf": "f.pdf"})
    assert re.sub(r"<[^>]+>", "", line) == "Download Figure: SVG, PNG (300 dpi), PDF"
    assert 'href="dl/f.pdf"' in line


def test_write_manifest_is_sorted_json(tmp_path):
    path = write_manifest(tmp_path, "tables.json", [{"name": "b", "files": {"csv": "b.csv"}}, {"name": "a"}])
    assert json.loads(path.read_text()) == {"entries": [{"files": {"csv": "b.csv"}, "name": "b"}, {"name": "a"}]}
    assert path.read_text().endswith("\n")


# ---------------------------------------------------------------------------------------
# the chapter


@pytest.fixture
def chapter(cohort_dir, tmp_path) -> Chapter:
    return Chapter.open("safety", cohort_dir, downloads_dir=tmp_path / "dl", downloads_url="../dl/")


def test_chapter_table_writes_csv_docx_rtf_and_links_them(chapter, tmp_path, shown):
    chapter.table(small_table("first"))
    chapter.table(ae_table())
    dl = tmp_path / "dl"
    assert sorted(p.name for p in dl.iterdir()) == [
        "ae-soc.csv", "ae-soc.docx", "ae-soc.rtf", "first.csv", "first.docx", "first.rtf", "tables.json"]
    # safety is the sixth chapter of the test cohort
    assert docx.Document(str(dl / "ae-soc.docx")).paragraphs[0].text.startswith("Table 6.2. Adverse events")
    assert "Table 6.1. A demo table" in rtf_text((dl / "first.rtf").read_text())
    page = shown[-1]
    assert ('Download Table 6.2 as <a href="../dl/ae-soc.csv" download aria-label="Download Table 6.2 as CSV">CSV</a>, '
            '<a href="../dl/ae-soc.docx"') in page and '>RTF</a> (3 rows)</p>' in page
    manifest = json.loads((dl / "tables.json").read_text())["entries"]
    assert manifest == [
        {"name": "first", "number": "6.1", "label": "Table 6.1", "title": "A demo table", "listing": False,
         "files": {"csv": "first.csv", "docx": "first.docx", "rtf": "first.rtf"}},
        {"name": "ae-soc", "number": "6.2", "label": "Table 6.2",
         "title": "Adverse events ≥ grade 1 by system organ class", "listing": False,
         "files": {"csv": "ae-soc.csv", "docx": "ae-soc.docx", "rtf": "ae-soc.rtf"}},
    ]


def test_chapter_table_exports_carry_the_simulated_note(cohort_builder, tmp_path, shown):
    cohort_builder.config.update(simulated=True, registry="NCT00000000")
    ch = Chapter.open("sri", cohort_builder.write(), downloads_dir=tmp_path / "dl")
    ch.table(small_table())
    note = ("Simulated data: a cohort generated by helpers.simulate and calibrated to the published results of "
            "NCT00000000, not the trial's patient records.")
    assert [p.text for p in docx.Document(str(tmp_path / "dl" / "small.docx")).paragraphs][-1] == note
    assert note in rtf_text((tmp_path / "dl" / "small.rtf").read_text())
    assert "Simulated data" not in shown[-1], "the page has its banner instead"


def test_chapter_table_without_simulation_has_no_note(chapter, tmp_path, shown):
    chapter.table(small_table())
    assert [p.text for p in docx.Document(str(tmp_path / "dl" / "small.docx")).paragraphs] == [
        "Table 6.1. A demo table", "A note."]


def test_chapter_public_exports_are_masked(cohort_dir, tmp_path, shown):
    ch = Chapter.open("sri", cohort_dir, profile="public", downloads_dir=tmp_path / "dl")
    ch.table(small_table())
    rows = docx_rows(tmp_path / "dl" / "small.docx")
    assert rows == [["Row", "IL-2"], ["Any", "< 5"], ["Grade 3", "< 5"]]
    text = rtf_text((tmp_path / "dl" / "small.rtf").read_text())
    assert "2 (100.0%)" not in text and "< 5" in text
    assert 'Counts from 1 to 4 are shown as "< 5" (public build).' in text


def test_chapter_listing_gets_no_docx_or_rtf(chapter, tmp_path, shown, monkeypatch):
    import helpers.chapter

    monkeypatch.setattr(helpers.chapter, "_itables_loader", lambda: "")
    chapter.listing(small_table("ae-listing"))
    dl = tmp_path / "dl"
    assert sorted(p.name for p in dl.iterdir()) == ["ae-listing.csv", "tables.json"]
    entry = json.loads((dl / "tables.json").read_text())["entries"][0]
    assert entry["listing"] is True and entry["files"] == {"csv": "ae-listing.csv"}
    assert '<a href="../dl/ae-listing.csv" download' in shown[-1] and "DOCX" not in shown[-1]


def test_chapter_public_listing_is_in_no_manifest(cohort_dir, tmp_path, shown):
    ch = Chapter.open("safety", cohort_dir, profile="public", downloads_dir=tmp_path / "dl")
    ch.listing(small_table("ae-listing"))
    ch.table(small_table("after"))
    entries = json.loads((tmp_path / "dl" / "tables.json").read_text())["entries"]
    assert [(e["name"], e["label"]) for e in entries] == [("after", "Table 6.2")]


def test_chapter_figure_writes_files_manifest_and_glues_links(chapter, tmp_path, glued):
    fig = chart()
    chapter.figure("fig_sledai", fig)
    dl = tmp_path / "dl"
    assert sorted(p.name for p in dl.iterdir()) == ["fig_sledai.pdf", "fig_sledai.png", "fig_sledai.svg", "figures.json"]
    assert glued["fig_sledai"] is fig
    links = glued["fig_sledai_downloads"].data
    assert links.startswith('<span class="figure-download">Download Figure: <a href="../dl/fig_sledai.svg"')
    entry = json.loads((dl / "figures.json").read_text())["entries"][0]
    assert entry == {"name": "fig_sledai", "width_mm": 85.0, "height_mm": 48.57,
                     "files": {"svg": "fig_sledai.svg", "png": "fig_sledai.png", "pdf": "fig_sledai.pdf"}}
    assert not plt.fignum_exists(fig.number), "the figure is closed"


def test_chapter_figure_width_from_the_config_and_the_call(cohort_builder, tmp_path, glued):
    cohort_builder.config["figure_width_mm"] = 120
    ch = Chapter.open("sri", cohort_builder.write(), downloads_dir=tmp_path / "dl")
    ch.figure("fig_a", chart())
    ch.figure("fig_b", chart(), save=True, width_mm=60)
    with Image.open(tmp_path / "dl" / "fig_a.png") as a, Image.open(tmp_path / "dl" / "fig_b.png") as b:
        assert (a.width, b.width) == (round(120 / 25.4 * 300), round(60 / 25.4 * 300))


def test_chapter_exports_are_byte_identical_across_runs(cohort_dir, tmp_path, shown, glued):
    for run in ("a", "b"):
        ch = Chapter.open("sri", cohort_dir, downloads_dir=tmp_path / run)
        ch.table(ae_table())
        ch.figure("fig", chart())
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# ---------------------------------------------------------------------------------------
# the figure width in cohort.yml (helpers.data.config)


def test_config_figure_width_defaults_to_85_mm(cohort_dir):
    assert read_cohort_config(cohort_dir).figure_width_mm == 85.0


def test_config_figure_width_given(cohort_builder):
    cohort_builder.config["figure_width_mm"] = 174
    cfg = read_cohort_config(cohort_builder.write())
    assert cfg.figure_width_mm == 174.0 and isinstance(cfg.figure_width_mm, float)


@pytest.mark.parametrize("value, shown_value", [(10, "10"), (301, "301"), ("wide", "'wide'")])
def test_config_figure_width_out_of_range(cohort_builder, value, shown_value):
    cohort_builder.config["figure_width_mm"] = value
    with pytest.raises(ConfigError, match=rf"key figure_width_mm: expected a width in millimetres from 30 to 300, "
                                          rf"got {shown_value}$"):
        read_cohort_config(cohort_builder.write())
