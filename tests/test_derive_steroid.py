"""Tests for helpers.derive.steroid: a prednisone-equivalent dose at or below a threshold
(default 7.5 mg/day, EULAR 2019 SLE recommendations, Fanouriakis et al., Ann Rheum Dis
2019;78:736-45) and its reduction from baseline. Expected values are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import derive as dv

NAN = float("nan")


def doses(rows, label=False):
    df = pd.DataFrame(rows, columns=["USUBJID", "AVISITN", "AVAL"]).assign(PARAMCD="PREDDOSE")
    if label:
        df["AVISIT"] = df["AVISITN"].map(lambda w: "Baseline" if w == 0 else f"Week {w}")
    return df


def test_derive_steroid_threshold_default_7_5():
    out = dv.derive_steroid_threshold(doses([("A", 0, 20.0), ("A", 12, 7.5), ("A", 24, 5.0), ("B", 0, 10.0),
                                             ("B", 12, NAN)], label=True))
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "AVAL", "LOWDFL"]
    assert out[["USUBJID", "AVISIT", "LOWDFL"]].values.tolist() == [
        ["A", "Baseline", "N"], ["A", "Week 12", "Y"], ["A", "Week 24", "Y"], ["B", "Baseline", "N"], ["B", "Week 12", ""],
    ]


def test_derive_steroid_threshold_other_threshold_and_other_params():
    df = doses([("A", 0, 5.0), ("A", 12, 5.1)])
    df = pd.concat([df, pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0], "AVAL": [99.0], "PARAMCD": ["OTHER"]})])
    out = dv.derive_steroid_threshold(df, threshold=5.0)
    assert out[["AVISITN", "LOWDFL"]].values.tolist() == [[0, "Y"], [12, "N"]]  # OTHER left out
    assert out["AVISIT"].tolist() == ["", ""]


def test_derive_steroid_threshold_errors():
    with pytest.raises(ValueError, match="threshold must be 0 mg/day or more, got -1"):
        dv.derive_steroid_threshold(doses([("A", 0, 5.0)]), threshold=-1)
    with pytest.raises(ValueError, match="a prednisone-equivalent dose is negative"):
        dv.derive_steroid_threshold(doses([("A", 0, -5.0)]))
    with pytest.raises(ValueError, match="AVAL"):
        dv.derive_steroid_threshold(pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0]}))


def test_derive_steroid_reduction_by_hand():
    out = dv.derive_steroid_reduction(doses([("A", 0, 20.0), ("A", 12, 15.0), ("A", 24, 20.0), ("A", 16, 25.0),
                                             ("B", 0, 0.0), ("B", 12, 0.0), ("C", 12, 10.0)]))
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG", "PCHG", "REDFL"]
    got = out[["USUBJID", "AVISITN", "CHG", "PCHG", "REDFL"]].values.tolist()
    assert got[:4] == [["A", 0, 0.0, 0.0, ""], ["A", 12, -5.0, -25.0, "Y"], ["A", 24, 0.0, 0.0, "N"],
                       ["A", 16, 5.0, 25.0, "N"]]
    assert got[4][:2] == ["B", 0] and got[5][4] == "N" and np.isnan(got[5][3])  # no dose to reduce from
    assert out.loc[out["USUBJID"] == "C", "REDFL"].tolist() == [""]  # no baseline dose
    assert np.isnan(out.loc[out["USUBJID"] == "C", "BASE"].iloc[0])


def test_derive_steroid_reduction_other_baseline_week():
    out = dv.derive_steroid_reduction(doses([("A", -1, 30.0), ("A", 0, 20.0)]), baseline_week=-1)
    assert out[["AVISITN", "CHG", "REDFL"]].values.tolist() == [[-1, 0.0, ""], [0, -10.0, "Y"]]
