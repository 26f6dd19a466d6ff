"""Tests for helpers.analyses.organ on the three-subject fixture cohort of conftest.py, on
hand-made frames, and on the two simulated cohorts.

At baseline (week 0) and week 2: S01 (IL-2) has the musculoskeletal, renal,
mucocutaneous and immunological domains active and keeps only a rash; S02 (IL-2) keeps
its arthritis, rash and low complement; S03 (Placebo) has no week-2 visit, so nothing of
hers resolves. Manifestations: S01 RASH, ARTHRIT, NEPHRIT -> RASH; S02 RASH, ARTHRIT ->
unchanged; S03 ARTHRIT, LEUKOP, THROMBO, no week 2.

The claim frames (:func:`claim_items`) give each subject one favoured and one other
manifestation, so the GEE is saturated: its estimates are the cells' log odds whatever
the working correlation, and its robust variance of an arm's log odds ratio is
``sum_i u_i^2 / n^2`` with ``u_i = (f_i - pf) / (pf (1 - pf)) - (o_i - po) / (po (1 - po))``
(the sandwich of a saturated model; statsmodels ``GEE(...).fit()`` gives the same to
1e-12). The expected values below are that arithmetic, written out.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from helpers import stats
from helpers.analyses import efficacy, organ
from helpers.data import load_cohort

ROOT = Path(__file__).resolve().parents[1]
ARMS = ["IL-2", "Placebo"]
NAN = float("nan")


# ---------------------------------------------------------------------------------------
# resolution, per arm


def test_domain_resolution_on_the_fixture(cohort_dir):
    out = organ.domain_resolution(load_cohort(cohort_dir), 2)
    assert out.columns.tolist() == ["USUBJID", "PARAMCD", "BASE", "AVAL", "RESFL", "TRT01A"]
    assert out[["USUBJID", "PARAMCD", "RESFL", "AVAL", "TRT01A"]].values.tolist() == [
        ["S01", "musculoskeletal", "Y", 1.0, "IL-2"],
        ["S01", "renal", "Y", 1.0, "IL-2"],
        ["S01", "mucocutaneous", "N", 0.0, "IL-2"],
        ["S01", "immunological", "Y", 1.0, "IL-2"],
        ["S02", "musculoskeletal", "N", 0.0, "IL-2"],
        ["S02", "mucocutaneous", "N", 0.0, "IL-2"],
        ["S02", "immunological", "N", 0.0, "IL-2"],
        ["S03", "musculoskeletal", "N", 0.0, "Placebo"],  # no week-2 visit: not resolved
        ["S03", "immunological", "N", 0.0, "Placebo"],
        ["S03", "haematological", "N", 0.0, "Placebo"],
    ]


def test_domain_resolution_efficacy_population_only(cohort_builder):
    cohort_builder.set("adsl", 3, "ITTFL", "N")
    out = organ.domain_resolution(load_cohort(cohort_builder.write()), 2)
    assert out["USUBJID"].unique().tolist() == ["S01", "S02"]


def randomized_cohort(cohort_builder):
    """The fixture with S02 randomized to placebo but given IL-2 (TRT01P differs from
    TRT01A), the efficacy population analysed by TRT01P as intention to treat asks."""
    cohort_builder.tables["adsl"]["TRT01P"] = ["IL-2", "Placebo", "Placebo"]
    cohort_builder.config["populations"] = {"efficacy": {"flag": "ITTFL", "arm": "TRT01P"}, "safety": "SAFFL"}
    return load_cohort(cohort_builder.write())


def test_resolution_is_by_the_arm_the_population_names(cohort_builder):
    cohort = randomized_cohort(cohort_builder)
    res = organ.domain_resolution(cohort, 2)
    assert "TRT01A" not in res
    summary = organ.summarize_resolution(res, "TRT01P", ARMS)
    # S02 counts as placebo (randomized), not IL-2 (received)
    assert summary[["TRT01P", "PARAMCD", "responders", "n"]].values.tolist() == [
        ["IL-2", "musculoskeletal", 1, 1], ["Placebo", "musculoskeletal", 0, 2], ["IL-2", "renal", 1, 1],
        ["IL-2", "mucocutaneous", 0, 1], ["Placebo", "mucocutaneous", 0, 1], ["IL-2", "immunological", 1, 1],
        ["Placebo", "immunological", 0, 2], ["Placebo", "haematological", 0, 1],
    ]
    sub = organ.response_by_subgroup(efficacy.sri_response(cohort), cohort, 2)
    assert sub.loc[sub["PARAMCD"] == "ALL", ["TRT01P", "responders", "n"]].values.tolist() == [
        ["IL-2", 1, 1], ["Placebo", 0, 2]]
    assert organ.activity_matrix(cohort).index.tolist() == [("IL-2", "S01"), ("Placebo", "S03"), ("Placebo", "S02")]


def test_manifestation_resolution_groups_and_favoured(cohort_dir):
    out = organ.manifestation_resolution(load_cohort(cohort_dir), 2)
    assert out[["USUBJID", "PARAMCD", "group", "favoured", "AVAL"]].values.tolist() == [
        ["S01", "RASH", "skin", True, 0.0],
        ["S01", "ARTHRIT", "musculoskeletal", False, 1.0],
        ["S01", "NEPHRIT", "renal", False, 1.0],
        ["S02", "RASH", "skin", True, 0.0],
        ["S02", "ARTHRIT", "musculoskeletal", False, 0.0],
        ["S03", "ARTHRIT", "musculoskeletal", False, 0.0],
        ["S03", "LEUKOP", "haematological", True, 0.0],
        ["S03", "THROMBO", "haematological", True, 0.0],
    ]
    assert "label" not in out  # words are the present layer's


def test_manifestation_resolution_alopecia_is_not_favoured(cohort_builder):
    # admanif: 13 codes a visit in definition order; S01 week 0 is rows 1-13, ALOPEC the 6th
    cohort_builder.set("admanif", 6, "AVAL", 1)
    out = organ.manifestation_resolution(load_cohort(cohort_builder.write()), 2)
    row = out[out["PARAMCD"] == "ALOPEC"]
    assert row[["USUBJID", "group", "favoured", "AVAL"]].values.tolist() == [["S01", "hair", False, 1.0]]


def test_summarize_resolution_per_arm_never_a_total(cohort_dir):
    out = organ.summarize_resolution(organ.domain_resolution(load_cohort(cohort_dir), 2), "TRT01A", ARMS)
    assert out.columns.tolist() == ["TRT01A", "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high", "method"]
    # items in definition order, each item's arms in the config's order; no Total rows
    assert out[["TRT01A", "PARAMCD", "responders", "n"]].values.tolist() == [
        ["IL-2", "musculoskeletal", 1, 2], ["Placebo", "musculoskeletal", 0, 1], ["IL-2", "renal", 1, 1],
        ["IL-2", "mucocutaneous", 0, 2], ["IL-2", "immunological", 1, 2], ["Placebo", "immunological", 0, 1],
        ["Placebo", "haematological", 0, 1],
    ]
    # Clopper-Pearson 0 of 2: R binom.test(0, 2)$conf.int = 0 0.8418861
    assert out["ci_high"].iloc[3] == pytest.approx(0.8418861, abs=1e-7)


def test_summarize_resolution_manifestations_keep_group_and_favoured(cohort_dir):
    res = organ.manifestation_resolution(load_cohort(cohort_dir), 2)
    out = organ.summarize_resolution(res, "TRT01A", ARMS)
    assert out.columns.tolist()[-2:] == ["group", "favoured"]
    assert out[["TRT01A", "PARAMCD", "responders", "n", "favoured"]].values.tolist() == [
        ["IL-2", "RASH", 0, 2, True], ["IL-2", "ARTHRIT", 1, 2, False], ["Placebo", "ARTHRIT", 0, 1, False],
        ["Placebo", "LEUKOP", 0, 1, True], ["Placebo", "THROMBO", 0, 1, True], ["IL-2", "NEPHRIT", 1, 1, False]]


def test_summarize_resolution_single_arm_and_rows_of_other_arms_left_out():
    res = pd.DataFrame({"TRT01A": ["A", "A", "A", "Total"], "PARAMCD": ["renal", "renal", "serosal", "renal"],
                        "AVAL": [1.0, 0.0, 1.0, 1.0]})
    out = organ.summarize_resolution(res, "TRT01A", ["A"])
    assert out[["TRT01A", "PARAMCD", "responders", "n"]].values.tolist() == [["A", "renal", 1, 2], ["A", "serosal", 1, 1]]


# ---------------------------------------------------------------------------------------
# between arms, rankings


def test_compare_items_score_interval_and_minimum_size():
    s = pd.DataFrame({"TRT01P": ["A", "B", "A", "B", "B"], "PARAMCD": ["ALL", "ALL", "RASH", "RASH", "FEVER"],
                      "responders": [16, 9, 3, 2, 1], "n": [29, 30, 4, 6, 5]})
    out = organ.compare_items(s, "TRT01P", ["A", "B"], "B", min_size=5)
    assert out.columns.tolist() == ["arm", "reference", "PARAMCD", "responders", "n", "ref_responders", "ref_n",
                                    "estimate", "ci_low", "ci_high", "tested", "method"]
    assert out[["arm", "reference", "PARAMCD", "n", "ref_n", "tested"]].values.tolist() == [
        ["A", "B", "ALL", 29, 30, True], ["A", "B", "RASH", 4, 6, False], ["A", "B", "FEVER", 0, 5, False]]
    # Miettinen-Nurminen 16/29 vs 9/30: -0.27% to 47.64% (the randomized trial's week 12; issue #13)
    assert out.loc[0, ["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx([16 / 29 - 9 / 30, -0.0027, 0.4764],
                                                                                  abs=5e-5)
    assert out.loc[1:, ["estimate", "ci_low", "ci_high"]].isna().all().all()  # fewer than 5: not compared


def test_compare_items_one_arm_none_and_errors():
    s = pd.DataFrame({"TRT01P": ["A"], "PARAMCD": ["RASH"], "responders": [3], "n": [6]})
    assert organ.compare_items(s, "TRT01P", ["A"], None).empty
    with pytest.raises(ValueError, match=r"compare_items: reference 'C' is not one of the arms \['A', 'B'\]"):
        organ.compare_items(s, "TRT01P", ["A", "B"], "C")
    with pytest.raises(ValueError, match=r"compare_items: min_size must be at least 1, got 0"):
        organ.compare_items(s, "TRT01P", ["A", "B"], "B", min_size=0)


def ranked_summary() -> pd.DataFrame:
    """Arm A: vascular 1 of 1 (100%), serosal 5 of 5, renal 3 of 6, mucocutaneous 3 of 6,
    neurological 0 of 2; arm B: renal 1 of 2 only."""
    return pd.DataFrame({
        "TRT01P": ["A"] * 5 + ["B"],
        "PARAMCD": ["neurological", "vascular", "renal", "mucocutaneous", "serosal", "renal"],
        "responders": [0, 1, 3, 3, 5, 1], "n": [2, 1, 6, 6, 5, 2],
        "rate": [0.0, 1.0, 0.5, 0.5, 1.0, 0.5],
    })


def test_rank_items_needs_the_minimum_and_keeps_counts():
    out = organ.rank_items(ranked_summary(), "TRT01P", ["A", "B"], min_size=5)
    assert out.columns.tolist() == ["TRT01P", "n_items", "n_ranked", "best", "best_responders", "best_n", "best_rate",
                                    "worst", "worst_responders", "worst_n", "worst_rate"]
    a = out.iloc[0]
    # vascular 1 of 1 (100%) is not "the best domain": serosal 5 of 5 is; renal and
    # mucocutaneous tie at 3 of 6, definition order picks renal; neurological 0 of 2 is not the worst
    assert (a["n_items"], a["n_ranked"], a["best"], a["best_responders"], a["best_n"], a["worst"], a["worst_n"]) == (
        5, 3, "serosal", 5, 5, "renal", 6)
    b = out.iloc[1]
    assert b["n_ranked"] == 0 and pd.isna(b["best"]) and pd.isna(b["worst"]) and math.isnan(b["best_rate"])


def test_rank_items_ties_go_to_the_larger_item():
    s = pd.DataFrame({"TRT01P": "A", "PARAMCD": ["renal", "serosal"], "responders": [5, 10], "n": [5, 10],
                      "rate": [1.0, 1.0]})
    out = organ.rank_items(s, "TRT01P", ["A"])
    assert (out.loc[0, "best"], out.loc[0, "worst"]) == ("serosal", "serosal")


def test_rank_items_bad_minimum():
    with pytest.raises(ValueError, match=r"rank_items: min_size must be at least 1, got 0"):
        organ.rank_items(ranked_summary(), "TRT01P", ["A"], min_size=0)


def test_small_items_lists_what_is_not_ranked():
    out = organ.small_items(ranked_summary(), 5)
    assert out[["TRT01P", "PARAMCD", "responders", "n"]].values.tolist() == [
        ["A", "neurological", 0, 2], ["A", "vascular", 1, 1], ["B", "renal", 1, 2]]


# ---------------------------------------------------------------------------------------
# the abstract's claim


def claim_items(treated: tuple[list, list], reference: tuple[list, list]) -> pd.DataFrame:
    """One favoured and one other manifestation per subject: ``(favoured resolved,
    other resolved)`` per subject of arm T, then of arm P."""
    rows = []
    for arm, (fav, oth) in (("T", treated), ("P", reference)):
        for i, (f, o) in enumerate(zip(fav, oth, strict=True)):
            rows += [{"USUBJID": f"{arm}{i:02d}", "ARM": arm, "favoured": True, "AVAL": float(f)},
                     {"USUBJID": f"{arm}{i:02d}", "ARM": arm, "favoured": False, "AVAL": float(o)}]
    return pd.DataFrame(rows)


#: Arm T: favoured 9 of 10 resolved, others 2 of 10 (the two also resolved their favoured one).
T_PATTERN = ([1] * 9 + [0], [1, 1] + [0] * 8)
#: Arm P without the pattern: 5 of 10 and 5 of 10, two subjects differing each way.
P_FLAT = ([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 1, 1, 0, 0, 0])
#: Arm P with the same rates as T: 9 of 10 and 2 of 10, paired differently.
P_PATTERN = ([1] * 9 + [0], [0] * 8 + [1, 1])
LN36 = math.log(36)  # log odds ratio of 9/10 against 2/10: ln(9) - ln(1/4)


def test_favoured_groups_test_within_each_arm_by_hand():
    out = organ.favoured_groups_test(claim_items(T_PATTERN, P_FLAT), "ARM", ["T", "P"])
    assert out.columns.tolist() == ["ARM", "favoured_resolved", "favoured_n", "favoured_subjects", "favoured_rate",
                                    "other_resolved", "other_n", "other_subjects", "other_rate", "odds_ratio",
                                    "ci_low", "ci_high", "p_val", "n_subjects", "tested", "reason", "method"]
    t, p = out.iloc[0], out.iloc[1]
    assert (t["favoured_resolved"], t["favoured_n"], t["other_resolved"], t["other_n"], t["n_subjects"]) == (9, 10, 2, 10, 10)
    # u_i = (f - 0.9)/0.09 - (o - 0.2)/0.16: -3.8889 (x2), 2.3611 (x7), -8.75 (x1);
    # var = (2 x 15.1235 + 7 x 5.5748 + 76.5625) / 10^2 = 1.458333; z = ln 36 / 1.207615 = 2.967436
    assert t["odds_ratio"] == pytest.approx(36.0, rel=1e-6)
    assert t["p_val"] == pytest.approx(0.0030030, abs=1e-6)
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((3.375818, 383.9070), rel=1e-5)
    assert (t["tested"], t["reason"], t["method"]) == (True, "tested", "logistic GEE, exchangeable")
    # P: 5 of 10 each, u = 4 (f - o): odds ratio 1, z = 0
    assert (p["odds_ratio"], p["p_val"]) == pytest.approx((1.0, 1.0), abs=1e-9)


def test_favoured_groups_test_small_groups_are_not_tested():
    out = organ.favoured_groups_test(claim_items(T_PATTERN, P_FLAT), "ARM", ["T", "P"], min_size=11)
    assert out["reason"].tolist() == ["too_small", "too_small"] and not out["tested"].any()
    assert out[["odds_ratio", "ci_low", "ci_high", "p_val"]].isna().all().all()
    assert out["favoured_resolved"].tolist() == [9, 5]  # still described


def test_favoured_groups_test_a_group_resolved_in_every_case_is_not_tested():
    out = organ.favoured_groups_test(claim_items(([1] * 10, [0] * 9 + [1]), P_FLAT), "ARM", ["T", "P"])
    assert out["reason"].tolist() == ["boundary", "tested"]
    assert math.isnan(out.loc[0, "p_val"])


def test_favoured_groups_test_an_arm_without_manifestations_and_bad_minimum():
    out = organ.favoured_groups_test(claim_items(T_PATTERN, P_FLAT), "ARM", ["T", "P", "Q"])
    q = out.iloc[2]
    assert (q["ARM"], q["favoured_n"], q["other_n"], q["reason"]) == ("Q", 0, 0, "too_small")
    assert math.isnan(q["favoured_rate"])
    with pytest.raises(ValueError, match=r"favoured_groups_test: min_size must be at least 1, got 0"):
        organ.favoured_groups_test(claim_items(T_PATTERN, P_FLAT), "ARM", ["T"], min_size=0)


def test_gee_interaction_pattern_in_the_treated_arm_only_by_hand():
    out = stats.gee_interaction(claim_items(T_PATTERN, P_FLAT), "AVAL", "favoured", "ARM", "P")
    assert out.columns.tolist() == ["arm", "reference", "ratio", "ci_low", "ci_high", "p_val", "n_items", "n_subjects",
                                    "method"]
    row = out.iloc[0]
    # ratio of odds ratios 36 / 1; se = sqrt(1.458333 + 0.64) = 1.448563; z = 3.583519 / 1.448563 = 2.473845
    assert row["ratio"] == pytest.approx(36.0, rel=1e-6)
    assert row["p_val"] == pytest.approx(0.0133668, abs=1e-6)
    # exp(3.583519 -/+ 1.959964 x 1.448563)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2.105154, 615.6319), rel=1e-5)
    assert (row["arm"], row["reference"], row["n_items"], row["n_subjects"]) == ("T", "P", 40, 20)


def test_gee_interaction_pattern_in_both_arms_by_hand():
    out = stats.gee_interaction(claim_items(T_PATTERN, P_PATTERN), "AVAL", "favoured", "ARM", "P").iloc[0]
    # both arms 9/10 against 2/10: ratio 1; P's u: 2.3611 (x8), -3.8889, -15: var 2.847222;
    # se = sqrt(1.458333 + 2.847222) = 2.074983
    assert (out["ratio"], out["p_val"]) == pytest.approx((1.0, 1.0), abs=1e-9)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((0.0171305, 58.37528), rel=1e-5)


def test_gee_interaction_without_a_contrast():
    frame = claim_items(T_PATTERN, P_FLAT).assign(AVAL=1.0)
    out = stats.gee_interaction(frame, "AVAL", "favoured", "ARM", "P")
    assert out["arm"].tolist() == ["T"] and out["p_val"].isna().all()
    assert stats.gee_interaction(frame[frame["ARM"] == "P"], "AVAL", "favoured", "ARM", "P").empty


def test_group_interaction_test_rows_and_reasons():
    frame = claim_items(T_PATTERN, P_FLAT)
    within = organ.favoured_groups_test(frame, "ARM", ["T", "P"])
    out = organ.group_interaction_test(frame, within, "ARM", ["T", "P"], "P")
    assert out[["arm", "reference", "tested", "reason"]].values.tolist() == [["T", "P", True, "tested"]]
    assert out.loc[0, "p_val"] == pytest.approx(0.0133668, abs=1e-6)
    small = organ.favoured_groups_test(frame, "ARM", ["T", "P"], min_size=11)
    out = organ.group_interaction_test(frame, small, "ARM", ["T", "P"], "P")
    assert (out.loc[0, "reason"], out.loc[0, "tested"]) == ("too_small", False) and math.isnan(out.loc[0, "ratio"])
    assert (out.loc[0, "n_items"], out.loc[0, "n_subjects"]) == (40, 20)  # described, not tested
    assert organ.group_interaction_test(frame, within, "ARM", ["T"], None).empty
    # an arm without manifestations: nothing to test, no error
    out = organ.group_interaction_test(frame, within, "ARM", ["T", "Q", "P"], "P")
    assert out[["arm", "reason"]].values.tolist() == [["T", "tested"], ["Q", "too_small"]]
    with pytest.raises(ValueError, match=r"group_interaction_test: reference 'X' is not one of the arms"):
        organ.group_interaction_test(frame, within, "ARM", ["T", "P"], "X")


def verdict(treated, reference, alpha=0.05, min_size=5):
    frame = claim_items(treated, reference)
    within = organ.favoured_groups_test(frame, "ARM", ["T", "P"], min_size=min_size)
    inter = organ.group_interaction_test(frame, within, "ARM", ["T", "P"], "P")
    return organ.claim_verdict(within, inter, "ARM", ["T", "P"], "P", alpha).iloc[0]


def test_claim_verdict_two_arms_pattern_in_the_treated_arm_only_is_supported():
    v = verdict(T_PATTERN, P_FLAT)
    assert (v["arm"], v["reference"], v["design"], v["verdict"], v["reason"], v["holds"]) == (
        "T", "P", "interaction", "supported", "significant", True)
    assert v["estimate"] == pytest.approx(36.0, rel=1e-6)


def test_claim_verdict_two_arms_pattern_in_both_arms_is_not_supported():
    frame = claim_items(T_PATTERN, P_PATTERN)
    # pooling both arms (the old test) finds the pattern, with placebo patients making it
    pooled = stats.gee_group_effect(frame, "AVAL", "favoured")
    assert pooled.loc[0, "odds_ratio"] == pytest.approx(36.0, rel=1e-6) and pooled.loc[0, "p_val"] < 0.001
    v = verdict(T_PATTERN, P_PATTERN)
    assert (v["design"], v["verdict"], v["reason"], v["holds"]) == (
        "interaction", "not_supported", "not_better_than_reference", False)


def test_claim_verdict_two_arms_larger_but_not_significant_is_inconclusive():
    # T 9/10 vs 2/10 against P 9/10 vs 5/10: ratio 36/9 = 4, not significant with 10 a side
    v = verdict(T_PATTERN, ([1] * 9 + [0], [1] * 5 + [0] * 5))
    assert v["estimate"] == pytest.approx(4.0, rel=1e-6) and v["p_val"] > 0.05
    assert (v["verdict"], v["reason"]) == ("inconclusive", "not_significant")


def test_claim_verdict_two_arms_treated_arm_not_better_and_untested():
    v = verdict(([1] * 2 + [0] * 8, [1] * 9 + [0]), P_FLAT)
    assert (v["verdict"], v["reason"]) == ("not_supported", "not_better")
    v = verdict(T_PATTERN, P_FLAT, min_size=11)
    assert (v["verdict"], v["reason"]) == ("inconclusive", "too_small") and math.isnan(v["p_val"])


def single(treated, min_size=5, alpha=0.05):
    frame = claim_items(treated, P_FLAT)
    frame = frame[frame["ARM"] == "T"]
    within = organ.favoured_groups_test(frame, "ARM", ["T"], min_size=min_size)
    inter = organ.group_interaction_test(frame, within, "ARM", ["T"], None)
    return organ.claim_verdict(within, inter, "ARM", ["T"], None, alpha).iloc[0]


@pytest.mark.parametrize("treated, min_size, alpha, expected", [
    (T_PATTERN, 5, 0.05, ("supported", "significant")),          # p = 0.0030
    (T_PATTERN, 5, 0.001, ("inconclusive", "not_significant")),  # the published way, p >= alpha
    (P_FLAT, 5, 0.05, ("not_supported", "not_better")),          # odds ratio 1
    (T_PATTERN, 11, 0.05, ("inconclusive", "too_small")),        # 10 subjects a group
    (([1] * 10, [0] * 9 + [1]), 5, 0.05, ("inconclusive", "boundary")),
])
def test_claim_verdict_single_arm_within_arm(treated, min_size, alpha, expected):
    v = single(treated, min_size, alpha)
    assert (v["design"], v["reference"]) == ("within", None)
    assert (v["verdict"], v["reason"]) == expected
    assert bool(v["holds"]) == (expected[0] == "supported")


def test_claim_verdict_bad_alpha_and_claim_holds():
    with pytest.raises(ValueError, match=r"claim_verdict: alpha must be between 0 and 1, got 1.5"):
        organ.claim_verdict(pd.DataFrame(), pd.DataFrame(), "ARM", ["T"], None, 1.5)
    assert organ.claim_holds(pd.DataFrame({"verdict": ["supported", "supported"]})) is True
    assert organ.claim_holds(pd.DataFrame({"verdict": ["supported", "inconclusive"]})) is False
    assert organ.claim_holds(pd.DataFrame({"verdict": []})) is False


# ---------------------------------------------------------------------------------------
# subgroups, subject by subject, checks


def test_response_by_subgroup_per_arm_all_subjects_first(cohort_dir):
    cohort = load_cohort(cohort_dir)
    out = organ.response_by_subgroup(efficacy.sri_response(cohort), cohort, 2)
    assert out.columns.tolist() == ["TRT01A", "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high", "method", "group"]
    assert out[["TRT01A", "PARAMCD", "group", "responders", "n"]].values.tolist() == [
        ["IL-2", "ALL", "all", 1, 2], ["Placebo", "ALL", "all", 0, 1],
        ["IL-2", "RASH", "skin", 1, 2],
        ["IL-2", "ARTHRIT", "musculoskeletal", 1, 2], ["Placebo", "ARTHRIT", "musculoskeletal", 0, 1],
        ["Placebo", "LEUKOP", "haematological", 0, 1], ["Placebo", "THROMBO", "haematological", 0, 1],
        ["IL-2", "NEPHRIT", "renal", 1, 1],
    ]


def test_response_by_subgroup_needs_the_population_arm(cohort_dir):
    cohort = load_cohort(cohort_dir)
    sri = efficacy.sri_response(cohort).drop(columns="TRT01A")
    with pytest.raises(ValueError, match=r"response_by_subgroup: the SRI frame has no column 'TRT01A'"):
        organ.response_by_subgroup(sri, cohort, 2)


def test_subgroup_sizes_by_arm_without_all():
    s = pd.DataFrame({"TRT01A": ["A", "B", "A", "B", "Total"], "PARAMCD": ["ALL", "ALL", "RASH", "RASH", "RASH"],
                      "n": [10, 8, 4, 3, 7]})
    assert organ.subgroup_sizes(s, "TRT01A", ["A", "B"]) == [4, 3]
    assert organ.subgroup_sizes(s[s["PARAMCD"] == "ALL"], "TRT01A", ["A", "B"]) == []


def test_activity_matrix_descriptors_and_total_arm_by_arm(cohort_dir):
    cohort = load_cohort(cohort_dir)
    out = organ.activity_matrix(cohort, "descriptors")
    # arms in the config's order; within an arm by decreasing baseline value; S03 has no week 2 (NaN)
    assert out.index.names == ["TRT01A", "USUBJID"]
    assert out.index.tolist() == [("IL-2", "S01"), ("IL-2", "S02"), ("Placebo", "S03")]
    assert out.columns.tolist() == [0, 2]
    assert out.fillna(-1).values.tolist() == [[5.0, 1.0], [3.0, 3.0], [4.0, -1.0]]
    total = organ.activity_matrix(cohort, "total")
    assert total.fillna(-1).values.tolist() == [[14.0, 2.0], [8.0, 8.0], [8.0, -1.0]]


def test_activity_matrix_bad_value(cohort_dir):
    with pytest.raises(ValueError, match=r"value must be 'descriptors' or 'total', got 'weights'"):
        organ.activity_matrix(load_cohort(cohort_dir), "weights")


def test_check_resolution_passes_and_fails():
    ok = pd.DataFrame({"responders": [1, 0], "n": [2, 1], "rate": [0.5, 0.0]})
    assert organ.check_resolution(ok) is None
    with pytest.raises(ValueError, match=r"resolution counts are inconsistent"):
        organ.check_resolution(ok.assign(responders=[3, 0]))
    with pytest.raises(ValueError, match=r"resolution counts are inconsistent"):
        organ.check_resolution(ok.assign(rate=[1.5, 0.0]))


def test_check_per_arm_refuses_a_pooled_row():
    assert organ.check_per_arm(pd.DataFrame({"ARM": ["A", "B"]}), "ARM", ["A", "B"]) is None
    with pytest.raises(ValueError, match=r"rows for \['Total'\] in column 'ARM', which is none of the arms"):
        organ.check_per_arm(pd.DataFrame({"ARM": ["A", "Total"]}), "ARM", ["A", "B"])


# ---------------------------------------------------------------------------------------
# the simulated cohorts: the verdict follows the design


def claim_on(cohort_name: str):
    cohort = load_cohort(ROOT / "data" / cohort_name)
    cfg = cohort.config
    arm, arms, ref = cfg.population_arm("efficacy"), cohort.arms, cfg.reference_arm
    res = organ.manifestation_resolution(cohort, cfg.primary_week)
    within = organ.favoured_groups_test(res, arm, arms, 1 - cfg.alpha, cfg.analysis.min_group_size)
    inter = organ.group_interaction_test(res, within, arm, arms, ref, 1 - cfg.alpha)
    return within, inter, organ.claim_verdict(within, inter, arm, arms, ref, cfg.alpha)


def test_single_arm_cohort_claim_is_tested_within_the_arm():
    within, inter, verdicts = claim_on("nct02084238")
    assert inter.empty
    # week 10: favoured 99 of 113 (87.6%), others 51 of 79 (64.6%), as tests/test_simulate.py counts them
    assert within[["TRT01A", "favoured_resolved", "favoured_n", "other_resolved", "other_n"]].values.tolist() == [
        ["IL-2", 99, 113, 51, 79]]
    v = verdicts.iloc[0]
    assert (v["design"], v["verdict"], v["reason"]) == ("within", "supported", "significant")
    assert v["estimate"] == pytest.approx(3.834, abs=5e-4) and v["p_val"] < 0.001


def test_randomized_cohort_claim_is_judged_by_the_interaction():
    within, inter, verdicts = claim_on("nct02465580")
    # week 12, by the randomized arm: both arms show the pattern, placebo more so
    assert within[["TRT01P", "favoured_resolved", "favoured_n", "other_resolved", "other_n"]].values.tolist() == [
        ["IL-2", 60, 74, 23, 46], ["Placebo", 55, 70, 11, 41]]
    assert (within["p_val"] < 0.001).all()  # each arm alone "supports" it
    v = verdicts.iloc[0]
    assert (v["arm"], v["reference"], v["design"]) == ("IL-2", "Placebo", "interaction")
    assert (v["verdict"], v["reason"]) == ("not_supported", "not_better_than_reference")
    assert v["estimate"] == pytest.approx(0.669, abs=5e-4) and v["p_val"] == pytest.approx(0.465, abs=5e-4)


# ---------------------------------------------------------------------------------------
# the chapter, run by hand on both simulated cohorts (papermill, as the build runs it)

#: Values glued per arm (``name@arm``) with several arms, bare with one.
PER_ARM = ("domain_best", "domain_best_rate", "domain_best_n", "domain_worst", "domain_worst_rate", "domain_ranked",
           "manif_favoured_resolved", "manif_favoured_n", "manif_favoured_rate", "manif_other_rate",
           "manif_odds_ratio", "manif_ci_low", "manif_ci_high", "manif_p_val", "manif_p_val_text", "manif_tested")


def run_chapter(cohort_name: str, folder: Path) -> tuple[dict, Path]:
    import papermill as pm

    from helpers.publish.manifest import collect_results

    out, downloads = folder / f"organ-{cohort_name}.ipynb", folder / "downloads"
    pm.execute_notebook(str(ROOT / "chapters" / "organ.ipynb"), str(out), engine_name="helpers", progress_bar=False,
                        parameters={"cohort_dir": str(ROOT / "data" / cohort_name), "downloads_dir": str(downloads)})
    return collect_results([out]), downloads


@pytest.fixture(scope="module")
def randomized_chapter(tmp_path_factory):
    return run_chapter("nct02465580", tmp_path_factory.mktemp("organ-randomized"))


@pytest.fixture(scope="module")
def single_arm_chapter(tmp_path_factory):
    return run_chapter("nct02084238", tmp_path_factory.mktemp("organ-single"))


def test_chapter_randomized_cohort_per_arm_and_the_interaction_decides(randomized_chapter):
    results, downloads = randomized_chapter
    for name in PER_ARM:  # never pooled: no bare per-arm value
        assert name not in results and f"{name}@IL-2" in results and f"{name}@Placebo" in results, name
    assert (results["organ_arm_var"], results["heatmap_subjects"]) == ("TRT01P", 59)
    assert (results["manif_favoured_resolved@IL-2"], results["manif_favoured_n@IL-2"]) == (60, 74)
    assert (results["manif_favoured_resolved@Placebo"], results["manif_favoured_n@Placebo"]) == (55, 70)
    # the bare interaction is the comparison (two arms), as glue_comparisons names it
    assert results["manif_interaction_ratio"] == results["manif_interaction_ratio@IL-2-vs-Placebo"]
    assert results["manif_interaction_p_val_text"] == "p = 0.465"
    assert (results["manif_claim_verdict"], results["manif_statement_holds"]) == ("not supported", False)
    verdict = results["manif_statement_verdict"]
    assert verdict.startswith("Verdict for IL-2 against Placebo: not supported. The favoured groups resolved more "
                              "often with Placebo too")
    assert 'the generator imposed this pattern ("In the IL-2 arm, manifestations of the favoured groups' in verdict
    assert results["domain_ranking_text"].startswith("By Week 12, in the IL-2 arm, of the 5 domains")
    for table in ("domain-resolution", "manifestation-resolution", "sri-by-manifestation"):
        csv = pd.read_csv(downloads / f"{table}.csv")
        assert set(csv["TRT01P"].dropna()) == {"IL-2", "Placebo"}, table  # no Total rows
        assert set(csv["statistic"]) == {"rate", "difference"}
    claim = pd.read_csv(downloads / "favoured-groups-claim.csv")
    assert claim["analysis"].tolist() == ["within", "within", "interaction"]


def test_chapter_single_arm_cohort_tests_within_the_arm(single_arm_chapter):
    results, downloads = single_arm_chapter
    for name in PER_ARM:
        assert name in results and f"{name}@IL-2" not in results, name
    assert not [k for k in results if k.startswith("manif_interaction")]
    # vascular, 1 of 1, is no longer "the best domain": 5 subjects at least
    assert (results["domain_best"], results["domain_best_responders"], results["domain_best_n"]) == (
        "constitutional", 12, 13)
    assert (results["domain_worst"], results["domain_worst_n"]) == ("immunological", 40)
    assert (results["manif_favoured_resolved"], results["manif_favoured_n"]) == (99, 113)
    assert (results["manif_claim_verdict"], results["manif_statement_holds"]) == ("supported", True)
    assert results["manif_statement_verdict"].startswith(
        "Verdict: supported. The favoured groups resolved more often than the others, significantly at the two-sided "
        "5% level (odds ratio 3.83, p < 0.001). These data are simulated, and the generator imposed this pattern")
    assert pd.read_csv(downloads / "favoured-groups-claim.csv")["analysis"].tolist() == ["within"]


# ---------------------------------------------------------------------------------------
# manifestations by visit, in the layout of the published Table 2 (fixture: weeks 0 and 2;
# S01 loses her arthritis and keeps her rash, S02 keeps both, S03 has arthritis and no
# week-2 visit)


def test_manifestation_code_and_table2_manifestations(cohort_dir):
    assert organ.manifestation_code("MUCULC") == "manif_muculc"
    # the fixture records every SLEDAI-2K descriptor: the seven of Table 2, in its order
    assert organ.table2_manifestations(load_cohort(cohort_dir)) == ["RASH", "MUCULC", "ARTHRIT", "VASCUL", "ALOPEC",
                                                                   "FEVER", "MYOSIT"]


def test_manifestation_flags_a_missed_visit(cohort_dir):
    c = load_cohort(cohort_dir)
    imputed = organ.manifestation_flags(c, [0, 2])
    assert imputed.columns.tolist() == ["USUBJID", "TRT01A", "PARAMCD", "AVISITN", "FLAG"]
    assert len(imputed) == 3 * 7 * 2
    arthritis = imputed[imputed["PARAMCD"] == "ARTHRIT"]
    assert arthritis[["USUBJID", "AVISITN", "FLAG"]].values.tolist() == [
        ["S01", 0, "Y"], ["S01", 2, "N"], ["S02", 0, "Y"], ["S02", 2, "Y"], ["S03", 0, "Y"], ["S03", 2, "N"]]
    observed = organ.manifestation_flags(c, [0, 2], missed="")
    assert observed.loc[(observed["USUBJID"] == "S03") & (observed["AVISITN"] == 2), "FLAG"].unique().tolist() == [""]


def test_manifestation_flags_bad_missed(cohort_dir):
    with pytest.raises(ValueError, match="missed must be 'N' or '', got 'NA'"):
        organ.manifestation_flags(load_cohort(cohort_dir), [0, 2], missed="NA")


def test_manifestations_by_visit_on_the_fixture(cohort_dir):
    out = organ.manifestations_by_visit(load_cohort(cohort_dir), [0, 2])
    rows = out[out["PARAMCD"].isin(["manif_rash", "manif_arthrit"])]
    got = [[r.PARAMCD, r.arm, r.AVISITN, r.n, r.subjects, r.p_published, r.n_paired, r.p_paired]
           for r in rows.itertuples()]
    nan = [g for g in got if isinstance(g[7], float) and math.isnan(g[7])]
    assert [g[:5] for g in got] == [
        ["manif_rash", "IL-2", 0, 2, 2], ["manif_rash", "IL-2", 2, 2, 2],
        ["manif_rash", "Placebo", 0, 0, 1], ["manif_rash", "Placebo", 2, 0, 1],
        ["manif_arthrit", "IL-2", 0, 2, 2], ["manif_arthrit", "IL-2", 2, 1, 2],
        # S03 missed week 2: counted as without arthritis, the paper's denominators
        ["manif_arthrit", "Placebo", 0, 1, 1], ["manif_arthrit", "Placebo", 2, 0, 1],
    ]
    # Fisher as published: 2/2 against 1/2 and 1/1 against 0/1, both p = 1 (R fisher.test);
    # paired: IL-2 arthritis b = 1, c = 0, exact McNemar 2 x 1/2 = 1; Placebo has no pair at week 2.
    assert [g[5] for g in got if g[2] == 2] == [1.0, 1.0, 1.0, 1.0]
    assert [(g[0], g[1]) for g in nan if g[2] == 2] == [("manif_rash", "Placebo"), ("manif_arthrit", "Placebo")]
    assert rows.loc[(rows["arm"] == "IL-2") & (rows["AVISITN"] == 2), "n_paired"].tolist() == [2, 2]
    assert out["descriptor"].unique().tolist()[:3] == ["RASH", "MUCULC", "ARTHRIT"]


def test_manifestation_differences_on_the_fixture(cohort_dir):
    out = organ.manifestation_differences(load_cohort(cohort_dir), [0, 2])
    a = out[(out["PARAMCD"] == "manif_arthrit") & (out["AVISITN"] == 2)].iloc[0]
    assert (a["arm"], a["reference"], a["n"], a["ref_n"], a["estimate"]) == ("IL-2", "Placebo", 2, 1, 0.5)


def test_manifestation_differences_single_arm(cohort_builder):
    cohort_builder.config["arms"] = ["IL-2"]
    cohort_builder.config.pop("reference_arm")
    cohort_builder.set("adsl", 3, "TRT01A", "IL-2")
    assert organ.manifestation_differences(load_cohort(cohort_builder.write()), [0, 2]).empty


def test_reported_weeks_from_the_config():
    assert organ.reported_weeks(load_cohort(ROOT / "data" / "nct02465580").config) == [0, 12, 24]
    assert organ.reported_weeks(load_cohort(ROOT / "data" / "nct02084238").config) == [0, 10]


def test_randomized_cohort_table2_rash_and_arthritis():
    """Table 2 of He et al. 2020: counts by visit, and the within-arm p-values as published
    (Fisher on the two visits as independent groups: R fisher.test(matrix(c(13, 16, 2, 27), 2))
    gives 0.002 for rash, IL-2, week 0 against 12)."""
    out = organ.manifestations_by_visit(load_cohort(ROOT / "data" / "nct02465580"), [0, 12, 24])
    rows = out[out["PARAMCD"].isin(["manif_rash", "manif_arthrit"])]
    assert [[r.PARAMCD, r.arm, r.AVISITN, r.n, r.subjects] for r in rows.itertuples()] == [
        ["manif_rash", "IL-2", 0, 13, 29], ["manif_rash", "IL-2", 12, 2, 29], ["manif_rash", "IL-2", 24, 2, 29],
        ["manif_rash", "Placebo", 0, 16, 30], ["manif_rash", "Placebo", 12, 6, 30], ["manif_rash", "Placebo", 24, 6, 30],
        ["manif_arthrit", "IL-2", 0, 14, 29], ["manif_arthrit", "IL-2", 12, 4, 29],
        ["manif_arthrit", "IL-2", 24, 3, 29], ["manif_arthrit", "Placebo", 0, 15, 30],
        ["manif_arthrit", "Placebo", 12, 9, 30], ["manif_arthrit", "Placebo", 24, 8, 30],
    ]
    p = rows[rows["AVISITN"] > 0]["p_published"].round(3).tolist()
    assert p == [0.002, 0.002, 0.015, 0.015, 0.01, 0.003, 0.187, 0.11]
