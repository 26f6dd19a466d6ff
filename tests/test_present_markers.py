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


def test_glue_by_marker_several_arms_missing_arm_and_week():
    t = pd.DataFrame({ARM: ["A", "Total", "A"], "PARAMCD": "C3", "AVISITN": [10, 10, 2], "rate": [0.5, 0.25, 0.9]})
    g = pm.glue_by_marker(t, ARM, ["A", "B"], {"": "rate"}, prefix="labs_norm_", week=10)
    assert g.frame.values.tolist() == [["A", 0.5], ["B", None], ["Total", 0.25]]
    assert g.names == {"labs_norm_c3": "labs_norm_c3"}
    assert g.p_values == ()


def test_glue_by_marker_codes_and_errors():
    t = pd.DataFrame({ARM: ["A", "A"], "PARAMCD": ["C3", "C4"], "v": [1.0, 2.0]})
    assert list(pm.glue_by_marker(t, ARM, ["A"], {"v": "v"}, codes=["C4", "UPROT"]).names) == ["c4_v"]
    with pytest.raises(ValueError, match=r"glue_by_marker: frame lacks columns \['w'\]"):
        pm.glue_by_marker(t, ARM, ["A"], {"w": "w"})
    with pytest.raises(ValueError, match=r"glue_by_marker: frame lacks columns \['AVISITN'\]"):
        pm.glue_by_marker(t, ARM, ["A"], {"v": "v"}, week=10)
    with pytest.raises(ValueError, match=r"glue_by_marker: p_values \['p'\] are not keys of columns"):
        pm.glue_by_marker(t, ARM, ["A"], {"v": "v"}, p_values=["p"])


def test_glue_comparison_first_compared_arm_only():
    c = pd.DataFrame({"PARAMCD": ["C3", "C3", "C4"], ARM: ["A", "B", "A"], "estimate": [0.2, 0.1, 0.05],
                      "p_adj": [0.0004, 0.2, float("nan")]})
    assert pm.glue_comparison(c, ARM, {"arm_estimate": "estimate"}) == {"c3_arm_estimate": 0.2, "c4_arm_estimate": 0.05}
    got = pm.glue_comparison(c, ARM, {"arm_p": "p_adj"}, codes=["C4", "C3"], p_values=["arm_p"])
    assert list(got) == ["c4_arm_p", "c4_arm_p_text", "c3_arm_p", "c3_arm_p_text"]
    assert (got["c3_arm_p_text"], got["c4_arm_p_text"]) == ("p < 0.001", "p not computed")
    words = pm.glue_comparison(c.assign(direction=["up", "down", "zero"]), ARM, {"arm_direction": "direction"},
                               value_words={"direction": {"up": "higher", "down": "lower", "zero": "no different"}})
    assert words == {"c3_arm_direction": "higher", "c4_arm_direction": "no different"}
    assert pm.glue_comparison(c.iloc[:0], ARM, {"arm_estimate": "estimate"}) == {}
    with pytest.raises(ValueError, match=r"glue_comparison: comparison lacks columns \['ci_low'\]"):
        pm.glue_comparison(c, ARM, {"arm_ci_low": "ci_low"})


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


def test_marker_visit_table_names_another_correction():
    df = _two_arms()
    tests = mk.change_tests(df, ARM, ["A", "B"], codes=["X"], padjust="bonf")
    levels = mk.summarize_levels(df, ARM, ["A", "B"], codes=["X"])
    t = pm.marker_visit_table(levels, tests, ARM, ["A", "B"], {0: "Baseline", 2: "Week 2", 4: "Week 4"}, "x", "X")
    assert "Bonferroni-adjusted within each column" in t.notes[0]


def test_model_table_ratio_and_difference_rows():
    m = pd.DataFrame({ARM: "A", "PARAMCD": ["DSDNA", "C3"], "AVISITN": 10, "estimate": [0.38, 0.31], "ci_low": [0.33, 0.26],
                      "ci_high": [0.45, 0.36], "p_val": [1e-5, 0.02], "p_adj": [2e-5, 0.04], "scale": ["ratio", "difference"],
                      "converged": [True, False], "padjust": "holm"})
    t = pm.model_table(m, ARM, ["A"], {10: "Week 10"}, "labs-models", "Models")
    assert t.display.values.tolist() == [
        ["Anti-dsDNA (IU/mL): ratio to baseline", "Week 10", "0.38 (0.33 to 0.45), p < 0.001"],
        ["C3 (g/L): difference from baseline", "Week 10", "0.31 (0.26 to 0.36), p = 0.040 (did not converge)"]]
    assert "Holm-adjusted within each column" in t.notes[0]


def test_format_comparison():
    assert pm.format_comparison("IL-2", "Placebo", "ratio") == "IL-2 vs Placebo"
    assert pm.format_comparison("IL-2", "Placebo", "difference") == "IL-2 - Placebo"


def test_arm_comparison_table_columns_and_csv():
    rows = pd.DataFrame({"PARAMCD": ["UPROT", "PLAT"], ARM: ["IL-2", "IL-2"], "reference": ["Placebo", "Placebo"],
                         "estimate": [0.5, 22.34], "ci_low": [0.3, 4.8], "ci_high": [0.8, 39.87], "p_val": [0.004, 0.02],
                         "p_adj": [0.03, 0.05], "scale": ["ratio", "difference"], "n": [57, 57], "method": "ANCOVA"})
    t = pm.arm_comparison_table(rows, ARM, "labs-arms", "Arms")
    assert t.display.values.tolist() == [
        ["24-hour urine protein (g/24 h)", "IL-2 vs Placebo", "ratio of geometric mean ratios", "0.50 (0.30 to 0.80)",
         "0.004", "0.030"],
        ["Platelets (10⁹/L)", "IL-2 - Placebo", "difference in mean change", "22.3 (4.8 to 39.9)", "0.020", "0.050"]]
    assert list(t.data.columns) == ["PARAMCD", ARM, "comparison", "estimate", "ci_low", "ci_high", "p_val", "p_adj",
                                    "scale", "n", "method"]
    assert t.data["comparison"].tolist() == ["IL-2 vs Placebo", "IL-2 - Placebo"]
    assert "Adjusted p: Holm across the markers" in t.notes[0]
    assert "Adjusted p: Bonferroni across" in pm.arm_comparison_table(rows, ARM, "x", "X", padjust="bonf").notes[0]
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
    assert list(t.display.columns) == ["Criterion", "A", "B", "Total"]
    first = t.display.iloc[0]
    assert first["Criterion"] == "Low C3 became normal"
    assert first["A"] == "1/2 (50.0%) [1.3-98.7]"
    assert first["B"] == "0/0"
    assert list(t.data.columns) == [ARM, "PARAMCD", "criterion", "responders", "n", "rate", "ci_low", "ci_high", "method"]
    assert "24-hour urine protein above 0.5 g" in t.notes[0]
    assert "criterion" not in s  # the summary is not changed


def test_claims_table_cells_and_csv_words():
    t = pd.DataFrame({ARM: "A", "PARAMCD": ["DSDNA", "C4"], "AVISITN": 10, "n": 40,
                      "median_chg": [-45.4, 0.0], "p_adj": [0.00001, 0.6]})
    s = mk.summarize_claims(t, mk.LAB_CLAIMS, 10, ARM, 0.05)
    tab = pm.claims_table(s, ARM, ["A"], "Week 10", "labs-claims", "Claims")
    assert tab.display.values.tolist() == [
        ["Anti-dsDNA (IU/mL)", "decrease (abstract AB0525)", "-45.4, p < 0.001: supported"],
        ["C4 (g/L)", "increase (abstract AB0525)", "+0.00, p = 0.600: not supported"]]
    assert tab.data[["direction", "verdict"]].values.tolist() == [["fell", "support"],
                                                                   ["did not change significantly", "do not support"]]
    assert s["verdict"].tolist() == ["supported", "not_supported"]  # codes stay in the analysis frame


def test_responder_and_correlation_tables():
    g = pd.DataFrame({ARM: "A", "PARAMCD": "TREG", "CHG": [3.0, 4.0, 5.0, 1.0, 2.0],
                      "RESPONSE": ["Responder"] * 3 + ["Non-responder"] * 2})
    c = mk.compare_responders(g, ARM, ["A"])
    t = pm.responder_table(c, ARM, ["A"], "Week 10")
    assert list(t.display.columns) == ["Subset", "n (R / NR)", "Median, responders", "Median, non-responders",
                                       "Rank-biserial r (95% CI)", "CLES", "p", "Adjusted p"]
    assert t.display.iloc[0].tolist()[:4] == ["Treg (% of CD4+)", "3 / 2", "4.00", "1.50"]
    assert "change from baseline at Week 10" in t.notes[0]
    assert "Holm-adjusted across the subsets" in t.notes[0]
    assert t.title == "Lymphocyte subsets in SRI-4 responders and non-responders at Week 10"
    t6 = pm.responder_table(c, ARM, ["A"], "Week 10", sri_k=6)
    assert t6.title.startswith("Lymphocyte subsets in SRI-6 responders") and "(SRI-6, non-responder" in t6.notes[1]
    corr = pd.DataFrame({ARM: ["A"], "n": [39], "r": [-0.396], "ci_low": [-0.63], "ci_high": [-0.09], "p_val": [0.0126]})
    ct = pm.correlation_table(corr, ARM, "Treg", "SLEDAI-2K", "Week 10")
    assert ct.display.values.tolist() == [["A", "39", "-0.40 (-0.63 to -0.09)", "0.013"]]


def test_effect_size_rows_several_arms_order():
    c = pd.DataFrame({ARM: ["B", "A", "A"], "PARAMCD": ["TREG", "TREG", "TH17"], "rbc": [0.1, 0.5, -0.2],
                      "rbc_ci_low": [-0.2, 0.1, -0.6], "rbc_ci_high": [0.4, 0.8, 0.2], "p_adj": [0.9, 0.02, 0.5]})
    r = pm.effect_size_rows(c, ARM, ["A", "B"])
    assert r["label"].tolist() == ["Treg (A)", "Treg (B)", "Th17 (A)"]
    assert r["group"].tolist() == ["A", "B", "A"]
    assert r["note"].tolist() == ["p = 0.020", "p = 0.900", "p = 0.500"]


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


def test_effect_size_figure_rows_and_total():
    import matplotlib.pyplot as plt

    c = pd.DataFrame({ARM: ["A", "B", "Total"], "PARAMCD": "TREG", "rbc": [0.5, 0.1, 0.3],
                      "rbc_ci_low": [0.1, -0.2, 0.0], "rbc_ci_high": [0.8, 0.4, 0.6], "p_adj": [0.02, 0.9, 0.1]})
    fig = pm.effect_size_figure(c, ARM, ["A", "B"], 0.9)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Treg (A)", "Treg (B)", "Treg (Total)"]
    assert ax.get_xlabel() == "Rank-biserial correlation, responders vs non-responders (90% CI)"
    plt.close(fig)
    fig = pm.effect_size_figure(c[c[ARM] == "A"], ARM, ["A"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Treg"]
    assert fig.axes[0].get_legend() is None
    plt.close(fig)
