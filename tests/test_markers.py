"""Tests of helpers.analyses.markers: the lab and immunology analyses (tidy frames, codes).

Expected values are written out; where a statistic is involved the independent
reference is named in a comment (scipy, statsmodels, or a hand computation). The tables,
figures and glue values are tested in test_present_markers.py, the words in
test_prose_markers.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import markers as mk
from helpers.analyses.arms import total_label
from helpers.data import load_cohort

ARM = "TRT01A"


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


def test_total_is_the_shared_label_one_and_several_arms():
    # markers uses helpers.analyses.arms for "Total or the single arm"
    assert total_label(["IL-2"]) == "IL-2"
    assert total_label(["IL-2", "Placebo"]) == "Total"


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


def test_change_tests_holm_family_is_markers_times_visits_within_each_arm():
    t = mk.change_tests(_two_arms(), ARM, ["A", "B"], codes=["X", "Y"])
    a = t[t[ARM] == "A"]
    assert a[["PARAMCD", "AVISITN"]].values.tolist() == [["X", 2], ["X", 4], ["Y", 2], ["Y", 4]]
    # raw p: scipy.stats.wilcoxon (exact); Holm over the four: statsmodels multipletests(method="holm")
    assert a["p_val"].round(5).tolist() == [0.03125, 0.21875, 0.09375, 0.03125]
    assert a["p_adj"].round(5).tolist() == [0.125, 0.21875, 0.1875, 0.125]
    assert a["median_chg"].tolist() == [3.5, 2.5, 3.5, 3.5]
    assert a["family_size"].unique().tolist() == [4]
    b = t[t[ARM] == "B"]
    assert b["p_adj"].round(5).tolist() == [0.125, 0.21875, 0.1875, 0.125]  # not x8: arms are separate families


def test_change_tests_total_family_with_several_arms():
    from statsmodels.stats.multitest import multipletests

    t = mk.change_tests(_two_arms(), ARM, ["A", "B"])
    assert list(pd.unique(t[ARM])) == ["A", "B", "Total"]
    tot = t[t[ARM] == "Total"]
    assert tot["n"].tolist() == [12, 12, 12, 12]
    np.testing.assert_allclose(tot["p_adj"], multipletests(tot["p_val"], method="holm")[1])


def test_change_tests_one_arm_has_no_total_and_respects_code_order():
    df = _bds({("A", c): w for c, w in PATTERN.items()})
    t = mk.change_tests(df, ARM, ["A"], codes=["Y", "X"])
    assert list(pd.unique(t[ARM])) == ["A"]
    assert list(pd.unique(t["PARAMCD"])) == ["Y", "X"]


def test_change_tests_missing_values_and_empty_arm():
    df = _bds({("A", "X"): {2: [1.0, 2.0, 3.0, None, 5.0, 6.0]}})
    t = mk.change_tests(df, ARM, ["A", "Placebo"])
    assert t[ARM].tolist() == ["A", "Total"]
    assert t["n"].tolist() == [5, 5]
    assert t["median_chg"].tolist() == [3.0, 3.0]
    # scipy.stats.wilcoxon([1, 2, 3, 5, 6]) exact: 2/32
    assert t["p_val"].round(5).tolist() == [0.0625, 0.0625]


def test_change_tests_no_data_gives_an_empty_frame_with_the_columns():
    t = mk.change_tests(_two_arms(), ARM, ["A", "B"], codes=["Z"])
    assert t.empty
    assert list(t.columns) == [ARM, "PARAMCD", "AVISITN", "n", "median_chg", "p_val", "p_adj", "family_size"]


def test_change_tests_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"change_tests: bds lacks columns \['TRT01A'\]"):
        mk.change_tests(_two_arms().drop(columns=ARM), ARM, ["A", "B"])


def test_summarize_levels_by_arm_and_total():
    s = mk.summarize_levels(_two_arms(), ARM, ["A", "B"], codes=["X"])
    assert s[[ARM, "AVISITN", "n", "median"]].values.tolist() == [
        ["A", 0, 6, 10.0], ["A", 2, 6, 13.5], ["A", 4, 6, 12.5],
        ["B", 0, 6, 10.0], ["B", 2, 6, 13.5], ["B", 4, 6, 12.5],
        ["Total", 0, 12, 10.0], ["Total", 2, 12, 13.5], ["Total", 4, 12, 12.5]]


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
    assert list(pd.unique(m[ARM])) == ["A", "Total"]  # B has one subject: no model


def test_summarize_models_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"summarize_models: bds lacks columns \['USUBJID'\]"):
        mk.summarize_models(_balanced({"A": [[1, 2, 3]]}).drop(columns="USUBJID"), ARM, ["A"])


def test_compare_arms_difference_with_balanced_baselines():
    # Baselines 1, 2, 3 in both arms, so the adjusted difference is the difference in
    # mean change (statsmodels OLS chg ~ arm + base): (2+3+3)/3 - (0+1+0)/3 = 7/3.
    df = _balanced({"A": [[1, 3, 3], [2, 5, 5], [3, 6, 6]], "P": [[1, 1, 1], [2, 3, 3], [3, 3, 3]]})
    c = mk.compare_arms(df, 2, ARM, ["A", "P"], "P")
    assert c[["PARAMCD", ARM, "reference", "scale", "n"]].values.tolist() == [["X", "A", "P", "difference", 6]]
    assert round(c["estimate"].iloc[0], 6) == round(7 / 3, 6)
    assert c["ci_low"].iloc[0] < c["estimate"].iloc[0] < c["ci_high"].iloc[0]
    assert c["p_adj"].iloc[0] == c["p_val"].iloc[0]  # one marker: nothing to adjust


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
                               "n", "method"]


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


def test_summarize_normalisation_counts_by_arm_and_total():
    s = mk.summarize_normalisation(_labs(), 10, ARM, ["A", "B"])
    assert list(s.columns) == [ARM, "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high", "method"]
    got = {(a, c): (x, n) for a, c, x, n in s[[ARM, "PARAMCD", "responders", "n"]].itertuples(index=False)}
    assert got == {
        ("A", "C3"): (1, 2), ("A", "C4"): (0, 1), ("A", "COMP"): (0, 2), ("A", "DSDNA"): (1, 1), ("A", "UPROT"): (1, 2),
        ("B", "C3"): (0, 0), ("B", "C4"): (1, 1), ("B", "COMP"): (1, 1), ("B", "DSDNA"): (0, 1), ("B", "UPROT"): (0, 0),
        ("Total", "C3"): (1, 2), ("Total", "C4"): (1, 2), ("Total", "COMP"): (1, 3), ("Total", "DSDNA"): (1, 2),
        ("Total", "UPROT"): (1, 2),
    }
    # R binom.test(1, 2)$conf.int: 0.01257912 0.98742088
    row = s[(s[ARM] == "Total") & (s["PARAMCD"] == "C3")].iloc[0]
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
    bad = s.copy()
    bad.loc[bad[ARM] == "Total", "n"] += 1
    with pytest.raises(ValueError, match="do not add up"):
        mk.check_normalisation(bad, ARM, ["A", "B"])
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
    assert c[ARM].tolist() == ["A", "B", "Total"]
    # scipy.stats.spearmanr([1,2,3,4,5], [2,1,4,3,5]): r = 0.8, p = 0.104088
    assert round(c["r"].iloc[0], 6) == 0.8
    assert round(c["p_val"].iloc[0], 6) == 0.104088
    assert round(c["r"].iloc[1], 6) == -0.9  # 1 - 6 * 38 / (5 * 24), by hand
    assert c["n"].tolist() == [5, 5, 10]
    with pytest.raises(ValueError, match=r"summarize_correlation: pairs lacks columns \['y'\]"):
        mk.summarize_correlation(p.drop(columns="y"), "x", "y", ARM, ["A"])


def test_derive_response_groups_labels_and_drops_missing_response():
    b = pd.DataFrame({"USUBJID": ["A", "B", "C", "A"], "AVISITN": [10, 10, 10, 2], "CHG": [1.0, 0.5, -0.2, 3.0]})
    r = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 10, "AVAL": [1.0, 0.0, None]})
    g = mk.derive_response_groups(b, r, 10, labels=("R", "NR"))
    assert g[["USUBJID", "CHG", "RESPONSE"]].values.tolist() == [["A", 1.0, "R"], ["B", 0.5, "NR"]]
    with pytest.raises(ValueError, match=r"derive_response_groups: response lacks columns \['AVAL'\]"):
        mk.derive_response_groups(b, r.drop(columns="AVAL"), 10)


def test_compute_cles_ci_hanley_mcneil_hand_values():
    # Hand computation, Hanley & McNeil (1982): A = 0.75, n1 = n2 = 10 -> SE = 0.1117228
    lo, hi = mk.compute_cles_ci(0.75, 10, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.531, 0.969)
    # A = 0.5, n1 = 5, n2 = 4: Q1 = 1/3, Q2 = 1/3, SE^2 = (0.25 + 4/12 + 3/12) / 20 = 0.0416667
    lo, hi = mk.compute_cles_ci(0.5, 5, 4, confidence=0.9)
    assert (round(lo, 4), round(hi, 4)) == (round(0.5 - 1.6448536 * math.sqrt(0.25 / 6), 4), round(0.5 + 1.6448536 * math.sqrt(0.25 / 6), 4))
    assert mk.compute_cles_ci(1.0, 3, 2) == (1.0, 1.0)
    assert all(math.isnan(v) for v in mk.compute_cles_ci(0.5, 0, 4))


def test_compare_responders_matches_scipy_and_adjusts_across_subsets():
    g = pd.DataFrame({
        ARM: "IL-2", "PARAMCD": ["TREG"] * 7 + ["TH17"] * 5,
        "CHG": [3.0, 4.0, 5.0, 1.5, 1.0, 2.0, 6.0, 3.0, 4.0, 5.0, 1.0, 2.0],
        "RESPONSE": ["Responder"] * 4 + ["Non-responder"] * 3 + ["Responder"] * 3 + ["Non-responder"] * 2,
    })
    c = mk.compare_responders(g, ARM, ["IL-2"], codes=["TREG", "TH17"])
    assert c[["PARAMCD", "n1", "n2", "u_val"]].values.tolist() == [["TREG", 4, 3, 7.0], ["TH17", 3, 2, 6.0]]
    # scipy.stats.mannwhitneyu([3,4,5,1.5], [1,2,6]): U = 7, p = 0.857143; ([3,4,5], [1,2]): U = 6, p = 0.2
    assert c["p_val"].round(6).tolist() == [0.857143, 0.2]
    assert c["p_adj"].round(6).tolist() == [0.857143, 0.4]  # Holm over two subsets
    # CLES = U / (n1 n2); rank-biserial = 2 CLES - 1
    assert c["cles"].round(6).tolist() == [round(7 / 12, 6), 1.0]
    np.testing.assert_allclose(c["rbc"], 2 * c["cles"] - 1)
    np.testing.assert_allclose(c["rbc_ci_low"], 2 * c["cles_ci_low"] - 1)


def test_compare_responders_empty_group_gives_missing_statistics():
    g = pd.DataFrame({ARM: ["A", "A", "B"], "PARAMCD": "TREG", "CHG": [1.0, 2.0, 3.0],
                      "RESPONSE": ["Responder", "Non-responder", "Responder"]})
    c = mk.compare_responders(g, ARM, ["A", "B"])
    assert c[ARM].tolist() == ["A", "B", "Total"]
    b = c[c[ARM] == "B"].iloc[0]
    assert (b["n1"], b["n2"]) == (1, 0)
    assert math.isnan(b["p_val"]) and math.isnan(b["rbc_ci_low"])
    with pytest.raises(ValueError, match=r"compare_responders: groups lacks columns \['RESPONSE'\]"):
        mk.compare_responders(g.drop(columns="RESPONSE"), ARM, ["A"])


def test_significant_codes_use_the_total_arm():
    c = pd.DataFrame({ARM: ["A", "A", "Total", "Total", "Total"], "PARAMCD": ["TREG", "TH17", "TREG", "TH17", "NK"],
                      "p_adj": [0.01, 0.01, 0.2, 0.04, 0.001]})
    assert mk.significant_codes(c, ARM, ["A", "B"], 0.05) == ["TH17", "NK"]
    assert mk.significant_codes(c, ARM, ["A"], 0.05) == ["TREG", "TH17"]
    assert mk.significant_codes(c[c["PARAMCD"] == "NK"], ARM, ["A", "B"], 0.05) == ["NK"]
    assert mk.significant_codes(c, ARM, ["A", "B"], 0.0001) == []
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
    ("decrease", 0.0, 0.01, "not_supported"), ("none", 1.0, 0.2, "supported"), ("none", 1.0, 0.01, "not_supported"),
    ("none", 1.0, float("nan"), "supported"),
])
def test_compute_verdict(claimed, change, p, expected):
    assert mk.compute_verdict(claimed, change, p, 0.05) == expected
    assert expected in mk.VERDICTS


def test_compute_verdict_unknown_claim_is_an_error():
    with pytest.raises(ValueError, match="claimed must be"):
        mk.compute_verdict("up", 1.0, 0.01, 0.05)


def test_derive_direction_adds_a_column_without_mutating():
    t = pd.DataFrame({"median_chg": [-2.0, 0.5, 1.0], "p_adj": [0.0004, 0.2, float("nan")]})
    d = mk.derive_direction(t, 0.05)
    assert d["direction"].tolist() == ["down", "not_significant", "not_significant"]
    assert list(t.columns) == ["median_chg", "p_adj"]
    with pytest.raises(ValueError, match=r"derive_direction: frame lacks columns \['p_val'\]"):
        mk.derive_direction(t, 0.05, p="p_val")


def test_summarize_claims_every_arm_and_only_the_week():
    t = pd.DataFrame({ARM: ["A", "A", "B", "B", "A"], "PARAMCD": ["TREG", "TH1", "TREG", "TH1", "TREG"],
                      "AVISITN": [10, 10, 10, 10, 2], "n": [20, 20, 19, 19, 20],
                      "median_chg": [1.2, 0.8, -0.1, 0.0, 5.0], "p_adj": [0.001, 0.01, 0.9, 1.0, 0.001]})
    s = mk.summarize_claims(t, mk.CYTO_CLAIMS, 10, ARM, 0.05)
    assert s[[ARM, "PARAMCD", "claimed", "direction", "verdict"]].values.tolist() == [
        ["A", "TREG", "increase", "up", "supported"], ["A", "TH1", "none", "up", "not_supported"],
        ["B", "TREG", "increase", "not_significant", "not_supported"],
        ["B", "TH1", "none", "not_significant", "supported"]]
    assert s["source"].tolist() == ["he2015abstract", "he2016natmed", "he2015abstract", "he2016natmed"]
    with pytest.raises(ValueError, match=r"summarize_claims: tests lacks columns \['n'\]"):
        mk.summarize_claims(t.drop(columns="n"), mk.CYTO_CLAIMS, 10, ARM, 0.05)


def test_summarize_arm_claims_ratio_and_difference():
    c = pd.DataFrame({"PARAMCD": ["UPROT", "C4", "WBC"], ARM: "IL-2", "estimate": [0.66, -0.01, 1.0],
                      "p_adj": [0.016, 0.01, 0.01], "scale": ["ratio", "difference", "difference"]})
    s = mk.summarize_arm_claims(c, mk.LAB_CLAIMS, ARM, 0.05)
    assert s[[ARM, "PARAMCD", "direction", "verdict"]].values.tolist() == [
        ["IL-2", "UPROT", "down", "supported"], ["IL-2", "C4", "down", "contradicted"]]
    assert round(s["effect"].iloc[0], 4) == round(math.log(0.66), 4)
    assert mk.summarize_arm_claims(c.iloc[:0], mk.LAB_CLAIMS, ARM, 0.05).empty


def test_check_claims_every_claim_in_every_arm():
    t = pd.DataFrame({ARM: ["A", "B"], "PARAMCD": "TREG"})
    claims = pd.DataFrame({ARM: ["A", "B"], "PARAMCD": "TREG"})
    mk.check_claims(claims, t, mk.CYTO_CLAIMS[:1], ARM)
    with pytest.raises(ValueError, match=r"claims: 1 judged, expected 2"):
        mk.check_claims(claims.iloc[:1], t, mk.CYTO_CLAIMS[:1], ARM)


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
