"""Tests of helpers.present.organ: the organ chapter's tables and figures on tiny
hand-made summaries, expected cells written out. Nothing is pooled over arms: a
``Total`` row in the input is left out of every display."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

from helpers.present import organ as show  # noqa: E402

NAN = float("nan")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def ticklabels(ax, axis: str = "y") -> list[str]:
    return [t.get_text() for t in (ax.get_yticklabels() if axis == "y" else ax.get_xticklabels())]


def summary() -> pd.DataFrame:
    """Two arms and a pooled Total row (to be left out): rash in A and B, nephritis in A
    only, alopecia in B only."""
    return pd.DataFrame({
        "TRT01P": ["A", "B", "Total", "A", "B"],
        "PARAMCD": ["RASH", "RASH", "RASH", "NEPHRIT", "ALOPEC"],
        "responders": [6, 3, 9, 0, 1], "n": [8, 6, 14, 1, 2], "rate": [0.75, 0.5, 9 / 14, 0.0, 0.5],
        "ci_low": [0.349, 0.118, 0.351, 0.0, 0.0126], "ci_high": [0.968, 0.882, 0.872, 0.975, 0.9874],
        "method": "Clopper-Pearson", "group": ["skin", "skin", "skin", "renal", "hair"],
        "favoured": [True, True, True, False, False],
    })


def comparisons() -> pd.DataFrame:
    return pd.DataFrame({
        "arm": "A", "reference": "B", "PARAMCD": ["RASH", "NEPHRIT", "ALOPEC"], "responders": [6, 0, 0],
        "n": [8, 1, 0], "ref_responders": [3, 0, 1], "ref_n": [6, 0, 2], "estimate": [0.25, NAN, NAN],
        "ci_low": [-0.2178, NAN, NAN], "ci_high": [0.6555, NAN, NAN], "tested": [True, False, False],
        "method": "difference in rates, Miettinen-Nurminen score interval (items with at least 5 subjects per arm)",
    })


# -- tables -----------------------------------------------------------------------------


def test_resolution_table_per_arm_with_the_difference_and_no_total():
    t = show.resolution_table(summary(), "TRT01P", ["A", "B"], "res", "Resolution", ["A note.", ""],
                              row_label="Manifestation", comparisons=comparisons())
    assert t.display.columns.tolist() == ["Manifestation", "A", "B", "A - B"]
    assert t.display.values.tolist() == [
        ["Malar or other lupus rash", "6/8 (75.0%) [34.9-96.8]", "3/6 (50.0%) [11.8-88.2]", "25.0 (-21.8 to 65.5)"],
        ["Lupus nephritis", "0/1 (0.0%) [0.0-97.5]", "0/0", "-"],  # no subject of B had it: 0/0, not compared
        ["Alopecia", "0/0", "1/2 (50.0%) [1.3-98.7]", "-"],
    ]
    assert t.notes == ["Responders/subjects (%) [Clopper-Pearson 95% confidence interval], by arm; never pooled over "
                       "arms.", "A note."]  # an empty note is dropped
    assert t.groupname is None


def test_resolution_table_csv_holds_rates_then_differences():
    t = show.resolution_table(summary(), "TRT01P", ["A", "B"], "res", "Resolution", comparisons=comparisons())
    assert t.data["statistic"].tolist() == ["rate"] * 4 + ["difference"] * 3
    assert "Total" not in t.data["TRT01P"].tolist()
    rates = t.data[t.data["statistic"] == "rate"]
    assert rates.columns.tolist()[:10] == ["TRT01P", "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high",
                                           "method", "label", "group"]
    diffs = t.data[t.data["statistic"] == "difference"]
    assert diffs[["arm", "reference", "PARAMCD", "diff", "diff_ci_low", "tested"]].iloc[0].tolist() == [
        "A", "B", "RASH", 0.25, -0.2178, True]


def test_resolution_table_by_organ_group_marks_the_favoured():
    t = show.resolution_table(summary(), "TRT01P", ["A", "B"], "res", "Resolution", by_group=True)
    assert t.groupname == "Group"
    assert t.display[["Group", "Item"]].values.tolist() == [
        ["Skin (favoured)", "Malar or other lupus rash"], ["Renal", "Lupus nephritis"], ["Hair", "Alopecia"]]
    assert "Group" not in t.data.columns


def test_resolution_table_single_arm_has_no_difference():
    t = show.resolution_table(summary(), "TRT01P", ["A"], "res", "Resolution", row_label="Domain", confidence=0.9)
    assert t.display.columns.tolist() == ["Domain", "A"]
    assert t.display["A"].tolist() == ["6/8 (75.0%) [34.9-96.8]", "0/1 (0.0%) [0.0-97.5]"]
    assert t.data["statistic"].tolist() == ["rate", "rate"] and t.data["TRT01P"].tolist() == ["A", "A"]
    assert t.notes[0].startswith("Responders/subjects (%) [Clopper-Pearson 90% confidence interval]")


def within() -> pd.DataFrame:
    return pd.DataFrame({
        "TRT01P": ["A", "B"], "favoured_resolved": [9, 5], "favoured_n": [10, 10], "favoured_subjects": [10, 10],
        "favoured_rate": [0.9, 0.5], "other_resolved": [2, 5], "other_n": [10, 10], "other_subjects": [10, 10],
        "other_rate": [0.2, 0.5], "odds_ratio": [36.0, 1.0], "ci_low": [3.3758, 0.2092], "ci_high": [383.907, 4.7797],
        "p_val": [0.0030, 1.0], "n_subjects": [10, 10], "tested": [True, True], "reason": ["tested", "tested"],
        "method": "logistic GEE, exchangeable",
    })


def interaction() -> pd.DataFrame:
    return pd.DataFrame({"arm": ["A"], "reference": ["B"], "ratio": [36.0], "ci_low": [2.1052], "ci_high": [615.632],
                         "p_val": [0.0134], "n_items": [40], "n_subjects": [20], "tested": [True],
                         "reason": ["tested"], "method": "logistic GEE, exchangeable: treatment-by-group interaction"})


def test_claim_table_two_arms_the_interaction_decides():
    v = pd.DataFrame({"arm": ["A"], "reference": ["B"], "design": ["interaction"], "verdict": ["supported"]})
    t = show.claim_table(within(), interaction(), v, "TRT01P", ["A", "B"], "claim", "Claim", ["Simulated.", ""])
    assert t.display.columns.tolist() == ["Analysis", "Favoured groups", "Other groups", "Estimate (95% CI)", "p",
                                          "Verdict"]
    assert t.display.values.tolist() == [
        ["A: favoured groups against the others", "9/10 (90.0%)", "2/10 (20.0%)", "36.00 (3.38 to 383.91)", "0.003", ""],
        ["B: favoured groups against the others", "5/10 (50.0%)", "5/10 (50.0%)", "1.00 (0.21 to 4.78)", "1.000", ""],
        ["A against B: treatment-by-group interaction (ratio of odds ratios)", "", "", "36.00 (2.11 to 615.63)",
         "0.013", "supported"],
    ]
    assert t.notes[1] == ("The verdict is that of the treatment-by-group interaction: a pattern the reference arm shows "
                          "as well is not the treatment's doing.")
    assert t.notes[2:] == ["Simulated."]
    assert t.data["analysis"].tolist() == ["within", "within", "interaction"]
    assert t.data.loc[2, "ratio"] == 36.0 and t.data.loc[0, "odds_ratio"] == 36.0


def test_claim_table_single_arm_and_an_untested_arm():
    w = within().iloc[[0]].assign(reason="too_small", tested=False, odds_ratio=NAN, ci_low=NAN, ci_high=NAN, p_val=NAN)
    v = pd.DataFrame({"arm": ["A"], "reference": [None], "design": ["within"], "verdict": ["inconclusive"]})
    t = show.claim_table(w, pd.DataFrame(), v, "TRT01P", ["A"], "claim", "Claim", confidence=0.9)
    assert t.display.values.tolist() == [
        ["A: favoured groups against the others", "9/10 (90.0%)", "2/10 (20.0%)", "not tested", "-", "inconclusive"]]
    assert t.display.columns[3] == "Estimate (90% CI)"
    assert t.notes[1] == "The verdict is that of the within-arm test (one arm)."


# -- figures ----------------------------------------------------------------------------


def test_forest_rows_per_arm_total_left_out():
    rows = show.forest_rows(summary(), "TRT01P", ["A", "B"])
    assert rows[["row", "series", "annot"]].values.tolist() == [
        ["Malar or other lupus rash (A)", "A", "6/8"], ["Malar or other lupus rash (B)", "B", "3/6"],
        ["Lupus nephritis (A)", "A", "0/1"], ["Alopecia (B)", "B", "1/2"]]
    one = show.forest_rows(summary(), "TRT01P", ["A"])
    assert one[["row", "series"]].values.tolist() == [["Malar or other lupus rash", "All"], ["Lupus nephritis", "All"]]


def test_manifestation_forest_rows_alopecia_is_other():
    rows = show.manifestation_forest_rows(summary(), "TRT01P", ["A", "B"])
    assert rows["kind"].tolist() == ["skin, haematological, fever"] * 2 + ["other", "other"]


def test_manifestation_figure_rows_markers_and_level():
    fig = show.manifestation_figure(summary(), "TRT01P", ["A", "B"], confidence=0.9)
    (ax,) = fig.axes
    assert len(ticklabels(ax)) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["skin, haematological, fever", "other"]
    assert ax.get_xlabel() == "Resolved, % (90% CI)"
    assert [t.get_text() for t in ax.texts] == ["6/8", "3/6", "0/1", "1/2"]
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 2


def test_subgroup_figure_one_marker_per_arm_and_single_arm():
    s = summary().assign(PARAMCD=["ALL", "ALL", "ALL", "RASH", "RASH"])
    fig = show.subgroup_figure(s, "TRT01P", ["A", "B"])
    (ax,) = fig.axes
    assert ticklabels(ax) == ["All subjects (A)", "All subjects (B)", "Malar or other lupus rash (A)",
                              "Malar or other lupus rash (B)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    assert ax.get_xlabel() == "SRI-4 responders, % (95% CI)"
    one = show.subgroup_figure(s, "TRT01P", ["A"])
    assert one.axes[0].get_legend() is None and len(ticklabels(one.axes[0])) == 2


def test_heatmap_figure_one_row_per_subject_and_binned():
    matrix = pd.DataFrame([[5.0, 1.0], [4.0, np.nan], [3.0, 3.0]], index=["S1", "S2", "S3"], columns=[0, 2])
    fig = show.heatmap_figure(matrix, cbar_label="Active descriptors", column_labels={0: "Baseline", 2: "Week 2"})
    ax = fig.axes[0]
    assert len(fig.axes) == 2 and ticklabels(ax, "x") == ["Baseline", "Week 2"] and ticklabels(ax) == ["S1", "S2", "S3"]
    assert fig.axes[1].get_ylabel() == "Active descriptors"
    big = show.heatmap_figure(pd.DataFrame(np.arange(20.0).reshape(10, 2)), max_rows=4)
    assert big.axes[0].get_ylabel() == "Subjects, binned (10 in 4 rows, mean)"
    assert ticklabels(big.axes[0]) == ["1-3", "4-6", "7-8", "9-10"]


def activity() -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([("A", "S1"), ("A", "S2"), ("A", "S3"), ("B", "S4")], names=["TRT01P", "USUBJID"])
    return pd.DataFrame([[5.0, 1.0], [4.0, np.nan], [3.0, 3.0], [6.0, 6.0]], index=index, columns=[0, 2])


def test_activity_figure_one_panel_per_arm_on_one_scale():
    fig = show.activity_figure(activity(), ["A", "B"], cbar_label="Active descriptors", column_labels={0: "Baseline"})
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["A (n = 3)", "B (n = 1)"]
    assert ticklabels(panels[0]) == ["S1", "S2", "S3"] and ticklabels(panels[1]) == ["S4"]
    assert ticklabels(panels[0], "x") == ["Baseline", "2"]
    assert len(fig.axes) == 3  # two panels and one colour bar
    assert [ax.collections[0].get_clim() for ax in panels] == [(1.0, 6.0), (1.0, 6.0)]


def test_activity_figure_bins_each_arm_on_its_own_and_single_arm():
    fig = show.activity_figure(activity(), ["A", "B"], max_rows=2)
    a, b = [ax for ax in fig.axes if ax.get_title()]
    assert a.get_ylabel() == "Subjects, binned (3 in 2 rows, mean)" and ticklabels(a) == ["1-2", "3-3"]
    assert ticklabels(b) == ["S4"]  # never binned with arm A's subjects
    one = show.activity_figure(activity().loc[["A"]], ["A"])
    assert ticklabels(one.axes[0]) == ["S1", "S2", "S3"] and one.axes[0].get_title() == ""


# ---------------------------------------------------------------------------------------
# lupus nephritis and manifestations by visit


def renal_frames():
    sub = pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], "n": [13, 12], "subjects": [29, 30], "rate": [13 / 29, 0.4]})
    s = pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], "AVISITN": 24, "response": "complete", "responders": [7, 2],
                      "n": [13, 12], "rate": [7 / 13, 2 / 12], "ci_low": [0.2513, 0.0209], "ci_high": [0.8078, 0.4841],
                      "method": "Clopper-Pearson"})
    c = pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo"], "AVISITN": [24], "response": ["complete"],
                      "responders": [7], "n": [13], "ref_responders": [2], "ref_n": [12], "estimate": [7 / 13 - 2 / 12],
                      "ci_low": [-0.0130], "ci_high": [0.6611], "test": ["fisher"], "p_val": [0.0968],
                      "method": ["Miettinen-Nurminen interval; Fisher's exact test"]})
    return sub, s, c


def test_renal_table_cells_and_columns():
    sub, s, c = renal_frames()
    t = show.renal_table(sub, s, c, "TRT01P", ["IL-2", "Placebo"], {0: "Baseline", 24: "Week 24"}, "ln", "LN")
    assert t.display.columns.tolist() == ["", "IL-2", "Placebo", "IL-2 - Placebo", "p, IL-2 vs Placebo"]
    assert t.display.values.tolist() == [
        ["Lupus nephritis at Baseline", "13/29 (44.8%)", "12/30 (40.0%)", "", ""],
        ["Complete remission, Week 24", "7/13 (53.8%) [25.1-80.8]", "2/12 (16.7%) [2.1-48.4]", "37.2 (-1.3 to 66.1)",
         "0.097"],
    ]
    assert t.data["statistic"].tolist() == ["subgroup", "subgroup", "rate", "rate", "difference"]
    assert t.notes[1].startswith("Between arms: difference in percentage points with the Miettinen-Nurminen 95% score "
                                 "interval; p by Fisher's exact test")


def test_renal_table_single_arm_has_no_difference_column():
    sub, s, _ = renal_frames()
    t = show.renal_table(sub.iloc[:1], s.iloc[:1], pd.DataFrame(), "TRT01P", ["IL-2"], {0: "Baseline", 24: "Week 24"},
                         "ln", "LN", notes=["", "Simulated."])
    assert t.display.columns.tolist() == ["", "IL-2"]
    assert t.notes[-1] == "Simulated." and len(t.notes) == 2


def test_manifestation_table_rows_and_labels():
    t = pd.DataFrame({"PARAMCD": "manif_muculc", "descriptor": "MUCULC", "kind": "binary", "arm": ["X", "X"],
                      "AVISITN": [0, 12], "n": [4, 0], "subjects": [29, 29], "pct": [13.79, 0.0],
                      "published_test": [None, "fisher_independent"], "p_published": [NAN, 0.112],
                      "paired_test": [None, "mcnemar_exact"], "p_paired": [NAN, 0.125]})
    out = show.manifestation_table(t, None, ["X"], {0: "Baseline", 12: "Week 12"}, "m", "M")
    assert out.display.values.tolist() == [
        ["Oral ulceration", "n (%)", "4 (13.79)", "0 (0.00)"],
        ["Oral ulceration", "p vs baseline, as published, descriptive (Fisher)", "", "0.112"],
        ["Oral ulceration", "p vs baseline, paired (exact McNemar)", "", "0.125"],
    ]
    assert out.notes[-1].startswith("n (%) of every subject of the arm analysed: a missed visit counts as the "
                                    "manifestation absent")
