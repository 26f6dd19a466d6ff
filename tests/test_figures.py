"""Tests for helpers.present.figures: each builder returns a matplotlib Figure with the
expected axes, lines, bars and labels on a tiny hand-made frame."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402

from helpers.present import figures as fg  # noqa: E402
from helpers.present import organ as po  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def errorbars(ax) -> list[ErrorbarContainer]:
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def ticklabels(ax, axis: str = "y") -> list[str]:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


def test_arm_styles_distinct_and_stable():
    styles = fg.arm_styles(["IL-2", "Placebo"])
    assert list(styles) == ["IL-2", "Placebo"]
    assert styles["IL-2"]["marker"] != styles["Placebo"]["marker"]
    assert styles["IL-2"]["linestyle"] != styles["Placebo"]["linestyle"]
    assert fg.arm_styles(["IL-2", "Placebo"]) == styles


def response_summary() -> pd.DataFrame:
    return pd.DataFrame({"TRT01A": ["A", "A", "B", "B", "Total", "Total"], "AVISITN": [2, 4, 2, 4, 2, 4],
                         "rate": [0.2, 0.5, 0.1, 0.2, 0.15, 0.35], "ci_low": [0.05, 0.3, 0.01, 0.05, 0.05, 0.2],
                         "ci_high": [0.5, 0.7, 0.4, 0.5, 0.35, 0.55]})


def test_response_figure_one_errorbar_per_arm_total_left_out():
    fig = fg.response_figure(response_summary(), "TRT01A", ["A", "B"], primary=4, ylabel="Responders, % (90% CI)")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(errorbars(ax)) == 2  # one per arm; the Total rows are not drawn
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    assert ax.get_ylabel() == "Responders, % (90% CI)"
    assert ax.get_ylim() == (0, 100)
    assert list(ax.get_xticks()) == [2, 4]
    assert [t.get_text() for t in ax.texts] == ["primary"]


def test_response_figure_single_arm_no_legend_and_arm_without_rows():
    s = response_summary()
    fig = fg.response_figure(s[s["TRT01A"] == "A"], "TRT01A", ["A"], title="SRI-4")
    (ax,) = fig.axes
    assert len(errorbars(ax)) == 1 and ax.get_legend() is None and ax.get_title() == "SRI-4"
    fig = fg.response_figure(s[s["TRT01A"] == "A"], "TRT01A", ["A", "C"])
    assert len(errorbars(fig.axes[0])) == 1  # C has no rows: nothing drawn for it


def trajectories(n_per_arm: int = 3) -> pd.DataFrame:
    rows = []
    for arm, shift in (("A", 0.0), ("B", 1.0)):
        for i in range(n_per_arm):
            for w in (0, 2, 4):
                rows.append({"USUBJID": f"{arm}{i}", "TRT01A": arm, "AVISITN": w, "AVAL": 10 - w + i + shift,
                             "PARAMCD": "SLEDAI"})
    return pd.DataFrame(rows)


def test_trajectory_figure_individual_lines_and_medians():
    fig = fg.trajectory_figure(trajectories(), "TRT01A", ["A", "B"], ylabel="SLEDAI-2K", reference=0)
    (ax,) = fig.axes
    # per arm: 3 subject lines and a median line; plus the reference line
    assert len(ax.lines) == 2 * (3 + 1) + 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A: median (n=3)", "B: median (n=3)"]
    assert ax.get_ylabel() == "SLEDAI-2K"
    assert len(ax.collections) == 2  # one interquartile band per arm


def test_trajectory_figure_bands_above_individual_max_and_log_axis():
    fig = fg.trajectory_figure(trajectories(), "TRT01A", ["A", "B"], individual_max=2, log=True)
    (ax,) = fig.axes
    assert len(ax.lines) == 2  # medians only
    assert len(ax.collections) == 4  # 10th-90th and interquartile bands per arm
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "AVAL"


def test_trajectory_grid_panels_and_shared_legend():
    bds = pd.concat([trajectories(), trajectories().assign(PARAMCD="PGA")], ignore_index=True)
    fig = fg.trajectory_grid(bds, [("SLEDAI", "SLEDAI-2K", False), ("PGA", "PGA", False), ("C3", "C3", True)],
                             "TRT01A", ["A", "B"], ncols=2)
    assert len(fig.axes) == 4 and len(visible_axes(fig)) == 3
    assert [ax.get_title() for ax in visible_axes(fig)] == ["SLEDAI-2K", "PGA", "C3"]
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["A: median (n=3)", "B: median (n=3)"]


def forest_frame() -> pd.DataFrame:
    return pd.DataFrame({"row": ["Rash", "Arthritis", "Fever"], "rate": [0.5, 0.2, 1.0], "ci_low": [0.1, 0.0, 0.3],
                         "ci_high": [0.9, 0.6, 1.0], "kind": ["skin", "other", "skin"], "annot": ["1/2", "1/5", "2/2"]})


def test_forest_figure_rows_top_to_bottom_groups_and_annotations():
    fig = fg.forest_figure(forest_frame(), "row", group="kind", annotate="annot", xlabel="Resolved, % (95% CI)",
                           reference=0.5)
    (ax,) = fig.axes
    assert ticklabels(ax) == ["Rash", "Arthritis", "Fever"]
    assert list(ax.get_yticks()) == [2, 1, 0]  # the first row on top
    assert len(errorbars(ax)) == 2  # one marker per group
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["skin", "other"]
    assert [t.get_text() for t in ax.texts] == ["1/2", "1/5", "2/2"]
    assert ax.get_xlim() == (0, 100) and ax.get_xlabel() == "Resolved, % (95% CI)"


def test_forest_figure_without_groups_on_a_ratio_scale():
    fig = fg.forest_figure(forest_frame().assign(rate=[2.0, 1.5, 0.8], ci_low=[1.0, 0.9, 0.5], ci_high=[4.0, 2.5, 1.2]),
                           "row", percent=False, reference=1.0, xlabel="Odds ratio")
    (ax,) = fig.axes
    assert len(errorbars(ax)) == 1 and ax.get_legend() is None and not ax.texts


def test_heatmap_figure_one_row_per_subject_and_column_labels():
    matrix = pd.DataFrame([[5.0, 1.0], [4.0, np.nan], [3.0, 3.0]], index=["S1", "S2", "S3"], columns=[0, 2])
    fig = po.heatmap_figure(matrix, cbar_label="Active descriptors", column_labels={0: "Baseline", 2: "Week 2"})
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    assert ticklabels(ax, "x") == ["Baseline", "Week 2"]
    assert ticklabels(ax) == ["S1", "S2", "S3"]
    assert ax.get_ylabel() == "Subject" and fig.axes[1].get_ylabel() == "Active descriptors"
    assert matrix.columns.tolist() == [0, 2]  # input unchanged


def test_heatmap_figure_bins_many_subjects():
    matrix = pd.DataFrame(np.arange(20.0).reshape(10, 2), columns=["Baseline", "Week 2"])
    fig = po.heatmap_figure(matrix, max_rows=4)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Subjects, binned (10 in 4 rows, mean)"
    assert ticklabels(ax) == ["1-3", "4-6", "7-8", "9-10"]


def paired() -> pd.DataFrame:
    return pd.DataFrame({"PARAMCD": ["C3"] * 4 + ["C4"] * 4, "TRT01A": ["A", "A", "B", "B"] * 2,
                         "BASE": [0.6, 0.7, 0.8, 0.9, 0.1, 0.2, 0.15, 0.12], "AVAL": [0.9, 0.6, 0.8, 1.0, 0.2, 0.1, 0.2, 0.1]})


def test_paired_figure_one_line_per_subject_and_boxes():
    fig = fg.paired_figure(paired(), [("C3", "C3", False), ("C4", "C4", True)], second_label="Week 12")
    assert len(visible_axes(fig)) == 2
    ax = fig.axes[0]
    assert ax.get_title() == "C3"
    assert ticklabels(ax, "x") == ["Baseline", "Week 12"]
    subject_lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 2 and ln.get_alpha() == 0.5]
    assert len(subject_lines) == 4
    assert fig.axes[1].get_yscale() == "log"


def test_paired_figure_by_arm():
    fig = fg.paired_figure(paired(), [("C3", "C3", False)], arm="TRT01A", arms=["A", "B"], ncols=4)
    (ax,) = fig.axes
    assert ticklabels(ax, "x") == ["A\nBaseline", "A\nWeek", "B\nBaseline", "B\nWeek"]


def test_bar_figure_bars_hue_and_empty():
    df = pd.DataFrame({"term": ["Rash", "Rash", "Fever"], "pct": [10.0, 5.0, 2.0], "arm": ["A", "B", "A"]})
    fig = fg.bar_figure(df, "term", "pct", "Subjects, %", hue="arm", hue_order=["A", "B"])
    (ax,) = fig.axes
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]
    assert len(bars) == 3
    assert ticklabels(ax) == ["Rash", "Fever"] and ax.get_xlabel() == "Subjects, %"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    empty = fg.bar_figure(df.iloc[:0], "term", "pct", "Subjects, %", empty_text="Nothing to show.")
    assert [t.get_text() for t in empty.axes[0].texts] == ["Nothing to show."]


def test_bar_figure_all_zero_axis_from_zero():
    fig = fg.bar_figure(pd.DataFrame({"term": ["Rash"], "pct": [0.0]}), "term", "pct", "Subjects, %")
    assert fig.axes[0].get_xlim() == (0.0, 1.0)


def test_histogram_figure_stacked_by_arm_and_single_arm():
    df = pd.DataFrame({"TRT01A": ["A", "A", "B", "B", "B"], "SLEDAIBL": [8.0, 10, 8, 12, 12]})
    fig = fg.histogram_figure(df, "SLEDAIBL", "TRT01A", ["A", "B"], "SLEDAI-2K at baseline", binwidth=2)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "SLEDAI-2K at baseline" and ax.get_ylabel() == "Subjects"
    assert sum(p.get_height() for p in ax.patches) == 5
    one = fg.histogram_figure(df[df["TRT01A"] == "A"], "SLEDAIBL", "TRT01A", ["A"], "SLEDAI-2K")
    assert sum(p.get_height() for p in one.axes[0].patches) == 2


def test_flow_figure_one_box_per_step_and_arm():
    flow = pd.DataFrame({"step": ["Enrolled", "Treated", "Treated", "Discontinued", "Discontinued"],
                         "arm": ["All", "A", "B", "A", "B"], "n": [5, 3, 2, 1, 0],
                         "detail": ["", "", "", "Adverse event: 1; Withdrawal: 1; Lost: 1; Moved: 1; Other: 1", ""]})
    fig = fg.flow_figure(flow, ["A", "B"], max_reasons=2)
    (ax,) = fig.axes
    assert len([p for p in ax.patches if isinstance(p, FancyBboxPatch)]) == 5
    texts = [t.get_text() for t in ax.texts]
    assert "Enrolled\nn = 5" in texts
    assert "Discontinued\nn = 1\nAdverse event: 1\nWithdrawal: 1\nand 3 more (see the table)" in texts


# ---------------------------------------------------------------------------------------
# efficacy figures


def resolution_summary() -> pd.DataFrame:
    return pd.DataFrame({"TRT01A": ["A", "B", "Total", "A", "B", "Total"], "PARAMCD": ["RASH"] * 3 + ["NEPHRIT"] * 3,
                         "responders": [1, 2, 3, 0, 1, 1], "n": [2, 4, 6, 1, 2, 3], "rate": [0.5, 0.5, 0.5, 0.0, 0.5, 1 / 3],
                         "ci_low": [0.01, 0.07, 0.12, 0.0, 0.01, 0.01], "ci_high": [0.99, 0.93, 0.88, 0.97, 0.99, 0.91],
                         "favoured": [True] * 3 + [False] * 3})


def test_forest_rows_several_arms_and_one_arm():
    rows = po.forest_rows(resolution_summary(), "TRT01A", ["A", "B"])
    assert rows[["row", "series", "annot"]].values.tolist() == [
        ["Malar or other lupus rash (A)", "A", "1/2"], ["Malar or other lupus rash (B)", "B", "2/4"],
        ["Lupus nephritis (A)", "A", "0/1"], ["Lupus nephritis (B)", "B", "1/2"]]
    one = po.forest_rows(resolution_summary(), "TRT01A", ["A"])
    assert one[["row", "series"]].values.tolist() == [["Malar or other lupus rash", "All"], ["Lupus nephritis", "All"]]


def test_manifestation_forest_rows_kind_from_the_favoured_groups():
    rows = po.manifestation_forest_rows(resolution_summary(), "TRT01A", ["A"])
    assert rows["kind"].tolist() == ["skin, haematological, fever", "other"]


def test_manifestation_figure_rows_markers_and_level():
    fig = po.manifestation_figure(resolution_summary(), "TRT01A", ["A", "B"], confidence=0.9)
    (ax,) = fig.axes
    assert len(ticklabels(ax)) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["skin, haematological, fever", "other"]
    assert ax.get_xlabel() == "Resolved, % (90% CI)"
    assert [t.get_text() for t in ax.texts] == ["1/2", "2/4", "0/1", "1/2"]


def test_subgroup_figure_one_marker_per_arm_and_single_arm():
    s = resolution_summary().assign(PARAMCD=["ALL"] * 3 + ["RASH"] * 3)
    fig = po.subgroup_figure(s, "TRT01A", ["A", "B"])
    (ax,) = fig.axes
    assert ticklabels(ax) == ["All subjects (A)", "All subjects (B)", "Malar or other lupus rash (A)",
                              "Malar or other lupus rash (B)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    assert ax.get_xlabel() == "SRI-4 responders, % (95% CI)"
    one = po.subgroup_figure(s, "TRT01A", ["A"])
    assert one.axes[0].get_legend() is None and len(ticklabels(one.axes[0])) == 2


def test_descriptors_figure_active_descriptors_only():
    active = pd.DataFrame({"PARAMCD": ["SEIZURE", "ARTHRIT", "LOWCOMP"], "n_active": [0, 3, 1], "pct": [0.0, 75.0, 25.0]})
    fig = fg.descriptors_figure(active)
    (ax,) = fig.axes
    assert ticklabels(ax) == ["Arthritis", "Low complement"]
    assert ax.get_xlabel() == "Subjects with the descriptor active at baseline, %"
    none = fg.descriptors_figure(active.assign(n_active=0))
    assert [t.get_text() for t in none.axes[0].texts] == ["No data to show."]
