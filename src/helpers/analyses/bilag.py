"""BILAG-2004 score, "at least one A or two B", BILAG flares and the steroid taper, per
arm, and the disease-activity rows of the randomized trial's Table 2 in its layout.

Compositions of :mod:`helpers.derive` (``derive_bilag_score``, ``derive_bilag_a_or_2b``,
``derive_bilag_flares``, ``derive_time_to_flare``, ``derive_flare_count``,
``derive_steroid_threshold``, ``derive_steroid_reduction``) on a validated cohort,
restricted to the efficacy population and labelled with the arm it is analysed by. The
BILAG coding is the cohort's (``cohort.yml`` ``bilag_coding``), the taper threshold its
``steroid_taper.threshold``. Frames are keyed by codes; the words are in
:mod:`helpers.present.prose.efficacy`. Nothing is pooled across arms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from helpers import derive
from helpers.analyses import efficacy
from helpers.analyses.paper_tables import PaperMeasure, describe_binary_by_visit
from helpers.data import Cohort
from helpers.stats.rates import score_interval, score_test

#: The codes of the disease-activity rows of Table 2 (He et al. 2020), in its order, and
#: the table each needs.
ACTIVITY_MEASURES: dict[str, str] = {"sledai": "adsledai", "bilag": "adbilag", "bilag_a2b": "adbilag",
                                     "pga": "adpga", "prednisone": "adcm"}

#: The flare severities of :func:`helpers.derive.derive_bilag_flares`.
SEVERITIES: tuple[str, ...] = ("any", "severe", "moderate")


def paper_weeks(baseline_week: int, primary_week: int, secondary_weeks: Sequence[int] = ()) -> list[int]:
    """The visits a published table shows: baseline, the primary week and the analysis
    plan's secondary weeks, in order, each once.

    Examples
    --------
    >>> paper_weeks(0, 12, [24]), paper_weeks(0, 12, [12, 4])
    ([0, 12, 24], [0, 4, 12])
    """
    return sorted({int(baseline_week), int(primary_week), *(int(w) for w in secondary_weeks)})


def bilag_scores(cohort: Cohort) -> pd.DataFrame:
    """BILAG-2004 numeric score per subject and visit in the cohort's coding, with
    ``BASE``, ``CHG`` and the arm (efficacy population)."""
    cfg = cohort.config
    score = cohort.derived(f"bilag_score_{cfg.bilag_coding}",
                           lambda c: derive.derive_bilag_score(c["adbilag"], coding=cfg.bilag_coding))
    return cohort.with_population(derive.derive_chg(derive.derive_base(score, baseline_week=cfg.baseline_week)))


def bilag_a_or_2b(cohort: Cohort) -> pd.DataFrame:
    """"At least one BILAG A or two B" (``A2BFL``) per subject and visit, with the arm."""
    flags = cohort.derived("bilag_a2b", lambda c: derive.derive_bilag_a_or_2b(c["adbilag"]))
    return cohort.with_population(flags)


def bilag_flares(cohort: Cohort) -> pd.DataFrame:
    """BILAG flares (severe: a new A; moderate: two or more new B) per subject and
    post-baseline visit, with the arm."""
    cfg = cohort.config
    flares = cohort.derived("bilag_flare_severity", lambda c: derive.derive_bilag_flares(c["adbilag"], cfg.baseline_week))
    return cohort.with_population(flares)


def prednisone_by_visit(cohort: Cohort) -> pd.DataFrame:
    """Prednisone-equivalent dose per subject and visit with ``BASE``, ``CHG``, ``PCHG``,
    ``REDFL`` (reduced from baseline), ``LOWDFL`` (at or below the cohort's taper
    threshold) and the arm."""
    cfg = cohort.config
    red = derive.derive_steroid_reduction(cohort["adcm"], cfg.baseline_week)
    low = derive.derive_steroid_threshold(cohort["adcm"], cfg.steroid_taper.threshold)[["USUBJID", "AVISITN", "LOWDFL"]]
    return cohort.with_population(red.merge(low, on=["USUBJID", "AVISITN"], how="left"))


def summarize_flares(flares: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Subjects with a BILAG flare, flare episodes and the time to the first, per arm.

    Parameters
    ----------
    flares : DataFrame
        From :func:`helpers.derive.derive_bilag_flares` with the arm column.
    arm : str
    arms : sequence of str

    Returns
    -------
    DataFrame
        One row per arm: ``arm``, ``subjects`` (with an assessed post-baseline visit),
        ``any_n``, ``severe_n``, ``moderate_n`` (subjects with at least one flare of that
        severity), ``any_pct``, ``episodes`` (flare episodes of any severity, from
        :func:`helpers.derive.derive_flare_count`), ``first_week_median``,
        ``first_week_min``, ``first_week_max`` (week of the first flare, among subjects
        with one; missing when none flared).

    Raises
    ------
    ValueError
        The arm column is missing.

    Notes
    -----
    A subject can have a severe and a moderate flare, so ``severe_n + moderate_n`` may
    exceed ``any_n``. The first-flare weeks are descriptive: the subjects without a
    flare are censored (:func:`helpers.derive.derive_time_to_flare`), and the arm's
    ``any_n`` of ``subjects`` is the figure to compare.

    Examples
    --------
    >>> f = pd.DataFrame({"USUBJID": ["A", "A", "B", "B", "C"], "ARM": ["X", "X", "X", "X", "Y"],
    ...                   "AVISITN": [4, 8, 4, 8, 4], "FLARE": ["none", "severe", "moderate", "none", "none"]})
    >>> summarize_flares(f, "ARM", ["X", "Y"])[["arm", "subjects", "any_n", "severe_n", "episodes", "first_week_median"]]
      arm  subjects  any_n  severe_n  episodes  first_week_median
    0   X         2      2         1         2                6.0
    1   Y         1      0         0         0                NaN
    """
    if arm not in flares.columns:
        raise ValueError(f"summarize_flares: the arm column {arm!r} is not in the data")
    rows = []
    for a in arms:
        f = flares[flares[arm] == a]
        row = {"arm": a, "subjects": 0, "any_n": 0, "severe_n": 0, "moderate_n": 0, "any_pct": math.nan,
               "episodes": 0, "first_week_median": math.nan, "first_week_min": math.nan, "first_week_max": math.nan}
        if len(f):
            tte = {s: derive.derive_time_to_flare(f, s) for s in SEVERITIES}
            events = tte["any"][tte["any"]["CNSR"] == 0]["AVAL"]
            row.update(subjects=len(tte["any"]), any_n=int((tte["any"]["CNSR"] == 0).sum()),
                       severe_n=int((tte["severe"]["CNSR"] == 0).sum()),
                       moderate_n=int((tte["moderate"]["CNSR"] == 0).sum()),
                       episodes=int(derive.derive_flare_count(f)["AVAL"].sum()))
            row["any_pct"] = 100.0 * row["any_n"] / row["subjects"] if row["subjects"] else math.nan
            if len(events):
                row.update(first_week_median=float(events.median()), first_week_min=float(events.min()),
                           first_week_max=float(events.max()))
        rows.append(row)
    return pd.DataFrame(rows)


def kaplan_meier_at(time: Sequence[float], event: Sequence[int], at: float, confidence: float = 0.95) -> dict:
    """The Kaplan-Meier probability of no event through time ``at``, with its interval.

    Parameters
    ----------
    time : sequence of float
        Event or censoring times.
    event : sequence of int
        1 for an event, 0 for a censored time (ADaM's ``CNSR`` is ``1 - event``).
    at : float
    confidence : float

    Returns
    -------
    dict
        ``n``, ``events`` (up to ``at``), ``estimate``, ``ci_low``, ``ci_high``; the
        interval is missing while the estimate is 1 (no event yet) or 0.

    Notes
    -----
    The estimate and Greenwood's standard error are statsmodels' ``SurvfuncRight``; the
    interval is the log-log one (Kalbfleisch and Prentice, The Statistical Analysis of
    Failure Time Data, 2nd ed., 2002): with :math:`\\sigma = se / (S |\\log S|)`, the bounds
    are :math:`S^{\\exp(\\pm z \\sigma)}`, always within 0 to 1 (R's
    ``survfit(conf.type = "log-log")``).

    Examples
    --------
    >>> r = kaplan_meier_at([4, 8, 12, 12, 24, 24], [1, 0, 1, 0, 0, 0], 24)
    >>> {k: round(v, 4) for k, v in r.items()}
    {'n': 6, 'events': 2, 'estimate': 0.625, 'ci_low': 0.1419, 'ci_high': 0.8931}
    """
    from scipy.stats import norm
    from statsmodels.duration.survfunc import SurvfuncRight

    t = pd.Series(time, dtype="float64").to_numpy()
    e = pd.Series(event, dtype="int64").to_numpy()
    out = {"n": len(t), "events": int(((t <= at) & (e == 1)).sum()), "estimate": math.nan, "ci_low": math.nan,
           "ci_high": math.nan}
    if not len(t):
        return out
    fit = SurvfuncRight(t, e)
    before = fit.surv_times <= at
    if not before.any():
        out["estimate"] = 1.0
        return out
    surv, se = float(fit.surv_prob[before][-1]), float(fit.surv_prob_se[before][-1])
    out["estimate"] = surv
    if 0 < surv < 1:
        sigma = se / (surv * abs(math.log(surv)))
        z = float(norm.ppf(0.5 + confidence / 2))
        out["ci_low"], out["ci_high"] = surv ** math.exp(z * sigma), surv ** math.exp(-z * sigma)
    return out


def summarize_flare_free(flares: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """The Kaplan-Meier share of subjects free of any BILAG flare through the last
    assessed week, per arm (time to the first flare, censored at the last assessment).

    Returns
    -------
    DataFrame
        One row per arm: ``arm``, ``week`` (the last week assessed in any arm), ``n``,
        ``events``, ``estimate`` (fraction), ``ci_low``, ``ci_high``, ``confidence``.

    Examples
    --------
    >>> f = pd.DataFrame({"USUBJID": ["A", "A", "B", "B", "C", "C"], "ARM": ["X", "X", "X", "X", "Y", "Y"],
    ...                   "AVISITN": [4, 8, 4, 8, 4, 8], "FLARE": ["none", "severe", "none", "none", "none", "none"]})
    >>> summarize_flare_free(f, "ARM", ["X", "Y"])[["arm", "week", "n", "events", "estimate"]]
      arm  week  n  events  estimate
    0   X     8  2       1       0.5
    1   Y     8  1       0       1.0
    """
    if arm not in flares.columns:
        raise ValueError(f"summarize_flare_free: the arm column {arm!r} is not in the data")
    assessed = flares[flares["FLARE"].astype("string").fillna("") != ""]
    week = int(assessed["AVISITN"].max()) if len(assessed) else 0
    rows = []
    for a in arms:
        f = flares[flares[arm] == a]
        tte = derive.derive_time_to_flare(f) if len(f) else pd.DataFrame({"AVAL": [], "CNSR": []})
        rows.append({"arm": a, "week": week, **kaplan_meier_at(tte["AVAL"], 1 - tte["CNSR"], week, confidence),
                     "confidence": confidence})
    return pd.DataFrame(rows, columns=["arm", "week", "n", "events", "estimate", "ci_low", "ci_high", "confidence"])


def compare_time_to_flare(flares: pd.DataFrame, arm: str, arms: Sequence[str], reference: str) -> pd.DataFrame:
    """Time to the first BILAG flare, each arm against the reference: the log-rank test.

    Returns
    -------
    DataFrame
        One row per compared arm: ``arm``, ``reference``, ``statistic`` (chi-square, 1
        df), ``p_val``, ``method`` (``logrank``); missing when either arm has no subject.

    Notes
    -----
    statsmodels' ``survdiff`` (Mantel, Cancer Chemother Rep 1966;50:163-70), on the two
    arms' ADaM time-to-event records (:func:`helpers.derive.derive_time_to_flare`); R's
    ``survival::survdiff`` gives the same.

    Examples
    --------
    >>> f = pd.DataFrame({"USUBJID": list("AABBCCDD"), "ARM": list("XXXXYYYY"), "AVISITN": [4, 8] * 4,
    ...                   "FLARE": ["severe", "none", "none", "moderate", "none", "none", "none", "none"]})
    >>> compare_time_to_flare(f, "ARM", ["X", "Y"], "Y").round(4)[["arm", "statistic", "p_val"]]
      arm  statistic   p_val
    0   X     2.8824  0.0896
    """
    from statsmodels.duration.survfunc import survdiff

    if reference not in arms:
        raise ValueError(f"compare_time_to_flare: reference {reference!r} is not one of the arms {list(arms)}")
    tte = {a: derive.derive_time_to_flare(flares[flares[arm] == a]) if (flares[arm] == a).any() else None
           for a in arms}
    rows = []
    for a in arms:
        if a == reference:
            continue
        row = {"arm": a, "reference": reference, "statistic": math.nan, "p_val": math.nan, "method": "logrank"}
        if tte[a] is not None and tte[reference] is not None:
            both = pd.concat([tte[a].assign(_g=1), tte[reference].assign(_g=0)], ignore_index=True)
            if (both["CNSR"] == 0).any():
                stat, p = survdiff(both["AVAL"].to_numpy(float), (1 - both["CNSR"]).to_numpy(int), both["_g"].to_numpy())
                row.update(statistic=float(stat), p_val=float(p))
        rows.append(row)
    return pd.DataFrame(rows, columns=["arm", "reference", "statistic", "p_val", "method"])


def compare_flares(summary: pd.DataFrame, reference: str, confidence: float = 0.95) -> pd.DataFrame:
    """Subjects with a flare, each arm against the reference: difference in proportions
    with the Miettinen-Nurminen interval and score test.

    Parameters
    ----------
    summary : DataFrame
        From :func:`summarize_flares`.
    reference : str
    confidence : float

    Returns
    -------
    DataFrame
        One row per compared arm: ``arm``, ``reference``, ``estimate`` (fraction),
        ``ci_low``, ``ci_high``, ``p_val``, ``confidence``, ``method``
        (``miettinen_nurminen``); missing statistics when an arm has no assessed subject.

    Raises
    ------
    ValueError
        ``reference`` is not an arm of ``summary``.

    Notes
    -----
    :func:`helpers.stats.rates.score_interval` and ``score_test`` (Miettinen and
    Nurminen, Stat Med 1985;4:213-26).

    Examples
    --------
    >>> s = pd.DataFrame({"arm": ["X", "Y"], "subjects": [29, 30], "any_n": [16, 9]})
    >>> compare_flares(s, "Y").round(4)[["arm", "estimate", "ci_low", "ci_high", "p_val"]]
      arm  estimate  ci_low  ci_high   p_val
    0   X    0.2517 -0.0027   0.4764  0.0524
    """
    if reference not in set(summary["arm"]):
        raise ValueError(f"compare_flares: reference {reference!r} is not an arm of the summary {list(summary['arm'])}")
    ref = summary[summary["arm"] == reference].iloc[0]
    rows = []
    for _, r in summary[summary["arm"] != reference].iterrows():
        row = {"arm": r["arm"], "reference": reference, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
               "p_val": math.nan, "confidence": confidence, "method": "miettinen_nurminen"}
        if r["subjects"] and ref["subjects"]:
            x1, n1, x0, n0 = int(r["any_n"]), int(r["subjects"]), int(ref["any_n"]), int(ref["subjects"])
            lo, hi = score_interval(x1, n1, x0, n0, confidence)
            row.update(estimate=x1 / n1 - x0 / n0, ci_low=lo, ci_high=hi, p_val=score_test(x1, n1, x0, n0))
        rows.append(row)
    return pd.DataFrame(rows, columns=["arm", "reference", "estimate", "ci_low", "ci_high", "p_val", "confidence",
                                       "method"])


def steroid_taper_by_visit(prednisone: pd.DataFrame, arm: str, arms: Sequence[str], weeks: Sequence[int]) -> pd.DataFrame:
    """Subjects at or below the taper threshold, and subjects whose dose fell below
    baseline, per arm and visit.

    Parameters
    ----------
    prednisone : DataFrame
        From :func:`prednisone_by_visit` (``LOWDFL``, ``REDFL``, the arm).
    arm, arms, weeks
        As for :func:`helpers.analyses.paper_tables.describe_binary_by_visit`.

    Returns
    -------
    DataFrame
        One row per arm and week: ``arm``, ``AVISITN``, ``low_n``, ``low_subjects``,
        ``low_pct`` (dose at or below the threshold), ``reduced_n``,
        ``reduced_subjects``, ``reduced_pct`` (below baseline; no subject at baseline).

    Examples
    --------
    >>> p = pd.DataFrame({"USUBJID": ["a", "b", "a", "b"], "ARM": "X", "AVISITN": [0, 0, 12, 12],
    ...                   "LOWDFL": ["N", "Y", "Y", "Y"], "REDFL": ["", "", "Y", "N"]})
    >>> steroid_taper_by_visit(p, "ARM", ["X"], [0, 12])[["AVISITN", "low_n", "low_subjects", "reduced_n", "reduced_subjects"]]
       AVISITN  low_n  low_subjects  reduced_n  reduced_subjects
    0        0      1             2          0                 0
    1       12      2             2          1                 2
    """
    low = describe_binary_by_visit(prednisone, arm, arms, weeks, "LOWDFL")
    red = describe_binary_by_visit(prednisone, arm, arms, weeks, "REDFL")
    low = low.rename(columns={"n": "low_n", "subjects": "low_subjects", "pct": "low_pct"})
    red = red.rename(columns={"n": "reduced_n", "subjects": "reduced_subjects", "pct": "reduced_pct"})
    return low.merge(red, on=["arm", "AVISITN"], how="left")


def activity_measures(cohort: Cohort) -> list[PaperMeasure]:
    """The disease-activity rows of the randomized trial's Table 2 that the cohort's
    data carry (:data:`ACTIVITY_MEASURES`): SLEDAI, BILAG score, "A or 2B", PGA,
    prednisone, each with the efficacy population's arm.

    A measure whose table is absent is left out; the chapter's table then shows the
    others.
    """
    measures = []
    for code, table in ACTIVITY_MEASURES.items():
        if not cohort.has(table):
            continue
        if code == "sledai":
            measures.append(PaperMeasure(code, "continuous", efficacy.sledai_by_visit(cohort)))
        elif code == "bilag":
            measures.append(PaperMeasure(code, "continuous", bilag_scores(cohort)))
        elif code == "bilag_a2b":
            measures.append(PaperMeasure(code, "binary", bilag_a_or_2b(cohort), "A2BFL"))
        else:
            measures.append(PaperMeasure(code, "continuous", efficacy.measure_by_visit(cohort, table)))
    return measures


def bilag_coding_check(cohort: Cohort, arm: str, arms: Sequence[str], default: str | None = None) -> pd.DataFrame:
    """Why a coding: at baseline, the share with at least one A or two B and the median
    score in the cohort's coding and in the default one, per arm.

    Under Yee's coding (A 12, B 8) every subject with an A or two B scores at least 12,
    so when more than half have one the median is at least 12: a published median
    below that rules the coding out.

    Returns
    -------
    DataFrame
        One row per arm: ``arm``, ``a2b_n``, ``subjects``, ``a2b_pct``, ``median``
        (cohort's coding), ``median_default`` (``default``, Yee's unless given),
        ``coding``, ``default``.
    """
    from helpers import definitions as d

    cfg = cohort.config
    default = default or d.BILAG_CODING_DEFAULT
    base = cfg.baseline_week
    a2b = describe_binary_by_visit(bilag_a_or_2b(cohort), arm, arms, [base], "A2BFL")
    ours = bilag_scores(cohort)
    other = cohort.with_population(derive.derive_bilag_score(cohort["adbilag"], coding=default))
    rows = []
    for a in arms:
        r = a2b[a2b["arm"] == a].iloc[0]
        m1 = ours.loc[(ours[arm] == a) & (ours["AVISITN"] == base), "AVAL"].median()
        m0 = other.loc[(other[arm] == a) & (other["AVISITN"] == base), "AVAL"].median()
        rows.append({"arm": a, "a2b_n": int(r["n"]), "subjects": int(r["subjects"]), "a2b_pct": r["pct"],
                     "median": float(m1), "median_default": float(m0), "coding": cfg.bilag_coding, "default": default})
    return pd.DataFrame(rows)


def taper_measures(prednisone: pd.DataFrame) -> list[PaperMeasure]:
    """The steroid taper as two binary rows of a table in a publication's layout:
    ``prednisone_low`` (dose at or below the threshold, ``LOWDFL``) and
    ``prednisone_reduced`` (below the baseline dose, ``REDFL``; no subject at baseline).

    Parameters
    ----------
    prednisone : DataFrame
        From :func:`prednisone_by_visit`.

    Examples
    --------
    >>> p = pd.DataFrame({"USUBJID": ["a"], "ARM": ["X"], "AVISITN": [0], "LOWDFL": ["Y"], "REDFL": [""]})
    >>> [(m.code, m.kind, m.column) for m in taper_measures(p)]
    [('prednisone_low', 'binary', 'LOWDFL'), ('prednisone_reduced', 'binary', 'REDFL')]
    """
    return [PaperMeasure("prednisone_low", "binary", prednisone, "LOWDFL"),
            PaperMeasure("prednisone_reduced", "binary", prednisone, "REDFL")]
