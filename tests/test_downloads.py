"""The downloads page and the bundles of every table (helpers.publish.downloads)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pandas as pd
import pytest

from helpers.present.export import ExportTable, write_manifest, write_table_docx, write_table_rtf
from helpers.present.tables import ResultTable
from helpers.publish.downloads import (
    BUNDLE_DOCX,
    BUNDLE_RTF,
    bundle_tables,
    chapter_title,
    downloads_page,
    read_chapter_downloads,
)


def _table(name: str, title: str) -> ResultTable:
    display = pd.DataFrame({"Row": ["Any"], "IL-2": ["2 (100.0%)"]})
    return ResultTable(name, title, display, notes=["A note."])


def _notebook(path: Path, heading: str) -> Path:
    cells = [{"cell_type": "code", "source": ["x = 1"], "metadata": {}, "outputs": [], "execution_count": None},
             {"cell_type": "markdown", "source": ["Intro\n", f"# {heading}\n", "text"], "metadata": {}}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _chapter(tmp_path: Path, name: str, tables: list[tuple[str, str, str]], listing: str | None = None):
    folder = tmp_path / "downloads" / name
    folder.mkdir(parents=True)
    entries = []
    for label, table_name, title in tables:
        export = ExportTable(label, _table(table_name, title))
        files = {"csv": f"{table_name}.csv", "docx": write_table_docx(export, folder).name,
                 "rtf": write_table_rtf(export, folder).name}
        (folder / files["csv"]).write_text("Row,IL-2\nAny,2\n")
        entries.append({"name": table_name, "label": label, "title": title, "listing": False, "files": files})
    if listing:
        (folder / f"{listing}.csv").write_text("USUBJID\nS1\n")
        entries.append({"name": listing, "label": "Listing 1", "title": "All events", "listing": True,
                        "files": {"csv": f"{listing}.csv"}})
    write_manifest(folder, "tables.json", entries)
    write_manifest(folder, "figures.json", [{"name": "fig_a", "width_mm": 85.0, "height_mm": 50.0,
                                             "files": {"svg": "fig_a.svg", "png": "fig_a.png"}}])
    return read_chapter_downloads(name, folder, _notebook(tmp_path / f"{name}.ipynb", f"Chapter {name}"))


def test_chapter_title_is_the_first_level_one_heading(tmp_path: Path):
    assert chapter_title(_notebook(tmp_path / "a.ipynb", "Who took part?"), "cohort") == "Who took part?"
    assert chapter_title(tmp_path / "missing.ipynb", "cohort") == "cohort"


def test_listings_are_not_bundled(tmp_path: Path):
    chapter = _chapter(tmp_path, "safety", [("Table 6.1", "ae", "Adverse events")], listing="ae-listing")
    assert [t["name"] for t in chapter.tables] == ["ae", "ae-listing"]
    assert [t["name"] for t in chapter.bundled] == ["ae"]


def test_bundle_joins_every_table_in_book_order_and_is_reused(tmp_path: Path):
    first = _chapter(tmp_path, "cohort", [("Table 1.1", "t11", "Baseline"), ("Table 1.2", "t12", "Flow")])
    second = _chapter(tmp_path, "safety", [("Table 6.1", "t61", "Adverse events")], listing="ae-listing")
    keep = tmp_path / "bundles"
    files = bundle_tables([first, second], keep)
    assert set(files) == {BUNDLE_DOCX, BUNDLE_RTF}
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(files[BUNDLE_DOCX])).paragraphs)
    assert text.index("Table 1.1. Baseline") < text.index("Table 1.2. Flow") < text.index("Table 6.1. Adverse events")
    rtf = files[BUNDLE_RTF].decode("ascii")
    assert rtf.index("Baseline") < rtf.index("Flow") < rtf.index("Adverse events")
    kept = sorted(p.name for p in keep.iterdir())
    assert len(kept) == 2
    # The same tables again: the kept bundles, byte for byte, nothing joined anew.
    stamps = {p.name: p.stat().st_mtime_ns for p in keep.iterdir()}
    assert bundle_tables([first, second], keep) == files
    assert {p.name: p.stat().st_mtime_ns for p in keep.iterdir()} == stamps
    # A changed table: new bundles, the old ones removed.
    (first.folder / "t11.docx").write_bytes((second.folder / "t61.docx").read_bytes())
    assert bundle_tables([first, second], keep)[BUNDLE_DOCX] != files[BUNDLE_DOCX]
    assert len(list(keep.iterdir())) == 2


def test_no_bundled_table_no_bundle(tmp_path: Path):
    chapter = _chapter(tmp_path, "safety", [], listing="ae-listing")
    assert bundle_tables([chapter], tmp_path / "bundles") == {}


def test_page_lists_the_bundles_pdf_results_and_every_file(tmp_path: Path):
    chapter = _chapter(tmp_path, "sri", [("Table 2.1", "t21", "SRI-4 <by arm> & visit")])
    page = downloads_page([chapter], bundles=True, pdf=True)
    assert "# Downloads" in page
    assert 'href="../downloads/../book.pdf"' in page
    assert "The table in one file" in page
    assert 'href="../downloads/tables.docx"' in page and 'href="../downloads/tables.rtf"' in page
    assert 'href="../downloads/../results.json"' in page
    assert "## Chapter sri" in page
    assert "SRI-4 &lt;by arm&gt; &amp; visit" in page  # escaped, never markup
    assert 'href="../downloads/sri/t21.rtf"' in page and 'aria-label="Download Table 2.1 as RTF"' in page
    assert 'href="../downloads/sri/fig_a.svg"' in page


@pytest.mark.parametrize("pdf, bundles", [(False, False), (False, True), (True, False)])
def test_page_promises_only_what_was_written(tmp_path: Path, pdf: bool, bundles: bool):
    page = downloads_page([], bundles=bundles, pdf=pdf)
    assert ("book.pdf" in page) is pdf
    assert ("tables.docx" in page) is bundles
