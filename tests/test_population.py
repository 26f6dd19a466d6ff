"""Tests for helpers.analyses.population: participant flow, baseline disease, Table 1 rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import population as pop
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


def test_participant_flow_two_arms_with_exposure():
    flow = pop.participant_flow(flow_adsl(), "TRT01A", ["A", "B"], flow_adex(), [Course(1, 1, 28), Course(2, 29, 56)])
    assert flow.columns.tolist() == ["step", "arm", "n", "detail"]
    assert flow.values.tolist() == [
        ["Enrolled", "All", 6, ""],
        ["Allocated", "A", 4, ""],
        ["Allocated", "B", 2, ""],
        ["Treated", "A", 3, ""],
        ["Treated", "B", 2, ""],
        ["Received course 1", "A", 3, ""],
        ["Received course 1", "B", 2, ""],
        ["Received course 2", "A", 1, ""],
        ["Received course 2", "B", 1, ""],
        ["Completed the study", "A", 1, ""],
        ["Completed the study", "B", 0, ""],
        ["Discontinued", "A", 3, "Withdrawal by subject: 2; reason not given: 1"],
        ["Discontinued", "B", 1, "Adverse event: 1"],
        ["Ongoing", "A", 0, ""],
        ["Ongoing", "B", 1, ""],
        ["Analysed for efficacy (ITTFL)", "A", 4, ""],
        ["Analysed for efficacy (ITTFL)", "B", 1, ""],
        ["Analysed for safety (SAFFL)", "A", 3, ""],
        ["Analysed for safety (SAFFL)", "B", 2, ""],
    ]


def test_participant_flow_single_arm_without_exposure():
    adsl = flow_adsl()
    adsl = adsl[adsl["TRT01A"] == "A"].drop(columns="DCSREAS")
    adsl["EOSSTT"] = ["COMPLETED", "COMPLETED", "DISCONTINUED", "COMPLETED"]
    flow = pop.participant_flow(adsl, "TRT01A", ["A"], efficacy_flag="ITTFL", safety_flag="SAFFL")
    # no Allocated step with one arm; Treated is the safety flag; no Ongoing row when nobody is
    assert flow[["step", "n", "detail"]].values.tolist() == [
        ["Enrolled", 4, ""],
        ["Treated", 3, ""],
        ["Completed the study", 3, ""],
        ["Discontinued", 1, ""],  # no DCSREAS column: no reasons to list
        ["Analysed for efficacy (ITTFL)", 4, ""],
        ["Analysed for safety (SAFFL)", 3, ""],
    ]


def test_participant_flow_empty_arm_shows_zeros():
    flow = pop.participant_flow(flow_adsl(), "TRT01A", ["A", "B", "C"])
    c = flow[flow["arm"] == "C"]
    assert c["step"].tolist() == ["Allocated", "Treated", "Completed the study", "Discontinued", "Ongoing",
                                  "Analysed for efficacy (ITTFL)", "Analysed for safety (SAFFL)"]
    assert c["n"].tolist() == [0] * 7


def test_participant_flow_without_eosstt():
    adsl = flow_adsl().drop(columns=["EOSSTT", "DCSREAS"])
    flow = pop.participant_flow(adsl, "TRT01A", ["A", "B"])
    assert "Completed the study" not in set(flow["step"])
    assert flow.loc[flow["step"] == "Treated", "n"].tolist() == [3, 2]


def test_participant_flow_on_the_fixture_cohort(cohort_dir):
    c = load_cohort(cohort_dir)
    flow = pop.participant_flow(c["adsl"], c.arm_var, c.arms, c["adex"], c.config.courses)
    got = {(s, a): n for s, a, n in flow[["step", "arm", "n"]].itertuples(index=False)}
    assert got[("Enrolled", "All")] == 3
    assert (got[("Received course 2", "IL-2")], got[("Received course 2", "Placebo")]) == (1, 0)
    assert flow.loc[(flow["step"] == "Discontinued") & (flow["arm"] == "Placebo"), "detail"].tolist() == [
        "Withdrawal by subject: 1"]
    pop.check_flow(flow, 3)


def test_check_flow_passes_on_a_consistent_flow():
    flow = pop.participant_flow(flow_adsl(), "TRT01A", ["A", "B"], flow_adex(), [Course(1, 1, 28)])
    assert pop.check_flow(flow, 6) is None


def test_check_flow_count_outside_range():
    flow = pd.DataFrame({"step": ["Enrolled", "Treated"], "arm": ["All", "A"], "n": [3, 4], "detail": ""})
    with pytest.raises(ValueError, match=r"participant flow has counts outside 0\.\.3"):
        pop.check_flow(flow, 3)


def test_check_flow_negative_count():
    flow = pd.DataFrame({"step": ["Enrolled", "Treated"], "arm": ["All", "A"], "n": [3, -1], "detail": ""})
    with pytest.raises(ValueError, match=r"counts outside 0\.\.3"):
        pop.check_flow(flow, 3)


def test_check_flow_more_finished_than_allocated():
    flow = pd.DataFrame({
        "step": ["Enrolled", "Allocated", "Completed the study", "Discontinued", "Allocated", "Completed the study"],
        "arm": ["All", "A", "A", "A", "B", "B"],
        "n": [5, 3, 2, 2, 2, 2],
        "detail": "",
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
    assert out.columns.tolist() == ["PARAMCD", "descriptor", "domain", "weight", "n_active", "n", "pct"]
    assert len(out) == 24
    active = out[out["n_active"] > 0]
    assert active[["PARAMCD", "n_active", "n"]].values.tolist() == [
        ["ARTHRIT", 3, 3], ["PROTEIN", 1, 3], ["RASH", 2, 3], ["LOWCOMP", 2, 3], ["DNABIND", 2, 3],
        ["THROMBO", 1, 3], ["LEUKOP", 1, 3]]
    assert out.set_index("PARAMCD").loc["ARTHRIT", "pct"] == 100.0
    assert out.set_index("PARAMCD").loc["RASH", "pct"] == pytest.approx(200 / 3)
    assert out.set_index("PARAMCD").loc["SEIZURE", ["descriptor", "domain", "weight"]].tolist() == [
        "Seizure", "neurological", 8]
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
