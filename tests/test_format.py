"""Display strings (helpers.present.format): the only place a result is rounded."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.present import format as tb

NAN = float("nan")




@pytest.mark.parametrize(
    "x, digits, shown",
    [(3.14159, 2, "3.14"), (2.0, 1, "2.0"), (12.5, 0, "12"), (NAN, 1, "-"), (None, 1, "-"), (pd.NA, 1, "-")],
)
def test_format_number_cases(x, digits, shown):
    assert tb.format_number(x, digits) == shown


@pytest.mark.parametrize(
    "n, total, digits, shown",
    [(36, 40, 1, "36 (90.0%)"), (0, 40, 1, "0 (0.0%)"), (0, 0, 1, "0"), (1, 3, 1, "1 (33.3%)"),
     (2, 3, 0, "2 (67%)"), (40, 40, 1, "40 (100.0%)")],
)
def test_format_n_pct_cases(n, total, digits, shown):
    assert tb.format_n_pct(n, total, digits) == shown


def test_format_rate_ci_cases():
    assert tb.format_rate_ci(36, 40, 0.7634, 0.9721) == "36/40 (90.0%) [76.3-97.2]"
    assert tb.format_rate_ci(0, 10, 0.0, 0.3084971) == "0/10 (0.0%) [0.0-30.8]"
    assert tb.format_rate_ci(0, 0, NAN, NAN) == "0/0"
    assert tb.format_rate_ci(1, 3, 0.0084, 0.9057, digits=0) == "1/3 (33%) [1-91]"


@pytest.mark.parametrize(
    "p, digits, shown",
    [(0.0412, 3, "0.041"), (0.001, 3, "0.001"), (0.000999, 3, "<0.001"), (1e-12, 3, "<0.001"),
     (1.0, 3, "1.000"), (0.05, 3, "0.050"), (0.004, 2, "<0.01"), (0.01, 2, "0.01"), (NAN, 3, "-"), (None, 3, "-")],
)
def test_format_p_cases(p, digits, shown):
    assert tb.format_p(p, digits) == shown


def test_format_median_iqr_cases():
    assert tb.format_median_iqr(31, 25.5, 38) == "31.0 [25.5, 38.0]"
    assert tb.format_median_iqr(2.25, 1.0, 3.5, digits=2) == "2.25 [1.00, 3.50]"
    assert tb.format_median_iqr(NAN, NAN, NAN) == "-"


def test_format_estimate_ci_cases():
    assert tb.format_estimate_ci(0.2517, 0.0007, 0.4632) == "0.25 (0.00 to 0.46)"
    assert tb.format_estimate_ci(-3.78, -4.72, -2.84, digits=1) == "-3.8 (-4.7 to -2.8)"
    assert tb.format_estimate_ci(NAN, NAN, NAN) == "-"


@pytest.mark.parametrize(("x", "digits", "shown"), [(-0.04, 0, "+0"), (2.345, 2, "+2.35"), (-1.0, 1, "-1.0"),
                                                   (0.0, 1, "+0.0"), (NAN, 1, "-")])
def test_format_signed_cases(x, digits, shown):
    assert tb.format_signed(x, digits) == shown
