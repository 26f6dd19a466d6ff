"""Doses given, adverse events and the prednisone taper.

Arrays in, arrays out, as in :mod:`helpers.simulate.disease`; the table builders in
:mod:`helpers.simulate.generate` turn them into ADaM frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.simulate.calibrate import choose, scale_count, snap
from helpers.simulate.spec import AECategory

#: Dosing days within a course: every second day for two weeks (7 doses).
DOSE_OFFSETS = np.arange(0, 14, 2)
#: Chance that a scheduled dose (other than the very first) is missed.
MISSED_DOSE = 0.02


def visit_day(week: np.ndarray | float) -> np.ndarray:
    """Study day of a visit week (day 1 is the first dose, taken at the baseline visit)."""
    return np.asarray(week, dtype=float) * 7 + 1


@dataclass(frozen=True)
class Exposure:
    """Doses on a subject x scheduled-dose grid.

    Attributes
    ----------
    day : ndarray of int, (D,)
        Study day of each scheduled dose.
    course : ndarray of int, (D,)
    given : ndarray of bool, (n, D)
    """

    day: np.ndarray
    course: np.ndarray
    given: np.ndarray

    def last_day(self) -> np.ndarray:
        """Study day of each subject's last dose (0 when none)."""
        return np.where(self.given, self.day[None, :], 0).max(axis=1)


def exposure(
    rng: np.random.Generator,
    treated: np.ndarray,
    stop_day: np.ndarray,
    courses: tuple[tuple[int, int, int], ...],
) -> Exposure:
    """Which scheduled doses each subject received.

    Parameters
    ----------
    treated : ndarray of bool, (n,)
    stop_day : ndarray, (n,)
        No dose on or after this study day (the day of the last visit of a subject who
        discontinued; ``inf`` otherwise).
    courses : tuple of (number, start_day, end_day)

    Notes
    -----
    1 MIU subcutaneously every second day for two weeks per course: days 1, 3, ..., 13 of
    each course. About 2% of doses are missed at random; the first dose never is (day 1 is
    defined by it).
    """
    day = np.concatenate([start + DOSE_OFFSETS for _, start, _ in courses]).astype(int)
    course = np.concatenate([np.full(len(DOSE_OFFSETS), number) for number, _, _ in courses]).astype(int)
    n = len(treated)
    missed = rng.random((n, len(day))) < MISSED_DOSE
    missed[:, 0] = False
    given = treated[:, None] & (day[None, :] < stop_day[:, None]) & ~missed
    return Exposure(day, course, given)


def prednisone_course(
    rng: np.random.Generator,
    pred0: np.ndarray,
    weeks: np.ndarray,
    responding: np.ndarray,
    taper: np.ndarray,
    flare: np.ndarray,
) -> np.ndarray:
    """Prednisone-equivalent dose (mg/day) at every visit, ``(n, V)``.

    Responders taper towards ``taper`` x baseline by week 12 (further, slowly, after);
    others taper a third as much; during a flare the dose goes back to baseline. Doses
    are in 2.5 mg steps, never below 5 mg for a subject who started at 5 mg or more, and
    never rise except in a flare.
    """
    n, V = responding.shape
    w = weeks.astype(float)[None, :]
    ever = np.maximum.accumulate(responding, axis=1)
    depth = (1 - taper)[:, None] * np.where(ever, 1.0, 1 / 3) * np.minimum(w / 12.0, 1.0)
    depth = depth + np.where(w > 12, (1 - taper)[:, None] * 0.25 * np.minimum((w - 12) / 12.0, 1.0) * ever, 0.0)
    depth = depth * rng.uniform(0.6, 1.4, n)[:, None]
    dose = snap(pred0[:, None] * (1 - np.clip(depth, 0, 0.8)), 2.5)
    floor = np.where(pred0 >= 5, 5.0, pred0)[:, None]
    dose = np.maximum(dose, floor)
    dose = np.minimum.accumulate(dose, axis=1)
    dose = np.where(flare, pred0[:, None], dose)
    dose[:, 0] = pred0
    return dose


@dataclass(frozen=True)
class AdverseEvents:
    """Adverse events as parallel arrays, one entry per event."""

    subject: np.ndarray
    term: np.ndarray
    decod: np.ndarray
    bodsys: np.ndarray
    grade: np.ndarray
    serious: np.ndarray
    related: np.ndarray
    day: np.ndarray
    action: np.ndarray
    outcome: np.ndarray


def adverse_events(
    rng: np.random.Generator,
    arm_of: np.ndarray,
    arms: tuple,
    safety: np.ndarray,
    ex: Exposure,
    end_day: np.ndarray,
    ae_dropout: np.ndarray,
    flare_day: np.ndarray | None = None,
) -> AdverseEvents:
    """Adverse events with exact subject counts per category and arm.

    Parameters
    ----------
    arm_of : ndarray of int, (n,)
    arms : tuple of ArmSpec
        Each arm's :class:`~helpers.simulate.spec.AECategory` list.
    safety : ndarray of bool, (n,)
        The safety population (treated subjects).
    ex : Exposure
        Doses given (reactions to the injection start on a dosing day or the day after).
    end_day : ndarray, (n,)
        Last study day of each subject.
    ae_dropout : ndarray of bool, (n,)
        Subjects who discontinued because of an adverse event: they get the arm's serious
        event (if the arm has any; the one ``forced="dropout"`` if named) on the day after
        their last visit, with the drug withdrawn.
    flare_day : ndarray, (n,), optional
        The study day a planned flare starts (NaN: none): a category ``forced="flare"``
        goes to these subjects, on that day.

    Notes
    -----
    For each arm and category, exactly ``scale_count(count, published safety n, safety
    n)`` subjects of the safety population get one event, plus ``Poisson(extra)`` more
    (at most 2). Categories never share a preferred term, so "subjects with at least one
    injection-site reaction" (or pyrexia, influenza-like illness, infection, serious
    event) is exactly the category's count. Categories of one ``group`` go to different
    subjects, and so do serious categories naming whom they force (``"dropout"``,
    ``"flare"``, ``""``), so subject counts of a group add up.
    """
    parts: list[dict[str, np.ndarray]] = []
    last_dose = ex.last_day()
    n = len(arm_of)
    flare = np.zeros(n, dtype=bool) if flare_day is None else np.isfinite(flare_day)
    for k, arm in enumerate(arms):
        in_arm = safety & (arm_of == k)
        n_safe = int(in_arm.sum())
        published = arm.n - arm.n_untreated
        taken: dict[str, np.ndarray] = {}
        for cat in arm.ae:
            count = scale_count(cat.count, published, n_safe)
            if count == 0:
                continue
            if cat.forced == "auto":
                forced = in_arm & ae_dropout if cat.serious else np.zeros_like(in_arm)
            elif cat.forced == "dropout":
                forced = in_arm & ae_dropout
            elif cat.forced == "flare":
                forced = in_arm & flare
            else:
                forced = np.zeros_like(in_arm)
            groups = [gname for gname in (cat.group, "serious" if cat.serious and cat.forced != "auto" else "") if gname]
            eligible = in_arm & ~forced
            for gname in groups:
                eligible &= ~taken.get(gname, np.zeros(n, dtype=bool))
            chosen = forced.copy()
            rest = count - int(forced.sum())
            if rest > 0:
                chosen |= choose(rng, rest, eligible)
            for gname in groups:
                taken[gname] = taken.get(gname, np.zeros(n, dtype=bool)) | chosen
            subj = np.flatnonzero(chosen)
            reps = 1 + np.minimum(rng.poisson(cat.extra, len(subj)), 2)
            subj = np.repeat(subj, reps)
            parts.append(_events(rng, cat, subj, ex, end_day, last_dose, ae_dropout, flare_day))
    if not parts:
        empty = np.array([], dtype=object)
        return AdverseEvents(*(empty,) * 4, np.array([], dtype=int), empty, empty, np.array([], dtype=int), empty, empty)
    cat_ = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    return AdverseEvents(**cat_)


def _events(
    rng: np.random.Generator,
    cat: AECategory,
    subj: np.ndarray,
    ex: Exposure,
    end_day: np.ndarray,
    last_dose: np.ndarray,
    ae_dropout: np.ndarray,
    flare_day: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    m = len(subj)
    weights = np.array([t[3] for t in cat.terms])
    which = rng.choice(len(cat.terms), size=m, p=weights / weights.sum())
    dropout = ae_dropout[subj] & cat.serious & (cat.forced in ("auto", "dropout"))
    which[dropout] = 0
    terms = np.array([t[0] for t in cat.terms], dtype=object)[which]
    decod = np.array([t[1] for t in cat.terms], dtype=object)[which]
    bodsys = np.array([t[2] for t in cat.terms], dtype=object)[which]
    grades = np.array(cat.grades) / sum(cat.grades)
    grade = rng.choice(len(grades), size=m, p=grades) + 1
    if cat.timing == "dose":
        # A random dose actually given, then that day or the next.
        key = np.where(ex.given[subj], rng.random((m, ex.given.shape[1])), -1.0)
        day = ex.day[np.argmax(key, axis=1)] + (rng.random(m) < 0.3)
    elif cat.timing == "pre":
        day = -rng.integers(1, 15, m)
    else:
        day = 1 + np.floor(rng.random(m) * np.maximum(end_day[subj] - 1, 1)).astype(int)
    day = np.where(dropout, end_day[subj] - 2, day).astype(int)
    if cat.forced == "flare" and flare_day is not None and m:
        at_flare = np.isfinite(flare_day[subj])
        # The first of a subject's events of the category is the flare itself.
        first = at_flare & np.r_[True, subj[1:] != subj[:-1]]
        day = np.where(first, np.nan_to_num(flare_day[subj]).astype(int), day).astype(int)
    action = np.where(
        day < 1, "NOT APPLICABLE",
        np.where(day > last_dose[subj], "NOT APPLICABLE",
                 np.where(cat.serious, "DRUG INTERRUPTED", "DOSE NOT CHANGED")),
    ).astype(object)
    action[dropout] = "DRUG WITHDRAWN"
    outcome = np.where(rng.random(m) < 0.93, "RECOVERED/RESOLVED", "RECOVERING/RESOLVING").astype(object)
    if cat.forced == "flare" and flare_day is not None:
        # A planned flare lasts to the end of the study.
        outcome[np.isfinite(flare_day[subj])] = "NOT RECOVERED/NOT RESOLVED"
    return {
        "subject": subj,
        "term": terms,
        "decod": decod,
        "bodsys": bodsys,
        "grade": grade.astype(int),
        "serious": np.full(m, "Y" if cat.serious else "N", dtype=object),
        "related": np.full(m, "RELATED" if cat.related else "NOT RELATED", dtype=object),
        "day": day,
        "action": action,
        "outcome": outcome,
    }
