"""Tests of helpers.present.markers: labels, the values a page cites, tables and figures
of the labs and immunology chapters."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from helpers.analyses import markers as mk
from helpers.present import markers as pm

matplotlib.use("Agg")

ARM = "TRT01A"


def _two_arms() -> pd.DataFrame:
    """Code X, subjects A1-A6 and B1-B6, baseline 10, changes at weeks 2 and 4."""
    up, one_down = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 2.0, 3.0, -4.0, 5.0, 6.0]
    rows = []
    for arm in ("A", "B"):
        for i in range(6):
            for week, v in ((0, 10.0), (2, 10.0 + up[i]), (4, 10.0 + one_down[i])):
                rows.append({"USUBJID": f"{arm}{i + 1}", ARM: arm, "PARAMCD": "X", "AVISITN": week, "AVAL": v})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# labels


def test_format_label_units_and_unknown_code():
    assert pm.format_label("DSDNA") == "Anti-dsDNA (IU/mL)"
    assert pm.format_label("UPROT") == "24-hour urine protein (g/24 h)"
    assert pm.format_label("TREG") == "Treg (% of CD4+)"
    assert pm.format_label("NK") == "NK cells (% of lymphocytes)"
    assert pm.format_label("XYZ") == "XYZ"


def test_panels_follow_the_log_scale_flags():
    assert pm.panels(["UPROT", "HGB", "TREGTH17"]) == [
        ("UPROT", "24-hour urine protein (g/24 h)", True), ("HGB", "Haemoglobin (g/L)", False),
        ("TREGTH17", "Treg/Th17 ratio", True)]
    assert pm.panels(["UPROT"], log=False) == [("UPROT", "24-hour urine protein (g/24 h)", False)]


def test_glue_stems_cover_every_marker_and_are_unique():
    assert set(mk.MEASURES) <= set(pm.GLUE_STEMS)
    assert len(set(pm.GLUE_STEMS.values())) == len(pm.GLUE_STEMS)
    assert set(mk.NORMALISATION) <= set(pm.GLUE_STEMS)


def test_every_marker_has_a_label_and_digits():
    assert set(mk.MEASURES) <= set(pm.SHORT_LABELS)
    assert set(mk.MEASURES) <= set(pm.DIGITS)
    assert set(mk.NORMALISATION) == set(pm.NORMALISATION_LABELS)
    assert pm.NORMALISATION_LABELS["UPROT"] == "Proteinuria above 0.5 g/24 h fell to 0.5 or below"


def test_glue_name():
    assert pm.glue_name("DSDNA", "median_change") == "antidsdna_median_change"
    assert pm.glue_name("COMP", "rate", "labs_norm_") == "labs_norm_complement_rate"
    assert pm.glue_name("TREG", prefix="immuno_") == "immuno_treg"
    assert pm.glue_name("XYZ", "n") == "xyz_n"


# ---------------------------------------------------------------------------------------
# the values a page cites


def test_glue_by_marker_one_arm():
    t = pd.DataFrame({ARM: ["A"], "PARAMCD": ["DSDNA"], "AVISITN": [10], "median_chg": [np.float64(-45.4)],
                      "p_adj": [0.001], "n": [np.int64(40)], "direction": ["down"]})
    g = pm.glue_by_marker(t, ARM, ["A"], {"median_change": "median_chg", "median_change_p": "p_adj",
                                          "median_change_n": "n", "direction": "direction"},
                          week=10, p_values=["median_change_p"], value_words={"direction": {"down": "fell"}})
    assert g.frame.values.tolist() == [["A", -45.4, 0.001, 40, "fell"]]
    assert list(g.frame.columns) == [ARM, "antidsdna_median_change", "antidsdna_median_change_p",
                                     "antidsdna_median_change_n", "antidsdna_direction"]
    assert g.names == {c: c for c in g.frame.columns[1:]}
    assert g.p_values == ("antidsdna_median_change_p",)
    assert isinstance(g.frame["antidsdna_median_change_n"].iloc[0], int | np.integer)  # not made a float


def test_glue_by_marker_several_arms_missing_arm_and_week_never_pooled():
    t = pd.DataFrame({ARM: ["A", "Total", "A"], "PARAMCD": "C3", "AVISITN": [10, 10, 2], "rate": [0.5, 0.25, 0.9]})
    g = pm.glue_by_marker(t, ARM, ["A", "B"], {"": "rate"}, prefix="labs_norm_", week=10)
    assert g.frame.values.tolist() == [["A", 0.5], ["B", None]]  # a pooled row in the frame is left out
    assert g.names == {"labs_norm_c3": "labs_norm_c3"}
    assert g.p_values == ()


def test_glue_by_marker_compared_arms_for_glue_comparisons():
    c = pd.DataFrame({"PARAMCD": ["C3", "C3", "C4"], ARM: ["A", "B", "A"], "estimate": [0.2, 0.1, np.float64(0.05)],
                      "p_adj": [0.0004, 0.2, float("nan")], "direction": ["up", "not_significant", "zero"]})
    g = pm.glue_by_marker(c, ARM, ["A", "B"], {"arm_estimate": "estimate", "arm_p": "p_adj",
                                               "arm_direction": "direction"},
                          p_values=["arm_p"], value_words={"direction": {"up": "higher", "zero": "no different",
                                                                         "not_significant": "n.s."}})
    assert g.frame.values.tolist() == [["A", 0.2, 0.0004, "higher", 0.05, None, "no different"],
                                       ["B", 0.1, 0.2, "n.s.", None, None, None]]
    assert g.p_values == ("c3_arm_p", "c4_arm_p")
    assert type(g.frame["c4_arm_estimate"].iloc[0]) is float  # plain values for glue


def test_glue_by_marker_codes_and_errors():
    t = pd.DataFrame({ARM: ["A", "A"], "PARAMCD": ["C3", "C4"], "v": [1.0, 2.0]})
    assert list(pm.glue_by_marker(t, ARM, ["A"], {"v": "v"}, codes=["C4", "UPROT"]).names) == ["c4_v"]
    with pytest.raises(ValueError, match=r"glue_by_marker: frame lacks columns \['w'\]"):
        pm.glue_by_marker(t, ARM, ["A"], {"w": "w"})
    with pytest.raises(ValueError, match=r"glue_by_marker: frame lacks columns \['AVISITN'\]"):
        pm.glue_by_marker(t, ARM, ["A"], {"v": "v"}, week=10)
    with pytest.raises(ValueError, match=r"glue_by_marker: p_values \['p'\] are not keys of columns"):
        pm.glue_by_marker(t, ARM, ["A"], {"v": "v"}, p_values=["p"])


def test_glue_estimates_and_counts_by_arm():
    m = pd.DataFrame({ARM: ["A", "B"], "PARAMCD": "DSDNA", "AVISITN": 10, "estimate": [0.55, 0.9],
                      "ci_low": [0.45, 0.8], "ci_high": [0.66, 1.03], "p_adj": [0.0001, 0.3], "scale": "ratio"})
    assert pm.glue_estimates_by_arm(m, ["DSDNA"], ARM, ["A", "B", "C"], 0.95, "mm_by_arm", week=10) == {
        "antidsdna_mm_by_arm": "0.55 (95% CI 0.45 to 0.66, p < 0.001) with A, 0.90 (95% CI 0.80 to 1.03, "
                               "p = 0.300) with B and no data with C"}
    corr = pd.DataFrame({ARM: ["A"], "r": [0.2], "ci_low": [-0.19], "ci_high": [0.53], "p_val": [0.305]})
    assert pm.glue_estimates_by_arm(corr, ["TREG"], ARM, ["A"], 0.95, "sledai_by_arm", prefix="immuno_",
                                    estimate="r", p="p_val") == {
        "immuno_treg_sledai_by_arm": "0.20 (95% CI -0.19 to 0.53, p = 0.305) with A"}
    with pytest.raises(ValueError, match=r"glue_estimates_by_arm: frame lacks columns \['AVISITN'\]"):
        pm.glue_estimates_by_arm(corr, ["TREG"], ARM, ["A"], 0.95, "x", week=10, estimate="r", p="p_val")
    n = pd.DataFrame({ARM: ["A", "B"], "PARAMCD": "COMP", "responders": [15, 5], "n": [24, 20]})
    assert pm.glue_counts_by_arm(n, ["COMP", "C3"], ARM, ["A", "B"], "labs_norm_") == {
        "labs_norm_complement_by_arm": "15 of 24 (62%) with A and 5 of 20 (25%) with B",
        "labs_norm_c3_by_arm": "none eligible with A and none eligible with B"}
    with pytest.raises(ValueError, match=r"glue_counts_by_arm: summary lacks columns \['n'\]"):
        pm.glue_counts_by_arm(n.drop(columns="n"), ["COMP"], ARM, ["A"], "x_")


def test_glue_significant_and_difference_unit():
    g = pm.glue_significant({"A": ["TH17"], "B": []}, ARM, "immuno_resp_significant")
    assert g.frame.values.tolist() == [["A", "Th17"], ["B", "none"]]
    assert g.names == {"immuno_resp_significant": "immuno_resp_significant"}
    assert [pm.difference_unit(c) for c in ("C3", "PLAT", "NK", "TREGTH17", "DSDNA")] == [
        "g/L", "10\u2079/L", "percentage points", "", "IU/mL"]


def test_comparison_sentences_one_per_compared_arm():
    c = pd.DataFrame({"PARAMCD": ["DSDNA", "C3", "C3"], ARM: ["High", "High", "Low"], "reference": "Placebo",
                      "estimate": [1.26, 0.27, 0.01], "ci_low": [1.03, 0.18, -0.1], "ci_high": [1.54, 0.36, 0.12],
                      "p_val": [0.025, 1e-6, 0.8], "p_adj": [0.075, 1e-5, 0.8], "scale": ["ratio", "difference",
                                                                                        "difference"],
                      "direction": ["not_significant", "up", "not_significant"]})
    text = pm.comparison_sentences(c, ["DSDNA", "C3"], ARM, ["Placebo", "Low", "High"], 0.95, "holm")
    assert text == (
        "Adjusted for baseline, with Low against Placebo, C3 did not differ significantly (difference +0.01 g/L, "
        "95% CI -0.10 to +0.12, p = 0.800; Holm-adjusted p = 0.800). Adjusted for baseline, with High against "
        "Placebo, anti-dsDNA did not differ significantly (ratio 1.26, 95% CI 1.03 to 1.54, p = 0.025; "
        "Holm-adjusted p = 0.075) and C3 ended higher (difference +0.27 g/L, 95% CI +0.18 to +0.36, p < 0.001; "
        "adjusted p < 0.001).")
    assert pm.comparison_sentences(c.iloc[:0], ["C3"], ARM, ["A"], 0.95, "holm") == ""
    with pytest.raises(ValueError, match=r"comparison_sentences: comparison lacks columns \['direction'\]"):
        pm.comparison_sentences(c.drop(columns="direction"), ["C3"], ARM, ["A"], 0.95, "holm")


def test_glue_by_arm_with_missing_arm():
    t = pd.DataFrame({ARM: ["A"], "PARAMCD": "PLAT", "AVISITN": 10, "median_chg": [41.0], "p_adj": [0.00002]})
    assert pm.glue_by_arm(t, ["PLAT"], ARM, ["A", "B"], 10) == {
        "platelets_by_arm": "+41 with A (p < 0.001) and no data with B"}
    assert pm.glue_by_arm(t, ["PLAT"], ARM, ["A"], 2) == {"platelets_by_arm": "no data with A"}
    with pytest.raises(ValueError, match=r"glue_by_arm: tests lacks columns \['p_adj'\]"):
        pm.glue_by_arm(t.drop(columns="p_adj"), ["PLAT"], ARM, ["A"], 10)


def test_format_significant_by_short_name():
    assert pm.format_significant(["TH17", "NK"]) == "Th17 and NK cells"
    assert pm.format_significant(["TREG", "TH17"]) == "Treg and Th17"
    assert pm.format_significant(["NK"]) == "NK cells"
    assert pm.format_significant([]) == "none"


# ---------------------------------------------------------------------------------------
# tables


def test_marker_visit_table_cells_and_csv():
    df = _two_arms()
    tests = mk.change_tests(df, ARM, ["A", "B"], codes=["X"])
    levels = mk.summarize_levels(df, ARM, ["A", "B"], codes=["X"])
    t = pm.marker_visit_table(levels, tests, ARM, ["A", "B"], {0: "Baseline", 2: "Week 2", 4: "Week 4"}, "x-change", "X")
    assert list(t.display.columns) == ["Marker", "Visit", "A", "B"]  # no Total column
    assert t.display["Visit"].tolist() == ["Baseline", "Week 2", "Week 4"]
    # Holm within X in arm A over its two visits: 2 x 0.03125 = 0.0625, then 0.21875
    assert t.display["A"].tolist() == [
        "10.00 [10.00, 10.00]",
        "13.50 [12.25, 14.75]; change +3.50 [+2.25, +4.75], p = 0.062",
        "12.50 [11.25, 14.50]; change +2.50 [+1.25, +4.50], p = 0.219",
    ]
    assert t.groupname == "Marker"
    assert len(t.data) == 6 and {"p_val", "p_adj", "n_paired", "q1", "family_size"} <= set(t.data.columns)
    assert ("Holm-adjusted within each marker and arm, across the post-baseline visits (families of 2 tests each)"
            in t.notes[0])


def test_marker_visit_table_names_another_correction():
    df = _two_arms()
    tests = mk.change_tests(df, ARM, ["A", "B"], codes=["X"], padjust="bonf")
    levels = mk.summarize_levels(df, ARM, ["A", "B"], codes=["X"])
    t = pm.marker_visit_table(levels, tests, ARM, ["A", "B"], {0: "Baseline", 2: "Week 2", 4: "Week 4"}, "x", "X")
    assert "Bonferroni-adjusted within each marker and arm" in t.notes[0]
    t = pm.marker_visit_table(levels, mk.change_tests(df, ARM, ["A", "B"], codes=["X"], padjust="none"), ARM,
                              ["A", "B"], {0: "Baseline", 2: "Week 2", 4: "Week 4"}, "x", "X")
    assert "against baseline, not adjusted for multiple comparisons." in t.notes[0]


def test_model_table_ratio_and_difference_rows():
    m = pd.DataFrame({ARM: "A", "PARAMCD": ["DSDNA", "C3"], "AVISITN": 10, "estimate": [0.38, 0.31], "ci_low": [0.33, 0.26],
                      "ci_high": [0.45, 0.36], "p_val": [1e-5, 0.02], "p_adj": [2e-5, 0.04], "scale": ["ratio", "difference"],
                      "converged": [True, False], "padjust": "holm", "family_size": 6})
    t = pm.model_table(m, ARM, ["A"], {10: "Week 10"}, "labs-models", "Models")
    assert t.display.values.tolist() == [
        ["Anti-dsDNA (IU/mL): ratio to baseline", "Week 10", "0.38 (0.33 to 0.45), p < 0.001"],
        ["C3 (g/L): difference from baseline", "Week 10", "0.31 (0.26 to 0.36), p = 0.040 (did not converge)"]]
    assert "Holm-adjusted within each marker and arm, across the post-baseline visits (families of 6 tests each)" in \
        t.notes[0]


def test_format_comparison():
    assert pm.format_comparison("IL-2", "Placebo", "ratio") == "IL-2 vs Placebo"
    assert pm.format_comparison("IL-2", "Placebo", "difference") == "IL-2 - Placebo"


def test_arm_comparison_table_columns_and_csv():
    rows = pd.DataFrame({"PARAMCD": ["UPROT", "PLAT"], ARM: ["IL-2", "IL-2"], "reference": ["Placebo", "Placebo"],
                         "estimate": [0.5, 22.34], "ci_low": [0.3, 4.8], "ci_high": [0.8, 39.87], "p_val": [0.004, 0.02],
                         "p_adj": [0.03, 0.05], "scale": ["ratio", "difference"], "n": [57, 57], "family_size": 2,
                         "method": "ANCOVA"})
    t = pm.arm_comparison_table(rows, ARM, "labs-arms", "Arms")
    assert t.display.values.tolist() == [
        ["24-hour urine protein (g/24 h)", "IL-2 vs Placebo", "ratio of geometric mean ratios", "0.50 (0.30 to 0.80)",
         "0.004", "0.030"],
        ["Platelets (10⁹/L)", "IL-2 - Placebo", "difference in mean change", "22.3 (4.8 to 39.9)", "0.020", "0.050"]]
    assert list(t.data.columns) == ["PARAMCD", ARM, "comparison", "estimate", "ci_low", "ci_high", "p_val", "p_adj",
                                    "scale", "n", "family_size", "method"]
    assert t.data["comparison"].tolist() == ["IL-2 vs Placebo", "IL-2 - Placebo"]
    assert ("Adjusted p: Holm-adjusted within each compared arm, across the markers of the table (a family of 2 "
            "tests). The interval is unadjusted") in t.notes[0]
    assert "Adjusted p: Bonferroni-adjusted within" in pm.arm_comparison_table(rows, ARM, "x", "X", padjust="bonf").notes[0]
    # without family_size (a frame made elsewhere), the family is counted
    assert "(a family of 2 tests)" in pm.arm_comparison_table(rows.drop(columns="family_size"), ARM, "x", "X").notes[0]
    with pytest.raises(ValueError, match=r"arm_comparison_table: rows lacks columns \['reference'\]"):
        pm.arm_comparison_table(rows.drop(columns="reference"), ARM, "x", "X")


def _labs() -> pd.DataFrame:
    rows = []
    for subj, arm, c3 in (("S1", "A", (0.5, 1.0)), ("S2", "A", (0.6, 0.7)), ("S3", "B", (1.0, 1.1))):
        for week, v in zip((0, 10), c3, strict=True):
            rows.append({"USUBJID": subj, ARM: arm, "PARAMCD": "C3", "AVISITN": week, "AVAL": v, "ANRLO": 0.9, "ANRHI": 1.8})
    return pd.DataFrame(rows)


def test_normalisation_table_shows_zero_denominators_and_labels_the_csv():
    s = mk.summarize_normalisation(_labs(), 10, ARM, ["A", "B"])
    t = pm.normalisation_table(s, ARM, ["A", "B"], "Week 10")
    assert list(t.display.columns) == ["Criterion", "A", "B"]  # no Total column
    first = t.display.iloc[0]
    assert first["Criterion"] == "Low C3 became normal"
    assert first["A"] == "1/2 (50.0%) [1.3-98.7]"
    assert first["B"] == "0/0"
    assert list(t.data.columns) == [ARM, "PARAMCD", "criterion", "responders", "n", "rate", "ci_low", "ci_high", "method"]
    assert "24-hour urine protein above 0.5 g" in t.notes[0]
    assert "criterion" not in s  # the summary is not changed


def test_claims_table_one_arm_cells_and_csv_words():
    t = pd.DataFrame({ARM: "A", "PARAMCD": ["DSDNA", "C4"], "AVISITN": 10, "n": 40,
                      "median_chg": [-45.4, 0.0], "p_adj": [0.00001, 0.6]})
    s = mk.summarize_claims(t, [mk.LAB_CLAIMS[0], mk.LAB_CLAIMS[2]], 10, ARM, ["A"], 0.05)
    tab = pm.claims_table(s, ARM, "Week 10", "labs-claims", "Claims", "Holm-adjusted", imposed=["DSDNA"],
                          notes=["", "A note."])
    assert tab.display.values.tolist() == [
        ["Anti-dsDNA (IU/mL)", "decrease (abstract AB0525)", "-45.4, p < 0.001",
         "supported; direction imposed by the simulation"],
        ["C4 (g/L)", "increase (abstract AB0525)", "+0.00, p = 0.600", "not supported"]]
    assert list(tab.display.columns) == ["Marker", "Published", "Change (decides)", "Verdict"]  # no claim of no change
    assert tab.data[["direction", "verdict", "imposed"]].values.tolist() == [
        ["fell", "supported", True], ["did not change significantly", "not supported", False]]
    assert s["verdict"].tolist() == ["supported", "not_supported"]  # codes stay in the analysis frame
    assert "median change from baseline and Holm-adjusted p of the Wilcoxon" in tab.notes[0]
    assert tab.notes[-1] == "A note."  # an empty note (real data: no simulation note) is left out
    real = pm.claims_table(s, ARM, "Week 10", "labs-claims", "Claims", "Holm-adjusted")
    assert "imposed" not in real.data and real.display["Verdict"].tolist() == ["supported", "not supported"]


def test_claims_table_several_arms_shows_both_arms_the_comparison_and_equivalence():
    t = pd.DataFrame({ARM: ["IL-2", "IL-2", "P", "P"], "PARAMCD": ["TREG", "TH1"] * 2, "AVISITN": 12, "n": 28,
                      "median_chg": [0.92, 0.0, -0.09, 0.25], "p_adj": [0.00001, 1.0, 1.0, 1.0]})
    c = pd.DataFrame({"PARAMCD": ["TREG", "TH1"], ARM: "IL-2", "reference": "P", "estimate": [1.16, -0.36],
                      "ci_low": [0.89, -1.46], "ci_high": [1.43, 0.73], "p_val": [1e-9, 0.512], "p_adj": [1e-8, 1.0],
                      "scale": "difference", "eq_ci_low": [0.93, -1.28], "eq_ci_high": [1.39, 0.55],
                      "eq_confidence": 0.9})
    s = mk.summarize_claims(t, [mk.CYTO_CLAIMS[0], mk.CYTO_CLAIMS[3]], 12, ARM, ["IL-2", "P"], 0.05, "P", c)
    tab = pm.claims_table(s, ARM, "Week 12", "immunology-claims", "Claims", "Holm-adjusted", imposed=[])
    assert list(tab.display.columns) == ["Marker", "Published", "Change with IL-2", "Change with P",
                                         "Comparison (decides)", "Equivalence", "Verdict"]
    assert tab.display.values.tolist() == [
        ["Treg (% of CD4+)", "increase (abstract AB0525)", "+0.92, p < 0.001", "-0.09, p = 1.000",
         "1.16 (0.89 to 1.43), p < 0.001; adjusted p < 0.001", "", "supported"],
        ["Th1 (% of CD4+)", "no change (Nat Med 2016)", "+0.00, p = 1.000", "+0.25, p = 1.000",
         "-0.36 (-1.46 to 0.73), p = 0.512; adjusted p = 1.000", "90% CI -1.28 to +0.55; margin none stated",
         "inconclusive (no equivalence margin stated)"]]
    assert "judged by the comparison with the reference arm" in tab.notes[0]
    assert "without a margin it is inconclusive" in tab.notes[1]


def test_responder_and_correlation_tables():
    g = pd.DataFrame({ARM: "A", "PARAMCD": ["TREG"] * 11 + ["TH17"] * 5,
                      "CHG": [5.0, 6.5, 7.0, 8.0, 9.5, 10.0, 1.0, 2.0, 3.5, 4.0, 6.0, 3.0, 4.0, 5.0, 1.0, 2.0],
                      "RESPONSE": ["Responder"] * 6 + ["Non-responder"] * 5 + ["Responder"] * 3 + ["Non-responder"] * 2})
    c = mk.compare_responders(g, ARM, ["A"], codes=["TREG", "TH17"])
    t = pm.responder_table(c, ARM, ["A"], "Week 10")
    assert list(t.display.columns) == ["Subset", "n (R / NR)", "Median, responders", "Median, non-responders",
                                       "Shift, R - NR (95% CI)", "Rank-biserial r", "p", "Adjusted p"]
    # Treg: tested (6 and 5), shift 4.25 with the interval inverting the exact test (see test_markers.py)
    assert t.display.iloc[0].tolist() == ["Treg (% of CD4+)", "6 / 5", "7.50", "3.50", "4.25 (1.00 to 7.50)", "0.93",
                                          "0.009", "0.009"]
    # Th17: 3 and 2, below the minimum of 5: described, not tested
    assert t.display.iloc[1].tolist()[4:] == ["2.50 (not tested)", "1.00", "not tested", "-"]
    assert "change from baseline at Week 10" in t.notes[0]
    assert "adjusted p: Holm-adjusted within each arm, across the tested subsets (a family of 1 test)" in t.notes[0]
    assert "fewer than 5 subjects in a group is described, not tested" in t.notes[1]
    assert t.title == "Lymphocyte subsets in SRI-4 responders and non-responders at Week 10"
    t6 = pm.responder_table(c, ARM, ["A"], "Week 10", sri_k=6)
    assert t6.title.startswith("Lymphocyte subsets in SRI-6 responders") and "(SRI-6, non-responder" in t6.notes[1]
    corr = pd.DataFrame({ARM: ["A"], "n": [39], "r": [-0.396], "ci_low": [-0.63], "ci_high": [-0.09], "p_val": [0.0126]})
    ct = pm.correlation_table(corr, ARM, "Treg", "SLEDAI-2K", "Week 10")
    assert ct.display.values.tolist() == [["A", "39", "-0.40 (-0.63 to -0.09)", "0.013"]]


def test_effect_size_rows_several_arms_order():
    c = pd.DataFrame({ARM: ["B", "A", "A", "Total"], "PARAMCD": ["TREG", "TREG", "TH17", "TREG"],
                      "estimate": [0.1, 0.5, -0.2, 0.3], "ci_low": [-0.2, 0.1, None, 0.0],
                      "ci_high": [0.4, 0.8, None, 0.6], "p_val": [0.9, 0.02, None, 0.1],
                      "tested": [True, True, False, True], "n1": [9, 16, 36, 25], "n2": [20, 12, 3, 32]})
    r = pm.effect_size_rows(c, ARM, ["A", "B"])
    assert r["label"].tolist() == ["Treg (A)", "Treg (B)", "Th17 (A)"]  # never the pooled row
    assert r["group"].tolist() == ["A", "B", "A"]
    assert r["note"].tolist() == ["p = 0.020", "p = 0.900", "not tested (n = 3)"]
    with pytest.raises(ValueError, match=r"effect_size_rows: comp lacks columns \['tested'\]"):
        pm.effect_size_rows(c.drop(columns="tested"), ARM, ["A"])


# ---------------------------------------------------------------------------------------
# figures


def test_paired_arms_figure_panels_one_and_several_arms():
    import matplotlib.pyplot as plt

    df = pd.DataFrame({"PARAMCD": ["C3", "C3", "C4", "C4"], ARM: ["A", "B", "A", "B"],
                       "BASE": [0.5, 0.6, 0.1, 0.2], "AVAL": [0.9, 0.5, 0.2, 0.2]})
    p = pm.panels(["C3", "C4"])
    fig = pm.paired_arms_figure(df, p, ARM, ["A", "B"], second_label="Week 10")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["C3 (g/L)", "C4 (g/L)"]
    assert [t.get_text() for t in visible[0].get_xticklabels()] == ["A\nBaseline", "A\nWeek 10", "B\nBaseline", "B\nWeek 10"]
    plt.close(fig)
    fig = pm.paired_arms_figure(df[df[ARM] == "A"], p, ARM, ["A"], second_label="Week 10")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Baseline", "Week 10"]
    plt.close(fig)


def test_paired_arms_figure_keeps_the_week():
    import matplotlib.pyplot as plt

    df = pd.DataFrame({"PARAMCD": "C3", ARM: "A", "AVISITN": [2, 10], "BASE": [0.5, 0.5], "AVAL": [0.6, 0.9]})
    fig = pm.paired_arms_figure(df, pm.panels(["C3"]), ARM, ["A"], week=10)
    lines = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) == 2 and ln.get_ydata()[0] == 0.5]
    assert [list(ln.get_ydata()) for ln in lines][:1] == [[0.5, 0.9]]  # the subject's line at week 10 only
    plt.close(fig)


def test_scatter_figure_one_collection_per_arm():
    import matplotlib.pyplot as plt

    df = pd.DataFrame({ARM: ["A", "A", "B"], "x": [1.0, 2.0, 3.0], "y": [-1.0, -3.0, 0.0]})
    fig = pm.scatter_figure(df, "x", "y", ARM, ["A", "B", "C"], "Treg change", "SLEDAI-2K change")
    ax = fig.axes[0]
    assert len(ax.collections) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A (n=2)", "B (n=1)"]
    assert ax.get_xlabel() == "Treg change"
    plt.close(fig)


def test_effect_size_figure_rows_per_arm():
    import matplotlib.pyplot as plt

    c = pd.DataFrame({ARM: ["A", "B", "A"], "PARAMCD": ["TREG", "TREG", "TH17"], "estimate": [0.5, 0.1, -0.2],
                      "ci_low": [0.1, -0.2, None], "ci_high": [0.8, 0.4, None], "p_val": [0.02, 0.9, None],
                      "tested": [True, True, False], "n1": [16, 9, 36], "n2": [12, 20, 3]})
    fig = pm.effect_size_figure(c, ARM, ["A", "B"], 0.9)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Treg (A)", "Treg (B)", "Th17 (A)"]
    assert ax.get_xlabel() == "Shift, responders minus non-responders, percentage points (90% CI)"
    plt.close(fig)
    fig = pm.effect_size_figure(c[c[ARM] == "A"], ARM, ["A"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Treg", "Th17"]
    assert fig.axes[0].get_legend() is None
    plt.close(fig)




def test_claims_table_says_when_a_claim_has_no_data():
    t = pd.DataFrame({ARM: "A", "PARAMCD": ["DSDNA"], "AVISITN": 10, "n": 40, "median_chg": [-45.4],
                      "p_adj": [0.00001]})
    s = mk.summarize_claims(t, mk.LAB_CLAIMS[:2], 10, ARM, ["A"], 0.05)
    tab = pm.claims_table(s, ARM, "Week 10", "labs-claims", "Claims", "Holm-adjusted")
    assert tab.display.iloc[1].tolist() == ["C3 (g/L)", "increase (abstract AB0525)", "no data",
                                            "not tested (too few subjects)"]


# ---------------------------------------------------------------------------------------
# answers and the simulation's imposed directions


def _config(simulated: bool, imposed=()):
    from types import SimpleNamespace

    return SimpleNamespace(simulated=simulated, simulation={"imposed": list(imposed)})


IMPOSED = ["60 subjects randomized.", "In the IL-2 arm: anti-dsDNA falls and C3 rises; Treg rise.",
           "The descriptors follow SLEDAI-2K's proteinuria rule."]


def test_imposed_codes_and_simulation_note():
    assert pm.imposed_codes(_config(True, IMPOSED), ["DSDNA", "C3", "UPROT", "TREG"]) == ["DSDNA", "C3", "TREG"]
    assert pm.imposed_codes(_config(False, IMPOSED), ["DSDNA"]) is None
    assert pm.simulation_note(_config(False, IMPOSED), ["DSDNA"]) == ""
    assert pm.simulation_note(_config(True, IMPOSED), ["DSDNA", "UPROT"]) == (
        'These data are simulated, and the generator imposed these directions ("In the IL-2 arm: anti-dsDNA falls and '
        'C3 rises; Treg rise"): the result shows that the analysis runs, not that it is true of patients.')
    assert "listed on the provenance page" in pm.simulation_note(_config(True, IMPOSED), ["NK"])


def test_answers_per_arm():
    s = pd.DataFrame({ARM: ["A", "A", "B", "B"], "PARAMCD": ["COMP", "DSDNA"] * 2, "responders": [15, 1, 5, 5],
                      "n": [24, 16, 20, 20]})
    assert pm.normalisation_answer(s, ARM, ["A", "B"], ["COMP", "DSDNA"], "Week 12") == (
        "Among subjects abnormal at baseline, by Week 12, with A, low C3 or C4 had returned to normal in 15 of 24 "
        "(62%) and positive anti-dsDNA had become negative in 1 of 16 (6%); with B, low C3 or C4 had returned to "
        "normal in 5 of 20 (25%) and positive anti-dsDNA had become negative in 5 of 20 (25%).")
    corr = pd.DataFrame({ARM: ["A", "B"], "r": [0.2, -0.5], "p_val": [0.305, 0.01]})
    assert pm.correlation_answer(corr, ARM, ["A", "B"], 0.05, "Treg", "SLEDAI-2K") == (
        "The correlation between the change in Treg and the change in SLEDAI-2K was not significantly different from "
        "zero with A (Spearman r = 0.20, p = 0.305) and negative with B (r = -0.50, p = 0.010).")
    comp = pd.DataFrame({ARM: ["A", "A", "B"], "PARAMCD": ["TREG", "TH17", "TREG"], "n1": [16, 16, 9],
                         "n2": [12, 12, 3], "tested": [True, True, False], "p_adj": [1.0, 0.022, None]})
    assert pm.responders_answer(comp, ARM, ["A", "B"], 0.05, "holm", 5) == (
        "The subsets that told responders from non-responders after Holm adjustment were Th17 with A and not "
        "compared with B (a group of 3, fewer than 5).")
    with pytest.raises(ValueError, match=r"responders_answer: comp lacks columns \['tested'\]"):
        pm.responders_answer(comp.drop(columns="tested"), ARM, ["A"], 0.05, "holm", 5)
