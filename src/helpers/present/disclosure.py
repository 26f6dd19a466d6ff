"""Small-count suppression for the public build profile.

A site built from real patient data for the public shows no count from 1 to
``threshold - 1`` (default 5): such cells become ``"< 5"`` in tables, CSV downloads and
prose, the usual threshold of statistical disclosure control for health statistics
(e.g. the UK Office for National Statistics' and NHS Digital's small-number rules).
Zero stays zero: it discloses nothing about a person.

Which numbers are counts is decided by name, so the rule is the same everywhere:
glue names and CSV columns that are ``n``, start with ``n_`` or end with ``_n``,
``_subjects``, ``_responders``, ``_events``, ``_count`` (or are ``responders``,
``n_subjects`` and the like); in the displayed tables, cells that read ``n`` or
``n (pct%)``.
"""

from __future__ import annotations

import re

import pandas as pd

_COUNT_NAME = re.compile(r"^(n|n_.+|.+_n|.*responders.*|.+_subjects|subjects|.+_events|events|.+_count|count)$")
#: A displayed cell that is a count: ``3`` or ``3 (7.5%)``.
_COUNT_CELL = re.compile(r"^\s*(\d+)(\s*\(\s*[\d.]+\s*%\s*\))?\s*$")


def is_count_name(name: str) -> bool:
    """Whether a glue name or column name holds a count of subjects or events.

    Examples
    --------
    >>> [is_count_name(x) for x in ("n_enrolled", "primary_n", "sae_subjects", "primary_rate", "primary_week")]
    [True, True, True, False, False]
    """
    return bool(_COUNT_NAME.match(name.split("@")[0].lower()))


def suppressed(threshold: int) -> str:
    """The text shown instead of a small count."""
    return f"< {threshold}"


def mask_count(value: object, threshold: int) -> object:
    """``value`` itself, or ``"< threshold"`` when it is a count from 1 to threshold - 1.

    Examples
    --------
    >>> mask_count(3, 5), mask_count(0, 5), mask_count(36, 5), mask_count(2.5, 5)
    ('< 5', 0, 36, 2.5)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if float(value).is_integer() and 0 < value < threshold:
        return suppressed(threshold)
    return value


def mask_display(display: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """A copy of a table's display frame with every small count cell (``n`` or
    ``n (pct%)``) shown as ``"< threshold"``; labels and other statistics are kept.

    Examples
    --------
    >>> mask_display(pd.DataFrame({"Term": ["Rash 2"], "IL-2": ["3 (7.5%)"], "Total": ["12 (30.0%)"]}), 5)
       Term IL-2        Total
    0  Rash 2  < 5  12 (30.0%)
    """

    def cell(x: object) -> object:
        if isinstance(x, str):
            m = _COUNT_CELL.match(x)
            if m and 0 < int(m.group(1)) < threshold:
                return suppressed(threshold)
        return x

    out = display.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(cell)
        elif pd.api.types.is_integer_dtype(out[col].dtype) and is_count_name(str(col)):
            out[col] = out[col].map(lambda v: mask_count(v, threshold)).astype(object)
    return out


_SHARE_NAME = re.compile(r"^(pct|rate|percent|proportion|.+_pct|.+_rate)$")


def mask_data(data: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """A copy of a table's download frame with small values of its count columns (by
    name, see :func:`is_count_name`) as ``"< threshold"``, and the shares (``pct``,
    ``rate``, ``*_pct``, ``*_rate``) of those rows too, since a share and its
    denominator give the count back.

    Examples
    --------
    >>> mask_data(pd.DataFrame({"term": ["Rash", "Fever"], "n_subjects": [3, 12], "pct": [0.075, 0.3]}), 5)
        term n_subjects    pct
    0   Rash        < 5    < 5
    1  Fever         12    0.3
    """
    out = data.copy()
    small = pd.Series(False, index=out.index)
    for col in out.columns:
        if is_count_name(str(col)) and pd.api.types.is_numeric_dtype(out[col].dtype):
            values = out[col]
            hit = values.notna() & (values > 0) & (values < threshold) & (values % 1 == 0)
            small |= hit
            out[col] = values.astype(object).where(~hit, suppressed(threshold))
    for col in out.columns:
        if _SHARE_NAME.match(str(col).lower()) and small.any():
            out[col] = out[col].astype(object).where(~small, suppressed(threshold))
    return out
