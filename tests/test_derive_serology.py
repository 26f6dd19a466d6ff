"""Tests for helpers.derive.serology: ANA titre decreased from baseline (by at least one
doubling dilution by default) and the change from baseline of anti-dsDNA, anti-nucleosome
antibodies, C3 and C4. Expected values are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import derive as dv


def lab(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "AVISITN", "PARAMCD", "AVAL"])


def test_derive_titre_decrease_one_dilution():
    df = lab([("A", 0, "ANA", 640.0), ("A", 12, "ANA", 320.0), ("A", 24, "ANA", 1280.0),
              ("B", 0, "ANA", 160.0), ("B", 12, "ANA", 160.0), ("C", 12, "ANA", 80.0), ("A", 0, "DSDNA", 50.0)])
    out = dv.derive_titre_decrease(df)
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL", "BASE", "DECRFL"]
    assert out[["USUBJID", "AVISITN", "DECRFL"]].values.tolist() == [
        ["A", 0, "N"], ["A", 12, "Y"], ["A", 24, "N"], ["B", 0, "N"], ["B", 12, "N"], ["C", 12, ""],
    ]


def test_derive_titre_decrease_fold_and_code():
    df = lab([("A", 0, "ANA", 640.0), ("A", 12, "ANA", 320.0), ("A", 24, "ANA", 160.0)])
    assert dv.derive_titre_decrease(df, fold=4)["DECRFL"].tolist() == ["N", "N", "Y"]
    assert dv.derive_titre_decrease(df, fold=1)["DECRFL"].tolist() == ["Y", "Y", "Y"]  # any value at most baseline
    other = df.assign(PARAMCD="ANATITRE")
    assert dv.derive_titre_decrease(other, paramcd="ANATITRE")["DECRFL"].tolist() == ["N", "Y", "Y"]


def test_derive_titre_decrease_errors():
    df = lab([("A", 0, "ANA", 640.0)])
    with pytest.raises(ValueError, match="fold must be 1 or more, got 0.5"):
        dv.derive_titre_decrease(df, fold=0.5)
    with pytest.raises(ValueError, match="adlb has no ANA rows"):
        dv.derive_titre_decrease(df.assign(PARAMCD="DSDNA"))
    with pytest.raises(ValueError, match="more than one baseline record"):
        dv.derive_titre_decrease(pd.concat([df, df]))


def test_derive_serology_change_codes_present_in_order():
    df = lab([("A", 12, "C4", 0.2), ("A", 0, "C4", 0.1), ("A", 0, "DSDNA", 80.0), ("A", 12, "DSDNA", 40.0),
              ("A", 0, "WBC", 5.0), ("B", 0, "DSDNA", 0.0), ("B", 12, "DSDNA", 5.0)])
    out = dv.derive_serology_change(df)
    assert out[["USUBJID", "PARAMCD", "AVISITN", "BASE", "CHG"]].values.tolist() == [
        ["A", "DSDNA", 0, 80.0, 0.0], ["A", "DSDNA", 12, 80.0, -40.0],
        ["B", "DSDNA", 0, 0.0, 0.0], ["B", "DSDNA", 12, 0.0, 5.0],
        ["A", "C4", 0, 0.1, 0.0], ["A", "C4", 12, 0.1, 0.1],
    ]
    assert out["PCHG"].tolist()[:2] == [0.0, -50.0] and np.isnan(out["PCHG"].iloc[3])
    assert out["PCHG"].iloc[5] == 100.0


def test_derive_serology_change_chosen_codes_and_none_present():
    df = lab([("A", 0, "ANUA", 40.0), ("A", 12, "ANUA", 20.0)])
    assert dv.derive_serology_change(df, codes=["ANUA"])["CHG"].tolist() == [0.0, -20.0]
    assert len(dv.derive_serology_change(df, codes=["C3"])) == 0
    with pytest.raises(ValueError, match="PARAMCD"):
        dv.derive_serology_change(df.drop(columns="PARAMCD"))
