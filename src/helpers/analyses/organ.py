"""Organ-specific response: which domains and manifestations resolved, and for whom.

Compositions of ``helpers.derive`` and ``helpers.stats`` on a validated cohort, each
returning a tidy frame a table or a figure can show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers import derive, stats
from helpers.data import Cohort

LABELS = {m.code: m.label for m in d.MANIFESTATIONS}
GROUPS = {m.code: m.group for m in d.MANIFESTATIONS}
ORDER = {m.code: i for i, m in enumerate(d.MANIFESTATIONS)}


def _efficacy(df: pd.DataFrame, cohort: Cohort) -> pd.DataFrame:
    subjects = cohort.population("efficacy")[["USUBJID", cohort.arm_var]]
    return df.merge(subjects, on="USUBJID", how="inner")


def domain_resolution(cohort: Cohort, week: int) -> pd.DataFrame:
    """One row per subject and SLEDAI-2K domain active at baseline: resolved by ``week``?

    Returns
    -------
    DataFrame
        ``USUBJID``, the arm, ``PARAMCD`` (domain), ``label``, ``BASE``, ``RESFL``,
        ``AVAL`` (1 resolved, 0 not; a missing visit counts as not resolved).
    """
    cfg = cohort.config
    domains = derive.derive_sledai_domains(cohort["adsledai"])
    res = _efficacy(derive.derive_resolution(domains, week, cfg.baseline_week), cohort)
    res["label"] = res["PARAMCD"].astype("str").str.capitalize()
    res["AVAL"] = (res["RESFL"] == "Y").astype(float)
    return res


def summarize_resolution(resolution: pd.DataFrame, arm: str, arms, confidence: float = 0.95) -> pd.DataFrame:
    """Resolution rate of each item (domain or manifestation) with its exact CI, by arm.

    Parameters
    ----------
    resolution : DataFrame
        From :func:`domain_resolution` or :func:`manifestation_resolution`, possibly
        with a ``Total`` arm stacked (``tables.with_total``).

    Returns
    -------
    DataFrame
        The arm, ``PARAMCD``, ``label``, ``responders`` (resolved), ``n`` (active at
        baseline), ``rate``, ``ci_low``, ``ci_high``, ``method`` (plus ``group`` and
        ``favoured`` for manifestations); items in definition order, arms in ``arms``
        order then ``Total``.
    """
    out = stats.summarize_response(resolution, by=[arm, "PARAMCD"], confidence=confidence)
    extra = [c for c in ("label", "group", "favoured") if c in resolution]
    out = out.join(resolution.drop_duplicates("PARAMCD").set_index("PARAMCD")[extra], on="PARAMCD")
    item_order = {**{name: i for i, name in enumerate(d.SLEDAI_DOMAINS)}, **ORDER}
    arm_order = {a: i for i, a in enumerate([*arms, "Total"])}
    rank = out[arm].astype("str").map(arm_order) * 100 + out["PARAMCD"].astype("str").map(item_order)
    return out.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)


def manifestation_resolution(cohort: Cohort, week: int) -> pd.DataFrame:
    """One row per subject and manifestation present at baseline: resolved by ``week``?

    Returns
    -------
    DataFrame
        ``USUBJID``, the arm, ``PARAMCD``, ``label``, ``group`` (organ group),
        ``favoured`` (the group is one the abstract reports as responding better),
        ``RESFL``, ``AVAL`` (1 resolved, 0 not).
    """
    cfg = cohort.config
    res = _efficacy(derive.derive_resolution(cohort["admanif"], week, cfg.baseline_week), cohort)
    # .astype("str"): mapping a categorical one-to-one gives a categorical back
    res["label"] = res["PARAMCD"].astype("str").map(LABELS)
    res["group"] = res["PARAMCD"].astype("str").map(GROUPS)
    res["favoured"] = res["group"].isin(d.FAVOURED_GROUPS)
    res["AVAL"] = (res["RESFL"] == "Y").astype(float)
    return res


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


def response_by_subgroup(sri: pd.DataFrame, cohort: Cohort, week: int, confidence: float = 0.95) -> pd.DataFrame:
    """SRI response at ``week`` among subjects with each manifestation at baseline.

    Parameters
    ----------
    sri : DataFrame
        From :func:`helpers.analyses.efficacy.sri_response` (non-responder imputation).

    Returns
    -------
    DataFrame
        One row per arm and manifestation present in anyone at baseline: the arm,
        ``PARAMCD``, ``label``, ``group``, ``responders``, ``n``, ``rate``, ``ci_low``,
        ``ci_high``, ``method``; plus a row ``ALL`` for every subject.
    """
    arm = cohort.arm_var
    cfg = cohort.config
    at = sri.loc[sri["AVISITN"] == week, ["USUBJID", arm, "AVAL"]]
    base = cohort["admanif"]
    present = base.loc[(base["AVISITN"] == cfg.baseline_week) & (base["AVAL"] == 1), ["USUBJID", "PARAMCD"]]
    sub = at.merge(present, on="USUBJID", how="inner")
    everyone = at.assign(PARAMCD="ALL")
    out = stats.summarize_response(pd.concat([everyone, sub], ignore_index=True), by=[arm, "PARAMCD"], confidence=confidence)
    codes = out["PARAMCD"].astype("str")
    out["label"] = codes.map({**LABELS, "ALL": "All subjects"})
    out["group"] = codes.map({**GROUPS, "ALL": "all"})
    return out.sort_values("PARAMCD", key=lambda s: s.astype("str").map({"ALL": -1, **ORDER}), kind="stable").reset_index(drop=True)


def activity_matrix(cohort: Cohort, value: str = "descriptors") -> pd.DataFrame:
    """Subjects by visits: the number of active SLEDAI-2K descriptors (or the total).

    Parameters
    ----------
    value : {"descriptors", "total"}

    Returns
    -------
    DataFrame
        Index ``USUBJID`` sorted by decreasing baseline value, columns the scheduled
        weeks (missing visits as NaN), one row per efficacy subject.
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
    wide.columns = [cfg.visit_label(w) for w in wide.columns]
    return wide.astype(float)


def verdict(test: pd.Series, alpha: float) -> str:
    """One sentence on whether the data support the abstract's statement that skin,
    haematological and fever manifestations responded better.

    Examples
    --------
    >>> verdict(pd.Series({"favoured_rate": 0.9, "other_rate": 0.5, "p_val": 0.01}), 0.05)
    'The data support the published statement.'
    >>> verdict(pd.Series({"favoured_rate": 0.9, "other_rate": 0.5, "p_val": 0.2}), 0.05)
    'The difference points the published way but is not statistically significant at the 0.05 level.'
    """
    fav, oth, p = test["favoured_rate"], test["other_rate"], test["p_val"]
    if pd.isna(p):
        return "The data do not allow the comparison (one of the groups is empty)."
    if fav > oth and p < alpha:
        return "The data support the published statement."
    if fav > oth:
        return f"The difference points the published way but is not statistically significant at the {alpha:g} level."
    return "The data do not support the published statement: the other manifestations resolved at least as often."


def forest_rows(summary: pd.DataFrame, arm: str, arms) -> pd.DataFrame:
    """Rows for a forest plot from a by-arm summary: one row per item and arm (arm named
    in the label only when there are several), with an ``x/n`` annotation."""
    rows = summary[summary[arm].isin(arms)].copy()
    several = len(arms) > 1
    rows["row"] = rows["label"].astype("str") + (" (" + rows[arm].astype("str") + ")" if several else "")
    rows["series"] = rows[arm] if several else "All"
    rows["annot"] = rows["responders"].astype(str) + "/" + rows["n"].astype(str)
    return rows.reset_index(drop=True)


def check_resolution(summary: pd.DataFrame) -> None:
    """Checks a chapter runs on a resolution summary; raises ``ValueError``.

    Resolved never exceeds the number active at baseline, and rates lie in [0, 1].
    """
    if (summary["responders"] > summary["n"]).any() or not summary["rate"].dropna().between(0, 1).all():
        raise ValueError(f"resolution counts are inconsistent: {summary.to_dict('records')}")


def manifestation_forest_rows(summary: pd.DataFrame, arm: str, arms) -> pd.DataFrame:
    """:func:`forest_rows` for manifestations, with ``kind`` telling the groups the
    abstract singled out from the others (the marker of the forest plot)."""
    rows = forest_rows(summary, arm, arms)
    rows["kind"] = rows["favoured"].map({True: "skin, haematological, fever", False: "other"})
    return rows
