"""Equivalence of a change to zero (helpers.stats.equivalence)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from helpers.stats.equivalence import (
    equivalence_verdict,
    hodges_lehmann,
    hodges_lehmann_shift,
    mann_whitney_shift,
    signed_rank_critical,
    tost_change,
)
from helpers.stats.equivalence import mann_whitney_counts as mw_counts


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


# ---------------------------------------------------------------------------------------
# two samples: the Hodges-Lehmann shift and the interval inverting Mann-Whitney


def test_mann_whitney_counts_are_the_gaussian_binomial_coefficients():
    # [4 choose 2]_q = 1 + q + 2q^2 + q^3 + q^4: the orderings xxyy, xyxy, xyyx, yxxy, yxyx, yyxx
    assert mw_counts(2, 2) == [1, 1, 2, 1, 1]
    # [5 choose 2]_q = 1 + q + 2q^2 + 2q^3 + 2q^4 + q^5 + q^6
    assert mw_counts(3, 2) == [1, 1, 2, 2, 2, 1, 1] == mw_counts(2, 3)
    # [7 choose 2]_q (x of 5, y of 2), by hand from the partitions of U into at most 2 parts of at most 5
    assert mw_counts(5, 2) == [1, 1, 2, 2, 3, 3, 3, 2, 2, 1, 1]
    assert mw_counts(0, 3) == [1] and mw_counts(3, 0) == [1]
    for m, n in ((7, 9), (20, 13), (30, 30)):
        counts = mw_counts(m, n)
        assert sum(counts) == math.comb(m + n, m) and counts == counts[::-1] and len(counts) == m * n + 1


def test_mann_whitney_counts_negative_size_is_an_error():
    with pytest.raises(ValueError, match=r"sample sizes must be 0 or more, got m=-1, n=2"):
        mw_counts(-1, 2)


def test_hodges_lehmann_shift_by_hand():
    # differences x - y: 1, 2, 2, 3, 3, 4, 4, 5, 5, 6; P(U <= 1) = 2/21 < 0.1 <= P(U <= 2) = 4/21, so the exact
    # 80% interval is [D(2), D(9)] = [2, 5]
    assert hodges_lehmann_shift([1, 2, 3, 4, 5], [-1, 0], 0.8) == (3.5, 2.0, 5.0)
    # at 95%, P(U <= 0) = 1/21 >= 0.025: no shift is rejected, the interval is unbounded
    assert hodges_lehmann_shift([1, 2, 3, 4, 5], [-1, 0], 0.95) == (3.5, -math.inf, math.inf)


def test_mann_whitney_shift_matches_r_wilcox_test_example():
    # R ?wilcox.test (Hollander and Wolfe, permeability constants): wilcox.test(x, y, alternative = "g") gives
    # W = 35, p-value = 0.1272; the Hodges-Lehmann estimate ("difference in location") is 0.305
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    row = mann_whitney_shift(x, y).iloc[0]
    assert (row["n1"], row["n2"], row["u_val"], row["method"]) == (10, 5, 35.0, "exact")
    assert row["p_val"] == pytest.approx(2 * 0.1272061, abs=1e-6)  # two-sided: twice the one-sided exact p
    assert row["estimate"] == pytest.approx(0.305)
    # by hand: of the C(15, 5) = 3003 orderings, 60 give U <= 8 and 83 give U <= 9, so k_lo = 9 (R's
    # qwilcox(0.025, 10, 5)): the 9th and the 42nd of the 50 ordered differences, -0.15 and 0.76
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((-0.15, 0.76))


def _scipy_keeps(x, y, shift, method, alpha):
    return stats.mannwhitneyu(np.asarray(x) - shift, y, method=method, use_continuity=True).pvalue >= alpha


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["exact", "asymptotic"])
def test_hodges_lehmann_shift_interval_inverts_scipy_mannwhitneyu(seed, method):
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(6, 25)), int(rng.integers(6, 25))
    # asymptotic: values rounded to one decimal, so that ties (within and between the samples) occur
    digits = 6 if method == "exact" else 1
    x, y = rng.normal(0.6, 1, m).round(digits), rng.normal(0, 1, n).round(digits)
    confidence = 0.95 if seed % 2 else 0.9
    _, low, high = hodges_lehmann_shift(x, y, confidence, method)
    gaps = np.diff(np.unique(np.subtract.outer(x, y).round(9)))
    eps = gaps.min() / 10
    alpha = 1 - confidence
    # just inside each bound scipy's test keeps the shift; just outside it rejects it
    assert _scipy_keeps(x, y, low + eps, method, alpha) and _scipy_keeps(x, y, high - eps, method, alpha)
    assert not _scipy_keeps(x, y, low - eps, method, alpha) and not _scipy_keeps(x, y, high + eps, method, alpha)


def test_mann_whitney_shift_interval_and_p_agree():
    rng = np.random.default_rng(11)
    for _ in range(20):
        x, y = rng.normal(0.7, 1, 12), rng.normal(0, 1, 9)
        row = mann_whitney_shift(x, y).iloc[0]
        assert (row["p_val"] < 0.05) == (row["ci_low"] > 0 or row["ci_high"] < 0)


def test_mann_whitney_shift_method_follows_r_rule():
    assert mann_whitney_shift([1.0, 2.0, 3.0], [0.5, 1.5]).iloc[0]["method"] == "exact"
    assert mann_whitney_shift([1.0, 2.0, 2.0], [0.5, 1.5]).iloc[0]["method"] == "asymptotic"  # a tie
    assert mann_whitney_shift(np.arange(50.0), [0.5, 1.5]).iloc[0]["method"] == "asymptotic"  # 50 values
    assert mann_whitney_shift([1.0, 2.0], [0.5], method="asymptotic").iloc[0]["method"] == "asymptotic"


def test_mann_whitney_shift_empty_sample_and_missing_values():
    row = mann_whitney_shift([1.0, 2.0], [float("nan")]).iloc[0]
    assert (row["n1"], row["n2"]) == (2, 0)
    assert all(math.isnan(row[c]) for c in ("u_val", "p_val", "estimate", "ci_low", "ci_high"))
    assert all(math.isnan(v) for v in hodges_lehmann_shift([], [1.0]))


def test_mann_whitney_shift_errors():
    with pytest.raises(ValueError, match=r"method must be one of \['auto', 'exact', 'asymptotic'\], got 'normal'"):
        mann_whitney_shift([1.0, 2.0], [0.5], method="normal")
    with pytest.raises(ValueError, match=r"confidence must be between 0 and 1, got 1.5"):
        hodges_lehmann_shift([1.0, 2.0], [0.5], 1.5)
    with pytest.raises(TypeError, match=r"x must hold numbers"):
        mann_whitney_shift(["a", "b"], [0.5])


# ---------------------------------------------------------------------------------------
# order statistics of the pairs without the matrix: the same values, to the bit, as the brute force


def _brute_shift(x, y, confidence, method):
    """The implementation replaced (every difference formed and sorted), kept as the reference."""
    from helpers.stats.equivalence import _mw_first_kept

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    k = _mw_first_kept(len(x), len(y), confidence, method, x, y)
    if k < 1:
        return float(np.median(diffs)), -math.inf, math.inf
    return float(np.median(diffs)), float(diffs[k - 1]), float(diffs[len(diffs) - k])


def _brute_walsh(x, confidence):
    x = np.asarray(x, dtype=float)
    i, j = np.triu_indices(len(x))
    walsh = np.sort((x[i] + x[j]) / 2)
    c = signed_rank_critical(len(x), confidence)
    if c < 1:
        return float(np.median(walsh)), -math.inf, math.inf
    return float(np.median(walsh)), float(walsh[c - 1]), float(walsh[len(walsh) - c])


def _sample(rng, size):
    # a scale from 1e-3 to 1e3 and 0 to 3 decimals: many ties (within and between samples) and rounding
    return rng.normal(0.4, 1, size).round(int(rng.integers(0, 4))) * 10.0 ** int(rng.integers(-3, 4))


@pytest.mark.parametrize("seed", range(8))
def test_hodges_lehmann_shift_equals_the_sorted_differences(seed):
    rng = np.random.default_rng(seed)
    for m in range(1, 61, 3):
        n = int(rng.integers(1, 61))
        x, y = _sample(rng, m), _sample(rng, n)
        assert hodges_lehmann_shift(x, y, 0.95, "asymptotic") == _brute_shift(x, y, 0.95, "asymptotic")
        if m < 50 and n < 50:
            assert hodges_lehmann_shift(x, y, 0.8, "exact") == _brute_shift(x, y, 0.8, "exact")


@pytest.mark.parametrize("seed", range(8))
def test_hodges_lehmann_equals_the_sorted_walsh_averages(seed):
    rng = np.random.default_rng(100 + seed)
    for n in range(2, 61, 2):
        x = _sample(rng, n)
        assert hodges_lehmann(x, 0.9) == _brute_walsh(x, 0.9)


def test_pairwise_difference_every_rank_with_ties():
    from helpers.stats.equivalence import pairwise_difference

    x, y = [1.0, 1.0, 2.0, 0.1, -0.0], [0.0, 0.3, 0.3, 1.0]
    diffs = np.sort(np.subtract.outer(np.asarray(x), np.asarray(y)).ravel())
    assert [pairwise_difference(x, y, k) for k in range(1, 21)] == diffs.tolist()
    # by hand: the 6 differences of x = (1, 2) and y = (0, 0, 1) are 1, 1, 0, 2, 2, 1, ordered 0, 1, 1, 1, 2, 2
    assert [pairwise_difference([1, 2], [0, 0, 1], k) for k in range(1, 7)] == [0.0, 1.0, 1.0, 1.0, 2.0, 2.0]
    # rounding: 0.1 - 0.3 is -0.19999999999999998 in doubles, not -0.2
    assert pairwise_difference([0.1], [0.3], 1) == 0.1 - 0.3 == -0.19999999999999998


def test_walsh_average_every_rank_by_hand():
    from helpers.stats.equivalence import walsh_average

    # the six Walsh averages of (1, 2, 4): 1, 1.5, 2, 2.5, 3, 4
    assert [walsh_average([4.0, 1.0, 2.0], k) for k in range(1, 7)] == [1.0, 1.5, 2.0, 2.5, 3.0, 4.0]
    # ties: (1, 1, 3) gives 1, 1, 1, 2, 2, 3
    assert [walsh_average([1.0, 3.0, 1.0], k) for k in range(1, 7)] == [1.0, 1.0, 1.0, 2.0, 2.0, 3.0]


def test_order_statistics_errors():
    from helpers.stats.equivalence import pairwise_difference, walsh_average

    with pytest.raises(ValueError, match=r"k must be between 1 and 6 \(the number of differences\), got 7"):
        pairwise_difference([1.0, 2.0], [0.0, 1.0, 2.0], 7)
    with pytest.raises(ValueError, match=r"k must be between 1 and 3 \(the number of Walsh averages\), got 0"):
        walsh_average([1.0, 2.0], 0)
    with pytest.raises(ValueError, match=r"y holds infinite values: \[inf\]"):
        hodges_lehmann_shift([1.0, 2.0], [0.5, math.inf])
    with pytest.raises(ValueError, match=r"x holds infinite values: \[-inf\]"):
        hodges_lehmann([1.0, -math.inf, 2.0])


def test_hodges_lehmann_shift_20000_by_20000_in_linear_memory():
    import time
    import tracemalloc

    rng = np.random.default_rng(7)
    x, y = rng.normal(0.2, 1, 20_000).round(2), rng.normal(0, 1, 20_000).round(2)
    tracemalloc.start()
    t0 = time.perf_counter()
    est, low, high = hodges_lehmann_shift(x, y, 0.95)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the brute force held 4e8 differences (3.2 GB a copy); here a few arrays of 20,000
    assert peak < 20 * 2**20 and seconds < 10
    assert low <= est <= high and 0.1 < est < 0.3
    # the bounds are the k_lo-th and (mn + 1 - k_lo)-th differences: counted in blocks of 500 rows (never all 4e8
    # at once), k_lo - 1 differences lie below the lower bound and at least k_lo at or below it
    from helpers.stats.equivalence import _mw_first_kept

    k = _mw_first_kept(20_000, 20_000, 0.95, "asymptotic", x, y)

    def count(v, strict):
        return sum(int(((x[i:i + 500, None] - y) < v).sum() if strict else ((x[i:i + 500, None] - y) <= v).sum())
                   for i in range(0, 20_000, 500))

    assert count(low, strict=True) < k <= count(low, strict=False)
    total = 20_000 * 20_000
    assert count(high, strict=True) < total + 1 - k <= count(high, strict=False)
