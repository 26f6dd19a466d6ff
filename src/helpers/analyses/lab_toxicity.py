"""Laboratory toxicity: CTCAE v5.0 grades of the "decreased" blood counts (white cells,
lymphocytes, platelets, haemoglobin) at baseline and after it, for the safety population.

``adlb`` holds the laboratory values (``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``,
``ANRLO`` in the contract's units); ``population`` is the safety population, one row per
subject with ``USUBJID`` and the arm (:meth:`helpers.data.cohort.Cohort.population`).
Only the tests of :data:`helpers.definitions.CTCAE_DECREASED` that ``adlb`` holds are
graded. Frames are tidy and keyed by ``PARAMCD`` and the grade (0 normal to 4; missing
when there is no value); :mod:`helpers.present.safety` labels them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from helpers import definitions as d
from helpers.analyses.adverse_events import (
    MISSING,
    arm_list,
    denominators,
    percent_of,
    population_of,
    tally_subjects,
)
from helpers.analyses.arms import TOTAL, arms_and_total
from helpers.derive import derive_ctcae_grade
from helpers.errors import require_columns

#: Laboratory grades 0 (normal) to 4 of the CTCAE v5.0 "decreased" terms.
LAB_GRADES: tuple[int, ...] = (0, 1, 2, 3, 4)


def summarize_lab_grades(
    adlb: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    baseline_week: int = 0,
) -> pd.DataFrame:
    """Each subject's CTCAE v5.0 grade at baseline and worst grade after baseline, for
    white cells, lymphocytes, platelets and haemoglobin.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``, ``ANRLO`` in the contract's units.
    population : DataFrame
        The safety population: ``USUBJID`` and ``arm``.
    arm : str
    baseline_week : int
        ``AVISITN`` of baseline; later weeks are post-baseline.

    Returns
    -------
    DataFrame
        One row per subject of the safety population and graded test present in
        ``adlb``: ``USUBJID``, the arm column, ``PARAMCD``, ``term`` (CTCAE term),
        ``base_grade`` and ``worst_grade`` (float, 0 to 4; missing without a value).

    Raises
    ------
    ValueError
        ``adlb`` lacks one of its columns.

    Notes
    -----
    Grades from :func:`helpers.derive.derive_ctcae_grade`; the worst grade is the
    highest over every post-baseline visit.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "AVISITN": [0, 2, 4, 0], "PARAMCD": "PLAT",
    ...                      "AVAL": [200.0, 90.0, 40.0, 120.0], "ANRLO": 125.0})
    >>> summarize_lab_grades(adlb, pop)[["USUBJID", "PARAMCD", "base_grade", "worst_grade"]]
      USUBJID PARAMCD  base_grade  worst_grade
    0       1    PLAT         0.0          3.0
    1       2    PLAT         1.0          NaN
    """
    require_columns(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL", "ANRLO"], "summarize_lab_grades", "adlb")
    pop = population_of(population, arm, arm_list(population, arm, None, "summarize_lab_grades"), "summarize_lab_grades")
    codes = [c for c in d.CTCAE_DECREASED if c in set(adlb["PARAMCD"])]
    lb = derive_ctcae_grade(adlb[adlb["PARAMCD"].isin(codes)])
    base = lb[lb["AVISITN"] == baseline_week].groupby(["USUBJID", "PARAMCD"])["ATOXGR"].max().rename("base_grade")
    post = lb[lb["AVISITN"] > baseline_week].groupby(["USUBJID", "PARAMCD"])["ATOXGR"].max().rename("worst_grade")
    grid = pop.merge(pd.DataFrame({"PARAMCD": pd.Series(codes, dtype="object")}), how="cross")
    grid["term"] = grid["PARAMCD"].map({k: v["term"] for k, v in d.CTCAE_DECREASED.items()})
    out = grid.merge(base.reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    out = out.merge(post.reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_o=out["PARAMCD"].map(order)).sort_values(["USUBJID", "_o"], kind="stable").drop(columns="_o")
    out["base_grade"] = out["base_grade"].astype("float64")
    out["worst_grade"] = out["worst_grade"].astype("float64")
    return out.reset_index(drop=True)


def summarize_lab_high_grade(
    adlb: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade: int = 3,
    baseline_week: int = 0,
) -> pd.DataFrame:
    """Subjects whose worst post-baseline grade in any of the graded tests reached
    ``grade`` or more, and how many of them were worse than at baseline.

    Returns
    -------
    DataFrame
        The arm column (then ``Total``), ``n_subjects`` (worst grade >= ``grade`` in at
        least one test), ``n_worsened`` (the same, in a test whose worst grade is above
        its baseline grade; a missing baseline counts as grade 0), ``n`` and ``pct``.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": "A"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2", "3"], "AVISITN": [0, 2, 0, 2, 2],
    ...                      "PARAMCD": "PLAT", "AVAL": [200.0, 40.0, 40.0, 45.0, 30.0], "ANRLO": 125.0})
    >>> summarize_lab_high_grade(adlb, pop)
      TRT01A  n_subjects  n_worsened  n    pct
    0      A           3           2  3  100.0
    """
    arms = arm_list(population, arm, arms, "summarize_lab_high_grade")
    n = denominators(population, arm, arms, "summarize_lab_high_grade")
    g = summarize_lab_grades(adlb, population, arm, baseline_week)
    g = g[g[arm].isin(arms)]
    high = g[g["worst_grade"] >= grade]
    worse = high[high["worst_grade"] > high["base_grade"].fillna(0)]
    rows = []
    for a in arms_and_total(arms):
        h = high if a == TOTAL else high[high[arm] == a]
        w = worse if a == TOTAL else worse[worse[arm] == a]
        rows.append({arm: a, "n_subjects": h["USUBJID"].nunique(), "n_worsened": w["USUBJID"].nunique(), "n": n[a]})
    out = pd.DataFrame(rows)
    out["pct"] = percent_of(out["n_subjects"], out["n"])
    return out


def summarize_lab_worst_grade(
    adlb: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    baseline_week: int = 0,
) -> pd.DataFrame:
    """Subjects by their worst post-baseline CTCAE grade, per test and arm.

    Returns
    -------
    DataFrame
        ``PARAMCD``, ``term``, ``grade`` (``Int64`` 0 to 4; missing for subjects with no
        post-baseline value, a row shown only when there are such subjects), the arm
        column, ``n_subjects``, ``n`` (safety population) and ``pct``.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2"], "AVISITN": [0, 2, 0, 2], "PARAMCD": "PLAT",
    ...                      "AVAL": [200.0, 40.0, 120.0, 130.0], "ANRLO": 125.0})
    >>> summarize_lab_worst_grade(adlb, pop)[["grade", "n_subjects", "pct"]]
       grade  n_subjects   pct
    0      0           1  50.0
    1      1           0   0.0
    2      2           0   0.0
    3      3           1  50.0
    4      4           0   0.0
    """
    arms = arm_list(population, arm, arms, "summarize_lab_worst_grade")
    n = denominators(population, arm, arms, "summarize_lab_worst_grade")
    subj = summarize_lab_grades(adlb, population, arm, baseline_week)
    subj = subj[subj[arm].isin(arms)]
    ev = subj.assign(grade=subj["worst_grade"].fillna(MISSING).astype("int64"))
    cols = ["PARAMCD", "term", "grade", arm, "n_subjects", "n", "pct"]
    parts = []
    for code in pd.unique(subj["PARAMCD"]):
        e = ev[ev["PARAMCD"] == code]
        grades = list(LAB_GRADES) + ([MISSING] if (e["grade"] == MISSING).any() else [])
        part = tally_subjects(e[["USUBJID", arm, "PARAMCD", "grade"]], pd.DataFrame({"PARAMCD": code, "grade": grades}),
                              arm, arms, n)
        parts.append(part.assign(term=d.CTCAE_DECREASED[code]["term"]))
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["grade"] = out["grade"].astype("Int64").where(out["grade"] != MISSING, pd.NA)
    return out[cols]


def lab_high_grade_by_test(worst: pd.DataFrame, arm: str, grade: int = 3) -> pd.DataFrame:
    """Subjects whose worst post-baseline grade reached ``grade`` or more, per test
    (:func:`summarize_lab_worst_grade`): one row per arm (then the total) and one
    column per ``PARAMCD``.

    Examples
    --------
    >>> w = pd.DataFrame({"PARAMCD": ["PLAT"] * 4, "grade": pd.array([0, 3, 0, 4], dtype="Int64"),
    ...                   "TRT01A": ["A", "A", "B", "B"], "n_subjects": [1, 1, 2, 1]})
    >>> lab_high_grade_by_test(w, "TRT01A")
      TRT01A  PLAT
    0      A     1
    1      B     1
    """
    out = pd.DataFrame({arm: pd.unique(worst[arm])})
    for code in pd.unique(worst["PARAMCD"]):
        w = worst[(worst["PARAMCD"] == code) & (worst["grade"] >= grade).fillna(False).astype(bool)]
        counts = w.groupby(arm, sort=False)["n_subjects"].sum()
        out[code] = out[arm].map(counts).fillna(0).astype("int64")
    return out


def summarize_lab_shift(
    adlb: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    baseline_week: int = 0,
) -> pd.DataFrame:
    """Shift from the baseline grade to the worst post-baseline grade, per test and arm.

    Returns
    -------
    DataFrame
        ``PARAMCD``, ``term``, the arm column (arms only, no total), ``base_grade`` and
        ``worst_grade`` (``Int64`` 0 to 4, missing when there is no value; the missing
        level appears only when some subject has it) and ``n_subjects``, for every
        combination (zeros included).

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2"], "AVISITN": [0, 2, 0, 2], "PARAMCD": "PLAT",
    ...                      "AVAL": [200.0, 40.0, 120.0, 130.0], "ANRLO": 125.0})
    >>> s = summarize_lab_shift(adlb, pop)
    >>> s[s["n_subjects"] > 0][["base_grade", "worst_grade", "n_subjects"]]
       base_grade  worst_grade  n_subjects
    3           0            3           1
    5           1            0           1
    """
    arms = arm_list(population, arm, arms, "summarize_lab_shift")
    subj = summarize_lab_grades(adlb, population, arm, baseline_week)
    subj = subj[subj[arm].isin(arms)]
    parts = []
    for code in pd.unique(subj["PARAMCD"]):
        s = subj[subj["PARAMCD"] == code]
        b = s["base_grade"].fillna(MISSING).astype("int64")
        w = s["worst_grade"].fillna(MISSING).astype("int64")
        base_levels = list(LAB_GRADES) + ([MISSING] if (b == MISSING).any() else [])
        worst_levels = list(LAB_GRADES) + ([MISSING] if (w == MISSING).any() else [])
        grid = pd.MultiIndex.from_product([arms, base_levels, worst_levels], names=[arm, "base_grade", "worst_grade"])
        counts = pd.DataFrame({arm: s[arm].to_numpy(), "base_grade": b.to_numpy(), "worst_grade": w.to_numpy()})
        counts = counts.groupby([arm, "base_grade", "worst_grade"]).size().rename("n_subjects")
        part = counts.reindex(grid, fill_value=0).reset_index()
        parts.append(part.assign(PARAMCD=code, term=d.CTCAE_DECREASED[code]["term"]))
    cols = ["PARAMCD", "term", arm, "base_grade", "worst_grade", "n_subjects"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    for col in ("base_grade", "worst_grade"):
        out[col] = out[col].astype("Int64").where(out[col] != MISSING, pd.NA)
    out["n_subjects"] = out["n_subjects"].astype("int64")
    return out[cols]
