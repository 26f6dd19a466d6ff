"""Laboratory markers and lymphocyte subsets: change from baseline, models, normalisation,
response, and the published claims tested against the data.

The ``labs`` and ``immunology`` chapters call these compositions. Statistics come from
:mod:`helpers.stats` (Wilcoxon signed-rank tests, mixed models, ANCOVA, Mann-Whitney,
Spearman) and derivations from :mod:`helpers.derive`; this module arranges them the way
the two chapters ask their questions:

- one multiple-comparison family per arm: every marker at every visit (:func:`change_tests`);
- by-arm columns and a ``Total`` column when a cohort has several arms;
- the direction of each change and whether it supports a published claim, as words a
  chapter glues into its prose (:func:`summarize_claims`), so no sentence assumes a result.

Functions follow the package's naming: ``derive_*`` adds columns, ``compute_*`` works on
numbers, ``summarize_*`` returns statistics, ``format_*`` makes strings, ``*_table`` and
``*_figure`` build what a page shows, ``check_*`` raise on inconsistencies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers import derive, stats
from helpers.present.tables import (
    ResultTable,
    arm_columns,
    format_estimate_ci,
    format_p,
    format_rate_ci,
    spread_by_arm,
    with_total,
)

#: The Treg/Th17 ratio as a derived parameter (skewed: analysed on the log scale).
RATIO = d.Measure("TREGTH17", "Treg/Th17 ratio", "ratio", log_scale=True)

#: Every marker the two chapters know: the lab tests, the subsets and the ratio.
MEASURES: dict[str, d.Measure] = {m.code: m for m in (*d.LAB_TESTS, *d.CYTO_SUBSETS, RATIO)}
LAB_CODES: tuple[str, ...] = tuple(m.code for m in d.LAB_TESTS)
CYTO_CODES: tuple[str, ...] = tuple(m.code for m in d.CYTO_SUBSETS)

#: Short names for panel titles and table rows.
SHORT_LABELS: dict[str, str] = {
    "DSDNA": "Anti-dsDNA", "C3": "C3", "C4": "C4", "UPROT": "24-hour urine protein",
    "WBC": "White cells", "LYMPH": "Lymphocytes", "PLAT": "Platelets", "HGB": "Haemoglobin",
    "TREG": "Treg", "TH17": "Th17", "TFH": "Tfh", "TH1": "Th1", "TH2": "Th2", "NK": "NK cells",
    "TREGTH17": "Treg/Th17 ratio",
}
#: Units as a page shows them.
DISPLAY_UNITS: dict[str, str] = {
    "IU/mL": "IU/mL", "g/L": "g/L", "g/24h": "g/24 h", "10^9/L": "10\u2079/L",
    "% of CD4+ T cells": "% of CD4+", "% of lymphocytes": "% of lymphocytes", "ratio": "",
}
#: The stem of each marker's glue names (``<stem>_median_change`` ...).
GLUE_STEMS: dict[str, str] = {
    "DSDNA": "antidsdna", "C3": "c3", "C4": "c4", "UPROT": "proteinuria", "WBC": "wbc",
    "LYMPH": "lymphocytes", "PLAT": "platelets", "HGB": "haemoglobin", "TREG": "treg",
    "TH17": "th17", "TFH": "tfh", "TH1": "th1", "TH2": "th2", "NK": "nk", "TREGTH17": "tregth17",
    "COMP": "complement",
}
#: Decimals each marker is shown with (as recorded).
DIGITS: dict[str, int] = {
    "DSDNA": 1, "C3": 2, "C4": 2, "UPROT": 2, "WBC": 2, "LYMPH": 2, "PLAT": 0, "HGB": 0,
    "TREG": 2, "TH17": 2, "TFH": 2, "TH1": 2, "TH2": 2, "NK": 2, "TREGTH17": 2,
}

#: What a value column means, for notes and prose.
VALUE_LABELS: dict[str, str] = {"CHG": "change from baseline", "AVAL": "value", "BASE": "baseline value"}


@dataclass(frozen=True)
class Claim:
    """A published statement about the direction a marker moved under treatment.

    Attributes
    ----------
    code : str
        ``PARAMCD``.
    direction : {"increase", "decrease", "none"}
        ``"none"``: the publication reports the marker was not modulated.
    source : str
        Bibliography key (``references.bib``).
    reference : str
        Short citation a table shows.
    """

    code: str
    direction: str
    source: str
    reference: str


_ABSTRACT = ("he2015abstract", "abstract AB0525")
_NATMED = ("he2016natmed", "Nat Med 2016")

#: The abstract's laboratory claims: lower anti-dsDNA and proteinuria, higher C3 and C4.
LAB_CLAIMS: tuple[Claim, ...] = (
    Claim("DSDNA", "decrease", *_ABSTRACT),
    Claim("C3", "increase", *_ABSTRACT),
    Claim("C4", "increase", *_ABSTRACT),
    Claim("UPROT", "decrease", *_ABSTRACT),
)
#: The immunological claims: more Treg, fewer effector helper T cells (Th17, Tfh; the
#: abstract and the Nature Medicine report), Th1 and Th2 not modulated (Nature Medicine).
CYTO_CLAIMS: tuple[Claim, ...] = (
    Claim("TREG", "increase", *_ABSTRACT),
    Claim("TH17", "decrease", *_NATMED),
    Claim("TFH", "decrease", *_NATMED),
    Claim("TH1", "none", *_NATMED),
    Claim("TH2", "none", *_NATMED),
)

#: Normalisation criteria: (code, label). ``COMP`` is C3 or C4 low at baseline, all of
#: the low ones normal at the week.
NORMALISATION: tuple[tuple[str, str], ...] = (
    ("C3", "Low C3 became normal"),
    ("C4", "Low C4 became normal"),
    ("COMP", "Low C3 or C4: every low one became normal"),
    ("DSDNA", "Positive anti-dsDNA became negative"),
    ("UPROT", "Proteinuria above 0.5 g/24 h fell to 0.5 or below"),
)


# ---------------------------------------------------------------------------------------
# names and labels


def total_label(arms: Sequence[str]) -> str:
    """The arm label that holds all subjects: ``"Total"`` with several arms, else the arm.

    Examples
    --------
    >>> total_label(["IL-2"]), total_label(["IL-2", "Placebo"])
    ('IL-2', 'Total')
    """
    return "Total" if len(arms) > 1 else arms[0]


def format_signed(x: float, digits: int) -> str:
    """A signed number without a negative zero.

    Examples
    --------
    >>> format_signed(-0.04, 0), format_signed(2.345, 2), format_signed(-1.0, 1)
    ('+0', '+2.35', '-1.0')
    """
    v = round(float(x), digits)
    return f"{(v if v != 0 else 0.0):+.{digits}f}"


def format_p_text(p: float) -> str:
    """``p = 0.012`` or ``p < 0.001`` (from :func:`helpers.present.tables.format_p`).

    Examples
    --------
    >>> format_p_text(0.0123), format_p_text(0.00001), format_p_text(float("nan"))
    ('p = 0.012', 'p < 0.001', 'p not computed')
    """
    text = format_p(p)
    if text == "-":
        return "p not computed"
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def format_label(code: str, unit: bool = True) -> str:
    """A marker's short name, with its unit in parentheses.

    Examples
    --------
    >>> format_label("PLAT"), format_label("TREGTH17"), format_label("C3", unit=False)
    ('Platelets (10⁹/L)', 'Treg/Th17 ratio', 'C3')
    """
    name = SHORT_LABELS.get(code, code)
    m = MEASURES.get(code)
    shown = DISPLAY_UNITS.get(m.unit, m.unit) if (unit and m is not None) else ""
    return f"{name} ({shown})" if shown else name


def panels(codes: Sequence[str], log: bool = True) -> list[tuple[str, str, bool]]:
    """``(PARAMCD, label, log scale)`` for each code, for the grid figures.

    Examples
    --------
    >>> panels(["DSDNA", "C3"])
    [('DSDNA', 'Anti-dsDNA (IU/mL)', True), ('C3', 'C3 (g/L)', False)]
    """
    return [(c, format_label(c), bool(log and c in MEASURES and MEASURES[c].log_scale)) for c in codes]


def log_codes(codes: Sequence[str]) -> list[str]:
    """The codes analysed on the log scale (``log_scale`` in the definitions).

    Examples
    --------
    >>> log_codes(LAB_CODES)
    ['DSDNA', 'UPROT']
    """
    return [c for c in codes if c in MEASURES and MEASURES[c].log_scale]


def _order(df: pd.DataFrame, arm: str, arms: Sequence[str], codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows in the config's arm order, the given code order, then by week."""
    if df.empty:
        return df
    keys, cols = [], []
    arm_rank = {a: i for i, a in enumerate(arm_columns(arms))}
    out = df.assign(_a=df[arm].map(arm_rank))
    cols.append("_a")
    if codes is not None and "PARAMCD" in df:
        code_rank = {c: i for i, c in enumerate(codes)}
        out = out.assign(_c=out["PARAMCD"].map(code_rank))
        cols.append("_c")
    keys = cols + (["AVISITN"] if "AVISITN" in df else [])
    return out.sort_values(keys, kind="stable").drop(columns=cols).reset_index(drop=True)


def _need(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df]
    if missing:
        raise ValueError(f"{what}: columns {missing} not in the data (it has {list(df.columns)})")


# ---------------------------------------------------------------------------------------
# compositions on a cohort


def _with_arm(df: pd.DataFrame, cohort, population: str = "efficacy") -> pd.DataFrame:
    subjects = cohort.population(population)[["USUBJID", cohort.arm_var]]
    return df.merge(subjects, on="USUBJID", how="inner")


def lab_by_visit(cohort, population: str = "efficacy") -> pd.DataFrame:
    """``adlb`` at the scheduled visits with ``BASE``, ``CHG`` and the arm.

    Parameters
    ----------
    cohort : helpers.data.Cohort
    population : {"efficacy", "safety"}

    Returns
    -------
    DataFrame
        ``adlb`` rows of the population at the visits of the cohort's schedule, with
        ``BASE``, ``ABLFL``, ``CHG``, ``PCHG`` (:func:`helpers.derive.derive_chg`) and
        the arm column.
    """
    from helpers.analyses import efficacy

    out = efficacy.measure_by_visit(cohort, "adlb", population)
    return out[out["AVISITN"].isin([v.week for v in cohort.config.visits])].reset_index(drop=True)


def cyto_by_visit(cohort, population: str = "efficacy") -> pd.DataFrame:
    """``adcyto`` at the scheduled visits with ``BASE``, ``CHG`` and the arm (as
    :func:`lab_by_visit`)."""
    from helpers.analyses import efficacy

    out = efficacy.measure_by_visit(cohort, "adcyto", population)
    return out[out["AVISITN"].isin([v.week for v in cohort.config.visits])].reset_index(drop=True)


def ratio_by_visit(cohort, numerator: str = "TREG", denominator: str = "TH17", paramcd: str = "TREGTH17",
                   population: str = "efficacy") -> pd.DataFrame:
    """The ratio of two lymphocyte subsets per subject and visit, with ``BASE``, ``CHG``
    and the arm.

    Returns
    -------
    DataFrame
        From :func:`helpers.derive.derive_ratio` on ``adcyto``, at the scheduled visits,
        with ``BASE``, ``ABLFL``, ``CHG``, ``PCHG`` and the arm column.
    """
    cfg = cohort.config
    ratio = derive.derive_ratio(cohort["adcyto"], numerator, denominator, paramcd)
    ratio = ratio[ratio["AVISITN"].isin([v.week for v in cfg.visits])]
    ratio = derive.derive_chg(derive.derive_base(ratio, baseline_week=cfg.baseline_week))
    return _with_arm(ratio, cohort, population).reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# change from baseline


def change_tests(
    bds: pd.DataFrame, arm: str, arms: Sequence[str], baseline_week: int = 0, padjust: str = "holm",
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Wilcoxon signed-rank test of every marker at every visit against baseline, with one
    multiple-comparison family per arm: all markers x all visits.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL`` and ``arm``.
    arm : str
    arms : sequence of str
        With several arms, a ``Total`` family (all subjects) is added.
    baseline_week : int
    padjust : str
        Correction within each arm's family (``holm``, ``bonf``, ``fdr_bh``, ``none``).
    codes : sequence of str, optional
        Markers to test, in the order of the output (default: every ``PARAMCD`` in
        order of appearance).

    Returns
    -------
    DataFrame
        From :func:`helpers.stats.paired_tests_by_visit`: ``arm``, ``PARAMCD``,
        ``AVISITN``, ``n``, ``base_median``, ``median``, ``median_chg``, ``q1_chg``,
        ``q3_chg``, ``w_val``, ``p_val``, ``p_adj``, ``padjust``, ``method``, plus
        ``family_size`` (tests in the arm's family). Rows in arm, code, week order.

    Notes
    -----
    Holm's step-down correction (Holm, 1979) over the m tests of one arm: the k-th
    smallest p becomes max over j <= k of min(1, (m - j + 1) p_(j)).

    Examples
    --------
    Two markers, two visits: one family of four tests (Holm multiplies the smallest of
    the four p values by 4).

    >>> rows = [("S" + str(i), c, w, v + (i if w else 0) * k)
    ...         for i in range(1, 7) for c, k in [("A", 1.0), ("B", -1.0)] for w, v in [(0, 10.0), (2, 10.0), (4, 10.0)]]
    >>> df = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVISITN", "AVAL"]).assign(TRT01A="IL-2")
    >>> t = change_tests(df, "TRT01A", ["IL-2"])
    >>> t[["PARAMCD", "AVISITN", "median_chg", "p_val", "p_adj", "family_size"]].round(4)
      PARAMCD  AVISITN  median_chg   p_val  p_adj  family_size
    0       A        2         3.5  0.0312   0.125            4
    1       A        4         3.5  0.0312   0.125            4
    2       B        2        -3.5  0.0312   0.125            4
    3       B        4        -3.5  0.0312   0.125            4
    """
    _need(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "change_tests")
    codes = list(codes) if codes is not None else list(pd.unique(bds["PARAMCD"]))
    data = bds[bds["PARAMCD"].isin(codes)]
    stacked = with_total(data, arm, arms)
    parts = []
    for a in arm_columns(arms):
        sub = stacked[stacked[arm] == a]
        if sub.empty:
            continue
        t = stats.paired_tests_by_visit(sub, by=[arm, "PARAMCD"], baseline_week=baseline_week, padjust=padjust)
        if t.empty:
            continue
        t["family_size"] = int(t["p_val"].notna().sum())
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=[arm, "PARAMCD", "AVISITN", "n", "median_chg", "p_val", "p_adj", "family_size"])
    return _order(pd.concat(parts, ignore_index=True), arm, arms, codes)


def summarize_levels(bds: pd.DataFrame, arm: str, arms: Sequence[str], codes: Sequence[str] | None = None) -> pd.DataFrame:
    """n, median and quartiles of every marker at every visit, by arm (and in total).

    Returns
    -------
    DataFrame
        From :func:`helpers.stats.describe_by_visit`: ``arm``, ``PARAMCD``, ``AVISITN``,
        ``n``, ``median``, ``q1``, ``q3``, ``mean``, ``sd``, ``min``, ``max``.

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": "C3", "AVISITN": [0, 0, 0, 2],
    ...                    "AVAL": [0.5, 0.7, 0.9, 1.0]})
    >>> summarize_levels(df, "TRT01A", ["IL-2"])[["AVISITN", "n", "median", "q1", "q3"]]
       AVISITN  n  median   q1   q3
    0        0  3     0.7  0.6  0.8
    1        2  1     1.0  1.0  1.0
    """
    codes = list(codes) if codes is not None else list(pd.unique(bds["PARAMCD"]))
    data = bds[bds["PARAMCD"].isin(codes)]
    out = stats.describe_by_visit(with_total(data, arm, arms), by=[arm, "PARAMCD", "AVISITN"])
    return _order(out, arm, arms, codes)


def compute_log(values: Sequence[float] | pd.Series) -> np.ndarray:
    """Natural log, shifting every value by half the smallest positive one when any value
    is 0 or less (the rule of :func:`helpers.stats.mixed_model_by_visit`).

    Examples
    --------
    >>> compute_log([1.0, np.e]).round(3).tolist()
    [0.0, 1.0]
    >>> compute_log([0.0, 2.0]).round(4).tolist()  # shift 1: log(1), log(3)
    [0.0, 1.0986]
    """
    v = np.asarray(values, dtype=float)
    positive = v[v > 0]
    shift = positive.min() / 2 if len(positive) and (v[~np.isnan(v)] <= 0).any() else 0.0
    return np.log(v + shift)


def summarize_models(
    bds: pd.DataFrame, arm: str, arms: Sequence[str], codes: Sequence[str] | None = None,
    log: Sequence[str] = (), baseline_week: int = 0, confidence: float = 0.95, padjust: str = "holm",
) -> pd.DataFrame:
    """A linear mixed model of each marker over the visits (random intercept per
    subject), per arm and in total.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL``, ``arm``.
    log : sequence of str
        Codes modelled on the log scale; their estimates are ratios to baseline
        (geometric mean ratios), the others differences from baseline.
    padjust : str
        Correction of the visit p values within each arm, across markers and visits.

    Returns
    -------
    DataFrame
        One row per arm, marker and post-baseline visit: ``arm``, ``PARAMCD`` and the
        columns of :func:`helpers.stats.mixed_model_by_visit` (``AVISITN``,
        ``estimate``, ``ci_low``, ``ci_high``, ``p_val``, ``scale``, ``n_subjects``,
        ``n_obs``, ``converged``, ``method``), plus ``p_adj`` and ``padjust``.

    Notes
    -----
    y_ij = b0 + b_visit(j) + u_i + e_ij, u_i ~ N(0, s_u^2), fitted by REML (statsmodels
    MixedLM; R ``lme4::lmer(y ~ factor(visit) + (1 | id))``). The estimate at a visit is
    b_visit, or exp(b_visit) on the log scale.
    """
    _need(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "summarize_models")
    codes = list(codes) if codes is not None else list(pd.unique(bds["PARAMCD"]))
    stacked = with_total(bds[bds["PARAMCD"].isin(codes)], arm, arms)
    parts = []
    for a in arm_columns(arms):
        arm_parts = []
        for code in codes:
            sub = stacked[(stacked[arm] == a) & (stacked["PARAMCD"] == code)]
            if sub["USUBJID"].nunique() < 2 or sub["AVISITN"].nunique() < 2:
                continue
            res = stats.mixed_model_by_visit(sub, log=code in log, baseline_week=baseline_week, confidence=confidence)
            res.insert(0, "PARAMCD", code)
            res.insert(0, arm, a)
            arm_parts.append(res)
        if arm_parts:
            block = pd.concat(arm_parts, ignore_index=True)
            block["p_adj"] = stats.adjust_pvalues(block["p_val"], padjust)
            block["padjust"] = padjust
            parts.append(block)
    if not parts:
        return pd.DataFrame(columns=[arm, "PARAMCD", "AVISITN", "estimate", "ci_low", "ci_high", "p_val", "p_adj", "scale"])
    return _order(pd.concat(parts, ignore_index=True), arm, arms, codes)


def compare_arms(
    bds: pd.DataFrame, week: int, arm: str, arms: Sequence[str], reference: str, codes: Sequence[str] | None = None,
    log: Sequence[str] = (), baseline_week: int = 0, confidence: float = 0.95, padjust: str = "holm",
) -> pd.DataFrame:
    """Each arm against the reference arm: change from baseline at ``week`` adjusted for
    the baseline value (ANCOVA), marker by marker.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL``, ``arm``.
    reference : str
        The reference arm (e.g. placebo).
    log : sequence of str
        Codes analysed on the log scale: the change is log(value) - log(baseline), and
        the estimate exp(difference), the ratio of the geometric mean ratios to baseline.
    padjust : str
        Correction across the markers (within each compared arm).

    Returns
    -------
    DataFrame
        One row per marker and non-reference arm: ``PARAMCD``, ``arm`` (the compared
        arm), ``comparison``, ``estimate``, ``ci_low``, ``ci_high``, ``p_val``, ``p_adj``,
        ``scale`` (``"difference"`` or ``"ratio"``), ``n``, ``method``.

    Notes
    -----
    CHG = b0 + b_arm + b_base BASE + e by least squares (:func:`helpers.stats.ancova_change`;
    R ``lm(chg ~ arm + base)``).

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(6) for _ in (0, 2)],
    ...                    "AVISITN": [0, 2] * 6, "PARAMCD": "C3",
    ...                    "TRT01A": ["A"] * 6 + ["P"] * 6,
    ...                    "AVAL": [1, 3, 2, 5, 3, 6, 1, 1, 2, 3, 3, 3]})
    >>> compare_arms(df, 2, "TRT01A", ["A", "P"], "P")[["comparison", "estimate", "scale"]].round(3)
      comparison  estimate       scale
    0      A - P     2.333  difference
    """
    _need(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "compare_arms")
    codes = list(codes) if codes is not None else list(pd.unique(bds["PARAMCD"]))
    rows = []
    for code in codes:
        g = bds[bds["PARAMCD"] == code][["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm]].copy()
        if g.empty:
            continue
        is_log = code in log
        if is_log:
            g["AVAL"] = compute_log(g["AVAL"])
        g = derive.derive_chg(derive.derive_base(g, baseline_week=baseline_week))
        at = g[(g["AVISITN"] == week) & g["CHG"].notna()]
        if at[arm].nunique() < 2 or reference not in set(at[arm]):
            continue
        res = stats.ancova_change(at, arm, reference, confidence=confidence)
        for r in res.itertuples(index=False):
            est, lo, hi = (math.exp(r.estimate), math.exp(r.ci_low), math.exp(r.ci_high)) if is_log else (r.estimate, r.ci_low, r.ci_high)
            rows.append({"PARAMCD": code, arm: r.term, "comparison": f"{r.term} vs {reference}" if is_log else f"{r.term} - {reference}",
                         "estimate": est, "ci_low": lo, "ci_high": hi, "p_val": r.p_val,
                         "scale": "ratio" if is_log else "difference", "n": r.n,
                         "method": r.method + (" (log scale)" if is_log else "")})
    out = pd.DataFrame(rows, columns=["PARAMCD", arm, "comparison", "estimate", "ci_low", "ci_high", "p_val", "scale", "n", "method"])
    out.insert(out.columns.get_loc("p_val") + 1, "p_adj", np.nan)
    for a in pd.unique(out[arm]):
        sel = out[arm] == a
        out.loc[sel, "p_adj"] = stats.adjust_pvalues(out.loc[sel, "p_val"], padjust)
    return out


# ---------------------------------------------------------------------------------------
# normalisation


def summarize_normalisation(
    adlb: pd.DataFrame, week: int, arm: str, arms: Sequence[str], baseline_week: int = 0,
    confidence: float = 0.95, method: str = "exact",
) -> pd.DataFrame:
    """Among subjects abnormal at baseline, how many were normal at ``week``: low C3, low
    C4, low C3 or C4, positive anti-dsDNA, proteinuria above 0.5 g/24 h.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL``, ``ANRLO``, ``ANRHI`` and ``arm``
        (one analysis population).
    week : int
    confidence, method
        As for :func:`helpers.stats.proportion_ci` (``exact``: Clopper-Pearson).

    Returns
    -------
    DataFrame
        One row per arm (and ``Total`` with several arms) and criterion of
        :data:`NORMALISATION`: ``arm``, ``PARAMCD``, ``criterion``, ``responders``
        (normalised), ``n`` (abnormal at baseline), ``rate``, ``ci_low``, ``ci_high``,
        ``method``.

    Notes
    -----
    Abnormal as :func:`helpers.derive.derive_lab_abnormal`; a subject not measured at
    ``week`` counts as not normalised. ``COMP``: a subject with C3 or C4 low at
    baseline normalised when every one of the two that was low is normal at ``week``.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["A", "A", "B", "B", "C", "C"], "TRT01A": "IL-2",
    ...                    "PARAMCD": "C3", "AVISITN": [0, 10] * 3,
    ...                    "AVAL": [0.6, 1.0, 0.5, 0.7, 1.0, 1.1], "ANRLO": 0.9, "ANRHI": 1.8})
    >>> s = summarize_normalisation(df, 10, "TRT01A", ["IL-2"])
    >>> s[["PARAMCD", "responders", "n", "rate"]]
      PARAMCD  responders  n  rate
    0      C3           1  2   0.5
    1      C4           0  0   NaN
    2    COMP           1  2   0.5
    3   DSDNA           0  0   NaN
    4   UPROT           0  0   NaN
    """
    _need(adlb, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", "ANRLO", "ANRHI", arm], "summarize_normalisation")
    norm = derive.derive_normalisation(adlb, week, baseline_week)
    comp = norm[norm["PARAMCD"].isin(["C3", "C4"])]
    comp = comp.assign(_ok=comp["NORMFL"] == "Y").groupby("USUBJID", sort=False)["_ok"].all().reset_index()
    comp = comp.assign(PARAMCD="COMP", NORMFL=np.where(comp["_ok"], "Y", "N")).drop(columns="_ok")
    norm = pd.concat([norm[["USUBJID", "PARAMCD", "NORMFL"]], comp], ignore_index=True)
    subjects = adlb[["USUBJID", arm]].drop_duplicates("USUBJID")
    norm = with_total(norm.merge(subjects, on="USUBJID", how="left"), arm, arms)
    rows = []
    for a in arm_columns(arms):
        for code, label in NORMALISATION:
            g = norm[(norm[arm] == a) & (norm["PARAMCD"] == code)]
            ci = stats.proportion_ci(int((g["NORMFL"] == "Y").sum()), len(g), confidence, method).iloc[0]
            rows.append({arm: a, "PARAMCD": code, "criterion": label, **ci.to_dict()})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# correlation and responders


def derive_change_pairs(x: pd.DataFrame, y: pd.DataFrame, week: int, arm: str, names: tuple[str, str] = ("x", "y"),
                        value: str = "CHG") -> pd.DataFrame:
    """One row per subject with two measures at ``week``: e.g. the change in Treg and the
    change in SLEDAI-2K.

    Parameters
    ----------
    x, y : DataFrame
        ``USUBJID``, ``AVISITN``, ``value`` (one parameter each); ``x`` also has ``arm``.
    names : pair of str
        Column names of the two measures in the output.

    Returns
    -------
    DataFrame
        ``USUBJID``, ``arm``, ``names[0]``, ``names[1]``: subjects with both values.

    Examples
    --------
    >>> x = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 10, "CHG": [1.0, 2.0, None], "TRT01A": "IL-2"})
    >>> y = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 10, "CHG": [-4.0, -6.0, -2.0]})
    >>> derive_change_pairs(x, y, 10, "TRT01A", ("treg", "sledai"))
      USUBJID TRT01A  treg  sledai
    0       A   IL-2   1.0    -4.0
    1       B   IL-2   2.0    -6.0
    """
    _need(x, ["USUBJID", "AVISITN", value, arm], "derive_change_pairs (x)")
    _need(y, ["USUBJID", "AVISITN", value], "derive_change_pairs (y)")
    a = x.loc[x["AVISITN"] == week, ["USUBJID", arm, value]].rename(columns={value: names[0]})
    b = y.loc[y["AVISITN"] == week, ["USUBJID", value]].rename(columns={value: names[1]})
    return a.merge(b, on="USUBJID", how="inner").dropna(subset=list(names)).reset_index(drop=True)


def summarize_correlation(pairs: pd.DataFrame, x: str, y: str, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Spearman correlation of two columns, by arm (and in total with several arms).

    Returns
    -------
    DataFrame
        One row per arm: ``arm`` and the columns of :func:`helpers.stats.spearman`
        (``n``, ``r``, ``ci_low``, ``ci_high``, ``p_val``, ``method``).

    Notes
    -----
    pingouin ``corr(method="spearman")``; R ``cor.test(x, y, method = "spearman")``.

    Examples
    --------
    >>> p = pd.DataFrame({"TRT01A": "IL-2", "x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [2.0, 1.0, 4.0, 3.0, 5.0]})
    >>> summarize_correlation(p, "x", "y", "TRT01A", ["IL-2"])[["n", "r"]]
       n    r
    0  5  0.8
    """
    stacked = with_total(pairs, arm, arms)
    rows = []
    for a in arm_columns(arms):
        g = stacked[stacked[arm] == a]
        r = stats.spearman(g[x], g[y])
        r.insert(0, arm, a)
        rows.append(r)
    return pd.concat(rows, ignore_index=True)


def derive_response_groups(bds: pd.DataFrame, response: pd.DataFrame, week: int,
                           labels: tuple[str, str] = ("Responder", "Non-responder")) -> pd.DataFrame:
    """The rows of ``bds`` at ``week`` with each subject's response at that week.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``AVISITN`` and the values.
    response : DataFrame
        ``USUBJID``, ``AVISITN``, ``AVAL`` (1 responder, 0 non-responder), e.g. from
        :func:`helpers.analyses.efficacy.sri_response` with non-responder imputation.
    labels : pair of str

    Returns
    -------
    DataFrame
        ``bds`` at ``week`` for subjects with a response, with ``RESPONSE`` (the label).

    Examples
    --------
    >>> b = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 10, "CHG": [1.0, 0.5, -0.2]})
    >>> r = pd.DataFrame({"USUBJID": ["A", "B"], "AVISITN": 10, "AVAL": [1.0, 0.0]})
    >>> derive_response_groups(b, r, 10)[["USUBJID", "RESPONSE"]]
      USUBJID       RESPONSE
    0       A      Responder
    1       B  Non-responder
    """
    _need(bds, ["USUBJID", "AVISITN"], "derive_response_groups (bds)")
    _need(response, ["USUBJID", "AVISITN", "AVAL"], "derive_response_groups (response)")
    r = response.loc[(response["AVISITN"] == week) & response["AVAL"].notna(), ["USUBJID", "AVAL"]]
    r = r.assign(RESPONSE=np.where(r["AVAL"] == 1, labels[0], labels[1])).drop(columns="AVAL")
    at = bds[bds["AVISITN"] == week]
    return at.merge(r, on="USUBJID", how="inner").reset_index(drop=True)


def compute_cles_ci(cles: float, n1: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of the common-language effect size (the area under the ROC
    curve), by Hanley and McNeil's standard error, clipped to [0, 1].

    Notes
    -----
    With A the CLES, Q1 = A / (2 - A), Q2 = 2A^2 / (1 + A), and
    SE^2 = [A(1 - A) + (n1 - 1)(Q1 - A^2) + (n2 - 1)(Q2 - A^2)] / (n1 n2)
    (Hanley & McNeil, Radiology 1982;143:29-36); the interval is A +- z SE.
    The rank-biserial correlation is 2A - 1, and so is its interval.

    Examples
    --------
    A = 0.75 with 10 subjects per group: Q1 = 0.6, Q2 = 0.642857, SE^2 = 0.0124821,
    SE = 0.111723, interval 0.75 +- 1.959964 x 0.111723:

    >>> [round(v, 4) for v in compute_cles_ci(0.75, 10, 10)]
    [0.531, 0.969]
    """
    from scipy.stats import norm

    if not (n1 and n2) or cles is None or math.isnan(cles):
        return (math.nan, math.nan)
    a = float(cles)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / (n1 * n2)
    half = float(norm.ppf(0.5 + confidence / 2)) * math.sqrt(max(var, 0.0))
    return (max(0.0, a - half), min(1.0, a + half))


def compare_responders(
    groups: pd.DataFrame, arm: str, arms: Sequence[str], value: str = "CHG", codes: Sequence[str] | None = None,
    labels: tuple[str, str] = ("Responder", "Non-responder"), padjust: str = "holm", confidence: float = 0.95,
) -> pd.DataFrame:
    """Responders against non-responders, marker by marker: Mann-Whitney U test with the
    rank-biserial correlation and the common-language effect size.

    Parameters
    ----------
    groups : DataFrame
        From :func:`derive_response_groups`: ``PARAMCD``, ``value``, ``RESPONSE``, ``arm``.
    value : str
        The column compared (``CHG``: change from baseline; ``AVAL``: value at the week).
    padjust : str
        Correction across the markers within each arm.

    Returns
    -------
    DataFrame
        One row per arm (and ``Total`` with several arms) and marker: ``arm``,
        ``PARAMCD``, ``value``, and from :func:`helpers.stats.compare_groups` ``group1``
        (responders), ``group2``, ``n1``, ``n2``, ``median1``, ``median2``, ``u_val``,
        ``p_val``, ``rbc`` (positive when responders have the higher values), ``cles``
        (P(responder > non-responder)); then ``cles_ci_low``, ``cles_ci_high``,
        ``rbc_ci_low``, ``rbc_ci_high`` (:func:`compute_cles_ci`), ``p_adj``,
        ``padjust``, ``method``.

    Notes
    -----
    pingouin ``mwu`` (scipy ``mannwhitneyu``, two-sided; R ``wilcox.test(x, y)``); the
    rank-biserial correlation is 2 CLES - 1 (Kerby, 2014).

    Examples
    --------
    >>> g = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": "TREG", "CHG": [3.0, 4.0, 5.0, 1.0, 2.0],
    ...                   "RESPONSE": ["Responder"] * 3 + ["Non-responder"] * 2})
    >>> compare_responders(g, "TRT01A", ["IL-2"])[["n1", "n2", "u_val", "rbc", "cles"]]
       n1  n2  u_val  rbc  cles
    0   3   2    6.0  1.0   1.0
    """
    _need(groups, ["PARAMCD", value, "RESPONSE", arm], "compare_responders")
    codes = list(codes) if codes is not None else list(pd.unique(groups["PARAMCD"]))
    stacked = with_total(groups, arm, arms)
    parts = []
    for a in arm_columns(arms):
        rows = []
        for code in codes:
            g = stacked[(stacked[arm] == a) & (stacked["PARAMCD"] == code)]
            res = stats.compare_groups(g, value, "RESPONSE", groups=list(labels)).iloc[0].to_dict()
            lo, hi = compute_cles_ci(res["cles"], res["n1"], res["n2"], confidence)
            rows.append({arm: a, "PARAMCD": code, "value": value, **res, "cles_ci_low": lo, "cles_ci_high": hi,
                         "rbc_ci_low": 2 * lo - 1, "rbc_ci_high": 2 * hi - 1})
        block = pd.DataFrame(rows)
        block["p_adj"] = stats.adjust_pvalues(block["p_val"], padjust)
        block["padjust"] = padjust
        parts.append(block)
    out = pd.concat(parts, ignore_index=True)
    out["method"] = "Mann-Whitney U test; Hanley-McNeil interval"
    return out


# ---------------------------------------------------------------------------------------
# words for the prose


#: Words of :func:`format_direction` for a change over time and for a between-arm effect.
CHANGE_WORDS: tuple[str, str, str, str] = ("rose", "fell", "did not change significantly", "did not change in median")
ARM_WORDS: tuple[str, str, str, str] = ("higher", "lower", "not significantly different", "no different")
CORRELATION_WORDS: tuple[str, str, str, str] = ("positive", "negative", "not significantly different from zero", "zero")


def format_direction(change: float, p: float, alpha: float, words: Sequence[str] = CHANGE_WORDS) -> str:
    """What a marker did, in words: ``"rose"`` or ``"fell"`` when the test is significant
    at ``alpha``, ``"did not change significantly"`` otherwise.

    Parameters
    ----------
    change : float
        The estimate whose sign gives the direction (a median change, a difference, a
        log ratio).
    p : float
        Its (adjusted) p value.
    alpha : float
    words : 4 strings
        For a significant increase, a significant decrease, a non-significant change,
        and a significant test with a zero estimate (:data:`CHANGE_WORDS`; for between-arm
        effects :data:`ARM_WORDS`).

    Examples
    --------
    >>> format_direction(-12.0, 0.001, 0.05), format_direction(0.2, 0.01, 0.05)
    ('fell', 'rose')
    >>> format_direction(-1.0, 0.3, 0.05), format_direction(0.0, 0.01, 0.05)
    ('did not change significantly', 'did not change in median')
    >>> format_direction(0.3, 0.01, 0.05, ARM_WORDS)
    'higher'
    """
    if p is None or (isinstance(p, float) and math.isnan(p)) or p >= alpha:
        return words[2]
    if change > 0:
        return words[0]
    if change < 0:
        return words[1]
    return words[3]


def derive_direction(frame: pd.DataFrame, alpha: float, value: str = "median_chg", p: str = "p_adj",
                     words: Sequence[str] = CHANGE_WORDS) -> pd.DataFrame:
    """``frame`` with ``direction``: :func:`format_direction` of each row's ``value`` and
    ``p``.

    Examples
    --------
    >>> t = pd.DataFrame({"r": [-0.4, 0.1], "p_val": [0.01, 0.6]})
    >>> derive_direction(t, 0.05, "r", "p_val", CORRELATION_WORDS)["direction"].tolist()
    ['negative', 'not significantly different from zero']
    """
    _need(frame, [value, p], "derive_direction")
    out = frame.copy()
    out["direction"] = [format_direction(v, q, alpha, words) for v, q in zip(frame[value], frame[p], strict=True)]
    return out


def derive_p_text(frame: pd.DataFrame, p: str = "p_adj") -> pd.DataFrame:
    """``frame`` with ``p_text``: each row's p value as prose shows it
    (:func:`format_p_text`).

    Examples
    --------
    >>> derive_p_text(pd.DataFrame({"p_adj": [0.0412, 2e-6]}))["p_text"].tolist()
    ['p = 0.041', 'p < 0.001']
    """
    _need(frame, [p], "derive_p_text")
    return frame.assign(p_text=[format_p_text(x) for x in frame[p]])


def format_verdict(claimed: str, change: float, p: float, alpha: float) -> str:
    """Whether the data support a published claim, as the verb of ``"the data ... the
    claim"``: ``"support"``, ``"do not support"`` or ``"contradict"``.

    Parameters
    ----------
    claimed : {"increase", "decrease", "none"}
        The published direction; ``"none"``: the marker was reported not to change.
    change, p : float
        The median change and its (adjusted) p value.
    alpha : float

    Notes
    -----
    An increase or decrease is supported by a significant change in that direction,
    contradicted by a significant change the other way, and otherwise not supported. A
    claim of no change is supported when the change is not significant (which does not
    prove there was none) and not supported otherwise.

    Examples
    --------
    >>> format_verdict("decrease", -5.0, 0.01, 0.05), format_verdict("decrease", 5.0, 0.01, 0.05)
    ('support', 'contradict')
    >>> format_verdict("increase", 0.1, 0.2, 0.05), format_verdict("none", 0.1, 0.2, 0.05)
    ('do not support', 'support')
    """
    if claimed not in ("increase", "decrease", "none"):
        raise ValueError(f"claimed must be 'increase', 'decrease' or 'none', got {claimed!r}")
    significant = p is not None and not (isinstance(p, float) and math.isnan(p)) and p < alpha
    if claimed == "none":
        return "do not support" if significant else "support"
    if not significant or change == 0:
        return "do not support"
    return "support" if (change > 0) == (claimed == "increase") else "contradict"


def summarize_claims(tests: pd.DataFrame, claims: Sequence[Claim], week: int, arm: str, alpha: float) -> pd.DataFrame:
    """Each published claim against the change observed at ``week``, in every arm.

    Parameters
    ----------
    tests : DataFrame
        From :func:`change_tests`.
    claims : sequence of Claim
    week : int
    alpha : float
        Level at which the adjusted p value counts as significant.

    Returns
    -------
    DataFrame
        One row per arm and claim: ``arm``, ``PARAMCD``, ``claimed``, ``source``,
        ``reference``, ``n``, ``median_chg``, ``p_adj``, ``direction``
        (:func:`format_direction`), ``verdict`` (:func:`format_verdict`).

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["DSDNA", "C3"], "AVISITN": 10, "n": 40,
    ...                   "median_chg": [-20.0, 0.01], "p_adj": [0.001, 0.4]})
    >>> summarize_claims(t, LAB_CLAIMS[:2], 10, "TRT01A", 0.05)[["PARAMCD", "claimed", "direction", "verdict"]]
      PARAMCD   claimed                     direction         verdict
    0   DSDNA  decrease                          fell         support
    1      C3  increase  did not change significantly  do not support
    """
    at = tests[tests["AVISITN"] == week]
    rows = []
    for a in pd.unique(at[arm]):
        for c in claims:
            r = at[(at[arm] == a) & (at["PARAMCD"] == c.code)]
            if r.empty:
                continue
            r = r.iloc[0]
            rows.append({arm: a, "PARAMCD": c.code, "claimed": c.direction, "source": c.source, "reference": c.reference,
                         "n": int(r["n"]), "median_chg": float(r["median_chg"]), "p_adj": float(r["p_adj"]),
                         "direction": format_direction(r["median_chg"], r["p_adj"], alpha),
                         "verdict": format_verdict(c.direction, r["median_chg"], r["p_adj"], alpha)})
    return pd.DataFrame(rows)


def summarize_arm_claims(comparison: pd.DataFrame, claims: Sequence[Claim], arm: str, alpha: float) -> pd.DataFrame:
    """Each published claim against the between-arm comparison (from :func:`compare_arms`).

    Returns
    -------
    DataFrame
        One row per compared arm and claim: ``arm``, ``PARAMCD``, ``claimed``,
        ``effect`` (the difference, or the log of the ratio), ``p_adj``, ``direction``
        (:data:`ARM_WORDS`: the compared arm ended higher or lower than the reference),
        ``verdict`` (:func:`format_verdict` applied to the effect).

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": ["DSDNA", "C3"], "TRT01A": "IL-2", "estimate": [1.26, 0.27],
    ...                   "p_adj": [0.07, 0.0001], "scale": ["ratio", "difference"]})
    >>> summarize_arm_claims(c, LAB_CLAIMS, "TRT01A", 0.05)[["PARAMCD", "direction", "verdict"]]
      PARAMCD                       direction         verdict
    0   DSDNA  not significantly different  do not support
    1      C3                       higher         support
    """
    rows = []
    by_code = {c.code: c for c in claims}
    for a, r in zip(comparison[arm], comparison.itertuples(index=False), strict=True):
        c = by_code.get(r.PARAMCD)
        if c is None:
            continue
        effect = math.log(r.estimate) if r.scale == "ratio" else float(r.estimate)
        rows.append({arm: a, "PARAMCD": r.PARAMCD,
                     "claimed": c.direction, "effect": effect, "p_adj": float(r.p_adj),
                     "direction": format_direction(effect, r.p_adj, alpha, ARM_WORDS),
                     "verdict": format_verdict(c.direction, effect, r.p_adj, alpha)})
    return pd.DataFrame(rows, columns=[arm, "PARAMCD", "claimed", "effect", "p_adj", "direction", "verdict"])


def format_by_arm(frame: pd.DataFrame, code: str, arm: str, arms: Sequence[str], value: str = "median_chg",
                  p: str = "p_adj", digits: int | None = None, week: int | None = None) -> str:
    """One marker's value in each arm as text, e.g. ``"-12.0 with IL-2 (p = 0.003) and
    -1.0 with Placebo (p = 0.620)"``, for prose that lists the arms without naming them
    in the source.

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": ["A", "B"], "PARAMCD": "C3", "median_chg": [0.12, -0.01], "p_adj": [0.004, 0.8]})
    >>> format_by_arm(t, "C3", "TRT01A", ["A", "B"])
    '+0.12 with A (p = 0.004) and -0.01 with B (p = 0.800)'
    """
    digits = DIGITS.get(code, 2) if digits is None else digits
    sel = frame[frame["PARAMCD"] == code]
    if week is not None:
        sel = sel[sel["AVISITN"] == week]
    parts = []
    for a in arms:
        r = sel[sel[arm] == a]
        if r.empty:
            parts.append(f"no data with {a}")
            continue
        r = r.iloc[0]
        parts.append(f"{format_signed(r[value], digits)} with {a} ({format_p_text(r[p])})")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

def _scalar(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v


def format_significant(frame: pd.DataFrame, arm: str, arms: Sequence[str], alpha: float, p: str = "p_adj") -> str:
    """The markers whose (adjusted) p is below ``alpha`` in the total arm, as a list in
    words, or ``"none"``.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["TREG", "TH17", "TFH"], "p_adj": [0.2, 0.01, 0.03]})
    >>> format_significant(c, "TRT01A", ["IL-2"], 0.05), format_significant(c, "TRT01A", ["IL-2"], 0.001)
    ('Th17 and Tfh', 'none')
    """
    sel = frame[(frame[arm] == total_label(arms)) & (frame[p] < alpha)]
    names = [format_label(c, unit=False) for c in sel["PARAMCD"]]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def glue_values(frame: pd.DataFrame, arm: str, arms: Sequence[str], columns: Mapping[str, str],
                week: int | None = None, prefix: str = "", codes: Sequence[str] | None = None) -> list[tuple[str, dict, object]]:
    """Values to glue, one per marker and column: ``(name, {arm: value}, total)``.

    The name is ``<prefix><stem>_<suffix>`` with the marker's stem from
    :data:`GLUE_STEMS`, for :meth:`helpers.chapter.Chapter.glue_arms`: the total
    (all subjects; the only arm when there is one) under the plain name, each arm's
    value under ``name@<arm>`` when there are several.

    Parameters
    ----------
    frame : DataFrame
        ``PARAMCD``, ``arm`` (with a ``Total`` arm when there are several) and the
        columns; ``AVISITN`` too when ``week`` is given.
    columns : mapping
        Name suffix -> column, e.g. ``{"median_change": "median_chg"}``. An empty
        suffix gives ``<prefix><stem>``.
    week : int, optional
        Keep only the rows of this week.

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": ["A", "B", "Total"], "PARAMCD": "TREG", "AVISITN": 10,
    ...                   "median_chg": [0.5, 0.0, 0.2]})
    >>> glue_values(t, "TRT01A", ["A", "B"], {"median_change": "median_chg"}, week=10)
    [('treg_median_change', {'A': 0.5, 'B': 0.0}, 0.2)]
    """
    sel = frame if week is None else frame[frame["AVISITN"] == week]
    codes = list(codes) if codes is not None else list(pd.unique(sel["PARAMCD"]))
    total = total_label(arms)
    out = []
    for code in codes:
        g = sel[sel["PARAMCD"] == code].drop_duplicates(arm).set_index(arm)
        if g.empty:
            continue
        stem = GLUE_STEMS.get(code, code.lower())
        for suffix, col in columns.items():
            name = f"{prefix}{stem}_{suffix}" if suffix else f"{prefix}{stem}"
            by_arm = {a: (_scalar(g.loc[a, col]) if a in g.index else None) for a in arms}
            out.append((name, by_arm, _scalar(g.loc[total, col]) if total in g.index else None))
    return out


def comparison_values(comparison: pd.DataFrame, arm: str, columns: Mapping[str, str], prefix: str = "",
                      codes: Sequence[str] | None = None) -> list[tuple[str, object]]:
    """Values to glue from :func:`compare_arms`, for the first compared arm:
    ``(name, value)`` with names as in :func:`glue_values`; none when there is no
    comparison (a single-arm cohort).

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": ["C3", "C3"], "TRT01A": ["A", "B"], "estimate": [0.2, 0.1]})
    >>> comparison_values(c, "TRT01A", {"arm_estimate": "estimate"})
    [('c3_arm_estimate', 0.2)]
    >>> comparison_values(c.iloc[:0], "TRT01A", {"arm_estimate": "estimate"})
    []
    """
    if comparison.empty:
        return []
    first = comparison[arm].iloc[0]
    return [(name, total) for name, _, total in glue_values(comparison, arm, [first], columns, prefix=prefix, codes=codes)]


# ---------------------------------------------------------------------------------------
# tables


def marker_visit_table(
    levels: pd.DataFrame, tests: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str],
    name: str, title: str, codes: Sequence[str] | None = None, notes: Sequence[str] = (),
) -> ResultTable:
    """Median [IQR] of each marker at every visit and, after baseline, its median change
    [IQR] with the adjusted p value, by arm (and in total).

    Parameters
    ----------
    levels : DataFrame
        From :func:`summarize_levels`.
    tests : DataFrame
        From :func:`change_tests`.

    Returns
    -------
    ResultTable
        Rows grouped by marker, one per visit; a column per arm (and ``Total``). The CSV
        holds every number, unrounded, one row per arm, marker and visit.
    """
    keys = [arm, "PARAMCD", "AVISITN"]
    keep = [c for c in ["n", "median_chg", "q1_chg", "q3_chg", "w_val", "p_val", "p_adj", "padjust", "family_size"] if c in tests]
    merged = levels.merge(tests[keys + keep].rename(columns={"n": "n_paired"}), on=keys, how="left")
    codes = list(codes) if codes is not None else list(pd.unique(merged["PARAMCD"]))
    merged = _order(merged[merged["PARAMCD"].isin(codes)], arm, arms, codes)
    cells = []
    for r in merged.itertuples(index=False):
        k = DIGITS.get(r.PARAMCD, 2)
        cell = f"{r.median:.{k}f} [{r.q1:.{k}f}, {r.q3:.{k}f}]"
        if not pd.isna(r.median_chg):
            cell += (f"; change {format_signed(r.median_chg, k)} [{format_signed(r.q1_chg, k)}, "
                     f"{format_signed(r.q3_chg, k)}], {format_p_text(r.p_adj)}")
        cells.append(cell)
    shown = merged.assign(cell=cells, Marker=[format_label(c) for c in merged["PARAMCD"]],
                          Visit=merged["AVISITN"].map(visit_labels))
    display = spread_by_arm(shown, ["Marker", "Visit"], arm, "cell", arms)
    padjust = str(tests["padjust"].iloc[0]) if len(tests) and "padjust" in tests else "holm"
    family = "all markers \u00d7 visits of the table" if len(codes) > 1 else "all visits"
    all_notes = [
        "Each cell: median [interquartile range] of the values at the visit; after baseline, the median change "
        "from baseline [interquartile range] among subjects with both values, and the p value of the Wilcoxon "
        f"signed-rank test against baseline, {padjust.capitalize()}-adjusted within each column ({family}).",
        "The CSV download adds the number of subjects, the unadjusted p values and the test statistics.",
        *notes,
    ]
    return ResultTable(name, title, display, merged, all_notes, groupname="Marker")


def model_table(models: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str], name: str,
                title: str, codes: Sequence[str] | None = None, confidence: float = 0.95, notes: Sequence[str] = ()) -> ResultTable:
    """Mixed-model estimates against baseline by visit: ratio (log scale) or difference,
    with the confidence interval and the adjusted p value, by arm.

    Parameters
    ----------
    models : DataFrame
        From :func:`summarize_models`.
    """
    codes = list(codes) if codes is not None else list(pd.unique(models["PARAMCD"]))
    m = _order(models[models["PARAMCD"].isin(codes)], arm, arms, codes)
    cells = []
    for r in m.itertuples(index=False):
        k = 2 if r.scale == "ratio" else max(DIGITS.get(r.PARAMCD, 2), 1)
        flag = "" if r.converged else " (did not converge)"
        cells.append(f"{format_estimate_ci(r.estimate, r.ci_low, r.ci_high, k)}, {format_p_text(r.p_adj)}{flag}")
    scale = {"ratio": "ratio to baseline", "difference": "difference from baseline"}
    shown = m.assign(cell=cells, Visit=m["AVISITN"].map(visit_labels),
                     Marker=[f"{format_label(c)}: {scale[s]}" for c, s in zip(m["PARAMCD"], m["scale"], strict=True)])
    display = spread_by_arm(shown, ["Marker", "Visit"], arm, "cell", arms)
    padjust = str(m["padjust"].iloc[0]) if len(m) else "holm"
    all_notes = [
        f"Linear mixed model per marker and column: value by visit with a random intercept per subject (REML). "
        f"Estimate ({100 * confidence:g}% confidence interval) against baseline: for markers on the log scale the "
        "ratio of geometric means, otherwise the difference in means; p of the visit term, "
        f"{padjust.capitalize()}-adjusted within each column across markers and visits.",
        *notes,
    ]
    return ResultTable(name, title, display, m, all_notes, groupname="Marker")


def arm_comparison_table(rows: pd.DataFrame, arm: str, name: str, title: str, confidence: float = 0.95,
                         notes: Sequence[str] = ()) -> ResultTable:
    """Between-arm comparisons of the change from baseline (from :func:`compare_arms`)."""
    disp = []
    for r in rows.itertuples(index=False):
        k = 2 if r.scale == "ratio" else max(DIGITS.get(r.PARAMCD, 2), 1)
        disp.append({
            "Marker": format_label(r.PARAMCD), "Comparison": r.comparison,
            "Scale": "ratio of geometric mean ratios" if r.scale == "ratio" else "difference in mean change",
            f"Estimate ({100 * confidence:g}% CI)": format_estimate_ci(r.estimate, r.ci_low, r.ci_high, k),
            "p": format_p(r.p_val), "Adjusted p": format_p(r.p_adj),
        })
    cols = ["Marker", "Comparison", "Scale", f"Estimate ({100 * confidence:g}% CI)", "p", "Adjusted p"]
    all_notes = [
        "ANCOVA: change from baseline adjusted for the baseline value, by least squares; on the log scale for "
        "skewed markers (estimate: ratio). Adjusted p: Holm across the markers of the table.",
        *notes,
    ]
    return ResultTable(name, title, pd.DataFrame(disp, columns=cols), rows, all_notes)


def normalisation_table(summary: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str,
                        confidence: float = 0.95) -> ResultTable:
    """Normalisation rates (from :func:`summarize_normalisation`), criteria by arm."""
    s = summary.copy()
    s["cell"] = [format_rate_ci(int(x), int(n), lo, hi) if n else "0/0" for x, n, lo, hi in
                 zip(s["responders"], s["n"], s["ci_low"], s["ci_high"], strict=True)]
    s["Criterion"] = s["criterion"]
    display = spread_by_arm(s, ["Criterion"], arm, "cell", arms)
    method = s["method"].iloc[0] if len(s) else "Clopper-Pearson"
    return ResultTable(
        "labs-normalisation", f"Laboratory normalisation at {week_label}", display, summary,
        [f"Normalised/abnormal at baseline (%) [{method} {100 * confidence:g}% confidence interval]. Abnormal: "
         "C3 or C4 below the lower limit of normal, anti-dsDNA above the upper limit, 24-hour urine protein above "
         "0.5 g; a subject without a value at the visit counts as not normalised."],
    )


def claims_table(claims: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str, name: str, title: str,
                 notes: Sequence[str] = ()) -> ResultTable:
    """Published claims against the data (from :func:`summarize_claims`)."""
    c = claims.copy()
    claimed = {"increase": "increase", "decrease": "decrease", "none": "no change"}
    verdicts = {"support": "supported", "do not support": "not supported", "contradict": "contradicted"}
    c["cell"] = [f"{format_signed(x, DIGITS.get(code, 2))}, {format_p_text(p)}: {verdicts[v]}" for x, p, v, code in
                 zip(c["median_chg"], c["p_adj"], c["verdict"], c["PARAMCD"], strict=True)]
    c["Marker"] = [format_label(x) for x in c["PARAMCD"]]
    c["Published"] = [f"{claimed[x]} ({ref})" for x, ref in zip(c["claimed"], c["reference"], strict=True)]
    display = spread_by_arm(c, ["Marker", "Published"], arm, "cell", arms)
    all_notes = [
        f"Each cell: median change from baseline at {week_label}, adjusted p of the Wilcoxon signed-rank test "
        "(the family of the change table), and whether the data support the published direction. A claim of no "
        "change counts as supported when the change is not significant, which does not prove there was none.",
        *notes,
    ]
    return ResultTable(name, title, display, claims, all_notes)


def responder_table(comp: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str, confidence: float = 0.95,
                    name: str = "immunology-responders", notes: Sequence[str] = ()) -> ResultTable:
    """Responders against non-responders (from :func:`compare_responders`)."""
    value = VALUE_LABELS.get(str(comp["value"].iloc[0]), str(comp["value"].iloc[0])) if len(comp) else "value"
    rows = []
    for a, r in zip(comp[arm], comp.itertuples(index=False), strict=True):
        k = DIGITS.get(r.PARAMCD, 2)
        rows.append({
            "Arm": a, "Subset": format_label(r.PARAMCD),
            "n (R / NR)": f"{r.n1} / {r.n2}",
            "Median, responders": f"{r.median1:.{k}f}" if not pd.isna(r.median1) else "-",
            "Median, non-responders": f"{r.median2:.{k}f}" if not pd.isna(r.median2) else "-",
            f"Rank-biserial r ({100 * confidence:g}% CI)": format_estimate_ci(r.rbc, r.rbc_ci_low, r.rbc_ci_high),
            "CLES": "-" if pd.isna(r.cles) else f"{r.cles:.2f}",
            "p": format_p(r.p_val), "Adjusted p": format_p(r.p_adj),
        })
    display = pd.DataFrame(rows)
    if len(arms) == 1 and len(display):
        display = display.drop(columns="Arm")
    return ResultTable(
        name, f"Lymphocyte subsets in SRI-4 responders and non-responders at {week_label}", display, comp,
        [f"Compared: {value} at {week_label}. Mann-Whitney U test; Holm-adjusted across the subsets (within each "
         "arm). Rank-biserial r is positive when responders have higher values; CLES is the probability that a "
         "responder's value exceeds a non-responder's (ties count half). Interval: Hanley-McNeil.",
         "R: responders, NR: non-responders (SRI-4, non-responder imputation).", *notes],
        groupname="Arm" if len(arms) > 1 else None,
    )


def correlation_table(corr: pd.DataFrame, arm: str, x_label: str, y_label: str, week_label: str,
                      name: str = "immunology-correlation") -> ResultTable:
    """Spearman correlations (from :func:`summarize_correlation`), one row per arm."""
    display = pd.DataFrame({
        "Arm": corr[arm].astype(str), "n": corr["n"].astype(int).astype(str),
        "Spearman r (95% CI)": [format_estimate_ci(r, lo, hi) for r, lo, hi in zip(corr["r"], corr["ci_low"], corr["ci_high"], strict=True)],
        "p": [format_p(p) for p in corr["p_val"]],
    })
    return ResultTable(name, f"Correlation of the change in {x_label} with the change in {y_label} at {week_label}",
                       display, corr, ["Spearman rank correlation; subjects with both changes. Interval: Fisher z "
                                       "transformation."])


# ---------------------------------------------------------------------------------------
# figures


def paired_arms_figure(
    df: pd.DataFrame, panels: Sequence[tuple[str, str, bool]], arm: str, arms: Sequence[str], base: str = "BASE",
    value: str = "AVAL", first_label: str = "Baseline", second_label: str = "Week", ncols: int = 4,
    individual_max: int = 200,
):
    """Baseline against a later visit, one line per subject, per marker; with several
    arms, each arm's pair of boxes side by side in every panel.

    :func:`helpers.present.figures.paired_figure` with the arms.

    Parameters
    ----------
    df : DataFrame
        One row per subject and marker at the later visit: ``PARAMCD``, ``base``,
        ``value``, ``arm``.
    panels : sequence of (PARAMCD, label, log)
    """
    from helpers.present import figures

    return figures.paired_figure(df, panels, base, value, first_label, second_label, individual_max, ncols,
                                 arm=arm, arms=arms)


def scatter_figure(df: pd.DataFrame, x: str, y: str, arm: str, arms: Sequence[str], xlabel: str, ylabel: str):
    """One point per subject, marker and colour by arm, with zero lines (for changes)."""
    import matplotlib.pyplot as plt

    from helpers.present import figures

    styles = figures.arm_styles(arms)
    with figures.style():
        fig, ax = plt.subplots(figsize=(6, 4.2))
        for a in arms:
            g = df[df[arm] == a]
            if g.empty:
                continue
            st = styles[a]
            ax.scatter(g[x], g[y], color=st["color"], marker=st["marker"], alpha=0.75, s=28, label=f"{a} (n={len(g)})")
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.axvline(0, color="0.4", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return fig


def effect_size_rows(comp: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Rows for :func:`helpers.present.figures.forest_figure` from :func:`compare_responders`:
    ``label``, ``estimate`` (rank-biserial r), ``ci_low``, ``ci_high``, ``group`` (arm),
    ``note`` (adjusted p), in marker order with arms adjacent.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["TREG"], "rbc": [0.5], "rbc_ci_low": [0.1],
    ...                   "rbc_ci_high": [0.8], "p_adj": [0.02]})
    >>> effect_size_rows(c, "TRT01A", ["IL-2"])[["label", "estimate", "note"]]
      label  estimate       note
    0  Treg       0.5  p = 0.020
    """
    c = comp[comp[arm].isin(arms)].copy()
    codes = list(pd.unique(c["PARAMCD"]))
    c["_c"] = c["PARAMCD"].map({k: i for i, k in enumerate(codes)})
    c["_a"] = c[arm].map({a: i for i, a in enumerate(arms)})
    c = c.sort_values(["_c", "_a"], kind="stable")
    several = len(arms) > 1
    return pd.DataFrame({
        "label": [format_label(k, unit=False) + (f" ({a})" if several else "") for k, a in zip(c["PARAMCD"], c[arm], strict=True)],
        "estimate": c["rbc"].to_numpy(float), "ci_low": c["rbc_ci_low"].to_numpy(float),
        "ci_high": c["rbc_ci_high"].to_numpy(float), "group": c[arm].astype(str).to_numpy(),
        "note": [format_p_text(p) for p in c["p_adj"]],
    })


# ---------------------------------------------------------------------------------------
# checks


def check_change_tests(tests: pd.DataFrame, bds: pd.DataFrame, arm: str, arms: Sequence[str], codes: Sequence[str]) -> None:
    """Checks a chapter runs on its change tests; raises ``ValueError`` when one fails.

    Every marker is tested in every arm that has data; no test has more subjects than
    the arm; p values lie in [0, 1] and an adjusted p is never below its raw p.
    """
    n_arm = with_total(bds, arm, arms).groupby(arm)["USUBJID"].nunique()
    for a, g in tests.groupby(arm):
        if (g["n"] > n_arm.get(a, 0)).any():
            raise ValueError(f"change tests: arm {a} has a test with more subjects than the arm ({n_arm.get(a, 0)})")
        missing = [c for c in codes if c in set(bds["PARAMCD"]) and c not in set(g["PARAMCD"])]
        if missing:
            raise ValueError(f"change tests: arm {a} lacks markers {missing}")
    p, q = tests["p_val"].dropna(), tests["p_adj"].dropna()
    if not (p.between(0, 1).all() and q.between(0, 1).all()):
        raise ValueError("change tests: a p value lies outside [0, 1]")
    both = tests.dropna(subset=["p_val", "p_adj"])
    if (both["p_adj"] < both["p_val"] - 1e-12).any():
        raise ValueError("change tests: an adjusted p value is smaller than its raw p value")


def check_normalisation(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> None:
    """Normalised subjects never outnumber the abnormal ones; rates lie in [0, 1]; with
    several arms the arms add up to the total."""
    if (summary["responders"] > summary["n"]).any():
        raise ValueError("normalisation: more subjects normalised than abnormal at baseline")
    if not summary["rate"].dropna().between(0, 1).all():
        raise ValueError("normalisation: a rate lies outside [0, 1]")
    if len(arms) > 1:
        by = summary[summary[arm].isin(arms)].groupby("PARAMCD")[["responders", "n"]].sum()
        tot = summary[summary[arm] == "Total"].set_index("PARAMCD")[["responders", "n"]]
        if not by.reindex(tot.index).equals(tot):
            raise ValueError("normalisation: the arms do not add up to the total")
