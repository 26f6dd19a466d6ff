"""Efficacy endpoints assembled from a cohort: SRI-k response, SLEDAI-2K, PGA, steroids.

Each function composes the derivations of ``helpers.derive`` and the statistics of
``helpers.stats`` on a validated :class:`helpers.data.Cohort`, restricted to the
efficacy population and labelled with the arm, so a chapter gets an analysis-ready frame
in one call. Frames are keyed by codes (``AVISITN``, ``PARAMCD``, criterion and analysis
codes); the words for them are in :mod:`helpers.present.prose.efficacy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from helpers import derive, stats
from helpers.analyses.arms import total_label, with_total
from helpers.data import Cohort

#: The SRI criteria a non-responder can fail, in the order of the definition, and the
#: flag of :func:`helpers.derive.derive_sri` each reads (``missing``: not evaluable).
CRITERIA: dict[str, str] = {"sledai": "CRIT1FL", "bilag": "CRIT2FL", "pga": "CRIT3FL", "missing": "DTYPE"}


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
    return cohort.with_population(out)


def sledai_totals(cohort: Cohort) -> pd.DataFrame:
    """SLEDAI-2K totals of every subject and visit, derived once per loaded cohort."""
    return cohort.derived("sledai_total", lambda c: derive.derive_sledai_total(c["adsledai"]))


def sledai_by_visit(cohort: Cohort) -> pd.DataFrame:
    """SLEDAI-2K total per subject and visit with ``BASE`` and ``CHG`` and the arm
    (efficacy population)."""
    cfg = cohort.config
    tot = sledai_totals(cohort)
    tot = derive.derive_chg(derive.derive_base(tot, baseline_week=cfg.baseline_week))
    return cohort.with_population(tot)


def measure_by_visit(cohort: Cohort, table: str, population: str = "efficacy") -> pd.DataFrame:
    """Any per-visit BDS table (``adpga``, ``adcm``, ``adlb``, ``adcyto``) with ``BASE``,
    ``CHG`` and the arm, restricted to a population."""
    cfg = cohort.config
    df = cohort[table]
    df = derive.derive_chg(derive.derive_base(df, baseline_week=cfg.baseline_week))
    return cohort.with_population(df, kind=population)


# ---------------------------------------------------------------------------------------
# selecting rows of a by-arm summary


def at_week(frame: pd.DataFrame, week: int) -> pd.DataFrame:
    """The rows of ``frame`` at one visit (``AVISITN == week``)."""
    return frame[frame["AVISITN"] == week].reset_index(drop=True)


def all_subjects(frame: pd.DataFrame, arm: str, arms: Sequence[str], **match: object) -> pd.Series:
    """The one row of a by-arm summary that holds every subject: the ``Total`` row with
    several arms, the arm's row with one; among the rows whose columns equal ``match``.

    Raises
    ------
    ValueError
        When there is not exactly one such row.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": ["A", "B", "Total"] * 2, "k": [4, 4, 4, 5, 5, 5], "n": [3, 4, 7, 3, 4, 7],
    ...                   "responders": [2, 1, 3, 1, 1, 2]})
    >>> int(all_subjects(s, "TRT01A", ["A", "B"], k=5)["responders"]), int(all_subjects(s[:1], "TRT01A", ["A"])["n"])
    (2, 3)
    """
    who = total_label(arms)
    rows = frame[frame[arm] == who]
    for column, value in match.items():
        rows = rows[rows[column] == value]
    if len(rows) != 1:
        raise ValueError(f"all_subjects: {len(rows)} rows with {arm} == {who!r} and {match} (expected one)")
    return rows.iloc[0]


def first_match(frame: pd.DataFrame, **match: object) -> pd.Series:
    """The first row of ``frame`` whose columns equal ``match``.

    Raises
    ------
    ValueError
        When no row matches.

    Examples
    --------
    >>> f = pd.DataFrame({"measure": ["SLEDAI", "SLEDAI", "PGA"], "arm": ["A", "B", "A"], "estimate": [-2.5, -1.0, -0.3]})
    >>> float(first_match(f, measure="PGA")["estimate"])
    -0.3
    """
    rows = frame
    for column, value in match.items():
        rows = rows[rows[column] == value]
    if rows.empty:
        raise ValueError(f"first_match: no row with {match}")
    return rows.iloc[0]


def wide_by_week(summary: pd.DataFrame, arm: str, value: str) -> pd.DataFrame:
    """One row per arm (in order of appearance) and one column per visit (``AVISITN``)
    holding ``value``.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": ["A", "A", "B", "B"], "AVISITN": [2, 4, 2, 4], "responders": [1, 2, 0, 3]})
    >>> wide_by_week(s, "TRT01A", "responders").values.tolist()
    [['A', 1, 2], ['B', 0, 3]]
    """
    rows = [{arm: a, **dict(zip(g["AVISITN"].astype(int), g[value], strict=True))}
            for a, g in summary.groupby(arm, sort=False, observed=True)]
    return pd.DataFrame(rows)


def values_by_week(frame: pd.DataFrame, names: Mapping[str, str]) -> dict[str, object]:
    """Values of a frame with one row per visit, named by week.

    Parameters
    ----------
    frame : DataFrame
        One row per ``AVISITN``.
    names : mapping
        Name template (with ``{week}``) -> column.

    Returns
    -------
    dict
        ``template.format(week=w)`` -> the column's value at week ``w``, for every row.

    Examples
    --------
    >>> f = pd.DataFrame({"AVISITN": [2, 4], "estimate": [0.1, 0.2]})
    >>> values_by_week(f, {"diff_week{week}": "estimate"})
    {'diff_week2': 0.1, 'diff_week4': 0.2}
    """
    if frame["AVISITN"].duplicated().any():
        raise ValueError("values_by_week: the frame has several rows for a visit; select one comparison first")
    weeks = frame["AVISITN"].astype(int).tolist()
    return {template.format(week=w): v for template, column in names.items()
            for w, v in zip(weeks, frame[column].tolist(), strict=True)}


# ---------------------------------------------------------------------------------------
# SRI response


def summarize_by_visit(sri: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Responders at every visit, by arm and (with several arms) in total.

    Returns
    -------
    DataFrame
        From :func:`helpers.stats.summarize_response` with ``by=[arm, "AVISITN"]``: the
        arms, then ``Total``.
    """
    return stats.summarize_response(with_total(sri, arm, arms), by=[arm, "AVISITN"], confidence=confidence)


def change_by_visit(bds: pd.DataFrame, arm: str, arms: Sequence[str], baseline_week: int = 0) -> pd.DataFrame:
    """The change from baseline at every visit, by arm and (with several arms) in total,
    tested against baseline (Wilcoxon signed-rank, Holm-adjusted across the visits and
    arms of the frame).

    Returns
    -------
    DataFrame
        From :func:`helpers.stats.paired_tests_by_visit` with ``by=[arm]``.
    """
    return stats.paired_tests_by_visit(with_total(bds, arm, arms), by=[arm], baseline_week=baseline_week)


def failed_components(sri: pd.DataFrame, week: int, arm: str) -> pd.DataFrame:
    """Among non-responders at ``week``, which SRI criteria they failed.

    Parameters
    ----------
    sri : DataFrame
        From :func:`sri_response` (NRI).

    Returns
    -------
    DataFrame
        One row per arm and criterion: ``arm``, ``criterion`` (a code of
        :data:`CRITERIA`: ``sledai`` the SLEDAI-2K reduction, ``bilag`` a new BILAG A or
        more than one new B, ``pga`` a worse PGA, ``missing`` a missing visit or
        component), ``n`` (non-responders who failed it; one subject can fail several),
        ``n_nonresponders``.

    Examples
    --------
    >>> sri = pd.DataFrame({"TRT01A": "A", "AVISITN": 6, "AVAL": [1.0, 0.0, 0.0],
    ...                     "CRIT1FL": ["Y", "N", "N"], "CRIT2FL": ["Y", "Y", "N"],
    ...                     "CRIT3FL": ["Y", "Y", "Y"], "DTYPE": ["", "", ""]})
    >>> failed_components(sri, 6, "TRT01A")[["criterion", "n"]]
      criterion  n
    0    sledai  2
    1     bilag  1
    2       pga  0
    3   missing  0
    """
    at = sri[(sri["AVISITN"] == week) & (sri["AVAL"] == 0)]
    rows = []
    for a in pd.unique(sri[arm]):
        g = at[at[arm] == a]
        for code, flag in CRITERIA.items():
            n = (g[flag] == "NRI").sum() if code == "missing" else (g[flag] == "N").sum()
            rows.append({arm: a, "criterion": code, "n": int(n), "n_nonresponders": len(g)})
    return pd.DataFrame(rows, columns=[arm, "criterion", "n", "n_nonresponders"])


def nonresponder_counts(failed: pd.DataFrame, arm: str) -> dict[str, int]:
    """Non-responders over all arms, and how many failed each criterion.

    Parameters
    ----------
    failed : DataFrame
        From :func:`failed_components`.

    Returns
    -------
    dict
        ``nonresponders`` and one count per criterion code of :data:`CRITERIA`.

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01A": ["A", "A", "B", "B"], "criterion": ["sledai", "missing"] * 2,
    ...                   "n": [2, 1, 0, 1], "n_nonresponders": [3, 3, 1, 1]})
    >>> nonresponder_counts(f, "TRT01A")
    {'nonresponders': 4, 'sledai': 2, 'missing': 2}
    """
    out = {"nonresponders": int(failed.drop_duplicates(arm)["n_nonresponders"].sum())}
    out.update({code: int(n) for code, n in failed.groupby("criterion", sort=False)["n"].sum().items()})
    return out


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


def sri_sensitivity(cohort: Cohort, week: int, arm: str, arms: Sequence[str], confidence: float = 0.95,
                    primary: pd.DataFrame | None = None, stricter: Sequence[int] = (5, 6)) -> pd.DataFrame:
    """The primary end point (SRI-4, non-responder imputation) and its sensitivity
    analyses at one week: observed cases, and stricter thresholds (SRI-k).

    Parameters
    ----------
    cohort : Cohort
    week : int
    arm, arms : str, sequence of str
    confidence : float
    primary : DataFrame, optional
        The primary analysis' response (from :func:`sri_response`), when already
        computed.
    stricter : sequence of int
        The thresholds ``k`` of the stricter analyses (non-responder imputation).

    Returns
    -------
    DataFrame
        One row per analysis and arm (then ``Total``): ``k``, ``imputation`` (``nri`` or
        ``observed``), ``primary`` (bool), the arm, ``responders``, ``n``, ``rate``,
        ``ci_low``, ``ci_high``, ``method``; the primary analysis first, then observed
        cases, then the stricter thresholds.
    """
    variants = [(4, "nri", primary if primary is not None else sri_response(cohort, 4, "nri")),
                (4, "observed", sri_response(cohort, 4, "observed"))]
    variants += [(k, "nri", sri_response(cohort, k, "nri")) for k in stricter]
    parts = []
    for i, (k, imputation, df) in enumerate(variants):
        s = stats.summarize_response(with_total(df[df["AVISITN"] == week], arm, arms), by=[arm], confidence=confidence)
        s.insert(0, "primary", i == 0)
        s.insert(0, "imputation", imputation)
        s.insert(0, "k", k)
        parts.append(s)
    return pd.concat(parts, ignore_index=True)


def observed_cases_hold(primary: Mapping, observed: Mapping) -> bool | None:
    """Whether the primary result holds in observed cases: the response rate with missed
    visits left out is not below the lower confidence limit of the primary (non-responder
    imputation) rate. None when either is missing.

    Parameters
    ----------
    primary : mapping
        ``ci_low`` of the primary analysis (e.g. a row of :func:`sri_sensitivity`).
    observed : mapping
        ``rate`` of the observed-cases analysis.

    Examples
    --------
    >>> observed_cases_hold({"ci_low": 0.76}, {"rate": 0.92}), observed_cases_hold({"ci_low": 0.3}, {"rate": 0.25})
    (True, False)
    >>> observed_cases_hold({"ci_low": float("nan")}, {"rate": 0.25}) is None
    True
    """
    low, rate = primary["ci_low"], observed["rate"]
    if pd.isna(low) or pd.isna(rate):
        return None
    return bool(rate >= low)


def check_response(sri: pd.DataFrame, weeks, sensitivity: pd.DataFrame, week: int, arm: str) -> None:
    """Checks a chapter runs on its response data; raises ``ValueError`` when one fails.

    Every subject appears once at every scheduled week (non-responder imputation), rates
    lie in [0, 1], and SRI-(k+1) responders never outnumber SRI-k responders.

    Parameters
    ----------
    sensitivity : DataFrame
        From :func:`sri_sensitivity`.
    """
    counts = sri.groupby("USUBJID")["AVISITN"].agg(["size", "nunique"])
    if not ((counts["size"] == len(weeks)) & (counts["nunique"] == len(weeks))).all():
        raise ValueError("SRI response: a subject does not have exactly one row per scheduled week")
    if not sensitivity["rate"].dropna().between(0, 1).all():
        raise ValueError("a response rate lies outside [0, 1]")
    nri = sensitivity[sensitivity["imputation"] == "nri"]
    for a, g in nri.groupby(arm):
        ordered = g.sort_values("k", kind="stable")
        if (ordered["responders"].diff().dropna() > 0).any():
            raise ValueError(f"arm {a}: a stricter SRI threshold has more responders than a looser one")


# ---------------------------------------------------------------------------------------
# comparisons between arms


def _rate_comparisons(at: pd.DataFrame, arm: str, arms: Sequence[str], reference: str, confidence: float) -> list[dict]:
    """Each arm against the reference: :func:`helpers.stats.compare_rates` of ``AVAL`` (1/0),
    the chi-square test's p as ``p_val``."""
    ref = at[at[arm] == reference]
    rows = []
    for a in arms:
        if a == reference:
            continue
        g = at[at[arm] == a]
        r = stats.compare_rates(int(g["AVAL"].sum()), len(g), int(ref["AVAL"].sum()), len(ref), confidence, test="chisq")
        rows.append({"analysis": "rate_difference", "arm": a, "reference": reference,
                     **r.iloc[0][["estimate", "ci_low", "ci_high", "p_val", "p_chisq", "p_fisher", "test", "method"]].to_dict(),
                     "scale": "percent"})
    return rows


def response_comparisons(at: pd.DataFrame, arm: str, arms: Sequence[str], reference: str, confidence: float = 0.95,
                         covariate: str = "SLEDAIBL", endpoint: str = "SRI4") -> pd.DataFrame:
    """Each arm against the reference arm: difference in response rates and adjusted odds ratio.

    Parameters
    ----------
    at : DataFrame
        One row per subject at one visit: ``arm``, ``AVAL`` (1/0) and ``covariate``
        (from :func:`subject_response_at`).
    endpoint : str
        The response's ``PARAMCD``, carried to the output.

    Returns
    -------
    DataFrame
        Per compared arm, a ``rate_difference`` row (from :func:`helpers.stats.compare_rates`
        with the chi-square test: ``p_val`` is ``p_chisq``, ``test`` says so) then an
        ``odds_ratio`` row (logistic regression on the arm and ``covariate``): ``endpoint``,
        ``analysis``, ``arm``, ``reference``, ``estimate``, ``ci_low``, ``ci_high``,
        ``p_val``, ``p_chisq``, ``p_fisher``, ``test``, ``method``, ``scale`` (``percent``
        or ``ratio``), ``covariate``, ``converged``.
    """
    rows = [{**r, "covariate": "", "converged": True} for r in _rate_comparisons(at, arm, arms, reference, confidence)]
    logit = stats.logistic_regression(at, "AVAL", arm, reference, [covariate], confidence)
    for r in logit.itertuples(index=False):
        rows.append({"analysis": "odds_ratio", "arm": r.term, "reference": reference, "estimate": r.odds_ratio,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "p_val": r.p_val, "p_chisq": float("nan"),
                     "p_fisher": float("nan"), "test": "wald", "method": r.method, "scale": "ratio",
                     "covariate": covariate, "converged": bool(r.converged)})
    out = pd.DataFrame(rows)
    out.insert(0, "endpoint", endpoint)
    return out


def primary_comparison(comparisons: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The rate difference and the odds ratio of the first compared arm.

    Parameters
    ----------
    comparisons : DataFrame
        From :func:`response_comparisons`.
    """
    first = comparisons["arm"].iloc[0]
    return (first_match(comparisons, arm=first, analysis="rate_difference"),
            first_match(comparisons, arm=first, analysis="odds_ratio"))


def rate_differences_by_week(sri: pd.DataFrame, arm: str, arms: Sequence[str], reference: str,
                             confidence: float = 0.95) -> pd.DataFrame:
    """Difference in response rate against the reference arm at every visit.

    Returns
    -------
    DataFrame
        One row per visit and compared arm: ``AVISITN``, then the columns of the
        ``rate_difference`` rows of :func:`response_comparisons` (``p_val`` is the
        chi-square test's).
    """
    rows = []
    for week in sorted(sri["AVISITN"].unique()):
        rows += [{"AVISITN": int(week), **r} for r in _rate_comparisons(sri[sri["AVISITN"] == week], arm, arms, reference,
                                                                           confidence)]
    return pd.DataFrame(rows)


def first_comparison(by_week: pd.DataFrame) -> pd.DataFrame:
    """The rows of the first compared arm (one per visit) of :func:`rate_differences_by_week`."""
    return by_week[by_week["arm"] == by_week["arm"].iloc[0]].reset_index(drop=True)


def change_comparisons(measures: Sequence[pd.DataFrame], week: int, arm: str, arms: Sequence[str], reference: str,
                       confidence: float = 0.95) -> pd.DataFrame:
    """ANCOVA of the change from baseline at ``week`` for each measure, each arm against
    the reference.

    Parameters
    ----------
    measures : sequence of DataFrame
        Per-visit frames with ``PARAMCD``, ``AVISITN``, ``CHG``, ``BASE`` and the arm
        (from :func:`sledai_by_visit`, :func:`measure_by_visit`).

    Returns
    -------
    DataFrame
        One row per measure and compared arm: ``measure`` (the ``PARAMCD``),
        ``analysis`` (``change_ancova``), ``arm``, ``reference``, ``estimate``,
        ``ci_low``, ``ci_high``, ``p_val``, ``method``, ``scale`` (``difference``).
    """
    rows = []
    for bds in measures:
        at = bds[bds["AVISITN"] == week]
        res = stats.ancova_change(at, arm, reference, confidence=confidence)
        code = str(bds["PARAMCD"].iloc[0])
        for r in res.itertuples(index=False):
            rows.append({"measure": code, "analysis": "change_ancova", "arm": r.term, "reference": reference,
                         "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "p_val": r.p_val,
                         "method": r.method, "scale": "difference"})
    return pd.DataFrame(rows)
