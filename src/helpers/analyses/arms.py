"""Arms and the total: the one place that knows how "all subjects" is labelled.

With several arms, summaries are computed per arm and for all subjects together, the
latter labelled :data:`TOTAL` (a baseline or safety table's Total column); with one arm
the arm itself is the total, and no separate row is made.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: The label of all subjects together, with several arms.
TOTAL = "Total"


def total_label(arms: Sequence[str]) -> str:
    """The arm label that holds all subjects: :data:`TOTAL` with several arms, else the arm.

    Examples
    --------
    >>> total_label(["IL-2"]), total_label(["IL-2", "Placebo"])
    ('IL-2', 'Total')
    """
    return TOTAL if len(arms) > 1 else arms[0]


def arms_and_total(arms: Sequence[str], total: bool = True) -> list[str]:
    """The arms, then :data:`TOTAL` when there are several (and ``total`` is asked for):
    the column order of by-arm tables.

    Examples
    --------
    >>> arms_and_total(["IL-2"]), arms_and_total(["IL-2", "Placebo"]), arms_and_total(["A", "B"], total=False)
    (['IL-2'], ['IL-2', 'Placebo', 'Total'], ['A', 'B'])
    """
    cols = list(arms)
    if total and len(arms) > 1:
        cols.append(TOTAL)
    return cols


def with_total(df: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Stack a copy of ``df`` labelled :data:`TOTAL` under it when there are several arms,
    so that any per-arm summary computed with ``by=arm`` also yields the total.

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": ["A", "B"], "x": [1, 2]})
    >>> with_total(df, "TRT01A", ["A", "B"])["TRT01A"].tolist()
    ['A', 'B', 'Total', 'Total']
    """
    if len(arms) <= 1:
        return df
    return pd.concat([df, df.assign(**{arm: TOTAL})], ignore_index=True)
