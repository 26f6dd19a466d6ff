"""Serology in the layout of the randomized trial's Table 2 (He et al., Ann Rheum Dis
2020;79:141-9): ANA titre decreased (n (%)), anti-dsDNA, anti-nucleosome antibodies
(AnuA), C3 and C4 (median (range)), by arm at baseline and the reported weeks, with the
within-arm p-value "as published" beside the paired test, and the between-arm
difference with its interval.

The layout and its statistics are :mod:`helpers.analyses.paper_tables`'s (one engine for
every published table); this module only says which rows the data carry
(:func:`serology_measures`), from the derivations of :mod:`helpers.derive.serology`.

Result names (:func:`helpers.analyses.paper_tables.result_name`, the arm suffix added by
the chapter API): ``<measure>_week<w>_<statistic>@<arm>`` with the measure codes of
:data:`SEROLOGY_MEASURES`, e.g. ``ana_decreased_week12_n@IL-2``,
``ana_decreased_week12_subjects@IL-2`` (the denominator), ``ana_decreased_week12_pct@IL-2``,
``antidsdna_week0_median@Placebo``, ``anua_week24_min@IL-2``, ``c3_week12_max@IL-2``,
``c4_week12_p_published@IL-2``, ``c4_week12_p_paired@IL-2``; between arms
``c3_week24_diff@IL-2-vs-Placebo`` with ``_diff_ci_low``, ``_diff_ci_high``, ``_diff_p``.
"""

from __future__ import annotations

import pandas as pd

from helpers.analyses.paper_tables import PaperMeasure
from helpers.derive.serology import derive_serology_change, derive_titre_decrease

#: The serology rows of Table 2, in its order: measure code -> (``PARAMCD`` of ``adlb``,
#: kind). ``ana_decreased`` is the titre at least one doubling dilution below baseline
#: (:func:`helpers.derive.serology.derive_titre_decrease`).
SEROLOGY_MEASURES: dict[str, tuple[str, str]] = {
    "ana_decreased": ("ANA", "binary"),
    "antidsdna": ("DSDNA", "continuous"),
    "anua": ("ANUA", "continuous"),
    "c3": ("C3", "continuous"),
    "c4": ("C4", "continuous"),
}


def serology_measures(adlb: pd.DataFrame, population: pd.DataFrame, arm: str, baseline_week: int = 0,
                      fold: float = 2.0) -> list[PaperMeasure]:
    """The serology rows the lab table carries, as measures of a published table.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``.
    population : DataFrame
        The analysis population: ``USUBJID`` and the arm column (a subject outside it is
        left out).
    arm : str
        The arm column.
    baseline_week : int
    fold : float
        The titre decrease that counts (2: one doubling dilution).

    Returns
    -------
    list of PaperMeasure
        In the order of :data:`SEROLOGY_MEASURES`, only those whose ``PARAMCD`` the table
        holds: ``ana_decreased`` (binary, flag ``DECRFL``), the others continuous on
        ``AVAL``; each frame one row per subject and visit with the arm.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["a", "a", "a", "a"], "AVISITN": [0, 12, 0, 12],
    ...                    "PARAMCD": ["ANA", "ANA", "C3", "C3"], "AVAL": [640.0, 160.0, 0.6, 0.8]})
    >>> ms = serology_measures(lb, pd.DataFrame({"USUBJID": ["a"], "ARM": ["X"]}), "ARM")
    >>> [(m.code, m.kind, m.column) for m in ms]
    [('ana_decreased', 'binary', 'DECRFL'), ('c3', 'continuous', 'AVAL')]
    >>> ms[0].data[["AVISITN", "DECRFL", "ARM"]].values.tolist()
    [[0, 'N', 'X'], [12, 'Y', 'X']]
    """
    missing = [c for c in ("USUBJID", "AVISITN", "PARAMCD", "AVAL") if c not in adlb.columns]
    if missing:
        raise ValueError(f"serology_measures: adlb lacks columns {missing}")
    if arm not in population.columns:
        raise ValueError(f"serology_measures: the population has no arm column {arm!r}")
    held = set(adlb["PARAMCD"].astype("str"))
    subjects = population[["USUBJID", arm]].assign(USUBJID=population["USUBJID"].astype("str"))
    measures = []
    for code, (paramcd, kind) in SEROLOGY_MEASURES.items():
        if paramcd not in held:
            continue
        if kind == "binary":
            rows = derive_titre_decrease(adlb, paramcd, fold=fold, baseline_week=baseline_week)
            column = "DECRFL"
        else:
            rows = derive_serology_change(adlb, [paramcd], baseline_week=baseline_week)
            column = "AVAL"
        rows = rows.assign(USUBJID=rows["USUBJID"].astype("str")).drop(columns=[arm], errors="ignore")
        data = rows.merge(subjects, on="USUBJID", how="inner").reset_index(drop=True)
        measures.append(PaperMeasure(code, kind, data, column))
    return measures
