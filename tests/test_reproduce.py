"""Tests for helpers.publish.reproduce (``published.yml`` and the appendix page "Does the
data reproduce the publication?") and helpers.publish.compare.compare_published (a
computed result against a figure at its published rounding)."""

from __future__ import annotations

import json
import math
import re
import textwrap
from pathlib import Path

import pytest
from scipy.stats import chi2_contingency, fisher_exact, ttest_ind_from_stats

from helpers.data.config import read_cohort_config
from helpers.publish.compare import compare_published
from helpers.publish.reproduce import (
    PAGE_TITLE,
    PublishedError,
    read_published,
    reproduce_published,
    reproduction_page,
    reproduction_results,
    stage_reproduction,
    summary_text,
)

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "published.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# compare_published: the rounding rules


@pytest.mark.parametrize(("computed", "published", "rounding", "decimals", "expected"), [
    (0.551724, 55.17, "percent", 2, True),        # 16/29 printed as 55.17%
    (16 / 29, 55.17, "percent", 2, True),
    (0.5522, 55.17, "percent", 2, False),         # 55.22%
    (0.3, 30.00, "percent", 2, True),
    (0.0524, 0.052, "p_value", 3, True),          # the score test's 0.0524 at 3 decimals
    (0.0504, 0.052, "p_value", 3, False),         # Pearson chi-square's 0.0504
    (0.0525, 0.052, "p_value", 3, True),          # a half: to even gives 0.052 ...
    (0.0525, 0.053, "p_value", 3, True),          # ... and up gives 0.053
    (0.0535, 0.054, "p_value", 3, True),          # up and to even agree
    (0.0535, 0.053, "p_value", 3, False),
    (1.5, 1, "decimals", 0, False),               # no convention rounds 1.5 to 1
    (1.5, 2, "decimals", 0, True),
    (2.5, 2, "decimals", 0, True),                # to even
    (2.5, 3, "decimals", 0, True),                # up
    (12.0, 12, "decimals", 0, True),
    (33.45, 33.0, "decimals", 1, False),
    (1.0, 1.000, "p_value", 3, True),
    (0.999999, 1.000, "p_value", 3, True),
])
def test_compare_published_rounding(computed, published, rounding, decimals, expected):
    assert compare_published(computed, published, rounding, decimals)[0] is expected


def test_compare_published_words():
    assert compare_published(16 / 29, 55.17, "percent", 2) == (True, "percent, 2 decimals: rounded half up or half to even")
    assert compare_published(2.3, 2.3, "decimals", 1) == (True, "1 decimal: rounded half up or half to even")
    assert compare_published(16, 16) == (True, "exact")
    assert compare_published(0.00031, 0.001, "p_value", 3, bound="<") == (True, "p-value, 3 decimals: below 0.001")
    assert compare_published(0.5, 0.1, "percent", 1, bound=">") == (True, "percent, 1 decimal: above 0.1")


@pytest.mark.parametrize(("computed", "published", "bound", "expected"), [
    (0.0003, 0.001, "<", True),
    (0.00099, 0.001, "<", True),
    (0.001, 0.001, "<", False),   # "< 0.001" is strictly below
    (0.0012, 0.001, "<", False),
    (0.97, 0.95, ">", True),
    (0.95, 0.95, ">", False),
])
def test_compare_published_bound(computed, published, bound, expected):
    assert compare_published(computed, published, "p_value", 3, bound=bound)[0] is expected


def test_compare_published_exact():
    assert compare_published(16, 16)[0]
    assert compare_published(16.0, 16)[0]
    assert not compare_published(15, 16)[0]
    assert not compare_published(16.4, 16)[0]


@pytest.mark.parametrize("computed", [None, "16", True, float("nan"), [16]])
def test_compare_published_not_a_number_never_agrees(computed):
    assert compare_published(computed, 16)[0] is False
    assert compare_published(computed, 0.052, "p_value", 3)[0] is False


def test_compare_published_errors():
    with pytest.raises(ValueError, match=r"rounding: expected one of \['exact', 'decimals', 'percent', 'p_value'\], got 'percentage'"):
        compare_published(0.5, 50, "percentage", 0)
    with pytest.raises(ValueError, match=r"decimals: rounding 'percent' needs the number of decimals printed \(0 or more\), got None"):
        compare_published(0.5, 50, "percent")
    with pytest.raises(ValueError, match=r"decimals: .* got -1"):
        compare_published(0.5, 50, "decimals", -1)
    with pytest.raises(ValueError, match=r"bound: expected one of \['<', '>'\] or None, got '<='"):
        compare_published(0.5, 0.001, "p_value", 3, bound="<=")
    with pytest.raises(TypeError, match=r"published: expected the printed figure as a number, got '0.05'"):
        compare_published(0.05, "0.05", "p_value", 3)


# ---------------------------------------------------------------------------------------
# read_published: the file and its checks

VALID = """
publications:
  he2020: "He J et al., Ann Rheum Dis 2020;79:141-149"
figures:
  - source: {paper: he2020, table: Abstract, row: SRI-4 at week 12, column: IL-2}
    value: 55.17
    rounding: {percent: 2}
    result: primary_rate@IL-2
  - source: {paper: he2020, table: Abstract, row: SRI-4 at week 12, column: p value}
    value: 0.052
    rounding: {p_value: 3}
    tests:
      - {test: Miettinen-Nurminen score test, result: primary_p}
      - {test: Pearson chi-square test, on_published: 0.0504}
    note: The paper names no test.
  - source: {paper: he2020, table: Table 2, row: SLEDAI p, column: IL-2}
    value: "< 0.001"
    rounding: {p_value: 3}
    tests: [{test: Wilcoxon signed-rank test}]
  - source: {paper: he2020, table: Table 1, row: Weight, column: IL-2}
    value: 54.81
    rounding: {decimals: 2}
    result: null
  - source: {paper: he2020, table: Abstract, row: Randomized}
    value: 60
    rounding: exact
    result: n_enrolled
"""


def test_read_published_valid(tmp_path):
    published = read_published(write(tmp_path, VALID).parent)
    assert published.publications == {"he2020": "He J et al., Ann Rheum Dis 2020;79:141-149"}
    rate, p, sledai, weight, n = published.figures
    assert (rate.paper, rate.table, rate.row, rate.column) == ("he2020", "Abstract", "SRI-4 at week 12", "IL-2")
    assert (rate.value, rate.rounding, rate.decimals, rate.result, rate.line, rate.printed) == \
        (55.17, "percent", 2, "primary_rate@IL-2", 4, "55.17%")
    assert [tuple(t) for t in p.tests] == [("Miettinen-Nurminen score test", "primary_p", None),
                                          ("Pearson chi-square test", None, 0.0504)]
    assert (p.printed, p.result, p.note) == ("0.052", None, "The paper names no test.")
    assert (sledai.value, sledai.bound, sledai.printed) == (0.001, "<", "< 0.001")
    assert (weight.result, weight.printed) == (None, "54.81")
    assert (n.column, n.rounding, n.decimals, n.printed) == (None, "exact", None, "60")


def test_read_published_schema_errors_name_file_line_and_key(tmp_path):
    path = write(tmp_path, """
        publications:
          he2020: "He J et al."
        figures:
          - source: {paper: he2002, table: Abstract, row: SRI-4}
            value: 55.173
            rounding: {percent: 2}
            result: primary_rate@IL-2
          - source: {paper: he2020, table: Abstract, row: p}
            value: 0.052
            rounding: {p_value: 3}
            result: primary_p
          - source: {paper: he2020, table: Abstract, row: n}
            value: "about 40"
            rounding: {decimal: 0}
            reslt: n_enrolled
        """)
    with pytest.raises(PublishedError) as info:
        read_published(path)
    assert str(info.value).splitlines() == [
        f"{path}, line 4, key figures[0].source.paper: 'he2002' is not a key of publications ['he2020'] (did you mean 'he2020'?)",
        f"{path}, line 5, key figures[0].value: 55.173 has more decimals than its rounding (percent: 2)",
        f"{path}, line 8, key figures[1]: a p-value lists the tests tried: tests: [{{test: ..., result: ...}}]",
        f"{path}, line 11, key figures[1].result: a p-value names its results under tests, not result",
        f"{path}, line 13, key figures[2].value: expected the figure as printed: a number, or a bound such as "
        "'< 0.001', got 'about 40'",
        f"{path}, line 14, key figures[2].rounding: expected exact, or a mapping with one of decimals, percent or "
        "p_value (the decimals printed), e.g. {percent: 2}, got {'decimal': 0}",
        f"{path}, line 15, key figures[2].reslt: unknown key (did you mean 'result'?); known keys are "
        "['denominator', 'note', 'result', 'rounding', 'source', 'tests', 'value']",
    ]


def test_read_published_cross_key_errors(tmp_path):
    path = write(tmp_path, """
        publications: {p: A paper}
        figures:
          - source: {paper: p, table: T, row: a}
            value: 120
            rounding: {percent: 0}
            result: x
          - source: {paper: p, table: T, row: a}
            value: 1.5
            rounding: {p_value: 1}
            tests: [{test: t, on_published: 0.5}]
          - source: {paper: p, table: T, row: b}
            value: "< 3"
            rounding: exact
            result: y
          - source: {paper: p, table: T, row: c}
            value: 3
            rounding: exact
            tests: [{test: t}]
          - source: {paper: p, table: T, row: d}
            value: 3
            rounding: exact
            denominator: n
          - source: {paper: p, table: T, row: e}
            value: 3
            rounding: exact
            result: null
            denominator: n
        """)
    with pytest.raises(PublishedError) as info:
        read_published(path)
    assert str(info.value).splitlines() == [
        f"{path}, line 4, key figures[0].value: a percentage is from 0 to 100, got 120",
        f"{path}, line 7, key figures[1].source: this figure is given twice (also figures[0])",
        f"{path}, line 8, key figures[1].value: a p-value is from 0 to 1, got 1.5",
        f"{path}, line 13, key figures[2].rounding: a bound ('< 3') needs the decimals it was printed with, "
        "e.g. {p_value: 3}",
        f"{path}, line 15, key figures[3]: missing required key 'result' (null when the book does not compute "
        "the figure yet)",
        f"{path}, line 18, key figures[3].tests: tests are for a p-value (rounding {{p_value: n}})",
        f"{path}, line 19, key figures[4]: missing required key 'result' (null when the book does not compute "
        "the figure yet)",
        f"{path}, line 27, key figures[5].denominator: a denominator needs a result to divide",
    ]


def test_read_published_duplicate_key_and_bad_yaml(tmp_path):
    path = write(tmp_path, """
        publications: {p: A paper}
        figures:
          - source: {paper: p, table: T, row: a}
            value: 3
            value: 4
            rounding: exact
            result: x
        """)
    with pytest.raises(PublishedError, match=re.escape(f"{path}, line 5, key figures[0].value: duplicate key (first given at line 4)")):
        read_published(path)
    bad = write(tmp_path, "figures: [\n  - {a: 1\n", "bad.yml")
    with pytest.raises(PublishedError, match=re.escape(f"{bad}, line 2: not valid YAML: while parsing a flow node")):
        read_published(bad)


def test_read_published_whole_file_errors(tmp_path):
    with pytest.raises(PublishedError, match=re.escape(f"{tmp_path / 'published.yml'}: no such file (expected a published.yml)")):
        read_published(tmp_path)
    listed = write(tmp_path, "- a\n- b\n")
    with pytest.raises(PublishedError, match="the top level must be a mapping with publications and figures, got list"):
        read_published(listed)
    empty = write(tmp_path, "")
    with pytest.raises(PublishedError, match="the top level must be a mapping with publications and figures, got nothing"):
        read_published(empty)
    latin = tmp_path / "latin.yml"
    latin.write_bytes("publications: {p: Ibáñez}\n".encode("latin-1"))
    with pytest.raises(PublishedError, match=re.escape(f"{latin}: not UTF-8 text")):
        read_published(latin)
    missing = write(tmp_path, "publications: {}\n")
    with pytest.raises(PublishedError) as info:
        read_published(missing)
    assert str(info.value).splitlines() == [
        f"{missing}: missing required key 'figures'",
        f"{missing}, line 1, key publications: expected a mapping of publication keys to their citations, got {{}}",
    ]


# ---------------------------------------------------------------------------------------
# reproduce_published, reproduction_results and the page: a cohort with one deliberate
# mismatch

MISMATCH = """
publications:
  he2020: "He J et al., Ann Rheum Dis 2020;79:141-149"
figures:
  - source: {paper: he2020, table: Abstract, row: SRI-4 at week 12, column: IL-2}
    value: 55.17
    rounding: {percent: 2}
    result: primary_rate@IL-2
  - source: {paper: he2020, table: Abstract, row: SRI-4 at week 24, column: IL-2}
    value: 65.52
    rounding: {percent: 2}
    result: sri4_responders_week24@IL-2
    denominator: primary_n@IL-2
  - source: {paper: he2020, table: Abstract, row: SRI-4 at week 12, column: p value}
    value: 0.052
    rounding: {p_value: 3}
    tests:
      - {test: Miettinen-Nurminen score test, result: primary_p}
      - {test: Pearson chi-square test, on_published: 0.0504}
  - source: {paper: he2020, table: Table 1, row: Weight, column: IL-2}
    value: 54.81
    rounding: {decimals: 2}
    result: null
  - source: {paper: he2020, table: Table 3, row: Serious adverse events, column: Placebo}
    value: 3
    rounding: exact
    result: sae_subjects@Placebo
"""
#: The build's results: the serious adverse events give 2, not the published 3.
RESULTS = {"primary_rate@IL-2": 16 / 29, "sri4_responders_week24@IL-2": 19, "primary_n@IL-2": 29,
           "primary_p": 0.052440898214590026, "sae_subjects@Placebo": 2}


def test_reproduce_published_deliberate_mismatch_first(tmp_path):
    frame = reproduce_published(read_published(write(tmp_path, MISMATCH)), RESULTS)
    assert frame[["row", "column", "published", "computed_text", "status"]].values.tolist() == [
        ["Serious adverse events", "Placebo", "3", "2", "mismatch"],
        ["SRI-4 at week 12", "IL-2", "55.17%", "55.17%", "reproduced"],
        ["SRI-4 at week 24", "IL-2", "65.52%", "65.52%", "reproduced"],
        ["SRI-4 at week 12", "p value", "0.052", "0.052", "reproduced"],
        ["Weight", "IL-2", "54.81", "null", "not_computed"],
    ]
    assert frame["line"].tolist() == [23, 4, 8, 13, 19]
    assert frame.loc[2, "computed"] == pytest.approx(19 / 29)
    assert frame.loc[3, ["result", "test"]].tolist() == ["primary_p", "Miettinen-Nurminen score test"]
    assert [tuple(t) for t in frame.loc[3, "tests"]] == [
        ("Miettinen-Nurminen score test", "primary_p", "book", 0.052440898214590026, True, True),
        ("Pearson chi-square test", None, "published", 0.0504, False, True),
    ]
    assert reproduction_results(frame) == {"published_n": 5, "reproduced_n": 3}


def test_reproduction_page_shows_the_mismatch_first_and_counts_it(tmp_path):
    published = read_published(write(tmp_path, MISMATCH))
    frame = reproduce_published(published, RESULTS)
    page = reproduction_page(frame, published.publications, results_names=RESULTS)
    assert page.startswith(f"# {PAGE_TITLE}\n\n**Of the 5 published figures\\, 3 are reproduced by the data\\; "
                           "1 does not match\\; 1 is not computed by the book yet\\.**\n")
    headings = re.findall(r"^## (.+)$", page, flags=re.M)
    assert headings == ["Publications", "Does not match (1)", "Reproduced (3)", "Not computed by the book yet (1)"]
    mismatch = page.split("## Does not match (1)")[1].split("## Reproduced")[0]
    assert "| he2020\\, Table 3 | Serious adverse events\\, Placebo | 3 | 2 | `sae_subjects@Placebo` |  |" in mismatch
    assert "the check a trial team runs before the book is released" in page
    assert "by construction" not in page
    reproduced = page.split("## Reproduced (3)")[1]
    assert ("Miettinen\\-Nurminen score test, the book's `primary_p`: 0\\.0524 (reproduces it); Pearson chi\\-square "
            "test, on the published figures: 0\\.0504 (does not reproduce it)") in reproduced
    assert "| 55\\.17\\% | 55\\.17\\% \\(0\\.551724\\) | `primary_rate@IL-2` |" in reproduced
    assert "`sri4_responders_week24@IL-2` / `primary_n@IL-2`" in reproduced


def test_reproduction_page_simulated_says_by_construction(tmp_path):
    published = read_published(write(tmp_path, MISMATCH))
    frame = reproduce_published(published, RESULTS)
    page = reproduction_page(frame, published.publications, simulated=True,
                             simulation={"calibrated_to": "He 2020\n", "imposed": ["SRI-4 16 of 29 <b>as published</b>"]})
    assert "Their generator was calibrated to these publications (He 2020), so a figure reproduced here is " \
           "reproduced by construction" in page
    assert "- SRI\\-4 16 of 29 \\<b\\>as published\\<\\/b\\>" in page
    assert "the check a trial team" not in page


def test_reproduction_page_escapes_everything(tmp_path):
    path = write(tmp_path, """
        publications: {x: "<script>alert(1)</script> | `code`"}
        figures:
          - source: {paper: x, table: "T | 1", row: "<img src=x onerror=alert(1)>", column: "*a*"}
            value: 3
            rounding: exact
            result: "n|<b>"
            note: "[link](http://example.com) {glue:text}`x`"
        """)
    published = read_published(path)
    frame = reproduce_published(published, {})
    page = reproduction_page(frame, published.publications)
    outside_code = re.sub(r"(?<!\\)`(?:[^`\\]|\\.)*`", "", page)  # a code span shows its text literally
    assert not re.search(r"(?<!\\)[<>]", outside_code)  # no markup from a file: every < and > escaped
    assert "\\<script\\>alert\\(1\\)\\<\\/script\\> \\| \\`code\\`" in page
    assert "| x\\, T \\| 1 | \\<img src\\=x onerror\\=alert\\(1\\)\\>\\, \\*a\\* | 3 |" in page
    assert "\\[link\\]\\(http\\:\\/\\/example\\.com\\) \\{glue\\:text\\}\\`x\\`" in page
    assert "| `n\\|<b>` | `n\\|<b>`: not in results\\.json; \\[link\\]" in page  # the name only in code spans
    # every table row has as many cells as its header: no "|" from a file opened a cell
    for table in re.findall(r"(?:^\|.*\|\n)+", page, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table


def test_reproduce_published_p_value_statuses(tmp_path):
    path = write(tmp_path, """
        publications: {p: A paper}
        figures:
          - source: {paper: p, table: T, row: second test reproduces}
            value: 0.027
            rounding: {p_value: 3}
            tests: [{test: score, result: p_score}, {test: chisq, result: p_chisq}]
          - source: {paper: p, table: T, row: book differs}
            value: 0.027
            rounding: {p_value: 3}
            tests: [{test: score, result: p_score}, {test: chisq, on_published: 0.0267}]
          - source: {paper: p, table: T, row: book result missing}
            value: 0.027
            rounding: {p_value: 3}
            tests: [{test: score, result: p_scor}]
          - source: {paper: p, table: T, row: reproducible on the published counts}
            value: 0.002
            rounding: {p_value: 3}
            tests: [{test: Fisher, on_published: 0.0020}]
          - source: {paper: p, table: T, row: no test reproduces it}
            value: 0.036
            rounding: {p_value: 3}
            tests: [{test: chisq, on_published: 0.0530}, {test: Fisher, on_published: 0.0968}, {test: rank test}]
          - source: {paper: p, table: T, row: untried}
            value: 0.351
            rounding: {p_value: 3}
            tests: [{test: rank test}]
        """)
    frame = reproduce_published(read_published(path), {"p_score": 0.0280, "p_chisq": 0.0267})
    assert frame[["row", "status", "result", "computed_text", "test"]].values.tolist() == [
        ["book differs", "mismatch", "p_score", "0.028", None],
        ["book result missing", "missing", "p_scor", "null", None],
        ["no test reproduces it", "not_reproduced", None, "null", None],
        ["second test reproduces", "reproduced", "p_chisq", "0.027", "chisq"],
        ["reproducible on the published counts", "not_computed", None, "null", None],
        ["untried", "not_computed", None, "null", None],
    ]
    assert [o.source for o in frame.loc[2, "tests"]] == ["published", "published", "untried"]
    page = reproduction_page(frame, {"p": "A paper"}, results_names=["p_score", "p_chisq"])
    assert "score, the book's `p_scor`: not in results\\.json \\(did you mean \\'p\\_score\\'\\?\\)" in page
    assert "rank test: not tried" in page
    assert summary_text(frame) == ("Of the 6 published figures, 1 is reproduced by the data; 1 does not match; "
                                   "1 names a result missing from results.json; 1 is a p-value no test tried "
                                   "reproduces; 2 are not computed by the book yet.")


def test_reproduce_published_denominators_and_missing_names(tmp_path):
    path = write(tmp_path, """
        publications: {p: A paper}
        figures:
          - source: {paper: p, table: T, row: rate}
            value: 65.52
            rounding: {percent: 2}
            result: k
            denominator: n
          - source: {paper: p, table: T, row: no denominator in results}
            value: 65.52
            rounding: {percent: 2}
            result: k
            denominator: m
          - source: {paper: p, table: T, row: zero denominator}
            value: 0
            rounding: {percent: 0}
            result: k
            denominator: zero
          - source: {paper: p, table: T, row: text result}
            value: 3
            rounding: exact
            result: label
        """)
    frame = reproduce_published(read_published(path), {"k": 19, "n": 29, "zero": 0, "label": "three"})
    assert frame[["row", "status", "computed_text"]].values.tolist() == [
        ["zero denominator", "mismatch", "null"],
        ["text result", "mismatch", "null"],
        ["no denominator in results", "missing", "null"],
        ["rate", "reproduced", "65.52%"],
    ]


def test_reproduce_published_errors(tmp_path):
    published = read_published(write(tmp_path, MISMATCH))
    with pytest.raises(TypeError, match="results: expected results by name .* got list"):
        reproduce_published(published, [1, 2])


def test_stage_reproduction(cohort_dir):
    config = read_cohort_config(cohort_dir)
    assert stage_reproduction(config, RESULTS) == (None, {})
    (cohort_dir / "published.yml").write_text(textwrap.dedent(MISMATCH), encoding="utf-8")
    page, counts = stage_reproduction(config, RESULTS)
    assert counts == {"published_n": 5, "reproduced_n": 3}
    assert page.startswith(f"# {PAGE_TITLE}\n")
    (cohort_dir / "published.yml").write_text("publications: {}\nfigures: []\n", encoding="utf-8")
    with pytest.raises(PublishedError, match=r"published.yml, line 2, key figures: expected a list of published figures, got \[\]"):
        stage_reproduction(config, RESULTS)


# ---------------------------------------------------------------------------------------
# the shipped files


@pytest.mark.parametrize("cohort", ["nct02084238", "nct02465580"])
def test_shipped_published_files_read(cohort):
    published = read_published(ROOT / "data" / cohort)
    assert len(published.figures) == {"nct02084238": 35, "nct02465580": 401}[cohort]


def _figure(published, table, row, column):
    (figure,) = [f for f in published.figures if (f.table, f.row, f.column) == (table, row, column)]
    return figure


def _on_published(figure) -> dict[str, float]:
    return {t.test: t.on_published for t in figure.tests if t.on_published is not None}


def test_shipped_p_values_on_published_figures_are_scipy_s():
    """The on_published p-values of the randomized trial's file, against scipy on the
    published counts (R: chisq.test(correct = FALSE), fisher.test, t.test(var.equal = TRUE))."""
    published = read_published(ROOT / "data" / "nct02465580")

    def fisher(a, n, b, m, alternative="two-sided"):
        return round(float(fisher_exact([[a, n - a], [b, m - b]], alternative=alternative)[1]), 4)

    def chisq(a, n, b, m, correction=False):
        return round(float(chi2_contingency([[a, n - a], [b, m - b]], correction=correction)[1]), 4)

    nephritis = _on_published(_figure(published, "Table 2", "Lupus nephritis, complete remission", "p value"))
    assert nephritis == {
        "Pearson chi-square test without continuity correction": chisq(7, 13, 2, 12),  # 0.0530
        "Pearson chi-square test with continuity correction": chisq(7, 13, 2, 12, True),  # 0.1290
        "Fisher's exact test, two-sided": fisher(7, 13, 2, 12),  # 0.0968
        "Fisher's exact test, one-sided": fisher(7, 13, 2, 12, "greater"),  # 0.0633
    }
    assert list(nephritis.values()) == [0.053, 0.129, 0.0968, 0.0633]
    week12 = _on_published(_figure(published, "Abstract", "SRI-4 response at week 12, IL-2 vs placebo", "p value"))
    assert week12 == {"Pearson chi-square test without continuity correction": 0.0504,
                      "Fisher's exact test, two-sided": 0.0673}
    assert (chisq(16, 29, 9, 30), fisher(16, 29, 9, 30)) == (0.0504, 0.0673)
    week24 = _on_published(_figure(published, "Abstract", "SRI-4 response at week 24, IL-2 vs placebo", "p value"))
    assert week24 == {"Pearson chi-square test without continuity correction": 0.0267,
                      "Fisher's exact test, two-sided": 0.0379}
    assert (chisq(19, 29, 11, 30), fisher(19, 29, 11, 30)) == (0.0267, 0.0379)
    rash = _on_published(_figure(published, "Table 2", "Rash, p week 0 vs 12", "IL-2"))
    assert rash == {"Fisher's exact test, the baseline and week counts taken as independent groups": fisher(13, 29, 2, 29)}
    weight = _on_published(_figure(published, "Table 1", "Weight, kg", "p value"))
    assert weight == {"Student's t-test on the published means and SDs":
                      round(float(ttest_ind_from_stats(54.81, 8.33, 30, 58.69, 8.87, 30).pvalue), 4)} == \
        {"Student's t-test on the published means and SDs": 0.086}


# ---------------------------------------------------------------------------------------
# end to end: the randomized cohort's built site


@pytest.mark.build
def test_followup_site_reproduction_page(followup_site: Path):
    results = json.loads((followup_site / "results.json").read_text())
    published = read_published(ROOT / "data" / "nct02465580")
    own = {k: v for k, v in results.items() if k not in ("published_n", "reproduced_n")}
    frame = reproduce_published(published, own)
    assert results["published_n"] == 401
    assert results["reproduced_n"] == reproduction_results(frame)["reproduced_n"]
    assert results["reproduced_n"] >= 30
    assert "missing" not in set(frame["status"]), frame[frame["status"] == "missing"][["row", "result"]]
    # Every figure of the abstract and Tables 1-3 that the data carry is computed by the
    # book: reproduced, or a mismatch the page explains (a p-value not calibrated, a
    # bracket that is not a range, the paper contradicting itself).
    assert "not_computed" not in set(frame["status"]), frame[frame["status"] == "not_computed"][["row", "column"]]
    assert results["reproduced_n"] >= 320
    assert results["n_allocated@IL-2"] == results["n_allocated@Placebo"] == 30

    def status(table, row, column):
        return frame[(frame["table"] == table) & (frame["row"] == row) & (frame["column"] == column)].iloc[0]

    # the primary end point, as published; its p-value by the pre-specified score test
    for row, column in [("SRI-4 response at week 12 (primary end point)", "IL-2"),
                        ("SRI-4 response at week 12 (primary end point)", "Placebo"),
                        ("SRI-4 responders at week 12", "IL-2"), ("SRI-4 responders at week 24", "Placebo"),
                        ("SRI-4 response at week 24", "IL-2")]:
        assert status("Abstract", row, column)["status"] == "reproduced", (row, column)
    p12 = status("Abstract", "SRI-4 response at week 12, IL-2 vs placebo", "p value")
    assert (p12["status"], p12["test"], p12["computed_text"]) == \
        ("reproduced", "Miettinen-Nurminen score test (the analysis plan's primary test)", "0.052")
    # week 24: the score test gives 0.028; Pearson's chi-square (0.0267) on the published counts gives 0.027
    p24 = status("Abstract", "SRI-4 response at week 24, IL-2 vs placebo", "p value")
    assert (p24["status"], p24["computed_text"]) == ("mismatch", "0.028")
    assert [(o.test, o.agrees) for o in p24["tests"] if o.source == "published"] == [
        ("Pearson chi-square test without continuity correction", True), ("Fisher's exact test, two-sided", False)]
    # lupus nephritis p = 0.036: no standard test gives it, unless the book computes it
    ln = status("Table 2", "Lupus nephritis, complete remission", "p value")
    assert ln["status"] in ("not_reproduced", "mismatch")
    # rash and arthritis: counts reproduced where the book has them, not computed where it has not;
    # their p-values reproduced by Fisher's test on the published counts (or by the book's test)
    rows = frame[frame["row"].isin(["Rash", "Arthritis", "Rash, %", "Arthritis, %"])]
    assert len(rows) == 24
    for r in rows.itertuples():
        assert r.status == ("not_computed" if r.result is None else "reproduced"), (r.row, r.column, r.computed_text)
    for row, arm in [("Rash, p week 0 vs 12", "IL-2"), ("Rash, p week 0 vs 24", "Placebo"),
                     ("Arthritis, p week 0 vs 12", "IL-2"), ("Arthritis, p week 0 vs 24", "Placebo")]:
        p = status("Table 2", row, arm)
        assert p["status"] in ("not_computed", "reproduced"), (row, arm)
        assert [o.agrees for o in p["tests"] if o.source == "published"] == [True], (row, arm)

    html = (followup_site / "appendix" / "reproduction.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html[html.index("<article"):])  # the page itself, not its tables of contents
    assert PAGE_TITLE in text
    assert f"Of the 401 published figures, {results['reproduced_n']} are reproduced by the data" in text
    assert "reproduced by construction" in text
    assert text.index("Does not match (") < text.index("Reproduced (")  # mismatches first
    assert "Not computed by the book yet (" not in text  # every figure the data carry is computed
    assert text.index("SRI-4 response at week 24, IL-2 vs placebo") < text.index("Reproduced (")
    assert 'href="appendix/reproduction.html"' in (followup_site / "intro.html").read_text(encoding="utf-8")
    assert not math.isnan(results["published_n"])


def test_a_malformed_published_yml_stops_the_build_before_anything_runs(tmp_path):
    from tinybook import make_book

    from helpers.publish import build_book

    root = make_book(tmp_path / "book")
    (root / "data" / "tiny" / "published.yml").write_text("publications: {}\nfigures: []\n")
    lines: list[str] = []
    with pytest.raises(PublishedError, match=r"published.yml, line 2, key figures"):
        build_book("tiny", root=root, workers=1, log=lines.append)
    assert lines == []  # not a kernel started, nothing validated
    assert not (root / "_build").exists()
