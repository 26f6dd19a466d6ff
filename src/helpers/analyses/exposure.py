"""Exposure to the study drug: doses each subject of the safety population received in
each treatment course, and their summary by arm against the planned regimen.

``adex`` holds one row per dose given (``USUBJID``, the dose, ``APERIOD``, the course);
``population`` is the safety population, one row per subject with ``USUBJID`` and the
arm (:meth:`helpers.data.cohort.Cohort.population`): doses of other subjects are not
counted, and a subject of the population without a dose in a course counts with 0 doses
in it. Frames are tidy and keyed by the course number (missing for all courses
together); :mod:`helpers.present.safety` labels them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analyses.adverse_events import arm_list, percent_of, population_of
from helpers.analyses.arms import TOTAL, arms_and_total
from helpers.errors import require_columns


def _course_numbers(adex: pd.DataFrame, courses: Sequence) -> list[int]:
    given = {int(c) for c in adex["APERIOD"].dropna().unique()}
    return sorted({int(c.number) for c in courses} | given)


def summarize_subject_exposure(
    adex: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    dose: str = "EXDOSE",
    courses: Sequence = (),
) -> pd.DataFrame:
    """Doses each subject of the safety population received in each course.

    Parameters
    ----------
    adex : DataFrame
        One row per dose given: ``USUBJID``, ``dose``, ``APERIOD`` (course).
    population : DataFrame
        The safety population: ``USUBJID`` and ``arm``.
    arm : str
    dose : str
        Dose column (a placebo dose of 0 still counts as a dose given).
    courses : sequence of helpers.data.config.Course
        The planned courses; a course nobody received still gets its rows.

    Returns
    -------
    DataFrame
        One row per subject and course: ``USUBJID``, the arm column, ``course``,
        ``n_doses`` and ``cum_dose`` (0 when none).

    Raises
    ------
    ValueError
        ``adex`` lacks ``USUBJID``, ``dose`` or ``APERIOD``.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A"})
    >>> adex = pd.DataFrame({"USUBJID": ["1", "1", "1"], "EXDOSE": 1.0, "APERIOD": [1, 1, 2]})
    >>> summarize_subject_exposure(adex, pop)
      USUBJID TRT01A  course  n_doses  cum_dose
    0       1      A       1        2       2.0
    1       1      A       2        1       1.0
    2       2      A       1        0       0.0
    3       2      A       2        0       0.0
    """
    require_columns(adex, ["USUBJID", dose, "APERIOD"], "summarize_subject_exposure", "adex")
    pop = population_of(population, arm, arm_list(population, arm, None, "summarize_subject_exposure"), "summarize_subject_exposure")
    numbers = _course_numbers(adex, courses)
    grid = pop.merge(pd.DataFrame({"course": numbers}), how="cross")
    ex = adex[adex["APERIOD"].notna()]
    per = (
        ex.assign(course=ex["APERIOD"].astype("int64"), _dose=pd.to_numeric(ex[dose], errors="coerce"))
        .groupby(["USUBJID", "course"], sort=False)
        .agg(n_doses=("USUBJID", "size"), cum_dose=("_dose", "sum"))
        .reset_index()
    )
    out = grid.merge(per, on=["USUBJID", "course"], how="left")
    out["n_doses"] = out["n_doses"].fillna(0).astype("int64")
    out["cum_dose"] = out["cum_dose"].fillna(0.0).astype("float64")
    return out.sort_values(["USUBJID", "course"], kind="stable").reset_index(drop=True)


def summarize_exposure(
    adex: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    dose: str = "EXDOSE",
    courses: Sequence = (),
    planned_per_course: int | None = None,
) -> pd.DataFrame:
    """Exposure by arm and course: who was dosed, doses given against planned, and the
    cumulative dose.

    Parameters
    ----------
    adex, population, arm, dose, courses : see :func:`summarize_subject_exposure`
    arms : sequence of str, optional
        Arms in display order (default: order of first appearance in ``population``).
    planned_per_course : int, optional
        Doses the regimen plans in one course; ``None`` leaves the planned columns
        missing.

    Returns
    -------
    DataFrame
        One row per period (all courses, then each course) and arm (then ``Total``):
        ``course`` (``Int64``, missing for all courses), the arm column, ``n`` (safety
        population), ``n_dosed`` (subjects with a dose in the period), ``pct_dosed``,
        ``doses_planned`` (per subject), ``doses_given`` (all subjects),
        ``pct_planned`` (100 doses_given / (n doses_planned)), ``n_all_planned``
        (subjects given every planned dose), ``doses_median``, ``doses_min``,
        ``doses_max`` (per subject, zeros included), ``cum_dose_median``,
        ``cum_dose_q1``, ``cum_dose_q3``, ``cum_dose_min``, ``cum_dose_max`` (missing
        for ``Total`` when the arms received different treatments, ``EXTRT``) and
        ``dose_unit``.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A"})
    >>> adex = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "EXDOSE": 1.0, "EXDOSU": "MIU",
    ...                      "APERIOD": [1, 1, 2, 1]})
    >>> s = summarize_exposure(adex, pop, planned_per_course=2)
    >>> s[["course", "n_dosed", "doses_planned", "doses_given", "pct_planned", "n_all_planned"]]
       course  n_dosed  doses_planned  doses_given  pct_planned  n_all_planned
    0    <NA>        2              4            4         50.0              0
    1       1        2              2            3         75.0              1
    2       2        1              2            1         25.0              0
    """
    arms = arm_list(population, arm, arms, "summarize_exposure")
    subj = summarize_subject_exposure(adex, population, arm, dose, courses)
    subj = subj[subj[arm].isin(arms)]
    numbers = _course_numbers(adex, courses)
    units = adex["EXDOSU"].dropna().astype("str").str.strip() if "EXDOSU" in adex.columns else pd.Series(dtype="str")
    unit = ", ".join(sorted(set(units[units != ""])))
    # a total of doses of different treatments (IL-2 and placebo) means nothing
    mixed = "EXTRT" in adex.columns and adex["EXTRT"].dropna().astype("str").str.strip().nunique() > 1
    everything = subj.groupby(["USUBJID", arm], sort=False)[["n_doses", "cum_dose"]].sum().reset_index()
    periods = [(pd.NA, everything, len(numbers))]
    periods += [(c, subj[subj["course"] == c], 1) for c in numbers]
    rows = []
    for course, frame, k in periods:
        for a in arms_and_total(arms):
            g = frame if a == TOTAL else frame[frame[arm] == a]
            planned = float(planned_per_course * k) if planned_per_course is not None else np.nan
            m = len(g)
            given = int(g["n_doses"].sum())
            cum = g["cum_dose"] if not (mixed and a == TOTAL) else g["cum_dose"].iloc[:0]
            q = cum.quantile([0.25, 0.5, 0.75]) if len(cum) else pd.Series([np.nan] * 3, index=[0.25, 0.5, 0.75])
            rows.append({
                "course": course, arm: a, "n": m,
                "n_dosed": int((g["n_doses"] > 0).sum()),
                "doses_planned": planned, "doses_given": given,
                "n_all_planned": int((g["n_doses"] >= planned).sum()) if planned_per_course is not None else pd.NA,
                "doses_median": float(g["n_doses"].median()) if m else np.nan,
                "doses_min": float(g["n_doses"].min()) if m else np.nan,
                "doses_max": float(g["n_doses"].max()) if m else np.nan,
                "cum_dose_median": float(q[0.5]), "cum_dose_q1": float(q[0.25]), "cum_dose_q3": float(q[0.75]),
                "cum_dose_min": float(cum.min()) if len(cum) else np.nan,
                "cum_dose_max": float(cum.max()) if len(cum) else np.nan,
                "dose_unit": unit,
            })
    out = pd.DataFrame(rows)
    out["course"] = out["course"].astype("Int64")
    out["n_all_planned"] = out["n_all_planned"].astype("Int64")
    out["pct_dosed"] = percent_of(out["n_dosed"], out["n"])
    out["pct_planned"] = (100 * out["doses_given"] / (out["n"] * out["doses_planned"]).where(out["n"] > 0)).astype("float64")
    if planned_per_course is not None:
        out["doses_planned"] = out["doses_planned"].astype("int64")
    cols = ["course", arm, "n", "n_dosed", "pct_dosed", "doses_planned", "doses_given", "pct_planned",
            "n_all_planned", "doses_median", "doses_min", "doses_max", "cum_dose_median", "cum_dose_q1",
            "cum_dose_q3", "cum_dose_min", "cum_dose_max", "dose_unit"]
    return out[cols]


def exposure_by_arm(exposure: pd.DataFrame, arm: str) -> pd.DataFrame:
    """The all-courses rows of :func:`summarize_exposure`, one per arm (then the total),
    with ``last_course_n_dosed``: subjects dosed in the last course.

    Examples
    --------
    >>> e = pd.DataFrame({"course": pd.array([None, 1, 2], dtype="Int64"), "TRT01A": "A",
    ...                   "n_dosed": [2, 2, 1], "doses_median": [3.0, 2.0, 1.0]})
    >>> exposure_by_arm(e, "TRT01A")
       course TRT01A  n_dosed  doses_median  last_course_n_dosed
    0    <NA>      A        2           3.0                    1
    """
    every = exposure[exposure["course"].isna()].reset_index(drop=True)
    last = exposure[exposure["course"] == exposure["course"].max()]
    return every.merge(last[[arm, "n_dosed"]].rename(columns={"n_dosed": "last_course_n_dosed"}), on=arm, how="left")


def dosed_by_course(exposure: pd.DataFrame, arm: str) -> pd.DataFrame:
    """Subjects dosed in each course (:func:`summarize_exposure`), one row per arm (then
    the total) and one column per course number.

    Examples
    --------
    >>> e = pd.DataFrame({"course": pd.array([None, None, 1, 1, 2, 2], dtype="Int64"), "TRT01A": ["A", "B"] * 3,
    ...                   "n_dosed": [2, 2, 2, 1, 1, 0]})
    >>> dosed_by_course(e, "TRT01A")
      TRT01A  1  2
    0      A  2  1
    1      B  1  0
    """
    rows = exposure[exposure["course"].notna()]
    out = pd.DataFrame({arm: pd.unique(exposure[arm])})
    for course in pd.unique(rows["course"]):
        c = rows[rows["course"] == course]
        out = out.merge(c[[arm, "n_dosed"]].rename(columns={"n_dosed": int(course)}), on=arm, how="left")
    return out


def planned_doses(exposure: pd.DataFrame) -> int | None:
    """Doses the regimen plans per subject over all courses (:func:`summarize_exposure`);
    ``None`` without a plan.

    Examples
    --------
    >>> e = pd.DataFrame({"course": pd.array([None, 1], dtype="Int64"), "doses_planned": [14, 7]})
    >>> planned_doses(e), planned_doses(e.assign(doses_planned=float("nan")))
    (14, None)
    """
    every = exposure.loc[exposure["course"].isna(), "doses_planned"]
    if not len(every) or pd.isna(every.iloc[0]):
        return None
    return int(every.iloc[0])
