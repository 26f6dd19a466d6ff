"""Tests for helpers.analyses.organ on the three-subject fixture cohort of conftest.py and
on hand-made frames.

At baseline (week 0) and week 2: S01 (IL-2) has the musculoskeletal, renal,
mucocutaneous and immunological domains active and keeps only a rash; S02 (IL-2) keeps
its arthritis, rash and low complement; S03 (Placebo) has no week-2 visit, so nothing of
hers resolves. Manifestations: S01 RASH, ARTHRIT, NEPHRIT -> RASH; S02 RASH, ARTHRIT ->
unchanged; S03 ARTHRIT, LEUKOP, THROMBO, no week 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import efficacy, organ
from helpers.data import load_cohort

ARMS = ["IL-2", "Placebo"]
NAN = float("nan")


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


def test_summarize_resolution_definition_order_arms_then_total(cohort_dir):
    out = organ.summarize_resolution(organ.domain_resolution(load_cohort(cohort_dir), 2), "TRT01A", ARMS)
    assert out.columns.tolist() == ["TRT01A", "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high", "method"]
    assert out[["TRT01A", "PARAMCD", "responders", "n"]].values.tolist() == [
        ["IL-2", "musculoskeletal", 1, 2], ["IL-2", "renal", 1, 1], ["IL-2", "mucocutaneous", 0, 2],
        ["IL-2", "immunological", 1, 2],
        ["Placebo", "musculoskeletal", 0, 1], ["Placebo", "immunological", 0, 1], ["Placebo", "haematological", 0, 1],
        ["Total", "musculoskeletal", 1, 3], ["Total", "renal", 1, 1], ["Total", "mucocutaneous", 0, 2],
        ["Total", "immunological", 1, 3], ["Total", "haematological", 0, 1],
    ]
    # Clopper-Pearson 0 of 2: R binom.test(0, 2)$conf.int = 0 0.8418861
    assert out["ci_high"].iloc[2] == pytest.approx(0.8418861, abs=1e-7)


def test_summarize_resolution_manifestations_keep_group_and_favoured(cohort_dir):
    res = organ.manifestation_resolution(load_cohort(cohort_dir), 2)
    out = organ.summarize_resolution(res, "TRT01A", ARMS)
    assert out.columns.tolist()[-2:] == ["group", "favoured"]
    total = out[out["TRT01A"] == "Total"]
    assert total[["PARAMCD", "responders", "n", "favoured"]].values.tolist() == [
        ["RASH", 0, 2, True], ["ARTHRIT", 1, 3, False], ["LEUKOP", 0, 1, True], ["THROMBO", 0, 1, True],
        ["NEPHRIT", 1, 1, False]]


def test_summarize_resolution_single_arm_no_total():
    res = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["renal", "renal", "serosal"], "AVAL": [1.0, 0.0, 1.0]})
    out = organ.summarize_resolution(res, "TRT01A", ["A"])
    assert out[["TRT01A", "PARAMCD", "responders", "n"]].values.tolist() == [["A", "renal", 1, 2], ["A", "serosal", 1, 1]]


def test_best_and_worst_ties_to_the_larger_item(cohort_dir):
    summary = organ.summarize_resolution(organ.domain_resolution(load_cohort(cohort_dir), 2), "TRT01A", ARMS)
    best, worst = organ.best_and_worst(summary, "TRT01A", ARMS)
    # Total: renal 1/1 best; mucocutaneous 0/2 and haematological 0/1 tie at 0: the larger wins
    assert (best["PARAMCD"], best["rate"]) == ("renal", 1.0)
    assert (worst["PARAMCD"], worst["n"]) == ("mucocutaneous", 2)


def test_best_and_worst_single_arm_and_definition_order_on_full_ties():
    s = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["renal", "serosal", "vascular"], "rate": [0.5, 0.5, 0.5], "n": [2, 2, 2]})
    best, worst = organ.best_and_worst(s, "TRT01A", ["A"])
    assert (best["PARAMCD"], worst["PARAMCD"]) == ("renal", "renal")


def test_best_and_worst_without_the_total_row():
    s = pd.DataFrame({"TRT01A": ["A", "B"], "PARAMCD": "renal", "rate": [0.5, 1.0], "n": [2, 1]})
    with pytest.raises(ValueError, match=r"best_and_worst: no row for 'Total' in column 'TRT01A'"):
        organ.best_and_worst(s, "TRT01A", ["A", "B"])


def resolution_items() -> pd.DataFrame:
    """Eight subjects with two manifestations each: favoured ones resolve in 6 of 8,
    the others in 2 of 8."""
    return pd.DataFrame({
        "USUBJID": [f"S{i}" for i in range(8) for _ in (0, 1)],
        "favoured": [True, False] * 8,
        "AVAL": [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0],
    })


def test_favoured_groups_test_pooled_rates_and_gee():
    out = organ.favoured_groups_test(resolution_items())
    assert out.columns.tolist() == ["favoured_resolved", "favoured_n", "favoured_rate", "other_resolved", "other_n",
                                    "other_rate", "odds_ratio", "ci_low", "ci_high", "p_val", "n_subjects", "method"]
    row = out.iloc[0]
    assert (row["favoured_resolved"], row["favoured_n"], row["other_resolved"], row["other_n"]) == (6, 8, 2, 8)
    assert (row["favoured_rate"], row["other_rate"], row["n_subjects"]) == (0.75, 0.25, 8)
    assert row["odds_ratio"] > 1 and row["ci_low"] < row["odds_ratio"] < row["ci_high"]
    assert row["method"] == "logistic GEE, exchangeable"


def test_favoured_groups_test_an_empty_group():
    out = organ.favoured_groups_test(resolution_items().assign(favoured=True)).iloc[0]
    assert (out["favoured_n"], out["other_n"]) == (16, 0)
    assert np.isnan(out["other_rate"]) and np.isnan(out["p_val"])


@pytest.mark.parametrize("fav, other, p, holds", [
    (0.9, 0.5, 0.01, True),    # more often and significant
    (0.9, 0.5, 0.2, False),    # the published way, not significant
    (0.5, 0.5, 0.01, False),   # not more often
    (0.4, 0.6, 0.01, False),   # the other way
    (0.9, 0.5, NAN, None),     # no test
])
def test_statement_holds(fav, other, p, holds):
    assert organ.statement_holds({"favoured_rate": fav, "other_rate": other, "p_val": p}, 0.05) is holds


def test_response_by_subgroup_all_subjects_first_then_definition_order(cohort_dir):
    cohort = load_cohort(cohort_dir)
    out = organ.response_by_subgroup(efficacy.sri_response(cohort), cohort, 2)
    assert out.columns.tolist() == ["TRT01A", "PARAMCD", "responders", "n", "rate", "ci_low", "ci_high", "method", "group"]
    assert out[["TRT01A", "PARAMCD", "group", "responders", "n"]].values.tolist() == [
        ["IL-2", "ALL", "all", 1, 2], ["Placebo", "ALL", "all", 0, 1], ["Total", "ALL", "all", 1, 3],
        ["IL-2", "RASH", "skin", 1, 2], ["Total", "RASH", "skin", 1, 2],
        ["IL-2", "ARTHRIT", "musculoskeletal", 1, 2], ["Placebo", "ARTHRIT", "musculoskeletal", 0, 1],
        ["Total", "ARTHRIT", "musculoskeletal", 1, 3],
        ["Placebo", "LEUKOP", "haematological", 0, 1], ["Total", "LEUKOP", "haematological", 0, 1],
        ["Placebo", "THROMBO", "haematological", 0, 1], ["Total", "THROMBO", "haematological", 0, 1],
        ["IL-2", "NEPHRIT", "renal", 1, 1], ["Total", "NEPHRIT", "renal", 1, 1],
    ]


def test_subgroup_sizes_by_arm_without_all_and_total():
    s = pd.DataFrame({"TRT01A": ["A", "B", "Total", "A", "B", "Total"], "PARAMCD": ["ALL"] * 3 + ["RASH"] * 3,
                      "n": [10, 8, 18, 4, 3, 7]})
    assert organ.subgroup_sizes(s, "TRT01A", ["A", "B"]) == [4, 3]
    assert organ.subgroup_sizes(s[s["PARAMCD"] == "ALL"], "TRT01A", ["A", "B"]) == []


def test_activity_matrix_descriptors_and_total(cohort_dir):
    cohort = load_cohort(cohort_dir)
    out = organ.activity_matrix(cohort, "descriptors")
    # sorted by decreasing baseline value; S03 has no week 2 (NaN); columns are weeks
    assert out.index.tolist() == ["S01", "S03", "S02"]
    assert out.columns.tolist() == [0, 2]
    assert out.fillna(-1).values.tolist() == [[5.0, 1.0], [4.0, -1.0], [3.0, 3.0]]
    total = organ.activity_matrix(cohort, "total")
    assert total.index.tolist() == ["S01", "S02", "S03"]  # ties keep the population's order
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
