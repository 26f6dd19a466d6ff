"""Making a random sample hit published summary figures exactly.

The generator draws every variable from a plausible model and then bends the sample,
as little as it can, so that the statistics the paper reports come out exactly:

- :func:`match_quantiles` rescales the lower and upper halves piecewise linearly so the
  median, minimum and maximum are the published ones, keeping each subject's rank;
- :func:`match_moments` standardises and then nudges single values by one recorded unit
  until the mean and the standard deviation round to the published ones;
- :func:`match_mean` moves values by one unit until a mean is met (PGA);
- :func:`scale_counts` turns published counts into counts for any cohort size;
- :func:`choose` picks exactly ``k`` subjects, favouring some (weighted sampling without
  replacement);
- :func:`fit_median_bounded` and :func:`fit_quantiles_bounded` set a median (and a range)
  when each value has bounds of its own; :func:`map_threshold_lab` maps a lab onto a
  median and range keeping each value on its side of a cut-off.

:func:`check_calibration` (in :mod:`helpers.simulate.checks`) then recomputes every target
through :mod:`helpers.derive`, so nothing here is trusted on its own.
"""

from __future__ import annotations

import numpy as np

from helpers.simulate.spec import Moments, Quantiles


def snap(x: np.ndarray, step: float) -> np.ndarray:
    """Round to a multiple of ``step`` and then to 6 decimals (no binary fuzz left).

    Examples
    --------
    >>> snap(np.array([12.4, 13.6, 0.1 + 0.2]), 2.5).tolist()
    [12.5, 12.5, 0.0]
    """
    return np.round(np.round(np.asarray(x, dtype=float) / step) * step, 6)


def scale_counts(counts: list[int] | tuple[int, ...], total: int) -> np.ndarray:
    """Scale integer counts to a new total, keeping proportions (largest remainders).

    Parameters
    ----------
    counts : sequence of int
        Counts at the published size.
    total : int
        The new total.

    Returns
    -------
    ndarray of int
        Counts adding up to ``total``; equal to ``counts`` when ``total`` is their sum.
        Ties among remainders go to the earlier entry, so the result is deterministic.

    Examples
    --------
    >>> scale_counts([19, 1, 20], 400).tolist()
    [190, 10, 200]
    >>> scale_counts([19, 1, 20], 4).tolist()
    [2, 0, 2]
    """
    c = np.asarray(counts, dtype=float)
    if c.sum() == 0:
        return np.zeros(len(c), dtype=int)
    exact = c * total / c.sum()
    base = np.floor(exact).astype(int)
    short = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:short]] += 1
    return base


def scale_count(count: int, published: int, n: int) -> int:
    """One published count (out of ``published``) scaled to a population of ``n``.

    Examples
    --------
    >>> scale_count(5, 40, 40), scale_count(5, 40, 4000), scale_count(3, 30, 7)
    (5, 500, 1)
    """
    if published == 0:
        return 0
    return int(np.floor(count * n / published + 0.5))


def choose(rng: np.random.Generator, k: int, eligible: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Pick exactly ``k`` positions, without replacement, favouring larger weights.

    Eligible positions come first; ineligible ones are used only when there are fewer
    than ``k`` eligible (so the count is always exact).

    Parameters
    ----------
    rng : Generator
    k : int
    eligible : ndarray of bool
    weight : ndarray of float, optional
        Relative chance of being picked (Efraimidis & Spirakis keys, ``u ** (1 / w)``).

    Returns
    -------
    ndarray of bool
        ``k`` positions set.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> choose(rng, 2, np.array([True, False, True, True])).sum()
    np.int64(2)
    """
    n = len(eligible)
    k = int(min(max(k, 0), n))
    w = np.ones(n) if weight is None else np.maximum(np.asarray(weight, dtype=float), 1e-9)
    key = np.log(rng.random(n)) / w + np.where(eligible, 0.0, -1e12)
    out = np.zeros(n, dtype=bool)
    if k:
        out[np.argsort(-key, kind="stable")[:k]] = True
    return out


def match_quantiles(x: np.ndarray, target: Quantiles) -> np.ndarray:
    """Bend a sample so its median, minimum and maximum are exactly ``target``'s.

    Parameters
    ----------
    x : ndarray
        A draw from a plausible distribution (at least 3 values).
    target : Quantiles

    Returns
    -------
    ndarray
        Same order and ranks as ``x``, on the grid of ``target.step``, with
        ``min == low``, ``max == high`` and ``median == median`` (for an even count the
        two middle values average to the median: both equal to it when it lies on the
        grid, else one step apart around it).

    Notes
    -----
    Values below the sample median map linearly from ``[min(x), median(x)]`` onto
    ``[low, median]``, values above it from ``[median(x), max(x)]`` onto
    ``[median, high]``; then they are rounded to the grid and the anchors are set. The
    shape of the draw survives; only its location and spread in each half change.

    Examples
    --------
    >>> x = np.array([3.0, 9.0, 1.0, 5.0, 4.0, 20.0])
    >>> y = match_quantiles(x, Quantiles(median=31, low=18, high=60))
    >>> y.tolist(), float(np.median(y))
    ([25.0, 39.0, 18.0, 31.0, 31.0, 60.0], 31.0)
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 3:
        raise ValueError(f"match_quantiles: need at least 3 values, got {n}")
    lo_i, hi_i = (n - 1) // 2, n // 2
    order = np.argsort(x, kind="stable")
    xs = x[order]
    xmed = (xs[lo_i] + xs[hi_i]) / 2
    ys = np.empty(n)
    below = np.arange(n) <= lo_i
    span_lo = xmed - xs[0]
    span_hi = xs[-1] - xmed
    rank = np.arange(n, dtype=float)
    # Where a half of the draw is flat, spread it by rank instead of by value.
    if span_lo > 0:
        ys[below] = target.low + (xs[below] - xs[0]) / span_lo * (target.median - target.low)
    else:
        ys[below] = target.low + rank[below] / max(lo_i, 1) * (target.median - target.low)
    if span_hi > 0:
        ys[~below] = target.median + (xs[~below] - xmed) / span_hi * (target.high - target.median)
    else:
        ys[~below] = target.median + (rank[~below] - hi_i) / max(n - 1 - hi_i, 1) * (target.high - target.median)
    ys = snap(np.clip(ys, target.low, target.high), target.step)
    on_grid = abs(snap(np.array([target.median]), target.step)[0] - target.median) < 1e-9
    if n % 2 or on_grid:
        mid_lo = mid_hi = target.median
    else:
        mid_lo, mid_hi = target.median - target.step / 2, target.median + target.step / 2
    ys[lo_i], ys[hi_i] = mid_lo, mid_hi
    ys[:lo_i] = np.minimum(ys[:lo_i], mid_lo)
    ys[hi_i + 1:] = np.maximum(ys[hi_i + 1:], mid_hi)
    ys[0], ys[-1] = target.low, target.high
    out = np.empty(n)
    out[order] = ys
    return snap(out, target.step)


def match_moments(x: np.ndarray, target: Moments, rng: np.random.Generator, max_iter: int = 5000) -> np.ndarray:
    """Bend a sample so its mean and standard deviation round to ``target``'s.

    Parameters
    ----------
    x : ndarray
        A draw from a plausible distribution.
    target : Moments
    rng : Generator
        Breaks ties between equally good moves.
    max_iter : int

    Returns
    -------
    ndarray
        Within ``[low, high]``, on the grid of ``target.step``. The sum is the multiple of
        the step nearest to ``n * mean``; the standard deviation (ddof 1) is within 0.005
        of ``target.sd``.

    Raises
    ------
    ValueError
        When the targets cannot be met within the bounds.

    Notes
    -----
    First a linear map to the target mean and SD, repeated a few times because clipping
    to the bounds shrinks the spread. Then the sum is corrected by moving the values
    nearest the mean by one step each, and the SD by moving pairs: raising ``x_i`` and
    lowering ``x_j`` by one step keeps the sum and changes the sum of squares by
    ``2 step (x_i - x_j) + 2 step^2``; the pair whose change is nearest the one needed is
    taken (among at most 200 candidates each side, so it scales to large samples).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = match_moments(rng.normal(size=30), Moments(31.58, 9.25, 18, 60, 1), rng)
    >>> round(float(y.mean()), 2), round(float(y.std(ddof=1)), 2)
    (31.57, 9.25)
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    step = target.step
    s = x.std(ddof=1)
    y = (x - x.mean()) / (s if s > 0 else 1.0)
    y = np.clip(target.mean + target.sd * y, target.low, target.high)
    for _ in range(20):
        sd = y.std(ddof=1)
        if sd <= 0 or abs(sd - target.sd) < 1e-3:
            break
        y = np.clip(target.mean + (y - y.mean()) * target.sd / sd, target.low, target.high)
    y = snap(y, step)
    goal_sum = snap(np.array([target.mean * n]), step)[0]
    for _ in range(50):
        moves = int(round((goal_sum - y.sum()) / step))
        if moves == 0:
            break
        up = moves > 0
        cand = np.flatnonzero((y + step <= target.high) if up else (y - step >= target.low))
        if not len(cand):
            raise ValueError(f"match_moments: mean {target.mean} unreachable within [{target.low}, {target.high}]")
        near = cand[np.argsort(np.abs(y[cand] - y.mean()) + rng.random(len(cand)) * step, kind="stable")]
        y[near[:abs(moves)]] += step if up else -step
        y = snap(y, step)
    if abs(y.sum() - goal_sum) > step / 2:
        raise ValueError(f"match_moments: mean {target.mean} unreachable within [{target.low}, {target.high}]")
    for _ in range(max_iter):
        sd = y.std(ddof=1)
        if abs(sd - target.sd) < 0.005:
            return y
        need = (target.sd ** 2 - sd ** 2) * (n - 1)
        i_pool = np.flatnonzero(y + step <= target.high + 1e-9)
        j_pool = np.flatnonzero(y - step >= target.low - 1e-9)
        if len(i_pool) > 200:
            i_pool = rng.choice(i_pool, 200, replace=False)
        if len(j_pool) > 200:
            j_pool = rng.choice(j_pool, 200, replace=False)
        dss = 2 * step * (y[i_pool][:, None] - y[j_pool][None, :]) + 2 * step ** 2
        cost = np.abs(dss - need) + rng.random(dss.shape) * 1e-6
        cost[i_pool[:, None] == j_pool[None, :]] = np.inf
        if not np.isfinite(cost).any():
            break
        a, b = np.unravel_index(np.argmin(cost), cost.shape)
        if cost[a, b] >= abs(need):
            break  # no pair moves the SD towards the target
        y[i_pool[a]] += step
        y[j_pool[b]] -= step
        y = snap(y, step)
    raise ValueError(f"match_moments: SD {target.sd} unreachable within [{target.low}, {target.high}]")


def match_mean(x: np.ndarray, mean: float, low: float, high: float, step: float, rng: np.random.Generator) -> np.ndarray:
    """Move single values by one ``step`` until the mean is the multiple of the step nearest
    to ``mean`` (per value), keeping every value within ``[low, high]``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = match_mean(np.array([2.0, 2.5, 2.9, 1.8]), 2.3, 0.0, 3.0, 0.1, rng)
    >>> round(float(y.mean()), 2)
    2.3
    """
    y = snap(np.clip(x, low, high), step)
    goal = snap(np.array([mean * len(y)]), step)[0]
    for _ in range(100 * len(y) + 100):
        diff = snap(np.array([goal - y.sum()]), step)[0]
        if abs(diff) < step / 2:
            return y
        up = diff > 0
        cand = np.flatnonzero((y + step <= high + 1e-9) if up else (y - step >= low - 1e-9))
        if not len(cand):
            raise ValueError(f"match_mean: mean {mean} unreachable within [{low}, {high}]")
        i = rng.choice(cand)
        y[i] = snap(np.array([y[i] + (step if up else -step)]), step)[0]
    raise ValueError(f"match_mean: mean {mean} not reached")


def median_slots(n: int, median: float, step: float) -> tuple[int, int, float, float]:
    """Sorted positions of the middle value(s) of ``n`` and the values they must take for
    the median to be ``median`` on a grid of ``step``.

    Examples
    --------
    >>> median_slots(30, 10.5, 1.0), median_slots(29, 10.0, 1.0)
    ((14, 15, 10.0, 11.0), (14, 14, 10.0, 10.0))
    """
    lo_i, hi_i = (n - 1) // 2, n // 2
    on_grid = abs(snap(np.array([median]), step)[0] - median) < 1e-9
    if n % 2 or on_grid:
        return lo_i, hi_i, median, median
    return lo_i, hi_i, round(median - step / 2, 9), round(median + step / 2, 9)


# ---------------------------------------------------------------------------------------
# medians and ranges with bounds


def fit_median_bounded(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, median: float, step: float, rng: np.random.Generator
) -> np.ndarray:
    """Values within their own bounds whose median is exactly ``median``, close to ``x``.

    Parameters
    ----------
    x : ndarray
        The values as drawn (on the grid of ``step``).
    lo, hi : ndarray
        Each value's bounds (``lo == hi`` fixes a value).
    median : float
    step : float
        The grid (for an even count, a median off the grid is the mean of the two grid
        values around it).
    rng : Generator
        Breaks ties between equal values.

    Returns
    -------
    ndarray
        Every value within its bounds; the lower half (by ``x``) at most the lower middle
        value, the upper half at least the upper middle, and the middle value(s) exactly
        on the target.

    Raises
    ------
    ValueError
        When the bounds leave no way to reach the median.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = fit_median_bounded(np.array([1.0, 2, 3, 4, 5]), np.zeros(5), np.full(5, 9.0), 4.0, 1.0, rng)
    >>> float(np.median(y)), y.tolist()
    (4.0, [1.0, 2.0, 4.0, 4.0, 5.0])
    """
    x = snap(np.clip(x, lo, hi), step)
    n = len(x)
    lo_i, hi_i, m_lo, m_hi = median_slots(n, median, step)
    order = list(np.lexsort((rng.random(n), x)))
    lower, upper = order[: lo_i + 1], order[lo_i + 1:]
    # Members that cannot sit in their half trade places with the nearest that can.
    for i in [i for i in lower if lo[i] > m_lo + 1e-9]:
        cand = [j for j in upper if lo[j] <= m_lo + 1e-9 and hi[i] >= m_hi - 1e-9]
        if not cand:
            raise ValueError("fit_median_bounded: too many values bounded above the median")
        j = cand[0]
        lower[lower.index(i)], upper[upper.index(j)] = j, i
    for i in [i for i in upper if hi[i] < m_hi - 1e-9]:
        cand = [j for j in reversed(lower) if hi[j] >= m_hi - 1e-9 and lo[i] <= m_lo + 1e-9]
        if not cand:
            raise ValueError("fit_median_bounded: too many values bounded below the median")
        j = cand[0]
        upper[upper.index(i)], lower[lower.index(j)] = j, i
    y = x.copy()
    for i in lower:
        y[i] = min(y[i], m_lo)
    for i in upper:
        y[i] = max(y[i], m_hi)
    # The middle values: the largest of the lower half, the smallest of the upper.
    lower_sorted = sorted(lower, key=lambda i: (y[i], x[i]))
    holders = [i for i in reversed(lower_sorted) if lo[i] <= m_lo + 1e-9 <= hi[i] + 2e-9]
    if not holders:
        raise ValueError("fit_median_bounded: no value can take the lower middle")
    y[holders[0]] = m_lo
    if lo_i == hi_i:
        return snap(y, step)
    upper_sorted = sorted(upper, key=lambda i: (y[i], x[i]))
    holders = [i for i in upper_sorted if lo[i] - 1e-9 <= m_hi <= hi[i] + 1e-9]
    if not holders:
        raise ValueError("fit_median_bounded: no value can take the upper middle")
    y[holders[0]] = m_hi
    return snap(y, step)


def fit_quantiles_bounded(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, median: float, low: float | None, high: float | None,
    step: float, rng: np.random.Generator,
) -> np.ndarray:
    """:func:`fit_median_bounded`, then the minimum ``low`` and maximum ``high`` (None:
    left as they come) given to the values nearest them that may take them.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = fit_quantiles_bounded(np.array([2.0, 3, 4, 6, 8]), np.zeros(5), np.full(5, 20.0), 4, 0, 10, 1.0, rng)
    >>> y.tolist()
    [0.0, 3.0, 4.0, 6.0, 10.0]
    """
    y = fit_median_bounded(x, lo, hi, median, step, rng)
    n = len(y)
    lo_i, hi_i, m_lo, m_hi = median_slots(n, median, step)
    srt = np.argsort(y, kind="stable")
    middle = {int(srt[lo_i]), int(srt[hi_i])}
    if low is not None:
        y = np.maximum(y, np.where(lo > low, lo, low))
        if not np.isclose(y.min(), low):
            cand = [i for i in np.argsort(y, kind="stable") if i not in middle and lo[i] <= low + 1e-9]
            if not cand:
                raise ValueError(f"fit_quantiles_bounded: no value may be as low as {low}")
            y[cand[0]] = low
    if high is not None:
        y = np.minimum(y, np.where(hi < high, hi, high))
        if not np.isclose(y.max(), high):
            cand = [i for i in np.argsort(-y, kind="stable") if i not in middle and hi[i] >= high - 1e-9]
            if not cand:
                raise ValueError(f"fit_quantiles_bounded: no value may be as high as {high}")
            y[cand[0]] = high
    return snap(y, step)


# ---------------------------------------------------------------------------------------
# labs


def map_threshold_lab(
    x: np.ndarray, median: float, low: float, high: float | None, cut: float | None, decimals: int
) -> np.ndarray:
    """A monotone piecewise-linear map of ``x`` onto a median, minimum and maximum, with
    ``cut`` mapped onto itself (values stay on their side of it).

    Knots: the sample minimum, ``cut`` (when given), the sample median and maximum map
    onto ``low``, ``cut``, ``median`` and ``high`` (``high`` None: the maximum maps onto
    itself). Ranks are kept; values equal to ``cut`` stay equal. For an even count the
    two middle values both become ``median`` when it has ``decimals`` places, else the
    two values one unit apart around it.

    Examples
    --------
    >>> map_threshold_lab(np.array([5.0, 20.0, 40.0, 60.0, 900.0]), 34.8, 1.0, 1783.15, 30.0, 2).tolist()
    [1.0, 18.4, 34.8, 75.46, 1783.15]
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    srt = np.sort(x)
    unit = 10.0 ** -decimals
    lo_i, hi_i, m_lo, m_hi = median_slots(n, median, unit)
    xmed = (srt[lo_i] + srt[hi_i]) / 2
    xmin, xmax = srt[0], srt[-1]
    top = xmax if high is None else high
    kx, ky = [xmin], [low]
    if cut is not None:
        if (xmed - cut) * (median - cut) <= 0 and not np.isclose(xmed, median):
            raise ValueError(f"map_threshold_lab: the sample median {xmed:g} and the target {median:g} lie on "
                             f"opposite sides of {cut:g}")
        if xmin < cut < xmed or xmed < cut < xmax:
            kx.append(cut)
            ky.append(cut)
    kx += [xmed, xmax]
    ky += [median, top]
    kx, ky = np.array(kx), np.array(ky)
    keep = np.r_[True, np.diff(kx) > 0]
    y = np.interp(x, kx[keep], ky[keep])
    y = np.round(y, decimals)
    order = np.argsort(x, kind="stable")
    y[order[lo_i]], y[order[hi_i]] = m_lo, m_hi
    y[order[:lo_i]] = np.minimum(y[order[:lo_i]], m_lo)
    y[order[hi_i + 1:]] = np.maximum(y[order[hi_i + 1:]], m_hi)
    y[order[0]] = low
    y[order[-1]] = top
    if cut is not None:
        above = x > cut
        y = np.where(above, np.maximum(y, round(cut + unit, decimals)), np.minimum(y, cut))
    return np.round(y, decimals)
