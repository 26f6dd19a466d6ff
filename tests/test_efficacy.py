"""Tests for helpers.analyses.efficacy on the three-subject fixture cohort of conftest.py.

At week 2: S01 (IL-2) SLEDAI-2K 14 -> 2, BILAG B, B, B -> C, D, C, PGA 2.0 -> 1.0: an SRI-4
responder. S02 (IL-2) 8 -> 8: fails the SLEDAI-2K criterion only. S03 (Placebo) has no
week-2 visit: a non-responder by imputation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

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


def test_summarize_by_visit_per_arm_never_pooled(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    out = ef.summarize_by_visit(sri, "TRT01A", ARMS)
    assert out[["TRT01A", "AVISITN", "responders", "n"]].values.tolist() == [["IL-2", 2, 1, 2], ["Placebo", 2, 0, 1]]
    # Clopper-Pearson 1/2: R binom.test(1, 2)$conf.int = 0.01257912 0.98742088
    assert out["ci_low"].iloc[0] == pytest.approx(0.01257912, abs=1e-8)
    assert "Total" not in set(out["TRT01A"])


def test_summarize_by_visit_arms_in_config_order():
    sri = pd.DataFrame({"arm": ["Z", "A", "Z"], "AVISITN": [2, 2, 4], "AVAL": [1.0, 0.0, 1.0]})
    assert ef.summarize_by_visit(sri, "arm", ["Z", "A"])[["arm", "AVISITN"]].values.tolist() == [
        ["Z", 2], ["Z", 4], ["A", 2]]


def test_sri_variants_and_sensitivity_in_order(cohort_dir):
    cohort = load_cohort(cohort_dir)
    variants = ef.sri_variants(cohort, 2, "TRT01A")
    assert variants.columns.tolist() == ["analysis", "k", "imputation", "population", "primary", "USUBJID", "TRT01A",
                                         "AVAL", "DTYPE"]
    out = ef.sri_sensitivity(variants, "TRT01A", ARMS)
    assert out.columns.tolist()[:6] == ["analysis", "k", "imputation", "population", "primary", "TRT01A"]
    # S03 has no week-2 visit: observed cases has 0 of 0 for Placebo (a row all the same); no Total anywhere;
    # no randomized population in this config: no true intention-to-treat analysis
    assert out[["analysis", "k", "imputation", "primary", "TRT01A", "responders", "n"]].values.tolist() == [
        ["primary", 4, "nri", True, "IL-2", 1, 2], ["primary", 4, "nri", True, "Placebo", 0, 1],
        ["observed", 4, "observed", False, "IL-2", 1, 2], ["observed", 4, "observed", False, "Placebo", 0, 0],
        ["sri5", 5, "nri", False, "IL-2", 1, 2], ["sri5", 5, "nri", False, "Placebo", 0, 1],
        ["sri6", 6, "nri", False, "IL-2", 1, 2], ["sri6", 6, "nri", False, "Placebo", 0, 1],
    ]
    assert np.isnan(out["rate"].iloc[3])


def test_sri_variants_use_the_given_primary_and_thresholds(cohort_dir):
    cohort = load_cohort(cohort_dir)
    primary = ef.sri_response(cohort).assign(AVAL=0.0)  # a primary analysis with no responder
    out = ef.sri_sensitivity(ef.sri_variants(cohort, 2, "TRT01A", primary=primary, stricter=(13,)), "TRT01A", ARMS)
    assert out.loc[out["primary"], "responders"].tolist() == [0, 0]
    assert out["k"].unique().tolist() == [4, 13]
    assert out.loc[out["k"] == 13, "responders"].tolist() == [0, 0]  # S01 improved by 12 only


def test_failed_components_and_nonresponders_by_arm(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    out = ef.nonresponders_by_arm(ef.failed_components(sri, 2, "TRT01A"), "TRT01A")
    assert out.columns.tolist() == ["TRT01A", "nonresponders", "sledai", "bilag", "pga", "missing"]
    assert out.values.tolist() == [["IL-2", 1, 1, 0, 0, 0], ["Placebo", 1, 0, 0, 0, 1]]


def test_nonresponders_by_arm_arm_without_nonresponders():
    f = pd.DataFrame({"TRT01A": ["A"] * 4 + ["B"] * 4, "criterion": ["sledai", "bilag", "pga", "missing"] * 2,
                      "n": [1, 1, 1, 1, 0, 0, 0, 0], "n_nonresponders": [2] * 4 + [0] * 4})
    assert ef.nonresponders_by_arm(f, "TRT01A").values.tolist() == [["A", 2, 1, 1, 1, 1], ["B", 0, 0, 0, 0, 0]]


def test_failed_components_treatment_failure_row():
    sri = pd.DataFrame({"TRT01A": "A", "AVISITN": 6, "AVAL": [0.0, 0.0, 1.0], "CRIT1FL": ["Y", "N", "Y"],
                        "CRIT2FL": "Y", "CRIT3FL": "Y", "DTYPE": ["TF", "", ""]})
    out = ef.failed_components(sri, 6, "TRT01A", treatment_failure=True)
    assert out[["criterion", "n", "n_nonresponders"]].values.tolist() == [
        ["sledai", 1, 2], ["bilag", 0, 2], ["pga", 0, 2], ["missing", 0, 2], ["failure", 1, 2]]
    assert "failure" not in set(ef.failed_components(sri, 6, "TRT01A")["criterion"])


@pytest.mark.parametrize("ci_low, rate, holds", [(0.76, 0.92, True), (0.76, 0.76, True), (0.3, 0.25, False),
                                                 (NAN, 0.5, None), (0.3, NAN, None)])
def test_observed_cases_hold(ci_low, rate, holds):
    assert ef.observed_cases_hold({"ci_low": ci_low}, {"rate": rate}) is holds


def test_change_by_visit_per_arm_family_within_the_arm(cohort_dir):
    out = ef.change_by_visit(ef.sledai_by_visit(load_cohort(cohort_dir)), "TRT01A", ARMS)
    # S01 14 -> 2 and S02 8 -> 8 in IL-2; S03 (Placebo) has no week 2: no Placebo row, and no Total row
    assert out[["TRT01A", "AVISITN", "n", "base_median", "median", "median_chg", "family_size"]].values.tolist() == [
        ["IL-2", 2, 2, 11.0, 5.0, -6.0, 1]]


def test_change_by_visit_holm_across_the_visits_of_each_arm():
    # two arms, two visits each, identical changes: each arm is a family of 2 (not 4, not a pooled arm);
    # scipy.stats.wilcoxon exact p of 7 positive changes = 1/64, Holm x 2 = 1/32 (statsmodels multipletests)
    rows = []
    for a in ("B", "A"):
        for i in range(7):
            rows += [{"USUBJID": f"{a}{i}", "arm": a, "AVISITN": 0, "AVAL": 10.0},
                     {"USUBJID": f"{a}{i}", "arm": a, "AVISITN": 2, "AVAL": 11.0 + i},
                     {"USUBJID": f"{a}{i}", "arm": a, "AVISITN": 4, "AVAL": 12.0 + i}]
    out = ef.change_by_visit(pd.DataFrame(rows), "arm", ["A", "B"])
    assert out[["arm", "AVISITN", "family_size"]].values.tolist() == [["A", 2, 2], ["A", 4, 2], ["B", 2, 2], ["B", 4, 2]]
    assert out["p_val"].tolist() == pytest.approx([1 / 64] * 4)
    assert out["p_adj"].tolist() == pytest.approx([1 / 32] * 4)


def sensitivity(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["k", "imputation", "TRT01A", "responders", "rate"])


def test_check_response_passes_on_the_fixture(cohort_dir):
    cohort = load_cohort(cohort_dir)
    sri = ef.sri_response(cohort)
    sens = ef.sri_sensitivity(ef.sri_variants(cohort, 2, "TRT01A", primary=sri), "TRT01A", ARMS)
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
    SLEDAI alternating 8 and 12."""
    aval = [1.0] * 16 + [0.0] * 13 + [1.0] * 9 + [0.0] * 21
    return pd.DataFrame({"TRT01A": ["IL-2"] * 29 + ["Placebo"] * 30, "AVAL": aval,
                         "SLEDAIBL": [8.0, 12.0] * 29 + [8.0]})


def test_response_comparisons_primary_test_and_supportive_odds_ratio():
    out = ef.response_comparisons(published_at(), "TRT01A", ARMS, "Placebo")
    assert out.columns.tolist()[:3] == ["endpoint", "role", "arm"]
    assert out[["endpoint", "role", "arm", "reference", "test", "scale", "covariates"]].values.tolist() == [
        ["SRI4", "primary", "IL-2", "Placebo", "score", "difference", ""],
        ["SRI4", "supportive", "IL-2", "Placebo", "logistic", "odds_ratio", "SLEDAIBL"],
    ]
    main = out.iloc[0]
    # the score test reproduces the published p = 0.052 (statsmodels test_proportions_2indep(method="score")),
    # and the Miettinen-Nurminen interval -0.27% to 47.64% holds 0, as the test says
    assert main["diff"] == pytest.approx(16 / 29 - 9 / 30)
    assert main["p_val"] == pytest.approx(0.0524, abs=5e-5)
    assert main["ci_low"] < 0 < main["ci_high"]
    assert not main["significant"]
    assert out.iloc[1]["estimate"] > 1 and bool(out.iloc[1]["converged"])


@pytest.mark.parametrize("test, p", [("chisq", 0.0504), ("fisher", 0.0897)])
def test_response_comparisons_the_plan_chooses_the_test(test, p):
    # R: prop.test(c(16, 9), c(29, 30), correct = FALSE)$p.value = 0.0504;
    # exact2x2(matrix(c(16, 13, 9, 21), 2, byrow = TRUE), tsmethod = "central")$p.value = 0.0897
    out = ef.response_comparisons(published_at(), "TRT01A", ARMS, "Placebo", test=test)
    assert out["test"].tolist() == [test, "logistic"]
    assert out["p_val"].iloc[0] == pytest.approx(p, abs=5e-5)


def test_response_comparisons_logistic_primary_has_no_supportive_copy():
    out = ef.response_comparisons(published_at(), "TRT01A", ARMS, "Placebo", test="logistic", covariates=["SLEDAIBL"])
    assert out["role"].tolist() == ["primary"]
    assert ef.primary_comparison(out)[1] is None
    no_support = ef.response_comparisons(published_at(), "TRT01A", ARMS, "Placebo", supportive=None)
    assert no_support["role"].tolist() == ["primary"]


def test_primary_comparison_first_arm():
    rows = pd.DataFrame({"role": ["primary", "supportive", "primary", "supportive"],
                         "arm": ["B", "B", "C", "C"], "estimate": [0.1, 1.5, 0.2, 2.0]})
    main, support = ef.primary_comparison(rows)
    assert (main["estimate"], support["estimate"]) == (0.1, 1.5)


def test_rate_differences_by_week_roles_and_first_comparison(cohort_dir):
    sri = ef.sri_response(load_cohort(cohort_dir))
    out = ef.rate_differences_by_week(sri, "TRT01A", ARMS, "Placebo", test="chisq", primary_week=2)
    assert out[["AVISITN", "role", "arm", "reference", "diff", "test", "adjustment"]].values.tolist() == [
        [2, "primary", "IL-2", "Placebo", 0.5, "chisq", ""]]
    # R: prop.test(c(1, 0), c(2, 1), correct = FALSE)$p.value = 0.3865
    assert out["p_val"].iloc[0] == out["p_adj"].iloc[0] == pytest.approx(0.3865, abs=5e-5)
    three = pd.concat([out, out.assign(arm="Other")], ignore_index=True)
    assert ef.first_comparison(three)["arm"].tolist() == ["IL-2"]


def by_week_frame() -> pd.DataFrame:
    """Two arms of 20 at weeks 12, 24 and 36: 12, 14, 15 responders vs 6, 6, 7."""
    rows = []
    for week, (a, b) in {12: (12, 6), 24: (14, 6), 36: (15, 7)}.items():
        rows += [{"USUBJID": f"A{i}", "arm": "A", "AVISITN": week, "AVAL": float(i < a)} for i in range(20)]
        rows += [{"USUBJID": f"B{i}", "arm": "B", "AVISITN": week, "AVAL": float(i < b)} for i in range(20)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("multiplicity, method", [("holm", "holm"), ("bonferroni", "bonferroni")])
def test_rate_differences_by_week_secondary_weeks_adjusted_as_stated(multiplicity, method):
    out = ef.rate_differences_by_week(by_week_frame(), "arm", ["A", "B"], "B", primary_week=12,
                                      secondary_weeks=[24, 36], multiplicity=multiplicity)
    assert out["role"].tolist() == ["primary", "secondary", "secondary"]
    assert out["adjustment"].tolist() == ["", multiplicity, multiplicity]
    assert out["p_adj"].iloc[0] == out["p_val"].iloc[0]  # the primary end point is not adjusted
    # the family is the two secondary weeks: statsmodels multipletests on their raw p values
    assert out["p_adj"].iloc[1:].tolist() == pytest.approx(multipletests(out["p_val"].iloc[1:], method=method)[1].tolist())


def test_rate_differences_by_week_nominal_and_exploratory():
    out = ef.rate_differences_by_week(by_week_frame(), "arm", ["A", "B"], "B", primary_week=24, secondary_weeks=[36])
    assert out["role"].tolist() == ["exploratory", "primary", "secondary"]
    assert out["adjustment"].tolist() == ["", "", "none"]
    assert out["p_adj"].tolist() == out["p_val"].tolist()
    with pytest.raises(ValueError, match=r"multiplicity must be one of \['none', 'holm', 'bonferroni'\], got 'sidak'"):
        ef.rate_differences_by_week(by_week_frame(), "arm", ["A", "B"], "B", multiplicity="sidak")


def test_comparisons_by_week_one_row_per_compared_arm():
    by_week = ef.rate_differences_by_week(by_week_frame(), "arm", ["A", "B"], "B", primary_week=12)
    wide, names = ef.comparisons_by_week(by_week, {"d_week{week}": "diff"})
    assert wide[["arm", "reference"]].values.tolist() == [["A", "B"]]
    assert wide[["d_week12", "d_week24", "d_week36"]].iloc[0].tolist() == pytest.approx([0.3, 0.4, 0.4])
    assert names == {"d_week12": "d_week12", "d_week24": "d_week24", "d_week36": "d_week36"}


def test_visit_roles_and_rows_matching():
    assert ef.visit_roles([4, 12, 24], 12) == {4: "exploratory", 12: "primary", 24: "exploratory"}
    f = pd.DataFrame({"analysis": ["a", "b", "a"], "x": [1, 2, 3]})
    assert ef.rows_matching(f, analysis="a")["x"].tolist() == [1, 3]
    assert ef.rows_matching(f, analysis="c").empty


def test_sensitivity_comparisons_conclusion_by_analysis():
    variants = pd.concat([
        published_at().assign(analysis="primary", k=4, imputation="nri", population="efficacy", primary=True),
        # observed cases: 16/28 vs 9/29; a stricter threshold that loses 4 IL-2 responders
        published_at().drop(index=[20, 50]).assign(analysis="observed", k=4, imputation="observed",
                                                     population="efficacy", primary=False),
        published_at().assign(AVAL=[1.0] * 12 + [0.0] * 17 + [1.0] * 9 + [0.0] * 21, analysis="sri6", k=6,
                              imputation="nri", population="efficacy", primary=False),
    ], ignore_index=True).assign(USUBJID=lambda f: [f"S{i % 59}" for i in range(len(f))], DTYPE="")
    out = ef.sensitivity_comparisons(variants, "TRT01A", ARMS, "Placebo")
    assert out["analysis"].tolist() == ["primary", "observed", "sri6"]
    # score tests (statsmodels test_proportions_2indep(method="score", correction=True)): 16/29 vs 9/30
    # 0.0524; 16/28 vs 9/29 0.0490 (crosses 0.05: the conclusion changes); 12/29 vs 9/30 0.3655;
    # Pearson chi-square beside each (R prop.test(correct = FALSE))
    assert out["p_val"].round(4).tolist() == [0.0524, 0.049, 0.3655]
    assert out["p_chisq"].iloc[0] == pytest.approx(0.0504, abs=5e-5)
    assert out["unchanged"].tolist() == [True, False, True]


@pytest.mark.parametrize("other, unchanged", [
    ({"estimate": 0.23, "null": 0.0, "p_val": 0.069}, True),
    ({"estimate": 0.30, "null": 0.0, "p_val": 0.01}, False),
    ({"estimate": -0.1, "null": 0.0, "p_val": 0.5}, False),
    ({"estimate": 0.2, "null": 0.0, "p_val": NAN}, None),
])
def test_conclusion_unchanged(other, unchanged):
    assert ef.conclusion_unchanged({"estimate": 0.25, "null": 0.0, "p_val": 0.052}, other, 0.05) is unchanged


def test_check_not_pooled():
    assert ef.check_not_pooled({"rate@A": 1, "rate@B": 2, "diff": 3, "diff@A-vs-B": 3}, ["A", "B"]) is None
    assert ef.check_not_pooled({"rate": 1}, ["A"]) is None  # one arm: the bare name is the arm's
    with pytest.raises(ValueError, match=r"values pooled across the arms \['A', 'B'\] \(glued bare and per arm\): \['n', 'rate'\]"):
        ef.check_not_pooled({"rate@A": 1, "rate@B": 2, "rate": 3, "n@A": 1, "n": 2}, ["A", "B"])


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


# ---------------------------------------------------------------------------------------
# populations by their own arm variable: intention to treat by the randomized arm


@pytest.fixture
def randomized_dir(cohort_builder):
    """The fixture cohort where the randomized and the actual arm differ: S02 was
    randomized to placebo but received IL-2; S03 was randomized but is not in the
    efficacy population (ITTFL = N). Efficacy by TRT01P, safety by TRT01A."""
    adsl = cohort_builder.tables["adsl"]
    adsl["TRT01P"] = ["IL-2", "Placebo", "Placebo"]
    adsl["RANDFL"] = "Y"
    adsl["ITTFL"] = ["Y", "Y", "N"]
    cohort_builder.config["populations"] = {"efficacy": {"flag": "ITTFL", "arm": "TRT01P"},
                                            "safety": {"flag": "SAFFL", "arm": "TRT01A"},
                                            "randomized": {"flag": "RANDFL", "arm": "TRT01P"}}
    return cohort_builder.write()


def test_efficacy_by_the_randomized_arm_safety_by_the_treatment_received(randomized_dir):
    cohort = load_cohort(randomized_dir)
    sri = ef.sri_response(cohort)
    assert "TRT01A" not in sri.columns
    assert sri[["USUBJID", "TRT01P", "AVAL"]].values.tolist() == [["S01", "IL-2", 1.0], ["S02", "Placebo", 0.0]]
    safety = ef.measure_by_visit(cohort, "adpga", population="safety")
    assert safety.loc[safety["AVISITN"] == 0, ["USUBJID", "TRT01A"]].values.tolist() == [
        ["S01", "IL-2"], ["S02", "IL-2"], ["S03", "Placebo"]]


def test_true_itt_counts_every_randomized_subject(randomized_dir):
    cohort = load_cohort(randomized_dir)
    itt = ef.sri_response(cohort, population="randomized")
    assert itt[["USUBJID", "TRT01P", "AVAL", "DTYPE"]].values.tolist() == [
        ["S01", "IL-2", 1.0, ""], ["S02", "Placebo", 0.0, ""], ["S03", "Placebo", 0.0, "NRI"]]
    sens = ef.sri_sensitivity(ef.sri_variants(cohort, 2, "TRT01P"), "TRT01P", ARMS)
    assert sens.loc[sens["analysis"] == "itt", ["population", "TRT01P", "responders", "n"]].values.tolist() == [
        ["randomized", "IL-2", 1, 1], ["randomized", "Placebo", 0, 2]]
    with pytest.raises(ValueError, match=r"population must be one of \['efficacy', 'randomized', 'safety'\], got 'pp'"):
        ef.sri_response(cohort, population="pp")


def test_subject_response_at_uses_the_efficacy_arm_and_covariates(randomized_dir):
    cohort = load_cohort(randomized_dir)
    out = ef.subject_response_at(ef.sri_response(cohort), 2, cohort, covariates=("SLEDAIBL", "AGE"))
    assert out.values.tolist() == [["S01", "IL-2", 1.0, 14.0, 30.0], ["S02", "Placebo", 0.0, 8.0, 45.0]]


def test_covariate_frame_errors(cohort_dir):
    cohort = load_cohort(cohort_dir)
    assert ef.covariate_frame(cohort, ["SLEDAIBL", "SLEDAIBL"]).columns.tolist() == ["USUBJID", "SLEDAIBL"]
    with pytest.raises(ValueError, match=r"covariate 'BMI' is neither SLEDAIBL nor a column of adsl"):
        ef.covariate_frame(cohort, ["BMI"])
    with pytest.raises(ValueError, match=r"covariate 'SEX' of adsl \(.*adsl.csv\) is not numeric"):
        ef.covariate_frame(cohort, ["SEX"])


# ---------------------------------------------------------------------------------------
# treatment-failure rules of the analysis plan


def test_treatment_failure_off_by_default(cohort_dir):
    cohort = load_cohort(cohort_dir)
    assert ef.treatment_failure_rules(cohort) is None
    assert ef.treatment_failures(cohort).empty


def test_treatment_failure_steroid_increase_makes_a_responder_fail(cohort_builder):
    # S01 responds at week 2 (SLEDAI 14 -> 2) but its prednisone rises from 20 to 26 mg/day: more than
    # 5 mg/day above baseline, a treatment failure from week 2 (as in the belimumab trials)
    cohort_builder.set("adcm", 2, "AVAL", 26.0)
    cohort_builder.config["analysis"] = {"treatment_failure": {"steroid_increase": True, "steroid_margin": 5}}
    cohort = load_cohort(cohort_builder.write())
    assert ef.treatment_failure_rules(cohort) == {"steroid_margin": 5.0, "rescue_flag": None}
    assert ef.treatment_failures(cohort).values.tolist() == [["S01", 2, "steroid increase"]]
    sri = ef.sri_response(cohort)
    assert sri[["USUBJID", "AVAL", "DTYPE"]].values.tolist() == [["S01", 0.0, "TF"], ["S02", 0.0, ""],
                                                                  ["S03", 0.0, "NRI"]]
    assert ef.sri_response(cohort, treatment_failure=False)["AVAL"].tolist() == [1.0, 0.0, 0.0]


def test_treatment_failure_margin_not_exceeded(cohort_builder):
    cohort_builder.set("adcm", 2, "AVAL", 25.0)  # exactly 5 above: not more than the margin
    cohort_builder.config["analysis"] = {"treatment_failure": {"steroid_increase": True, "steroid_margin": 5}}
    assert ef.sri_response(load_cohort(cohort_builder.write()))["AVAL"].tolist() == [1.0, 0.0, 0.0]


def test_treatment_failure_rescue_flag(cohort_builder):
    cohort_builder.tables["adsl"]["RESCFL"] = ["Y", "N", "N"]
    cohort_builder.config["analysis"] = {"treatment_failure": {"rescue_flag": "RESCFL"}}
    cohort_builder.config["reviewed_columns"] = ["adsl.RESCFL"]
    cohort = load_cohort(cohort_builder.write())
    assert ef.treatment_failures(cohort).values.tolist() == [["S01", 2, "rescue therapy"]]
    assert ef.sri_response(cohort)["DTYPE"].tolist() == ["TF", "", "NRI"]


def test_treatment_failure_steroid_rule_needs_adcm(cohort_builder):
    from dataclasses import replace

    cohort_builder.config["analysis"] = {"treatment_failure": {"steroid_increase": True}}
    cohort = load_cohort(cohort_builder.write())
    without = replace(cohort, tables={k: v for k, v in cohort.tables.items() if k != "adcm"})  # a contract without adcm
    with pytest.raises(ValueError, match=r"key analysis.treatment_failure: the steroid rule needs the steroid doses"):
        ef.treatment_failures(without)


# ---------------------------------------------------------------------------------------
# the SRI chapter, run by hand on both simulated cohorts (papermill, as the build runs it)

ROOT = Path(__file__).resolve().parents[1]


def run_chapter(chapter: str, cohort_name: str, folder: Path) -> dict:
    import papermill as pm

    from helpers.publish.manifest import collect_results

    out = folder / f"{chapter}-{cohort_name}.ipynb"
    pm.execute_notebook(str(ROOT / "chapters" / f"{chapter}.ipynb"), str(out), engine_name="helpers",
                        progress_bar=False, parameters={"cohort_dir": str(ROOT / "data" / cohort_name),
                                                        "downloads_dir": str(folder / "downloads")})
    return collect_results([out])


@pytest.fixture(scope="module")
def sri_randomized(tmp_path_factory):
    return run_chapter("sri", "nct02465580", tmp_path_factory.mktemp("sri-randomized"))


@pytest.fixture(scope="module")
def sri_single(tmp_path_factory):
    return run_chapter("sri", "nct02084238", tmp_path_factory.mktemp("sri-single"))


def test_randomized_sri_chapter_pools_no_efficacy_value(sri_randomized):
    r = sri_randomized
    arms = ("IL-2", "Placebo")
    per_arm = {k.rsplit("@", 1)[0] for k in r if "@" in k and k.rsplit("@", 1)[1] in arms}
    assert per_arm and not per_arm & set(r), sorted(per_arm & set(r))
    for name in ("primary_responders", "primary_rate", "primary_ci_low", "sri4_responders_week12", "primary_oc_rate",
                 "sri6_primary_rate", "sledai_median_change", "sledai_p", "pga_median_change", "pred_median_primary",
                 "nonresponders_primary"):
        assert name not in r and f"{name}@IL-2" in r and f"{name}@Placebo" in r, name
    # bare efficacy names are comparisons, the same as their -vs- names
    for name in ("primary_diff", "primary_p", "sri4_diff_week24", "itt_p", "sledai_ancova_diff"):
        assert r[name] == r[f"{name}@IL-2-vs-Placebo"], name


def test_randomized_sri_chapter_primary_verdict_by_the_plan(sri_randomized):
    r = sri_randomized
    # ITT by the randomized arm (TRT01P): 16 of 29 vs 9 of 30, as published (He et al. 2020)
    assert r["efficacy_arm_var"] == "TRT01P" and r["population_label"] == "modified intention-to-treat population"
    assert (r["primary_responders@IL-2"], r["primary_n@IL-2"], r["primary_responders@Placebo"], r["primary_n@Placebo"]) \
        == (16, 29, 9, 30)
    # the plan's test (score): p = 0.0524, the published 0.052; the interval that inverts it holds 0
    assert r["primary_test"] == "score"
    assert r["primary_p"] == pytest.approx(0.0524, abs=5e-5)
    assert r["primary_effect_ci_low"] == pytest.approx(-0.0027, abs=5e-5) and r["primary_effect_ci_high"] > 0
    assert r["primary_verdict"] == "not met at the two-sided 5% level"
    assert r["primary_diff_text"] == "25.2 percentage points higher"
    # week 24 is secondary, nominal: the score test gives 0.0280 (published 0.027)
    assert r["sri4_diff_p_week24"] == pytest.approx(0.0280, abs=5e-5)
    assert "nominal, not adjusted for multiplicity" in r["secondary_text"]
    # every randomized subject, the untreated one as a non-responder: 16/30 vs 9/30, chi-square p = 0.067
    assert r["itt_p_chisq"] == pytest.approx(0.0668, abs=5e-5) and r["itt_p"] == pytest.approx(0.0691, abs=5e-5)
    assert "16 of 30 (53.3%) with IL-2 and 9 of 30 (30.0%) with Placebo" in r["itt_text"]
    # Holm within each measure and arm: nine post-baseline visits
    assert r["change_family_text"] == "Holm-adjusted across the 9 post-baseline visits, within each arm"
    assert r["primary_imposed_text"].startswith('These data are simulated, and the generator imposed this result ("SRI-4 responders 16 of 29')


def test_single_arm_sri_chapter_keeps_the_published_figures(sri_single):
    r = sri_single
    assert (r["primary_responders"], r["primary_n"], r["sri4_responders_week6"]) == (36, 40, 36)
    # R: binom.test(36, 40)$conf.int = 0.7634 0.9721
    assert r["primary_ci_low"] == pytest.approx(0.76336, abs=1e-5) and r["primary_ci_high"] == pytest.approx(0.97207, abs=1e-5)
    assert not any("@" in k for k in r)
    assert r["change_family_text"] == "Holm-adjusted across the 6 post-baseline visits"
    assert r["population_label"] == "intention-to-treat population" and r["instrument"] == "SLEDAI-2K"
