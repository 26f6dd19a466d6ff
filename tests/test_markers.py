"""Tests of helpers.analyses.markers: the lab and immunology analyses (tidy frames, codes).

Expected values are written out; where a statistic is involved the independent
reference is named in a comment (scipy, statsmodels, or a hand computation). The tables,
figures and glue values are tested in test_present_markers.py, the words in
test_prose_markers.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import markers as mk
from helpers.data import load_cohort

ARM = "TRT01A"
ROOT = Path(__file__).resolve().parents[1]


def _bds(changes: dict[tuple[str, str], dict[int, list[float]]], base: float = 10.0) -> pd.DataFrame:
    """A BDS frame: {(arm, code): {week: [change of subject 1, 2, ...]}}, baseline ``base``."""
    rows = []
    for (arm, code), by_week in changes.items():
        n = len(next(iter(by_week.values())))
        for i in range(n):
            subj = f"{arm}{i + 1}"
            rows.append({"USUBJID": subj, ARM: arm, "PARAMCD": code, "AVISITN": 0, "AVAL": base})
            for week, chg in by_week.items():
                if chg[i] is not None:
                    rows.append({"USUBJID": subj, ARM: arm, "PARAMCD": code, "AVISITN": week, "AVAL": base + chg[i]})
    return pd.DataFrame(rows)


UP = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # scipy.stats.wilcoxon: exact p = 2/64 = 0.03125
ONE_DOWN = [1.0, 2.0, 3.0, -4.0, 5.0, 6.0]  # scipy: p = 0.21875
TWO_DOWN = [1.0, -2.0, 3.0, 4.0, 5.0, 6.0]  # scipy: p = 0.09375
PATTERN = {"X": {2: UP, 4: ONE_DOWN}, "Y": {2: TWO_DOWN, 4: UP}}


def _two_arms() -> pd.DataFrame:
    return _bds({(a, c): w for a in ("A", "B") for c, w in PATTERN.items()})


# ---------------------------------------------------------------------------------------
# names and codes


def test_treated_arms_leave_out_the_reference():
    assert mk.treated_arms(["IL-2", "Placebo"], "Placebo") == ["IL-2"]
    assert mk.treated_arms(["Placebo", "Low", "High"], "Placebo") == ["Low", "High"]
    assert mk.treated_arms(["IL-2"], None) == ["IL-2"]
    assert mk.treated_arms(["A", "B"], None) == ["A", "B"]  # no reference: every arm
    assert mk.treated_arms(["A", "B"], "Z") == ["A", "B"]  # a reference that is not an arm


def test_log_codes_follow_the_definitions():
    assert mk.log_codes(mk.LAB_CODES) == ["DSDNA", "UPROT"]
    assert mk.log_codes(mk.CYTO_CODES) == []
    assert mk.log_codes(["TREGTH17", "XYZ"]) == ["TREGTH17"]


def test_order_rows_arms_then_total_codes_then_weeks():
    df = pd.DataFrame({ARM: ["Total", "B", "A", "A", "A"], "PARAMCD": ["C3", "C3", "C4", "C3", "C3"],
                       "AVISITN": [2, 2, 2, 4, 2]})
    assert mk.order_rows(df, ARM, ["A", "B"], ["C4", "C3"]).values.tolist() == [
        ["A", "C4", 2], ["A", "C3", 2], ["A", "C3", 4], ["B", "C3", 2], ["Total", "C3", 2]]
    assert mk.order_rows(df, ARM, ["B", "A"])[ARM].tolist() == ["B", "A", "A", "A", "Total"]  # codes as they come
    assert mk.order_rows(df.iloc[:0], ARM, ["A"]).empty


def test_normalisation_criteria_are_codes():
    assert mk.NORMALISATION == ("C3", "C4", "COMP", "DSDNA", "UPROT")


# ---------------------------------------------------------------------------------------
# change from baseline


def test_change_tests_holm_family_is_one_marker_in_one_arm():
    from statsmodels.stats.multitest import multipletests

    t = mk.change_tests(_two_arms(), ARM, ["A", "B"], codes=["X", "Y"])
    a = t[t[ARM] == "A"]
    assert a[["PARAMCD", "AVISITN"]].values.tolist() == [["X", 2], ["X", 4], ["Y", 2], ["Y", 4]]
    # raw p: scipy.stats.wilcoxon (exact)
    assert a["p_val"].round(5).tolist() == [0.03125, 0.21875, 0.09375, 0.03125]
    # Holm within X over its two visits: 2 x 0.03125 = 0.0625, then max(0.0625, 0.21875); within Y: 2 x 0.03125,
    # then max(0.0625, 0.09375). statsmodels multipletests(method="holm") on each pair gives the same.
    assert a["p_adj"].round(5).tolist() == [0.0625, 0.21875, 0.09375, 0.0625]
    np.testing.assert_allclose(a["p_adj"].iloc[:2], multipletests(a["p_val"].iloc[:2], method="holm")[1])
    assert a["median_chg"].tolist() == [3.5, 2.5, 3.5, 3.5]
    assert a["family_size"].tolist() == [2, 2, 2, 2]
    b = t[t[ARM] == "B"]
    assert b["p_adj"].round(5).tolist() == [0.0625, 0.21875, 0.09375, 0.0625]  # arms are separate families


def test_change_tests_several_arms_have_no_pooled_rows():
    t = mk.change_tests(_two_arms(), ARM, ["A", "B"])
    assert list(pd.unique(t[ARM])) == ["A", "B"]
    assert t["n"].tolist() == [6] * 8


def test_change_tests_family_size_counts_the_visits_tested():
    # Y is measured at week 2 only in arm A: its family holds one test, X's two
    df = _bds({("A", "X"): {2: UP, 4: ONE_DOWN}, ("A", "Y"): {2: TWO_DOWN}})
    t = mk.change_tests(df, ARM, ["A"])
    assert t[["PARAMCD", "AVISITN", "family_size"]].values.tolist() == [["X", 2, 2], ["X", 4, 2], ["Y", 2, 1]]
    assert round(t["p_adj"].iloc[2], 5) == 0.09375  # a family of one: nothing to adjust


def test_change_tests_one_arm_has_no_total_and_respects_code_order():
    df = _bds({("A", c): w for c, w in PATTERN.items()})
    t = mk.change_tests(df, ARM, ["A"], codes=["Y", "X"])
    assert list(pd.unique(t[ARM])) == ["A"]
    assert list(pd.unique(t["PARAMCD"])) == ["Y", "X"]


def test_change_tests_missing_values_and_empty_arm():
    df = _bds({("A", "X"): {2: [1.0, 2.0, 3.0, None, 5.0, 6.0]}})
    t = mk.change_tests(df, ARM, ["A", "Placebo"])
    assert t[ARM].tolist() == ["A"]
    assert t["n"].tolist() == [5]
    assert t["median_chg"].tolist() == [3.0]
    # scipy.stats.wilcoxon([1, 2, 3, 5, 6]) exact: 2/32
    assert t["p_val"].round(5).tolist() == [0.0625]


def test_change_tests_no_data_gives_an_empty_frame_with_the_columns():
    t = mk.change_tests(_two_arms(), ARM, ["A", "B"], codes=["Z"])
    assert t.empty
    assert list(t.columns) == [ARM, "PARAMCD", "AVISITN", "n", "median_chg", "p_val", "p_adj", "family_size"]


def test_change_tests_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"change_tests: bds lacks columns \['TRT01A'\]"):
        mk.change_tests(_two_arms().drop(columns=ARM), ARM, ["A", "B"])


def test_summarize_levels_by_arm_never_pooled():
    s = mk.summarize_levels(_two_arms(), ARM, ["A", "B"], codes=["X"])
    assert s[[ARM, "AVISITN", "n", "median"]].values.tolist() == [
        ["A", 0, 6, 10.0], ["A", 2, 6, 13.5], ["A", 4, 6, 12.5],
        ["B", 0, 6, 10.0], ["B", 2, 6, 13.5], ["B", 4, 6, 12.5]]
    assert mk.summarize_levels(_two_arms(), ARM, ["B"], codes=["X"])[ARM].unique().tolist() == ["B"]


def test_summarize_levels_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"summarize_levels: bds lacks columns \['AVAL'\]"):
        mk.summarize_levels(_two_arms().drop(columns="AVAL"), ARM, ["A"])


def test_compute_log_without_and_with_shift():
    assert mk.compute_log([1.0, 100.0]).round(4).tolist() == [0.0, 4.6052]
    # smallest positive 0.5, shift 0.25: log(0.25), log(0.75)
    assert mk.compute_log([0.0, 0.5]).round(4).tolist() == [-1.3863, -0.2877]
    out = mk.compute_log([np.nan, 2.0])
    assert math.isnan(out[0]) and round(out[1], 4) == 0.6931


def _balanced(values: dict[str, list[list[float]]]) -> pd.DataFrame:
    """{arm: [[week0, week2, week4] per subject]} for code X."""
    rows = []
    for arm, subjects in values.items():
        for i, vals in enumerate(subjects):
            for week, v in zip((0, 2, 4), vals, strict=True):
                rows.append({"USUBJID": f"{arm}{i}", ARM: arm, "PARAMCD": "X", "AVISITN": week, "AVAL": v})
    return pd.DataFrame(rows)


def test_summarize_models_balanced_data_estimates_are_mean_changes():
    # Complete, balanced data: the REML fixed effects of visit equal the mean change
    # (GLS = OLS), hand-computed: week 2 mean change (1+3+2+2)/4 = 2, week 4 (4+3+5+4)/4 = 4.
    df = _balanced({"A": [[10, 11, 14], [12, 15, 15], [9, 11, 14], [11, 13, 15]]})
    m = mk.summarize_models(df, ARM, ["A"])
    assert m["AVISITN"].tolist() == [2, 4]
    np.testing.assert_allclose(m["estimate"], [2.0, 4.0], atol=1e-6)
    assert m["scale"].tolist() == ["difference", "difference"]
    assert (m["p_adj"] >= m["p_val"]).all()
    assert m["padjust"].unique().tolist() == ["holm"]


def test_summarize_models_log_scale_gives_geometric_mean_ratios():
    # ratios to baseline, week 2: 2, 2, 4, 1; week 4: 4, 4, 2, 4 (hand-computed geometric means below)
    df = _balanced({"A": [[10, 20, 40], [20, 40, 80], [5, 20, 10], [8, 8, 32]]})
    m = mk.summarize_models(df, ARM, ["A"], log=["X"])
    # mean log ratio week 2: (log2 + log2 + log4 + log1)/4 = log 2 ; week 4: (log4 + log4 + log2 + log4)/4 = 1.75 log 2
    np.testing.assert_allclose(m["estimate"], [2.0, 2 ** 1.75], rtol=1e-6)
    assert m["scale"].tolist() == ["ratio", "ratio"]


def test_summarize_models_several_arms_and_too_few_subjects():
    df = _balanced({"A": [[10, 11, 14], [12, 15, 15], [9, 11, 14]], "B": [[10, 10, 10]]})
    m = mk.summarize_models(df, ARM, ["A", "B"])
    assert list(pd.unique(m[ARM])) == ["A"]  # B has one subject: no model; never a pooled model
    assert m["family_size"].tolist() == [2, 2]  # one marker, two visits


def test_summarize_models_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"summarize_models: bds lacks columns \['USUBJID'\]"):
        mk.summarize_models(_balanced({"A": [[1, 2, 3]]}).drop(columns="USUBJID"), ARM, ["A"])


def test_compare_arms_difference_with_balanced_baselines():
    # Baselines 1, 2, 3 in both arms, so the adjusted difference is the difference in
    # mean change (statsmodels OLS chg ~ arm + base): (2+3+3)/3 - (0+1+0)/3 = 7/3.
    df = _balanced({"A": [[1, 3, 3], [2, 5, 5], [3, 6, 6]], "P": [[1, 1, 1], [2, 3, 3], [3, 3, 3]]})
    c = mk.compare_arms(df, 2, ARM, ["A", "P"], "P", equivalence_confidence=0.9)
    assert c[["PARAMCD", ARM, "reference", "scale", "n", "n_arm", "n_reference", "family_size"]].values.tolist() == [
        ["X", "A", "P", "difference", 6, 3, 3, 1]]
    assert round(c["estimate"].iloc[0], 6) == round(7 / 3, 6)
    assert c["ci_low"].iloc[0] < c["estimate"].iloc[0] < c["ci_high"].iloc[0]
    assert c["p_adj"].iloc[0] == c["p_val"].iloc[0]  # one marker: nothing to adjust
    # By hand: the residual sum of squares is 13/12 on 3 degrees of freedom and the baseline is orthogonal to the
    # arm, so SE = sqrt(13/36 x 2/3) = 0.490653; the 90% interval is 7/3 -+ t(0.95, 3) SE, t = 2.353363
    # (R: confint(lm(chg ~ arm + base), level = 0.9)).
    half = 2.353363 * math.sqrt(13 / 36 * 2 / 3)
    assert (c["eq_ci_low"].iloc[0], c["eq_ci_high"].iloc[0]) == pytest.approx((7 / 3 - half, 7 / 3 + half), abs=1e-5)
    assert c["eq_confidence"].iloc[0] == 0.9


def test_compare_arms_log_scale_is_a_ratio():
    # log ratios to baseline: A 2, 4, 1 (geometric mean 2); P 1, 2, 0.5 (geometric mean 1);
    # baselines 10, 20, 40 in both arms -> ratio of geometric mean ratios 2.
    df = _balanced({"A": [[10, 20, 20], [20, 80, 80], [40, 40, 40]], "P": [[10, 10, 10], [20, 40, 40], [40, 20, 20]]})
    c = mk.compare_arms(df, 2, ARM, ["A", "P"], "P", log=["X"])
    assert c["scale"].tolist() == ["ratio"]
    assert c["reference"].tolist() == ["P"]
    assert round(c["estimate"].iloc[0], 6) == 2.0
    assert c["ci_low"].iloc[0] < 2.0 < c["ci_high"].iloc[0]
    assert c["method"].iloc[0].endswith("(log scale)")


def test_compare_arms_skips_a_week_without_the_reference():
    df = _balanced({"A": [[1, 3, 3], [2, 5, 5]], "P": [[1, 1, 1], [2, 3, 3]]})
    df = df[~((df[ARM] == "P") & (df["AVISITN"] == 2))]
    assert mk.compare_arms(df, 2, ARM, ["A", "P"], "P").empty


def test_compare_arms_without_a_reference_arm_is_empty():
    c = mk.compare_arms(_balanced({"A": [[1, 3, 3], [2, 5, 5]]}), 2, ARM, ["A"], None)
    assert c.empty
    assert list(c.columns) == ["PARAMCD", ARM, "reference", "estimate", "ci_low", "ci_high", "p_val", "p_adj", "scale",
                               "n", "n_arm", "n_reference", "padjust", "family_size", "method"]
    e = mk.compare_arms(_balanced({"A": [[1, 3, 3], [2, 5, 5]]}), 2, ARM, ["A"], None, equivalence_confidence=0.9)
    assert list(e.columns)[-3:] == ["eq_ci_low", "eq_ci_high", "eq_confidence"]


def test_compare_arms_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"compare_arms: bds lacks columns \['PARAMCD'\]"):
        mk.compare_arms(_balanced({"A": [[1, 2, 3]]}).drop(columns="PARAMCD"), 2, ARM, ["A"], "P")


def test_compared_arms_in_config_order():
    c = pd.DataFrame({ARM: ["High", "Low", "High"], "PARAMCD": ["C3", "C3", "C4"]})
    assert mk.compared_arms(c, ARM, ["Placebo", "Low", "High"]) == ["Low", "High"]
    assert mk.compared_arms(c.iloc[:0], ARM, ["A"]) == []
    with pytest.raises(ValueError, match=r"compared_arms: comparison lacks columns \['TRT01A'\]"):
        mk.compared_arms(c.drop(columns=ARM), ARM, ["A"])


def test_combine_measures_stacks_and_refuses_a_repeated_parameter():
    a = pd.DataFrame({"PARAMCD": ["TREG", "TH17"], "AVAL": [3.0, 1.0]})
    b = pd.DataFrame({"PARAMCD": ["TREGTH17"], "AVAL": [3.0]})
    assert mk.combine_measures(a, b)["PARAMCD"].tolist() == ["TREG", "TH17", "TREGTH17"]
    with pytest.raises(ValueError, match=r"combine_measures: frame 2 repeats parameters \['TREG'\]"):
        mk.combine_measures(a, a.iloc[:1])
    with pytest.raises(ValueError, match=r"combine_measures: frame 2 lacks columns \['PARAMCD'\]"):
        mk.combine_measures(a, b.drop(columns="PARAMCD"))


# ---------------------------------------------------------------------------------------
# normalisation


def _labs() -> pd.DataFrame:
    ranges = {"C3": (0.9, 1.8), "C4": (0.1, 0.4), "DSDNA": (0.0, 30.0), "UPROT": (0.0, 0.15)}
    values = {  # subject: arm, {code: (week 0, week 10)}
        "S1": ("A", {"C3": (0.5, 1.0), "C4": (0.05, 0.08), "DSDNA": (80.0, 20.0), "UPROT": (1.2, 0.4)}),
        "S2": ("A", {"C3": (0.6, 0.7), "C4": (0.2, 0.2), "DSDNA": (10.0, 12.0), "UPROT": (0.8, None)}),
        "S3": ("B", {"C3": (1.0, 1.1), "C4": (0.05, 0.15), "DSDNA": (50.0, 40.0), "UPROT": (0.1, 0.1)}),
    }
    rows = []
    for subj, (arm, codes) in values.items():
        for code, (v0, v10) in codes.items():
            lo, hi = ranges[code]
            for week, v in ((0, v0), (10, v10)):
                if v is not None:
                    rows.append({"USUBJID": subj, ARM: arm, "PARAMCD": code, "AVISITN": week, "AVAL": v, "ANRLO": lo, "ANRHI": hi})
    return pd.DataFrame(rows)


def test_summarize_normalisation_counts_by_arm_never_pooled():
    s = mk.summarize_normalisation(_labs(), 10, ARM, ["A", "B"])
    assert list(s.columns) == [ARM, "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high", "method"]
    got = {(a, c): (x, n) for a, c, x, n in s[[ARM, "PARAMCD", "responders", "n"]].itertuples(index=False)}
    assert got == {
        ("A", "C3"): (1, 2), ("A", "C4"): (0, 1), ("A", "COMP"): (0, 2), ("A", "DSDNA"): (1, 1), ("A", "UPROT"): (1, 2),
        ("B", "C3"): (0, 0), ("B", "C4"): (1, 1), ("B", "COMP"): (1, 1), ("B", "DSDNA"): (0, 1), ("B", "UPROT"): (0, 0),
    }
    # R binom.test(1, 2)$conf.int: 0.01257912 0.98742088
    row = s[(s[ARM] == "A") & (s["PARAMCD"] == "C3")].iloc[0]
    assert (round(row["ci_low"], 5), round(row["ci_high"], 5)) == (0.01258, 0.98742)
    assert math.isnan(s[(s[ARM] == "B") & (s["PARAMCD"] == "C3")]["rate"].iloc[0])
    mk.check_normalisation(s, ARM, ["A", "B"])


def test_summarize_normalisation_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"summarize_normalisation: adlb lacks columns \['ANRHI'\]"):
        mk.summarize_normalisation(_labs().drop(columns="ANRHI"), 10, ARM, ["A"])


def test_check_normalisation_errors():
    s = mk.summarize_normalisation(_labs(), 10, ARM, ["A", "B"])
    bad = s.copy()
    bad.loc[0, "responders"] = 5
    with pytest.raises(ValueError, match="more subjects normalised"):
        mk.check_normalisation(bad, ARM, ["A", "B"])
    with pytest.raises(ValueError, match=r"normalisation: rows for \['Total'\], which are not arms"):
        mk.check_normalisation(pd.concat([s, s.iloc[:1].assign(**{ARM: "Total"})]), ARM, ["A", "B"])
    bad = s.copy()
    bad.loc[0, "rate"] = 1.5
    with pytest.raises(ValueError, match=r"a rate lies outside \[0, 1\]"):
        mk.check_normalisation(bad, ARM, ["A", "B"])


# ---------------------------------------------------------------------------------------
# correlation and responders


def test_derive_change_pairs_keeps_subjects_with_both():
    x = pd.DataFrame({"USUBJID": ["A", "B", "C", "A"], "AVISITN": [10, 10, 10, 2], "CHG": [1.0, 2.0, 3.0, 9.0], ARM: "IL-2"})
    y = pd.DataFrame({"USUBJID": ["A", "C", "D"], "AVISITN": 10, "CHG": [-4.0, None, 1.0]})
    p = mk.derive_change_pairs(x, y, 10, ARM, ("treg", "sledai"))
    assert p.values.tolist() == [["A", "IL-2", 1.0, -4.0]]
    with pytest.raises(ValueError, match=r"derive_change_pairs: y lacks columns \['CHG'\]"):
        mk.derive_change_pairs(x, y.drop(columns="CHG"), 10, ARM)


def test_derive_change_pairs_one_code_of_several():
    x = pd.DataFrame({"USUBJID": ["A", "A", "B"], "PARAMCD": ["TREG", "TH17", "TREG"], "AVISITN": 10,
                      "CHG": [1.0, -1.0, 2.0], ARM: "IL-2"})
    y = pd.DataFrame({"USUBJID": ["A", "B"], "AVISITN": 10, "CHG": [-4.0, -6.0]})
    p = mk.derive_change_pairs(x, y, 10, ARM, ("treg", "sledai"), code="TREG")
    assert p.values.tolist() == [["A", "IL-2", 1.0, -4.0], ["B", "IL-2", 2.0, -6.0]]
    with pytest.raises(ValueError, match=r"derive_change_pairs: x lacks columns \['PARAMCD'\]"):
        mk.derive_change_pairs(x.drop(columns="PARAMCD"), y, 10, ARM, code="TREG")


def test_summarize_correlation_matches_scipy():
    p = pd.DataFrame({ARM: ["A"] * 5 + ["B"] * 5, "x": [1.0, 2, 3, 4, 5] * 2, "y": [2.0, 1, 4, 3, 5, 5, 4, 2, 3, 1]})
    c = mk.summarize_correlation(p, "x", "y", ARM, ["A", "B"])
    assert c[ARM].tolist() == ["A", "B"]  # never pooled
    # scipy.stats.spearmanr([1,2,3,4,5], [2,1,4,3,5]): r = 0.8, p = 0.104088
    assert round(c["r"].iloc[0], 6) == 0.8
    assert round(c["p_val"].iloc[0], 6) == 0.104088
    assert round(c["r"].iloc[1], 6) == -0.9  # 1 - 6 * 38 / (5 * 24), by hand
    assert c["n"].tolist() == [5, 5]
    with pytest.raises(ValueError, match=r"summarize_correlation: pairs lacks columns \['y'\]"):
        mk.summarize_correlation(p.drop(columns="y"), "x", "y", ARM, ["A"])


def test_derive_response_groups_labels_and_drops_missing_response():
    b = pd.DataFrame({"USUBJID": ["A", "B", "C", "A"], "AVISITN": [10, 10, 10, 2], "CHG": [1.0, 0.5, -0.2, 3.0]})
    r = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 10, "AVAL": [1.0, 0.0, None]})
    g = mk.derive_response_groups(b, r, 10, labels=("R", "NR"))
    assert g[["USUBJID", "CHG", "RESPONSE"]].values.tolist() == [["A", 1.0, "R"], ["B", 0.5, "NR"]]
    with pytest.raises(ValueError, match=r"derive_response_groups: response lacks columns \['AVAL'\]"):
        mk.derive_response_groups(b, r.drop(columns="AVAL"), 10)


def _groups(values: dict[tuple[str, str], tuple[list[float], list[float]]]) -> pd.DataFrame:
    """{(arm, code): (responders' values, non-responders' values)} as response groups."""
    rows = []
    for (arm, code), (r, nr) in values.items():
        rows += [{ARM: arm, "PARAMCD": code, "CHG": v, "RESPONSE": "Responder"} for v in r]
        rows += [{ARM: arm, "PARAMCD": code, "CHG": v, "RESPONSE": "Non-responder"} for v in nr]
    return pd.DataFrame(rows)


def test_compare_responders_matches_scipy_and_adjusts_across_subsets():
    g = _groups({("IL-2", "TREG"): ([3.0, 4.0, 5.0, 1.5], [1.0, 2.0, 6.0]),
                 ("IL-2", "TH17"): ([3.0, 4.0, 5.0], [1.0, 2.0])})
    c = mk.compare_responders(g, ARM, ["IL-2"], codes=["TREG", "TH17"], min_group_size=2)
    assert c[["PARAMCD", "n1", "n2", "u_val", "tested"]].values.tolist() == [["TREG", 4, 3, 7.0, True],
                                                                          ["TH17", 3, 2, 6.0, True]]
    # scipy.stats.mannwhitneyu([3,4,5,1.5], [1,2,6], method="exact"): U = 7, p = 0.857143; ([3,4,5], [1,2]): U = 6,
    # p = 0.2 (no ties, under 50 a group: exact, as R's wilcox.test)
    assert c["p_val"].round(6).tolist() == [0.857143, 0.2]
    assert c["p_adj"].round(6).tolist() == [0.857143, 0.4]  # Holm over the two subsets
    assert c["family_size"].tolist() == [2, 2]
    # Hodges-Lehmann, by hand: the 12 differences for TREG sorted are -4.5, -3, -2, -1, -0.5, 0.5, 1, 2, 2, 3, 3, 4
    # (median 0.75); for TH17 1, 2, 2, 3, 3, 4 (median 2.5). Samples this small reject no shift at 95%
    # (P(U = 0) = 1/35 and 1/10 >= 0.025): the intervals are unbounded, as the p values say.
    assert c["estimate"].tolist() == [0.75, 2.5]
    assert c["ci_low"].tolist() == [-math.inf, -math.inf] and c["ci_high"].tolist() == [math.inf, math.inf]
    # CLES = U / (n1 n2); rank-biserial = 2 CLES - 1
    assert c["cles"].round(6).tolist() == [round(7 / 12, 6), 1.0]
    np.testing.assert_allclose(c["rbc"], 2 * c["cles"] - 1)


def test_compare_responders_interval_agrees_with_the_p_value():
    # 6 responders against 5 non-responders, no ties: exact; C(11, 5) = 462 orderings, of which 12 give U <= 4
    # and 7 give U <= 3, so k_lo = 4 (12/462 >= 0.025 > 7/462): the interval is [D(4), D(27)] of the 30
    # differences, by hand -1, 0.5, 1, 1, ..., 7, 7.5, 8, 8.5, 9 (median of the 15th and 16th, 4 and 4.5), and
    # it excludes 0 exactly when p < 0.05
    g = _groups({("A", "TREG"): ([5.0, 6.5, 7.0, 8.0, 9.5, 10.0], [1.0, 2.0, 3.5, 4.0, 6.0])})
    row = mk.compare_responders(g, ARM, ["A"]).iloc[0]
    d = np.sort(np.subtract.outer([5.0, 6.5, 7.0, 8.0, 9.5, 10.0], [1.0, 2.0, 3.5, 4.0, 6.0]).ravel())
    assert (row["ci_low"], row["ci_high"]) == (d[3], d[26]) == (1.0, 7.5)
    assert row["estimate"] == 4.25 and row["test_method"] == "exact"
    assert row["p_val"] == pytest.approx(2 * 2 / 462)  # U = 29: 2 of 462 orderings give U >= 29 (scipy, exact)
    assert row["ci_low"] > 0 and row["p_val"] < 0.05


def test_compare_responders_small_group_is_described_not_tested():
    # 3 non-responders, below the minimum of 5: sizes, medians and the shift (median of the 18 differences, by
    # hand the 9th and 10th of -0.5, 0.5, 1, 1.5, 2, 2, 2.5, 3, 3, 3.5, ...: 3.25), no p value or interval, and
    # no place in the family of the arm
    g = _groups({("A", "TREG"): ([3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.5]),
                 ("A", "TH17"): ([1.0, 2.0, 3.0, 4.0, 5.0], [0.1, 0.2, 0.3, 0.4, 0.5])})
    c = mk.compare_responders(g, ARM, ["A"], codes=["TREG", "TH17"])
    treg, th17 = c.iloc[0], c.iloc[1]
    assert (treg["n1"], treg["n2"], treg["tested"]) == (6, 3, False)
    assert (treg["median1"], treg["median2"], treg["estimate"]) == (5.5, 2.0, 3.25)
    assert math.isnan(treg["p_val"]) and math.isnan(treg["ci_low"]) and math.isnan(treg["p_adj"])
    assert th17["tested"] and th17["p_adj"] == th17["p_val"]  # a family of one
    assert c["family_size"].tolist() == [1, 1]


def test_compare_responders_empty_group_gives_missing_statistics():
    g = pd.DataFrame({ARM: ["A", "A", "B"], "PARAMCD": "TREG", "CHG": [1.0, 2.0, 3.0],
                      "RESPONSE": ["Responder", "Non-responder", "Responder"]})
    c = mk.compare_responders(g, ARM, ["A", "B"], min_group_size=1)
    assert c[ARM].tolist() == ["A", "B"]  # never pooled
    b = c[c[ARM] == "B"].iloc[0]
    assert (b["n1"], b["n2"], b["tested"]) == (1, 0, False)
    assert math.isnan(b["p_val"]) and math.isnan(b["estimate"]) and math.isnan(b["rbc"])
    assert mk.compare_responders(g.iloc[:0], ARM, ["A"]).empty
    with pytest.raises(ValueError, match=r"compare_responders: groups lacks columns \['RESPONSE'\]"):
        mk.compare_responders(g.drop(columns="RESPONSE"), ARM, ["A"])


def test_significant_codes_per_arm():
    c = pd.DataFrame({ARM: ["A", "A", "B", "B", "B"], "PARAMCD": ["TREG", "TH17", "TREG", "TH17", "NK"],
                      "p_adj": [0.01, 0.2, None, 0.04, 0.001]})
    assert mk.significant_codes(c, ARM, ["A", "B"], 0.05) == {"A": ["TREG"], "B": ["TH17", "NK"]}
    assert mk.significant_codes(c, ARM, ["A", "B", "C"], 0.0001) == {"A": [], "B": [], "C": []}
    with pytest.raises(ValueError, match=r"significant_codes: frame lacks columns \['p_val'\]"):
        mk.significant_codes(c, ARM, ["A"], 0.05, p="p_val")


# ---------------------------------------------------------------------------------------
# directions and claims


@pytest.mark.parametrize(("change", "p", "expected"), [
    (-3.0, 0.049, "down"), (0.5, 0.001, "up"), (-3.0, 0.05, "not_significant"),
    (2.0, float("nan"), "not_significant"), (2.0, None, "not_significant"), (0.0, 0.01, "zero"),
])
def test_compute_direction(change, p, expected):
    assert mk.compute_direction(change, p, 0.05) == expected
    assert expected in mk.DIRECTIONS


@pytest.mark.parametrize(("claimed", "change", "p", "expected"), [
    ("increase", 1.0, 0.01, "supported"), ("increase", -1.0, 0.01, "contradicted"),
    ("increase", 1.0, 0.2, "not_supported"), ("decrease", -1.0, 0.01, "supported"),
    ("decrease", 0.0, 0.01, "not_supported"), ("decrease", -1.0, float("nan"), "not_supported"),
    # a test of difference cannot support "no change": p = 1.0 is absence of evidence, not evidence of absence
    ("none", 0.0, 1.0, "inconclusive"), ("none", 1.0, 0.01, "inconclusive"),
])
def test_compute_verdict(claimed, change, p, expected):
    assert mk.compute_verdict(claimed, change, p, 0.05) == expected
    assert expected in mk.VERDICTS


def test_compute_verdict_unknown_claim_is_an_error():
    with pytest.raises(ValueError, match="claimed must be 'increase', 'decrease' or 'none', got 'up'"):
        mk.compute_verdict("up", 1.0, 0.01, 0.05)


@pytest.mark.parametrize(("low", "high", "margin", "expected"), [
    (-0.2, 0.3, 0.5, "supported"), (-0.2, 0.6, 0.5, "not_supported"), (-0.5, 0.3, 0.5, "not_supported"),
    (0.6, 0.9, 0.5, "contradicted"), (-0.9, -0.5, 0.5, "contradicted"), (-0.2, 0.3, None, "inconclusive"),
    (float("nan"), float("nan"), 0.5, "not_supported"), (-math.inf, math.inf, 0.5, "not_supported"),
])
def test_compute_equivalence_verdict(low, high, margin, expected):
    # TOST at level alpha: the 1 - 2 alpha interval strictly inside (-margin, margin) (Schuirmann, 1987)
    assert mk.compute_equivalence_verdict(low, high, margin) == expected


def test_derive_direction_adds_a_column_without_mutating():
    t = pd.DataFrame({"median_chg": [-2.0, 0.5, 1.0], "p_adj": [0.0004, 0.2, float("nan")]})
    d = mk.derive_direction(t, 0.05)
    assert d["direction"].tolist() == ["down", "not_significant", "not_significant"]
    assert list(t.columns) == ["median_chg", "p_adj"]
    with pytest.raises(ValueError, match=r"derive_direction: frame lacks columns \['p_val'\]"):
        mk.derive_direction(t, 0.05, p="p_val")


def test_derive_comparison_direction_reads_a_ratio_on_the_log_scale():
    c = pd.DataFrame({"estimate": [0.66, 1.26, 1.0, 0.2], "p_adj": [0.016, 0.075, 0.01, 0.001],
                      "scale": ["ratio", "ratio", "ratio", "difference"]})
    assert mk.derive_comparison_direction(c, 0.05)["direction"].tolist() == ["down", "not_significant", "zero", "up"]
    with pytest.raises(ValueError, match=r"derive_comparison_direction: comparison lacks columns \['scale'\]"):
        mk.derive_comparison_direction(c.drop(columns="scale"), 0.05)


#: Changes at week 10 whose 90% Hodges-Lehmann interval is -0.065 to 0.100 (the 11th smallest and largest of the
#: 55 Walsh averages: R wilcox.test(x, conf.int = TRUE, conf.level = 0.9), qsignrank(0.05, 10) = 11).
TH1_CHANGES = [0.1, -0.2, 0.05, 0.0, 0.15, -0.1, 0.2, -0.05, 0.12, -0.08]


def _one_arm_claims(n: int = 40, margins=None, min_group_size: int = 5, changes: bool = True) -> pd.DataFrame:
    t = pd.DataFrame({ARM: "IL-2", "PARAMCD": ["TREG", "TH17", "TH1"], "AVISITN": 10, "n": n,
                      "median_chg": [1.2, 0.3, 0.02], "p_adj": [0.001, 0.02, 1.0]})
    chg = pd.DataFrame({ARM: "IL-2", "PARAMCD": "TH1", "AVISITN": 10, "CHG": TH1_CHANGES})
    return mk.summarize_claims(t, mk.CYTO_CLAIMS[:2] + mk.CYTO_CLAIMS[3:4], 10, ARM, ["IL-2"], 0.05,
                               changes=chg if changes else None, margins=margins, min_group_size=min_group_size)


def test_summarize_claims_one_arm_within_the_arm():
    s = _one_arm_claims()
    assert s[[ARM, "PARAMCD", "claimed", "basis", "direction", "verdict"]].values.tolist() == [
        ["IL-2", "TREG", "increase", "change", "up", "supported"],
        ["IL-2", "TH17", "decrease", "change", "up", "contradicted"],
        ["IL-2", "TH1", "none", "change", "not_significant", "inconclusive"]]  # no margin: no equivalence claim
    assert s["source"].tolist() == ["he2015abstract", "he2016natmed", "he2016natmed"]
    assert s["citation"].tolist() == ["abstract AB0525", "Nat Med 2016", "Nat Med 2016"]
    th1 = s.iloc[2]
    assert (th1["eq_ci_low"], th1["eq_ci_high"], th1["eq_confidence"]) == pytest.approx((-0.065, 0.1, 0.9))
    assert s["reference"].isna().all() and s["ref_n"].isna().all()


def test_summarize_claims_one_arm_equivalence_with_a_margin():
    # 90% interval -0.065 to 0.100: inside +/-0.3, not inside +/-0.08
    wide = _one_arm_claims(margins={"TH1": {"margin": 0.3, "source": "a cited minimal change"}}).iloc[2]
    assert (wide["verdict"], wide["margin"], wide["margin_source"]) == ("supported", 0.3, "a cited minimal change")
    narrow = _one_arm_claims(margins={"TH1": {"margin": 0.08, "source": "x"}}).iloc[2]
    assert narrow["verdict"] == "not_supported"


def test_summarize_claims_small_arm_is_not_tested():
    s = _one_arm_claims(n=4)
    assert s["verdict"].tolist() == ["not_tested"] * 3
    assert _one_arm_claims(n=4, min_group_size=4)["verdict"].tolist()[:2] == ["supported", "contradicted"]


def _two_arm_tests(n_placebo: int = 30) -> pd.DataFrame:
    return pd.DataFrame({ARM: ["IL-2"] * 3 + ["Placebo"] * 3, "PARAMCD": ["TREG", "TH1", "TH2"] * 2, "AVISITN": 12,
                         "n": [28] * 3 + [n_placebo] * 3, "median_chg": [0.9, 0.0, -0.01, -0.1, 0.25, -0.02],
                         "p_adj": [0.0001, 1.0, 1.0, 1.0, 1.0, 1.0]})


def _comparison(eq: bool = True) -> pd.DataFrame:
    c = pd.DataFrame({"PARAMCD": ["TREG", "TH1", "TH2"], ARM: "IL-2", "reference": "Placebo",
                      "estimate": [1.16, -0.36, 0.04], "ci_low": [0.89, -1.46, -0.11], "ci_high": [1.43, 0.73, 0.19],
                      "p_val": [1e-9, 0.512, 0.597], "p_adj": [5e-9, 1.0, 1.0], "scale": "difference"})
    return c.assign(eq_ci_low=[0.93, -1.28, -0.08], eq_ci_high=[1.39, 0.55, 0.16], eq_confidence=0.9) if eq else c


def test_summarize_claims_several_arms_the_comparison_decides():
    margins = {"TH1": {"margin": 1.5, "source": "x"}}
    s = mk.summarize_claims(_two_arm_tests(), [mk.CYTO_CLAIMS[0], *mk.CYTO_CLAIMS[3:]], 12, ARM, ["IL-2", "Placebo"],
                            0.05, reference="Placebo", comparison=_comparison(), margins=margins)
    assert s[ARM].tolist() == ["IL-2"] * 3  # judged in the treated arm only
    assert s[["PARAMCD", "basis", "reference", "verdict"]].values.tolist() == [
        ["TREG", "comparison", "Placebo", "supported"],
        ["TH1", "comparison", "Placebo", "supported"],  # 90% interval -1.28 to 0.55 inside +/-1.5
        ["TH2", "comparison", "Placebo", "inconclusive"]]  # no margin
    treg = s.iloc[0]
    assert (treg["n"], treg["median_chg"], treg["ref_n"], treg["ref_median_chg"]) == (28, 0.9, 30, -0.1)
    assert (treg["effect"], treg["effect_p"], treg["effect_p_unadjusted"], treg["effect_direction"]) == (
        1.16, 5e-9, 1e-9, "up")
    assert (s.iloc[1]["eq_ci_low"], s.iloc[1]["eq_ci_high"]) == (-1.28, 0.55)


def test_summarize_claims_several_arms_ratio_margin_and_missing_rows():
    claims = [mk.Claim("TREGTH17", "none", "k", "ref"), mk.Claim("TREG", "increase", "k", "ref")]
    t = pd.DataFrame({ARM: ["A", "P", "A", "P"], "PARAMCD": ["TREGTH17", "TREGTH17", "TREG", "TREG"], "AVISITN": 12,
                      "n": [20, 20, 20, 3], "median_chg": [0.1, 0.0, 1.0, 0.0], "p_adj": [0.5, 0.9, 0.01, 1.0]})
    c = pd.DataFrame({"PARAMCD": ["TREGTH17", "TREG"], ARM: "A", "reference": "P", "estimate": [1.05, 1.2],
                      "ci_low": [0.85, 0.5], "ci_high": [1.3, 1.9], "p_val": [0.6, 0.01], "p_adj": [0.6, 0.01],
                      "scale": ["ratio", "difference"], "eq_ci_low": [0.9, 0.6], "eq_ci_high": [1.2, 1.8],
                      "eq_confidence": 0.9})
    # a ratio margin of 1.25: log 0.9 = -0.105 and log 1.2 = 0.182 lie inside +/-log 1.25 = 0.223
    s = mk.summarize_claims(t, claims, 12, ARM, ["A", "P"], 0.05, "P", c, margins={"TREGTH17": {"margin": 1.25}})
    assert s["verdict"].tolist() == ["supported", "not_tested"]  # TREG: 3 subjects in the reference arm
    assert math.isnan(s.iloc[1]["effect"])
    s = mk.summarize_claims(t, claims, 12, ARM, ["A", "P"], 0.05, "P", c.iloc[1:], margins={})
    assert s["verdict"].tolist() == ["not_tested", "not_tested"]  # no comparison row for the ratio
    with pytest.raises(ValueError, match=r"equivalence margin of TREGTH17 is a ratio .* it must exceed 1, got 0.8"):
        mk.summarize_claims(t, claims, 12, ARM, ["A", "P"], 0.05, "P", c, margins={"TREGTH17": {"margin": 0.8}})


def test_summarize_claims_errors():
    t, claims = _two_arm_tests(), mk.CYTO_CLAIMS[3:4]
    with pytest.raises(ValueError, match=r"with several arms, a claim is judged by the comparison with the reference "
                                         r"arm \(Placebo\); pass comparison"):
        mk.summarize_claims(t, claims, 12, ARM, ["IL-2", "Placebo"], 0.05, reference="Placebo")
    with pytest.raises(ValueError, match=r"a claim of no change needs the equivalence interval of the comparison"):
        mk.summarize_claims(t, claims, 12, ARM, ["IL-2", "Placebo"], 0.05, "Placebo", _comparison(eq=False))
    with pytest.raises(ValueError, match=r"summarize_claims: comparison lacks columns \['scale'\]"):
        mk.summarize_claims(t, claims, 12, ARM, ["IL-2", "Placebo"], 0.05, "Placebo",
                            _comparison().drop(columns="scale"))
    with pytest.raises(ValueError, match=r"the claim of no change in TH1 has a margin; pass changes"):
        _one_arm_claims(margins={"TH1": {"margin": 0.3}}, changes=False)
    with pytest.raises(ValueError, match=r"equivalence margin of TH1: need \{margin: <number>, source: <text>\}"):
        _one_arm_claims(margins={"TH1": {"source": "x"}})
    with pytest.raises(ValueError, match=r"equivalence margin of TH1 must be positive, got -0.3"):
        _one_arm_claims(margins={"TH1": {"margin": -0.3}})
    with pytest.raises(ValueError, match=r"summarize_claims: tests lacks columns \['n'\]"):
        mk.summarize_claims(t.drop(columns="n"), claims, 12, ARM, ["IL-2"], 0.05)
    with pytest.raises(ValueError, match=r"summarize_claims: changes lacks columns \['CHG'\]"):
        mk.summarize_claims(t, claims, 12, ARM, ["IL-2"], 0.05, changes=t)


def test_check_claims_every_claim_in_every_treated_arm():
    claims = pd.DataFrame({ARM: ["IL-2"], "PARAMCD": ["TREG"], "verdict": ["supported"]})
    mk.check_claims(claims, mk.CYTO_CLAIMS[:1], ARM, ["IL-2", "Placebo"], "Placebo")
    with pytest.raises(ValueError, match=r"claims: 1 judged, expected 2 \(every claim in every treated arm: "
                                         r"\['A', 'B'\]\)"):
        mk.check_claims(claims, mk.CYTO_CLAIMS[:1], ARM, ["A", "B"])
    with pytest.raises(ValueError, match=r"claims: unknown verdicts \['support'\]"):
        mk.check_claims(claims.assign(verdict="support"), mk.CYTO_CLAIMS[:1], ARM, ["IL-2"])


# ---------------------------------------------------------------------------------------
# checks


def test_check_change_tests_passes_and_fails():
    df = _two_arms()
    t = mk.change_tests(df, ARM, ["A", "B"])
    mk.check_change_tests(t, df, ARM, ["A", "B"], ["X", "Y"])
    bad = t.copy()
    bad.loc[0, "p_adj"] = bad.loc[0, "p_val"] / 2
    with pytest.raises(ValueError, match="adjusted p value is smaller"):
        mk.check_change_tests(bad, df, ARM, ["A", "B"], ["X", "Y"])
    bad = t.copy()
    bad.loc[0, "n"] = 99
    with pytest.raises(ValueError, match="more subjects than the arm"):
        mk.check_change_tests(bad, df, ARM, ["A", "B"], ["X", "Y"])
    with pytest.raises(ValueError, match=r"lacks markers \['Y'\]"):
        mk.check_change_tests(t[t["PARAMCD"] == "X"], df, ARM, ["A", "B"], ["X", "Y"])
    bad = t.copy()
    bad.loc[0, "p_val"] = 1.5
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        mk.check_change_tests(bad, df, ARM, ["A", "B"], ["X", "Y"])
    with pytest.raises(ValueError, match=r"change tests: rows for \['Total'\], which are not arms"):
        mk.check_change_tests(pd.concat([t, t.assign(**{ARM: "Total"})]), df, ARM, ["A", "B"], ["X", "Y"])
    bad = t.copy()
    bad["family_size"] = 4  # the old family, every marker at every visit
    with pytest.raises(ValueError, match=r"the family of X in arm A holds 2 tests, not the 4 stated"):
        mk.check_change_tests(bad, df, ARM, ["A", "B"], ["X", "Y"])


def test_check_models_responders_and_correlation():
    mk.check_models(pd.DataFrame({"p_adj": [0.2, None, 1.0]}))
    with pytest.raises(ValueError, match=r"mixed models: an adjusted p value lies outside \[0, 1\]"):
        mk.check_models(pd.DataFrame({"p_adj": [1.2]}))
    cyto = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    mk.check_responders(pd.DataFrame({"n1": [2], "n2": [1]}), cyto)
    with pytest.raises(ValueError, match=r"more responders and non-responders than subjects \(3\)"):
        mk.check_responders(pd.DataFrame({"n1": [2], "n2": [2]}), cyto)
    mk.check_correlation(pd.DataFrame({"r": [-1.0, 0.3, None]}))
    with pytest.raises(ValueError, match=r"a coefficient lies outside \[-1, 1\]"):
        mk.check_correlation(pd.DataFrame({"r": [1.5]}))


# ---------------------------------------------------------------------------------------
# compositions on a cohort (the tiny valid cohort of conftest.py)


def test_marker_by_visit_on_a_cohort(cohort_dir):
    cohort = load_cohort(cohort_dir)
    lab = mk.marker_by_visit(cohort, "adlb")
    s01 = lab[(lab["USUBJID"] == "S01") & (lab["PARAMCD"] == "DSDNA")]
    assert s01[["AVISITN", "AVAL", "BASE", "CHG", ARM]].values.tolist() == [[0, 80.0, 80.0, 0.0, "IL-2"], [2, 20.0, 80.0, -60.0, "IL-2"]]
    assert len(lab) == 5 * 8
    cyto = mk.marker_by_visit(cohort, "adcyto")
    assert len(cyto) == 5 * 6
    assert {"BASE", "ABLFL", "CHG", "PCHG", ARM} <= set(cyto.columns)


def test_ratio_by_visit_on_a_cohort(cohort_dir):
    cohort = load_cohort(cohort_dir)
    r = mk.ratio_by_visit(cohort)
    # conftest: TREG = 2 + week/2, TH17 = 3 + week/2 -> 2/3 at baseline, 3/4 at week 2
    s01 = r[r["USUBJID"] == "S01"]
    assert s01["PARAMCD"].unique().tolist() == ["TREGTH17"]
    np.testing.assert_allclose(s01["AVAL"], [2 / 3, 3 / 4])
    np.testing.assert_allclose(s01["CHG"], [0.0, 3 / 4 - 2 / 3])
    assert r[ARM].tolist() == ["IL-2", "IL-2", "IL-2", "IL-2", "Placebo"]


def test_normalisation_on_a_cohort(cohort_dir):
    cohort = load_cohort(cohort_dir)
    s = mk.summarize_normalisation(mk.marker_by_visit(cohort, "adlb"), 2, ARM, ["IL-2", "Placebo"])
    il2 = s[s[ARM] == "IL-2"]
    got = {c: (x, n) for c, x, n in il2[["PARAMCD", "responders", "n"]].itertuples(index=False)}
    # conftest: S01 C3 0.5 -> 1.0 (normal), DSDNA 80 -> 20, UPROT 1.2 -> 0.2; S02 C3 0.7 -> 0.7
    assert got == {"C3": (1, 2), "C4": (0, 0), "COMP": (1, 2), "DSDNA": (1, 1), "UPROT": (1, 1)}


# ---------------------------------------------------------------------------------------
# the simulated cohorts: the claims read as the design says


def claims_on(cohort_name: str, table: str, claimed, codes, margins=None):
    from dataclasses import replace

    cohort = load_cohort(ROOT / "data" / cohort_name)
    cfg = cohort.config
    arm, arms, ref, week = cfg.population_arm("efficacy"), cohort.arms, cfg.reference_arm, cfg.primary_week
    bds = mk.marker_by_visit(cohort, table)
    tests = mk.change_tests(bds, arm, arms, cfg.baseline_week, codes=codes)
    comparison = mk.compare_arms(bds, week, arm, arms, ref, codes, log=mk.log_codes(codes),
                                 baseline_week=cfg.baseline_week, equivalence_confidence=1 - 2 * cfg.alpha)
    plan = cfg.analysis if margins is None else replace(cfg.analysis, equivalence_margins=margins)
    claims = mk.summarize_claims(tests, claimed, week, arm, arms, cfg.alpha, ref, comparison, bds,
                                 plan.equivalence_margins, plan.min_group_size)
    mk.check_change_tests(tests, bds, arm, arms, codes)
    mk.check_claims(claims, claimed, arm, arms, ref)
    return arm, tests, claims


def test_single_arm_cohort_claims_are_judged_within_the_arm():
    arm, tests, claims = claims_on("nct02084238", "adlb", mk.LAB_CLAIMS, mk.LAB_CODES)
    assert arm == "TRT01A" and set(tests["family_size"]) == {6}  # one marker in one arm: its six visits
    assert claims[["PARAMCD", "basis", "verdict"]].values.tolist() == [
        ["DSDNA", "change", "supported"], ["C3", "change", "supported"], ["C4", "change", "supported"],
        ["UPROT", "change", "supported"]]
    _, _, claims = claims_on("nct02084238", "adcyto", mk.CYTO_CLAIMS, mk.CYTO_CODES)
    assert claims["verdict"].tolist() == ["supported"] * 3 + ["inconclusive"] * 2  # Th1, Th2: no margin


def test_single_arm_cohort_no_change_claims_by_equivalence_with_margins():
    # week 10, 90% Hodges-Lehmann intervals of the change: Th1 -0.78 to 0.50, Th2 -0.05 to 0.08 (percentage points)
    margins = {"TH1": {"margin": 1.0, "source": "x"}, "TH2": {"margin": 0.05, "source": "x"}}
    _, _, claims = claims_on("nct02084238", "adcyto", mk.CYTO_CLAIMS, mk.CYTO_CODES, margins)
    th = claims[claims["PARAMCD"].isin(["TH1", "TH2"])]
    assert th["eq_ci_low"].round(2).tolist() == [-0.78, -0.05] and th["eq_ci_high"].round(2).tolist() == [0.5, 0.08]
    assert th["verdict"].tolist() == ["supported", "not_supported"]


def test_randomized_cohort_claims_are_judged_by_the_comparison():
    arm, tests, claims = claims_on("nct02465580", "adlb", mk.LAB_CLAIMS, mk.LAB_CODES)
    assert arm == "TRT01P"  # intention to treat by the randomized arm
    assert list(pd.unique(tests[arm])) == ["IL-2", "Placebo"] and set(tests["family_size"]) == {9}
    assert claims[[arm, "reference"]].drop_duplicates().values.tolist() == [["IL-2", "Placebo"]]
    # anti-dsDNA: the data carry the paper's Table 2 (medians 34.8 -> 33.0 with IL-2, 73.3 -> 37.6 with placebo,
    # a modest fall in each arm, not significant after Holm); the comparison does not support the claim
    dsdna = claims.iloc[0]
    assert (dsdna["direction"], dsdna["ref_direction"], dsdna["verdict"]) == ("not_significant", "not_significant",
                                                                             "not_supported")
    assert dsdna["effect"] == pytest.approx(0.714, abs=5e-3) and dsdna["effect_p"] == pytest.approx(0.651, abs=5e-3)
    assert claims["verdict"].tolist() == ["not_supported", "supported", "supported", "supported"]
    _, _, claims = claims_on("nct02465580", "adcyto", mk.CYTO_CLAIMS, mk.CYTO_CODES)
    assert claims["verdict"].tolist() == ["supported"] * 3 + ["inconclusive"] * 2
    assert (claims["basis"] == "comparison").all()


# ---------------------------------------------------------------------------------------
# the chapters, run by hand on both simulated cohorts (papermill, as the build runs it)


def run_chapter(chapter: str, cohort_name: str, folder: Path) -> tuple[dict, Path]:
    import papermill as pm

    from helpers.publish.manifest import collect_results

    out, downloads = folder / f"{chapter}-{cohort_name}.ipynb", folder / "downloads"
    pm.execute_notebook(str(ROOT / "chapters" / f"{chapter}.ipynb"), str(out), engine_name="helpers",
                        progress_bar=False,
                        parameters={"cohort_dir": str(ROOT / "data" / cohort_name), "downloads_dir": str(downloads)})
    return collect_results([out]), downloads


@pytest.fixture(scope="module")
def labs_randomized(tmp_path_factory):
    return run_chapter("labs", "nct02465580", tmp_path_factory.mktemp("labs-randomized"))


@pytest.fixture(scope="module")
def immunology_randomized(tmp_path_factory):
    return run_chapter("immunology", "nct02465580", tmp_path_factory.mktemp("immunology-randomized"))


@pytest.fixture(scope="module")
def immunology_single(tmp_path_factory):
    return run_chapter("immunology", "nct02084238", tmp_path_factory.mktemp("immunology-single"))


@pytest.fixture(scope="module")
def labs_single(tmp_path_factory):
    return run_chapter("labs", "nct02084238", tmp_path_factory.mktemp("labs-single"))


#: Per-arm values (``name@arm`` with several arms, bare with one).
LABS_PER_ARM = ("antidsdna_median_change", "antidsdna_median_change_p", "antidsdna_direction", "c3_mm_estimate",
                "labs_norm_complement_rate", "proteinuria_median_primary")
IMMUNO_PER_ARM = ("treg_median_change", "th1_direction", "tregth17_median_change", "immuno_treg_sledai_r",
                  "immuno_treg_resp_shift", "immuno_treg_resp_p", "immuno_resp_significant")


def test_labs_chapter_randomized_cohort_never_pools(labs_randomized):
    results, downloads = labs_randomized
    for name in LABS_PER_ARM:
        assert name not in results and f"{name}@IL-2" in results and f"{name}@Placebo" in results, name
    assert results["labs_arm_var"] == "TRT01P" and results["labs_family_size"] == 9
    # the bare verdict is the comparison's (two arms), as glue_comparisons names it
    assert results["antidsdna_verdict"] == results["antidsdna_verdict@IL-2-vs-Placebo"] == "not supported"
    assert [results[f"{s}_verdict"] for s in ("c3", "c4", "proteinuria")] == ["supported"] * 3
    assert "antidsdna_verdict@IL-2" not in results and "antidsdna_verdict@Placebo" not in results
    assert results["antidsdna_arm_estimate"] == results["antidsdna_arm_estimate@IL-2-vs-Placebo"]
    assert results["labs_claims_answer"].startswith(
        "Judged by the comparison of IL-2 with Placebo, the data support the reported rise in C3, rise in C4 and fall "
        "in proteinuria; they do not support the reported fall in anti-dsDNA. These data are simulated, and the "
        'generator imposed these directions ("')
    assert "In the IL-2 arm: 24-hour proteinuria falls" in results["labs_claims_answer"]
    for table in ("labs-by-visit", "labs-mixed-models", "labs-normalisation", "labs-claims"):
        assert set(pd.read_csv(downloads / f"{table}.csv")["TRT01P"]) <= {"IL-2", "Placebo"}, table  # no Total
    claims = pd.read_csv(downloads / "labs-claims.csv")
    assert claims["imposed"].all() and set(claims["basis"]) == {"comparison"}


def test_immunology_chapter_randomized_cohort(immunology_randomized):
    results, downloads = immunology_randomized
    for name in IMMUNO_PER_ARM:
        assert name not in results and f"{name}@IL-2" in results and f"{name}@Placebo" in results, name
    assert [results[f"{s}_verdict"] for s in ("treg", "th17", "tfh", "th1", "th2")] == [
        "supported"] * 3 + ["inconclusive (no equivalence margin stated)"] * 2
    assert (results["immuno_treg_resp_n_responders@IL-2"], results["immuno_treg_resp_n_nonresponders@IL-2"]) == (
        16, 12)
    assert results["immuno_treg_resp_tested@IL-2"] is True
    # the shift's interval agrees with its unadjusted p
    low, high = results["immuno_th17_resp_shift_ci_low@IL-2"], results["immuno_th17_resp_shift_ci_high@IL-2"]
    assert (results["immuno_th17_resp_p_raw@IL-2"] < 0.05) == (low > 0 or high < 0)
    assert results["immuno_resp_significant@IL-2"] == "none"
    assert "they cannot judge the report that Th1 and Th2 were not modulated: no equivalence margin is stated" in \
        results["immuno_claims_answer"]
    assert set(pd.read_csv(downloads / "immunology-responders.csv")["TRT01P"]) == {"IL-2", "Placebo"}


def test_immunology_chapter_single_arm_small_group_is_not_tested(immunology_single):
    results, _ = immunology_single
    for name in IMMUNO_PER_ARM:
        assert name in results and f"{name}@IL-2" not in results, name
    # 36 responders and 3 non-responders at week 10: described, no test, no interval
    assert (results["immuno_treg_resp_n_responders"], results["immuno_treg_resp_n_nonresponders"]) == (36, 3)
    assert results["immuno_treg_resp_tested"] is False
    assert results["immuno_treg_resp_p"] is None and results["immuno_treg_resp_shift_ci_low"] is None
    assert results["immuno_responders_answer"] == (
        "Responders and non-responders were described but not compared: the smaller group had 3 subjects, fewer than "
        "the 5 the analysis plan requires for a test.")
    assert results["th1_verdict"] == "inconclusive (no equivalence margin stated)"
    assert results["immuno_family_size"] == 6


def test_labs_chapter_single_arm_cohort(labs_single):
    results, _ = labs_single
    for name in LABS_PER_ARM:
        assert name in results and f"{name}@IL-2" not in results, name
    assert [results[f"{s}_verdict"] for s in ("antidsdna", "proteinuria", "c3", "c4")] == ["supported"] * 4
    assert results["labs_claims_answer"].startswith(
        "So the data support the reported fall in anti-dsDNA, rise in C3, rise in C4 and fall in proteinuria. These "
        "data are simulated")
    assert results["labs_control_answer"].startswith("With a single arm")
