"""Tests for helpers.publish.compare (comparing two builds' results), the
``results-meta.json`` the build writes (helpers.publish.manifest), ``python -m helpers
compare`` and the build's ``--baseline`` page."""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tinybook import make_book

from helpers.cli import main
from helpers.publish.compare import (
    CompareInputError,
    changes_page,
    compare_results,
    comparison_html,
    differences,
    format_report,
    format_summary,
    read_results,
)
from helpers.publish.manifest import combined_digits, digits_shown, glue_citations, results_meta

# ---------------------------------------------------------------------------------------
# two hand-made builds: every kind of difference once

A = {
    "n_enrolled": 40,
    "rate@IL-2": 0.4521,
    "rate@Placebo": 0.3004,
    "age_median": 31.25,
    "verdict": "support",
    "p_value": None,
    "ci_low": 0.1,
    "flag": True,
    "shown_in_full": 0.1,
    "same_text": "IL-2",
    "only_in_a": 1,
}
B = {
    "n_enrolled": 41,            # integer: exact
    "rate@IL-2": 0.45214,        # shown as .1% (3 decimals): 0.452 both, equal
    "rate@Placebo": 0.3006,      # 0.300 against 0.301: changed
    "age_median": 31.25,
    "verdict": "do not support",  # string: exact
    "p_value": 0.04,             # None against a number
    "ci_low": None,              # a number against None
    "flag": 1,                   # a boolean is not an integer
    "shown_in_full": 0.1000001,  # cited with no spec: shown in full, exact
    "same_text": "IL-2",
    "only_in_b": 2,
}


def meta_entry(chapter, formats=(), digits=None, significant=None):
    return {"chapter": chapter, "group": None, "population": None, "n": None, "method": None, "unit": None,
            "formats": list(formats), "digits": digits, "significant": significant}


META = {
    "schema": "helpers/results-meta/1",
    "chapters": ["cohort", "sri"],
    "results": {
        "n_enrolled": meta_entry("cohort", ["d"]),
        "age_median": meta_entry("cohort", [".0f"], 0),
        "rate@IL-2": meta_entry("sri", [".1%"], 3),
        "rate@Placebo": meta_entry("sri", [".1%"], 3),
        "verdict": meta_entry("sri", ["s"]),
        "p_value": meta_entry("sri"),
        "ci_low": meta_entry("sri", [".2f"], 2),
        "flag": meta_entry("cohort"),
        "shown_in_full": meta_entry("sri", [""]),
        "same_text": meta_entry("cohort", ["s"]),
        "only_in_a": meta_entry("cohort"),
        "only_in_b": meta_entry("sri"),
    },
}


def rows(frame):
    return [tuple(r) for r in frame[["name", "chapter", "status", "tolerance"]].itertuples(index=False)]


def test_compare_results_reports_exactly_the_differences():
    frame = compare_results(A, B, META, META)
    assert rows(frame) == [
        # cohort, by name
        ("age_median", "cohort", "equal", "as shown: 0 decimals"),
        ("flag", "cohort", "changed", "exact"),
        ("n_enrolled", "cohort", "changed", "exact"),
        ("only_in_a", "cohort", "removed", None),
        ("same_text", "cohort", "equal", "exact"),
        # then sri
        ("ci_low", "sri", "changed", "exact"),
        ("only_in_b", "sri", "added", None),
        ("p_value", "sri", "changed", "exact"),
        ("rate@IL-2", "sri", "equal", "as shown: 3 decimals"),
        ("rate@Placebo", "sri", "changed", "as shown: 3 decimals"),
        ("shown_in_full", "sri", "changed", "exact"),
        ("verdict", "sri", "changed", "exact"),
    ]
    assert list(frame.columns) == ["name", "chapter", "status", "a", "b", "absolute", "relative", "tolerance"]
    by = frame.set_index("name")
    assert (by.loc["n_enrolled", "a"], by.loc["n_enrolled", "b"]) == (40, 41)
    assert by.loc["n_enrolled", "absolute"] == 1.0 and by.loc["n_enrolled", "relative"] == 0.025
    assert by.loc["rate@Placebo", "absolute"] == pytest.approx(0.0002)
    assert by.loc["rate@Placebo", "relative"] == pytest.approx(0.0002 / 0.3004)
    assert by.loc["only_in_b", "b"] == 2 and by.loc["only_in_b", "a"] is None
    # no arithmetic on text, None, booleans, or a side that lacks the result
    for name in ("verdict", "p_value", "ci_low", "flag", "only_in_a", "only_in_b"):
        assert math.isnan(by.loc[name, "absolute"]) and math.isnan(by.loc[name, "relative"]), name
    assert format_summary(frame) == "9 differences beyond tolerance (7 changed, 1 added, 1 removed); 3 results equal."


def test_compare_results_digits_replaces_the_digits_shown():
    frame = compare_results(A, B, META, META, digits=2).set_index("name")
    assert frame.loc["rate@Placebo", ["status", "tolerance"]].tolist() == ["equal", "given: 2 decimals"]
    assert frame.loc["shown_in_full", ["status", "tolerance"]].tolist() == ["equal", "given: 2 decimals"]
    # integers and text stay exact
    assert frame.loc["n_enrolled", ["status", "tolerance"]].tolist() == ["changed", "exact"]
    frame = compare_results({"x": 1.4}, {"x": 1.6}, digits=0)
    assert frame["status"].tolist() == ["changed"]  # 1 against 2


def test_compare_results_without_metadata_agrees_at_six_significant_digits():
    a = {"close": 0.1234564, "far": 0.123456, "big": 123456.4, "tiny": 1.234561e-25, "zero": 0.0}
    b = {"close": 0.1234561, "far": 0.123457, "big": 123456.1, "tiny": 1.234564e-25, "zero": 1e-17}
    frame = compare_results(a, b).set_index("name")
    assert frame["status"].to_dict() == {"big": "equal", "close": "equal", "far": "changed", "tiny": "equal",
                                         "zero": "changed"}
    assert set(frame["tolerance"]) == {"default: 6 significant digits"}
    assert frame["chapter"].tolist() == [None] * 5


def test_compare_results_numbers_of_either_type_compare_as_numbers():
    frame = compare_results({"n": 3, "m": 3, "k": -0.0001}, {"n": 3.0, "m": "3", "k": 0.0001},
                            {"results": {"k": meta_entry(None, [".2f"], 2)}})
    assert frame.set_index("name")["status"].to_dict() == {"k": "equal", "m": "changed", "n": "equal"}


def test_compare_results_takes_the_finest_digits_of_either_side():
    coarse = {"results": {"x": meta_entry("sri", [".0f"], 0)}}
    fine = {"results": {"x": meta_entry("sri", [".2f"], 2)}}
    full = {"results": {"x": meta_entry("sri", ["s"])}}
    for ma, mb, status, tolerance in [(coarse, None, "equal", "as shown: 0 decimals"),
                                      (None, fine, "changed", "as shown: 2 decimals"),
                                      (coarse, fine, "changed", "as shown: 2 decimals"),
                                      (fine, full, "changed", "exact")]:
        frame = compare_results({"x": 1.501}, {"x": 1.512}, ma, mb)
        assert frame.loc[0, ["status", "tolerance"]].tolist() == [status, tolerance]


def test_compare_results_lists_and_nan():
    frame = compare_results({"l": [1, 2], "m": [1], "nan": math.nan}, {"l": [1, 2], "m": [1.0], "nan": math.nan})
    assert frame.set_index("name")["status"].to_dict() == {"l": "equal", "m": "changed", "nan": "equal"}


def test_compare_results_identical_and_empty():
    frame = compare_results(A, dict(A), META, META)
    assert set(frame["status"]) == {"equal"} and len(frame) == len(A)
    assert differences(frame).empty
    assert compare_results({}, {}).empty


def test_compare_results_does_not_modify_its_inputs():
    a, b, meta = json.loads(json.dumps(A)), json.loads(json.dumps(B)), json.loads(json.dumps(META))
    compare_results(a, b, meta, meta)
    assert (a, b, meta) == (A, B, META)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"a": [1]}, TypeError, r"^a: expected results by name \(the content of results.json\), got list$"),
    ({"b": {1: 2}}, TypeError, r"^b: result names must be strings, got \[1\]$"),
    ({"meta_a": {"x": 1}}, TypeError, r"^meta_a: expected the content of a results-meta.json"),
    ({"meta_b": {"results": {"x": 1}}}, TypeError, r"^meta_b: expected the content of a results-meta.json"),
    ({"meta_b": {"results": {}, "chapters": "sri"}}, TypeError, r"^meta_b: 'chapters' must be a list"),
    ({"digits": -1}, ValueError, r"^digits: expected 0 or more decimals, got -1$"),
    ({"digits": 1.5}, TypeError, r"^digits: expected an integer number of decimals, got 1.5$"),
])
def test_compare_results_refuses_bad_arguments(kwargs, error, message):
    args = {"a": {}, "b": {}, **kwargs}
    with pytest.raises(error, match=message):
        compare_results(**args)


# ---------------------------------------------------------------------------------------
# what reports show

HOSTILE = {"<script>alert(1)</script>": "<img src=x onerror=alert(1)>", "x`y": "```{raw} html\n<b>bold</b>\n```"}


def test_format_report_lists_differences_by_chapter():
    text = format_report(compare_results(A, B, META, META), "old", "new")
    assert text.splitlines() == [
        "A: old",
        "B: new",
        "9 differences beyond tolerance (7 changed, 1 added, 1 removed); 3 results equal.",
        "",
        "cohort",
        "  changed  flag: true -> 1 (exact)",
        "  changed  n_enrolled: 40 -> 41 (+1, +2.5%; exact)",
        "  removed  only_in_a: 1",
        "",
        "sri",
        "  changed  ci_low: 0.1 -> null (exact)",
        "  added    only_in_b: 2",
        "  changed  p_value: null -> 0.04 (exact)",
        "  changed  rate@Placebo: 0.3004 -> 0.3006 (+0.0002, +0.0666%; as shown: 3 decimals)",
        "  changed  shown_in_full: 0.1 -> 0.1000001 (+1e-07, +0.0001%; exact)",
        '  changed  verdict: "support" -> "do not support" (exact)',
    ]


def test_comparison_html_is_standalone_escaped_and_accessible():
    page = comparison_html(compare_results({}, HOSTILE), "<b>a</b>", "b & c")
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;a&lt;/b&gt;" in page and "b &amp; c" in page
    assert not re.search(r"<[^>]*\b(src|href)=|https?:", page)  # nothing to fetch
    assert '<caption>Other results: 2 differences</caption>' in page
    assert page.count('<th scope="col">') == 7 and page.count('<th scope="row">') == 2
    assert "<title>Results compared: &lt;b&gt;a&lt;/b&gt; and b &amp; c</title>" in page


def test_comparison_html_with_no_differences_has_no_table():
    page = comparison_html(compare_results(A, A), "a", "b")
    assert "<table" not in page and "No differences beyond tolerance; 11 results equal." in page


def test_changes_page_escapes_names_values_and_the_baseline():
    page = changes_page(compare_results(A, {**A, **HOSTILE}, META, META), "old <site> `x`")
    lines = page.splitlines()
    assert lines[0] == r"# Changes since old \<site\> \`x\`"
    assert lines[2] == r"2 differences beyond tolerance \(2 added\)\; 11 results equal\."
    assert "## Other results" in lines
    # the table is raw HTML in a fence no value can close, every value escaped
    assert "```{raw} html" in lines and "<script" not in page and "<b>bold" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "&#96;&#96;&#96;{raw} html" in page
    assert '<th scope="col">Baseline</th><th scope="col">This build</th>' in page


# ---------------------------------------------------------------------------------------
# results-meta.json (helpers.publish.manifest)


def test_glue_citations_and_digits_shown():
    md = ("{glue:text}`chapters/sri.ipynb::rate@IL-2:.1%` of {glue:text}`n` ({glue:text}`n:d`, {glue}`p`, "
          "{glue:any}`q`, {glue:text}`d:+.2f`, {glue:md}`m`)")
    assert glue_citations(md) == [("rate@IL-2", ".1%"), ("n", "s"), ("n", "d"), ("p", ""), ("q", ""), ("d", "+.2f")]
    assert [digits_shown(s) for s in (".1%", ".0%", ".2f", "+.3f", ".0f", "f", "%", ".3e", "g", ">8,.1f", "x")] == [
        (3, None), (2, None), (2, None), (3, None), (0, None), (6, None), (8, None), (None, 4), (None, 6),
        (1, None), (None, None)]
    assert combined_digits([".0f", ".2f", ".3g"]) == (2, 3)
    assert combined_digits([".2f", "s"]) == (None, None)
    assert combined_digits([]) == (None, None)


def test_results_meta_entries():
    meta = results_meta({"rate@IL-2-vs-Placebo": 0.1, "n": 4, "analysis_plan_hash": "abc"},
                        {"rate@IL-2-vs-Placebo": "sri", "n": "cohort"},
                        {"rate@IL-2-vs-Placebo": [".1%", ".2%"], "n": ["s", "d"]}, ["cohort", "sri"], cohort="tiny")
    assert meta == {
        "schema": "helpers/results-meta/1", "cohort": "tiny", "chapters": ["cohort", "sri"],
        "results": {
            "analysis_plan_hash": meta_entry(None),
            "n": meta_entry("cohort", ["d", "s"]),
            "rate@IL-2-vs-Placebo": {**meta_entry("sri", [".1%", ".2%"], 4), "group": "IL-2-vs-Placebo"},
        },
    }


# ---------------------------------------------------------------------------------------
# the command line on hand-made files


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """Two builds: ``a`` a site folder with its metadata, ``b`` a bare results file."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "results.json").write_text(json.dumps(A))
    (site / "results-meta.json").write_text(json.dumps(META))
    other = tmp_path / "independent.json"
    other.write_text(json.dumps(B))
    return site, other


def test_compare_command_reports_the_differences_and_exits_1(files, capsys):
    site, other = files
    assert main(["compare", str(site), str(other)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"A: {site}\nB: {other}\n9 differences beyond tolerance (7 changed, 1 added, 1 removed)")
    assert "  changed  rate@Placebo: 0.3004 -> 0.3006 (+0.0002, +0.0666%; as shown: 3 decimals)" in out
    assert "rate@IL-2" not in out  # equal at the digits shown (a's metadata)


def test_compare_command_same_build_exits_0(files, capsys):
    site, _ = files
    assert main(["compare", str(site), str(site / "results.json")]) == 0
    assert capsys.readouterr().out.splitlines()[2] == "No differences beyond tolerance; 11 results equal."


def test_compare_command_digits(files, capsys):
    site, other = files
    assert main(["compare", str(site), str(other), "--digits", "2"]) == 1
    out = capsys.readouterr().out
    assert "rate@Placebo" not in out and "7 differences beyond tolerance (5 changed, 1 added, 1 removed)" in out


def test_compare_command_writes_html_and_csv(files, tmp_path, capsys):
    site, other = files
    page, table = tmp_path / "out.html", tmp_path / "out.csv"
    assert main(["compare", str(site), str(other), "--html", str(page), "--csv", str(table)]) == 1
    out = capsys.readouterr().out
    assert f"wrote {page}\n" in out and f"wrote {table}\n" in out
    with table.open(newline="") as f:
        got = list(csv.DictReader(f))
    assert [(r["name"], r["chapter"], r["status"], r["a"], r["b"]) for r in got] == [
        ("flag", "cohort", "changed", "true", "1"),
        ("n_enrolled", "cohort", "changed", "40", "41"),
        ("only_in_a", "cohort", "removed", "1", ""),
        ("ci_low", "sri", "changed", "0.1", "null"),
        ("only_in_b", "sri", "added", "", "2"),
        ("p_value", "sri", "changed", "null", "0.04"),
        ("rate@Placebo", "sri", "changed", "0.3004", "0.3006"),
        ("shown_in_full", "sri", "changed", "0.1", "0.1000001"),
        ("verdict", "sri", "changed", "support", "do not support"),
    ]
    assert got[1]["absolute"] == "1.0" and got[1]["relative"] == "0.025" and got[1]["tolerance"] == "exact"
    assert got[2]["absolute"] == "" and got[2]["tolerance"] == ""
    html = page.read_text()
    assert "<caption>cohort: 3 differences</caption>" in html and "<caption>sri: 6 differences</caption>" in html
    assert "http" not in html


def test_compare_command_csv_neutralises_formulas(tmp_path, capsys):
    (tmp_path / "a.json").write_text(json.dumps({"label": "=HYPERLINK(\"x\")", "d": "-0.5"}))
    (tmp_path / "b.json").write_text(json.dumps({"label": "@SUM(A1)", "d": "-0.6"}))
    assert main(["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--csv", str(tmp_path / "o.csv")]) == 1
    with (tmp_path / "o.csv").open(newline="") as f:
        got = {r["name"]: (r["a"], r["b"]) for r in csv.DictReader(f)}
    assert got == {"d": ("-0.5", "-0.6"), "label": ("'=HYPERLINK(\"x\")", "'@SUM(A1)")}


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "{p}: no such file or folder"),
    (lambda p: p.mkdir(), "{p}: no results.json in this folder (expected a built site or a results.json file)"),
    (lambda p: p.write_text("{\"a\": 1,"), "{p}: not JSON (Expecting property name enclosed in double quotes at line 1, column 9)"),
    (lambda p: p.write_text("[1, 2]"), "{p}: expected a JSON object of results by name, found an array"),
    (lambda p: p.write_text('{"a": 1, "a": 2}'), "{p}: the name 'a' is given twice"),
    (lambda p: p.write_bytes(b'{"a": "\xff"}'), "{p}: not UTF-8 text, so not a JSON results file"),
])
def test_compare_command_bad_input_exits_2_naming_the_file(files, tmp_path, capsys, make, message):
    site, _ = files
    bad = tmp_path / "bad"
    make(bad)
    assert main(["compare", str(site), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {message.format(p=bad)}\n" and captured.out == ""


def test_compare_command_bad_metadata_exits_2(files, capsys):
    site, other = files
    (site / "results-meta.json").write_text('{"results": []}')
    assert main(["compare", str(other), str(site)]) == 2
    assert capsys.readouterr().err == (f"error: {site / 'results-meta.json'}: not a results-meta.json (expected an object "
                                       "whose \"results\" maps each name to an object)\n")


def test_read_results_site_and_file(files):
    site, other = files
    read = read_results(site)
    assert (read.results, read.meta, read.label, read.path) == (A, META, str(site), site / "results.json")
    assert read_results(other).meta is None
    with pytest.raises(CompareInputError, match="no such file or folder"):
        read_results(site / "nothing")


def test_compare_command_digits_checked_by_the_parser(files):
    site, other = files
    proc = subprocess.run([sys.executable, "-m", "helpers", "compare", str(site), str(other), "--digits", "-1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "argument --digits: expected 0 or more decimals, got -1" in proc.stderr


def test_build_refuses_an_unreadable_baseline_before_building(tmp_path, capsys):
    book = make_book(tmp_path / "book")
    assert main(["build", "tiny", "--root", str(book), "--baseline", str(tmp_path / "nothing")]) == 1
    assert capsys.readouterr().err == f"error: --baseline: {tmp_path / 'nothing'}: no such file or folder\n"
    assert not (book / "_build" / "cohorts").exists()


# ---------------------------------------------------------------------------------------
# built sites: the tiny book (tests/tinybook.py) built twice


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny book built as it is, then with ``cohort.scale=2`` and ``--baseline`` the
    first site: ``n_subjects`` is 3, then 6."""
    tmp = tmp_path_factory.mktemp("compare")
    book = make_book(tmp / "book")
    first, second = tmp / "first", tmp / "second"
    build = ("build", "tiny", "--root", str(book), "-j", "1", "--output")
    proc = cli(*build, str(first))
    assert proc.returncode == 0, proc.stderr
    proc = cli(*build, str(second), "--set", "cohort.scale=2", "--baseline", str(first))
    assert proc.returncode == 0, proc.stderr
    return first, second


@pytest.mark.build
def test_build_writes_results_meta_beside_results(two_sites):
    first, _ = two_sites
    meta = json.loads((first / "results-meta.json").read_text())
    results = json.loads((first / "results.json").read_text())
    assert set(meta["results"]) == set(results)
    assert (meta["schema"], meta["cohort"], meta["chapters"]) == ("helpers/results-meta/1", "tiny", ["cohort"])
    # cited as {glue:text}`n_subjects` in the chapter, :d on the landing page: exact
    assert meta["results"]["n_subjects"] == meta_entry("cohort", ["d", "s"])
    assert meta["results"]["analysis_plan_hash"] == meta_entry(None)


@pytest.mark.build
def test_compare_a_site_with_itself_finds_nothing(two_sites):
    first, _ = two_sites
    proc = cli("compare", str(first), str(first))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[2] == "No differences beyond tolerance; 6 results equal."


@pytest.mark.build
def test_compare_two_sites_lists_the_change(two_sites):
    first, second = two_sites
    proc = cli("compare", str(first), str(second))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[2:] == ["1 difference beyond tolerance (1 changed); 5 results equal.", "",
                                            "cohort", "  changed  n_subjects: 3 -> 6 (+3, +100%; exact)"]


@pytest.mark.build
def test_baseline_adds_the_changes_page(two_sites):
    first, second = two_sites
    page = (second / "appendix" / "changes.html").read_text()
    assert f"Changes since {first}" in page
    assert "1 difference beyond tolerance (1 changed); 5 results equal." in page
    assert ('<tr><th scope="row"><code>n_subjects</code></th><td>changed</td><td>3</td><td>6</td><td>+3</td>'
            "<td>+100%</td><td>exact</td></tr>") in page
    assert "<caption>cohort: 1 difference</caption>" in page
    # listed in the table of contents; the first site, built without a baseline, has no such page
    assert 'href="appendix/changes.html"' in (second / "intro.html").read_text()
    assert not (first / "appendix" / "changes.html").exists()
