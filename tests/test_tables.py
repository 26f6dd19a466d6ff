"""Tests for helpers.present.tables: display formatting, by-arm layout, Table 1, CSV and HTML."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.present import tables as tb
from helpers.present.tables import ResultTable, Variable

NAN = float("nan")


# ---------------------------------------------------------------------------------------
# formatters


@pytest.mark.parametrize(
    "x, digits, shown",
    [(3.14159, 2, "3.14"), (2.0, 1, "2.0"), (12.5, 0, "12"), (NAN, 1, "-"), (None, 1, "-"), (pd.NA, 1, "-")],
)
def test_format_number_cases(x, digits, shown):
    assert tb.format_number(x, digits) == shown


@pytest.mark.parametrize(
    "n, total, digits, shown",
    [(36, 40, 1, "36 (90.0%)"), (0, 40, 1, "0 (0.0%)"), (0, 0, 1, "0"), (1, 3, 1, "1 (33.3%)"),
     (2, 3, 0, "2 (67%)"), (40, 40, 1, "40 (100.0%)")],
)
def test_format_n_pct_cases(n, total, digits, shown):
    assert tb.format_n_pct(n, total, digits) == shown


def test_format_rate_ci_cases():
    assert tb.format_rate_ci(36, 40, 0.7634, 0.9721) == "36/40 (90.0%) [76.3-97.2]"
    assert tb.format_rate_ci(0, 10, 0.0, 0.3084971) == "0/10 (0.0%) [0.0-30.8]"
    assert tb.format_rate_ci(0, 0, NAN, NAN) == "0/0"
    assert tb.format_rate_ci(1, 3, 0.0084, 0.9057, digits=0) == "1/3 (33%) [1-91]"


@pytest.mark.parametrize(
    "p, digits, shown",
    [(0.0412, 3, "0.041"), (0.001, 3, "0.001"), (0.000999, 3, "<0.001"), (1e-12, 3, "<0.001"),
     (1.0, 3, "1.000"), (0.05, 3, "0.050"), (0.004, 2, "<0.01"), (0.01, 2, "0.01"), (NAN, 3, "-"), (None, 3, "-")],
)
def test_format_p_cases(p, digits, shown):
    assert tb.format_p(p, digits) == shown


def test_format_median_iqr_cases():
    assert tb.format_median_iqr(31, 25.5, 38) == "31.0 [25.5, 38.0]"
    assert tb.format_median_iqr(2.25, 1.0, 3.5, digits=2) == "2.25 [1.00, 3.50]"
    assert tb.format_median_iqr(NAN, NAN, NAN) == "-"


def test_format_estimate_ci_cases():
    assert tb.format_estimate_ci(0.2517, 0.0007, 0.4632) == "0.25 (0.00 to 0.46)"
    assert tb.format_estimate_ci(-3.78, -4.72, -2.84, digits=1) == "-3.8 (-4.7 to -2.8)"
    assert tb.format_estimate_ci(NAN, NAN, NAN) == "-"


# ---------------------------------------------------------------------------------------
# by-arm layout


def test_arm_columns_total_only_for_several_arms():
    assert tb.arm_columns(["IL-2"]) == ["IL-2"]
    assert tb.arm_columns(["IL-2", "Placebo"]) == ["IL-2", "Placebo", "Total"]
    assert tb.arm_columns(["IL-2", "Placebo"], total=False) == ["IL-2", "Placebo"]


def test_with_total_stacks_a_total_copy():
    df = pd.DataFrame({"TRT01A": ["A", "B", "B"], "x": [1, 2, 3]})
    out = tb.with_total(df, "TRT01A", ["A", "B"])
    assert out.values.tolist() == [["A", 1], ["B", 2], ["B", 3], ["Total", 1], ["Total", 2], ["Total", 3]]
    assert df["TRT01A"].tolist() == ["A", "B", "B"]  # input unchanged


def test_with_total_single_arm_unchanged():
    df = pd.DataFrame({"TRT01A": ["A", "A"], "x": [1, 2]})
    pd.testing.assert_frame_equal(tb.with_total(df, "TRT01A", ["A"]), df)


def test_spread_by_arm_config_order_and_explicit_fill():
    tidy = pd.DataFrame({"row": ["b", "b", "a", "a"], "TRT01A": ["Placebo", "IL-2", "Total", "Placebo"],
                         "v": ["1", "2", "3", "4"]})
    out = tb.spread_by_arm(tidy, ["row"], "TRT01A", "v", ["IL-2", "Placebo"])
    # columns in config order then Total; rows in order of appearance; empty cells "-"
    assert out.columns.tolist() == ["row", "IL-2", "Placebo", "Total"]
    assert out.values.tolist() == [["b", "2", "1", "-"], ["a", "-", "4", "3"]]


def test_spread_by_arm_arm_without_rows_still_a_column():
    tidy = pd.DataFrame({"row": ["a"], "TRT01A": ["IL-2"], "v": ["5 (50.0%)"]})
    out = tb.spread_by_arm(tidy, ["row"], "TRT01A", "v", ["IL-2", "Placebo"], fill="0 (0.0%)")
    assert out.values.tolist() == [["a", "5 (50.0%)", "0 (0.0%)"]]


def test_spread_by_arm_two_index_columns():
    tidy = pd.DataFrame({"Parameter": ["C3", "C3", "C4"], "Visit": ["Week 2", "Week 2", "Week 2"],
                         "arm": ["A", "B", "B"], "cell": ["x", "y", "z"]})
    out = tb.spread_by_arm(tidy, ["Parameter", "Visit"], "arm", "cell", ["A", "B"])
    assert out.values.tolist() == [["C3", "Week 2", "x", "y"], ["C4", "Week 2", "-", "z"]]


def test_spread_by_arm_numeric_values_keep_numbers():
    tidy = pd.DataFrame({"row": ["a", "a", "b", "b"], "TRT01A": ["A", "B", "A", "B"], "v": [1.5, 2.0, 3.0, 4.0]})
    out = tb.spread_by_arm(tidy, ["row"], "TRT01A", "v", ["A", "B"])
    assert out.values.tolist() == [["a", 1.5, 2.0], ["b", 3.0, 4.0]]


# ---------------------------------------------------------------------------------------
# Table 1


def test_is_normal_small_and_constant_samples():
    assert tb.is_normal(pd.Series([1.0, 5.0])) is True
    assert tb.is_normal(pd.Series([2.0, 2.0, 2.0, 2.0, 3.0])) is True  # fewer than 3 distinct values
    assert tb.is_normal(pd.Series([1.0, 1, 1, 1, 2, 2, 3, 101])) is False


def baseline_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "TRT01A": ["A"] * 4 + ["B"] * 5,
        "AGE": [20.0, 30, 40, 50, 60, 25, 35, 45, 55],  # Shapiro-Wilk p = 0.91: mean (SD)
        "DURDIS": [1.0, 1, 1, 1, 2, 2, 3, 101, NAN],  # skewed: median [IQR]
        "SEX": ["F", "F", "M", "F", "F", "F", "F", "M", "F"],
        "CMHCQFL": ["Y", "N", "Y", "Y", "N", "N", "Y", "N", "N"],
    })


def test_summarize_baseline_mean_sd_when_normal():
    out = tb.summarize_baseline(baseline_frame(), [Variable("AGE", "Age", unit="years")], "TRT01A", ["A", "B"])
    assert out.columns.tolist() == ["variable", "row", "statistic", "A", "B", "Total"]
    # A: 20..50 mean 35, SD sqrt(500/3) = 12.9; B: mean 44, SD sqrt(820/4) = 14.3;
    # all nine: mean 40, SD sqrt(1500/8) = 13.7
    assert out.values.tolist() == [["Age, years", "Mean (SD)", "mean (SD)", "35.0 (12.9)", "44.0 (14.3)", "40.0 (13.7)"]]


def test_summarize_baseline_median_iqr_when_skewed_and_missing_row():
    out = tb.summarize_baseline(baseline_frame(), [Variable("DURDIS", "Duration", digits=2)], "TRT01A", ["A", "B"])
    # quartiles as R's quantile(type = 7): B = 2, 2, 3, 101 -> 2.5 [2.0, 27.5];
    # all = 1, 1, 1, 1, 2, 2, 3, 101 -> 1.5 [1.0, 2.25]
    assert out.values.tolist() == [
        ["Duration", "Median [IQR]", "median [IQR]", "1.00 [1.00, 1.00]", "2.50 [2.00, 27.50]", "1.50 [1.00, 2.25]"],
        ["Duration", "Range", "min to max", "1.00 to 1.00", "2.00 to 101.00", "1.00 to 101.00"],
        ["Duration", "Missing", "n", "0", "1", "1"],
    ]


def test_summarize_baseline_alpha_decides():
    # with alpha = 0.95 normality of AGE (p = 0.91) is rejected
    out = tb.summarize_baseline(baseline_frame(), [Variable("AGE", "Age")], "TRT01A", ["A", "B"], alpha=0.95)
    assert out["row"].tolist() == ["Median [IQR]", "Range"]


def test_summarize_baseline_categorical_levels_and_labels():
    v = Variable("SEX", "Sex", "categorical", levels=("F", "M"), level_labels={"F": "Female", "M": "Male"})
    out = tb.summarize_baseline(baseline_frame(), [v], "TRT01A", ["A", "B"])
    assert out[["variable", "row", "A", "B", "Total"]].values.tolist() == [
        ["Sex", "Female", "3 (75.0%)", "4 (80.0%)", "7 (77.8%)"],
        ["Sex", "Male", "1 (25.0%)", "1 (20.0%)", "2 (22.2%)"],
    ]
    assert set(out["statistic"]) == {"n (%)"}


def test_summarize_baseline_categorical_levels_from_data_sorted():
    out = tb.summarize_baseline(baseline_frame(), [Variable("SEX", "Sex", "categorical")], "TRT01A", ["A", "B"])
    assert out["row"].tolist() == ["F", "M"]


def test_summarize_baseline_flag_only_level_with_group():
    flag = Variable("CMHCQFL", "Hydroxychloroquine", "categorical", only_level="Y", group="Concomitant drugs")
    plain = Variable("CMHCQFL", "On hydroxychloroquine", "categorical", only_level="Y")
    out = tb.summarize_baseline(baseline_frame(), [flag, plain], "TRT01A", ["A", "B"])
    assert out[["variable", "row", "A", "B", "Total"]].values.tolist() == [
        ["Concomitant drugs", "Hydroxychloroquine", "3 (75.0%)", "1 (20.0%)", "4 (44.4%)"],
        ["On hydroxychloroquine", "n (%)", "3 (75.0%)", "1 (20.0%)", "4 (44.4%)"],
    ]


def test_summarize_baseline_empty_arm_and_single_arm():
    df = baseline_frame()
    v = [Variable("AGE", "Age"), Variable("SEX", "Sex", "categorical", levels=("F",))]
    out = tb.summarize_baseline(df, v, "TRT01A", ["A", "B", "C"])
    assert out["C"].tolist() == ["-", "0"]  # explicit, not a hole
    one = tb.summarize_baseline(df[df["TRT01A"] == "A"], v, "TRT01A", ["A"])
    assert one.columns.tolist() == ["variable", "row", "statistic", "A"]
    assert one["A"].tolist() == ["35.0 (12.9)", "3 (75.0%)"]


def test_summarize_baseline_single_subject_and_absent_column():
    df = pd.DataFrame({"TRT01A": ["A", "B", "B"], "AGE": [30.0, 40.0, 50.0]})
    out = tb.summarize_baseline(df, [Variable("AGE", "Age"), Variable("WEIGHTBL", "Weight")], "TRT01A", ["A", "B"])
    assert out.values.tolist() == [["Age", "Mean (SD)", "mean (SD)", "30.0", "45.0 (7.1)", "40.0 (10.0)"]]


# ---------------------------------------------------------------------------------------
# ResultTable, CSV and HTML


def test_result_table_data_defaults_to_display():
    display = pd.DataFrame({"a": ["1"]})
    t = ResultTable("t", "Title", display)
    assert t.data is display


def test_write_table_csv(tmp_path):
    data = pd.DataFrame({"arm": ["IL-2", "Placebo"], "rate": [0.9, 0.3333333333]})
    t = ResultTable("sri-response", "SRI-4 response", pd.DataFrame({"arm": ["IL-2"]}), data)
    path = tb.write_table_csv(t, tmp_path / "tables" / "sri")
    assert path == tmp_path / "tables" / "sri" / "sri-response.csv"
    assert path.read_text(encoding="utf-8") == "arm,rate\nIL-2,0.9\nPlacebo,0.3333333333\n"
    assert [p.name for p in path.parent.iterdir()] == ["sri-response.csv"]  # no temporary file left
    # writing again replaces the file
    t.data = data.iloc[:1]
    tb.write_table_csv(t, path.parent)
    assert path.read_text(encoding="utf-8") == "arm,rate\nIL-2,0.9\n"


@pytest.mark.parametrize("text", ["=1+2", "+A1", "-A1", "@SUM(A1:A2)", "\tcalc", "\r=1", "-", "+0.5 points"])
def test_neutralise_formulas_each_trigger(text):
    out = tb.neutralise_formulas(pd.DataFrame({"term": [text, "Fatigue"]}))
    assert out["term"].tolist() == ["'" + text, "Fatigue"]


def test_neutralise_formulas_numbers_unchanged():
    df = pd.DataFrame({"change": [-1.5, 0.5, float("nan")], "n": pd.array([-2, 3, None], dtype="Int64"),
                       "flag": [True, False, True],
                       "text": ["-1.5", "+0.5", "-2e-3"], "mixed": [-1, "=x", 2.5]})
    out = tb.neutralise_formulas(df)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    pd.testing.assert_frame_equal(out.drop(columns="mixed"), df.drop(columns="mixed"))
    assert out["mixed"].tolist() == [-1, "'=x", 2.5]


def test_neutralise_formulas_missing_values_unchanged():
    a = pd.Series(["=x", None, float("nan")], dtype="object")
    b = pd.Series(["@x", pd.NA, "ok"], dtype="string")
    c = pd.Series(["-x", None, "ok"], dtype="str")
    out = tb.neutralise_formulas(pd.DataFrame({"a": a, "b": b, "c": c}))
    assert out["a"].iloc[0] == "'=x" and out["a"].iloc[1] is None and pd.isna(out["a"].iloc[2])
    assert out["b"].dtype == "string" and out["b"].iloc[0] == "'@x" and out["b"].iloc[1] is pd.NA
    assert out["c"].dtype == c.dtype and out["c"].iloc[0] == "'-x" and pd.isna(out["c"].iloc[1])


def test_neutralise_formulas_categorical_keeps_order_and_codes():
    s = pd.Categorical(["=HYPERLINK(\"x\")", "Fatigue", None, "=HYPERLINK(\"x\")"],
                       categories=["Fatigue", "=HYPERLINK(\"x\")"], ordered=True)
    out = tb.neutralise_formulas(pd.DataFrame({"term": s}))["term"]
    assert out.dtype == pd.CategoricalDtype(["Fatigue", "'=HYPERLINK(\"x\")"], ordered=True)
    assert out.tolist()[:2] == ["'=HYPERLINK(\"x\")", "Fatigue"] and pd.isna(out.iloc[2])


def test_neutralise_formulas_categorical_clash_with_an_existing_category():
    out = tb.neutralise_formulas(pd.DataFrame({"term": pd.Categorical(["=x", "'=x"])}))["term"]
    assert out.tolist() == ["'=x", "'=x"] and list(out.cat.categories) == ["'=x"]


def test_neutralise_formulas_column_names_and_input_not_modified():
    df = pd.DataFrame({"=cmd": ["=1"], "arm": ["A"], 3: [-1.0]}, index=[7])
    before = df.copy()
    out = tb.neutralise_formulas(df)
    assert list(out.columns) == ["'=cmd", "arm", 3] and out.index.tolist() == [7]
    assert out.iloc[0].tolist() == ["'=1", "A", -1.0]
    pd.testing.assert_frame_equal(df, before)


def test_neutralise_formulas_empty_frame():
    df = pd.DataFrame({"term": pd.Series([], dtype="str"), "n": pd.Series([], dtype="int64")})
    pd.testing.assert_frame_equal(tb.neutralise_formulas(df), df)


def test_write_table_csv_neutralises_formulas_but_not_numbers(tmp_path):
    data = pd.DataFrame({"term": ['=HYPERLINK("http://x.example","x")', "-1.5", "Pyrexia"], "estimate": [-1.5, 0.5, 2.0]})
    t = ResultTable("ae", "Adverse events", data)
    path = tb.write_table_csv(t, tmp_path)
    assert path.read_text(encoding="utf-8") == (
        'term,estimate\n"\'=HYPERLINK(""http://x.example"",""x"")",-1.5\n-1.5,0.5\nPyrexia,2.0\n')
    assert t.data["term"].iloc[0].startswith("=")  # the table itself keeps the text


def test_result_table_to_html_contains_title_notes_and_cells():
    display = pd.DataFrame({"Visit": ["Week 12"], "IL-2": ["36/40 (90.0%) [76.3-97.2]"]})
    t = ResultTable("sri-response", "SRI-4 responders", display, notes=["Clopper-Pearson 95% CI."])
    html = t.to_html("Table 2.1. SRI-4 responders")
    assert "Table 2.1. SRI-4 responders" in html
    assert "Clopper-Pearson 95% CI." in html
    assert "36/40 (90.0%) [76.3-97.2]" in html
    assert 'id="sri-response"' in html


def test_result_table_spanners_and_groups():
    display = pd.DataFrame({"variable": ["Sex", "Sex"], "": ["Female", "Male"], "A": ["1", "2"], "B": ["3", "4"]})
    t = ResultTable("baseline", "Baseline", display, rowname="", groupname="variable", spanners={"Arms": ["A", "B"]})
    html = t.to_html("Baseline characteristics")
    assert "Baseline characteristics" in html
    assert "Arms" in html and "Female" in html


# ---------------------------------------------------------------------------------------
# table builders


def test_response_table_layout():
    summary = pd.DataFrame({"TRT01A": ["IL-2", "Placebo", "IL-2"], "AVISITN": [12, 12, 24],
                            "responders": [16, 9, 10], "n": [29, 30, 29],
                            "ci_low": [0.357, 0.147, 0.179], "ci_high": [0.734, 0.494, 0.543],
                            "method": "Clopper-Pearson"})
    t = tb.response_table(summary, "TRT01A", ["IL-2", "Placebo"], {12: "Week 12", 24: "Week 24"}, "sri", "SRI-4")
    assert t.display.values.tolist() == [
        ["Week 12", "16/29 (55.2%) [35.7-73.4]", "9/30 (30.0%) [14.7-49.4]"],
        ["Week 24", "10/29 (34.5%) [17.9-54.3]", "-"],
    ]
    assert t.notes[0] == "Responders/subjects (%) [Clopper-Pearson 95% confidence interval]."
    assert t.data is summary


def test_comparison_table_percent_and_ratio_scales():
    rows = pd.DataFrame({"analysis": ["SRI-4 rate difference", "SRI-4 odds ratio"], "comparison": ["IL-2 - Placebo"] * 2,
                         "estimate": [0.2517, 2.9], "ci_low": [0.0007, 0.98], "ci_high": [0.4632, 8.6],
                         "p_val": [0.0504, 0.0004], "method": ["Newcombe", "logistic"], "scale": ["percent", "ratio"]})
    t = tb.comparison_table(rows, "cmp", "Comparisons")
    assert t.display["Estimate (95% CI)"].tolist() == ["25.2 (0.1 to 46.3)", "2.90 (0.98 to 8.60)"]
    assert t.display["p"].tolist() == ["0.050", "<0.001"]


def test_flow_table_several_arms():
    flow = pd.DataFrame({"step": ["Enrolled", "Treated", "Treated", "Discontinued", "Discontinued"],
                         "arm": ["All", "A", "B", "A", "B"], "n": [5, 3, 2, 1, 0],
                         "detail": ["", "", "", "Adverse event: 1", ""]})
    t = tb.flow_table(flow, ["A", "B"])
    assert t.display.values.tolist() == [
        ["Enrolled", "", "", "5", ""],
        ["Treated", "3", "2", "5", ""],
        ["Discontinued", "1", "0", "1", "A: Adverse event: 1"],
    ]
    assert t.display.columns.tolist() == ["Step", "A", "B", "Total", "Details"]
