"""The score tests of two rates and the confidence intervals that invert them.

A trial's primary comparison of two response rates is reported with a test and an
interval that cannot disagree: the interval is the set of differences the same test
does not reject. Two score tests are here, differing only in the variance's N/(N-1)
factor (``correction``):

- Miettinen-Nurminen (1985), with the factor: at a difference of 0 it is statsmodels'
  ``test_proportions_2indep(method="score", correction=True)``;
- Mee (1984), without it: at a difference of 0 its square is Pearson's chi-square
  statistic without continuity correction (scipy ``chi2_contingency(correction=False)``),
  so Mee's interval is the one that inverts the chi-square test.

The intervals are computed here, because statsmodels' score interval for a difference
uses a constrained maximum likelihood estimate with a wrong coefficient whenever the
hypothesised difference is not 0 (statsmodels issue #10269, open in the pinned 0.15.0),
and often fails to find a root.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats


def _constrained_reference_rate(x1: int, n1: int, x0: int, n0: int, diff: float) -> float:
    """The maximum likelihood estimate of the reference rate p0 under p1 - p0 = diff.

    The restricted log-likelihood
    ``x1 log(p0 + d) + (n1 - x1) log(1 - p0 - d) + x0 log p0 + (n0 - x0) log(1 - p0)``
    is concave in p0 on its feasible interval, so a bounded scalar search finds its
    unique maximum (``xlogy`` gives ``0 log 0 = 0`` at the edges).
    """
    if diff == 0:  # the pooled rate, exactly
        return (x1 + x0) / (n1 + n0)
    lo, hi = max(0.0, -diff), min(1.0, 1.0 - diff)
    if hi - lo < 1e-12:
        return lo

    def negative(p0: float) -> float:
        p1 = p0 + diff
        return -(special.xlogy(x1, p1) + special.xlogy(n1 - x1, 1 - p1)
                 + special.xlogy(x0, p0) + special.xlogy(n0 - x0, 1 - p0))

    return float(optimize.minimize_scalar(negative, bounds=(lo, hi), method="bounded",
                                          options={"xatol": 1e-12}).x)


def _check_counts(x1: int, n1: int, x0: int, n0: int) -> None:
    if min(n1, n0) <= 0 or not (0 <= x1 <= n1 and 0 <= x0 <= n0):
        raise ValueError(f"need 0 <= x1 <= n1, 0 <= x0 <= n0 and both arms with subjects, got "
                         f"x1={x1}, n1={n1}, x0={x0}, n0={n0}")


def score_statistic(x1: int, n1: int, x0: int, n0: int, diff: float = 0.0, correction: bool = True) -> float:
    """The score statistic for H0: p1 - p0 = ``diff``.

    ``z = (p1_hat - p0_hat - diff) / sqrt(V)``, with
    ``V = (p1~ (1 - p1~) / n1 + p0~ (1 - p0~) / n0) * N / (N - 1)``, where p1~ and p0~
    are the rates' maximum likelihood estimates under H0 and ``N = n1 + n0``
    (Miettinen-Nurminen); ``correction=False`` leaves out the N/(N-1) factor (Mee).

    Raises
    ------
    ValueError
        Counts outside 0..n, or an arm without subjects.
    """
    _check_counts(x1, n1, x0, n0)
    p0 = _constrained_reference_rate(x1, n1, x0, n0, diff)
    p1 = p0 + diff
    n = n1 + n0
    variance = p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0
    if correction:
        variance *= n / (n - 1)
    observed = x1 / n1 - x0 / n0 - diff
    if variance <= 0:
        return 0.0 if abs(observed) < 1e-12 else math.copysign(math.inf, observed)
    return observed / math.sqrt(variance)


def score_test(x1: int, n1: int, x0: int, n0: int, correction: bool = True) -> float:
    """Two-sided p-value of the score test of equal rates: Miettinen-Nurminen, or with
    ``correction=False`` Mee's, which is Pearson's chi-square test without continuity
    correction (R ``prop.test(correct = FALSE)``).

    When no subject or every subject responded, the observed difference is 0 and p = 1.

    Examples
    --------
    >>> round(score_test(16, 29, 9, 30), 4), round(score_test(19, 29, 11, 30), 4)
    (0.0524, 0.028)
    >>> round(score_test(16, 29, 9, 30, correction=False), 4)  # R: prop.test(c(16, 9), c(29, 30), correct = FALSE)
    0.0504
    """
    z = score_statistic(x1, n1, x0, n0, 0.0, correction)
    return float(2 * stats.norm.sf(abs(z)))


def score_interval(x1: int, n1: int, x0: int, n0: int, confidence: float = 0.95,
                   correction: bool = True) -> tuple[float, float]:
    """The score interval of p1 - p0: every difference the score test at level
    1 - ``confidence`` does not reject (Miettinen-Nurminen; Mee with
    ``correction=False``).

    Notes
    -----
    Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med 1985;4:213-26.
    Mee RW. Confidence bounds for the difference between two probabilities. Biometrics
    1984;40:1175-6 (the same interval without the N/(N-1) factor: it holds 0 exactly
    when Pearson's chi-square test does not reject).
    The statistic falls as the hypothesised difference rises, so each bound is the root
    of ``z(d) = +/- z_crit`` on its side of the estimate (Brent's method).

    Examples
    --------
    >>> [round(b, 4) for b in score_interval(16, 29, 9, 30)]
    [-0.0027, 0.4764]
    >>> [round(b, 4) for b in score_interval(16, 29, 9, 30, correction=False)]
    [-0.0005, 0.4747]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    _check_counts(x1, n1, x0, n0)
    z_crit = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    estimate = x1 / n1 - x0 / n0
    eps = 1e-10

    def bound(target: float, a: float, b: float) -> float:
        f = lambda d: score_statistic(x1, n1, x0, n0, d, correction) - target  # noqa: E731
        fa, fb = f(a), f(b)
        if np.sign(fa) == np.sign(fb):  # no crossing inside: the bound is the edge
            return a if abs(fa) < abs(fb) else b
        return float(optimize.brentq(f, a, b, xtol=1e-12))

    low = bound(z_crit, -1 + eps, estimate) if estimate > -1 + eps else -1.0
    high = bound(-z_crit, estimate, 1 - eps) if estimate < 1 - eps else 1.0
    return low, high
