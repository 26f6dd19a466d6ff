"""Display strings for numbers: the only place where a result is rounded.

Every table cell and every number the prose module writes goes through these, so a
p-value, a percentage or an interval reads the same everywhere in the book.
"""

from __future__ import annotations

import math

import pandas as pd


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def format_number(x: float, digits: int = 1) -> str:
    """A number with fixed decimals; ``-`` when missing.

    Examples
    --------
    >>> format_number(3.14159, 2), format_number(float("nan"))
    ('3.14', '-')
    """
    if _missing(x):
        return "-"
    return f"{x:.{digits}f}"


def format_n_pct(n: int, total: int, digits: int = 1) -> str:
    """``n (pct%)``; ``0`` shown explicitly as ``0 (0.0%)``.

    Examples
    --------
    >>> format_n_pct(36, 40), format_n_pct(0, 40), format_n_pct(0, 0)
    ('36 (90.0%)', '0 (0.0%)', '0')
    """
    if not total:
        return f"{n}"
    return f"{n} ({100 * n / total:.{digits}f}%)"


def format_rate_ci(responders: int, n: int, ci_low: float, ci_high: float, digits: int = 1) -> str:
    """``x/n (pct%) [low-high]`` with the interval in per cent.

    Examples
    --------
    >>> format_rate_ci(36, 40, 0.7634, 0.9721)
    '36/40 (90.0%) [76.3-97.2]'
    """
    if not n:
        return "0/0"
    return f"{responders}/{n} ({100 * responders / n:.{digits}f}%) [{100 * ci_low:.{digits}f}-{100 * ci_high:.{digits}f}]"


def format_p(p: float, digits: int = 3) -> str:
    """A p value: ``<0.001`` below the display precision, ``-`` when missing.

    Examples
    --------
    >>> format_p(0.0412), format_p(0.00001), format_p(float("nan"))
    ('0.041', '<0.001', '-')
    """
    if _missing(p):
        return "-"
    floor = 10 ** (-digits)
    return f"<{floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def format_median_iqr(median: float, q1: float, q3: float, digits: int = 1) -> str:
    """``median [q1, q3]``.

    Examples
    --------
    >>> format_median_iqr(31, 25.5, 38)
    '31.0 [25.5, 38.0]'
    """
    if _missing(median):
        return "-"
    return f"{median:.{digits}f} [{q1:.{digits}f}, {q3:.{digits}f}]"


def format_estimate_ci(estimate: float, lo: float, hi: float, digits: int = 2) -> str:
    """``estimate (low to high)``.

    Examples
    --------
    >>> format_estimate_ci(0.2517, 0.0007, 0.4632)
    '0.25 (0.00 to 0.46)'
    """
    if _missing(estimate):
        return "-"
    return f"{estimate:.{digits}f} ({lo:.{digits}f} to {hi:.{digits}f})"


def format_signed(x: float, digits: int = 1) -> str:
    """A number with its sign, never a negative zero (``+0``); ``-`` when missing.

    Examples
    --------
    >>> format_signed(-0.04, 0), format_signed(2.345, 2), format_signed(-1.0, 1), format_signed(float("nan"))
    ('+0', '+2.35', '-1.0', '-')
    """
    if _missing(x):
        return "-"
    v = round(float(x), digits)
    return f"{(v if v != 0 else 0.0):+.{digits}f}"
