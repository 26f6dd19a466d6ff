"""The Miettinen-Nurminen score test and the confidence interval that inverts it.

A trial's primary comparison of two response rates is reported with a test and an
interval that cannot disagree: the interval is the set of differences the same test
does not reject. The score test at a difference of 0 is statsmodels'
``test_proportions_2indep(method="score", correction=True)``; its interval is computed
here, because statsmodels' score interval for a difference uses a constrained maximum
likelihood estimate with a wrong coefficient whenever the hypothesised difference is not
0 (statsmodels issue #10269, open in the pinned 0.15.0), and often fails to find a root.
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


def score_statistic(x1: int, n1: int, x0: int, n0: int, diff: float = 0.0) -> float:
    """The Miettinen-Nurminen score statistic for H0: p1 - p0 = ``diff``.

    ``z = (p1_hat - p0_hat - diff) / sqrt(V)``, with
    ``V = (p1~ (1 - p1~) / n1 + p0~ (1 - p0~) / n0) * N / (N - 1)``, where p1~ and p0~
    are the rates' maximum likelihood estimates under H0 and ``N = n1 + n0``.
    """
    p0 = _constrained_reference_rate(x1, n1, x0, n0, diff)
    p1 = p0 + diff
    n = n1 + n0
    variance = (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * n / (n - 1)
    observed = x1 / n1 - x0 / n0 - diff
    if variance <= 0:
        return 0.0 if abs(observed) < 1e-12 else math.copysign(math.inf, observed)
    return observed / math.sqrt(variance)


def score_test(x1: int, n1: int, x0: int, n0: int) -> float:
    """Two-sided p-value of the Miettinen-Nurminen score test of equal rates.

    Examples
    --------
    >>> round(score_test(16, 29, 9, 30), 4), round(score_test(19, 29, 11, 30), 4)
    (0.0524, 0.028)
    """
    z = score_statistic(x1, n1, x0, n0, 0.0)
    return float(2 * stats.norm.sf(abs(z)))


def score_interval(x1: int, n1: int, x0: int, n0: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Miettinen-Nurminen score interval of p1 - p0: every difference the score test
    at level 1 - ``confidence`` does not reject.

    Notes
    -----
    Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med 1985;4:213-26.
    The statistic falls as the hypothesised difference rises, so each bound is the root
    of ``z(d) = +/- z_crit`` on its side of the estimate (Brent's method).

    Examples
    --------
    >>> [round(b, 4) for b in score_interval(16, 29, 9, 30)]
    [-0.0027, 0.4764]
    """
    z_crit = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    estimate = x1 / n1 - x0 / n0
    eps = 1e-10

    def bound(target: float, a: float, b: float) -> float:
        f = lambda d: score_statistic(x1, n1, x0, n0, d) - target  # noqa: E731
        fa, fb = f(a), f(b)
        if np.sign(fa) == np.sign(fb):  # no crossing inside: the bound is the edge
            return a if abs(fa) < abs(fb) else b
        return float(optimize.brentq(f, a, b, xtol=1e-12))

    low = bound(z_crit, -1 + eps, estimate) if estimate > -1 + eps else -1.0
    high = bound(-z_crit, estimate, 1 - eps) if estimate < 1 - eps else 1.0
    return low, high
