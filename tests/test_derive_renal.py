"""Tests for helpers.derive.renal: eGFR by CKD-EPI 2021 (Inker et al., N Engl J Med
2021;385:1737-49), the lupus nephritis subgroup at baseline, and complete and partial
renal response (EULAR/ERA-EDTA 2019, Fanouriakis et al., Ann Rheum Dis 2020;79:713-23;
KDIGO 2024). Expected values are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import derive as dv


def lab(rows):
    """``(USUBJID, AVISITN, PARAMCD, AVAL)`` tuples as an adlb frame."""
    return pd.DataFrame(rows, columns=["USUBJID", "AVISITN", "PARAMCD", "AVAL"])


# ---------------------------------------------------------------------------------------
# renal_measures


def test_renal_measures_prefers_24h_protein_and_egfr():
    df = lab([("A", 0, "UPCR", 800.0), ("A", 0, "UPROT", 0.9), ("A", 0, "CREAT", 70.0), ("A", 0, "EGFR", 95.0)])
    assert dv.renal_measures(df) == {"proteinuria": "UPROT", "kidney": "EGFR"}


def test_renal_measures_falls_back_and_ignores_missing_values():
    df = lab([("A", 0, "UPROT", float("nan")), ("A", 0, "UPCR", 800.0), ("A", 0, "WBC", 5.0)])
    assert dv.renal_measures(df) == {"proteinuria": "UPCR", "kidney": None}
    assert dv.renal_measures(pd.DataFrame({"X": [1]})) == {"proteinuria": None, "kidney": None}


# ---------------------------------------------------------------------------------------
# derive_egfr


def test_derive_egfr_ckd_epi_2021_by_hand():
    # Woman 40, creatinine 0.7 mg/dL (61.88 umol/L) = kappa: 142 x 0.9938^40 x 1.012
    # Man 60, 1.0 mg/dL (88.4): 142 x (1.0/0.9)^-1.2 x 0.9938^60
    # Woman 30, 0.5 mg/dL (44.2): 142 x (0.5/0.7)^-0.241 x 0.9938^30 x 1.012
    lb = lab([("A", 0, "CREAT", 61.88), ("B", 4, "CREAT", 88.4), ("C", 0, "CREAT", 44.2), ("C", 0, "UPROT", 1.0)])
    sl = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AGE": [40, 60, 30], "SEX": ["F", "M", "F"]})
    out = dv.derive_egfr(lb, sl)
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL", "AVALU"]
    expected = [
        142 * 0.9938 ** 40 * 1.012,
        142 * (1.0 / 0.9) ** -1.2 * 0.9938 ** 60,
        142 * (0.5 / 0.7) ** -0.241 * 0.9938 ** 30 * 1.012,
    ]
    assert out["AVAL"].tolist() == pytest.approx(expected, rel=1e-12)
    assert [round(v, 1) for v in expected] == [112.1, 86.2, 129.3]
    assert out["PARAMCD"].unique().tolist() == ["EGFR"] and out["AVALU"].unique().tolist() == ["mL/min/1.73m2"]


def test_derive_egfr_unknown_sex_or_age_is_missing():
    lb = lab([("A", 0, "CREAT", 70.0), ("B", 0, "CREAT", 70.0), ("C", 0, "CREAT", 70.0)])
    sl = pd.DataFrame({"USUBJID": ["A", "B"], "AGE": [40, float("nan")], "SEX": ["U", "F"]})
    assert dv.derive_egfr(lb, sl)["AVAL"].isna().tolist() == [True, True, True]


def test_derive_egfr_missing_columns():
    with pytest.raises(ValueError, match="SEX"):
        dv.derive_egfr(lab([("A", 0, "CREAT", 70.0)]), pd.DataFrame({"USUBJID": ["A"], "AGE": [40]}))


# ---------------------------------------------------------------------------------------
# derive_renal_subgroup


def bilag_renal(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "AVISITN", "AVALC"]).assign(PARAMCD="RENAL")


def test_derive_renal_subgroup_default_criteria():
    lb = lab([("A", 0, "UPROT", 1.2), ("B", 0, "UPROT", 0.3), ("C", 0, "UPROT", 0.5), ("D", 0, "UPCR", 650.0),
              ("A", 12, "UPROT", 0.2)])
    bl = bilag_renal([("A", 0, "C"), ("B", 0, "B"), ("C", 0, "D"), ("D", 0, "E")])
    out = dv.derive_renal_subgroup(lb, bl)
    assert out.columns.tolist() == ["USUBJID", "UPROTBL", "UPCRBL", "RENALBL", "LNFL"]
    # A: proteinuria; B: renal BILAG B; C: 0.5 is not above 0.5; D: UPCR above 500 mg/g
    assert out[["USUBJID", "LNFL"]].values.tolist() == [["A", "Y"], ["B", "Y"], ["C", "N"], ["D", "Y"]]
    assert out["UPROTBL"].tolist()[:3] == [1.2, 0.3, 0.5] and math.isnan(out["UPROTBL"].iloc[3])


def test_derive_renal_subgroup_criteria_from_config():
    lb = lab([("A", 0, "UPROT", 1.2), ("B", 0, "UPROT", 0.3)])
    bl = bilag_renal([("A", 0, "C"), ("B", 0, "A")])
    only_protein = dv.derive_renal_subgroup(lb, proteinuria_above=1.0, upcr_above=None, bilag_grades=())
    assert only_protein[["USUBJID", "LNFL"]].values.tolist() == [["A", "Y"], ["B", "N"]]
    only_a = dv.derive_renal_subgroup(lb, bl, proteinuria_above=None, upcr_above=None, bilag_grades=["A"])
    assert only_a[["USUBJID", "RENALBL", "LNFL"]].values.tolist() == [["A", "C", "N"], ["B", "A", "Y"]]


def test_derive_renal_subgroup_errors():
    lb = lab([("A", 0, "UPROT", 1.2)])
    with pytest.raises(ValueError, match="no criterion"):
        dv.derive_renal_subgroup(lb, proteinuria_above=None, upcr_above=None, bilag_grades=())
    with pytest.raises(ValueError, match=r"bilag_grades must be BILAG grades .* got \['X'\]"):
        dv.derive_renal_subgroup(lb, bilag_renal([("A", 0, "B")]), bilag_grades=["X"])
    with pytest.raises(ValueError, match=r"bilag_grades \['A', 'B'\] need adbilag"):
        dv.derive_renal_subgroup(lb)
    dup = lab([("A", 0, "UPROT", 1.2), ("A", 0, "UPROT", 1.3)])
    with pytest.raises(ValueError, match="more than one UPROT value per subject at week 0"):
        dv.derive_renal_subgroup(dup, bilag_grades=())


# ---------------------------------------------------------------------------------------
# derive_renal_response


def test_derive_renal_response_complete_partial_none():
    lb = lab([
        # A: 2.0 -> 0.3 g, eGFR 100 -> 95: complete
        ("A", 0, "UPROT", 2.0), ("A", 0, "EGFR", 100.0), ("A", 24, "UPROT", 0.3), ("A", 24, "EGFR", 95.0),
        # B: 4.0 -> 1.5 g (-62.5%, below 3 g), eGFR 90 -> 90: partial
        ("B", 0, "UPROT", 4.0), ("B", 0, "EGFR", 90.0), ("B", 24, "UPROT", 1.5), ("B", 24, "EGFR", 90.0),
        # C: 2.0 -> 0.3 g but eGFR 100 -> 85 (-15%): no response
        ("C", 0, "UPROT", 2.0), ("C", 0, "EGFR", 100.0), ("C", 24, "UPROT", 0.3), ("C", 24, "EGFR", 85.0),
        # D: 8.0 -> 3.5 g (-56% but not below 3 g): no response
        ("D", 0, "UPROT", 8.0), ("D", 0, "EGFR", 80.0), ("D", 24, "UPROT", 3.5), ("D", 24, "EGFR", 80.0),
        # E: eGFR exactly 10% below baseline (90 vs 100) is stable; 0.5 g is not below 0.5
        ("E", 0, "UPROT", 1.0), ("E", 0, "EGFR", 100.0), ("E", 24, "UPROT", 0.5), ("E", 24, "EGFR", 90.0),
    ])
    out = dv.derive_renal_response(lb, week=24)
    assert out.columns.tolist() == ["USUBJID", "AVISITN", "PARAMCD", "BASE", "AVAL", "PCHG", "KFCD", "KFBASE",
                                    "KFVAL", "KFSTBFL", "CRFL", "PRFL", "ORFL"]
    assert out[["USUBJID", "KFSTBFL", "CRFL", "PRFL", "ORFL"]].values.tolist() == [
        ["A", "Y", "Y", "N", "Y"],
        ["B", "Y", "N", "Y", "Y"],
        ["C", "N", "N", "N", "N"],
        ["D", "Y", "N", "N", "N"],
        ["E", "Y", "N", "Y", "Y"],  # 1.0 -> 0.5: -50% and below 3 g
    ]
    assert out["PCHG"].tolist() == [-85.0, -62.5, -85.0, -56.25, -50.0]


def test_derive_renal_response_creatinine_and_upcr():
    lb = lab([
        ("A", 0, "UPCR", 1500.0), ("A", 0, "CREAT", 80.0), ("A", 12, "UPCR", 400.0), ("A", 12, "CREAT", 88.0),
        ("B", 0, "UPCR", 1500.0), ("B", 0, "CREAT", 80.0), ("B", 12, "UPCR", 400.0), ("B", 12, "CREAT", 89.0),
    ])
    out = dv.derive_renal_response(lb, week=12)
    # creatinine at most 10% above baseline (88.0 is exactly +10%); 89 is +11.25%
    assert out[["USUBJID", "PARAMCD", "KFCD", "KFSTBFL", "CRFL"]].values.tolist() == [
        ["A", "UPCR", "CREAT", "Y", "Y"], ["B", "UPCR", "CREAT", "N", "N"],
    ]


def test_derive_renal_response_thresholds_from_config():
    lb = lab([("A", 0, "UPROT", 2.0), ("A", 0, "EGFR", 100.0), ("A", 24, "UPROT", 0.6), ("A", 24, "EGFR", 100.0)])
    assert dv.derive_renal_response(lb, 24)["CRFL"].tolist() == ["N"]
    assert dv.derive_renal_response(lb, 24, complete_below=0.7)["CRFL"].tolist() == ["Y"]
    assert dv.derive_renal_response(lb, 24, partial_reduction=0.8)["PRFL"].tolist() == ["N"]


def test_derive_renal_response_missing_values():
    lb = lab([
        ("A", 0, "UPROT", 2.0), ("A", 0, "EGFR", 100.0),  # A missed week 24: not evaluable
        ("B", 0, "UPROT", 2.0), ("B", 0, "EGFR", 100.0), ("B", 24, "UPROT", 4.0),  # B: proteinuria rules it out
        ("C", 0, "UPROT", 2.0), ("C", 0, "EGFR", 100.0), ("C", 24, "UPROT", 0.2),  # C: eGFR missing, undecided
        ("D", 0, "UPROT", 2.0), ("D", 0, "EGFR", 100.0), ("D", 24, "EGFR", 70.0),  # D: kidney function rules it out
    ])
    out = dv.derive_renal_response(lb, week=24)
    assert out[["USUBJID", "KFSTBFL", "CRFL", "PRFL", "ORFL"]].values.tolist() == [
        ["A", "", "", "", ""],
        ["B", "", "N", "N", "N"],
        ["C", "", "", "N", ""],
        ["D", "N", "N", "N", "N"],
    ]
    assert np.isnan(out["AVAL"].iloc[0])


def test_derive_renal_response_no_baseline_proteinuria_leaves_subject_out():
    lb = lab([("A", 24, "UPROT", 0.2), ("A", 0, "EGFR", 90.0), ("B", 0, "UPROT", 1.0), ("B", 0, "EGFR", 90.0)])
    assert dv.derive_renal_response(lb, week=24)["USUBJID"].tolist() == ["B"]


def test_derive_renal_response_needs_the_renal_measures():
    only_protein = lab([("A", 0, "UPROT", 2.0)])
    with pytest.raises(ValueError, match="no kidney-function measure .*EGFR or CREAT"):
        dv.derive_renal_response(only_protein, week=24)
    only_kidney = lab([("A", 0, "EGFR", 90.0)])
    with pytest.raises(ValueError, match="no proteinuria measure .*UPROT or UPCR"):
        dv.derive_renal_response(only_kidney, week=24)
    both = lab([("A", 0, "UPROT", 2.0), ("A", 0, "EGFR", 90.0)])
    with pytest.raises(ValueError, match=r"no proteinuria measure \(UPCR\)"):
        dv.derive_renal_response(both, week=24, proteinuria="UPCR")
    with pytest.raises(ValueError, match="kidney must be one of"):
        dv.derive_renal_response(lab([("A", 0, "UPROT", 2.0), ("A", 0, "WBC", 5.0)]), week=24, kidney="WBC")
    with pytest.raises(ValueError, match="proteinuria must be one of"):
        dv.derive_renal_response(both.assign(PARAMCD=["WBC", "EGFR"]), week=24, proteinuria="WBC")
    with pytest.raises(ValueError, match="partial_reduction must be above 0 and at most 1, got 1.5"):
        dv.derive_renal_response(both, week=24, partial_reduction=1.5)
    with pytest.raises(ValueError, match="kidney_margin must be from 0 to 1, got -0.1"):
        dv.derive_renal_response(both, week=24, kidney_margin=-0.1)
