"""Tests of helpers.analyses.lab_toxicity on tiny hand-made frames, expected values written out.

The safety population (``test_adverse_events.population``): S1, S2 in arm A, S4, S5 in arm
B, arm C empty. Platelets (ANRLO 125: grade 0 at 125 or more, 1 below 125, 2 below 75, 3
below 50, 4 below 25): S1 200 at baseline, then 90 and 40 (grade 3); S2 60 (grade 2),
then 130; S4 20 (grade 4), then 70 (grade 2); S5 130 at baseline only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_adverse_events import ARMS, population

from helpers.analyses import lab_toxicity as lab


def adlb() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1", "S2", "S2", "S4", "S4", "S5"],
        "AVISITN": [0, 2, 4, 0, 2, 0, 2, 0],
        "PARAMCD": "PLAT",
        "AVAL": [200.0, 90.0, 40.0, 60.0, 130.0, 20.0, 70.0, 130.0],
        "ANRLO": 125.0,
    })


def test_summarize_lab_grades_baseline_and_worst():
    s = lab.summarize_lab_grades(adlb(), population())
    assert s["USUBJID"].tolist() == ["S1", "S2", "S4", "S5"]
    assert s["base_grade"].tolist() == [0.0, 2.0, 4.0, 0.0]
    assert s["worst_grade"].tolist()[:3] == [3.0, 0.0, 2.0] and np.isnan(s["worst_grade"].iloc[3])
    assert s["term"].unique().tolist() == ["Platelet count decreased"]


def test_summarize_lab_grades_needs_its_columns():
    with pytest.raises(ValueError, match=r"summarize_lab_grades: adlb lacks columns \['ANRLO'\]"):
        lab.summarize_lab_grades(adlb().drop(columns="ANRLO"), population())


def test_summarize_lab_worst_grade_with_missing_post_baseline():
    s = lab.summarize_lab_worst_grade(adlb(), population(), arms=ARMS)
    total = s[s["TRT01A"] == "Total"]
    assert total["grade"].tolist()[:5] == [0, 1, 2, 3, 4] and pd.isna(total["grade"].iloc[5])
    assert total["n_subjects"].tolist() == [1, 0, 1, 1, 0, 1]
    assert total["n"].unique().tolist() == [4]
    assert list(s.columns) == ["PARAMCD", "term", "grade", "TRT01A", "n_subjects", "n", "pct"]


def test_summarize_lab_worst_grade_without_graded_tests():
    s = lab.summarize_lab_worst_grade(adlb().assign(PARAMCD="C3"), population(), arms=ARMS)
    assert s.empty and list(s.columns) == ["PARAMCD", "term", "grade", "TRT01A", "n_subjects", "n", "pct"]


def test_lab_high_grade_by_test():
    s = lab.summarize_lab_worst_grade(adlb(), population(), arms=ARMS)
    assert lab.lab_high_grade_by_test(s, "TRT01A").to_dict("list") == {"TRT01A": ["A", "B", "C", "Total"],
                                                                        "PLAT": [1, 0, 0, 1]}
    assert lab.lab_high_grade_by_test(s, "TRT01A", grade=2)["PLAT"].tolist() == [1, 1, 0, 2]


def test_summarize_lab_shift_cells():
    s = lab.summarize_lab_shift(adlb(), population(), arms=["A", "B"])
    hit = s[s["n_subjects"] > 0]
    got = sorted((r["TRT01A"], None if pd.isna(r["base_grade"]) else int(r["base_grade"]),
                  None if pd.isna(r["worst_grade"]) else int(r["worst_grade"]), r["n_subjects"]) for r in hit.to_dict("records"))
    assert got == [("A", 0, 3, 1), ("A", 2, 0, 1), ("B", 0, None, 1), ("B", 4, 2, 1)]
    assert len(s) == 2 * 5 * 6  # arms x baseline grades 0-4 x worst grades 0-4 and missing


def test_summarize_lab_high_grade_worsened_or_not():
    lb = adlb().assign(AVAL=[200.0, 90.0, 40.0, 60.0, 130.0, 20.0, 40.0, 130.0])  # S4: grade 4 -> 3
    s = lab.summarize_lab_high_grade(lb, population(), arms=ARMS)
    assert s["TRT01A"].tolist() == ["A", "B", "C", "Total"]
    assert s["n_subjects"].tolist() == [1, 1, 0, 2]
    assert s["n_worsened"].tolist() == [1, 0, 0, 1]  # S4 was already grade 4 at baseline
    assert s["n"].tolist() == [2, 2, 0, 4]
    assert s["pct"].tolist()[::3] == [50.0, 50.0] and np.isnan(s["pct"].iloc[2])
