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
    assert out.columns.tolist() == ["TRT01A", "reason", "n", "n_nonresponders"]
    assert out.values.tolist() == [
        ["IL-2", "SLEDAI-2K reduction", 1, 1],
        ["IL-2", "new BILAG A or > 1 new B", 0, 1],
        ["IL-2", "PGA worsened", 0, 1],
        ["IL-2", "missing visit or component", 0, 1],
        ["Placebo", "SLEDAI-2K reduction", 0, 1],
        ["Placebo", "new BILAG A or > 1 new B", 0, 1],
        ["Placebo", "PGA worsened", 0, 1],
        ["Placebo", "missing visit or component", 1, 1],
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
