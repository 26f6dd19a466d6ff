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

    Examples
    --------
    The paired depression scores of R's ``?wilcox.test`` (Hollander and Wolfe), as
    differences:

    >>> x = [0.952, -0.147, 1.022, 0.430, 0.620, 0.590, 0.490, -0.080, 0.010]
    >>> est, lo, hi = hodges_lehmann(x, 0.95)
    >>> round(est, 3), round(lo, 3), round(hi, 3)
    (0.46, 0.01, 0.786)
    """
    values = np.asarray(pd.Series(x, dtype="float64").dropna())
    n = len(values)
    if n < 2:
        return math.nan, math.nan, math.nan
    i, j = np.triu_indices(n)
    walsh = np.sort((values[i] + values[j]) / 2)
    c = signed_rank_critical(n, confidence)
    if c < 1:  # too few values for an interval at this level
        return float(np.median(walsh)), -math.inf, math.inf
    return float(np.median(walsh)), float(walsh[c - 1]), float(walsh[len(walsh) - c])


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
