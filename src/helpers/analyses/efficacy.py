"""Efficacy endpoints assembled from a cohort: SRI-k response, SLEDAI-2K, PGA, steroids.

Each function composes the derivations of ``helpers.derive`` on a validated
:class:`helpers.data.Cohort`, restricted to the efficacy population and labelled with
the arm, so a chapter gets an analysis-ready frame in one call.
"""

from __future__ import annotations

import pandas as pd

from helpers import derive
from helpers.data import Cohort


def _with_arm(df: pd.DataFrame, cohort: Cohort, population: str = "efficacy") -> pd.DataFrame:
    subjects = cohort.population(population)[["USUBJID", cohort.arm_var]]
    return df.merge(subjects, on="USUBJID", how="inner")


def sri_response(cohort: Cohort, k: int = 4, imputation: str = "nri") -> pd.DataFrame:
    """SRI-k response of every subject in the efficacy population at every scheduled visit.

    Parameters
    ----------
    cohort : Cohort
        With ``adsledai``, ``adbilag`` and ``adpga``.
    k : int
        SLEDAI-2K reduction required (4 to 8 in the literature).
    imputation : {"nri", "observed"}
        ``nri``: every subject at every scheduled post-baseline week, a missing or not
        evaluable response counted as non-response (``DTYPE = "NRI"``). ``observed``:
        only visits where the response could be evaluated.

    Returns
    -------
    DataFrame
        From :func:`helpers.derive.derive_sri` plus the arm column, ``AVISIT`` from the
        schedule, and ``DTYPE``.
    """
    if imputation not in ("nri", "observed"):
        raise ValueError(f"imputation must be 'nri' or 'observed', got {imputation!r}")
    cfg = cohort.config
    base = cfg.baseline_week
    sledai = sledai_totals(cohort)
    flares = cohort.derived("bilag_flares", lambda c: derive.derive_bilag_new_flares(c["adbilag"], baseline_week=base))
    pga = cohort.derived("pga_worsening", lambda c: derive.derive_pga_worsening(c["adpga"], baseline_week=base))
    sri = derive.derive_sri(sledai, flares, pga, k=k, baseline_week=base)
    sri = sri[sri["AVISITN"].isin(cfg.post_baseline_weeks)]
    subjects = cohort.population("efficacy")["USUBJID"]
    labels = {v.week: v.label for v in cfg.visits}
    if imputation == "nri":
        out = derive.impute_nonresponders(sri, subjects, cfg.post_baseline_weeks, labels)
    else:
        out = sri[sri["AVISITN"].isin(cfg.post_baseline_weeks) & sri["AVAL"].notna() & sri["USUBJID"].isin(subjects)].copy()
        out["DTYPE"] = ""
        out["AVISIT"] = out["AVISITN"].map(labels)
    out["PARAMCD"] = f"SRI{k}"
    return _with_arm(out, cohort)


def sledai_totals(cohort: Cohort) -> pd.DataFrame:
    """SLEDAI-2K totals of every subject and visit, derived once per loaded cohort."""
    return cohort.derived("sledai_total", lambda c: derive.derive_sledai_total(c["adsledai"]))


def sledai_by_visit(cohort: Cohort) -> pd.DataFrame:
    """SLEDAI-2K total per subject and visit with ``BASE`` and ``CHG`` and the arm
    (efficacy population)."""
    cfg = cohort.config
    tot = sledai_totals(cohort)
    tot = derive.derive_chg(derive.derive_base(tot, baseline_week=cfg.baseline_week))
    return _with_arm(tot, cohort)


def measure_by_visit(cohort: Cohort, table: str, population: str = "efficacy") -> pd.DataFrame:
    """Any per-visit BDS table (``adpga``, ``adcm``, ``adlb``, ``adcyto``) with ``BASE``,
    ``CHG`` and the arm, restricted to a population."""
    cfg = cohort.config
    df = cohort[table]
    df = derive.derive_chg(derive.derive_base(df, baseline_week=cfg.baseline_week))
    return _with_arm(df, cohort, population)


def failed_components(sri: pd.DataFrame, week: int, arm: str) -> pd.DataFrame:
    """Among non-responders at ``week``, which SRI criteria they failed.

    Parameters
    ----------
    sri : DataFrame
        From :func:`sri_response` (NRI).

    Returns
    -------
    DataFrame
        One row per arm and reason: ``arm``, ``reason`` (``"SLEDAI-2K reduction"``,
        ``"new BILAG A or > 1 new B"``, ``"PGA worsened"``, ``"missing visit or
        component"``), ``n`` (non-responders with that reason; one subject can fail
        several criteria), ``n_nonresponders``.

    Examples
    --------
    >>> sri = pd.DataFrame({"TRT01A": "A", "AVISITN": 6, "AVAL": [1.0, 0.0, 0.0],
    ...                     "CRIT1FL": ["Y", "N", "N"], "CRIT2FL": ["Y", "Y", "N"],
    ...                     "CRIT3FL": ["Y", "Y", "Y"], "DTYPE": ["", "", ""]})
    >>> failed_components(sri, 6, "TRT01A")[["reason", "n"]]
                          reason  n
    0         SLEDAI-2K reduction  2
    1    new BILAG A or > 1 new B  1
    2                PGA worsened  0
    3  missing visit or component  0
    """
    at = sri[(sri["AVISITN"] == week) & (sri["AVAL"] == 0)]
    rows = []
    for a in pd.unique(sri[arm]):
        g = at[at[arm] == a]
        missing = (g["DTYPE"] == "NRI")
        reasons = {
            "SLEDAI-2K reduction": (g["CRIT1FL"] == "N").sum(),
            "new BILAG A or > 1 new B": (g["CRIT2FL"] == "N").sum(),
            "PGA worsened": (g["CRIT3FL"] == "N").sum(),
            "missing visit or component": missing.sum(),
        }
        for reason, n in reasons.items():
            rows.append({arm: a, "reason": reason, "n": int(n), "n_nonresponders": len(g)})
    return pd.DataFrame(rows)


def response_wide(sri: pd.DataFrame, arm: str) -> pd.DataFrame:
    """One row per subject with the arm and the response at each week (columns = weeks)."""
    wide = sri.pivot_table(index=["USUBJID", arm], columns="AVISITN", values="AVAL", aggfunc="first", observed=True)
    return wide.reset_index()


def subject_response_at(sri: pd.DataFrame, week: int, cohort: Cohort) -> pd.DataFrame:
    """Response at ``week`` per subject with baseline SLEDAI-2K, for models adjusted on it."""
    at = sri.loc[sri["AVISITN"] == week, ["USUBJID", cohort.arm_var, "AVAL"]]
    base = sledai_by_visit(cohort)
    base = base.loc[base["AVISITN"] == cohort.config.baseline_week, ["USUBJID", "AVAL"]].rename(columns={"AVAL": "SLEDAIBL"})
    out = at.merge(base, on="USUBJID", how="left")
    out["AVAL"] = out["AVAL"].astype(float)
    return out



def response_comparisons(at: pd.DataFrame, arm: str, arms, reference: str, confidence: float = 0.95,
                         covariate: str = "SLEDAIBL", label: str = "SRI-4") -> pd.DataFrame:
    """Each arm against the reference arm: difference in response rates and adjusted odds ratio.

    Parameters
    ----------
    at : DataFrame
        One row per subject at one visit: ``arm``, ``AVAL`` (1/0) and ``covariate``
        (from :func:`subject_response_at`).

    Returns
    -------
    DataFrame
        Rows for :func:`helpers.present.tables.comparison_table`: ``analysis``, ``comparison``,
        ``estimate``, ``ci_low``, ``ci_high``, ``p_val``, ``method``, ``scale``, and
        ``p_fisher`` for the rate difference.
    """
    from helpers import stats

    rows = []
    for r in _rate_differences(at, arm, arms, reference, confidence):
        rows.append({**r, "analysis": f"{label} rate difference",
                     "method": r["method"] + f"; Fisher exact p = {r['p_fisher']:.3f}"})
    logit = stats.logistic_regression(at, "AVAL", arm, reference, [covariate], confidence)
    for r in logit.itertuples(index=False):
        rows.append({"analysis": f"{label} odds ratio, adjusted for baseline SLEDAI-2K", "comparison": f"{r.term} vs {reference}",
                     "estimate": r.odds_ratio, "ci_low": r.ci_low, "ci_high": r.ci_high, "p_val": r.p_val,
                     "p_fisher": float("nan"), "method": r.method + ("" if r.converged else " (did not converge)"),
                     "scale": "ratio", "arm": r.term})
    return pd.DataFrame(rows)


def summarize_variants(variants: dict[str, pd.DataFrame], week: int, arm: str, arms, confidence: float = 0.95) -> pd.DataFrame:
    """Responders at one week under several analyses (imputation, threshold), by arm and total.

    Parameters
    ----------
    variants : dict
        Analysis label -> response frame from :func:`sri_response`.

    Returns
    -------
    DataFrame
        ``analysis``, ``arm``, ``responders``, ``n``, ``rate``, ``ci_low``, ``ci_high``,
        ``method``, in the order of ``variants``.
    """
    from helpers import stats
    from helpers.present.tables import with_total

    parts = []
    for label, df in variants.items():
        at = with_total(df[df["AVISITN"] == week], arm, arms)
        s = stats.summarize_response(at, by=[arm], confidence=confidence)
        s.insert(0, "analysis", label)
        parts.append(s)
    return pd.concat(parts, ignore_index=True)


def change_comparisons(measures: dict[str, pd.DataFrame], week: int, arm: str, arms, reference: str,
                       confidence: float = 0.95) -> pd.DataFrame:
    """ANCOVA of the change from baseline at ``week`` for each measure, each arm against
    the reference; rows for :func:`helpers.present.tables.comparison_table`."""
    from helpers import stats

    rows = []
    for label, bds in measures.items():
        at = bds[bds["AVISITN"] == week]
        res = stats.ancova_change(at, arm, reference, confidence=confidence)
        for r in res.itertuples(index=False):
            rows.append({"analysis": f"{label}: change from baseline", "comparison": f"{r.term} - {reference}",
                         "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "p_val": r.p_val,
                         "method": r.method, "scale": "difference", "arm": r.term})
    return pd.DataFrame(rows)


def check_response(sri: pd.DataFrame, weeks, sensitivity: pd.DataFrame, week: int, arm: str) -> None:
    """Checks a chapter runs on its response data; raises ``ValueError`` when one fails.

    Every subject appears once at every scheduled week (non-responder imputation), rates
    lie in [0, 1], and SRI-(k+1) responders never outnumber SRI-k responders.
    """
    counts = sri.groupby("USUBJID")["AVISITN"].agg(["size", "nunique"])
    if not ((counts["size"] == len(weeks)) & (counts["nunique"] == len(weeks))).all():
        raise ValueError("SRI response: a subject does not have exactly one row per scheduled week")
    if not sensitivity["rate"].dropna().between(0, 1).all():
        raise ValueError("a response rate lies outside [0, 1]")
    nri = sensitivity[sensitivity["analysis"].str.contains("non-responder imputation")]
    for a, g in nri.groupby(arm):
        ordered = g.sort_values("analysis", key=lambda s: s.str.extract(r"SRI-(\d)")[0].astype(int))
        if (ordered["responders"].diff().dropna() > 0).any():
            raise ValueError(f"arm {a}: a stricter SRI threshold has more responders than a looser one")


def rate_differences_by_week(sri: pd.DataFrame, arm: str, arms, reference: str, visit_labels: dict[int, str],
                             confidence: float = 0.95) -> pd.DataFrame:
    """Difference in response rate against the reference arm at every visit.

    Returns
    -------
    DataFrame
        Rows for :func:`helpers.present.tables.comparison_table` (``analysis`` is the visit
        label), plus ``AVISITN``, ``arm`` and ``p_fisher``.
    """
    rows = []
    for week in sorted(sri["AVISITN"].unique()):
        for r in _rate_differences(sri[sri["AVISITN"] == week], arm, arms, reference, confidence):
            rows.append({"AVISITN": int(week), **r, "analysis": visit_labels.get(int(week), str(week))})
    return pd.DataFrame(rows)


def _rate_differences(at: pd.DataFrame, arm: str, arms, reference: str, confidence: float) -> list[dict]:
    """Each arm against the reference: difference in response rate (``AVAL`` 1/0)."""
    from helpers import stats

    ref = at[at[arm] == reference]
    rows = []
    for a in arms:
        if a == reference:
            continue
        g = at[at[arm] == a]
        r = stats.compare_rates(int(g["AVAL"].sum()), len(g), int(ref["AVAL"].sum()), len(ref), confidence).iloc[0]
        rows.append({"comparison": f"{a} - {reference}", "arm": a, "estimate": r["estimate"], "ci_low": r["ci_low"],
                     "ci_high": r["ci_high"], "p_val": r["p_val"], "p_fisher": r["p_fisher"],
                     "method": "Newcombe interval; Pearson chi-square test", "scale": "percent"})
    return rows
