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


def table1(df: pd.DataFrame, variables, arms, alpha: float = 0.05) -> pd.DataFrame:
    """Table 1 as shown: the statistics of population.summarize_baseline, formatted."""
    return tb.format_baseline(pop.summarize_baseline(df, variables, "TRT01A", arms, alpha=alpha), variables, arms)


def test_format_baseline_mean_sd_when_normal():
    out = table1(baseline_frame(), [Variable("AGE", "Age", unit="years")], ["A", "B"])
    assert out.columns.tolist() == ["variable", "row", "statistic", "A", "B", "Total"]
    # A: 20..50 mean 35, SD sqrt(500/3) = 12.9; B: mean 44, SD sqrt(820/4) = 14.3;
    # all nine: mean 40, SD sqrt(1500/8) = 13.7
    assert out.values.tolist() == [["Age, years", "Mean (SD)", "mean (SD)", "35.0 (12.9)", "44.0 (14.3)", "40.0 (13.7)"]]


def test_format_baseline_median_iqr_when_skewed_and_missing_row():
    out = table1(baseline_frame(), [Variable("DURDIS", "Duration", digits=2)], ["A", "B"])
    # quartiles as R's quantile(type = 7): B = 2, 2, 3, 101 -> 2.5 [2.0, 27.5];
    # all = 1, 1, 1, 1, 2, 2, 3, 101 -> 1.5 [1.0, 2.25]
    assert out.values.tolist() == [
        ["Duration", "Median [IQR]", "median [IQR]", "1.00 [1.00, 1.00]", "2.50 [2.00, 27.50]", "1.50 [1.00, 2.25]"],
        ["Duration", "Range", "min to max", "1.00 to 1.00", "2.00 to 101.00", "1.00 to 101.00"],
        ["Duration", "Missing", "n", "0", "1", "1"],
    ]


def test_format_baseline_alpha_decides():
    # with alpha = 0.95 normality of AGE (p = 0.91) is rejected
    out = table1(baseline_frame(), [Variable("AGE", "Age")], ["A", "B"], alpha=0.95)
    assert out["row"].tolist() == ["Median [IQR]", "Range"]


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
    out = table1(df, v, ["A", "B", "C"])
    assert out["C"].tolist() == ["-", "0"]  # explicit, not a hole
    one = table1(df[df["TRT01A"] == "A"], v, ["A"])
    assert one.columns.tolist() == ["variable", "row", "statistic", "A"]
    assert one["A"].tolist() == ["35.0 (12.9)", "3 (75.0%)"]


def test_format_baseline_single_subject_and_absent_column():
    df = pd.DataFrame({"TRT01A": ["A", "B", "B"], "AGE": [30.0, 40.0, 50.0]})
    out = table1(df, [Variable("AGE", "Age"), Variable("WEIGHTBL", "Weight")], ["A", "B"])
    assert out.values.tolist() == [["Age", "Mean (SD)", "mean (SD)", "30.0", "45.0 (7.1)", "40.0 (10.0)"]]


def test_format_baseline_from_a_hand_made_summary():
    summary = pd.DataFrame([
        {"variable": "AGE", "level": None, "arm": "A", "n": 0, "n_missing": 2, "count": NAN, "normal": False,
         "mean": NAN, "sd": NAN, "median": NAN, "q1": NAN, "q3": NAN, "min": NAN, "max": NAN},
    ])
    out = tb.format_baseline(summary, [Variable("AGE", "Age", digits=0)], ["A"])
    assert out.values.tolist() == [["Age", "Median [IQR]", "median [IQR]", "-"], ["Age", "Range", "min to max", "-"],
                                   ["Age", "Missing", "n", "2"]]


def test_baseline_table_display_data_and_notes():
    v = [Variable("AGE", "Age", unit="years")]
    summary = pop.summarize_baseline(baseline_frame(), v, "TRT01A", ["A", "B"])
    t = tb.baseline_table(summary, v, ["A", "B"], 0.05, "all enrolled subjects")
    assert t.display.columns.tolist() == ["variable", "", "A", "B", "Total"]
    assert t.data.columns.tolist() == ["variable", "row", "statistic", "A", "B", "Total"]
    assert t.notes[0] == "Population: all enrolled subjects. Categories: n (%)."
    assert "at the 0.05 level" in t.notes[1]


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


def test_resolution_table_rows_in_words_and_label_in_the_csv():
    t = tb.resolution_table(resolution_summary(), "TRT01A", ["A", "B"], "res", "Resolution", ["A note."], row_label="Subgroup")
    assert t.display.values.tolist() == [
        ["Malar or other lupus rash", "1/2 (50.0%) [1.3-98.7]", "0/1 (0.0%) [0.0-97.5]"],
        ["All subjects", "2/3 (66.7%) [9.4-99.2]", "1/2 (50.0%) [1.3-98.7]"],
    ]
    assert t.display.columns.tolist() == ["Subgroup", "A", "B"]
    assert t.data.columns.tolist() == ["TRT01A", "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high", "method",
                                       "label", "group"]
    assert t.notes == ["Responders/subjects (%) [Clopper-Pearson 95% confidence interval].", "A note."]


def test_sensitivity_table_names_the_analyses():
    sens = pd.DataFrame({"k": [4, 4, 6], "imputation": ["nri", "observed", "nri"], "primary": [True, False, False],
                         "TRT01A": "A", "responders": [3, 3, 2], "n": [4, 3, 4], "rate": [0.75, 1.0, 0.5],
                         "ci_low": [0.19, 0.29, 0.07], "ci_high": [0.99, 1.0, 0.93], "method": "Clopper-Pearson"})
    t = tb.sensitivity_table(sens, "TRT01A", ["A"], "sens", "Sensitivity")
    assert t.display["Analysis"].tolist() == ["SRI-4, non-responder imputation (primary)", "SRI-4, observed cases",
                                              "SRI-6, non-responder imputation"]
    assert t.data.columns.tolist() == ["analysis", "TRT01A", "responders", "n", "rate", "ci_low", "ci_high", "method"]


def test_components_table_criteria_in_words():
    failed = pd.DataFrame({"TRT01A": ["A"] * 4, "criterion": ["sledai", "bilag", "pga", "missing"], "n": [2, 0, 1, 1],
                           "n_nonresponders": [4] * 4})
    t = tb.components_table(failed, "TRT01A", ["A"], "Week 12")
    assert t.title == "SRI-4 criteria failed by non-responders at Week 12"
    assert t.display.values.tolist() == [["SLEDAI-2K reduction", "2 (50.0%)"], ["new BILAG A or > 1 new B", "0 (0.0%)"],
                                         ["PGA worsened", "1 (25.0%)"], ["missing visit or component", "1 (25.0%)"]]
    assert t.data.columns.tolist() == ["TRT01A", "reason", "n", "n_nonresponders"]


def comparison_rows(test: str = "chisq", converged: bool = True) -> pd.DataFrame:
    return pd.DataFrame({
        "endpoint": "SRI4", "analysis": ["rate_difference", "odds_ratio"], "arm": "IL-2", "reference": "Placebo",
        "estimate": [0.2517, 2.87], "ci_low": [0.0007, 0.98], "ci_high": [0.4632, 8.43],
        "p_val": [0.0504 if test == "chisq" else 0.0673, 0.0553], "p_chisq": [0.0504, NAN], "p_fisher": [0.0673, NAN],
        "test": [test, "wald"], "method": [f"Newcombe interval; {'Pearson chi-square test' if test == 'chisq' else 'Fisher' + chr(39) + 's exact test'}",
                                           "logistic regression adjusted for SLEDAIBL"],
        "scale": ["percent", "ratio"], "covariate": ["", "SLEDAIBL"], "converged": [True, converged],
    })


def test_response_comparison_table_names_the_test_from_test():
    t = tb.response_comparison_table(comparison_rows(), "cmp", "Comparisons")
    assert t.display.values.tolist() == [
        ["SRI-4 rate difference", "IL-2 - Placebo", "25.2 (0.1 to 46.3)", "0.050",
         "Newcombe interval; Pearson chi-square test; Fisher exact p = 0.067"],
        ["SRI-4 odds ratio, adjusted for baseline SLEDAI-2K", "IL-2 vs Placebo", "2.87 (0.98 to 8.43)", "0.055",
         "logistic regression adjusted for SLEDAIBL"],
    ]
    # the CSV keeps every p and the test, and the method as the statistics named it
    assert {"p_val", "p_chisq", "p_fisher", "test"} <= set(t.data.columns)
    assert t.data["method"].iloc[0] == "Newcombe interval; Pearson chi-square test"
    assert t.data.columns.tolist()[:2] == ["analysis", "comparison"]


def test_response_comparison_table_fisher_chosen_and_no_convergence():
    t = tb.response_comparison_table(comparison_rows("fisher", converged=False), "cmp", "Comparisons", confidence=0.9)
    assert t.display["p"].tolist() == ["0.067", "0.055"]
    assert t.display["Method"].tolist() == ["Newcombe interval; Fisher's exact test; Pearson chi-square p = 0.050",
                                            "logistic regression adjusted for SLEDAIBL (did not converge)"]
    assert "Estimate (90% CI)" in t.display.columns


def test_difference_by_visit_table_rows_by_visit():
    rows = comparison_rows().iloc[:1].assign(AVISITN=12)
    t = tb.difference_by_visit_table(pd.concat([rows, rows.assign(AVISITN=24)], ignore_index=True),
                                     {12: "Week 12"}, "d", "Differences")
    assert t.display["Analysis"].tolist() == ["Week 12", "24"]
    assert t.display["Method"].tolist() == ["Newcombe interval; Pearson chi-square test"] * 2


def test_change_comparison_table_measures_in_words():
    rows = pd.DataFrame({"measure": ["SLEDAI", "PGA"], "analysis": "change_ancova", "arm": "IL-2", "reference": "Placebo",
                         "estimate": [-2.47, -0.32], "ci_low": [-5.21, -0.80], "ci_high": [0.26, 0.16],
                         "p_val": [0.0755, 0.1868], "method": "ANCOVA on change, adjusted for baseline",
                         "scale": "difference"})
    t = tb.change_comparison_table(rows, "c", "Change")
    assert t.display[["Analysis", "Comparison", "Estimate (95% CI)", "p"]].values.tolist() == [
        ["SLEDAI-2K: change from baseline", "IL-2 - Placebo", "-2.47 (-5.21 to 0.26)", "0.075"],
        ["PGA: change from baseline", "IL-2 - Placebo", "-0.32 (-0.80 to 0.16)", "0.187"],
    ]
