"""Organ-specific response: which domains and manifestations resolved, and for whom.

Compositions of ``helpers.derive`` and ``helpers.stats`` on a validated cohort, each
returning a tidy frame keyed by codes (SLEDAI-2K domains, manifestation codes, organ
groups) that a table or a figure can show; the words for them are in
:mod:`helpers.present.prose.efficacy`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers import derive, stats
from helpers.analyses.arms import TOTAL, total_label, with_total
from helpers.data import Cohort

#: Organ group of each manifestation code.
GROUPS = {m.code: m.group for m in d.MANIFESTATIONS}
#: Definition order of the manifestations.
ORDER = {m.code: i for i, m in enumerate(d.MANIFESTATIONS)}
#: The code of every subject together in :func:`response_by_subgroup`.
ALL_SUBJECTS = "ALL"


def domain_resolution(cohort: Cohort, week: int) -> pd.DataFrame:
    """One row per subject and SLEDAI-2K domain active at baseline: resolved by ``week``?

    Returns
    -------
    DataFrame
        ``USUBJID``, the arm, ``PARAMCD`` (domain), ``BASE``, ``RESFL``, ``AVAL`` (1
        resolved, 0 not; a missing visit counts as not resolved).
    """
    cfg = cohort.config
    domains = derive.derive_sledai_domains(cohort["adsledai"])
    res = cohort.with_population(derive.derive_resolution(domains, week, cfg.baseline_week))
    res["AVAL"] = (res["RESFL"] == "Y").astype(float)
    return res


def manifestation_resolution(cohort: Cohort, week: int) -> pd.DataFrame:
    """One row per subject and manifestation present at baseline: resolved by ``week``?

    Returns
    -------
    DataFrame
        ``USUBJID``, the arm, ``PARAMCD``, ``group`` (organ group), ``favoured`` (the
        group is one the abstract reports as responding better), ``RESFL``, ``AVAL`` (1
        resolved, 0 not).
    """
    cfg = cohort.config
    res = cohort.with_population(derive.derive_resolution(cohort["admanif"], week, cfg.baseline_week))
    # .astype("str"): mapping a categorical one-to-one gives a categorical back
    res["group"] = res["PARAMCD"].astype("str").map(GROUPS)
    res["favoured"] = res["group"].isin(d.FAVOURED_GROUPS)
    res["AVAL"] = (res["RESFL"] == "Y").astype(float)
    return res


def summarize_resolution(resolution: pd.DataFrame, arm: str, arms, confidence: float = 0.95) -> pd.DataFrame:
    """Resolution rate of each item (domain or manifestation) with its exact CI, by arm
    and (with several arms) in total.

    Parameters
    ----------
    resolution : DataFrame
        From :func:`domain_resolution` or :func:`manifestation_resolution`.

    Returns
    -------
    DataFrame
        The arm, ``PARAMCD``, ``responders`` (resolved), ``n`` (active at baseline),
        ``rate``, ``ci_low``, ``ci_high``, ``method`` (plus ``group`` and ``favoured``
        for manifestations); items in definition order, arms in ``arms`` order then
        ``Total``.

    Examples
    --------
    >>> res = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["renal", "mucocutaneous", "mucocutaneous"],
    ...                     "AVAL": [1.0, 0.0, 1.0]})
    >>> summarize_resolution(res, "TRT01A", ["A"])[["PARAMCD", "responders", "n"]]
             PARAMCD  responders  n
    0          renal           1  1
    1  mucocutaneous           1  2
    """
    stacked = with_total(resolution, arm, arms)
    out = stats.summarize_response(stacked, by=[arm, "PARAMCD"], confidence=confidence)
    extra = [c for c in ("group", "favoured") if c in resolution]
    if extra:
        out = out.join(resolution.drop_duplicates("PARAMCD").set_index("PARAMCD")[extra], on="PARAMCD")
    item_order = {**{name: i for i, name in enumerate(d.SLEDAI_DOMAINS)}, **ORDER}
    arm_order = {a: i for i, a in enumerate([*arms, TOTAL])}
    rank = out[arm].astype("str").map(arm_order) * 100 + out["PARAMCD"].astype("str").map(item_order)
    return out.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)


def best_and_worst(summary: pd.DataFrame, arm: str, arms) -> tuple[pd.Series, pd.Series]:
    """The items most and least often resolved over every subject (the ``Total`` rows,
    or the one arm's); ties go to the item more subjects had, then to definition order.

    Parameters
    ----------
    summary : DataFrame
        From :func:`summarize_resolution`.

    Returns
    -------
    tuple of Series
        The best row and the worst row of ``summary``.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["renal", "serosal", "vascular"], "rate": [0.5, 1.0, 0.5],
    ...                   "n": [4, 2, 6]})
    >>> [r["PARAMCD"] for r in best_and_worst(s, "TRT01A", ["A"])]
    ['serosal', 'vascular']
    """
    overall = summary[summary[arm] == total_label(arms)]
    if overall.empty:
        raise ValueError(f"best_and_worst: no row for {total_label(arms)!r} in column {arm!r}")
    best = overall.sort_values(["rate", "n"], ascending=[False, False], kind="stable").iloc[0]
    worst = overall.sort_values(["rate", "n"], ascending=[True, False], kind="stable").iloc[0]
    return best, worst


def favoured_groups_test(resolution: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Do manifestations in the favoured groups (skin, haematological, fever) resolve more
    often than the others? Pooled rates and a GEE odds ratio clustered on subject.

    Returns
    -------
    DataFrame
        One row: ``favoured_resolved``, ``favoured_n``, ``favoured_rate``,
        ``other_resolved``, ``other_n``, ``other_rate``, ``odds_ratio``, ``ci_low``,
        ``ci_high``, ``p_val``, ``n_subjects``, ``method``.
    """
    fav = resolution[resolution["favoured"]]
    oth = resolution[~resolution["favoured"]]
    gee = stats.gee_group_effect(resolution, "AVAL", "favoured", "USUBJID", confidence).iloc[0]
    return pd.DataFrame([{
        "favoured_resolved": int(fav["AVAL"].sum()), "favoured_n": len(fav),
        "favoured_rate": fav["AVAL"].mean() if len(fav) else np.nan,
        "other_resolved": int(oth["AVAL"].sum()), "other_n": len(oth),
        "other_rate": oth["AVAL"].mean() if len(oth) else np.nan,
        "odds_ratio": gee["odds_ratio"], "ci_low": gee["ci_low"], "ci_high": gee["ci_high"], "p_val": gee["p_val"],
        "n_subjects": gee["n_subjects"], "method": gee["method"],
    }])


def statement_holds(test, alpha: float) -> bool | None:
    """Whether the data support the abstract's statement that skin, haematological and
    fever manifestations responded better: they resolved more often than the others and
    the GEE test is significant at ``alpha``. None when the test could not be computed.

    Parameters
    ----------
    test : mapping
        A row of :func:`favoured_groups_test`.

    Examples
    --------
    >>> statement_holds({"favoured_rate": 0.9, "other_rate": 0.5, "p_val": 0.01}, 0.05)
    True
    >>> statement_holds({"favoured_rate": 0.9, "other_rate": 0.5, "p_val": 0.2}, 0.05)
    False
    >>> statement_holds({"favoured_rate": 0.9, "other_rate": 0.5, "p_val": float("nan")}, 0.05) is None
    True
    """
    if pd.isna(test["p_val"]):
        return None
    return bool(test["favoured_rate"] > test["other_rate"] and test["p_val"] < alpha)


def response_by_subgroup(sri: pd.DataFrame, cohort: Cohort, week: int, confidence: float = 0.95) -> pd.DataFrame:
    """SRI response at ``week`` among subjects with each manifestation at baseline, by arm
    and (with several arms) in total.

    Parameters
    ----------
    sri : DataFrame
        From :func:`helpers.analyses.efficacy.sri_response` (non-responder imputation).

    Returns
    -------
    DataFrame
        One row per arm and manifestation present in anyone at baseline: the arm,
        ``PARAMCD``, ``responders``, ``n``, ``rate``, ``ci_low``, ``ci_high``,
        ``method``, ``group``; plus rows ``PARAMCD = "ALL"`` (``group = "all"``) for
        every subject, first.
    """
    arm = cohort.arm_var
    cfg = cohort.config
    at = with_total(sri, arm, cohort.arms)
    at = at.loc[at["AVISITN"] == week, ["USUBJID", arm, "AVAL"]]
    base = cohort["admanif"]
    present = base.loc[(base["AVISITN"] == cfg.baseline_week) & (base["AVAL"] == 1), ["USUBJID", "PARAMCD"]]
    sub = at.merge(present, on="USUBJID", how="inner")
    everyone = at.assign(PARAMCD=ALL_SUBJECTS)
    out = stats.summarize_response(pd.concat([everyone, sub], ignore_index=True), by=[arm, "PARAMCD"], confidence=confidence)
    out["group"] = out["PARAMCD"].astype("str").map({**GROUPS, ALL_SUBJECTS: "all"})
    order = {ALL_SUBJECTS: -1, **ORDER}
    return out.sort_values("PARAMCD", key=lambda s: s.astype("str").map(order), kind="stable").reset_index(drop=True)


def subgroup_sizes(subgroups: pd.DataFrame, arm: str, arms) -> list[int]:
    """The number of subjects behind each subgroup estimate shown by arm (not the
    ``ALL`` rows, nor the total).

    Parameters
    ----------
    subgroups : DataFrame
        From :func:`response_by_subgroup`.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": ["A", "A", "Total"], "PARAMCD": ["ALL", "RASH", "RASH"], "n": [10, 4, 7]})
    >>> subgroup_sizes(s, "TRT01A", ["A", "B"])
    [4]
    """
    rows = subgroups[subgroups[arm].isin(list(arms)) & (subgroups["PARAMCD"].astype("str") != ALL_SUBJECTS)]
    return [int(n) for n in rows["n"]]


def activity_matrix(cohort: Cohort, value: str = "descriptors") -> pd.DataFrame:
    """Subjects by visits: the number of active SLEDAI-2K descriptors (or the total).

    Parameters
    ----------
    value : {"descriptors", "total"}

    Returns
    -------
    DataFrame
        Index ``USUBJID`` sorted by decreasing baseline value, columns the scheduled
        weeks (``AVISITN``; missing visits as NaN), one row per efficacy subject.
    """
    cfg = cohort.config
    s = cohort["adsledai"]
    subjects = cohort.population("efficacy")["USUBJID"]
    if value == "descriptors":
        per = s[s["AVAL"] == 1].groupby(["USUBJID", "AVISITN"], observed=True).size()
        visits = s[["USUBJID", "AVISITN"]].drop_duplicates().set_index(["USUBJID", "AVISITN"])
        per = per.reindex(visits.index, fill_value=0)
    elif value == "total":
        per = derive.derive_sledai_total(s).set_index(["USUBJID", "AVISITN"])["AVAL"]
    else:
        raise ValueError(f"value must be 'descriptors' or 'total', got {value!r}")
    wide = per.unstack("AVISITN").reindex(index=subjects, columns=list(cfg.weeks))
    base = wide[cfg.baseline_week].fillna(-1)
    wide = wide.loc[base.sort_values(ascending=False, kind="stable").index]
    wide.columns = [int(w) for w in wide.columns]
    return wide.astype(float)


def check_resolution(summary: pd.DataFrame) -> None:
    """Checks a chapter runs on a resolution summary; raises ``ValueError``.

    Resolved never exceeds the number active at baseline, and rates lie in [0, 1].
    """
    if (summary["responders"] > summary["n"]).any() or not summary["rate"].dropna().between(0, 1).all():
        raise ValueError(f"resolution counts are inconsistent: {summary.to_dict('records')}")
