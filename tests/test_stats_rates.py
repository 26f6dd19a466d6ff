"""The Miettinen-Nurminen score test and interval (helpers.stats.rates)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats import proportion as smp

from helpers.stats.rates import score_interval, score_statistic, score_test


def farrington_manning_z(x1, n1, x0, n0, d, correction=True):
    """An independent reference: the closed-form constrained MLE of Farrington and
    Manning (Stat Med 1990;9:1447-54, eq. 7-8) with Miettinen-Nurminen's N/(N-1)
    (without it, Mee's statistic)."""
    p1h, p0h, th = x1 / n1, x0 / n0, n0 / n1
    a = 1 + th
    b = -(1 + th + p1h + th * p0h + d * (th + 2))
    c = d * d + d * (2 * p1h + th + 1) + p1h + th * p0h
    e = -p1h * d * (1 + d)
    v = b**3 / (27 * a**3) - b * c / (6 * a * a) + e / (2 * a)
    u = math.copysign(1, v) * math.sqrt(b * b / (9 * a * a) - c / (3 * a))
    w = (math.pi + math.acos(max(-1.0, min(1.0, v / u**3)))) / 3
    p1t = 2 * u * math.cos(w) - b / (3 * a)
    p0t = p1t - d
    n = n1 + n0
    factor = n / (n - 1) if correction else 1.0
    return (p1h - p0h - d) / math.sqrt((p1t * (1 - p1t) / n1 + p0t * (1 - p0t) / n0) * factor)


def test_score_test_published_sri4():
    # He et al. 2020, SRI-4 at weeks 12 and 24: the score test gives 0.0524 and 0.0280
    # (published 0.052 and 0.027); statsmodels test_proportions_2indep(method="score").
    assert score_test(16, 29, 9, 30) == pytest.approx(0.0524, abs=5e-5)
    assert score_test(19, 29, 11, 30) == pytest.approx(0.0280, abs=5e-5)


@pytest.mark.parametrize("d", [-0.3, -0.1, 0.1, 0.2571, 0.4, 0.47])
def test_score_statistic_matches_the_closed_form(d):
    assert score_statistic(16, 29, 9, 30, d) == pytest.approx(farrington_manning_z(16, 29, 9, 30, d), abs=1e-7)


def test_score_interval_week12_contains_zero_as_the_test_says():
    low, high = score_interval(16, 29, 9, 30)
    assert low == pytest.approx(-0.0027, abs=1e-4) and high == pytest.approx(0.4764, abs=1e-4)
    assert low < 0 < high  # p = 0.052: not rejected at 5%, so 0 is inside


def test_score_interval_bounds_are_where_the_test_rejects():
    low, high = score_interval(19, 29, 11, 30, confidence=0.9)
    z = sps.norm.ppf(0.95)
    assert score_statistic(19, 29, 11, 30, low) == pytest.approx(z, abs=1e-6)
    assert score_statistic(19, 29, 11, 30, high) == pytest.approx(-z, abs=1e-6)


def test_score_interval_and_test_never_disagree():
    rng = np.random.default_rng(20261130)
    for _ in range(200):
        n1, n0 = (int(x) for x in rng.integers(5, 80, 2))
        x1, x0 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n0 + 1))
        p = score_test(x1, n1, x0, n0)
        low, high = score_interval(x1, n1, x0, n0)
        assert (low > 0 or high < 0) == (p < 0.05), (x1, n1, x0, n0, p, low, high)
        reference = smp.test_proportions_2indep(x1, n1, x0, n0, method="score", compare="diff", correction=True).pvalue
        if not math.isnan(reference):
            assert p == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize(("counts", "expected"), [
    ((0, 10, 0, 10), "symmetric"),
    ((10, 10, 0, 10), "upper at 1"),
    ((0, 10, 10, 10), "lower at -1"),
])
def test_score_interval_edges(counts, expected):
    low, high = score_interval(*counts)
    assert -1 <= low <= high <= 1
    if expected == "symmetric":
        assert low == pytest.approx(-high, abs=1e-6)
    elif expected == "upper at 1":
        assert high == pytest.approx(1.0, abs=1e-6) and low > 0
    else:
        assert low == pytest.approx(-1.0, abs=1e-6) and high < 0


# ---------------------------------------------------------------------------------------
# Mee's interval (no N/(N-1) factor): the one that inverts Pearson's chi-square test


@pytest.mark.parametrize("d", [-0.3, 0.1, 0.2571, 0.47])
def test_mee_statistic_matches_the_closed_form(d):
    assert score_statistic(16, 29, 9, 30, d, correction=False) == pytest.approx(
        farrington_manning_z(16, 29, 9, 30, d, correction=False), abs=1e-7)


def test_score_test_without_correction_is_pearson_chi_square():
    # R: prop.test(c(16, 9), c(29, 30), correct = FALSE)$p.value = 0.0504 (He et al. 2020, week 12),
    # and 16/30 vs 9/30 (the randomized-but-untreated subject as a non-responder): 0.0668
    assert score_test(16, 29, 9, 30, correction=False) == pytest.approx(0.050448, abs=1e-6)
    assert score_test(16, 30, 9, 30, correction=False) == pytest.approx(0.066798, abs=1e-6)
    rng = np.random.default_rng(13)
    for _ in range(100):
        n1, n0 = (int(x) for x in rng.integers(5, 60, 2))
        x1, x0 = int(rng.integers(1, n1)), int(rng.integers(1, n0))
        table = np.array([[x1, n1 - x1], [x0, n0 - x0]])
        # scipy.stats.chi2_contingency(correction=False) and statsmodels' score test without the factor
        assert score_test(x1, n1, x0, n0, correction=False) == pytest.approx(
            sps.chi2_contingency(table, correction=False)[1], abs=1e-9)
        assert score_test(x1, n1, x0, n0, correction=False) == pytest.approx(
            smp.test_proportions_2indep(x1, n1, x0, n0, method="score", compare="diff", correction=False).pvalue, abs=1e-9)


def test_mee_interval_week12_holds_zero_as_chi_square_says():
    low, high = score_interval(16, 29, 9, 30, correction=False)
    # chi-square p = 0.0504 > 0.05: zero is inside, narrowly; the bounds are where |z| = 1.96
    assert low == pytest.approx(-0.00049, abs=1e-5) and high == pytest.approx(0.47474, abs=1e-5)
    assert score_statistic(16, 29, 9, 30, low, correction=False) == pytest.approx(sps.norm.ppf(0.975), abs=1e-6)
    # without the factor the statistic is larger, so the interval is narrower than Miettinen-Nurminen's
    mn_low, mn_high = score_interval(16, 29, 9, 30)
    assert mn_low < low < 0 < high < mn_high


def test_mee_interval_and_chi_square_never_disagree():
    rng = np.random.default_rng(1984)
    for _ in range(150):
        n1, n0 = (int(x) for x in rng.integers(5, 80, 2))
        x1, x0 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n0 + 1))
        p = score_test(x1, n1, x0, n0, correction=False)
        low, high = score_interval(x1, n1, x0, n0, correction=False)
        assert (low > 0 or high < 0) == (p < 0.05), (x1, n1, x0, n0, p, low, high)


def test_no_responder_anywhere_gives_p_one():
    assert score_test(0, 10, 0, 12) == 1.0 and score_test(10, 10, 12, 12, correction=False) == 1.0


@pytest.mark.parametrize("counts", [(5, 4, 1, 10), (-1, 10, 1, 10), (1, 10, 11, 10), (0, 0, 1, 10)])
def test_counts_out_of_range_are_errors(counts):
    with pytest.raises(ValueError, match=r"need 0 <= x1 <= n1, 0 <= x0 <= n0 and both arms with subjects"):
        score_test(*counts)
    with pytest.raises(ValueError, match=r"need 0 <= x1 <= n1"):
        score_interval(*counts)


@pytest.mark.parametrize("confidence", [0, 1, 1.5])
def test_score_interval_confidence_out_of_range(confidence):
    with pytest.raises(ValueError, match=r"confidence must be between 0 and 1"):
        score_interval(16, 29, 9, 30, confidence)
