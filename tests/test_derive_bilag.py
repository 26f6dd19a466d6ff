"""Tests for helpers.derive.bilag, from the published definitions: the BILAG-2004 numeric
score (Yee et al., Rheumatology 2010;49:1665-9: A 12, B 8, C 1, D 0, E 0; the classic
coding of Stoll et al., Ann Rheum Dis 1996;55:756-60: A 9, B 3, C 1, D 0, E 0), "at least
one A or two B", and flares after baseline (severe: a new A; moderate: two or more new
B). Expected values are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import derive as dv

DOMAINS = ["CONST", "MUCO", "NEURO", "MUSK", "CARDRESP", "GI", "OPHTH", "RENAL", "HAEM"]


def visit(subject: str, week: int, grades: str, label: str | None = None) -> list[dict]:
    """The nine domain rows of one visit; ``grades`` one letter per domain, in order."""
    rows = [{"USUBJID": subject, "AVISITN": week, "PARAMCD": d, "AVALC": g} for d, g in zip(DOMAINS, grades, strict=True)]
    if label is not None:
        for r in rows:
            r["AVISIT"] = label
    return rows


# ---------------------------------------------------------------------------------------
# derive_bilag_score


def test_derive_bilag_score_yee_and_classic_codings():
    # one A, two B, two C, one D, three E
    df = pd.DataFrame(visit("S1", 0, "ABBCCDEEE", "Baseline"))
    yee = dv.derive_bilag_score(df)
    assert yee.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL"]
    assert yee.values.tolist() == [["S1", "Baseline", 0, "BILAG", 30.0]]  # 12 + 8 + 8 + 1 + 1
    assert dv.derive_bilag_score(df, coding="classic")["AVAL"].tolist() == [17.0]  # 9 + 3 + 3 + 1 + 1


def test_derive_bilag_score_extremes():
    df = pd.DataFrame(visit("S1", 0, "AAAAAAAAA") + visit("S2", 0, "EEEEEEEEE") + visit("S3", 0, "DDDDDDDDD"))
    assert dv.derive_bilag_score(df)["AVAL"].tolist() == [108.0, 0.0, 0.0]
    assert dv.derive_bilag_score(df, coding="classic")["AVAL"].tolist() == [81.0, 0.0, 0.0]


def test_derive_bilag_score_custom_coding_and_paramcd():
    df = pd.DataFrame(visit("S1", 4, "BCEEEEEEE"))
    out = dv.derive_bilag_score(df, coding={"A": 4, "B": 2, "C": 1, "D": 0, "E": 0}, paramcd="BILAGNUM")
    assert out[["PARAMCD", "AVAL"]].values.tolist() == [["BILAGNUM", 3.0]]


def test_derive_bilag_score_per_subject_and_visit_sorted():
    df = pd.DataFrame(visit("S2", 0, "BEEEEEEEE") + visit("S1", 4, "CEEEEEEEE") + visit("S1", 0, "AEEEEEEEE"))
    out = dv.derive_bilag_score(df, coding="classic")
    assert out[["USUBJID", "AVISITN", "AVAL"]].values.tolist() == [["S1", 0, 9.0], ["S1", 4, 1.0], ["S2", 0, 3.0]]


def test_derive_bilag_score_incomplete_visit_is_missing():
    rows = visit("S1", 0, "BBEEEEEEE")[:-1] + visit("S2", 0, "BBEEEEEEE")  # S1 lacks HAEM
    out = dv.derive_bilag_score(pd.DataFrame(rows))
    assert np.isnan(out["AVAL"].iloc[0]) and out["AVAL"].iloc[1] == 16.0


def test_derive_bilag_score_blank_grade_or_duplicate_domain_is_missing():
    blank = visit("S1", 0, "BBEEEEEEE")
    blank[0]["AVALC"] = ""
    dup = visit("S2", 0, "BBEEEEEEE")
    dup[-1]["PARAMCD"] = "CONST"  # CONST twice, HAEM missing
    out = dv.derive_bilag_score(pd.DataFrame(blank + dup))
    assert out["AVAL"].isna().tolist() == [True, True]


def test_derive_bilag_score_categorical_input():
    df = pd.DataFrame(visit("S1", 0, "ABCDEEEEE"))
    df["PARAMCD"] = df["PARAMCD"].astype("category")
    df["AVALC"] = df["AVALC"].astype("category")
    assert dv.derive_bilag_score(df)["AVAL"].tolist() == [21.0]


def test_derive_bilag_score_errors():
    df = pd.DataFrame(visit("S1", 0, "ABCDEEEEE"))
    with pytest.raises(ValueError, match="unknown coding 'bilag2004'"):
        dv.derive_bilag_score(df, coding="bilag2004")
    with pytest.raises(ValueError, match=r"no value for grades \['D', 'E'\]"):
        dv.derive_bilag_score(df, coding={"A": 9, "B": 3, "C": 1})
    bad = df.copy()
    bad.loc[0, "AVALC"] = "F"
    with pytest.raises(ValueError, match=r"AVALC must be a BILAG grade .* found \['F'\]"):
        dv.derive_bilag_score(bad)
    other = df.copy()
    other.loc[0, "PARAMCD"] = "SKIN"
    with pytest.raises(ValueError, match=r"unknown BILAG-2004 domains \['SKIN'\]"):
        dv.derive_bilag_score(other)
    with pytest.raises(ValueError, match="AVALC"):
        dv.derive_bilag_score(df.drop(columns="AVALC"))


# ---------------------------------------------------------------------------------------
# derive_bilag_a_or_2b


def test_derive_bilag_a_or_2b_cases():
    df = pd.DataFrame(
        visit("A", 0, "AEEEEEEEE")  # one A
        + visit("B", 0, "BBEEEEEEE")  # two B
        + visit("C", 0, "BCCCCCCCC")  # one B, eight C
        + visit("D", 0, "EEEEEEEEE")
    )
    out = dv.derive_bilag_a_or_2b(df)
    assert out[["USUBJID", "NA", "NB", "A2BFL"]].values.tolist() == [
        ["A", 1, 0, "Y"], ["B", 0, 2, "Y"], ["C", 0, 1, "N"], ["D", 0, 0, "N"],
    ]


def test_derive_bilag_a_or_2b_incomplete_visit():
    qualifies = visit("A", 0, "BBEEEEEEE")[:5]  # two B already: qualifies though incomplete
    unknown = visit("B", 0, "BEEEEEEEE")[:5]  # one B so far: cannot tell
    out = dv.derive_bilag_a_or_2b(pd.DataFrame(qualifies + unknown))
    assert out["A2BFL"].tolist() == ["Y", ""]


# ---------------------------------------------------------------------------------------
# derive_bilag_flares


def test_derive_bilag_flares_severe_moderate_none():
    df = pd.DataFrame(
        visit("S1", 0, "CBDEEEEEE", "Baseline")
        + visit("S1", 4, "BBDEEEEEE", "Week 4")  # CONST C -> B: one new B: no flare
        + visit("S1", 8, "BBBEEEEEE", "Week 8")  # CONST and NEURO new B: moderate
        + visit("S1", 12, "CAEEEEEEE", "Week 12")  # MUCO B -> A: a new A: severe
    )
    out = dv.derive_bilag_flares(df)
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "NEWA", "NEWB", "FLARE", "FLAREFL"]
    assert out[["AVISITN", "NEWA", "NEWB", "FLARE", "FLAREFL"]].values.tolist() == [
        [4, 0.0, 1.0, "none", "N"], [8, 0.0, 2.0, "moderate", "Y"], [12, 1.0, 0.0, "severe", "Y"],
    ]


def test_derive_bilag_flares_a_at_baseline_is_not_new():
    df = pd.DataFrame(visit("S1", 0, "AEEEEEEEE") + visit("S1", 4, "AEEEEEEEE"))
    assert dv.derive_bilag_flares(df)[["NEWA", "FLARE"]].values.tolist() == [[0.0, "none"]]


def test_derive_bilag_flares_no_baseline_grade_is_blank():
    df = pd.DataFrame(visit("S1", 4, "AEEEEEEEE"))
    out = dv.derive_bilag_flares(df)
    assert out[["FLARE", "FLAREFL"]].values.tolist() == [["", ""]]


def test_derive_bilag_flares_other_baseline_week():
    df = pd.DataFrame(visit("S1", -2, "EEEEEEEEE") + visit("S1", 0, "AEEEEEEEE"))
    assert dv.derive_bilag_flares(df, baseline_week=-2)[["AVISITN", "FLARE"]].values.tolist() == [[0, "severe"]]


def test_derive_bilag_flares_missing_column():
    with pytest.raises(ValueError, match="AVALC"):
        dv.derive_bilag_flares(pd.DataFrame({"USUBJID": ["S1"], "AVISITN": [0], "PARAMCD": ["MUCO"]}))


# ---------------------------------------------------------------------------------------
# time to flare and flare counts


FLARES = pd.DataFrame({
    "USUBJID": ["A", "A", "A", "B", "B", "C", "C"],
    "AVISITN": [4, 8, 12, 4, 8, 4, 8],
    "FLARE": ["none", "moderate", "severe", "none", "none", "severe", ""],
})


def test_derive_time_to_flare_any():
    out = dv.derive_time_to_flare(FLARES)
    assert out.columns.tolist() == ["USUBJID", "PARAMCD", "AVAL", "CNSR", "EVNTDESC"]
    assert out[["USUBJID", "PARAMCD", "AVAL", "CNSR", "EVNTDESC"]].values.tolist() == [
        ["A", "TTFLARE", 8.0, 0, "BILAG flare"],
        ["B", "TTFLARE", 8.0, 1, "last assessed visit"],
        ["C", "TTFLARE", 4.0, 0, "BILAG flare"],
    ]


def test_derive_time_to_flare_severe_and_moderate():
    severe = dv.derive_time_to_flare(FLARES, severity="severe")
    assert severe[["USUBJID", "PARAMCD", "AVAL", "CNSR"]].values.tolist() == [
        ["A", "TTSEVFL", 12.0, 0], ["B", "TTSEVFL", 8.0, 1], ["C", "TTSEVFL", 4.0, 0],
    ]
    moderate = dv.derive_time_to_flare(FLARES, severity="moderate")
    # C's week 8 is not assessed (blank): censored at week 4
    assert moderate[["USUBJID", "AVAL", "CNSR"]].values.tolist() == [["A", 8.0, 0], ["B", 8.0, 1], ["C", 4.0, 1]]


def test_derive_flare_count_episodes_and_visits():
    f = pd.DataFrame({
        "USUBJID": ["A"] * 6 + ["B"] * 2,
        "AVISITN": [2, 4, 6, 8, 10, 12, 2, 4],
        "FLARE": ["severe", "severe", "none", "moderate", "", "moderate", "none", "none"],
    })
    out = dv.derive_flare_count(f)
    # A: weeks 2-4 one episode; week 8 and week 12 are consecutive assessed visits (10 blank)
    assert out.values.tolist() == [["A", 2, 4, 5], ["B", 0, 0, 2]]
    assert dv.derive_flare_count(f, severity="severe").values.tolist() == [["A", 1, 2, 5], ["B", 0, 0, 2]]


def test_flare_severity_and_values_refused():
    with pytest.raises(ValueError, match=r"severity must be one of \['any', 'severe', 'moderate'\], got 'mild'"):
        dv.derive_time_to_flare(FLARES, severity="mild")
    bad = FLARES.assign(FLARE="flare")
    with pytest.raises(ValueError, match=r"FLARE must be .* found \['flare'\]"):
        dv.derive_flare_count(bad)
    with pytest.raises(ValueError, match="FLARE"):
        dv.derive_flare_count(FLARES.drop(columns="FLARE"))


def test_derive_time_to_flare_empty():
    out = dv.derive_time_to_flare(FLARES.iloc[:0])
    assert len(out) == 0 and out.columns.tolist() == ["USUBJID", "PARAMCD", "AVAL", "CNSR", "EVNTDESC"]


def test_bilag_derivations_leave_input_unchanged():
    df = pd.DataFrame(visit("S1", 0, "BCEEEEEEE") + visit("S1", 4, "ABEEEEEEE"))
    before = df.copy()
    dv.derive_bilag_score(df)
    dv.derive_bilag_a_or_2b(df)
    dv.derive_flare_count(dv.derive_bilag_flares(df))
    pd.testing.assert_frame_equal(df, before)
