"""Tests for helpers.present.prose.efficacy: the words for the efficacy, organ and cohort
chapters' codes, and the sentences computed from their results."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.present.prose import efficacy as words

NAN = float("nan")


# ---------------------------------------------------------------------------------------
# labels of codes


def test_criterion_labels_every_code():
    assert [words.criterion_label(c) for c in ("sledai", "bilag", "pga", "missing")] == [
        "SLEDAI-2K reduction", "new BILAG A or > 1 new B", "PGA worsened", "missing visit or component"]
    with pytest.raises(KeyError, match="crp"):
        words.criterion_label("crp")


def test_criteria_cover_the_analysis_codes():
    from helpers.analyses.efficacy import CRITERIA

    assert list(words.CRITERIA) == list(CRITERIA)


def test_criterion_and_measure_labels_name_the_instrument():
    assert words.criterion_label("sledai", "SELENA-SLEDAI") == "SELENA-SLEDAI reduction"
    assert words.criterion_label("failure") == "treatment failure (analysis plan)"
    assert words.measure_label("SLEDAI", "SELENA-SLEDAI") == "SELENA-SLEDAI"
    assert words.measure_label("PGA", "SELENA-SLEDAI") == "PGA"
    assert words.instrument_label("SLEDAI-2K") == "SLEDAI-2K (Gladman, Ibanez and Urowitz, J Rheumatol 2002;29:288-91)"


def test_flow_steps_cover_the_analysis_codes():
    from helpers.analyses.population import FLOW_STEPS

    assert list(words.FLOW_STEPS) == list(FLOW_STEPS)


def test_population_name_modified_itt_and_config_label():
    assert words.population_name("mitt") == "modified intention-to-treat population"
    assert words.population_name("itt") == "intention-to-treat population"
    assert words.population_name("mitt", "full analysis set") == "full analysis set"
    with pytest.raises(KeyError, match="pp"):
        words.population_name("pp")


@pytest.mark.parametrize("k, imputation, primary, label", [
    (4, "nri", True, "SRI-4, non-responder imputation (primary)"),
    (4, "observed", False, "SRI-4, observed cases"),
    (5, "nri", False, "SRI-5, non-responder imputation"),
])
def test_sensitivity_label(k, imputation, primary, label):
    assert words.sensitivity_label(k, imputation, primary) == label


def test_endpoint_measure_and_item_labels():
    assert (words.endpoint_label("SRI4"), words.endpoint_label("SRI12"), words.endpoint_label("SRIX")) == (
        "SRI-4", "SRI-12", "SRIX")
    assert (words.measure_label("SLEDAI"), words.measure_label("PGA"), words.measure_label("PREDDOSE")) == (
        "SLEDAI-2K", "PGA", "Prednisone-equivalent dose")
    assert words.item_label("THROMBO") == "Thrombocytopenia"
    assert words.item_label("haematological") == "Haematological"
    assert words.item_label("ALL") == "All subjects"
    assert words.domain_name("musculoskeletal") == "musculoskeletal"


def test_descriptor_labels_and_names():
    assert words.descriptor_label("DNABIND") == "Increased DNA binding"
    assert (words.descriptor_name("DNABIND"), words.descriptor_name(None)) == ("increased dna binding", "no descriptor")


def test_flow_step_labels_and_reasons():
    assert [words.flow_step_label(s) for s in ("enrolled", "allocated", "treated", "not_treated", "completed",
                                               "discontinued", "ongoing")] == [
        "Enrolled", "Allocated", "Treated", "Allocated, not treated", "Completed the study", "Discontinued", "Ongoing"]
    assert words.flow_step_label("course", 3) == "Received course 3"
    assert words.flow_step_label("safety", flag="SAFFL") == "Analysed for safety (SAFFL)"
    assert words.reasons_text([("Adverse event", 1)]) == "Adverse event: 1"


# ---------------------------------------------------------------------------------------
# sentences


def test_percent_of_rounds_as_a_percent_format():
    assert words.percent_of(16 / 29) == f"{16 / 29:.1%}" == "55.2%"
    assert words.percent_of(0.125, 0) == f"{0.125:.0%}"
    assert words.percent_of(pd.NA) == "-"


def test_by_arm_text_in_arm_order_total_left_out():
    f = pd.DataFrame({"TRT01A": ["Total", "Placebo", "IL-2"], "responders": [25, 9, 16], "n": [59, 30, 29],
                      "rate": [25 / 59, 0.3, 16 / 29]})
    assert words.by_arm_text(f, "TRT01A", ["IL-2", "Placebo"]) == "IL-2: 16 of 29 (55.2%); Placebo: 9 of 30 (30.0%)"


def test_p_texts():
    assert words.p_texts({"a": 0.05044, "b": NAN}) == {"a_text": "p = 0.050", "b_text": "p not computed"}


@pytest.mark.parametrize("rate, stricter, word", [
    (0.9, 0.8, "weakens"), (0.9, 0.9, "does not change"), (0.9, 0.8996, "does not change"),
    (0.5, 0.6, "strengthens"), (NAN, 0.5, "not computed"),
])
def test_stricter_thresholds(rate, stricter, word):
    assert words.stricter_thresholds(rate, stricter) == word


@pytest.mark.parametrize("change, p, word", [
    (-10.0, 0.0001, "fell"), (3.0, 0.01, "rose"), (-10.0, 0.05, "did not change significantly"),
    (0.0, 0.001, "did not change in median"), (-3.0, NAN, "could not be tested"), (-3.0, None, "could not be tested"),
])
def test_activity_change(change, p, word):
    assert words.activity_change(change, p, 0.05) == word


def verdict_test(**kw) -> dict:
    return {"favoured_rate": 0.9, "other_rate": 0.5, "favoured_n": 10, "other_n": 8, **kw}


@pytest.mark.parametrize("sizes, sentence", [
    ([2, 18], "Every subgroup is small (2 to 18 subjects, fewer than 20), and the subgroups overlap: "
              "they describe, they do not test."),
    ([1, 25, 30, 12], "2 of the 4 subgroup estimates rest on fewer than 20 subjects (the smallest on 1), and the "
                      "subgroups overlap: they describe, they do not test."),
    ([20, 40], "The subgroups hold 20 to 40 subjects and overlap: they describe, they do not test."),
    ([], "No manifestation was present at baseline, so there are no subgroups."),
])
def test_subgroups_sentence_small_only_below_the_threshold(sizes, sentence):
    assert words.subgroups_sentence(sizes, 20) == sentence


@pytest.mark.parametrize("n_active, n, enrolled, sentence", [
    (40, 40, 40, "Their lupus was active in every subject"),
    (38, 38, 40, "Their lupus was active in every subject with a baseline score (38 of 40)"),
    (30, 38, 40, "Their lupus was active in 30 of the 38 subjects with a baseline score"),
    (0, 38, 40, "No subject had active lupus"),
    (0, 0, 40, "No subject had a baseline score"),
])
def test_lupus_activity(n_active, n, enrolled, sentence):
    assert words.lupus_activity(n_active, n, enrolled) == sentence



# ---------------------------------------------------------------------------------------
# the randomized analysis


def by_arm(**columns) -> pd.DataFrame:
    return pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], **columns})


def test_responders_text_per_arm_never_pooled_and_three_arms():
    f = pd.DataFrame({"arm": ["C", "A", "B"], "responders": [1, 2, 3], "n": [4, 4, 4], "rate": [0.25, 0.5, 0.75]})
    assert words.responders_text(f, "arm", ["A", "B", "C"]) == "2 of 4 (50.0%) with A, 3 of 4 (75.0%) with B and 1 of 4 (25.0%) with C"
    with pytest.raises(ValueError, match=r"no row for arms \['D'\] in column 'arm'"):
        words.responders_text(f, "arm", ["A", "D"])


def primary_row(**kw) -> dict:
    return {"arm": "IL-2", "reference": "Placebo", "diff": 0.2517, "estimate": 0.2517, "ci_low": -0.0027,
            "ci_high": 0.4764, "scale": "difference", "test": "score", "p_val": 0.0524, **kw}


def test_comparison_sentence_primary_verdict_met_and_lower():
    met = words.comparison_sentence(primary_row(diff=-0.3, estimate=-0.3, ci_low=-0.5, ci_high=-0.1, p_val=0.004))
    assert met == ("The response rate with IL-2 was 30.0 percentage points lower than with Placebo (Miettinen-Nurminen "
                   "score interval, 95% CI -50.0 to -10.0 percentage points; Miettinen-Nurminen score test p = 0.004): "
                   "the primary end point was met at the two-sided 5% level.")


def test_comparison_sentence_fisher_shows_the_odds_ratio_beside_its_test():
    r = primary_row(estimate=2.8186, ci_low=0.8727, ci_high=9.6469, scale="odds_ratio", test="fisher", p_val=0.0897)
    assert words.comparison_sentence(r, 0.9, 0.1) == (
        "The response rate with IL-2 was 25.2 percentage points higher than with Placebo (odds ratio 2.82, exact "
        "conditional interval, 90% CI 0.87 to 9.65; Fisher's exact test (central) p = 0.090): the primary end point was "
        "met at the two-sided 10% level.")


def test_comparison_sentence_secondary_adjusted_and_exploratory():
    r = primary_row(p_val=0.02, p_adj=0.04, adjustment="bonferroni")
    assert words.comparison_sentence(r, role="secondary", family_size=2).endswith(
        "p = 0.020; Bonferroni-adjusted across the 2 secondary end points p = 0.040).")
    assert words.comparison_sentence(primary_row(), role="exploratory").endswith("p = 0.052; exploratory).")


def test_multiplicity_and_family_texts():
    assert words.multiplicity_text("", 1) == "nominal, not adjusted for multiplicity"
    assert words.multiplicity_text("bonferroni", 1) == "Bonferroni-adjusted across the 1 secondary end point"
    assert words.family_text("bonf", 6, False) == "Bonferroni-adjusted across the 6 post-baseline visits"
    assert words.family_text_of(pd.DataFrame(columns=["padjust", "family_size"]), True) == "no test"


def test_secondary_text_responders_then_the_comparison():
    rows = pd.DataFrame([primary_row(AVISITN=24, diff=0.28851, estimate=0.28851, ci_low=0.0306, ci_high=0.5096,
                                     p_val=0.028, p_adj=0.028, adjustment="none")])
    summary = pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], "AVISITN": 24, "responders": [19, 11], "n": [29, 30],
                            "rate": [19 / 29, 11 / 30]})
    text = words.secondary_text(rows, summary, "TRT01P", ["IL-2", "Placebo"], {24: "Week 24"})
    assert text.startswith("At Week 24 (a secondary end point), 19 of 29 (65.5%) with IL-2 and 11 of 30 (36.7%) with "
                           "Placebo responded. The response rate with IL-2 was 28.9 percentage points higher")
    assert text.endswith("p = 0.028, nominal, not adjusted for multiplicity).")


def test_sensitivity_text_every_analysis_changes():
    c = pd.DataFrame({"analysis": ["primary", "observed", "itt"], "k": 4, "p_val": [0.04, 0.06, 0.07],
                      "unchanged": [True, False, False]})
    assert words.sensitivity_text(c) == ("The conclusion changes in observed cases (p = 0.060) and the true "
                                         "intention-to-treat analysis (every randomized subject) (p = 0.070).")
    assert words.sensitivity_text(c.assign(unchanged=[True, None, True])) == (
        "The conclusion holds in every sensitivity analysis.")


def test_itt_text_adds_pearson_only_when_it_is_not_the_primary_test():
    s = by_arm(responders=[16, 9], n=[30, 30], rate=[16 / 30, 0.3])
    c = pd.DataFrame([primary_row(diff=0.2333, estimate=0.2333, ci_low=-0.0183, ci_high=0.4577, p_val=0.0691,
                                  p_chisq=0.0668)])
    text = words.itt_text(s, c, "TRT01P", ["IL-2", "Placebo"], 0.95)
    assert text.endswith("Miettinen-Nurminen score test p = 0.069; Pearson chi-square test p = 0.067).")
    chisq = words.itt_text(s, c.assign(test="chisq", p_val=0.0668), "TRT01P", ["IL-2", "Placebo"], 0.95)
    assert chisq.count("Pearson chi-square test") == 1 and chisq.endswith("Pearson chi-square test p = 0.067).")


def test_change_and_activity_texts():
    f = by_arm(base_median=[12.0, 11.0], median=[6.0, 11.0], median_chg=[-6.0, 0.0], p_adj=[0.0001, 0.6])
    assert words.change_text(f, "TRT01P", ["IL-2", "Placebo"]).endswith(
        "from 11.0 to 11.0 with Placebo (median change +0.0, adjusted p = 0.600)")
    assert words.activity_text(f, "TRT01P", ["IL-2", "Placebo"], 0.05) == (
        "fell with IL-2 and did not change significantly with Placebo")
    three = pd.DataFrame({"arm": ["A", "B", "C"], "median_chg": [-1.0, -2.0, -3.0], "p_adj": [0.01] * 3})
    assert words.activity_text(three, "arm", ["A", "B", "C"], 0.05) == "fell in every arm"


def test_nonresponders_text_with_treatment_failure():
    f = by_arm(nonresponders=[13, 21], sledai=[11, 19], bilag=[0, 1], pga=[1, 1], missing=[1, 1], failure=[2, 0])
    text = words.nonresponders_text(f, "TRT01P", ["IL-2", "Placebo"], "SELENA-SLEDAI")
    assert text.startswith("Of the 13 non-responders with IL-2, 11 did not reach the SELENA-SLEDAI reduction")
    assert "; of the 21 non-responders with Placebo, " in text
    assert text.endswith("1 had no evaluable visit and 0 met a treatment-failure rule")


def test_imposed_note_any_topic_and_short_form():
    sim = {"imposed": ["60 subjects randomized 30 to 30.", "Baseline table as published.", "Other."]}
    assert words.imposed_note(True, sim, ("randomized", "enrolled")).startswith(
        'These data are simulated, and the generator imposed this result ("60 subjects randomized 30 to 30")')
    assert words.imposed_note(True, sim, ("randomized", "baseline")).startswith(
        'These data are simulated, and the generator imposed these results ("60 subjects randomized 30 to 30"; '
        '"Baseline table as published")')
    assert words.imposed_note(True, sim, "Treg") == "", "nothing imposed about the topic: no note"
    assert words.imposed_short(True, sim, "Baseline") == "; the simulation imposed the published figure"
    assert words.imposed_short(True, sim, "Treg") == ""


def test_treatment_failure_text_each_rule():
    f = pd.DataFrame({"USUBJID": ["A"], "TFWEEK": [4], "TFREAS": ["steroid increase"]})
    assert words.treatment_failure_text({"steroid_margin": 0.0, "rescue_flag": None}, f) == (
        "Treatment-failure rules of the analysis plan (as in the belimumab trials): a subject whose "
        "prednisone-equivalent dose rose more than 0.0 mg/day above the baseline dose counts as a non-responder from "
        "that visit on; 1 subject met a rule.")
    both = words.treatment_failure_text({"steroid_margin": 5.0, "rescue_flag": "RESCFL"}, f.iloc[:0])
    assert "above the baseline dose or given protocol-prohibited rescue therapy (adsl RESCFL)" in both
    assert both.endswith("0 subjects met a rule.")


def test_with_verdicts_supportive_and_counts():
    out = words.with_verdicts(pd.DataFrame({"diff": [0.0, -0.1], "p_val": [1.0, 0.01]}), 0.05)
    assert out["diff_text"].tolist() == ["no different", "10.0 percentage points lower"]
    assert out["verdict"].tolist() == ["not met at the two-sided 5% level", "met at the two-sided 5% level"]
    r = {"estimate": 2.0, "ci_low": 0.5, "ci_high": 8.0, "p_val": 0.3, "covariates": "SLEDAIBL, AGE", "converged": False}
    assert words.supportive_text(r, 0.9, "SELENA-SLEDAI") == (
        "Adjusted for baseline SELENA-SLEDAI and AGE in a logistic regression (supportive), the odds ratio was 2.00 "
        "(90% CI 0.50 to 8.00, p = 0.300) (the model did not converge).")
    counts = pd.DataFrame({"arm": ["A", "B", "C"], "treated": [86, 84, 84]})
    assert words.counts_by_arm_text(counts, "arm", ["A", "B", "C"], "treated") == "86 with A, 84 with B and 84 with C"


def test_baseline_tests_text_three_arms():
    assert words.baseline_tests_text(True, 3) == (
        "The analysis plan asks for between-arm p values, which need exactly two arms: none are shown.")
