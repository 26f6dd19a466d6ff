"""Is a change absent? Equivalence, judged the way the Wilcoxon signed-rank test reads
a change: the Hodges-Lehmann estimate and the interval that inverts that test.

A large p-value is absence of evidence, not evidence of absence. A claim that a measure
"did not change" holds only when the (1 - 2 alpha) interval of the change lies inside
a margin of no practical importance, stated in advance with its source (two one-sided
tests, TOST, at level alpha each: Schuirmann 1987). Without a margin the claim cannot be
judged, and the verdict says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def _signed_rank_counts(n: int) -> np.ndarray:
    """How many of the 2^n sign patterns give each value 0..n(n+1)/2 of the signed-rank
    statistic W+ (the exact null distribution, without ties)."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1, dtype=float)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def signed_rank_critical(n: int, confidence: float) -> int:
    """The number ``c`` of Walsh averages cut from each end for a two-sided interval at
    ``confidence``: the largest c with P(W+ < c) <= (1 - confidence) / 2 (exact up to
    n = 60, normal approximation beyond).

    Examples
    --------
    >>> signed_rank_critical(10, 0.95)  # R: wilcox.test(conf.int = TRUE), n = 10
    9
    """
    tail = (1 - confidence) / 2
    if n <= 60:
        cdf = np.cumsum(_signed_rank_counts(n)) / 2.0**n
        return int(np.searchsorted(cdf, tail + 1e-12, side="right"))
    mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    return max(0, int(math.floor(mean - stats.norm.ppf(1 - tail) * sd)))


def hodges_lehmann(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """The Hodges-Lehmann estimate of the median change (the median of the Walsh
    averages) and the confidence interval that inverts the Wilcoxon signed-rank test.

    Returns ``(estimate, ci_low, ci_high)``; missing values are dropped, NaNs returned
    when fewer than two values remain.

    Notes
    -----
    Hollander, Wolfe, Chicken, Nonparametric Statistical Methods (3rd ed., 2014), 3.2;
    the same interval as R ``wilcox.test(x, conf.int = TRUE, exact = TRUE)`` without ties.
    The n(n + 1) / 2 Walsh averages are never formed: each order statistic needed is
    selected by :func:`walsh_average` in O(n) memory, to the bit the value of the sorted
    averages.

    Raises
    ------
    ValueError
        When ``x`` holds infinite values.

    Examples
    --------
    The paired depression scores of R's ``?wilcox.test`` (Hollander and Wolfe), as
    differences:

    >>> x = [0.952, -0.147, 1.022, 0.430, 0.620, 0.590, 0.490, -0.080, 0.010]
    >>> est, lo, hi = hodges_lehmann(x, 0.95)
    >>> round(est, 3), round(lo, 3), round(hi, 3)
    (0.46, 0.01, 0.786)
    """
    values = _finite(np.asarray(pd.Series(x, dtype="float64").dropna()), "x")
    n = len(values)
    if n < 2:
        return math.nan, math.nan, math.nan
    kth = _walsh_kth(_PairSums(values, values, half=True))  # the ordered Walsh averages, never formed
    total = n * (n + 1) // 2
    est = _median_of_ordered(kth, total)
    c = signed_rank_critical(n, confidence)
    if c < 1:  # too few values for an interval at this level
        return est, -math.inf, math.inf
    return est, kth(c), kth(total + 1 - c)



# ---------------------------------------------------------------------------------------
# order statistics of pairwise sums without the matrix of pairs


def _float_key(value: float) -> int:
    """The place of a double in the order of all doubles, as an integer (0.0 and -0.0
    share 0): consecutive doubles have consecutive keys."""
    bits = int(np.array(value, dtype=np.float64).view(np.int64))
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


def _key_float(key: int) -> float:
    bits = key if key >= 0 else (-key) | -0x8000000000000000
    return float(np.array(bits, dtype=np.int64).view(np.float64))


class _PairSums:
    """Every value ``(r_i + c_j)`` (halved when ``half``) of a row value and a column
    value, as floating point computes it, never held at once: it counts those <= v
    row by row over the sorted columns, in linear memory.

    Rounding is monotone, so each row's computed values are sorted as the columns are:
    a binary search finds where a row crosses v, and comparing the computed values on
    either side moves the crossing where rounding put it."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, half: bool = False) -> None:
        self.rows = np.sort(rows)
        self.cols, counts = np.unique(cols, return_counts=True)
        self.cum = np.concatenate([[0], np.cumsum(counts)])
        self.half = half

    def value(self, r, c):
        return (r + c) / 2 if self.half else r + c

    def count_le(self, v: float) -> int:
        r, c, n = self.rows, self.cols, len(self.cols)
        b = np.searchsorted(c, (2 * v - r) if self.half else (v - r), side="right")
        while True:
            up = b < n
            up[up] = self.value(r[up], c[b[up]]) <= v
            down = b > 0
            down[down] = self.value(r[down], c[b[down] - 1]) > v
            if not (up.any() or down.any()):
                return int(self.cum[b].sum())
            b = b + up - down

    def kth(self, k: int, count=None) -> float:
        """The k-th smallest value (1-based) of those ``count`` counts (default: every
        pair): the smallest double v with count(v) >= k, by bisection over the doubles
        between the smallest and the largest value (at most 64 counts)."""
        count = count or self.count_le
        lo = _float_key(self.value(self.rows[0], self.cols[0]))
        hi = _float_key(self.value(self.rows[-1], self.cols[-1]))
        while lo < hi:
            mid = (lo + hi) // 2
            if count(_key_float(mid)) >= k:
                hi = mid
            else:
                lo = mid + 1
        return _key_float(lo)


def _finite(values: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds infinite values: {values[~np.isfinite(values)][:5].tolist()}")
    return values


def _median_of_ordered(kth, total: int) -> float:
    """The median of ``total`` ordered values given the k-th of them, as ``np.median``
    computes it (the mean of the two middle values when ``total`` is even)."""
    if total % 2:
        return float(kth((total + 1) // 2))
    return float(np.median(np.array([kth(total // 2), kth(total // 2 + 1)])))


def walsh_average(x, k: int) -> float:
    """The k-th smallest (1-based) of the n(n + 1) / 2 Walsh averages (x_i + x_j) / 2,
    i <= j, of the non-missing values of ``x``, found without forming them.

    Notes
    -----
    The n x n matrix of (x_i + x_j) / 2 over the sorted values is sorted along rows and
    columns and symmetric: the averages with i <= j that are <= v are half of those of
    the whole matrix plus those of its diagonal. The k-th is the smallest double v with
    at least k averages <= v, found by bisection over the doubles (each count a binary
    search per row, O(n log n) time, O(n) memory): the same value, to the bit, as the
    k-th of the sorted averages (rounding is monotone). Johnson and Mizoguchi (1978),
    Selecting the Kth element in X + Y and X1 + X2 + ... + Xm, SIAM J Comput 7:147-153,
    and Monahan (1984), Algorithm 616: fast computation of the Hodges-Lehmann location
    estimator, ACM TOMS 10:265-270, select in the same matrix.

    Examples
    --------
    >>> walsh_average([1.0, 2.0, 4.0], 1), walsh_average([1.0, 2.0, 4.0], 4), walsh_average([1.0, 2.0, 4.0], 6)
    (1.0, 2.5, 4.0)
    """
    values = _finite(np.asarray(pd.Series(x, dtype="float64").dropna()), "x")
    total = len(values) * (len(values) + 1) // 2
    if not 1 <= k <= total:
        raise ValueError(f"k must be between 1 and {total} (the number of Walsh averages), got {k}")
    return _walsh_kth(_PairSums(values, values, half=True))(k)


def _walsh_kth(pairs: _PairSums):
    doubled = pairs.rows + pairs.rows

    def count(v: float) -> int:
        return (pairs.count_le(v) + int((doubled / 2 <= v).sum())) // 2

    return lambda k: pairs.kth(k, count)


def pairwise_difference(x, y, k: int) -> float:
    """The k-th smallest (1-based) of the m x n differences x_i - y_j of the non-missing
    values of ``x`` and ``y``, found without forming them.

    Notes
    -----
    x_i - y_j is x_i + (-y_j) to the bit (IEEE 754 subtraction), a matrix sorted along
    rows and columns over the sorted x and -y; the k-th is the smallest double v with at
    least k differences <= v, found by bisection over the doubles, each count a binary
    search per row (O((m + n) log n) time per count, at most 64 counts, O(m + n) memory):
    the same value, to the bit, as the k-th of ``np.sort(np.subtract.outer(x, y).ravel())``.
    Johnson and Mizoguchi (1978), SIAM J Comput 7:147-153, select in X + Y the same way.

    Examples
    --------
    >>> [pairwise_difference([1, 2, 3, 4, 5], [-1, 0], k) for k in (1, 2, 5, 10)]
    [1.0, 2.0, 3.0, 6.0]
    """
    x, y = _finite(_values(x, "x"), "x"), _finite(_values(y, "y"), "y")
    if not 1 <= k <= len(x) * len(y):
        raise ValueError(f"k must be between 1 and {len(x) * len(y)} (the number of differences), got {k}")
    return _PairSums(x, -y).kth(k)


def equivalence_verdict(ci_low: float, ci_high: float, margin: float | None) -> str:
    """``equivalent`` when the interval lies inside (-margin, margin), ``not shown``
    when it does not, ``no margin`` when none was stated (no equivalence claim then).

    Examples
    --------
    >>> equivalence_verdict(-0.2, 0.3, 0.5), equivalence_verdict(-0.2, 0.6, 0.5), equivalence_verdict(-0.2, 0.3, None)
    ('equivalent', 'not shown', 'no margin')
    """
    if margin is None or (isinstance(margin, float) and math.isnan(margin)):
        return "no margin"
    if any(math.isnan(v) or math.isinf(v) for v in (ci_low, ci_high)):
        return "not shown"
    return "equivalent" if -margin < ci_low and ci_high < margin else "not shown"


def tost_change(x, margin: float | None, alpha: float = 0.05) -> pd.DataFrame:
    """Equivalence of a paired change to zero within +/- ``margin`` (TOST at level alpha:
    the (1 - 2 alpha) Hodges-Lehmann interval inside the margin).

    Returns
    -------
    DataFrame
        One row: ``n``, ``estimate`` (Hodges-Lehmann median change), ``ci_low``,
        ``ci_high`` (the 1 - 2 alpha interval), ``confidence``, ``margin``, ``verdict``
        (see :func:`equivalence_verdict`).

    Examples
    --------
    >>> tost_change([0.1, -0.2, 0.05, 0.0, 0.15, -0.1, 0.2, -0.05], margin=0.5)[["n", "verdict"]]
       n     verdict
    0  8  equivalent
    """
    confidence = 1 - 2 * alpha
    values = pd.Series(x, dtype="float64").dropna()
    est, lo, hi = hodges_lehmann(values, confidence)
    return pd.DataFrame([{"n": len(values), "estimate": est, "ci_low": lo, "ci_high": hi, "confidence": confidence,
                          "margin": margin, "verdict": equivalence_verdict(lo, hi, margin)}])


# ---------------------------------------------------------------------------------------
# two samples: the Hodges-Lehmann shift and the interval that inverts Mann-Whitney

#: How :func:`mann_whitney_shift` computes the test and its interval: ``exact`` (the
#: permutation distribution of U, valid without ties) or ``asymptotic`` (the normal
#: approximation with continuity and tie corrections, as scipy and R compute it).
MW_METHODS: tuple[str, ...] = ("auto", "exact", "asymptotic")


def _values(x, name: str) -> np.ndarray:
    try:
        return np.asarray(pd.Series(x, dtype="float64").dropna())
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must hold numbers: {exc}") from exc


def mann_whitney_counts(m: int, n: int) -> list[int]:
    """How many of the C(m + n, m) orderings of two samples of sizes ``m`` and ``n``
    give each value 0..mn of the Mann-Whitney statistic U (the exact null
    distribution, without ties).

    Notes
    -----
    The counts are the coefficients of the Gaussian binomial coefficient
    [m + n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i), computed in integers.

    Examples
    --------
    >>> mann_whitney_counts(2, 2)  # the six orderings of xxyy: U = 0, 1, 2, 2, 3, 4
    [1, 1, 2, 1, 1]
    """
    if m < 0 or n < 0:
        raise ValueError(f"sample sizes must be 0 or more, got m={m}, n={n}")
    coef = [1] + [0] * (m * n + m)
    for i in range(1, m + 1):
        degree = (i - 1) * n  # of [n + i - 1 choose i - 1]_q
        for j in range(degree + n + i, n + i - 1, -1):  # times (1 - q^(n+i))
            coef[j] -= coef[j - n - i]
        for j in range(i, degree + n + i + 1):  # divided by (1 - q^i): c[j] = a[j] + c[j - i]
            coef[j] += coef[j - i]
    return coef[: m * n + 1]


def _mw_first_kept(m: int, n: int, confidence: float, method: str, x: np.ndarray, y: np.ndarray) -> int:
    """The smallest k (0..mn) whose U = k the two-sided test at level 1 - confidence
    does not reject (p >= alpha): the rank of the interval's lower bound among the
    ordered differences."""
    tail = (1 - confidence) / 2
    mn = m * n
    if method == "exact":
        counts = mann_whitney_counts(m, n)
        total = sum(counts)
        cum = 0
        for k, c in enumerate(counts):
            cum += c
            if cum / total >= tail - 1e-12:
                return k
        return mn
    # normal approximation, continuity correction, ties within each sample (ties between
    # the samples occur only at the ordered differences themselves, not between them)
    ties = np.concatenate([np.unique(x, return_counts=True)[1], np.unique(y, return_counts=True)[1]]).astype(float)
    total_n = m + n
    sigma = math.sqrt(mn / 12 * ((total_n + 1) - (ties**3 - ties).sum() / (total_n * (total_n - 1))))
    z = stats.norm.isf(tail)
    return max(0, math.ceil(mn / 2 - 0.5 - z * sigma - 1e-9))


def _mw_method(x: np.ndarray, y: np.ndarray, method: str) -> str:
    if method not in MW_METHODS:
        raise ValueError(f"method must be one of {list(MW_METHODS)}, got {method!r}")
    if method != "auto":
        return method
    pooled = np.concatenate([x, y])
    no_ties = len(np.unique(pooled)) == len(pooled)
    return "exact" if no_ties and len(x) < 50 and len(y) < 50 else "asymptotic"


def hodges_lehmann_shift(x, y, confidence: float = 0.95, method: str = "auto") -> tuple[float, float, float]:
    """The Hodges-Lehmann estimate of the shift between two samples (the median of the
    differences x_i - y_j) and the confidence interval that inverts the two-sided
    Mann-Whitney test.

    Parameters
    ----------
    x, y : array-like
        The two samples (missing values dropped); the shift is of ``x`` against ``y``.
    confidence : float
    method : {"auto", "exact", "asymptotic"}
        The test inverted: ``exact`` (the permutation distribution of U), ``asymptotic``
        (normal approximation with continuity and tie corrections, scipy's and R's).
        ``auto``: exact when neither sample has 50 values or more and no value repeats
        (R's rule), else asymptotic.

    Returns
    -------
    tuple
        ``(estimate, ci_low, ci_high)``; NaNs when a sample is empty, infinite bounds
        when the samples are too small for an interval at this level.

    Notes
    -----
    With D_(1) <= ... <= D_(mn) the ordered differences, for a shift d between D_(k) and
    D_(k+1) the statistic of x - d against y is U = mn - k. The test keeps the shifts whose
    U it does not reject (p >= alpha), a run of ranks k_lo..mn - k_lo by symmetry, so
    the interval is [D_(k_lo), D_(mn + 1 - k_lo)] (Hollander, Wolfe and Chicken,
    Nonparametric Statistical Methods, 3rd ed., 2014, 4.3). Exact, this is R
    ``wilcox.test(x, y, conf.int = TRUE)``'s interval (its ``qwilcox(alpha / 2, m, n)`` is
    k_lo); asymptotic, the interval of scipy's ``mannwhitneyu(method="asymptotic")``
    inverted (R's differs slightly: it solves for the shift numerically). The mn
    differences are never formed: each D_(k) needed is selected by
    :func:`pairwise_difference` in O(m + n) memory (20,000 by 20,000 values in about a
    second), to the bit the value of the sorted differences.

    Raises
    ------
    ValueError
        A confidence outside (0, 1), an unknown method, or infinite values.
    TypeError
        Values that are not numbers.

    Examples
    --------
    The ten differences of x = (1, 2, 3, 4, 5) and y = (-1, 0) are 1, 2, 2, 3, 3, 4, 4, 5, 5,
    6 (median 3.5). Of the 21 orderings, 1 gives U = 0, 1 gives U = 1 and 2 give U = 2, so
    P(U <= 1) = 2/21 < 0.1 <= P(U <= 2) = 4/21: k_lo = 2, and the exact 80% interval runs
    from the 2nd to the 9th difference:

    >>> est, lo, hi = hodges_lehmann_shift([1, 2, 3, 4, 5], [-1, 0], 0.8)
    >>> est, lo, hi
    (3.5, 2.0, 5.0)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    x, y = _values(x, "x"), _values(y, "y")
    method = _mw_method(x, y, method)
    if not (len(x) and len(y)):
        return math.nan, math.nan, math.nan
    x, y = _finite(x, "x"), _finite(y, "y")
    pairs = _PairSums(x, -y)  # the ordered differences, never formed (see pairwise_difference)
    total = len(x) * len(y)
    est = _median_of_ordered(pairs.kth, total)
    k = _mw_first_kept(len(x), len(y), confidence, method, x, y)
    if k < 1:
        return est, -math.inf, math.inf
    return est, pairs.kth(k), pairs.kth(total + 1 - k)


def mann_whitney_shift(x, y, confidence: float = 0.95, method: str = "auto") -> pd.DataFrame:
    """Mann-Whitney U test of two samples with the Hodges-Lehmann shift and the interval
    that inverts the same test, so that the interval excludes 0 exactly when p < alpha.

    Parameters
    ----------
    x, y : array-like
        The two samples (missing values dropped).
    confidence : float
    method : {"auto", "exact", "asymptotic"}
        As for :func:`hodges_lehmann_shift`, for both the p-value and the interval.

    Returns
    -------
    DataFrame
        One row: ``n1``, ``n2``, ``u_val`` (U of ``x``), ``p_val`` (two-sided), ``estimate``
        (the shift of x against y), ``ci_low``, ``ci_high``, ``confidence``, ``method``.
        With an empty sample, the statistics are missing.

    Notes
    -----
    scipy ``mannwhitneyu(x, y, method=..., use_continuity=True)``; R
    ``wilcox.test(x, y, conf.int = TRUE, exact = ..., correct = TRUE)``.

    Examples
    --------
    >>> mann_whitney_shift([1, 2, 3, 4, 5], [-1, 0], 0.8).round(4)
       n1  n2  u_val   p_val  estimate  ci_low  ci_high  confidence method
    0   5   2   10.0  0.0952       3.5     2.0      5.0         0.8  exact
    """
    x, y = _values(x, "x"), _values(y, "y")
    method = _mw_method(x, y, method)
    row = {"n1": len(x), "n2": len(y), "u_val": math.nan, "p_val": math.nan, "estimate": math.nan,
           "ci_low": math.nan, "ci_high": math.nan, "confidence": confidence, "method": method}
    if len(x) and len(y):
        res = stats.mannwhitneyu(x, y, alternative="two-sided", use_continuity=True, method=method)
        est, lo, hi = hodges_lehmann_shift(x, y, confidence, method)
        row.update(u_val=float(res.statistic), p_val=float(res.pvalue), estimate=est, ci_low=lo, ci_high=hi)
    return pd.DataFrame([row])
