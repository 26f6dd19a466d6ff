"""Tests for helpers.present.tables: display formatting, by-arm layout, Table 1, CSV and HTML,
and the efficacy tables built from the analyses' codes."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analyses import population as pop
from helpers.analyses.population import Variable
from helpers.present import tables as tb
from helpers.present.tables import ResultTable

NAN = float("nan")


# ---------------------------------------------------------------------------------------
# by-arm layout


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


def baseline_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "TRT01A": ["A"] * 4 + ["B"] * 5,
        "AGE": [20.0, 30, 40, 50, 60, 25, 35, 45, 55],  # Shapiro-Wilk p = 0.91: mean (SD)
        "DURDIS": [1.0, 1, 1, 1, 2, 2, 3, 101, NAN],  # skewed: median [IQR]
        "SEX": ["F", "F", "M", "F", "F", "F", "F", "M", "F"],
        "CMHCQFL": ["Y", "N", "Y", "Y", "N", "N", "Y", "N", "N"],
    })


def table1(df: pd.DataFrame, variables, arms, statistics=None, tests=None) -> pd.DataFrame:
    """Table 1 as shown: the statistics of population.summarize_baseline, formatted."""
    return tb.format_baseline(pop.summarize_baseline(df, variables, "TRT01A", arms, statistics=statistics), variables,
                              arms, tests)


def test_format_baseline_csr_by_default():
    out = table1(baseline_frame(), [Variable("AGE", "Age", unit="years", digits=0)], ["A", "B"])
    assert out.columns.tolist() == ["variable", "row", "statistic", "A", "B", "Total"]
    # A: 20..50 mean 35, SD sqrt(500/3) = 12.9; B: mean 44, SD sqrt(820/4) = 14.3; all nine: 40 (13.7);
    # the mean and SD one decimal more than the ages
    assert out.values.tolist() == [
        ["Age, years", "n", "n", "4", "5", "9"],
        ["Age, years", "Mean (SD)", "mean (SD)", "35.0 (12.9)", "44.0 (14.3)", "40.0 (13.7)"],
        ["Age, years", "Median", "median", "35", "45", "40"],
        ["Age, years", "Min, max", "min, max", "20, 50", "25, 60", "20, 60"],
    ]


def test_format_baseline_each_pre_specified_statistic():
    v = [Variable("AGE", "Age", digits=0)]
    assert table1(baseline_frame(), v, ["A", "B"], {"AGE": "mean_sd"})["row"].tolist() == ["Mean (SD)"]
    assert table1(baseline_frame(), v, ["A", "B"], {"AGE": "median_range"}).values.tolist() == [
        ["Age", "Median (range)", "median (min to max)", "35 (20 to 50)", "45 (25 to 60)", "40 (20 to 60)"]]
    # quartiles as R's quantile(type = 7): A 27.5 and 42.5
    assert table1(baseline_frame(), v, ["A", "B"], {"AGE": "median_iqr"})["A"].tolist() == ["35 [28, 42]"]


def test_format_baseline_missing_row():
    out = table1(baseline_frame(), [Variable("DURDIS", "Duration", digits=2)], ["A", "B"], {"DURDIS": "median_iqr"})
    # quartiles as R's quantile(type = 7): B = 2, 2, 3, 101 -> 2.5 [2.0, 27.5];
    # all = 1, 1, 1, 1, 2, 2, 3, 101 -> 1.5 [1.0, 2.25]
    assert out.values.tolist() == [
        ["Duration", "Median [IQR]", "median [IQR]", "1.00 [1.00, 1.00]", "2.50 [2.00, 27.50]", "1.50 [1.00, 2.25]"],
        ["Duration", "Missing", "n", "0", "1", "1"],
    ]


def test_format_baseline_p_column_on_each_variable_first_row():
    v = [Variable("AGE", "Age"), Variable("SEX", "Sex", "categorical", levels=("F", "M"))]
    tests = pd.DataFrame({"variable": ["AGE", "SEX"], "statistics": ["mean_sd", "n_pct"], "test": ["welch", "fisher"],
                          "p_val": [0.4817, 1.0], "method": ["Welch t-test", "Fisher's exact test"]})
    out = table1(baseline_frame(), v, ["A", "B"], {"AGE": "mean_sd"}, tests)
    assert out.columns.tolist()[-1] == "p"
    assert out["p"].tolist() == ["0.482", "1.000", ""]


def test_format_baseline_categorical_levels_and_labels():
    v = Variable("SEX", "Sex", "categorical", levels=("F", "M"), level_labels={"F": "Female", "M": "Male"})
    out = table1(baseline_frame(), [v], ["A", "B"])
    assert out[["variable", "row", "A", "B", "Total"]].values.tolist() == [
        ["Sex", "Female", "3 (75.0%)", "4 (80.0%)", "7 (77.8%)"],
        ["Sex", "Male", "1 (25.0%)", "1 (20.0%)", "2 (22.2%)"],
    ]
    assert set(out["statistic"]) == {"n (%)"}


def test_format_baseline_categorical_levels_from_data_sorted():
    out = table1(baseline_frame(), [Variable("SEX", "Sex", "categorical")], ["A", "B"])
    assert out["row"].tolist() == ["F", "M"]


def test_format_baseline_flag_only_level_with_group():
    flag = Variable("CMHCQFL", "Hydroxychloroquine", "categorical", only_level="Y", group="Concomitant drugs")
    plain = Variable("CMHCQFL", "On hydroxychloroquine", "categorical", only_level="Y")
    summary = pop.summarize_baseline(baseline_frame(), [flag], "TRT01A", ["A", "B"])
    out = tb.format_baseline(summary, [flag, plain], ["A", "B"])
    assert out[["variable", "row", "A", "B", "Total"]].values.tolist() == [
        ["Concomitant drugs", "Hydroxychloroquine", "3 (75.0%)", "1 (20.0%)", "4 (44.4%)"],
        ["On hydroxychloroquine", "n (%)", "3 (75.0%)", "1 (20.0%)", "4 (44.4%)"],
    ]


def test_format_baseline_empty_arm_and_single_arm():
    df = baseline_frame()
    v = [Variable("AGE", "Age"), Variable("SEX", "Sex", "categorical", levels=("F",))]
    out = table1(df, v, ["A", "B", "C"], {"AGE": "mean_sd"})
    assert out["C"].tolist() == ["-", "0"]  # explicit, not a hole
    one = table1(df[df["TRT01A"] == "A"], v, ["A"], {"AGE": "mean_sd"})
    assert one.columns.tolist() == ["variable", "row", "statistic", "A"]
    assert one["A"].tolist() == ["35.00 (12.91)", "3 (75.0%)"]
    assert table1(df, [Variable("AGE", "Age")], ["A", "B", "C"])["C"].tolist() == ["0", "-", "-", "-"]  # csr: n = 0


def test_format_baseline_single_subject_and_absent_column():
    df = pd.DataFrame({"TRT01A": ["A", "B", "B"], "AGE": [30.0, 40.0, 50.0]})
    out = table1(df, [Variable("AGE", "Age", digits=0), Variable("WEIGHTBL", "Weight")], ["A", "B"], {"AGE": "mean_sd"})
    assert out.values.tolist() == [["Age", "Mean (SD)", "mean (SD)", "30.0", "45.0 (7.1)", "40.0 (10.0)"]]


def test_format_baseline_from_a_hand_made_summary():
    summary = pd.DataFrame([
        {"variable": "AGE", "level": None, "arm": "A", "statistics": "median_range", "n": 0, "n_missing": 2,
         "count": NAN, "mean": NAN, "sd": NAN, "median": NAN, "q1": NAN, "q3": NAN, "min": NAN, "max": NAN},
    ])
    out = tb.format_baseline(summary, [Variable("AGE", "Age", digits=0)], ["A"])
    assert out.values.tolist() == [["Age", "Median (range)", "median (min to max)", "-"], ["Age", "Missing", "n", "2"]]


def test_baseline_table_display_data_and_notes():
    v = [Variable("AGE", "Age", unit="years")]
    summary = pop.summarize_baseline(baseline_frame(), v, "TRT01A", ["A", "B"], statistics={"AGE": "mean_sd"})
    t = tb.baseline_table(summary, v, ["A", "B"], "all enrolled subjects")
    assert t.display.columns.tolist() == ["variable", "", "A", "B", "Total"]
    assert t.data.columns.tolist() == ["variable", "row", "statistic", "A", "B", "Total"]
    assert t.notes == ["Population: all enrolled subjects. The statistics of each variable are pre-specified in the "
                       "analysis plan (cohort.yml analysis.baseline_statistics), not chosen from the data: mean (SD)."]


def test_baseline_table_p_values_named_and_consort():
    v = [Variable("AGE", "Age"), Variable("SEX", "Sex", "categorical")]
    summary = pop.summarize_baseline(baseline_frame(), v, "TRT01A", ["A", "B"], statistics={"AGE": "median_range"})
    tests = pop.baseline_tests(baseline_frame(), v, "TRT01A", ["A", "B"], {"AGE": "median_range"})
    t = tb.baseline_table(summary, v, ["A", "B"], "all", tests, requested=True)
    assert t.display.columns.tolist() == ["variable", "", "A", "B", "Total", "p"]
    assert t.notes[1] == ("p: the Wilcoxon rank-sum test and Fisher's exact test between the two arms, as the analysis "
                          "plan asks (analysis.baseline_tests). CONSORT discourages such tests: in a randomized trial "
                          "any baseline difference is by chance (Moher et al., BMJ 2010;340:c869).")
    three = tb.baseline_table(summary, v, ["A", "B"], "all", tests.iloc[:0], requested=True)
    assert three.notes[1] == "The analysis plan asks for between-arm p values, which need exactly two arms: none are shown."


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


def test_label_flow_words_and_reasons():
    flow = pd.DataFrame({
        "step": ["enrolled", "allocated", "allocated", "course", "course", "discontinued", "discontinued", "efficacy",
                 "efficacy"],
        "course": pd.array([None, None, None, 1, 1, None, None, None, None], dtype="Int64"),
        "flag": ["", "", "", "", "", "", "", "ITTFL", "ITTFL"],
        "arm": ["All", "A", "B", "A", "B", "A", "B", "A", "B"],
        "n": [6, 4, 2, 3, 2, 3, 1, 4, 1],
    })
    reasons = pd.DataFrame({"arm": ["A", "A", "B"], "reason": ["Withdrawal by subject", "", "Adverse event"], "n": [2, 1, 1]})
    assert tb.label_flow(flow, reasons).values.tolist() == [
        ["Enrolled", "All", 6, ""],
        ["Allocated", "A", 4, ""],
        ["Allocated", "B", 2, ""],
        ["Received course 1", "A", 3, ""],
        ["Received course 1", "B", 2, ""],
        ["Discontinued", "A", 3, "Withdrawal by subject: 2; reason not given: 1"],
        ["Discontinued", "B", 1, "Adverse event: 1"],
        ["Analysed for efficacy (ITTFL)", "A", 4, ""],
        ["Analysed for efficacy (ITTFL)", "B", 1, ""],
    ]
    # without reasons (no DCSREAS) the discontinued rows have no detail
    assert tb.label_flow(flow)["detail"].tolist() == [""] * 9


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


def test_flow_table_single_arm():
    flow = pd.DataFrame({"step": ["Enrolled", "Discontinued"], "arm": ["All", "A"], "n": [3, 1],
                         "detail": ["", "Adverse event: 1"]})
    t = tb.flow_table(flow, ["A"])
    assert t.display.values.tolist() == [["Enrolled", "3", ""], ["Discontinued", "1", "Adverse event: 1"]]


def test_descriptor_table_names_the_instrument():
    active = pd.DataFrame({"PARAMCD": ["SEIZURE"], "domain": ["neurological"], "weight": [8], "n_active": [0], "n": [4],
                           "pct": [0.0]})
    t = tb.descriptor_table(active, "SELENA-SLEDAI")
    assert t.title == "SELENA-SLEDAI descriptors active at baseline"
    assert t.notes == ["All 24 descriptors of the SELENA-SLEDAI; weight is the score a descriptor adds when present."]


def test_descriptor_table_names_descriptors():
    active = pd.DataFrame({"PARAMCD": ["SEIZURE", "LOWCOMP"], "domain": ["neurological", "immunological"],
                           "weight": [8, 2], "n_active": [0, 3], "n": [4, 4], "pct": [0.0, 75.0]})
    t = tb.descriptor_table(active)
    assert t.display.values.tolist() == [["Neurological", "Seizure", "8", "0 (0.0%)"],
                                         ["Immunological", "Low complement", "2", "3 (75.0%)"]]
    assert t.data.columns.tolist() == ["PARAMCD", "descriptor", "domain", "weight", "n_active", "n", "pct"]
    assert t.notes == ["All 24 descriptors of the SLEDAI-2K; weight is the score a descriptor adds when present."]
    assert active.columns.tolist() == ["PARAMCD", "domain", "weight", "n_active", "n", "pct"]  # input unchanged


def test_response_table_states_the_confidence_level():
    summary = pd.DataFrame({"TRT01A": ["A"], "AVISITN": [2], "responders": [1], "n": [2], "ci_low": [0.0],
                            "ci_high": [0.9], "method": "Clopper-Pearson"})
    t = tb.response_table(summary, "TRT01A", ["A"], {2: "Week 2"}, "r", "R", confidence=0.9)
    assert t.notes[0] == "Responders/subjects (%) [Clopper-Pearson 90% confidence interval]."


def resolution_summary() -> pd.DataFrame:
    return pd.DataFrame({"TRT01A": ["A", "A", "B", "B"], "PARAMCD": ["RASH", "ALL", "RASH", "ALL"],
                         "responders": [1, 2, 0, 1], "n": [2, 3, 1, 2], "rate": [0.5, 2 / 3, 0.0, 0.5],
                         "ci_low": [0.0126, 0.0943, 0.0, 0.0126], "ci_high": [0.9874, 0.9916, 0.975, 0.9874],
                         "method": "Clopper-Pearson", "group": ["skin", "all", "skin", "all"]})


def test_sensitivity_table_names_the_analyses():
    sens = pd.DataFrame({"analysis": ["primary", "observed", "sri6", "itt"], "k": [4, 4, 6, 4],
                         "imputation": ["nri", "observed", "nri", "nri"],
                         "population": ["efficacy", "efficacy", "efficacy", "randomized"],
                         "primary": [True, False, False, False], "TRT01A": "A", "responders": [3, 3, 2, 3],
                         "n": [4, 3, 4, 5], "rate": [0.75, 1.0, 0.5, 0.6], "ci_low": [0.19, 0.29, 0.07, 0.15],
                         "ci_high": [0.99, 1.0, 0.93, 0.95], "method": "Clopper-Pearson"})
    t = tb.sensitivity_table(sens, "TRT01A", ["A"], "sens", "Sensitivity")
    assert t.display["Analysis"].tolist() == ["SRI-4, non-responder imputation (primary)", "SRI-4, observed cases",
                                              "SRI-6, non-responder imputation",
                                              "SRI-4, every randomized subject (untreated: non-responders)"]
    assert t.data.columns.tolist() == ["analysis", "population", "TRT01A", "responders", "n", "rate", "ci_low", "ci_high",
                                       "method"]


def test_components_table_criteria_in_words():
    failed = pd.DataFrame({"TRT01A": ["A"] * 5, "criterion": ["sledai", "bilag", "pga", "missing", "failure"],
                           "n": [2, 0, 1, 1, 1], "n_nonresponders": [4] * 5})
    t = tb.components_table(failed, "TRT01A", ["A"], "Week 12", "SELENA-SLEDAI")
    assert t.title == "SRI-4 criteria failed by non-responders at Week 12"
    assert t.display.values.tolist() == [["SELENA-SLEDAI reduction", "2 (50.0%)"], ["new BILAG A or > 1 new B", "0 (0.0%)"],
                                         ["PGA worsened", "1 (25.0%)"], ["missing visit or component", "1 (25.0%)"],
                                         ["treatment failure (analysis plan)", "1 (25.0%)"]]
    assert t.data.columns.tolist() == ["TRT01A", "reason", "n", "n_nonresponders"]


def comparison_rows(test: str = "score", converged: bool = True) -> pd.DataFrame:
    """Rows as efficacy.response_comparisons gives them for 16/29 vs 9/30."""
    primary = {"score": (0.2517, -0.0027, 0.4764, 0.0524, "difference", "Miettinen-Nurminen score test and interval"),
               "fisher": (2.8186, 0.8727, 9.6469, 0.0897, "odds_ratio",
                          "Fisher's exact test (central) and the exact interval of the conditional odds ratio")}[test]
    est, lo, hi, p, scale, method = primary
    return pd.DataFrame({
        "endpoint": "SRI4", "role": ["primary", "supportive"], "arm": "IL-2", "reference": "Placebo",
        "diff": 0.2517, "estimate": [est, 2.87], "ci_low": [lo, 0.98], "ci_high": [hi, 8.43], "scale": [scale, "odds_ratio"],
        "p_val": [p, 0.0553], "test": [test, "logistic"], "covariates": ["", "SLEDAIBL"], "converged": [True, converged],
        "method": [method, "logistic regression: Wald test and interval of the odds ratio, adjusted for SLEDAIBL"],
    })


def test_response_comparison_table_primary_test_beside_its_interval():
    t = tb.response_comparison_table(comparison_rows(), "cmp", "Comparisons")
    assert t.display.values.tolist() == [
        ["SRI-4 rate difference (primary, pre-specified)", "IL-2 - Placebo", "25.2 (-0.3 to 47.6)", "0.052",
         "Miettinen-Nurminen score test and interval"],
        ["SRI-4 odds ratio, adjusted for baseline SLEDAI-2K (supportive)", "IL-2 vs Placebo", "2.87 (0.98 to 8.43)",
         "0.055", "logistic regression: Wald test and interval of the odds ratio, adjusted for baseline SLEDAI-2K"],
    ]
    assert t.data.columns.tolist()[:2] == ["analysis", "comparison"]
    assert t.data["scale"].tolist() == ["difference", "odds_ratio"]  # the CSV keeps the codes
    assert t.data["method"].iloc[1].endswith("adjusted for SLEDAIBL")


def test_response_comparison_table_fisher_chosen_and_no_convergence():
    t = tb.response_comparison_table(comparison_rows("fisher", converged=False), "cmp", "Comparisons", confidence=0.9,
                                     instrument="SELENA-SLEDAI")
    assert t.display["Analysis"].tolist() == ["SRI-4 odds ratio (primary, pre-specified)",
                                              "SRI-4 odds ratio, adjusted for baseline SELENA-SLEDAI (supportive)"]
    assert t.display["Estimate (90% CI)"].tolist() == ["2.82 (0.87 to 9.65)", "2.87 (0.98 to 8.43)"]
    assert t.display["Method"].iloc[1].endswith("(did not converge)")


def test_difference_by_visit_table_rows_by_visit_and_role():
    rows = comparison_rows().iloc[:1].drop(columns=["endpoint", "role"])
    by_week = pd.concat([rows.assign(AVISITN=12, role="primary", p_adj=0.0524, adjustment=""),
                         rows.assign(AVISITN=24, role="secondary", p_val=0.02, p_adj=0.04, adjustment="holm"),
                         rows.assign(AVISITN=4, role="exploratory", p_adj=0.0524, adjustment="")], ignore_index=True)
    t = tb.difference_by_visit_table(by_week, {12: "Week 12", 24: "Week 24"}, "d", "Differences")
    assert t.display["Analysis"].tolist() == ["Week 12 (primary, pre-specified)", "Week 24 (secondary)", "4 (exploratory)"]
    assert t.display["p"].tolist() == ["0.052", "0.040", "0.052"]  # the secondary row's p is Holm's
    assert t.display["Method"].tolist()[1] == "Miettinen-Nurminen score test and interval; Holm-adjusted p"
    assert t.data["p_val"].tolist()[1] == 0.02  # the CSV keeps both


def test_sensitivity_comparison_table_says_whether_the_conclusion_holds():
    rows = comparison_rows().iloc[:1].drop(columns=["endpoint", "role"])
    cmp = pd.concat([rows.assign(analysis="primary", k=4, primary=True, unchanged=True),
                     rows.assign(analysis="observed", k=4, primary=False, p_val=0.049, unchanged=False),
                     rows.assign(analysis="itt", k=4, primary=False, p_val=0.069, unchanged=True)], ignore_index=True)
    t = tb.sensitivity_comparison_table(cmp, "s", "Sensitivity")
    assert t.display["Analysis"].tolist() == ["SRI-4, non-responder imputation (primary)", "SRI-4, observed cases",
                                              "SRI-4, every randomized subject (untreated: non-responders)"]
    assert [m.rsplit("; ", 1)[-1] for m in t.display["Method"]] == [
        "Miettinen-Nurminen score test and interval", "conclusion changes", "conclusion unchanged"]


def test_change_table_footnote_names_the_family():
    tests = pd.DataFrame({"TRT01P": ["IL-2", "IL-2", "Placebo", "Placebo"], "AVISITN": [2, 4, 2, 4], "n": 7,
                          "median": 6.0, "median_chg": -4.0, "q1_chg": -6.0, "q3_chg": -2.0, "p_val": 0.01,
                          "p_adj": 0.02, "padjust": "holm", "family_size": 2})
    t = tb.change_table(tests, "TRT01P", ["IL-2", "Placebo"], {2: "Week 2", 4: "Week 4"}, "c", "Change")
    assert "(Holm-adjusted across the 2 post-baseline visits, within each arm)" in t.notes[0]
    assert t.display.columns.tolist() == ["Visit", "IL-2", "Placebo"]  # no Total column


def test_change_comparison_table_measures_in_words():
    rows = pd.DataFrame({"measure": ["SLEDAI", "PGA"], "analysis": "change_ancova", "arm": "IL-2", "reference": "Placebo",
                         "estimate": [-2.47, -0.32], "ci_low": [-5.21, -0.80], "ci_high": [0.26, 0.16],
                         "p_val": [0.0755, 0.1868], "method": "ANCOVA on change, adjusted for baseline",
                         "scale": "difference"})
    t = tb.change_comparison_table(rows, "c", "Change", instrument="SELENA-SLEDAI")
    assert t.display[["Analysis", "Comparison", "Estimate (95% CI)", "p"]].values.tolist() == [
        ["SELENA-SLEDAI: change from baseline", "IL-2 - Placebo", "-2.47 (-5.21 to 0.26)", "0.075"],
        ["PGA: change from baseline", "IL-2 - Placebo", "-0.32 (-0.80 to 0.16)", "0.187"],
    ]
