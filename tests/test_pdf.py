"""The book as a PDF (helpers.publish.pdf): the reader on a hand-made PDF, the
deterministic metadata, the checks and templates, every error path; then, with Debian's
Chromium, the tiny book printed through ``build_book(pdf=True)`` and the real cohorts'
books (a page or more per chapter, the banner on every page, an outline, tags, the
listings in full, the CONSORT numbers)."""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import pytest

from helpers.publish import pdf

ROOT = Path(__file__).resolve().parents[1]
needs_chromium = pytest.mark.skipif(not Path(pdf.CHROMIUM).is_file(),
                                    reason=f"no Chromium at {pdf.CHROMIUM} (`make browser` installs it)")


# ---------------------------------------------------------------------------------------
# a hand-made PDF, laid out as Chromium's (classic cross-reference table, Flate streams)


def stream(content: bytes, compress: bool = True) -> bytes:
    data = zlib.compress(content) if compress else content
    flt = b"/Filter /FlateDecode " if compress else b""
    return b"<<" + flt + b"/Length " + str(len(data)).encode() + b">>\nstream\n" + data + b"\nendstream"


CMAP = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0001> <0048> <0002> <0069> endbfchar
1 beginbfrange <0003> <0004> <0041> endbfrange
endcmap end end"""


def handmade_pdf() -> bytes:
    """Two pages: page 1 shows "Hi" (a Type 0 font with a ToUnicode map) and "Sim(1)"
    (a simple font); page 2 shows "AH" with a TJ array. An outline of two levels (a page
    destination and a named one, a UTF-16 title), a named destination, tags, an
    information dictionary with a creation date."""
    objects = {
        1: b"<</Type /Catalog /Pages 2 0 R /Outlines 8 0 R /Dests 10 0 R /MarkInfo <</Marked true>> "
           b"/StructTreeRoot 11 0 R /Lang (en)>>",
        2: b"<</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>>",
        3: b"<</Type /Page /Parent 2 0 R /Resources <</Font <</F1 5 0 R /F2 12 0 R>>>> /Contents 6 0 R>>",
        4: b"<</Type /Page /Parent 2 0 R /Resources <</Font <</F1 5 0 R>>>> /Contents [7 0 R]>>",
        5: b"<</Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 9 0 R>>",
        6: stream(b"q 1 0 0 1 0 0 cm BT /F1 12 Tf 1 0 0 -1 10 10 Tm <00010002> Tj ET\nBT /F2 9 Tf (Sim\\(1\\)) Tj ET Q"),
        7: stream(b"BT\n/F1 12 Tf\n[<0003> -20 <0001>] TJ\nET", compress=False),
        8: b"<</Type /Outlines /First 13 0 R /Last 13 0 R /Count 2>>",
        9: stream(CMAP),
        10: b"<</document-a [4 0 R /XYZ 0 0 0]>>",
        11: b"<</Type /StructTreeRoot>>",
        12: b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
        13: b"<</Title (Chapter \\(one\\)) /Dest [4 0 R /XYZ 0 0 0] /Parent 8 0 R /First 14 0 R /Last 14 0 R>>",
        14: b"<</Title <FEFF00C9> /Dest /document-a /Parent 13 0 R>>",
        15: b"<</Producer (Test) /CreationDate (D:20260101120000+00'00') /ModDate (D:20260101120000Z)>>",
    }
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for n, body in objects.items():
        offsets[n] = len(out)
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for n in objects:
        out += f"{offsets[n]:010d} 00000 n \n".encode()
    out += f"trailer\n<</Size {len(objects) + 1} /Root 1 0 R /Info 15 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_read_pdf_handmade():
    facts = pdf.read_pdf(handmade_pdf())
    assert facts.pages == 2
    assert facts.text == ("Hi Sim(1)", "AH")
    assert facts.outline == ((1, "Chapter (one)", 2), (2, "É", 2))
    assert facts.destinations == {"document-a": 2}
    assert facts.tagged is True
    assert facts.language == "en"
    assert facts.info == {"Producer": "Test", "CreationDate": "D:20260101120000+00'00'", "ModDate": "D:20260101120000Z"}


def test_read_pdf_from_a_file(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(handmade_pdf())
    assert pdf.read_pdf(path).pages == 2


def test_read_pdf_untagged():
    data = handmade_pdf().replace(b"/Marked true", b"/Marked fals")  # same length: offsets stay right
    assert pdf.read_pdf(data).tagged is False


def test_deterministic_pdf_blanks_the_dates_and_keeps_every_offset():
    data = handmade_pdf()
    fixed = pdf.deterministic_pdf(data)
    assert len(fixed) == len(data)
    assert b"D:2026" not in fixed
    assert pdf.read_pdf(fixed).info == {"Producer": "Test"}
    assert pdf.read_pdf(fixed).text == ("Hi Sim(1)", "AH")
    assert pdf.deterministic_pdf(fixed) == fixed


def test_deterministic_pdf_renumbers_the_structure_ids_in_order():
    printed = b"/ID (node00000233) /K 1 /Headers [(node00000233)] /ID (node00000198) /ID (node00000240)"
    assert pdf.deterministic_pdf(printed) == (
        b"/ID (node00000001) /K 1 /Headers [(node00000001)] /ID (node00000002) /ID (node00000003)")
    shifted = printed.replace(b"233", b"234").replace(b"198", b"199").replace(b"240", b"241")
    assert pdf.deterministic_pdf(shifted) == pdf.deterministic_pdf(printed)


def test_pdf_string():
    assert pdf.pdf_string(b"\xfe\xff\x00A\x00\xe9") == "Aé"
    assert pdf.pdf_string(b"Results") == "Results"


def test_read_pdf_errors():
    with pytest.raises(pdf.PdfError, match="not a PDF .it does not start with %PDF-"):
        pdf.read_pdf(b"<html>")
    with pytest.raises(pdf.PdfError, match="no startxref at its end"):
        pdf.read_pdf(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
    data = handmade_pdf()
    at = data.rindex(b"xref\n0 ")
    with pytest.raises(pdf.PdfError, match="no classic cross-reference table"):
        pdf.read_pdf(data[:at] + b"XREF" + data[at + 4:])
    moved = data.replace(b"\n3 0 obj\n", b"\n3 0 ob \n")
    with pytest.raises(pdf.PdfError, match="points object 3 at the wrong byte"):
        pdf.read_pdf(moved)


# ---------------------------------------------------------------------------------------
# checks, templates, the landing page's link


def facts(**kw) -> pdf.PdfFacts:
    base = {"pages": 4, "text": ("Sim. intro", "Sim. chapter a", "Sim. chapter b", "Sim. end"),
            "outline": ((1, "Intro", 1),), "destinations": {"document-a": 2, "document-b": 3}, "tagged": True}
    return pdf.PdfFacts(**{**base, **kw})


def test_check_book_pdf_passes():
    assert pdf.check_book_pdf(facts(), ["a", "b"], banner="Sim.", min_pages=3) == []


def test_check_book_pdf_lists_every_problem():
    bad = facts(pages=2, text=("Sim. intro", "chapter a"), outline=(), tagged=False,
                destinations={"document-a": 1})
    assert pdf.check_book_pdf(bad, ["a", "b"], banner="Sim.", min_pages=3) == [
        "2 pages, fewer than 3",
        "no outline (bookmarks)",
        "not a tagged PDF",
        "page a opens on page 1, not after the title page (page 1)",
        "page b has no destination in the PDF",
        "the banner is missing from page 2",
    ]


def test_check_book_pdf_chapters_in_order():
    shuffled = facts(destinations={"document-a": 3, "document-b": 2})
    assert pdf.check_book_pdf(shuffled, ["a", "b"]) == ["page b opens on page 2, not after page a (page 3)"]


def test_check_book_pdf_banner_on_many_pages_is_summarised():
    bare = facts(pages=12, text=("x",) * 12)
    assert pdf.check_book_pdf(bare, [], banner="Sim.") == [
        "the banner is missing from pages 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ..."]


def test_templates():
    header = pdf.header_template("T <1>", "Simulated data: NCT&amp;1")
    assert "T &lt;1&gt;" in header and "<div>Simulated data: NCT&amp;1</div>" in header
    assert "<div>" not in pdf.header_template("T")  # no banner, no empty line
    footer = pdf.footer_template()
    assert 'Page <span class="pageNumber"></span> of <span class="totalPages"></span>' in footer


def test_plain_text():
    assert pdf.plain_text("Simulated data: results of <b>NCT1</b> &amp;\n more") == "Simulated data: results of NCT1 & more"


def test_landing_link():
    assert pdf.landing_link(True) == '<a href="book.pdf" download>The whole book as one PDF file</a> (printed from these pages).'
    assert pdf.landing_link(False) == ""


def test_toc_documents(tmp_path):
    (tmp_path / "_toc.yml").write_text("root: intro\nparts:\n  - chapters:\n      - file: chapters/a\n"
                                       "  - chapters:\n      - file: appendix/p\n      - url: https://x\n")
    assert pdf._toc_documents(tmp_path) == ["intro", "chapters/a", "appendix/p"]


# ---------------------------------------------------------------------------------------
# error paths of the steps


def test_render_singlehtml_needs_a_staged_book(tmp_path):
    with pytest.raises(pdf.PdfError, match="is not a staged book .no _config.yml and _toc.yml.; build the site first"):
        pdf.render_singlehtml(tmp_path, tmp_path / "out")


def test_print_pdf_needs_the_page_and_chromium(tmp_path):
    with pytest.raises(pdf.PdfError, match="no single-page book at"):
        pdf.print_pdf(tmp_path / "missing.html", title="T")
    page = tmp_path / "book.html"
    page.write_text("<p>x</p>")
    with pytest.raises(pdf.PdfError, match=r"no Chromium at /nowhere/chromium: install Debian's chromium \(`make browser`"):
        pdf.print_pdf(page, title="T", chromium="/nowhere/chromium")


def test_write_book_pdf_needs_a_published_site(tmp_path):
    with pytest.raises(pdf.PdfError, match="is not a published site .no .site-stamp.; build it first"):
        pdf.write_book_pdf(tmp_path / "book", tmp_path / "site", tmp_path / "work", title="T")


def test_write_book_pdf_reuses_the_pdf_of_the_same_site(tmp_path, monkeypatch):
    """A second call for the same site copies the PDF printed before (nothing printed);
    a changed site prints again."""
    site, work = tmp_path / "site", tmp_path / "work"
    site.mkdir()
    (site / ".site-stamp").write_text("one")
    printed = []

    def fake_render(staging, out, fresh=False):
        out.mkdir(parents=True, exist_ok=True)
        (out / "intro.html").write_text("x")
        return out / "intro.html"

    def fake_print(html_file, **kw):
        printed.append(kw["title"])
        return pdf.Printed(handmade_pdf(), 0, 0, (), 0.0, 0.0)

    monkeypatch.setattr(pdf, "render_singlehtml", fake_render)
    monkeypatch.setattr(pdf, "print_pdf", fake_print)
    staging = tmp_path / "book"
    staging.mkdir()
    (staging / "_toc.yml").write_text("root: intro\n")
    first = pdf.write_book_pdf(staging, site, work, title="T", log=lambda _: None)
    assert first.printed and first.pages == 2 and printed == ["T"]
    assert (site / "book.pdf").read_bytes() == pdf.deterministic_pdf(handmade_pdf())
    (site / "book.pdf").unlink()
    again = pdf.write_book_pdf(staging, site, work, title="T", log=lambda _: None)
    assert not again.printed and printed == ["T"] and (site / "book.pdf").is_file()
    (site / ".site-stamp").write_text("two")
    assert pdf.write_book_pdf(staging, site, work, title="T", log=lambda _: None).printed
    assert printed == ["T", "T"]


def test_write_book_pdf_refuses_a_pdf_failing_its_checks(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / ".site-stamp").write_text("one")
    staging = tmp_path / "book"
    staging.mkdir()
    (staging / "_toc.yml").write_text("root: intro\nchapters:\n  - file: chapters/x\n")
    monkeypatch.setattr(pdf, "render_singlehtml", lambda staging, out, fresh=False: out / "intro.html")
    monkeypatch.setattr(pdf, "print_pdf", lambda html_file, **kw: pdf.Printed(handmade_pdf(), 0, 0, (), 0.0, 0.0))
    with pytest.raises(pdf.PdfError, match=r"fails its checks; no PDF was published:\n"
                                           r"  - page chapters/x has no destination in the PDF\n"
                                           r"  - the banner is missing from pages 1, 2"):
        pdf.write_book_pdf(staging, site, tmp_path / "work", title="T", banner_html="Simulated data.", log=lambda _: None)
    assert not (site / "book.pdf").exists()


# ---------------------------------------------------------------------------------------
# printed by Chromium: the tiny book through the build, and the real cohorts


@needs_chromium
@pytest.mark.build
@pytest.mark.browser
def test_build_book_pdf_tiny(tmp_path):
    from tinybook import make_book

    from helpers.publish import build_book

    root = make_book(tmp_path / "book")
    lines: list[str] = []
    build_book("tiny", root=root, workers=1, pdf=True, log=lines.append)
    site = root / "_build" / "cohorts" / "tiny" / "html"
    data = (site / "book.pdf").read_bytes()
    facts = pdf.read_pdf(data)
    banner = "Simulated data: every number in this book is computed from a simulated cohort calibrated to the published results of tiny"
    assert facts.pages >= 2
    assert all(banner in text for text in facts.text), facts.text
    assert all(f"Page {i} of {facts.pages}" in text for i, text in enumerate(facts.text, start=1))
    assert facts.destinations["document-chapters/cohort"] > 1  # the chapter opens a page of its own
    assert [t for _, t, _ in facts.outline][:1] == ["Tiny book"] and "Tiny" in [t for _, t, _ in facts.outline]
    assert facts.tagged and facts.language == "en"
    assert facts.info["Title"] == "Tiny" and "CreationDate" not in facts.info and "ModDate" not in facts.info
    assert "There are 3 subjects." in " ".join(facts.text)
    assert any("book.pdf: " in line and "printed" in line for line in lines)
    # the same site again: the PDF is reused; printed again (--force): the same bytes
    build_book("tiny", root=root, workers=1, pdf=True, log=lines.append)
    assert (site / "book.pdf").read_bytes() == data
    assert "unchanged since the last print" in lines[-1]
    work = root / "_build" / ".work" / "tiny"
    from helpers.data.config import read_cohort_config
    from helpers.publish.stage import banner_text

    config = read_cohort_config(root / "data" / "tiny")
    again = pdf.write_book_pdf(work / "book", site, work / "pdf", title=config.title, banner_html=banner_text(config),
                               force=True, log=lambda _: None)
    assert again.printed and again.path.read_bytes() == data


def _listing_subjects(site: Path) -> list[str]:
    with open(site / "downloads" / "safety" / "ae-listing.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r[next(iter(r))] for r in rows]


def print_site(site: Path, cohort: str, tmp_path: Path) -> pdf.PdfFacts:
    from conftest import TEST_WORK

    from helpers.data.config import read_cohort_config
    from helpers.publish.stage import banner_text

    config = read_cohort_config(ROOT / "data" / cohort)
    result = pdf.write_book_pdf(TEST_WORK / cohort / "book", site, tmp_path / "pdf", title=config.title,
                                banner_html=banner_text(config), log=print)
    return pdf.read_pdf(result.path)


@needs_chromium
@pytest.mark.build
@pytest.mark.browser
def test_default_cohort_pdf(default_site: Path, tmp_path):
    facts = print_site(default_site, "nct02084238", tmp_path)
    assert facts.pages >= 60  # 94 pages when written
    chapters = ["cohort", "sri", "organ", "labs", "immunology", "safety"]
    pages = [facts.destinations[f"document-chapters/{c}"] for c in chapters]
    assert pages == sorted(set(pages)) and pages[0] > 1  # each chapter opens its own page, in order
    titles = [t for _, t, _ in facts.outline]
    assert "1. Who took part" in titles and "6. Was treatment safe?" in titles
    assert all("Simulated data: every number in this book" in t for t in facts.text)
    text = " ".join(facts.text)
    assert "Enrolled (n = 40)" in text and "Allocated to IL-2 (n = 40)" in text  # the CONSORT diagram
    listing = " ".join(facts.text[facts.destinations["document-chapters/safety"] - 1:])
    subjects = _listing_subjects(default_site)
    assert len(subjects) > 10  # more than the 10 rows a page of the listing shows on screen
    for s in set(subjects):
        assert listing.count(s) >= subjects.count(s), s


@needs_chromium
@pytest.mark.build
@pytest.mark.browser
def test_followup_cohort_pdf(followup_site: Path, tmp_path):
    facts = print_site(followup_site, "nct02465580", tmp_path)
    assert facts.pages >= 60
    text = " ".join(facts.text)
    assert "Allocated to IL-2 (n = 30)" in text and "Allocated to Placebo (n = 30)" in text
    assert all("Simulated data" in t for t in facts.text)


def test_cli_build_has_a_pdf_option():
    from helpers.cli import parser

    assert parser().parse_args(["build", "nct02084238", "--pdf"]).pdf is True
    assert parser().parse_args(["build"]).pdf is False


@needs_chromium
@pytest.mark.build
@pytest.mark.browser
def test_pdf_build_links_the_pdf_from_the_landing_and_downloads_pages(tmp_path):
    from tinybook import make_book

    from helpers.publish import build_book

    root = make_book(tmp_path / "book")
    landing = root / "data" / "tiny" / "intro.md"
    landing.write_text(landing.read_text() + "\n{{ book_pdf }}\n")
    build_book("tiny", root=root, workers=1, pdf=True, log=lambda _: None)
    site = root / "_build" / "cohorts" / "tiny" / "html"
    assert 'href="book.pdf"' in (site / "intro.html").read_text()
    assert 'href="../downloads/../book.pdf"' in (site / "appendix" / "downloads.html").read_text()
    build_book("tiny", root=root, workers=1, log=lambda _: None)  # no PDF this time: no link to one
    assert "book.pdf" not in (site / "intro.html").read_text()
    assert "book.pdf" not in (site / "appendix" / "downloads.html").read_text()
