"""Efficacy endpoints assembled from a cohort: SRI-k response, SLEDAI, PGA, steroids.

Each function composes the derivations of ``helpers.derive`` and the statistics of
``helpers.stats`` on a validated :class:`helpers.data.Cohort`, restricted to an analysis
population and labelled with the arm that population is analysed by (the randomized arm
for intention to treat, when the config says so), so a chapter gets an analysis-ready
frame in one call. Frames are keyed by codes (``AVISITN``, ``PARAMCD``, criterion,
analysis and role codes); the words for them are in :mod:`helpers.present.prose.efficacy`.

Estimands follow the design: with several arms every efficacy result is per arm or a
comparison between arms (the analysis plan's test, :func:`helpers.stats.compare_response`);
nothing here pools randomized arms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers import derive, stats
from helpers.analyses.arms import total_label
from helpers.data import Cohort

#: The SRI criteria a non-responder can fail, in the order of the definition, and the
#: flag of :func:`helpers.derive.derive_sri` each reads (``missing``: not evaluable).
#: :func:`failed_components` adds ``failure`` (a treatment-failure rule of the analysis
#: plan, ``DTYPE == "TF"``) when asked.
CRITERIA: dict[str, str] = {"sledai": "CRIT1FL", "bilag": "CRIT2FL", "pga": "CRIT3FL", "missing": "DTYPE"}

#: The role of an end point at a visit (:func:`visit_roles`): the primary week, the
#: analysis plan's secondary weeks, every other week.
ROLES: tuple[str, ...] = ("primary", "secondary", "exploratory")

#: The multiplicity procedures of ``analysis.multiplicity``, as
#: :func:`helpers.stats.adjust_pvalues` names them.
_ADJUST = {"none": "none", "holm": "holm", "bonferroni": "bonf"}


def treatment_failure_rules(cohort: Cohort) -> dict[str, object] | None:
    """The treatment-failure rules of the analysis plan, as the arguments of
    :func:`helpers.derive.derive_treatment_failure` (``steroid_margin``, ``rescue_flag``);
    None when the plan sets none (the default).

    ``steroid_increase: true`` turns the steroid rule on with ``steroid_margin`` (mg/day,
    default 0: any increase over the baseline dose); ``rescue_flag`` names a column of
    ``adsl``.
    """
    rules = cohort.config.analysis.treatment_failure or {}
    margin = float(rules.get("steroid_margin", 0.0)) if rules.get("steroid_increase") else None
    rescue = rules.get("rescue_flag") or None
    if margin is None and rescue is None:
        return None
    return {"steroid_margin": margin, "rescue_flag": rescue}


def treatment_failures(cohort: Cohort) -> pd.DataFrame:
    """The subjects who met a treatment-failure rule of the analysis plan, and from when.

    Returns
    -------
    DataFrame
        From :func:`helpers.derive.derive_treatment_failure`: ``USUBJID``, ``TFWEEK``,
        ``TFREAS``; empty when the plan sets no rule.

    Raises
    ------
    ValueError
        The steroid rule without an ``adcm`` table, or a rescue flag ``adsl`` lacks.
    """
    rules = treatment_failure_rules(cohort)
    empty = pd.DataFrame(columns=["USUBJID", "TFWEEK", "TFREAS"])
    if rules is None:
        return empty
    if rules["steroid_margin"] is not None and not cohort.has("adcm"):
        raise ValueError(f"{cohort.config.locate('analysis.treatment_failure')}: the steroid rule needs the "
                         "steroid doses (adcm), which this cohort lacks")
    steroid = cohort["adcm"] if cohort.has("adcm") else pd.DataFrame(columns=["USUBJID", "AVISITN", "AVAL"])
    return derive.derive_treatment_failure(steroid, cohort["adsl"], rules["steroid_margin"], rules["rescue_flag"],
                                           baseline_week=cohort.config.baseline_week)


def sri_response(cohort: Cohort, k: int = 4, imputation: str = "nri", population: str = "efficacy",
                 treatment_failure: bool = True) -> pd.DataFrame:
    """SRI-k response of every subject in an analysis population at every scheduled visit.

    Parameters
    ----------
    cohort : Cohort
        With ``adsledai``, ``adbilag`` and ``adpga``.
    k : int
        SLEDAI reduction required (4 to 8 in the literature).
    imputation : {"nri", "observed"}
        ``nri``: every subject at every scheduled post-baseline week, a missing or not
        evaluable response counted as non-response (``DTYPE = "NRI"``). ``observed``:
        only visits where the response could be evaluated.
    population : str
        A population of the config (``efficacy``; ``randomized`` for the true
        intention-to-treat analysis, where a subject randomized but never treated has no
        visit and counts as a non-responder).
    treatment_failure : bool
        Apply the analysis plan's treatment-failure rules (:func:`treatment_failures`):
        from a subject's failing week on, the response is 0 and ``DTYPE`` is ``"TF"``.
        Nothing changes when the plan sets none.

    Returns
    -------
    DataFrame
        From :func:`helpers.derive.derive_sri` plus the population's arm column,
        ``AVISIT`` from the schedule, and ``DTYPE``.
    """
    if imputation not in ("nri", "observed"):
        raise ValueError(f"imputation must be 'nri' or 'observed', got {imputation!r}")
    cfg = cohort.config
    if population not in cfg.populations:
        raise ValueError(f"population must be one of {sorted(cfg.populations)}, got {population!r}")
    base = cfg.baseline_week
    sledai = sledai_totals(cohort)
    flares = cohort.derived("bilag_flares", lambda c: derive.derive_bilag_new_flares(c["adbilag"], baseline_week=base))
    pga = cohort.derived("pga_worsening", lambda c: derive.derive_pga_worsening(c["adpga"], baseline_week=base))
    sri = derive.derive_sri(sledai, flares, pga, k=k, baseline_week=base)
    sri = sri[sri["AVISITN"].isin(cfg.post_baseline_weeks)]
    subjects = cohort.population(population)["USUBJID"]
    labels = {v.week: v.label for v in cfg.visits}
    if imputation == "nri":
        out = derive.impute_nonresponders(sri, subjects, cfg.post_baseline_weeks, labels)
    else:
        out = sri[sri["AVISITN"].isin(cfg.post_baseline_weeks) & sri["AVAL"].notna() & sri["USUBJID"].isin(subjects)].copy()
        out["DTYPE"] = ""
        out["AVISIT"] = out["AVISITN"].map(labels)
    out["PARAMCD"] = f"SRI{k}"
    if treatment_failure:
        failures = treatment_failures(cohort)
        if len(failures):
            out = derive.apply_treatment_failure(out, failures)
    return cohort.with_population(out, kind=population)


def sledai_totals(cohort: Cohort) -> pd.DataFrame:
    """SLEDAI totals of every subject and visit, derived once per loaded cohort."""
    return cohort.derived("sledai_total", lambda c: derive.derive_sledai_total(c["adsledai"]))


def sledai_by_visit(cohort: Cohort) -> pd.DataFrame:
    """SLEDAI total per subject and visit with ``BASE`` and ``CHG`` and the arm
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


def covariate_frame(cohort: Cohort, covariates: Sequence[str]) -> pd.DataFrame:
    """One row per subject with the covariates an adjusted model names.

    ``SLEDAIBL`` is the baseline SLEDAI total (derived); any other covariate is a column
    of ``adsl``.

    Returns
    -------
    DataFrame
        ``USUBJID`` and one column per covariate, every subject of ``adsl``.

    Raises
    ------
    ValueError
        A covariate that is neither ``SLEDAIBL`` nor a column of ``adsl``.
    """
    adsl = cohort["adsl"]
    out = adsl[["USUBJID"]].copy()
    for c in dict.fromkeys(covariates):
        if c == "SLEDAIBL":
            tot = sledai_totals(cohort)
            base = tot.loc[tot["AVISITN"] == cohort.config.baseline_week, ["USUBJID", "AVAL"]]
            out = out.merge(base.rename(columns={"AVAL": c}), on="USUBJID", how="left")
        elif c in adsl.columns:
            values = pd.to_numeric(adsl[c], errors="coerce")
            if (values.isna() & adsl[c].notna()).any():
                raise ValueError(f"covariate {c!r} of adsl ({cohort.files.get('adsl', 'adsl')}) is not numeric")
            out[c] = values.to_numpy()
        else:
            raise ValueError(f"covariate {c!r} is neither SLEDAIBL nor a column of adsl "
                             f"({cohort.files.get('adsl', 'adsl')})")
    return out


# ---------------------------------------------------------------------------------------
# selecting rows of a by-arm summary


def at_week(frame: pd.DataFrame, week: int) -> pd.DataFrame:
    """The rows of ``frame`` at one visit (``AVISITN == week``)."""
    return frame[frame["AVISITN"] == week].reset_index(drop=True)


def all_subjects(frame: pd.DataFrame, arm: str, arms: Sequence[str], **match: object) -> pd.Series:
    """The one row of a by-arm summary that holds every subject: the arm's row with one
    arm (the ``Total`` row of a summary that has one, with several); among the rows whose
    columns equal ``match``. Efficacy summaries of randomized arms have no ``Total``.

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


def rows_matching(frame: pd.DataFrame, **match: object) -> pd.DataFrame:
    """Every row of ``frame`` whose columns equal ``match`` (e.g. one analysis of a
    by-arm sensitivity summary), in order, re-indexed.

    Examples
    --------
    >>> f = pd.DataFrame({"k": [4, 4, 5], "arm": ["A", "B", "A"], "n": [3, 4, 3]})
    >>> rows_matching(f, k=4)["arm"].tolist()
    ['A', 'B']
    """
    rows = frame
    for column, value in match.items():
        rows = rows[rows[column] == value]
    return rows.reset_index(drop=True)


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


def comparisons_by_week(by_week: pd.DataFrame, names: Mapping[str, str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Between-arm comparisons at every visit as one row per compared arm, with a column
    per name and week: what :meth:`helpers.chapter.Chapter.glue_comparisons` glues.

    Parameters
    ----------
    by_week : DataFrame
        One row per visit and compared arm: ``AVISITN``, ``arm``, ``reference`` and the
        named columns (from :func:`rate_differences_by_week`).
    names : mapping
        Name template (with ``{week}``) -> column.

    Returns
    -------
    (DataFrame, dict)
        ``arm``, ``reference`` and one column per name and week; and the glue names,
        each mapped to its column.

    Examples
    --------
    >>> f = pd.DataFrame({"AVISITN": [2, 4], "arm": "A", "reference": "B", "diff": [0.1, 0.2]})
    >>> wide, names = comparisons_by_week(f, {"d_week{week}": "diff"})
    >>> wide.values.tolist(), names
    ([['A', 'B', 0.1, 0.2]], {'d_week2': 'd_week2', 'd_week4': 'd_week4'})
    """
    rows = []
    for (a, ref), g in by_week.groupby(["arm", "reference"], sort=False):
        row = {"arm": a, "reference": ref}
        row.update(values_by_week(g, names))
        rows.append(row)
    out = pd.DataFrame(rows)
    return out, {c: c for c in out.columns if c not in ("arm", "reference")}


def visit_roles(weeks: Sequence[int], primary_week: int, secondary_weeks: Sequence[int] = ()) -> dict[int, str]:
    """The role of the SRI end point at each visit (:data:`ROLES`).

    Examples
    --------
    >>> visit_roles([2, 12, 24], 12, [24])
    {2: 'exploratory', 12: 'primary', 24: 'secondary'}
    """
    return {int(w): "primary" if w == primary_week else "secondary" if w in set(secondary_weeks) else "exploratory"
            for w in weeks}


def _ordered(frame: pd.DataFrame, arm: str, arms: Sequence[str], by: Sequence[str] = ()) -> pd.DataFrame:
    """``frame`` with its rows in the config's arm order (then ``by``), stable."""
    order = {a: i for i, a in enumerate(arms)}
    key = frame[arm].map(order).fillna(len(order))
    return (frame.assign(_o=key).sort_values(["_o", *by], kind="stable").drop(columns="_o")
            .reset_index(drop=True))


# ---------------------------------------------------------------------------------------
# SRI response


def summarize_by_visit(sri: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Responders at every visit, by arm (never pooled across arms).

    Returns
    -------
    DataFrame
        From :func:`helpers.stats.summarize_response` with ``by=[arm, "AVISITN"]``, arms
        in the config's order.
    """
    return _ordered(stats.summarize_response(sri, by=[arm, "AVISITN"], confidence=confidence), arm, arms, ["AVISITN"])


def change_by_visit(bds: pd.DataFrame, arm: str, arms: Sequence[str], baseline_week: int = 0,
                    padjust: str = "holm") -> pd.DataFrame:
    """The change from baseline at every visit, by arm, tested against baseline
    (Wilcoxon signed-rank), adjusted within each arm across its post-baseline visits:
    the family is one measure in one arm, never a pooled group.

    Parameters
    ----------
    bds : DataFrame
        One measure (``PARAMCD``): ``USUBJID``, ``AVISITN``, ``AVAL`` and ``arm``.

    Returns
    -------
    DataFrame
        From :func:`helpers.stats.paired_tests_by_visit` with ``by=[arm]`` and
        ``family=[arm]``: arms in the config's order, ``family_size`` the visits tested.
    """
    out = stats.paired_tests_by_visit(bds, by=[arm], baseline_week=baseline_week, padjust=padjust, family=[arm])
    return out if out.empty else _ordered(out, arm, arms, ["AVISITN"])


def failed_components(sri: pd.DataFrame, week: int, arm: str, treatment_failure: bool = False) -> pd.DataFrame:
    """Among non-responders at ``week``, which SRI criteria they failed.

    Parameters
    ----------
    sri : DataFrame
        From :func:`sri_response` (NRI).
    treatment_failure : bool
        Add a ``failure`` row per arm: non-responders by a treatment-failure rule of the
        analysis plan (``DTYPE == "TF"``), whatever the criteria say.

    Returns
    -------
    DataFrame
        One row per arm and criterion: ``arm``, ``criterion`` (a code of
        :data:`CRITERIA`: ``sledai`` the SLEDAI reduction, ``bilag`` a new BILAG A or
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
        if treatment_failure:
            rows.append({arm: a, "criterion": "failure", "n": int((g["DTYPE"] == "TF").sum()), "n_nonresponders": len(g)})
    return pd.DataFrame(rows, columns=[arm, "criterion", "n", "n_nonresponders"])


def nonresponders_by_arm(failed: pd.DataFrame, arm: str) -> pd.DataFrame:
    """Non-responders of each arm, and how many failed each criterion.

    Parameters
    ----------
    failed : DataFrame
        From :func:`failed_components`.

    Returns
    -------
    DataFrame
        One row per arm: ``arm``, ``nonresponders``, then one count per criterion code of
        :data:`CRITERIA`.

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01A": ["A", "A", "B", "B"], "criterion": ["sledai", "missing"] * 2,
    ...                   "n": [2, 1, 0, 1], "n_nonresponders": [3, 3, 1, 1]})
    >>> nonresponders_by_arm(f, "TRT01A").values.tolist()
    [['A', 3, 2, 1], ['B', 1, 0, 1]]
    """
    rows = []
    for a, g in failed.groupby(arm, sort=False, observed=True):
        row = {arm: a, "nonresponders": int(g["n_nonresponders"].iloc[0])}
        row.update({str(c): int(n) for c, n in zip(g["criterion"], g["n"], strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def response_wide(sri: pd.DataFrame, arm: str) -> pd.DataFrame:
    """One row per subject with the arm and the response at each week (columns = weeks)."""
    wide = sri.pivot_table(index=["USUBJID", arm], columns="AVISITN", values="AVAL", aggfunc="first", observed=True)
    return wide.reset_index()


def subject_response_at(sri: pd.DataFrame, week: int, cohort: Cohort, arm: str | None = None,
                        covariates: Sequence[str] = ("SLEDAIBL",)) -> pd.DataFrame:
    """Response at ``week`` per subject with the covariates of adjusted models
    (:func:`covariate_frame`).

    Parameters
    ----------
    arm : str, optional
        The arm column of ``sri`` (default: the efficacy population's arm variable).

    Returns
    -------
    DataFrame
        ``USUBJID``, the arm, ``AVAL`` (float), then one column per covariate.
    """
    arm = arm or cohort.config.population_arm("efficacy")
    at = sri.loc[sri["AVISITN"] == week, ["USUBJID", arm, "AVAL"]]
    out = at.merge(covariate_frame(cohort, covariates), on="USUBJID", how="left")
    out["AVAL"] = out["AVAL"].astype(float)
    return out


# ---------------------------------------------------------------------------------------
# sensitivity analyses


def sri_variants(cohort: Cohort, week: int, arm: str, primary: pd.DataFrame | None = None,
                 stricter: Sequence[int] = (5, 6), randomized: str | None = "randomized") -> pd.DataFrame:
    """The primary end point (SRI-4, non-responder imputation) and its sensitivity
    analyses at one week, one row per subject and analysis.

    Parameters
    ----------
    cohort : Cohort
    week : int
    arm : str
        The arm column of the result (the efficacy population's arm variable); the
        randomized population's arm is renamed to it.
    primary : DataFrame, optional
        The primary analysis' response (from :func:`sri_response`), when already
        computed.
    stricter : sequence of int
        The thresholds ``k`` of the stricter analyses (non-responder imputation).
    randomized : str or None
        The config's population of every randomized subject (true intention to treat:
        subjects randomized but never treated count as non-responders); left out when
        the config has no such population, or with one arm.

    Returns
    -------
    DataFrame
        ``analysis`` (``primary``, ``observed``, ``sri<k>``, ``itt``), ``k``,
        ``imputation`` (``nri`` or ``observed``), ``population``, ``primary`` (bool),
        ``USUBJID``, the arm, ``AVAL``, ``DTYPE``.
    """
    variants = [("primary", 4, "nri", "efficacy", primary if primary is not None else sri_response(cohort, 4, "nri")),
                ("observed", 4, "observed", "efficacy", sri_response(cohort, 4, "observed"))]
    variants += [(f"sri{k}", k, "nri", "efficacy", sri_response(cohort, k, "nri")) for k in stricter]
    if randomized and randomized in cohort.config.populations and len(cohort.arms) > 1:
        itt = sri_response(cohort, 4, "nri", population=randomized)
        itt = itt.rename(columns={cohort.config.population_arm(randomized): arm})
        variants.append(("itt", 4, "nri", randomized, itt))
    parts = []
    for name, k, imputation, population, df in variants:
        at = df.loc[df["AVISITN"] == week, ["USUBJID", arm, "AVAL", "DTYPE"]]
        parts.append(at.assign(analysis=name, k=k, imputation=imputation, population=population,
                               primary=name == "primary"))
    out = pd.concat(parts, ignore_index=True)
    return out[["analysis", "k", "imputation", "population", "primary", "USUBJID", arm, "AVAL", "DTYPE"]]


def sri_sensitivity(variants: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Responders per analysis and arm (never pooled across arms).

    Parameters
    ----------
    variants : DataFrame
        From :func:`sri_variants`.

    Returns
    -------
    DataFrame
        One row per analysis and arm (every arm, in the config's order; an arm without an
        evaluable subject as 0 of 0 with a missing rate), analyses in the order of
        :func:`sri_variants`: ``analysis``, ``k``, ``imputation``, ``population``,
        ``primary``, the arm, ``responders``, ``n``, ``rate``, ``ci_low``, ``ci_high``,
        ``method``.
    """
    keys = ["analysis", "k", "imputation", "population", "primary"]
    s = stats.summarize_response(variants, by=[*keys, arm], confidence=confidence)
    # every arm of every analysis, an arm without an evaluable subject as 0 of 0
    grid = variants[keys].drop_duplicates().merge(pd.DataFrame({arm: list(arms)}), how="cross")
    s = grid.merge(s, on=[*keys, arm], how="left")
    empty = s["n"].isna()
    s["responders"] = s["responders"].fillna(0).astype(int)
    s["n"] = s["n"].fillna(0).astype(int)
    s["method"] = s["method"].fillna("Clopper-Pearson")
    s.loc[empty, ["rate", "ci_low", "ci_high"]] = np.nan
    return s[[*keys, arm, "responders", "n", "rate", "ci_low", "ci_high", "method"]]


def sensitivity_comparisons(variants: pd.DataFrame, arm: str, arms: Sequence[str], reference: str,
                            test: str = "score", covariates: pd.DataFrame | None = None,
                            confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Each analysis of :func:`sri_variants` compared between arms by the primary test.

    Parameters
    ----------
    covariates : DataFrame, optional
        From :func:`covariate_frame`, for ``test="logistic"``.

    Returns
    -------
    DataFrame
        One row per analysis and compared arm: ``analysis``, ``k``, ``imputation``,
        ``population``, ``primary``, then the columns of
        :func:`helpers.stats.compare_response`, then ``p_chisq`` (Pearson's chi-square
        test, for comparison with published values), ``significant`` (p < alpha),
        ``unchanged`` (:func:`conclusion_unchanged` against the primary analysis of the
        same compared arm).
    """
    rows = []
    keys = ["analysis", "k", "imputation", "population", "primary"]
    names = [c for c in covariates.columns if c != "USUBJID"] if covariates is not None else []
    for values, g in variants.groupby(keys, sort=False):
        data = g.merge(covariates, on="USUBJID", how="left") if names else g
        for a in arms:
            if a == reference:
                continue
            r = stats.compare_response(data, arm, a, reference, test, covariates=names if test == "logistic" else (),
                                       confidence=confidence).iloc[0].to_dict()
            chisq = stats.compare_response(data, arm, a, reference, "chisq", confidence=confidence)
            rows.append({**dict(zip(keys, values, strict=True)), **r, "p_chisq": float(chisq["p_val"].iloc[0]),
                         "significant": bool(r["p_val"] < alpha)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    main = {r["arm"]: r for _, r in out[out["primary"]].iterrows()}
    out["unchanged"] = [conclusion_unchanged(main[r["arm"]], r, alpha) if r["arm"] in main else None
                        for _, r in out.iterrows()]
    return out


def observed_cases_hold(primary: Mapping, observed: Mapping) -> bool | None:
    """Whether a single arm's primary result holds in observed cases: the response rate
    with missed visits left out is not below the lower confidence limit of the primary
    (non-responder imputation) rate. None when either is missing.

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


def conclusion_unchanged(primary: Mapping, other: Mapping, alpha: float) -> bool | None:
    """Whether a sensitivity analysis of a between-arm comparison reaches the primary
    analysis' conclusion: the same side of no effect and the same verdict at ``alpha``.
    None when either p value is missing.

    Parameters
    ----------
    primary, other : mapping
        ``estimate``, ``null`` (the estimate of no effect) and ``p_val`` (rows of
        :func:`sensitivity_comparisons`).

    Examples
    --------
    >>> p = {"estimate": 0.25, "null": 0.0, "p_val": 0.052}
    >>> conclusion_unchanged(p, {"estimate": 0.23, "null": 0.0, "p_val": 0.069}, 0.05)
    True
    >>> conclusion_unchanged(p, {"estimate": 0.3, "null": 0.0, "p_val": 0.01}, 0.05)
    False
    >>> conclusion_unchanged(p, {"estimate": -0.1, "null": 0.0, "p_val": 0.5}, 0.05)
    False
    """
    if pd.isna(primary["p_val"]) or pd.isna(other["p_val"]):
        return None
    same_side = np.sign(primary["estimate"] - primary["null"]) == np.sign(other["estimate"] - other["null"])
    return bool(same_side and (primary["p_val"] < alpha) == (other["p_val"] < alpha))


def check_response(sri: pd.DataFrame, weeks, sensitivity: pd.DataFrame, week: int, arm: str) -> None:
    """Checks a chapter runs on its response data; raises ``ValueError`` when one fails.

    Every subject appears once at every scheduled week (non-responder imputation), rates
    lie in [0, 1], and SRI-(k+1) responders never outnumber SRI-k responders (efficacy
    population, non-responder imputation).

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
    if "population" in nri:
        nri = nri[nri["population"] == "efficacy"]
    for a, g in nri.groupby(arm):
        ordered = g.sort_values("k", kind="stable")
        if (ordered["responders"].diff().dropna() > 0).any():
            raise ValueError(f"arm {a}: a stricter SRI threshold has more responders than a looser one")


# ---------------------------------------------------------------------------------------
# comparisons between arms


def response_comparisons(at: pd.DataFrame, arm: str, arms: Sequence[str], reference: str, confidence: float = 0.95,
                         test: str = "score", covariates: Sequence[str] = (), supportive: str | None = "SLEDAIBL",
                         endpoint: str = "SRI4", alpha: float = 0.05) -> pd.DataFrame:
    """Each arm against the reference arm: the pre-specified test of the response rate,
    and a supportive logistic regression adjusted for a baseline covariate.

    Parameters
    ----------
    at : DataFrame
        One row per subject at one visit: ``arm``, ``AVAL`` (1/0) and the covariates
        (from :func:`subject_response_at`).
    test : str
        The analysis plan's primary test (:func:`helpers.stats.compare_response`).
    covariates : sequence of str
        The plan's covariates (``logistic`` only).
    supportive : str or None
        The covariate of the supportive logistic regression (None: none).
    endpoint : str
        The response's ``PARAMCD``, carried to the output.

    Returns
    -------
    DataFrame
        Per compared arm, a ``primary`` row (the plan's test, with the interval that
        inverts it) then, unless the primary test already is that model, a
        ``supportive`` row (odds ratio, Wald): ``endpoint``, ``role``, then the columns
        of :func:`helpers.stats.compare_response`, then ``significant`` (p < alpha).
    """
    rows = []
    for a in arms:
        if a == reference:
            continue
        r = stats.compare_response(at, arm, a, reference, test, covariates=covariates if test == "logistic" else (),
                                   confidence=confidence).iloc[0].to_dict()
        rows.append({"endpoint": endpoint, "role": "primary", **r})
        same = test == "logistic" and list(covariates) == [supportive]
        if supportive and not same:
            s = stats.compare_response(at, arm, a, reference, "logistic", covariates=[supportive],
                                       confidence=confidence).iloc[0].to_dict()
            rows.append({"endpoint": endpoint, "role": "supportive", **s})
    out = pd.DataFrame(rows)
    out["significant"] = out["p_val"] < alpha
    return out


def primary_comparison(comparisons: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """The primary and the supportive row of the first compared arm (None without a
    supportive analysis).

    Parameters
    ----------
    comparisons : DataFrame
        From :func:`response_comparisons`.
    """
    first = comparisons["arm"].iloc[0]
    main = first_match(comparisons, arm=first, role="primary")
    rows = comparisons[(comparisons["arm"] == first) & (comparisons["role"] == "supportive")]
    return main, (rows.iloc[0] if len(rows) else None)


def rate_differences_by_week(sri: pd.DataFrame, arm: str, arms: Sequence[str], reference: str,
                             confidence: float = 0.95, test: str = "score", primary_week: int | None = None,
                             secondary_weeks: Sequence[int] = (), multiplicity: str = "none",
                             covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """The response compared between arms at every visit by the primary test, each
    visit with its role: the primary week, the secondary weeks (adjusted across them
    by the stated procedure, or nominal), every other week exploratory.

    Parameters
    ----------
    multiplicity : {"none", "holm", "bonferroni"}
        The analysis plan's procedure across the secondary weeks (per compared arm).
    covariates : DataFrame, optional
        From :func:`covariate_frame`, for ``test="logistic"``.

    Returns
    -------
    DataFrame
        One row per visit and compared arm: ``AVISITN``, ``role`` (:data:`ROLES`), the
        columns of :func:`helpers.stats.compare_response`, ``p_adj`` (the p value after
        the procedure for secondary weeks, else ``p_val``), ``adjustment`` (the
        procedure on secondary rows, ``""`` elsewhere).

    Raises
    ------
    ValueError
        An unknown multiplicity procedure.
    """
    if multiplicity not in _ADJUST:
        raise ValueError(f"multiplicity must be one of {list(_ADJUST)}, got {multiplicity!r}")
    names = [c for c in covariates.columns if c != "USUBJID"] if covariates is not None else []
    weeks = sorted(int(w) for w in sri["AVISITN"].unique())
    roles = visit_roles(weeks, primary_week if primary_week is not None else -1, secondary_weeks)
    rows = []
    for week in weeks:
        at = sri[sri["AVISITN"] == week]
        if names:
            at = at.merge(covariates, on="USUBJID", how="left")
        for a in arms:
            if a == reference:
                continue
            r = stats.compare_response(at, arm, a, reference, test, covariates=names if test == "logistic" else (),
                                       confidence=confidence).iloc[0].to_dict()
            rows.append({"AVISITN": week, "role": roles[week], **r})
    out = pd.DataFrame(rows)
    out["p_adj"] = out["p_val"]
    out["adjustment"] = ""
    for _, g in out[out["role"] == "secondary"].groupby("arm", sort=False):
        out.loc[g.index, "p_adj"] = stats.adjust_pvalues(g["p_val"], _ADJUST[multiplicity])
        out.loc[g.index, "adjustment"] = multiplicity
    return out


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


def check_not_pooled(glued: Mapping[str, object], arms: Sequence[str]) -> None:
    """Check that a chapter glued no efficacy value pooled across randomized arms: with
    several arms, no name is glued both per arm (``<name>@<arm>``) and bare (the bare
    name of an efficacy result is a between-arm comparison, ``<name>@<arm>-vs-<ref>``,
    or nothing).

    Raises
    ------
    ValueError
        Naming every pooled value.

    Examples
    --------
    >>> check_not_pooled({"rate@A": 0.5, "rate@B": 0.3, "diff@A-vs-B": 0.2, "diff": 0.2, "n_population": 9}, ["A", "B"])
    >>> check_not_pooled({"rate@A": 0.5, "rate@B": 0.3, "rate": 0.4}, ["A", "B"])
    Traceback (most recent call last):
    ...
    ValueError: values pooled across the arms ['A', 'B'] (glued bare and per arm): ['rate']
    """
    if len(arms) < 2:
        return
    per_arm = {name.rsplit("@", 1)[0] for name in glued if "@" in name and name.rsplit("@", 1)[1] in set(arms)}
    pooled = sorted(per_arm & set(glued))
    if pooled:
        raise ValueError(f"values pooled across the arms {list(arms)} (glued bare and per arm): {pooled}")
