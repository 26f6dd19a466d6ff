"""Tests of helpers.analyses.markers: lab and immunology compositions, tables and figures.

Expected values are written out; where a statistic is involved the independent
reference is named in a comment (scipy, statsmodels, or a hand computation).
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

from helpers.analyses import markers as mk
from helpers.data import load_cohort

matplotlib.use("Agg")

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
# names and labels


def test_total_label_one_and_several_arms():
    assert mk.total_label(["IL-2"]) == "IL-2"
    assert mk.total_label(["IL-2", "Placebo"]) == "Total"


def test_format_label_units_and_unknown_code():
    assert mk.format_label("DSDNA") == "Anti-dsDNA (IU/mL)"
    assert mk.format_label("UPROT") == "24-hour urine protein (g/24 h)"
    assert mk.format_label("TREG") == "Treg (% of CD4+)"
    assert mk.format_label("NK") == "NK cells (% of lymphocytes)"
    assert mk.format_label("XYZ") == "XYZ"


def test_panels_follow_the_log_scale_flags():
    assert mk.panels(["UPROT", "HGB", "TREGTH17"]) == [
        ("UPROT", "24-hour urine protein (g/24 h)", True), ("HGB", "Haemoglobin (g/L)", False),
        ("TREGTH17", "Treg/Th17 ratio", True)]
    assert mk.panels(["UPROT"], log=False) == [("UPROT", "24-hour urine protein (g/24 h)", False)]
    assert mk.log_codes(mk.CYTO_CODES) == []


def test_glue_stems_cover_every_marker_and_are_unique():
    assert set(mk.MEASURES) <= set(mk.GLUE_STEMS)
    assert len(set(mk.GLUE_STEMS.values())) == len(mk.GLUE_STEMS)


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


def test_change_tests_missing_column_is_an_error():
    with pytest.raises(ValueError, match=r"change_tests: columns \['TRT01A'\]"):
        mk.change_tests(_two_arms().drop(columns=ARM), ARM, ["A", "B"])


def test_summarize_levels_by_arm_and_total():
    s = mk.summarize_levels(_two_arms(), ARM, ["A", "B"], codes=["X"])
    assert s[[ARM, "AVISITN", "n", "median"]].values.tolist() == [
        ["A", 0, 6, 10.0], ["A", 2, 6, 13.5], ["A", 4, 6, 12.5],
        ["B", 0, 6, 10.0], ["B", 2, 6, 13.5], ["B", 4, 6, 12.5],
        ["Total", 0, 12, 10.0], ["Total", 2, 12, 13.5], ["Total", 4, 12, 12.5]]


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


def test_compare_arms_difference_with_balanced_baselines():
    # Baselines 1, 2, 3 in both arms, so the adjusted difference is the difference in
    # mean change (statsmodels OLS chg ~ arm + base): (2+3+3)/3 - (0+1+0)/3 = 7/3.
    df = _balanced({"A": [[1, 3, 3], [2, 5, 5], [3, 6, 6]], "P": [[1, 1, 1], [2, 3, 3], [3, 3, 3]]})
    c = mk.compare_arms(df, 2, ARM, ["A", "P"], "P")
    assert c[["PARAMCD", ARM, "comparison", "scale", "n"]].values.tolist() == [["X", "A", "A - P", "difference", 6]]
    assert round(c["estimate"].iloc[0], 6) == round(7 / 3, 6)
    assert c["ci_low"].iloc[0] < c["estimate"].iloc[0] < c["ci_high"].iloc[0]
    assert c["p_adj"].iloc[0] == c["p_val"].iloc[0]  # one marker: nothing to adjust


def test_compare_arms_log_scale_is_a_ratio():
    # log ratios to baseline: A 2, 4, 1 (geometric mean 2); P 1, 2, 0.5 (geometric mean 1);
    # baselines 10, 20, 40 in both arms -> ratio of geometric mean ratios 2.
    df = _balanced({"A": [[10, 20, 20], [20, 80, 80], [40, 40, 40]], "P": [[10, 10, 10], [20, 40, 40], [40, 20, 20]]})
    c = mk.compare_arms(df, 2, ARM, ["A", "P"], "P", log=["X"])
    assert c["scale"].tolist() == ["ratio"]
    assert c["comparison"].tolist() == ["A vs P"]
    assert round(c["estimate"].iloc[0], 6) == 2.0
    assert c["ci_low"].iloc[0] < 2.0 < c["ci_high"].iloc[0]


def test_compare_arms_skips_a_week_without_the_reference():
    df = _balanced({"A": [[1, 3, 3], [2, 5, 5]], "P": [[1, 1, 1], [2, 3, 3]]})
    df = df[~((df[ARM] == "P") & (df["AVISITN"] == 2))]
    assert mk.compare_arms(df, 2, ARM, ["A", "P"], "P").empty


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
    with pytest.raises(ValueError, match=r"summarize_normalisation: columns \['ANRHI'\]"):
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


# ---------------------------------------------------------------------------------------
# correlation and responders


def test_derive_change_pairs_keeps_subjects_with_both():
    x = pd.DataFrame({"USUBJID": ["A", "B", "C", "A"], "AVISITN": [10, 10, 10, 2], "CHG": [1.0, 2.0, 3.0, 9.0], ARM: "IL-2"})
    y = pd.DataFrame({"USUBJID": ["A", "C", "D"], "AVISITN": 10, "CHG": [-4.0, None, 1.0]})
    p = mk.derive_change_pairs(x, y, 10, ARM, ("treg", "sledai"))
    assert p.values.tolist() == [["A", "IL-2", 1.0, -4.0]]
    with pytest.raises(ValueError, match=r"derive_change_pairs \(y\)"):
        mk.derive_change_pairs(x, y.drop(columns="CHG"), 10, ARM)


def test_summarize_correlation_matches_scipy():
    p = pd.DataFrame({ARM: ["A"] * 5 + ["B"] * 5, "x": [1.0, 2, 3, 4, 5] * 2, "y": [2.0, 1, 4, 3, 5, 5, 4, 2, 3, 1]})
    c = mk.summarize_correlation(p, "x", "y", ARM, ["A", "B"])
    assert c[ARM].tolist() == ["A", "B", "Total"]
    # scipy.stats.spearmanr([1,2,3,4,5], [2,1,4,3,5]): r = 0.8, p = 0.104088
    assert round(c["r"].iloc[0], 6) == 0.8
    assert round(c["p_val"].iloc[0], 6) == 0.104088
    assert round(c["r"].iloc[1], 6) == -0.9  # 1 - 6 * 38 / (5 * 24), by hand
    assert c["n"].tolist() == [5, 5, 10]


def test_derive_response_groups_labels_and_drops_missing_response():
    b = pd.DataFrame({"USUBJID": ["A", "B", "C", "A"], "AVISITN": [10, 10, 10, 2], "CHG": [1.0, 0.5, -0.2, 3.0]})
    r = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 10, "AVAL": [1.0, 0.0, None]})
    g = mk.derive_response_groups(b, r, 10, labels=("R", "NR"))
    assert g[["USUBJID", "CHG", "RESPONSE"]].values.tolist() == [["A", 1.0, "R"], ["B", 0.5, "NR"]]


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


# ---------------------------------------------------------------------------------------
# words


@pytest.mark.parametrize(("change", "p", "expected"), [
    (-3.0, 0.049, "fell"), (0.5, 0.001, "rose"), (-3.0, 0.05, "did not change significantly"),
    (2.0, float("nan"), "did not change significantly"), (0.0, 0.01, "did not change in median"),
])
def test_format_direction(change, p, expected):
    assert mk.format_direction(change, p, 0.05) == expected


@pytest.mark.parametrize(("claimed", "change", "p", "expected"), [
    ("increase", 1.0, 0.01, "support"), ("increase", -1.0, 0.01, "contradict"), ("increase", 1.0, 0.2, "do not support"),
    ("decrease", -1.0, 0.01, "support"), ("decrease", 0.0, 0.01, "do not support"),
    ("none", 1.0, 0.2, "support"), ("none", 1.0, 0.01, "do not support"), ("none", 1.0, float("nan"), "support"),
])
def test_format_verdict(claimed, change, p, expected):
    assert mk.format_verdict(claimed, change, p, 0.05) == expected


def test_format_verdict_unknown_claim_is_an_error():
    with pytest.raises(ValueError, match="claimed must be"):
        mk.format_verdict("up", 1.0, 0.01, 0.05)


def test_summarize_claims_every_arm_and_only_the_week():
    t = pd.DataFrame({ARM: ["A", "A", "B", "B", "A"], "PARAMCD": ["TREG", "TH1", "TREG", "TH1", "TREG"],
                      "AVISITN": [10, 10, 10, 10, 2], "n": [20, 20, 19, 19, 20],
                      "median_chg": [1.2, 0.8, -0.1, 0.0, 5.0], "p_adj": [0.001, 0.01, 0.9, 1.0, 0.001]})
    s = mk.summarize_claims(t, mk.CYTO_CLAIMS, 10, ARM, 0.05)
    assert s[[ARM, "PARAMCD", "claimed", "direction", "verdict"]].values.tolist() == [
        ["A", "TREG", "increase", "rose", "support"], ["A", "TH1", "none", "rose", "do not support"],
        ["B", "TREG", "increase", "did not change significantly", "do not support"],
        ["B", "TH1", "none", "did not change significantly", "support"]]
    assert s["source"].tolist() == ["he2015abstract", "he2016natmed", "he2015abstract", "he2016natmed"]


def test_format_significant_uses_the_total_arm():
    c = pd.DataFrame({ARM: ["A", "A", "Total", "Total", "Total"], "PARAMCD": ["TREG", "TH17", "TREG", "TH17", "NK"],
                      "p_adj": [0.01, 0.01, 0.2, 0.04, 0.001]})
    assert mk.format_significant(c, ARM, ["A", "B"], 0.05) == "Th17 and NK cells"
    assert mk.format_significant(c, ARM, ["A"], 0.05) == "Treg and Th17"
    assert mk.format_significant(c[c["PARAMCD"] == "NK"], ARM, ["A", "B"], 0.05) == "NK cells"
    assert mk.format_significant(c, ARM, ["A", "B"], 0.0001) == "none"


def test_summarize_arm_claims_ratio_and_difference():
    c = pd.DataFrame({"PARAMCD": ["UPROT", "C4", "WBC"], ARM: "IL-2", "estimate": [0.66, -0.01, 1.0],
                      "p_adj": [0.016, 0.01, 0.01], "scale": ["ratio", "difference", "difference"]})
    s = mk.summarize_arm_claims(c, mk.LAB_CLAIMS, ARM, 0.05)
    assert s[[ARM, "PARAMCD", "direction", "verdict"]].values.tolist() == [
        ["IL-2", "UPROT", "lower", "support"], ["IL-2", "C4", "lower", "contradict"]]
    assert round(s["effect"].iloc[0], 4) == round(math.log(0.66), 4)
    assert mk.summarize_arm_claims(c.iloc[:0], mk.LAB_CLAIMS, ARM, 0.05).empty


def test_comparison_values_first_compared_arm_only():
    c = pd.DataFrame({"PARAMCD": ["C3", "C3", "C4"], ARM: ["A", "B", "A"], "estimate": [0.2, 0.1, 0.05]})
    assert mk.comparison_values(c, ARM, {"arm_estimate": "estimate"}) == [("c3_arm_estimate", 0.2), ("c4_arm_estimate", 0.05)]


def test_derive_direction_and_p_text_add_columns_without_mutating():
    t = pd.DataFrame({"median_chg": [-2.0, 0.5, 1.0], "p_adj": [0.0004, 0.2, float("nan")]})
    d = mk.derive_p_text(mk.derive_direction(t, 0.05))
    assert d["direction"].tolist() == ["fell", "did not change significantly", "did not change significantly"]
    assert d["p_text"].tolist() == ["p < 0.001", "p = 0.200", "p not computed"]
    assert list(t.columns) == ["median_chg", "p_adj"]
    with pytest.raises(ValueError, match=r"derive_p_text: columns \['p_val'\]"):
        mk.derive_p_text(t, "p_val")


def test_format_by_arm_with_missing_arm():
    t = pd.DataFrame({ARM: ["A"], "PARAMCD": "PLAT", "AVISITN": 10, "median_chg": [41.0], "p_adj": [0.00002]})
    assert mk.format_by_arm(t, "PLAT", ARM, ["A", "B"], week=10) == "+41 with A (p < 0.001) and no data with B"
    assert mk.format_by_arm(t, "PLAT", ARM, ["A"], digits=1) == "+41.0 with A (p < 0.001)"


def test_glue_values_one_arm_and_several():
    t = pd.DataFrame({ARM: ["A"], "PARAMCD": ["DSDNA"], "AVISITN": [10], "median_chg": [np.float64(-45.4)], "p_adj": [0.001]})
    got = mk.glue_values(t, ARM, ["A"], {"median_change": "median_chg", "median_change_p": "p_adj"}, week=10)
    assert got == [("antidsdna_median_change", {"A": -45.4}, -45.4), ("antidsdna_median_change_p", {"A": 0.001}, 0.001)]
    assert type(got[0][2]) is float
    t = pd.DataFrame({ARM: ["A", "Total"], "PARAMCD": "C3", "rate": [0.5, 0.25]})
    assert mk.glue_values(t, ARM, ["A", "B"], {"": "rate"}, prefix="labs_norm_") == [
        ("labs_norm_c3", {"A": 0.5, "B": None}, 0.25)]


# ---------------------------------------------------------------------------------------
# tables


def test_marker_visit_table_cells_and_csv():
    df = _two_arms()
    tests = mk.change_tests(df, ARM, ["A", "B"], codes=["X"])
    levels = mk.summarize_levels(df, ARM, ["A", "B"], codes=["X"])
    t = mk.marker_visit_table(levels, tests, ARM, ["A", "B"], {0: "Baseline", 2: "Week 2", 4: "Week 4"}, "x-change", "X")
    assert list(t.display.columns) == ["Marker", "Visit", "A", "B", "Total"]
    assert t.display["Visit"].tolist() == ["Baseline", "Week 2", "Week 4"]
    assert t.display["A"].tolist() == [
        "10.00 [10.00, 10.00]",
        "13.50 [12.25, 14.75]; change +3.50 [+2.25, +4.75], p = 0.062",
        "12.50 [11.25, 14.50]; change +2.50 [+1.25, +4.50], p = 0.219",
    ]
    assert t.groupname == "Marker"
    assert len(t.data) == 9 and {"p_val", "p_adj", "n_paired", "q1"} <= set(t.data.columns)
    assert "Holm-adjusted within each column (all visits)" in t.notes[0]


def test_model_table_ratio_and_difference_rows():
    m = pd.DataFrame({ARM: "A", "PARAMCD": ["DSDNA", "C3"], "AVISITN": 10, "estimate": [0.38, 0.31], "ci_low": [0.33, 0.26],
                      "ci_high": [0.45, 0.36], "p_val": [1e-5, 0.02], "p_adj": [2e-5, 0.04], "scale": ["ratio", "difference"],
                      "converged": [True, False], "padjust": "holm"})
    t = mk.model_table(m, ARM, ["A"], {10: "Week 10"}, "labs-models", "Models")
    assert t.display.values.tolist() == [
        ["Anti-dsDNA (IU/mL): ratio to baseline", "Week 10", "0.38 (0.33 to 0.45), p < 0.001"],
        ["C3 (g/L): difference from baseline", "Week 10", "0.31 (0.26 to 0.36), p = 0.040 (did not converge)"]]


def test_arm_comparison_table_columns():
    rows = pd.DataFrame({"PARAMCD": ["UPROT"], ARM: ["IL-2"], "comparison": ["IL-2 vs Placebo"], "estimate": [0.5],
                         "ci_low": [0.3], "ci_high": [0.8], "p_val": [0.004], "p_adj": [0.03], "scale": ["ratio"]})
    t = mk.arm_comparison_table(rows, ARM, "labs-arms", "Arms")
    assert t.display.values.tolist() == [["24-hour urine protein (g/24 h)", "IL-2 vs Placebo", "ratio of geometric mean ratios",
                                          "0.50 (0.30 to 0.80)", "0.004", "0.030"]]


def test_normalisation_table_shows_zero_denominators():
    s = mk.summarize_normalisation(_labs(), 10, ARM, ["A", "B"])
    t = mk.normalisation_table(s, ARM, ["A", "B"], "Week 10")
    assert list(t.display.columns) == ["Criterion", "A", "B", "Total"]
    first = t.display.iloc[0]
    assert first["Criterion"] == "Low C3 became normal"
    assert first["A"] == "1/2 (50.0%) [1.3-98.7]"
    assert first["B"] == "0/0"


def test_claims_table_cells():
    t = pd.DataFrame({ARM: "A", "PARAMCD": ["DSDNA", "C4"], "AVISITN": 10, "n": 40,
                      "median_chg": [-45.4, 0.0], "p_adj": [0.00001, 0.6]})
    s = mk.summarize_claims(t, mk.LAB_CLAIMS, 10, ARM, 0.05)
    tab = mk.claims_table(s, ARM, ["A"], "Week 10", "labs-claims", "Claims")
    assert tab.display.values.tolist() == [
        ["Anti-dsDNA (IU/mL)", "decrease (abstract AB0525)", "-45.4, p < 0.001: supported"],
        ["C4 (g/L)", "increase (abstract AB0525)", "+0.00, p = 0.600: not supported"]]


def test_responder_and_correlation_tables():
    g = pd.DataFrame({ARM: "A", "PARAMCD": "TREG", "CHG": [3.0, 4.0, 5.0, 1.0, 2.0],
                      "RESPONSE": ["Responder"] * 3 + ["Non-responder"] * 2})
    c = mk.compare_responders(g, ARM, ["A"])
    t = mk.responder_table(c, ARM, ["A"], "Week 10")
    assert list(t.display.columns) == ["Subset", "n (R / NR)", "Median, responders", "Median, non-responders",
                                       "Rank-biserial r (95% CI)", "CLES", "p", "Adjusted p"]
    assert t.display.iloc[0].tolist()[:4] == ["Treg (% of CD4+)", "3 / 2", "4.00", "1.50"]
    assert "change from baseline at Week 10" in t.notes[0]
    corr = pd.DataFrame({ARM: ["A"], "n": [39], "r": [-0.396], "ci_low": [-0.63], "ci_high": [-0.09], "p_val": [0.0126]})
    ct = mk.correlation_table(corr, ARM, "Treg", "SLEDAI-2K", "Week 10")
    assert ct.display.values.tolist() == [["A", "39", "-0.40 (-0.63 to -0.09)", "0.013"]]


def test_effect_size_rows_several_arms_order():
    c = pd.DataFrame({ARM: ["B", "A", "A"], "PARAMCD": ["TREG", "TREG", "TH17"], "rbc": [0.1, 0.5, -0.2],
                      "rbc_ci_low": [-0.2, 0.1, -0.6], "rbc_ci_high": [0.4, 0.8, 0.2], "p_adj": [0.9, 0.02, 0.5]})
    r = mk.effect_size_rows(c, ARM, ["A", "B"])
    assert r["label"].tolist() == ["Treg (A)", "Treg (B)", "Th17 (A)"]
    assert r["group"].tolist() == ["A", "B", "A"]


# ---------------------------------------------------------------------------------------
# figures


def test_paired_arms_figure_panels_one_and_several_arms():
    import matplotlib.pyplot as plt

    df = pd.DataFrame({"PARAMCD": ["C3", "C3", "C4", "C4"], ARM: ["A", "B", "A", "B"],
                       "BASE": [0.5, 0.6, 0.1, 0.2], "AVAL": [0.9, 0.5, 0.2, 0.2]})
    p = mk.panels(["C3", "C4"])
    fig = mk.paired_arms_figure(df, p, ARM, ["A", "B"], second_label="Week 10")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["C3 (g/L)", "C4 (g/L)"]
    assert [t.get_text() for t in visible[0].get_xticklabels()] == ["A\nBaseline", "A\nWeek 10", "B\nBaseline", "B\nWeek 10"]
    plt.close(fig)
    fig = mk.paired_arms_figure(df[df[ARM] == "A"], p, ARM, ["A"], second_label="Week 10")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Baseline", "Week 10"]
    plt.close(fig)


def test_scatter_figure_one_collection_per_arm():
    import matplotlib.pyplot as plt

    df = pd.DataFrame({ARM: ["A", "A", "B"], "x": [1.0, 2.0, 3.0], "y": [-1.0, -3.0, 0.0]})
    fig = mk.scatter_figure(df, "x", "y", ARM, ["A", "B", "C"], "Treg change", "SLEDAI-2K change")
    ax = fig.axes[0]
    assert len(ax.collections) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A (n=2)", "B (n=1)"]
    assert ax.get_xlabel() == "Treg change"
    plt.close(fig)


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


# ---------------------------------------------------------------------------------------
# compositions on a cohort (the tiny valid cohort of conftest.py)


def test_lab_and_cyto_by_visit_on_a_cohort(cohort_dir):
    cohort = load_cohort(cohort_dir)
    lab = mk.lab_by_visit(cohort)
    s01 = lab[(lab["USUBJID"] == "S01") & (lab["PARAMCD"] == "DSDNA")]
    assert s01[["AVISITN", "AVAL", "BASE", "CHG", ARM]].values.tolist() == [[0, 80.0, 80.0, 0.0, "IL-2"], [2, 20.0, 80.0, -60.0, "IL-2"]]
    assert len(lab) == 5 * 8
    cyto = mk.cyto_by_visit(cohort)
    assert len(cyto) == 5 * 6


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
    s = mk.summarize_normalisation(mk.lab_by_visit(cohort), 2, ARM, ["IL-2", "Placebo"])
    got = s[s[ARM] == "IL-2"].set_index("PARAMCD")[["responders", "n"]].to_dict("index")
    # conftest: S01 C3 0.5 -> 1.0 (normal), DSDNA 80 -> 20, UPROT 1.2 -> 0.2; S02 C3 0.7 -> 0.7
    assert got == {"C3": {"responders": 1, "n": 2}, "C4": {"responders": 0, "n": 0}, "COMP": {"responders": 1, "n": 2},
                   "DSDNA": {"responders": 1, "n": 1}, "UPROT": {"responders": 1, "n": 1}}
