"""Tests for helpers.analyses.population: participant flow, baseline disease, Table 1 rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as ss

from helpers.analyses import population as pop
from helpers.analyses.population import Variable
from helpers.data import load_cohort
from helpers.data.config import Course

NAN = float("nan")


def flow_adsl() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"],
        "TRT01A": ["A", "A", "A", "B", "B", "A"],
        "ITTFL": ["Y", "Y", "Y", "Y", "N", "Y"],
        "SAFFL": ["Y", "Y", "N", "Y", "Y", "Y"],
        "EOSSTT": ["COMPLETED", "DISCONTINUED", "DISCONTINUED", "DISCONTINUED", "ONGOING", "DISCONTINUED"],
        "DCSREAS": ["", "Withdrawal by subject", "", "Adverse event", "", "Withdrawal by subject"],
    })


def flow_adex() -> pd.DataFrame:
    # S3 never dosed; S1 and S4 reach course 2
    return pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S4", "S4", "S5", "S6"],
                         "APERIOD": [1, 2, 1, 1, 2, 1, 1]})


FLOW_TWO_ARMS = [
    ["enrolled", None, "", "All", 6],
    ["allocated", None, "", "A", 4],
    ["allocated", None, "", "B", 2],
    ["treated", None, "", "A", 3],
    ["treated", None, "", "B", 2],
    ["not_treated", None, "", "A", 1],  # S3, allocated to A and never dosed: not lost
    ["not_treated", None, "", "B", 0],
    ["course", 1, "", "A", 3],
    ["course", 1, "", "B", 2],
    ["course", 2, "", "A", 1],
    ["course", 2, "", "B", 1],
    ["completed", None, "", "A", 1],
    ["completed", None, "", "B", 0],
    ["discontinued", None, "", "A", 3],
    ["discontinued", None, "", "B", 1],
    ["ongoing", None, "", "A", 0],
    ["ongoing", None, "", "B", 1],
    ["efficacy", None, "ITTFL", "A", 4],
    ["efficacy", None, "ITTFL", "B", 1],
    ["safety", None, "SAFFL", "A", 3],
    ["safety", None, "SAFFL", "B", 2],
]


def rows(frame: pd.DataFrame) -> list[list]:
    """A frame's rows with missing values as None."""
    return [[None if pd.isna(x) else x for x in r] for r in frame.astype(object).values.tolist()]


def two_arm_flow() -> pd.DataFrame:
    return pop.participant_flow(flow_adsl(), "TRT01A", ["A", "B"], flow_adex(), [Course(1, 1, 28), Course(2, 29, 56)])


def test_participant_flow_two_arms_with_exposure():
    flow = two_arm_flow()
    assert flow.columns.tolist() == ["step", "course", "flag", "arm", "n"]
    assert rows(flow) == FLOW_TWO_ARMS
    assert str(flow["course"].dtype) == "Int64"


def test_participant_flow_single_arm_without_exposure():
    adsl = flow_adsl()
    adsl = adsl[adsl["TRT01A"] == "A"].drop(columns="DCSREAS")
    adsl["EOSSTT"] = ["COMPLETED", "COMPLETED", "DISCONTINUED", "COMPLETED"]
    flow = pop.participant_flow(adsl, "TRT01A", ["A"], efficacy_flag="ITTFL", safety_flag="SAFFL")
    # no allocated step with one arm; treated is the safety flag; no ongoing row when nobody is
    assert flow[["step", "flag", "n"]].values.tolist() == [
        ["enrolled", "", 4],
        ["treated", "", 3],
        ["not_treated", "", 1],
        ["completed", "", 3],
        ["discontinued", "", 1],
        ["efficacy", "ITTFL", 4],
        ["safety", "SAFFL", 3],
    ]
    # no DCSREAS column: no reasons to list
    assert pop.discontinuation_reasons(adsl, "TRT01A", ["A"]).empty


def test_participant_flow_empty_arm_shows_zeros():
    flow = pop.participant_flow(flow_adsl(), "TRT01A", ["A", "B", "C"])
    c = flow[flow["arm"] == "C"]
    assert c["step"].tolist() == ["allocated", "treated", "not_treated", "completed", "discontinued", "ongoing",
                                  "efficacy", "safety"]
    assert c["n"].tolist() == [0] * 8


def test_participant_flow_without_eosstt():
    adsl = flow_adsl().drop(columns=["EOSSTT", "DCSREAS"])
    flow = pop.participant_flow(adsl, "TRT01A", ["A", "B"])
    assert "completed" not in set(flow["step"])
    assert flow.loc[flow["step"] == "treated", "n"].tolist() == [3, 2]
    assert pop.discontinuation_reasons(adsl, "TRT01A", ["A", "B"]).columns.tolist() == ["arm", "reason", "n"]


def test_participant_flow_on_the_fixture_cohort(cohort_dir):
    c = load_cohort(cohort_dir)
    flow = pop.participant_flow(c["adsl"], c.arm_var, c.arms, c["adex"], c.config.courses)
    got = {(s, k, a): n for s, k, a, n in flow[["step", "course", "arm", "n"]].fillna(0).itertuples(index=False)}
    assert got[("enrolled", 0, "All")] == 3
    assert (got[("course", 2, "IL-2")], got[("course", 2, "Placebo")]) == (1, 0)
    assert pop.discontinuation_reasons(c["adsl"], c.arm_var, c.arms).values.tolist() == [
        ["Placebo", "Withdrawal by subject", 1]]
    pop.check_flow(flow, 3)


def test_discontinuation_reasons_most_frequent_first_blank_kept():
    assert pop.discontinuation_reasons(flow_adsl(), "TRT01A", ["A", "B"]).values.tolist() == [
        ["A", "Withdrawal by subject", 2], ["A", "", 1], ["B", "Adverse event", 1]]


def test_discontinuation_reasons_ties_alphabetical_missing_not_counted():
    adsl = pd.DataFrame({"TRT01A": "A", "EOSSTT": "DISCONTINUED", "DCSREAS": ["Lost to follow-up", "Adverse event", None]})
    assert pop.discontinuation_reasons(adsl, "TRT01A", ["A", "B"]).values.tolist() == [
        ["A", "Adverse event", 1], ["A", "Lost to follow-up", 1]]


def test_flow_counts_per_arm_and_total():
    out = pop.flow_counts(two_arm_flow(), ["A", "B"])
    assert out.columns.tolist() == ["arm", "allocated", "treated", "not_treated", "completed", "discontinued", "ongoing",
                                    "efficacy", "safety"]
    assert out.values.tolist() == [["A", 4, 3, 1, 1, 3, 0, 4, 3], ["B", 2, 2, 0, 0, 1, 1, 1, 2],
                                   ["Total", 6, 5, 1, 1, 4, 1, 5, 5]]


def test_flow_counts_single_arm_no_total():
    flow = pd.DataFrame({"step": ["enrolled", "treated"], "arm": ["All", "A"], "n": [3, 3]})
    assert pop.flow_counts(flow, ["A"])[["arm", "treated", "completed"]].values.tolist() == [["A", 3, 0]]


def test_flow_totals_every_step():
    assert pop.flow_totals(two_arm_flow()) == {"enrolled": 6, "allocated": 6, "treated": 5, "not_treated": 1,
                                                "completed": 1, "discontinued": 4, "ongoing": 1, "efficacy": 5,
                                                "safety": 5}


def test_check_flow_passes_on_a_consistent_flow():
    flow = pop.participant_flow(flow_adsl(), "TRT01A", ["A", "B"], flow_adex(), [Course(1, 1, 28)])
    assert pop.check_flow(flow, 6) is None


def test_check_flow_count_outside_range():
    flow = pd.DataFrame({"step": ["enrolled", "treated"], "arm": ["All", "A"], "n": [3, 4]})
    with pytest.raises(ValueError, match=r"participant flow has counts outside 0\.\.3"):
        pop.check_flow(flow, 3)


def test_check_flow_negative_count():
    flow = pd.DataFrame({"step": ["enrolled", "treated"], "arm": ["All", "A"], "n": [3, -1]})
    with pytest.raises(ValueError, match=r"counts outside 0\.\.3"):
        pop.check_flow(flow, 3)


def test_check_flow_more_finished_than_allocated():
    flow = pd.DataFrame({
        "step": ["enrolled", "allocated", "completed", "discontinued", "allocated", "completed"],
        "arm": ["All", "A", "A", "A", "B", "B"],
        "n": [5, 3, 2, 2, 2, 2],
    })
    with pytest.raises(ValueError, match=r"arm A: completed \+ discontinued \(4\) exceed those allocated \(3\)"):
        pop.check_flow(flow, 5)


# ---------------------------------------------------------------------------------------
# baseline disease and Table 1 rows


def test_baseline_disease_on_the_fixture_cohort(cohort_dir):
    c = load_cohort(cohort_dir)
    out = pop.baseline_disease(c["adsl"], c["adsledai"], c["adbilag"], c["adpga"], c["admanif"])
    assert out["USUBJID"].tolist() == ["S01", "S02", "S03"]
    # SLEDAI-2K at week 0: 4+2+4+2+2, 4+2+2, 4+2+1+1 (see conftest)
    assert out["SLEDAIBL"].tolist() == [14.0, 8.0, 8.0]
    assert out["BILAGABL"].tolist() == [0, 0, 0]
    assert out["BILAGBBL"].tolist() == [3, 1, 1]
    assert out["PGABL"].tolist() == [2.0, 1.5, 2.0]
    assert out["DURDISY"].tolist() == [2.0, 5.0, 0.5]
    assert out["MF_RASH"].tolist() == ["Y", "Y", "N"]
    assert out["MF_NEPHRIT"].tolist() == ["Y", "N", "N"]
    assert out["MF_THROMBO"].tolist() == ["N", "N", "Y"]
    assert len([c for c in out if c.startswith("MF_")]) == 13
    assert len(c["adsl"].columns) + 4 + 1 + 13 == len(out.columns)


def test_baseline_disease_subject_without_baseline_and_no_tables():
    adsl = pd.DataFrame({"USUBJID": ["1", "2"], "DURDIS": [6.0, NAN]})
    pga = pd.DataFrame({"USUBJID": ["1", "2"], "AVISITN": [0, 4], "AVAL": [1.5, 2.0]})
    manif = pd.DataFrame({"USUBJID": ["1"], "AVISITN": [0], "PARAMCD": ["FEVER"], "AVAL": [1]})
    out = pop.baseline_disease(adsl, adpga=pga, admanif=manif)
    assert out["DURDISY"].tolist()[0] == 0.5 and np.isnan(out["DURDISY"].iloc[1])
    assert out["PGABL"].tolist()[0] == 1.5 and np.isnan(out["PGABL"].iloc[1])
    assert out["MF_FEVER"].tolist() == ["Y", ""]
    assert out["MF_RASH"].tolist() == ["", ""]  # not recorded: blank, not "N"
    assert "SLEDAIBL" not in out
    assert adsl.columns.tolist() == ["USUBJID", "DURDIS"]  # input unchanged


def test_baseline_disease_other_baseline_week():
    adsl = pd.DataFrame({"USUBJID": ["1"]})
    pga = pd.DataFrame({"USUBJID": ["1", "1"], "AVISITN": [-2, 0], "AVAL": [2.5, 1.0]})
    assert pop.baseline_disease(adsl, adpga=pga, baseline_week=-2)["PGABL"].tolist() == [2.5]


def test_baseline_variables_fixed_order_and_extra():
    cols = ["PGABL", "SEX", "CMHCQFL", "MF_RASH", "AGE", "MMSETOT", "SLEDAIBL", "AGEGR1"]
    extra = [["MMSETOT", "MMSE total score", "continuous"], ["AGEGR1", "Age group", "categorical"],
             ["EDUCLVL", "Years of education"], ["AGE", "Age again", "continuous"]]
    out = pop.baseline_variables(cols, extra)
    assert [v.column for v in out] == ["AGE", "SEX", "SLEDAIBL", "PGABL", "CMHCQFL", "MF_RASH", "MMSETOT", "AGEGR1"]
    by = {v.column: v for v in out}
    assert (by["AGE"].label, by["AGE"].unit, by["AGE"].digits) == ("Age", "years", 0)
    assert by["SEX"].level_labels == {"F": "Female", "M": "Male"}
    assert (by["CMHCQFL"].label, by["CMHCQFL"].only_level, by["CMHCQFL"].group) == ("Hydroxychloroquine", "Y", "Concomitant drugs")
    assert (by["MF_RASH"].label, by["MF_RASH"].group) == ("Malar or other lupus rash", "Clinical manifestations")
    assert (by["MMSETOT"].kind, by["AGEGR1"].kind) == ("continuous", "categorical")


def test_baseline_variables_extra_kind_defaults_to_continuous():
    out = pop.baseline_variables(["EDUCLVL"], [("EDUCLVL", "Years of education")])
    assert [(v.column, v.label, v.kind) for v in out] == [("EDUCLVL", "Years of education", "continuous")]


def test_active_descriptors_on_the_fixture_cohort(cohort_dir):
    c = load_cohort(cohort_dir)
    out = pop.active_descriptors(c["adsledai"], 0)
    assert out.columns.tolist() == ["PARAMCD", "domain", "weight", "n_active", "n", "pct"]
    assert len(out) == 24
    active = out[out["n_active"] > 0]
    assert active[["PARAMCD", "n_active", "n"]].values.tolist() == [
        ["ARTHRIT", 3, 3], ["PROTEIN", 1, 3], ["RASH", 2, 3], ["LOWCOMP", 2, 3], ["DNABIND", 2, 3],
        ["THROMBO", 1, 3], ["LEUKOP", 1, 3]]
    assert out.set_index("PARAMCD").loc["ARTHRIT", "pct"] == 100.0
    assert out.set_index("PARAMCD").loc["RASH", "pct"] == pytest.approx(200 / 3)
    assert out.set_index("PARAMCD").loc["SEIZURE", ["domain", "weight"]].tolist() == ["neurological", 8]
    week2 = pop.active_descriptors(c["adsledai"], 2)
    assert week2.set_index("PARAMCD").loc[["RASH", "ARTHRIT"], "n_active"].tolist() == [2, 1]
    assert set(week2["n"]) == {2}


def test_active_descriptors_visit_without_data():
    df = pd.DataFrame({"USUBJID": ["1"], "AVISITN": [0], "PARAMCD": ["RASH"], "AVAL": [1]})
    out = pop.active_descriptors(df, 4)
    assert set(out["n"]) == {0}
    assert out["pct"].isna().all()


def test_count_by_arm_zeros_and_missing():
    df = pd.DataFrame({"TRT01A": ["A", "A", "B", "B"], "SEX": ["F", "M", "M", None]})
    by, total = pop.count_by_arm(df, df["SEX"] == "F", "TRT01A", ["A", "B", "C"])
    assert (by, total) == ({"A": 1, "B": 0, "C": 0}, 1)
    # a condition on fewer rows counts the others as not meeting it
    by, total = pop.count_by_arm(df, pd.Series([True, True], index=[1, 2]), "TRT01A", ["A", "B"])
    assert (by, total) == ({"A": 1, "B": 1}, 2)


def test_descriptor_summary_on_the_fixture_cohort(cohort_dir):
    active = pop.active_descriptors(load_cohort(cohort_dir)["adsledai"], 0)
    # ARTHRIT in all three subjects at week 0
    assert pop.descriptor_summary(active) == {"n_descriptors_active": 7, "top": "ARTHRIT", "top_n": 3}


def test_descriptor_summary_ties_heavier_weight_then_instrument_order_and_none_active():
    active = pd.DataFrame({"PARAMCD": ["RASH", "ALOPEC", "ARTHRIT", "FEVER"], "weight": [2, 2, 4, 1],
                           "n_active": [2, 2, 1, 2]})
    assert pop.descriptor_summary(active) == {"n_descriptors_active": 4, "top": "RASH", "top_n": 2}
    assert pop.descriptor_summary(active.assign(n_active=0)) == {"n_descriptors_active": 0, "top": None, "top_n": 0}


def test_baseline_activity_on_the_fixture_cohort(cohort_dir):
    c = load_cohort(cohort_dir)
    base = pop.baseline_disease(c["adsl"], c["adsledai"])
    assert pop.baseline_activity(base, 8) == {"median": 8.0, "min": 8.0, "max": 14.0, "n": 3, "n_active": 3,
                                              "threshold": 8}
    assert pop.baseline_activity(base, 10)["n_active"] == 1


def test_baseline_activity_missing_scores_not_counted():
    base = pd.DataFrame({"SLEDAIBL": [NAN, 4.0, 6.0]})
    assert pop.baseline_activity(base, 6) == {"median": 5.0, "min": 4.0, "max": 6.0, "n": 2, "n_active": 1, "threshold": 6}


# ---------------------------------------------------------------------------------------
# Table 1 statistics


def baseline_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "TRT01A": ["A"] * 4 + ["B"] * 5,
        "AGE": [20.0, 30, 40, 50, 60, 25, 35, 45, 55],  # Shapiro-Wilk p = 0.91: mean (SD)
        "DURDIS": [1.0, 1, 1, 1, 2, 2, 3, 101, NAN],  # skewed: median [IQR]
        "SEX": ["F", "F", "M", "F", "F", "F", "F", "M", "F"],
    })


STATS = ["variable", "level", "arm", "statistics", "n", "n_missing", "count", "mean", "sd", "median", "q1", "q3", "min",
         "max"]


def test_summarize_baseline_continuous_every_statistic_csr_by_default():
    out = pop.summarize_baseline(baseline_frame(), [Variable("AGE", "Age")], "TRT01A", ["A", "B"])
    assert out.columns.tolist() == STATS
    assert out[["variable", "arm", "statistics", "n", "n_missing"]].values.tolist() == [
        ["AGE", "A", "csr", 4, 0], ["AGE", "B", "csr", 5, 0], ["AGE", "Total", "csr", 9, 0]]
    # A: 20..50 mean 35, SD sqrt(500/3) = 12.910; B: mean 44, SD sqrt(820/4) = 14.318;
    # all nine: mean 40, SD sqrt(1500/8) = 13.693
    assert out["mean"].tolist() == [35.0, 44.0, 40.0]
    assert out["sd"].round(3).tolist() == [12.910, 14.318, 13.693]
    assert out[["min", "max"]].values.tolist() == [[20.0, 50.0], [25.0, 60.0], [20.0, 60.0]]


def test_summarize_baseline_quartiles_and_missing_whatever_the_distribution():
    out = pop.summarize_baseline(baseline_frame(), [Variable("DURDIS", "Duration")], "TRT01A", ["A", "B"],
                                 statistics={"DURDIS": "median_iqr"})
    # quartiles as R's quantile(type = 7): B = 2, 2, 3, 101 -> 2.5 [2.0, 27.5];
    # all = 1, 1, 1, 1, 2, 2, 3, 101 -> 1.5 [1.0, 2.25]
    assert out[["arm", "statistics", "n", "n_missing", "median", "q1", "q3"]].values.tolist() == [
        ["A", "median_iqr", 4, 0, 1.0, 1.0, 1.0], ["B", "median_iqr", 4, 1, 2.5, 2.0, 27.5],
        ["Total", "median_iqr", 8, 1, 1.5, 1.0, 2.25]]


def test_summarize_baseline_the_plan_decides_not_the_data():
    # AGE looks normal and DURDIS does not; the statistics are the ones named, whatever the data look like
    v = [Variable("AGE", "Age"), Variable("DURDIS", "Duration")]
    out = pop.summarize_baseline(baseline_frame(), v, "TRT01A", ["A", "B"],
                                 statistics={"AGE": "median_range", "DURDIS": "mean_sd"})
    assert out.drop_duplicates("variable")["statistics"].tolist() == ["median_range", "mean_sd"]


def test_baseline_statistics_defaults_and_errors():
    v = [Variable("AGE", "Age"), Variable("SEX", "Sex", "categorical")]
    assert pop.baseline_statistics(v) == {"AGE": "csr", "SEX": "n_pct"}
    with pytest.raises(ValueError, match=r"baseline_statistics: AGE is continuous; its statistics must be one of "
                                         r"\['csr', 'mean_sd', 'median_range', 'median_iqr'\], got 'n_pct'"):
        pop.baseline_statistics(v, {"AGE": "n_pct"})
    with pytest.raises(ValueError, match=r"SEX is categorical; its statistics must be one of \['n_pct'\], got 'mean_sd'"):
        pop.baseline_statistics(v, {"SEX": "mean_sd"})


def test_baseline_tests_by_the_statistics_shown():
    df = baseline_frame().assign(CMHCQFL=["Y", "N", "Y", "Y", "N", "N", "Y", "N", "N"])
    v = [Variable("AGE", "Age"), Variable("DURDIS", "Duration"), Variable("SEX", "Sex", "categorical"),
         Variable("CMHCQFL", "Hydroxychloroquine", "categorical", only_level="Y")]
    out = pop.baseline_tests(df, v, "TRT01A", ["A", "B"], {"DURDIS": "median_range"})
    assert out.columns.tolist() == ["variable", "statistics", "test", "p_val", "method"]
    assert out[["variable", "statistics", "test"]].values.tolist() == [
        ["AGE", "csr", "welch"], ["DURDIS", "median_range", "wilcoxon"], ["SEX", "n_pct", "fisher"],
        ["CMHCQFL", "n_pct", "fisher"]]
    # scipy: ttest_ind(equal_var=False) on the ages; mannwhitneyu on 1, 1, 1, 1 vs 2, 2, 3, 101 (the NaN left out);
    # fisher_exact([[3, 1], [4, 1]]) for F/M and [[3, 1], [1, 4]] for the flag
    p = out["p_val"].tolist()
    assert p[0] == pytest.approx(ss.ttest_ind([20, 30, 40, 50], [60, 25, 35, 45, 55], equal_var=False).pvalue)
    assert p[1] == pytest.approx(ss.mannwhitneyu([1, 1, 1, 1], [2, 2, 3, 101], alternative="two-sided").pvalue)
    assert p[2] == pytest.approx(ss.fisher_exact([[3, 1], [4, 1]]).pvalue) == pytest.approx(1.0)
    assert p[3] == pytest.approx(ss.fisher_exact([[3, 1], [1, 4]]).pvalue)


def test_baseline_tests_only_when_asked_and_with_two_arms():
    v = [Variable("AGE", "Age")]
    assert pop.baseline_tests(baseline_frame(), v, "TRT01A", ["A", "B"], requested=False).empty
    assert pop.baseline_tests(baseline_frame(), v, "TRT01A", ["A", "B", "C"]).empty
    assert pop.baseline_tests(baseline_frame(), v, "TRT01A", ["A"]).columns.tolist() == [
        "variable", "statistics", "test", "p_val", "method"]


def test_summarize_baseline_categorical_levels_given_from_data_and_only_level():
    df = baseline_frame().assign(CMHCQFL=["Y", "N", "Y", "Y", "N", "N", "Y", "N", "N"])
    v = [Variable("SEX", "Sex", "categorical", levels=("M", "F")), Variable("SEX", "Sex", "categorical"),
         Variable("CMHCQFL", "Hydroxychloroquine", "categorical", only_level="Y")]
    out = pop.summarize_baseline(df, v, "TRT01A", ["A", "B"])
    assert out[["variable", "level", "arm", "n", "count"]].values.tolist() == [
        ["SEX", "M", "A", 4, 1], ["SEX", "M", "B", 5, 1], ["SEX", "M", "Total", 9, 2],
        ["SEX", "F", "A", 4, 3], ["SEX", "F", "B", 5, 4], ["SEX", "F", "Total", 9, 7],
        ["SEX", "F", "A", 4, 3], ["SEX", "F", "B", 5, 4], ["SEX", "F", "Total", 9, 7],  # levels from the data: sorted
        ["SEX", "M", "A", 4, 1], ["SEX", "M", "B", 5, 1], ["SEX", "M", "Total", 9, 2],
        ["CMHCQFL", "Y", "A", 4, 3], ["CMHCQFL", "Y", "B", 5, 1], ["CMHCQFL", "Y", "Total", 9, 4],
    ]
    assert set(out["statistics"]) == {"n_pct"}


def test_summarize_baseline_empty_arm_single_subject_and_absent_column():
    df = pd.DataFrame({"TRT01A": ["A", "B", "B"], "AGE": [30.0, 40.0, 50.0]})
    v = [Variable("AGE", "Age"), Variable("WEIGHTBL", "Weight"), Variable("SEX", "Sex", "categorical")]
    out = pop.summarize_baseline(df, v, "TRT01A", ["A", "B", "C"])
    assert out["variable"].unique().tolist() == ["AGE"]  # absent columns are left out
    assert rows(out[["arm", "n", "mean", "sd"]]) == [["A", 1, 30.0, None], ["B", 2, 45.0, 7.0710678118654755],
                                                     ["C", 0, None, None], ["Total", 3, 40.0, 10.0]]


def test_baseline_variables_name_the_instrument():
    v = pop.baseline_variables(["SLEDAIBL", "AGE"], instrument="SELENA-SLEDAI")
    assert [(x.column, x.label) for x in v] == [("AGE", "Age"), ("SLEDAIBL", "SELENA-SLEDAI")]


# ---------------------------------------------------------------------------------------
# populations: modified ITT and the arm allocated


def test_population_kind_modified_when_the_flag_leaves_out_randomized_subjects():
    adsl = pd.DataFrame({"RANDFL": ["Y", "Y", "Y", "N"], "ITTFL": ["Y", "Y", "N", "N"], "FASFL": ["Y", "Y", "Y", "N"]})
    assert pop.population_kind(adsl, "ITTFL") == "mitt"  # the third subject is randomized, not in ITTFL
    assert pop.population_kind(adsl, "FASFL") == "itt"  # the fourth is not randomized: not left out
    assert pop.population_kind(adsl.drop(columns="RANDFL"), "ITTFL") == "itt"  # no randomization recorded


def test_allocation_arm_and_efficacy_kind_from_the_config(cohort_builder):
    adsl = cohort_builder.tables["adsl"]
    adsl["TRT01P"] = ["IL-2", "Placebo", "Placebo"]
    adsl["RANDFL"] = "Y"
    adsl["ITTFL"] = ["Y", "Y", "N"]
    cohort_builder.config["populations"] = {"efficacy": {"flag": "ITTFL", "arm": "TRT01P"}, "safety": "SAFFL",
                                            "randomized": {"flag": "RANDFL", "arm": "TRT01P"}}
    c = load_cohort(cohort_builder.write())
    assert pop.allocation_arm(c.config) == "TRT01P"
    assert pop.efficacy_kind(c) == "mitt"
    # the flow allocates by the randomized arm: S02 (treated with IL-2) is counted where randomized
    flow = pop.participant_flow(c["adsl"], "TRT01P", c.arms, c["adex"], c.config.courses)
    assert flow.loc[flow["step"] == "allocated", ["arm", "n"]].values.tolist() == [["IL-2", 1], ["Placebo", 2]]


def test_allocation_arm_without_a_randomized_population(cohort_dir):
    c = load_cohort(cohort_dir)
    assert pop.allocation_arm(c.config) == "TRT01A"
    assert pop.efficacy_kind(c) == "itt"


def test_check_baseline_passes_and_fails():
    v = [Variable("AGE", "Age"), Variable("SEX", "Sex", "categorical")]
    summary = pop.summarize_baseline(baseline_frame(), v, "TRT01A", ["A", "B"])
    assert pop.check_baseline(summary, ["A", "B"]) is None
    with pytest.raises(ValueError, match=r"Table 1: variable AGE lacks arms \['Total'\]"):
        pop.check_baseline(summary[summary["arm"] != "Total"], ["A", "B"])
    with pytest.raises(ValueError, match=r"Table 1: a category counts more subjects than its arm holds"):
        pop.check_baseline(summary.assign(count=summary["count"] + 10), ["A", "B"])


# ---------------------------------------------------------------------------------------
# the cohort chapter, run by hand on both simulated cohorts (papermill, as the build runs it)

ROOT = Path(__file__).resolve().parents[1]


def run_cohort_chapter(cohort_name: str, folder: Path) -> tuple[dict, Path]:
    import papermill as pm

    from helpers.publish.manifest import collect_results

    out, downloads = folder / f"cohort-{cohort_name}.ipynb", folder / "downloads"
    pm.execute_notebook(str(ROOT / "chapters" / "cohort.ipynb"), str(out), engine_name="helpers", progress_bar=False,
                        parameters={"cohort_dir": str(ROOT / "data" / cohort_name), "downloads_dir": str(downloads)})
    return collect_results([out]), downloads


def test_randomized_cohort_chapter_allocates_by_the_randomized_arm(tmp_path):
    r, downloads = run_cohort_chapter("nct02465580", tmp_path)
    assert (r["n_enrolled"], r["n_treated"], r["n_not_treated"]) == (60, 59, 1)
    assert (r["n_treated@IL-2"], r["n_treated@Placebo"]) == (29, 30)
    assert r["allocation_arm_var"] == "TRT01P" and r["efficacy_population_label"] == "modified intention-to-treat population"
    flow = pd.read_csv(downloads / "participant-flow.csv")
    allocated = flow[flow["step"] == "Allocated"]
    assert allocated[["arm", "n"]].values.tolist() == [["IL-2", 30], ["Placebo", 30]]  # the untreated subject is not lost
    assert flow.loc[flow["step"] == "Allocated, not treated", "n"].tolist() == [1, 0]
    table1 = pd.read_csv(downloads / "baseline-characteristics.csv", keep_default_na=False)
    assert table1.columns.tolist() == ["variable", "row", "statistic", "IL-2", "Placebo", "Total", "p"]
    age = table1[table1["variable"] == "Age, years"]
    assert age["row"].tolist() == ["Mean (SD)"]  # the paper's Table 1 format, from the config
    sex = table1[table1["variable"] == "Sex"]
    # 27/3 vs 29/1 as published, Fisher's exact test p = 0.612 (He et al. 2020, Table 1)
    assert sex[["IL-2", "Placebo", "p"]].values.tolist()[0] == ["27 (90.0%)", "29 (96.7%)", "0.612"]


def test_single_arm_cohort_chapter_keeps_the_published_figures(tmp_path):
    r, downloads = run_cohort_chapter("nct02084238", tmp_path)
    assert (r["n_enrolled"], r["n_treated"], r["n_not_treated"]) == (40, 40, 0)
    table1 = pd.read_csv(downloads / "baseline-characteristics.csv", keep_default_na=False)
    assert "p" not in table1.columns
    assert table1.loc[table1["variable"] == "Age, years", "row"].tolist() == ["Median (range)"]  # Table S1's format


# ---------------------------------------------------------------------------------------
# Table 1 by name, requested rows the data lack (issue 14 part 2, issue 15)


def test_baseline_values_names_every_cell():
    df = pd.DataFrame({"ARM": ["A", "A", "B", "B"], "WEIGHTBL": [50.0, 60.0, 70.0, None],
                       "CMHCQFL": ["Y", "N", "Y", "Y"], "DURDISY": [1.0, 3.0, 2.0, 2.0]})
    v = [Variable("WEIGHTBL", "Weight"), Variable("DURDISY", "Duration"),
         Variable("CMHCQFL", "HCQ", "categorical", only_level="Y")]
    s = pop.summarize_baseline(df, v, "ARM", ["A", "B"])
    out = pop.baseline_values(s)
    assert out["arm"].tolist() == ["A", "B", "Total"]
    a = out.iloc[0]
    assert (a["baseline_weightbl_n"], a["baseline_weightbl_mean"], a["baseline_weightbl_min"],
            a["baseline_weightbl_max"]) == (2, 55.0, 50.0, 60.0)
    assert a["baseline_weightbl_sd"] == pytest.approx(7.0710678, abs=1e-6)  # sqrt(50)
    assert (a["baseline_cmhcqfl_y_count"], a["baseline_cmhcqfl_n"], a["baseline_cmhcqfl_y_pct"]) == (1, 2, 50.0)
    # duration in months too: 12 x the years (mean of 1 and 3 years = 24 months)
    assert (a["baseline_durdis_months_mean"], a["baseline_durdis_months_max"]) == (24.0, 36.0)
    b = out.iloc[1]
    assert (b["baseline_weightbl_n"], b["baseline_cmhcqfl_y_count"], b["baseline_cmhcqfl_y_pct"]) == (1, 2, 100.0)
    assert np.isnan(b["baseline_weightbl_sd"])


def test_baseline_values_without_rescaling():
    s = pd.DataFrame({"variable": ["DURDISY"], "level": [None], "arm": ["A"], "n": [1], "count": [None],
                      "mean": [2.0], "sd": [None], "median": [2.0], "q1": [2.0], "q3": [2.0], "min": [2.0], "max": [2.0]})
    assert not any("months" in c for c in pop.baseline_values(s, rescaled={}).columns)


def test_baseline_p_values_by_name():
    t = pd.DataFrame({"variable": ["WEIGHTBL", "CMCSAFL"], "p_val": [0.117, 0.052]})
    assert pop.baseline_p_values(t) == {"baseline_weightbl_p": 0.117, "baseline_cmcsafl_p": 0.052}
    assert pop.baseline_p_values(t.iloc[:0]) == {}


def test_missing_baseline_columns_in_the_order_asked():
    extra = [["ESRBL", "ESR"], ["AGE", "Age again"], ["CRPBL", "CRP", "continuous"]]
    assert pop.missing_baseline_columns(["AGE"], extra) == ["ESRBL", "CRPBL"]
    assert pop.missing_baseline_columns(["AGE"], []) == []


def test_warn_missing_baseline_names_the_table_and_column():
    with pytest.warns(UserWarning, match=r"extra_baseline: column ESRBL is not in adsl .* its row 'ESR' is left out"):
        assert pop.warn_missing_baseline(["AGE"], [["ESRBL", "ESR"]]) == ["ESRBL"]


def test_warn_missing_baseline_is_silent_when_every_column_is_there(recwarn):
    assert pop.warn_missing_baseline(["AGE", "ESRBL"], [["ESRBL", "ESR"]]) == []
    assert len(recwarn) == 0


def test_cohort_chapter_warns_and_footnotes_a_requested_row_the_data_lack():
    """issue 15: a requested baseline row absent from the export is named in a warning and in
    the baseline table's footnote, never dropped silently."""
    from helpers.present import tables
    from helpers.present.prose import efficacy as words

    base = pd.DataFrame({"USUBJID": ["1", "2"], "ARM": ["A", "A"], "AGE": [30.0, 40.0]})
    extra = [["ESRBL", "ESR", "continuous"]]
    with pytest.warns(UserWarning, match="column ESRBL is not in adsl"):
        missing = pop.warn_missing_baseline(base.columns, extra)
    variables = pop.baseline_variables(base.columns, extra)
    summary = pop.summarize_baseline(base, variables, "ARM", ["A"])
    table = tables.with_notes(tables.baseline_table(summary, variables, ["A"], "all subjects"),
                              words.missing_baseline_note(missing))
    assert table.notes[-1] == "Requested but not in the data (adsl), so not shown: ESRBL."
    assert [v.column for v in variables] == ["AGE"]
