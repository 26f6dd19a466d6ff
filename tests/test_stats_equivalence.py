"""Equivalence of a change to zero (helpers.stats.equivalence)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from helpers.stats.equivalence import (
    equivalence_verdict,
    hodges_lehmann,
    signed_rank_critical,
    tost_change,
)


@pytest.mark.parametrize(("n", "confidence", "expected"), [(10, 0.95, 9), (6, 0.95, 1), (20, 0.95, 53), (5, 0.95, 0)])
def test_signed_rank_critical_exact(n, confidence, expected):
    # Tables of the signed-rank statistic (Hollander, Wolfe and Chicken, Table A.4):
    # P(W+ <= 8) = 0.0244 for n = 10; P(W+ <= 0) = 0.0156 for n = 6; P(W+ <= 52) = 0.0242
    # for n = 20; with n = 5 no two-sided 95% interval exists.
    assert signed_rank_critical(n, confidence) == expected


def test_signed_rank_critical_normal_beyond_60():
    n = 80
    mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    assert signed_rank_critical(n, 0.95) == math.floor(mean - 1.959964 * sd)


@pytest.mark.parametrize("n", [7, 12, 25, 40])
def test_hodges_lehmann_interval_inverts_the_signed_rank_test(n):
    rng = np.random.default_rng(n)
    x = rng.normal(0.3, 1, n)
    _, low, high = hodges_lehmann(x, 0.9)
    # the interval is exactly the set of shifts scipy's exact Wilcoxon test keeps at 10%
    # (just inside each bound; at a bound itself one difference is zero, which the test drops)
    assert stats.wilcoxon(x - (low + 1e-6), method="exact").pvalue >= 0.1
    assert stats.wilcoxon(x - (high - 1e-6), method="exact").pvalue >= 0.1
    assert stats.wilcoxon(x - (low - 1e-6), method="exact").pvalue < 0.1
    assert stats.wilcoxon(x - (high + 1e-6), method="exact").pvalue < 0.1


def test_hodges_lehmann_drops_missing_and_needs_two_values():
    assert hodges_lehmann([1.0, float("nan"), 3.0])[0] == pytest.approx(2.0)
    assert all(math.isnan(v) for v in hodges_lehmann([1.0]))


def test_hodges_lehmann_too_few_for_the_level_is_unbounded():
    est, low, high = hodges_lehmann([0.1, 0.2, 0.3], 0.95)
    assert est == pytest.approx(0.2) and low == -math.inf and high == math.inf


@pytest.mark.parametrize(("low", "high", "margin", "verdict"), [
    (-0.2, 0.3, 0.5, "equivalent"), (-0.2, 0.5, 0.5, "not shown"), (-0.6, 0.1, 0.5, "not shown"),
    (-0.2, 0.3, None, "no margin"), (-math.inf, math.inf, 0.5, "not shown"), (-0.2, 0.3, float("nan"), "no margin"),
])
def test_equivalence_verdict(low, high, margin, verdict):
    assert equivalence_verdict(low, high, margin) == verdict


def test_tost_change_uses_the_1_minus_2_alpha_interval():
    x = [0.1, -0.2, 0.05, 0.0, 0.15, -0.1, 0.2, -0.05, 0.12, -0.08]
    row = tost_change(x, margin=0.3, alpha=0.05).iloc[0]
    assert row["confidence"] == pytest.approx(0.9) and row["n"] == 10
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx(hodges_lehmann(x, 0.9))
    assert row["verdict"] == "equivalent"
    assert tost_change(x, margin=0.05).iloc[0]["verdict"] == "not shown"
    assert tost_change(x, margin=None).iloc[0]["verdict"] == "no margin"
