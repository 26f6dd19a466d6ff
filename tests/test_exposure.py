"""Tests of helpers.analyses.exposure on tiny hand-made frames, expected values written out.

The safety population (``test_adverse_events.population``): S1, S2 in arm A, S4, S5 in arm
B, arm C empty. Doses (adex): S1 IL-2 on days 1, 3 (course 1) and 29 (course 2); S4
placebo on days 1 and 3, S5 placebo on day 1 (course 1); S2 had none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_adverse_events import ARMS, COURSES, population

from helpers.analyses import exposure as ex
from helpers.data.config import Course


def adex() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1", "S4", "S4", "S5", "S3"],
        "EXTRT": ["IL-2", "IL-2", "IL-2", "Placebo", "Placebo", "Placebo", "IL-2"],
        "EXDOSE": [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        "EXDOSU": "MIU",
        "ASTDY": [1, 3, 29, 1, 3, 1, 1],
        "APERIOD": [1, 1, 2, 1, 1, 1, 1],
    })


def test_summarize_subject_exposure_fills_zeros():
    s = ex.summarize_subject_exposure(adex(), population(), courses=COURSES + [Course(3, 57, 84)])
    s2 = s[s["USUBJID"] == "S2"]
    assert s2["course"].tolist() == [1, 2, 3] and s2["n_doses"].tolist() == [0, 0, 0]
    s1 = s[s["USUBJID"] == "S1"]
    assert s1["n_doses"].tolist() == [2, 1, 0] and s1["cum_dose"].tolist() == [2.0, 1.0, 0.0]
    assert sorted(s["USUBJID"].unique()) == ["S1", "S2", "S4", "S5"]  # the safety population: S3's dose is left out


def test_summarize_exposure_planned_and_given():
    s = ex.summarize_exposure(adex(), population(), arms=ARMS, courses=COURSES, planned_per_course=2)
    a = s[s["TRT01A"] == "A"]
    cols = ["n", "n_dosed", "doses_planned", "doses_given", "pct_planned"]
    assert a[a["course"].isna()][cols].values.tolist() == [[2, 1, 4, 3, 37.5]]
    assert a[a["course"] == 1][["n_dosed", "doses_given", "n_all_planned"]].values.tolist() == [[1, 2, 1]]
    assert a[a["course"] == 2][["n_dosed", "doses_given", "n_all_planned"]].values.tolist() == [[1, 1, 0]]
    c = s[s["TRT01A"] == "C"].iloc[0]
    assert c["n"] == 0 and np.isnan(c["pct_planned"]) and np.isnan(c["doses_median"])
    total = s[(s["TRT01A"] == "Total") & s["course"].isna()].iloc[0]
    assert total["doses_given"] == 6 and total["n_dosed"] == 3
    assert np.isnan(total["cum_dose_median"])  # IL-2 and placebo doses are not added up
    b = s[(s["TRT01A"] == "B") & s["course"].isna()].iloc[0]
    assert b["cum_dose_median"] == 0.0 and b["dose_unit"] == "MIU"
    assert ex.planned_doses(s) == 4


def test_summarize_exposure_without_plan():
    s = ex.summarize_exposure(adex(), population(), arms=["A", "B"])
    assert s["doses_planned"].isna().all() and s["n_all_planned"].isna().all()
    assert s["course"].drop_duplicates().tolist()[1:] == [1, 2] and s["course"].isna().tolist()[:3] == [True] * 3
    assert ex.planned_doses(s) is None


def test_summarize_subject_exposure_needs_aperiod():
    with pytest.raises(ValueError, match=r"summarize_subject_exposure: adex lacks columns \['APERIOD'\]"):
        ex.summarize_subject_exposure(adex().drop(columns="APERIOD"), population())
    with pytest.raises(ValueError, match=r"summarize_subject_exposure: population lacks columns \['TRT01A'\]"):
        ex.summarize_subject_exposure(adex(), population().drop(columns="TRT01A"))


def test_exposure_by_arm_and_dosed_by_course():
    s = ex.summarize_exposure(adex(), population(), arms=["A", "B"], courses=COURSES, planned_per_course=2)
    by_arm = ex.exposure_by_arm(s, "TRT01A")
    assert by_arm["TRT01A"].tolist() == ["A", "B", "Total"]
    assert by_arm["n_dosed"].tolist() == [1, 2, 3] and by_arm["last_course_n_dosed"].tolist() == [1, 0, 1]
    assert by_arm["n_all_planned"].tolist() == [0, 0, 0] and by_arm["doses_median"].tolist() == [1.5, 1.5, 1.5]
    assert ex.dosed_by_course(s, "TRT01A").to_dict("list") == {"TRT01A": ["A", "B", "Total"], 1: [1, 2, 3],
                                                               2: [1, 0, 1]}
