"""Tests for helpers.analyses.efficacy on the three-subject fixture cohort of conftest.py.

At week 2: S01 (IL-2) SLEDAI-2K 14 -> 2, BILAG B, B, B -> C, D, C, PGA 2.0 -> 1.0: an SRI-4
responder. S02 (IL-2) 8 -> 8: fails the SLEDAI-2K criterion only. S03 (Placebo) has no
week-2 visit: a non-responder by imputation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import efficacy as ef
from helpers.data import load_cohort

ARMS = ["IL-2", "Placebo"]
NAN = float("nan")
SRI_COLUMNS = ["USUBJID", "AVISITN", "AVISIT", "PARAMCD", "AVAL", "DTYPE", "CRIT1FL", "CRIT2FL", "CRIT3FL", "TRT01A"]


def test_sri_response_nri(cohort_dir):
    out = ef.sri_response(load_cohort(cohort_dir))
    assert set(SRI_COLUMNS) <= set(out.columns)
    assert out[["USUBJID", "TRT01A", "AVISITN", "AVISIT", "PARAMCD", "AVAL", "DTYPE"]].values.tolist() == [
        ["S01", "IL-2", 2, "Week 2", "SRI4", 1.0, ""],
        ["S02", "IL-2", 2, "Week 2", "SRI4", 0.0, ""],
        ["S03", "Placebo", 2, "Week 2", "SRI4", 0.0, "NRI"],
    ]
    assert out[["CRIT1FL", "CRIT2FL", "CRIT3FL"]].iloc[:2].values.tolist() == [["Y", "Y", "Y"], ["N", "Y", "Y"]]
    assert out[["BASE", "CHG"]].iloc[:2].values.tolist() == [[14.0, -12.0], [8.0, 0.0]]


def test_sri_response_observed(cohort_dir):
    out = ef.sri_response(load_cohort(cohort_dir), imputation="observed")
    assert out[["USUBJID", "TRT01A", "AVISITN", "AVISIT", "AVAL", "DTYPE"]].values.tolist() == [
        ["S01", "IL-2", 2, "Week 2", 1.0, ""],
        ["S02", "IL-2", 2, "Week 2", 0.0, ""],
    ]


def test_sri_response_not_evaluable_visit(cohort_builder):
    cohort_builder.drop("adpga", [2])  # S01 week 2 PGA missing: CRIT3 unknown, the others met
    cohort = load_cohort(cohort_builder.write())
    nri = ef.sri_response(cohort)
    assert nri[["USUBJID", "AVAL", "DTYPE", "CRIT3FL"]].values.tolist()[0] == ["S01", 0.0, "NRI", ""]
    observed = ef.sri_response(cohort, imputation="observed")
    assert observed["USUBJID"].tolist() == ["S02"]


@pytest.mark.parametrize("k, s01", [(8, 1.0), (12, 1.0), (13, 0.0)])
def test_sri_response_threshold(cohort_dir, k, s01):
    out = ef.sri_response(load_cohort(cohort_dir), k=k)
    assert set(out["PARAMCD"]) == {f"SRI{k}"}
    assert out["AVAL"].tolist() == [s01, 0.0, 0.0]  # S01 improved by exactly 12


def test_sri_response_efficacy_population_only(cohort_builder):
    cohort_builder.set("adsl", 2, "ITTFL", "N")
    out = ef.sri_response(load_cohort(cohort_builder.write()))
    assert out["USUBJID"].tolist() == ["S01", "S03"]


def test_sri_response_bad_imputation(cohort_dir):
    with pytest.raises(ValueError, match=r"imputation must be 'nri' or 'observed', got 'locf'"):
        ef.sri_response(load_cohort(cohort_dir), imputation="locf")


def test_failed_components_on_the_fixture(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    out = ef.failed_components(sri, 2, "TRT01A")
    assert out.columns.tolist() == ["TRT01A", "criterion", "n", "n_nonresponders"]
    assert out.values.tolist() == [
        ["IL-2", "sledai", 1, 1],
        ["IL-2", "bilag", 0, 1],
        ["IL-2", "pga", 0, 1],
        ["IL-2", "missing", 0, 1],
        ["Placebo", "sledai", 0, 1],
        ["Placebo", "bilag", 0, 1],
        ["Placebo", "pga", 0, 1],
        ["Placebo", "missing", 1, 1],
    ]


def test_failed_components_several_criteria_and_other_weeks():
    sri = pd.DataFrame({
        "TRT01A": ["A", "A", "A", "A", "B"],
        "AVISITN": [6, 6, 6, 12, 6],
        "AVAL": [0.0, 0.0, 1.0, 0.0, 1.0],
        "CRIT1FL": ["N", "Y", "Y", "N", "Y"],
        "CRIT2FL": ["N", "Y", "Y", "N", "Y"],
        "CRIT3FL": ["N", "", "Y", "N", "Y"],
        "DTYPE": ["", "NRI", "", "", ""],
    })
    out = ef.failed_components(sri, 6, "TRT01A")
    # A: two non-responders at week 6, one failing all three, one not evaluable; B: none
    assert out[["TRT01A", "n", "n_nonresponders"]].values.tolist() == [
        ["A", 1, 2], ["A", 1, 2], ["A", 1, 2], ["A", 1, 2],
        ["B", 0, 0], ["B", 0, 0], ["B", 0, 0], ["B", 0, 0],
    ]


def test_sledai_by_visit_on_the_fixture(cohort_dir):
    out = ef.sledai_by_visit(load_cohort(cohort_dir))
    assert out[["USUBJID", "AVISITN", "AVAL", "BASE", "CHG", "TRT01A"]].values.tolist() == [
        ["S01", 0, 14.0, 14.0, 0.0, "IL-2"],
        ["S01", 2, 2.0, 14.0, -12.0, "IL-2"],
        ["S02", 0, 8.0, 8.0, 0.0, "IL-2"],
        ["S02", 2, 8.0, 8.0, 0.0, "IL-2"],
        ["S03", 0, 8.0, 8.0, 0.0, "Placebo"],
    ]


def test_measure_by_visit_on_the_fixture(cohort_dir):
    out = ef.measure_by_visit(load_cohort(cohort_dir), "adcm")
    assert out[["USUBJID", "AVISITN", "CHG", "PCHG"]].values.tolist() == [
        ["S01", 0, 0.0, 0.0], ["S01", 2, -5.0, -25.0], ["S02", 0, 0.0, 0.0], ["S02", 2, 0.0, 0.0],
        ["S03", 0, 0.0, 0.0]]


def test_response_wide_one_row_per_subject(cohort_dir):
    wide = ef.response_wide(ef.sri_response(load_cohort(cohort_dir)), "TRT01A")
    assert wide["USUBJID"].tolist() == ["S01", "S02", "S03"]
    assert wide[2].tolist() == [1.0, 0.0, 0.0]


def test_subject_response_at_adds_baseline_sledai(cohort_dir):
    cohort = load_cohort(cohort_dir)
    out = ef.subject_response_at(ef.sri_response(cohort), 2, cohort)
    assert out.values.tolist() == [["S01", "IL-2", 1.0, 14.0], ["S02", "IL-2", 0.0, 8.0], ["S03", "Placebo", 0.0, 8.0]]
    assert np.issubdtype(out["AVAL"].dtype, np.floating)


# ---------------------------------------------------------------------------------------
# selecting rows of a by-arm summary


def by_arm_summary() -> pd.DataFrame:
    return pd.DataFrame({
        "TRT01A": ["A", "B", "Total", "A", "B", "Total"],
        "AVISITN": [2, 2, 2, 4, 4, 4],
        "responders": [1, 0, 1, 2, 1, 3],
        "n": [2, 1, 3, 2, 1, 3],
    })


def test_at_week_keeps_one_visit():
    out = ef.at_week(by_arm_summary(), 4)
    assert out[["TRT01A", "responders"]].values.tolist() == [["A", 2], ["B", 1], ["Total", 3]]
    assert out.index.tolist() == [0, 1, 2]


def test_all_subjects_total_or_the_one_arm():
    s = by_arm_summary()
    assert ef.all_subjects(s, "TRT01A", ["A", "B"], AVISITN=4)["responders"] == 3
    assert ef.all_subjects(s[s["TRT01A"] == "A"], "TRT01A", ["A"], AVISITN=2)["responders"] == 1


def test_all_subjects_not_exactly_one_row():
    with pytest.raises(ValueError, match=r"all_subjects: 2 rows with TRT01A == 'Total' and \{\} \(expected one\)"):
        ef.all_subjects(by_arm_summary(), "TRT01A", ["A", "B"])
    with pytest.raises(ValueError, match=r"all_subjects: 0 rows with TRT01A == 'Total' and \{'AVISITN': 6\}"):
        ef.all_subjects(by_arm_summary(), "TRT01A", ["A", "B"], AVISITN=6)


def test_first_match_and_no_match():
    assert ef.first_match(by_arm_summary(), TRT01A="B")["AVISITN"] == 2
    with pytest.raises(ValueError, match=r"first_match: no row with \{'TRT01A': 'C'\}"):
        ef.first_match(by_arm_summary(), TRT01A="C")


def test_wide_by_week_one_row_per_arm_ints_kept():
    out = ef.wide_by_week(by_arm_summary(), "TRT01A", "responders")
    assert out.columns.tolist() == ["TRT01A", 2, 4]
    assert out.values.tolist() == [["A", 1, 2], ["B", 0, 1], ["Total", 1, 3]]
    assert isinstance(out.iloc[0][4], (int, np.integer))


def test_values_by_week_names_and_plain_values():
    f = pd.DataFrame({"AVISITN": [2.0, 4.0], "estimate": [0.1, 0.25], "p_chisq": [0.2, NAN]})
    out = ef.values_by_week(f, {"diff_week{week}": "estimate", "p_week{week}": "p_chisq"})
    assert list(out) == ["diff_week2", "diff_week4", "p_week2", "p_week4"]
    assert out["diff_week4"] == 0.25 and type(out["diff_week4"]) is float
    assert np.isnan(out["p_week4"])


def test_values_by_week_refuses_several_rows_a_visit():
    f = pd.DataFrame({"AVISITN": [2, 2], "estimate": [0.1, 0.2]})
    with pytest.raises(ValueError, match=r"values_by_week: the frame has several rows for a visit"):
        ef.values_by_week(f, {"x{week}": "estimate"})


# ---------------------------------------------------------------------------------------
# SRI response summaries on the fixture


def test_summarize_by_visit_arms_then_total(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    out = ef.summarize_by_visit(sri, "TRT01A", ARMS)
    assert out[["TRT01A", "AVISITN", "responders", "n"]].values.tolist() == [
        ["IL-2", 2, 1, 2], ["Placebo", 2, 0, 1], ["Total", 2, 1, 3]]
    # Clopper-Pearson 1/3: R binom.test(1, 3)$conf.int = 0.008403759 0.905700675
    assert out["ci_low"].iloc[2] == pytest.approx(0.008403759, abs=1e-8)
    assert out["ci_high"].iloc[2] == pytest.approx(0.905700675, abs=1e-8)


def test_sri_sensitivity_variants_in_order(cohort_dir):
    out = ef.sri_sensitivity(load_cohort(cohort_dir), 2, "TRT01A", ARMS)
    assert out.columns.tolist()[:4] == ["k", "imputation", "primary", "TRT01A"]
    # S03 has no week-2 visit: no observed-cases row for Placebo
    assert out[["k", "imputation", "primary", "TRT01A", "responders", "n"]].values.tolist() == [
        [4, "nri", True, "IL-2", 1, 2], [4, "nri", True, "Placebo", 0, 1], [4, "nri", True, "Total", 1, 3],
        [4, "observed", False, "IL-2", 1, 2], [4, "observed", False, "Total", 1, 2],
        [5, "nri", False, "IL-2", 1, 2], [5, "nri", False, "Placebo", 0, 1], [5, "nri", False, "Total", 1, 3],
        [6, "nri", False, "IL-2", 1, 2], [6, "nri", False, "Placebo", 0, 1], [6, "nri", False, "Total", 1, 3],
    ]


def test_sri_sensitivity_uses_the_given_primary_and_thresholds(cohort_dir):
    cohort = load_cohort(cohort_dir)
    primary = ef.sri_response(cohort).assign(AVAL=0.0)  # a primary analysis with no responder
    out = ef.sri_sensitivity(cohort, 2, "TRT01A", ARMS, primary=primary, stricter=(13,))
    assert out.loc[out["primary"], "responders"].tolist() == [0, 0, 0]
    assert out["k"].unique().tolist() == [4, 13]
    assert out.loc[out["k"] == 13, "responders"].tolist() == [0, 0, 0]  # S01 improved by 12 only


def test_failed_components_and_nonresponder_counts(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    counts = ef.nonresponder_counts(ef.failed_components(sri, 2, "TRT01A"), "TRT01A")
    assert counts == {"nonresponders": 2, "sledai": 1, "bilag": 0, "pga": 0, "missing": 1}


def test_nonresponder_counts_arm_without_nonresponders():
    f = pd.DataFrame({"TRT01A": ["A"] * 4 + ["B"] * 4, "criterion": ["sledai", "bilag", "pga", "missing"] * 2,
                      "n": [1, 1, 1, 1, 0, 0, 0, 0], "n_nonresponders": [2] * 4 + [0] * 4})
    assert ef.nonresponder_counts(f, "TRT01A") == {"nonresponders": 2, "sledai": 1, "bilag": 1, "pga": 1, "missing": 1}


@pytest.mark.parametrize("ci_low, rate, holds", [(0.76, 0.92, True), (0.76, 0.76, True), (0.3, 0.25, False),
                                                 (NAN, 0.5, None), (0.3, NAN, None)])
def test_observed_cases_hold(ci_low, rate, holds):
    assert ef.observed_cases_hold({"ci_low": ci_low}, {"rate": rate}) is holds


def test_change_by_visit_arms_and_total(cohort_dir):
    out = ef.change_by_visit(ef.sledai_by_visit(load_cohort(cohort_dir)), "TRT01A", ARMS)
    # S01 14 -> 2 and S02 8 -> 8 in IL-2; S03 (Placebo) has no week 2: no Placebo row
    assert out[["TRT01A", "AVISITN", "n", "base_median", "median", "median_chg"]].values.tolist() == [
        ["IL-2", 2, 2, 11.0, 5.0, -6.0], ["Total", 2, 2, 11.0, 5.0, -6.0]]


def sensitivity(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["k", "imputation", "TRT01A", "responders", "rate"])


def test_check_response_passes_on_the_fixture(cohort_dir):
    cohort = load_cohort(cohort_dir)
    sri = ef.sri_response(cohort)
    sens = ef.sri_sensitivity(cohort, 2, "TRT01A", ARMS, primary=sri)
    assert ef.check_response(sri, cohort.config.post_baseline_weeks, sens, 2, "TRT01A") is None


def test_check_response_a_subject_missing_a_week(cohort_dir):
    cohort = load_cohort(cohort_dir)
    sri = ef.sri_response(cohort)
    with pytest.raises(ValueError, match=r"a subject does not have exactly one row per scheduled week"):
        ef.check_response(sri, [2, 4], sensitivity([]), 2, "TRT01A")


def test_check_response_rate_outside_unit_interval(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    with pytest.raises(ValueError, match=r"a response rate lies outside \[0, 1\]"):
        ef.check_response(sri, [2], sensitivity([[4, "nri", "A", 1, 1.5]]), 2, "TRT01A")


def test_check_response_stricter_threshold_with_more_responders(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    # observed cases may have more responders than SRI-5; the order is checked on NRI only
    sens = sensitivity([[6, "nri", "A", 3, 0.3], [4, "nri", "A", 2, 0.2], [4, "observed", "A", 9, 0.9]])
    with pytest.raises(ValueError, match=r"arm A: a stricter SRI threshold has more responders than a looser one"):
        ef.check_response(sri, [2], sens, 2, "TRT01A")
    ef.check_response(sri, [2], sens.drop(index=0), 2, "TRT01A")


# ---------------------------------------------------------------------------------------
# comparisons between arms


def published_at() -> pd.DataFrame:
    """16 of 29 responders with IL-2 and 9 of 30 with placebo (He et al. 2020), baseline
    SLEDAI-2K alternating 8 and 12."""
    aval = [1.0] * 16 + [0.0] * 13 + [1.0] * 9 + [0.0] * 21
    return pd.DataFrame({"TRT01A": ["IL-2"] * 29 + ["Placebo"] * 30, "AVAL": aval,
                         "SLEDAIBL": [8.0, 12.0] * 29 + [8.0]})


def test_response_comparisons_rate_difference_and_odds_ratio():
    out = ef.response_comparisons(published_at(), "TRT01A", ARMS, "Placebo")
    assert out.columns.tolist() == ["endpoint", "analysis", "arm", "reference", "estimate", "ci_low", "ci_high", "p_val",
                                    "p_chisq", "p_fisher", "test", "method", "scale", "covariate", "converged"]
    assert out[["endpoint", "analysis", "arm", "reference", "test", "scale", "covariate"]].values.tolist() == [
        ["SRI4", "rate_difference", "IL-2", "Placebo", "chisq", "percent", ""],
        ["SRI4", "odds_ratio", "IL-2", "Placebo", "wald", "ratio", "SLEDAIBL"],
    ]
    diff = out.iloc[0]
    # R: prop.test(c(16, 9), c(29, 30), correct = FALSE)$p.value = 0.0504;
    # fisher.test(matrix(c(16, 13, 9, 21), 2))$p.value = 0.0673
    assert diff["estimate"] == pytest.approx(16 / 29 - 9 / 30)
    assert diff["p_val"] == diff["p_chisq"] == pytest.approx(0.0504, abs=5e-5)
    assert diff["p_fisher"] == pytest.approx(0.0673, abs=5e-5)
    assert diff["method"] == "Newcombe interval; Pearson chi-square test"
    odds = out.iloc[1]
    assert np.isnan(odds["p_chisq"]) and np.isnan(odds["p_fisher"]) and bool(odds["converged"])
    assert odds["estimate"] > 1 and odds["ci_low"] < odds["estimate"] < odds["ci_high"]


def test_primary_comparison_first_arm():
    rows = pd.DataFrame({"analysis": ["rate_difference", "odds_ratio", "rate_difference", "odds_ratio"],
                         "arm": ["B", "B", "C", "C"], "estimate": [0.1, 1.5, 0.2, 2.0]})
    diff, odds = ef.primary_comparison(rows)
    assert (diff["estimate"], odds["estimate"]) == (0.1, 1.5)


def test_rate_differences_by_week_and_first_comparison(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    out = ef.rate_differences_by_week(sri, "TRT01A", ARMS, "Placebo")
    assert out[["AVISITN", "analysis", "arm", "reference", "estimate", "test"]].values.tolist() == [
        [2, "rate_difference", "IL-2", "Placebo", 0.5, "chisq"]]
    # R: prop.test(c(1, 0), c(2, 1), correct = FALSE)$p.value = 0.3865; Fisher's exact p = 1
    assert out["p_val"].iloc[0] == out["p_chisq"].iloc[0] == pytest.approx(0.3865, abs=5e-5)
    assert out["p_fisher"].iloc[0] == pytest.approx(1.0)
    three = pd.concat([out, out.assign(arm="Other")], ignore_index=True)
    assert ef.first_comparison(three)["arm"].tolist() == ["IL-2"]


def test_change_comparisons_measure_codes():
    rng = np.random.default_rng(3)
    base = rng.normal(10, 2, 12)
    bds = pd.DataFrame({"PARAMCD": "SLEDAI", "AVISITN": 12, "TRT01A": ["IL-2", "Placebo"] * 6, "BASE": base,
                        "CHG": np.where(np.arange(12) % 2 == 0, -4.0, -1.0) + rng.normal(0, 0.5, 12)})
    out = ef.change_comparisons([bds, bds.assign(PARAMCD="PGA")], 12, "TRT01A", ARMS, "Placebo")
    assert out[["measure", "analysis", "arm", "reference", "scale"]].values.tolist() == [
        ["SLEDAI", "change_ancova", "IL-2", "Placebo", "difference"],
        ["PGA", "change_ancova", "IL-2", "Placebo", "difference"]]
    assert out["estimate"].iloc[0] == pytest.approx(out["estimate"].iloc[1])
    assert out["estimate"].iloc[0] < -2
