"""Small-count suppression of the public build profile (helpers.present.disclosure)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.present.disclosure import is_count_name, mask_count, mask_data, mask_display


@pytest.mark.parametrize("name", ["n", "n_enrolled", "primary_n", "primary_responders", "sri4_responders_week6",
                                  "sae_subjects", "grade3plus_subjects", "n_events", "teae_subjects@IL-2"])
def test_is_count_name_counts(name):
    assert is_count_name(name)


@pytest.mark.parametrize("name", ["primary_rate", "primary_week", "alpha", "pct", "median_age", "primary_ci_low",
                                  "sledai_p", "arm_var_used"])
def test_is_count_name_not_counts(name):
    assert not is_count_name(name)


@pytest.mark.parametrize(("value", "expected"), [(1, "< 5"), (4, "< 5"), (4.0, "< 5"), (0, 0), (5, 5), (36, 36),
                                                 (2.5, 2.5), (True, True), ("3", "3"), (None, None)])
def test_mask_count(value, expected):
    assert mask_count(value, 5) == expected


def test_mask_count_other_threshold():
    assert mask_count(9, 10) == "< 10"
    assert mask_count(9, 5) == 9


def test_mask_display_counts_only():
    display = pd.DataFrame({
        "Row": ["Any AE", "Grade 3", "Median (IQR)"],
        "IL-2": ["12 (30.0%)", "3 (7.5%)", "4.0 (2.0-6.0)"],
        "Placebo": ["0 (0.0%)", "1", "12.0 (8.0-15.0)"],
    })
    out = mask_display(display, 5)
    assert out["IL-2"].tolist() == ["12 (30.0%)", "< 5", "4.0 (2.0-6.0)"]
    assert out["Placebo"].tolist() == ["0 (0.0%)", "< 5", "12.0 (8.0-15.0)"]
    assert out["Row"].tolist() == display["Row"].tolist()
    assert display["IL-2"][1] == "3 (7.5%)", "the input is not modified"


def test_mask_data_counts_and_their_shares():
    data = pd.DataFrame({"term": ["Rash", "Fever", "None"], "n_subjects": [3, 12, 0], "pct": [0.075, 0.3, 0.0],
                         "median": [2.0, 3.0, 1.0]})
    out = mask_data(data, 5)
    assert out["n_subjects"].tolist() == ["< 5", 12, 0]
    assert out["pct"].tolist() == ["< 5", 0.3, 0.0]
    assert out["median"].tolist() == [2.0, 3.0, 1.0]
    assert data["n_subjects"].tolist() == [3, 12, 0]


def test_mask_data_no_count_columns_unchanged():
    data = pd.DataFrame({"AVISITN": [2, 4], "rate": [0.1, 0.2]})
    pd.testing.assert_frame_equal(mask_data(data, 5), data)
