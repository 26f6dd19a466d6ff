"""Tests for helpers.analyses.renal: lupus nephritis at baseline, renal remission by arm
and week, and the between-arm tests, on the conftest fixture with eGFR added, on
hand-made frames, and on the randomized simulated cohort (7/13 against 2/12).

The fixture with eGFR (mL/min/1.73 m2) added: S01 (IL-2) has 24-hour proteinuria 1.2
g and a renal BILAG B at baseline, 0.2 g at week 2 with eGFR 100 -> 95 (within 10%):
lupus nephritis, complete remission. S02 (IL-2): proteinuria 0.1 g, renal BILAG E: no
lupus nephritis. S03 (Placebo): proteinuria 0.1 g; with a renal BILAG A set at baseline
(adbilag row 44) she has lupus nephritis, but no week-2 visit: not evaluable, counted
as not in remission.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from helpers.analyses import renal
from helpers.data import load_cohort

ROOT = Path(__file__).resolve().parents[1]
ARMS = ["IL-2", "Placebo"]
NAN = float("nan")

#: eGFR per recorded visit of the fixture.
EGFR = {("S01", 0): 100.0, ("S01", 2): 95.0, ("S02", 0): 90.0, ("S02", 2): 90.0, ("S03", 0): 80.0}


def with_egfr(builder, s03_renal_a: bool = False):
    rows = [{"USUBJID": s, "AVISIT": "Baseline" if w == 0 else "Week 2", "AVISITN": w, "PARAMCD": "EGFR",
             "PARAM": "Estimated glomerular filtration rate", "AVAL": v, "AVALU": "mL/min/1.73m2",
             "ANRLO": None, "ANRHI": None} for (s, w), v in EGFR.items()]
    builder.tables["adlb"] = pd.concat([builder.tables["adlb"], pd.DataFrame(rows)], ignore_index=True)
    if s03_renal_a:
        builder.set("adbilag", 44, "AVALC", "A")  # S03, baseline, RENAL
    return load_cohort(builder.write())


# ---------------------------------------------------------------------------------------
# availability and the subgroup


def test_renal_available_needs_both_measures():
    assert renal.renal_available(pd.DataFrame({"PARAMCD": ["UPCR", "CREAT"], "AVAL": [800.0, 70.0]}))
    assert not renal.renal_available(pd.DataFrame({"PARAMCD": ["UPROT", "C3"], "AVAL": [0.8, 0.9]}))
    # a measure without any value does not count
    assert not renal.renal_available(pd.DataFrame({"PARAMCD": ["UPROT", "EGFR"], "AVAL": [0.8, NAN]}))


def test_measures_of_a_cohort(cohort_builder):
    c = with_egfr(cohort_builder)
    assert renal.measures(c) == {"proteinuria": "UPROT", "kidney": "EGFR"}


def test_subgroup_on_the_fixture(cohort_builder):
    out = renal.lupus_nephritis_subgroup(with_egfr(cohort_builder))
    assert out.columns.tolist() == ["USUBJID", "TRT01A", "UPROTBL", "UPCRBL", "RENALBL", "LNFL"]
    assert out[["USUBJID", "TRT01A", "UPROTBL", "RENALBL", "LNFL"]].values.tolist() == [
        ["S01", "IL-2", 1.2, "B", "Y"],
        ["S02", "IL-2", 0.1, "E", "N"],
        ["S03", "Placebo", 0.1, "E", "N"],
    ]


def test_subgroup_by_renal_bilag_alone(cohort_builder):
    out = renal.lupus_nephritis_subgroup(with_egfr(cohort_builder, s03_renal_a=True))
    assert out["LNFL"].tolist() == ["Y", "N", "Y"]


def test_subgroup_follows_the_config_criteria(cohort_builder):
    # proteinuria above 2 g only, no BILAG: S01's 1.2 g is not enough
    cohort_builder.config["renal"] = {"subgroup": {"proteinuria_above": 2.0, "upcr_above": None, "bilag_grades": []}}
    out = renal.lupus_nephritis_subgroup(with_egfr(cohort_builder))
    assert out["LNFL"].tolist() == ["N", "N", "N"]


def test_subgroup_without_renal_measures_is_refused(cohort_dir):
    # the fixture has proteinuria but no kidney-function measure
    with pytest.raises(ValueError, match="adlb holds no proteinuria and kidney-function measures"):
        renal.lupus_nephritis_subgroup(load_cohort(cohort_dir))


def test_summarize_subgroup_by_hand():
    s = pd.DataFrame({"USUBJID": list("abcde"), "ARM": ["X", "X", "X", "Y", "Y"], "LNFL": ["Y", "N", "Y", "N", "N"]})
    out = renal.summarize_subgroup(s, "ARM", ["X", "Y", "Z"])
    assert out.columns.tolist() == ["ARM", "n", "subjects", "rate"]
    assert out[["ARM", "n", "subjects"]].values.tolist() == [["X", 2, 3], ["Y", 0, 2], ["Z", 0, 0]]
    assert out["rate"].iloc[0] == pytest.approx(2 / 3) and out["rate"].iloc[1] == 0.0 and math.isnan(out["rate"].iloc[2])


def test_summarize_subgroup_missing_column():
    with pytest.raises(ValueError, match=r"columns \['LNFL'\] not in the subgroup frame"):
        renal.summarize_subgroup(pd.DataFrame({"USUBJID": ["a"], "ARM": ["X"]}), "ARM", ["X"])


# ---------------------------------------------------------------------------------------
# remission


def test_renal_response_on_the_fixture(cohort_builder):
    out = renal.renal_response(with_egfr(cohort_builder, s03_renal_a=True), [2])
    assert out.columns.tolist() == ["USUBJID", "TRT01A", "AVISITN", "response", "AVAL", "EVALFL", "BASE", "VALUE",
                                    "KFSTBFL"]
    assert out[["USUBJID", "response", "AVAL", "EVALFL", "KFSTBFL"]].values.tolist() == [
        ["S01", "complete", 1.0, "Y", "Y"],   # 0.2 g < 0.5 g, eGFR 95 >= 90
        ["S03", "complete", 0.0, "N", ""],    # no week-2 visit: not in remission
        ["S01", "partial", 0.0, "Y", "Y"],    # complete, so not partial
        ["S03", "partial", 0.0, "N", ""],
    ]
    assert out.loc[0, ["BASE", "VALUE"]].tolist() == [1.2, 0.2]


def test_renal_response_kidney_function_falling_is_no_remission(cohort_builder):
    EGFR[("S01", 2)] = 85.0  # more than 10% below 100
    try:
        out = renal.renal_response(with_egfr(cohort_builder), [2])
    finally:
        EGFR[("S01", 2)] = 95.0
    assert out[["response", "AVAL", "KFSTBFL"]].values.tolist() == [["complete", 0.0, "N"], ["partial", 0.0, "N"]]


def test_renal_response_bad_week(cohort_builder):
    with pytest.raises(ValueError, match=r"weeks \[0, 4\] are not post-baseline visits \[2\]"):
        renal.renal_response(with_egfr(cohort_builder), [0, 4])


def test_summarize_renal_response_per_arm_week_and_response():
    r = pd.DataFrame({"ARM": ["X", "X", "X", "Y", "X", "Y"], "AVISITN": [24, 24, 24, 24, 12, 12],
                      "response": ["complete", "complete", "partial", "complete", "complete", "complete"],
                      "AVAL": [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]})
    out = renal.summarize_renal_response(r, "ARM", ["X", "Y"])
    assert out[["ARM", "AVISITN", "response", "responders", "n"]].values.tolist() == [
        ["X", 12, "complete", 1, 1], ["Y", 12, "complete", 1, 1],
        ["X", 12, "partial", 0, 0], ["Y", 12, "partial", 0, 0],  # every response at every week: 0/0 shown
        ["X", 24, "complete", 1, 2], ["Y", 24, "complete", 0, 1],
        ["X", 24, "partial", 1, 1], ["Y", 24, "partial", 0, 0],
    ]
    # Clopper-Pearson of 1/2: R binom.test(1, 2)$conf.int = 0.01257912 0.98742088
    assert out.loc[4, ["ci_low", "ci_high"]].tolist() == pytest.approx([0.01257912, 0.98742088])
    assert math.isnan(out.loc[7, "rate"])


def test_summarize_renal_response_missing_column():
    with pytest.raises(ValueError, match=r"columns \['AVAL'\] not in the response frame"):
        renal.summarize_renal_response(pd.DataFrame({"ARM": ["X"], "AVISITN": [2], "response": ["complete"]}),
                                       "ARM", ["X"])


# ---------------------------------------------------------------------------------------
# between arms


def test_rate_tests_by_hand():
    # 2/5 against 0/4. Fisher: P(k) = C(5,k) C(4,2-k) / C(9,2) = 6/36, 20/36, 10/36 for k = 0, 1, 2;
    # two-sided: the tables no more likely than k = 2, 6/36 + 10/36; one-sided (greater): 10/36.
    # Chi-square: expected 10/9, 35/9, 8/9, 28/9; X2 = 2.0571, p = 0.1515 (R prop.test(c(2, 0), c(5, 4), correct = FALSE)).
    p = renal.rate_tests(2, 5, 0, 4)
    assert p["fisher"] == pytest.approx(16 / 36)
    assert p["fisher_one_sided"] == pytest.approx(10 / 36)
    assert p["chisq"] == pytest.approx(0.151494, abs=1e-6)
    # observed lower: the one-sided test looks the other way (0/5 against 3/4: 1/21 either way)
    assert renal.rate_tests(0, 5, 3, 4)["fisher_one_sided"] == pytest.approx(1 / 21)


def test_rate_tests_the_papers_lupus_nephritis_counts():
    # He et al. 2020, 7/13 against 2/12, printed p = 0.036. R: prop.test(c(7, 2), c(13, 12), correct = FALSE)
    # p = 0.05301; fisher.test(matrix(c(7, 6, 2, 10), 2)) p = 0.09684, alternative = "greater" 0.06335;
    # statsmodels test_proportions_2indep(7, 13, 2, 12, method="score", correction=True) 0.05799.
    p = renal.rate_tests(7, 13, 2, 12)
    assert [round(p[t], 4) for t in renal.TESTS] == [0.058, 0.053, 0.0968, 0.0633]


def test_rate_tests_empty_arm_and_no_contrast():
    assert all(math.isnan(v) for v in renal.rate_tests(0, 0, 2, 4).values())
    p = renal.rate_tests(5, 5, 4, 4)  # everyone responded: chi-square undefined
    assert math.isnan(p["chisq"]) and p["fisher"] == 1.0 and p["score"] == 1.0


def paper_summary(week: int = 24) -> pd.DataFrame:
    return pd.DataFrame({"ARM": ["IL-2", "Placebo"], "AVISITN": week, "response": "complete", "responders": [7, 2],
                         "n": [13, 12]})


def test_compare_renal_response_fisher_with_the_score_interval():
    out = renal.compare_renal_response(paper_summary(), "ARM", ARMS, "Placebo")
    assert out.columns.tolist() == ["arm", "reference", "AVISITN", "response", "responders", "n", "ref_responders",
                                    "ref_n", "estimate", "ci_low", "ci_high", "confidence", "test", "p_val",
                                    "p_score", "p_chisq", "p_fisher", "p_fisher_one_sided", "method"]
    r = out.iloc[0]
    assert (r["arm"], r["reference"], r["responders"], r["n"], r["ref_responders"], r["ref_n"]) == \
        ("IL-2", "Placebo", 7, 13, 2, 12)
    assert r["estimate"] == pytest.approx(7 / 13 - 2 / 12)
    # R PropCIs::diffscoreci(7, 13, 2, 12, 0.95): -0.0130 to 0.6611
    assert [round(r["ci_low"], 4), round(r["ci_high"], 4)] == [-0.013, 0.6611]
    assert r["test"] == "fisher" and r["p_val"] == pytest.approx(0.096842, abs=1e-6)
    assert r["method"] == "Miettinen-Nurminen interval; Fisher's exact test"


@pytest.mark.parametrize("test, p", [("chisq", 0.053005), ("score", 0.057988)])
def test_compare_renal_response_named_test(test, p):
    out = renal.compare_renal_response(paper_summary(), "ARM", ARMS, "Placebo", test=test)
    assert out["p_val"].iloc[0] == pytest.approx(p, abs=1e-6)


def test_compare_renal_response_single_arm_and_empty_arm():
    assert renal.compare_renal_response(paper_summary(), "ARM", ["IL-2"], None).empty
    s = pd.DataFrame({"ARM": ["IL-2"], "AVISITN": 24, "response": "complete", "responders": [3], "n": [5]})
    r = renal.compare_renal_response(s, "ARM", ARMS, "Placebo").iloc[0]
    assert (r["ref_n"], math.isnan(r["estimate"]), math.isnan(r["p_val"])) == (0, True, True)


@pytest.mark.parametrize("kwargs, message", [
    ({"test": "fisher_one_sided"}, r"test must be one of \['score', 'chisq', 'fisher'\], got 'fisher_one_sided'"),
    ({"confidence": 1.0}, "confidence must be between 0 and 1, got 1.0"),
    ({"reference": "Other"}, r"reference 'Other' is not one of the arms \['IL-2', 'Placebo'\]"),
])
def test_compare_renal_response_errors(kwargs, message):
    args = {"reference": "Placebo", **kwargs}
    with pytest.raises(ValueError, match=message):
        renal.compare_renal_response(paper_summary(), "ARM", ARMS, **args)


def test_renal_verdicts_and_bad_alpha():
    out = renal.renal_verdicts(pd.DataFrame({"p_val": [0.0968, 0.049, 0.05, NAN]}), 0.05)
    assert out["verdict"].tolist() == ["not_significant", "significant", "not_significant", "not_tested"]
    with pytest.raises(ValueError, match="alpha must be between 0 and 1, got 0"):
        renal.renal_verdicts(pd.DataFrame({"p_val": [0.1]}), 0)


def test_reproducing_tests_rounds_as_printed():
    row = {"p_score": 0.057988, "p_chisq": 0.053005, "p_fisher": 0.096842, "p_fisher_one_sided": 0.063346}
    assert renal.reproducing_tests(row, 0.036)["reproduces"].tolist() == [False, False, False, False]
    assert renal.reproducing_tests(row, 0.053)["reproduces"].tolist() == [False, True, False, False]
    assert renal.reproducing_tests(row, 0.097)["reproduces"].tolist() == [False, False, True, False]
    # printed with one decimal, 0.1 stands for every p from 0.05 to 0.15
    assert renal.reproducing_tests(row, 0.1)["reproduces"].tolist() == [True, True, True, True]
    # 0.0525 printed with 3 decimals: 0.052 or 0.053 by the rounding rule
    half = {"p_score": 0.0525, "p_chisq": 1.0, "p_fisher": 1.0, "p_fisher_one_sided": NAN}
    assert renal.reproducing_tests(half, 0.052)["reproduces"].tolist() == [True, False, False, False]
    assert renal.reproducing_tests(half, 0.053)["reproduces"].tolist() == [True, False, False, False]


@pytest.mark.parametrize("bad", [1.5, -0.1, True, "0.036"])
def test_reproducing_tests_bad_published(bad):
    with pytest.raises(ValueError, match="published must be a p-value from 0 to 1"):
        renal.reproducing_tests({}, bad)


def test_published_p_check():
    cmp = renal.compare_renal_response(paper_summary(), "ARM", ARMS, "Placebo")
    assert renal.published_p_check(cmp, 24, 0.036)["reproduces"].tolist() == [False, False, False, False]
    assert renal.published_p_check(cmp, 24, None) is None
    assert renal.published_p_check(cmp, 12, 0.036) is None  # no comparison at that week
    assert renal.published_p_check(cmp.iloc[:0], 24, 0.036) is None


# ---------------------------------------------------------------------------------------
# result names and checks


def test_renal_values_names_and_cells():
    sub = pd.DataFrame({"ARM": ["X", "Y"], "n": [13, 12], "subjects": [29, 30], "rate": [13 / 29, 0.4]})
    s = pd.DataFrame({"ARM": ["X", "Y"], "AVISITN": 24, "response": "partial", "responders": [3, 6], "n": [13, 12],
                      "rate": [3 / 13, 0.5], "ci_low": [0.05, 0.21], "ci_high": [0.54, 0.79]})
    out = renal.renal_values(s, "ARM", sub)
    assert out.columns.tolist() == ["ARM", "ln_week0_n", "ln_week0_subjects", "ln_week0_rate", "ln_pr_week24_n",
                                    "ln_pr_week24_subjects", "ln_pr_week24_rate", "ln_pr_week24_ci_low",
                                    "ln_pr_week24_ci_high"]
    assert out[["ARM", "ln_week0_n", "ln_week0_subjects", "ln_pr_week24_n", "ln_pr_week24_subjects"]].values.tolist() \
        == [["X", 13, 29, 3, 13], ["Y", 12, 30, 6, 12]]


def test_renal_comparison_values_names():
    cmp = renal.renal_verdicts(renal.compare_renal_response(paper_summary(), "ARM", ARMS, "Placebo"), 0.05)
    out = renal.renal_comparison_values(cmp)
    assert out.columns.tolist() == ["arm", "reference", "ln_cr_week24_diff", "ln_cr_week24_diff_ci_low",
                                    "ln_cr_week24_diff_ci_high", "ln_cr_week24_p", "ln_cr_week24_p_score",
                                    "ln_cr_week24_p_chisq", "ln_cr_week24_p_fisher", "ln_cr_week24_p_fisher_one_sided",
                                    "ln_cr_week24_verdict"]
    assert out["ln_cr_week24_verdict"].tolist() == ["not_significant"]
    assert renal.renal_comparison_values(cmp.iloc[:0]).columns.tolist() == ["arm", "reference"]


def test_check_renal_passes_and_fails():
    sub = pd.DataFrame({"n": [2], "subjects": [3]})
    ok = pd.DataFrame({"ARM": ["X", "X"], "AVISITN": 24, "response": ["complete", "partial"], "responders": [1, 1],
                       "n": [2, 2], "rate": [0.5, 0.5]})
    renal.check_renal(ok, sub)
    with pytest.raises(ValueError, match="renal remission counts are inconsistent"):
        renal.check_renal(ok.assign(responders=[3, 0]), sub)
    with pytest.raises(ValueError, match="complete and partial remission add up to more than the subgroup"):
        renal.check_renal(ok.assign(responders=[2, 1], rate=[1.0, 0.5]), sub)
    with pytest.raises(ValueError, match="lupus nephritis subgroup larger than its arm"):
        renal.check_renal(ok, pd.DataFrame({"n": [4], "subjects": [3]}))


def test_renal_weeks_from_the_config():
    c = load_cohort(ROOT / "data" / "nct02465580")
    assert renal.renal_weeks(c.config) == [12, 24]


# ---------------------------------------------------------------------------------------
# the randomized cohort: the paper's 7/13 against 2/12


def test_randomized_cohort_lupus_nephritis():
    c = load_cohort(ROOT / "data" / "nct02465580")
    arm = c.config.population_arm("efficacy")
    sub = renal.summarize_subgroup(renal.lupus_nephritis_subgroup(c), arm, c.arms)
    assert sub[[arm, "n", "subjects"]].values.tolist() == [["IL-2", 13, 29], ["Placebo", 12, 30]]
    s = renal.summarize_renal_response(renal.renal_response(c, [24]), arm, c.arms)
    cr = s[s["response"] == "complete"]
    assert cr[[arm, "responders", "n"]].values.tolist() == [["IL-2", 7, 13], ["Placebo", 2, 12]]
    cmp = renal.compare_renal_response(s, arm, c.arms, c.config.reference_arm, c.config.renal.test)
    r = cmp[cmp["response"] == "complete"].iloc[0]
    assert [round(r[f"p_{t}"], 3) for t in renal.TESTS] == [0.058, 0.053, 0.097, 0.063]
    assert not renal.published_p_check(cmp, 24, 0.036)["reproduces"].any()


def test_open_label_cohort_has_no_renal_section():
    c = load_cohort(ROOT / "data" / "nct02084238")
    assert renal.measures(c) == {"proteinuria": "UPROT", "kidney": None}
    assert not renal.renal_available(c["adlb"])
