"""Arms and the total (helpers.analyses.arms)."""

from __future__ import annotations

import pandas as pd

from helpers.analyses import arms


def test_total_label():
    assert arms.total_label(["IL-2"]) == "IL-2"
    assert arms.total_label(["IL-2", "Placebo"]) == arms.TOTAL == "Total"


def test_arms_and_total_only_for_several_arms():
    assert arms.arms_and_total(["IL-2"]) == ["IL-2"]
    assert arms.arms_and_total(["IL-2", "Placebo"]) == ["IL-2", "Placebo", "Total"]
    assert arms.arms_and_total(["IL-2", "Placebo"], total=False) == ["IL-2", "Placebo"]


def test_with_total_stacks_a_total_copy():
    df = pd.DataFrame({"TRT01A": ["A", "B", "B"], "x": [1, 2, 3]})
    out = arms.with_total(df, "TRT01A", ["A", "B"])
    assert out.values.tolist() == [["A", 1], ["B", 2], ["B", 3], ["Total", 1], ["Total", 2], ["Total", 3]]
    assert df["TRT01A"].tolist() == ["A", "B", "B"]  # input unchanged


def test_with_total_single_arm_unchanged():
    df = pd.DataFrame({"TRT01A": ["A", "A"], "x": [1, 2]})
    pd.testing.assert_frame_equal(arms.with_total(df, "TRT01A", ["A"]), df)


