"""Laboratory markers and lymphocyte subsets: change from baseline, models, normalisation,
response, and the published claims tested against the data.

The ``labs`` and ``immunology`` chapters ask the same questions of two tables (``adlb``
and ``adcyto``); the answers are tidy frames keyed by the arm and ``PARAMCD``, with codes
rather than words. Statistics come from :mod:`helpers.stats` (Wilcoxon signed-rank tests,
mixed models, ANCOVA, Mann-Whitney, Spearman) and derivations from :mod:`helpers.derive`;
this module arranges them the way the two chapters ask their questions:

- one multiple-comparison family per arm: every marker at every visit (:func:`change_tests`);
- by-arm rows and a :data:`helpers.analyses.arms.TOTAL` row when a cohort has several arms;
- the direction of each change (:data:`DIRECTIONS`) and whether it supports a published
  claim (:data:`VERDICTS`), as codes (:func:`summarize_claims`).

Labels, units, digits, tables, figures and the words of the prose are in
:mod:`helpers.present.markers` and :mod:`helpers.present.prose.markers`.

Functions follow the package's naming: ``derive_*`` adds columns, ``compute_*`` works on
numbers, ``summarize_*`` returns statistics, ``check_*`` raise on inconsistencies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers import derive, stats
from helpers.analyses.arms import TOTAL, arms_and_total, total_label, with_total
from helpers.errors import require_columns

#: The Treg/Th17 ratio as a derived parameter (skewed: analysed on the log scale).
RATIO = d.Measure("TREGTH17", "Treg/Th17 ratio", "ratio", log_scale=True)

#: Every marker the two chapters know: the lab tests, the subsets and the ratio.
MEASURES: dict[str, d.Measure] = {m.code: m for m in (*d.LAB_TESTS, *d.CYTO_SUBSETS, RATIO)}
LAB_CODES: tuple[str, ...] = tuple(m.code for m in d.LAB_TESTS)
CYTO_CODES: tuple[str, ...] = tuple(m.code for m in d.CYTO_SUBSETS)

#: Codes of :func:`compute_direction`: a significant rise, a significant fall, a change
#: that is not significant, and a significant test whose estimate is exactly zero.
DIRECTIONS: tuple[str, ...] = ("up", "down", "not_significant", "zero")
#: Codes of :func:`compute_verdict`: the data support a published claim, do not support
#: it, or contradict it.
VERDICTS: tuple[str, ...] = ("supported", "not_supported", "contradicted")
#: Published directions a :class:`Claim` can state (``none``: not modulated).
CLAIMED: tuple[str, ...] = ("increase", "decrease", "none")


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

#: Normalisation criteria, in the order of the table. ``COMP`` is C3 or C4 low at
#: baseline, all of the low ones normal at the week; ``UPROT``: proteinuria above
#: :data:`helpers.definitions.PROTEINURIA_THRESHOLD` fell to it or below.
NORMALISATION: tuple[str, ...] = ("C3", "C4", "COMP", "DSDNA", "UPROT")


def log_codes(codes: Sequence[str]) -> list[str]:
    """The codes analysed on the log scale (``log_scale`` in the definitions).

    Examples
    --------
    >>> log_codes(LAB_CODES)
    ['DSDNA', 'UPROT']
    """
    return [c for c in codes if c in MEASURES and MEASURES[c].log_scale]


def order_rows(df: pd.DataFrame, arm: str, arms: Sequence[str], codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows in the config's arm order (then the total), the given code order, then by week.

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": ["Total", "B", "A", "A"], "PARAMCD": ["C3", "C3", "C4", "C3"],
    ...                    "AVISITN": [2, 2, 2, 4]})
    >>> order_rows(df, "TRT01A", ["A", "B"], ["C4", "C3"]).values.tolist()
    [['A', 'C4', 2], ['A', 'C3', 4], ['B', 'C3', 2], ['Total', 'C3', 2]]
    """
    if df.empty:
        return df
    arm_rank = {a: i for i, a in enumerate(arms_and_total(arms))}
    out = df.assign(_a=df[arm].map(arm_rank))
    cols = ["_a"]
    if codes is not None and "PARAMCD" in df:
        code_rank = {c: i for i, c in enumerate(codes)}
        out = out.assign(_c=out["PARAMCD"].map(code_rank))
        cols.append("_c")
    keys = cols + (["AVISITN"] if "AVISITN" in df else [])
    return out.sort_values(keys, kind="stable").drop(columns=cols).reset_index(drop=True)


def _codes(frame: pd.DataFrame, codes: Sequence[str] | None) -> list[str]:
    return list(codes) if codes is not None else list(pd.unique(frame["PARAMCD"]))


# ---------------------------------------------------------------------------------------
# compositions on a cohort


def marker_by_visit(cohort, table: str, population: str = "efficacy", arm_var: str | None = None) -> pd.DataFrame:
    """A marker table (``adlb``, ``adcyto``) at the scheduled visits, with ``BASE``,
    ``CHG`` and the arm, for one population.

    Parameters
    ----------
    cohort : helpers.data.Cohort
    table : str
        A per-visit BDS table of the cohort (``adlb``, ``adcyto``).
    population : {"efficacy", "safety"}
    arm_var : str, optional
        The arm column (default: the cohort's).

    Returns
    -------
    DataFrame
        The table's rows for the population's subjects at the visits of the cohort's
        schedule, with ``BASE``, ``ABLFL`` (:func:`helpers.derive.derive_base`), ``CHG``,
        ``PCHG`` (:func:`helpers.derive.derive_chg`) and the arm column
        (:meth:`helpers.data.Cohort.with_population`).
    """
    cfg = cohort.config
    out = derive.derive_chg(derive.derive_base(cohort[table], baseline_week=cfg.baseline_week))
    out = cohort.with_population(out, population, arm_var)
    return out[out["AVISITN"].isin([v.week for v in cfg.visits])].reset_index(drop=True)


def ratio_by_visit(cohort, numerator: str = "TREG", denominator: str = "TH17", paramcd: str = "TREGTH17",
                   population: str = "efficacy", arm_var: str | None = None) -> pd.DataFrame:
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
    return cohort.with_population(ratio, population, arm_var).reset_index(drop=True)


def combine_measures(*frames: pd.DataFrame) -> pd.DataFrame:
    """Several BDS frames of different parameters as one (e.g. the subsets and their
    ratio, compared between arms together).

    Raises
    ------
    ValueError
        When two frames hold the same ``PARAMCD``: the rows would be counted twice.

    Examples
    --------
    >>> a = pd.DataFrame({"PARAMCD": ["TREG"], "AVAL": [3.0]})
    >>> b = pd.DataFrame({"PARAMCD": ["TREGTH17"], "AVAL": [1.5]})
    >>> combine_measures(a, b)["PARAMCD"].tolist()
    ['TREG', 'TREGTH17']
    """
    seen: set[str] = set()
    for i, f in enumerate(frames):
        require_columns(f, ["PARAMCD"], "combine_measures", f"frame {i + 1}")
        both = seen & set(f["PARAMCD"])
        if both:
            raise ValueError(f"combine_measures: frame {i + 1} repeats parameters {sorted(both)}")
        seen |= set(f["PARAMCD"])
    return pd.concat(frames, ignore_index=True)


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
    require_columns(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "change_tests", "bds")
    codes = _codes(bds, codes)
    data = bds[bds["PARAMCD"].isin(codes)]
    stacked = with_total(data, arm, arms)
    parts = []
    for a in arms_and_total(arms):
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
    return order_rows(pd.concat(parts, ignore_index=True), arm, arms, codes)


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
    require_columns(bds, ["PARAMCD", "AVISITN", "AVAL", arm], "summarize_levels", "bds")
    codes = _codes(bds, codes)
    data = bds[bds["PARAMCD"].isin(codes)]
    out = stats.describe_by_visit(with_total(data, arm, arms), by=[arm, "PARAMCD", "AVISITN"])
    return order_rows(out, arm, arms, codes)


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
    require_columns(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "summarize_models", "bds")
    codes = _codes(bds, codes)
    stacked = with_total(bds[bds["PARAMCD"].isin(codes)], arm, arms)
    parts = []
    for a in arms_and_total(arms):
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
    return order_rows(pd.concat(parts, ignore_index=True), arm, arms, codes)


def compare_arms(
    bds: pd.DataFrame, week: int, arm: str, arms: Sequence[str], reference: str | None,
    codes: Sequence[str] | None = None, log: Sequence[str] = (), baseline_week: int = 0, confidence: float = 0.95,
    padjust: str = "holm",
) -> pd.DataFrame:
    """Each arm against the reference arm: change from baseline at ``week`` adjusted for
    the baseline value (ANCOVA), marker by marker.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL``, ``arm``.
    reference : str or None
        The reference arm (e.g. placebo). None (a single-arm cohort): no comparison.
    log : sequence of str
        Codes analysed on the log scale: the change is log(value) - log(baseline), and
        the estimate exp(difference), the ratio of the geometric mean ratios to baseline.
    padjust : str
        Correction across the markers (within each compared arm).

    Returns
    -------
    DataFrame
        One row per marker and non-reference arm: ``PARAMCD``, ``arm`` (the compared
        arm), ``reference``, ``estimate``, ``ci_low``, ``ci_high``, ``p_val``, ``p_adj``,
        ``scale`` (``"difference"`` or ``"ratio"``), ``n``, ``method``. Empty when there
        is nothing to compare (one arm, or no reference data at ``week``).

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
    >>> compare_arms(df, 2, "TRT01A", ["A", "P"], "P")[["TRT01A", "reference", "estimate", "scale"]].round(3)
      TRT01A reference  estimate       scale
    0      A         P     2.333  difference
    """
    require_columns(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "compare_arms", "bds")
    codes = _codes(bds, codes)
    rows = []
    for code in codes if reference is not None else ():
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
            rows.append({"PARAMCD": code, arm: r.term, "reference": reference,
                         "estimate": est, "ci_low": lo, "ci_high": hi, "p_val": r.p_val,
                         "scale": "ratio" if is_log else "difference", "n": r.n,
                         "method": r.method + (" (log scale)" if is_log else "")})
    out = pd.DataFrame(rows, columns=["PARAMCD", arm, "reference", "estimate", "ci_low", "ci_high", "p_val", "scale", "n", "method"])
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
    C4, low C3 or C4, positive anti-dsDNA, proteinuria above the threshold.

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
        :data:`NORMALISATION`: ``arm``, ``PARAMCD``, ``responders`` (normalised), ``n``
        (abnormal at baseline), ``rate``, ``ci_low``, ``ci_high``, ``method``.

    Notes
    -----
    Abnormal as :func:`helpers.derive.derive_lab_abnormal` (proteinuria: above
    :data:`helpers.definitions.PROTEINURIA_THRESHOLD` g/24 h); a subject not measured at
    ``week`` counts as not normalised. ``COMP``: a subject with C3 or C4 low at baseline
    normalised when every one of the two that was low is normal at ``week``.

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
    require_columns(adlb, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", "ANRLO", "ANRHI", arm], "summarize_normalisation", "adlb")
    norm = derive.derive_normalisation(adlb, week, baseline_week)
    comp = norm[norm["PARAMCD"].isin(["C3", "C4"])]
    comp = comp.assign(_ok=comp["NORMFL"] == "Y").groupby("USUBJID", sort=False)["_ok"].all().reset_index()
    comp = comp.assign(PARAMCD="COMP", NORMFL=np.where(comp["_ok"], "Y", "N")).drop(columns="_ok")
    norm = pd.concat([norm[["USUBJID", "PARAMCD", "NORMFL"]], comp], ignore_index=True)
    subjects = adlb[["USUBJID", arm]].drop_duplicates("USUBJID")
    norm = with_total(norm.merge(subjects, on="USUBJID", how="left"), arm, arms)
    rows = []
    for a in arms_and_total(arms):
        for code in NORMALISATION:
            g = norm[(norm[arm] == a) & (norm["PARAMCD"] == code)]
            ci = stats.proportion_ci(int((g["NORMFL"] == "Y").sum()), len(g), confidence, method).iloc[0]
            rows.append({arm: a, "PARAMCD": code, **ci.to_dict()})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# correlation and responders


def derive_change_pairs(x: pd.DataFrame, y: pd.DataFrame, week: int, arm: str, names: tuple[str, str] = ("x", "y"),
                        value: str = "CHG", code: str | None = None) -> pd.DataFrame:
    """One row per subject with two measures at ``week``: e.g. the change in Treg and the
    change in SLEDAI-2K.

    Parameters
    ----------
    x, y : DataFrame
        ``USUBJID``, ``AVISITN``, ``value`` (one parameter each, or see ``code``); ``x``
        also has ``arm``.
    names : pair of str
        Column names of the two measures in the output.
    code : str, optional
        Keep only the rows of ``x`` with this ``PARAMCD`` (``x`` may then hold several).

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
    require_columns(x, ["USUBJID", "AVISITN", value, arm, *(["PARAMCD"] if code is not None else [])],
                    "derive_change_pairs", "x")
    require_columns(y, ["USUBJID", "AVISITN", value], "derive_change_pairs", "y")
    if code is not None:
        x = x[x["PARAMCD"] == code]
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
    require_columns(pairs, [x, y, arm], "summarize_correlation", "pairs")
    stacked = with_total(pairs, arm, arms)
    rows = []
    for a in arms_and_total(arms):
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
        The values of ``RESPONSE`` for responders and non-responders.

    Returns
    -------
    DataFrame
        ``bds`` at ``week`` for subjects with a response, with ``RESPONSE``.

    Examples
    --------
    >>> b = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 10, "CHG": [1.0, 0.5, -0.2]})
    >>> r = pd.DataFrame({"USUBJID": ["A", "B"], "AVISITN": 10, "AVAL": [1.0, 0.0]})
    >>> derive_response_groups(b, r, 10)[["USUBJID", "RESPONSE"]]
      USUBJID       RESPONSE
    0       A      Responder
    1       B  Non-responder
    """
    require_columns(bds, ["USUBJID", "AVISITN"], "derive_response_groups", "bds")
    require_columns(response, ["USUBJID", "AVISITN", "AVAL"], "derive_response_groups", "response")
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
    require_columns(groups, ["PARAMCD", value, "RESPONSE", arm], "compare_responders", "groups")
    codes = _codes(groups, codes)
    stacked = with_total(groups, arm, arms)
    parts = []
    for a in arms_and_total(arms):
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


def compared_arms(comparison: pd.DataFrame, arm: str, arms: Sequence[str]) -> list[str]:
    """The arms compared with the reference in ``comparison`` (from :func:`compare_arms`),
    in the config's order.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": ["High", "Low", "High"], "PARAMCD": ["C3", "C3", "C4"]})
    >>> compared_arms(c, "TRT01A", ["Placebo", "Low", "High"]), compared_arms(c.iloc[:0], "TRT01A", ["A"])
    (['Low', 'High'], [])
    """
    require_columns(comparison, [arm], "compared_arms", "comparison")
    present = set(comparison[arm])
    return [a for a in arms if a in present]


def significant_codes(frame: pd.DataFrame, arm: str, arms: Sequence[str], alpha: float, p: str = "p_adj") -> list[str]:
    """The markers whose (adjusted) p is below ``alpha`` over all subjects (the total, or
    the only arm), in the order of ``frame``.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["TREG", "TH17", "TFH"], "p_adj": [0.2, 0.01, 0.03]})
    >>> significant_codes(c, "TRT01A", ["IL-2"], 0.05), significant_codes(c, "TRT01A", ["IL-2"], 0.001)
    (['TH17', 'TFH'], [])
    """
    require_columns(frame, ["PARAMCD", arm, p], "significant_codes", "frame")
    sel = frame[(frame[arm] == total_label(arms)) & (frame[p] < alpha)]
    return [str(c) for c in sel["PARAMCD"]]


# ---------------------------------------------------------------------------------------
# directions and claims (codes; their words are in helpers.present.prose.markers)


def _significant(p: float | None, alpha: float) -> bool:
    return p is not None and not (isinstance(p, float) and math.isnan(p)) and p < alpha


def compute_direction(change: float, p: float, alpha: float) -> str:
    """The direction of a tested change, as a code of :data:`DIRECTIONS`: ``"up"`` or
    ``"down"`` when the test is significant at ``alpha``, ``"not_significant"``
    otherwise, and ``"zero"`` for a significant test whose estimate is exactly 0.

    Parameters
    ----------
    change : float
        The estimate whose sign gives the direction (a median change, a difference, a
        log ratio, a correlation).
    p : float
        Its (adjusted) p value; missing counts as not significant.
    alpha : float

    Examples
    --------
    >>> compute_direction(-12.0, 0.001, 0.05), compute_direction(0.2, 0.01, 0.05)
    ('down', 'up')
    >>> compute_direction(-1.0, 0.3, 0.05), compute_direction(0.0, 0.01, 0.05)
    ('not_significant', 'zero')
    """
    if not _significant(p, alpha):
        return "not_significant"
    if change > 0:
        return "up"
    if change < 0:
        return "down"
    return "zero"


def derive_direction(frame: pd.DataFrame, alpha: float, value: str = "median_chg", p: str = "p_adj") -> pd.DataFrame:
    """``frame`` with ``direction``: :func:`compute_direction` of each row's ``value`` and
    ``p``.

    Examples
    --------
    >>> t = pd.DataFrame({"r": [-0.4, 0.1], "p_val": [0.01, 0.6]})
    >>> derive_direction(t, 0.05, "r", "p_val")["direction"].tolist()
    ['down', 'not_significant']
    """
    require_columns(frame, [value, p], "derive_direction", "frame")
    out = frame.copy()
    out["direction"] = [compute_direction(v, q, alpha) for v, q in zip(frame[value], frame[p], strict=True)]
    return out


def compute_verdict(claimed: str, change: float, p: float, alpha: float) -> str:
    """Whether the data support a published claim, as a code of :data:`VERDICTS`:
    ``"supported"``, ``"not_supported"`` or ``"contradicted"``.

    Parameters
    ----------
    claimed : {"increase", "decrease", "none"}
        The published direction; ``"none"``: the marker was reported not to change.
    change, p : float
        The median change (or between-arm effect) and its (adjusted) p value.
    alpha : float

    Notes
    -----
    An increase or decrease is supported by a significant change in that direction,
    contradicted by a significant change the other way, and otherwise not supported. A
    claim of no change is supported when the change is not significant (which does not
    prove there was none) and not supported otherwise.

    Examples
    --------
    >>> compute_verdict("decrease", -5.0, 0.01, 0.05), compute_verdict("decrease", 5.0, 0.01, 0.05)
    ('supported', 'contradicted')
    >>> compute_verdict("increase", 0.1, 0.2, 0.05), compute_verdict("none", 0.1, 0.2, 0.05)
    ('not_supported', 'supported')
    """
    if claimed not in CLAIMED:
        raise ValueError(f"claimed must be 'increase', 'decrease' or 'none', got {claimed!r}")
    significant = _significant(p, alpha)
    if claimed == "none":
        return "not_supported" if significant else "supported"
    if not significant or change == 0:
        return "not_supported"
    return "supported" if (change > 0) == (claimed == "increase") else "contradicted"


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
        (:func:`compute_direction`), ``verdict`` (:func:`compute_verdict`).

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["DSDNA", "C3"], "AVISITN": 10, "n": 40,
    ...                   "median_chg": [-20.0, 0.01], "p_adj": [0.001, 0.4]})
    >>> summarize_claims(t, LAB_CLAIMS[:2], 10, "TRT01A", 0.05)[["PARAMCD", "claimed", "direction", "verdict"]]
      PARAMCD   claimed        direction        verdict
    0   DSDNA  decrease             down      supported
    1      C3  increase  not_significant  not_supported
    """
    require_columns(tests, [arm, "PARAMCD", "AVISITN", "n", "median_chg", "p_adj"], "summarize_claims", "tests")
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
                         "direction": compute_direction(r["median_chg"], r["p_adj"], alpha),
                         "verdict": compute_verdict(c.direction, r["median_chg"], r["p_adj"], alpha)})
    return pd.DataFrame(rows)


def summarize_arm_claims(comparison: pd.DataFrame, claims: Sequence[Claim], arm: str, alpha: float) -> pd.DataFrame:
    """Each published claim against the between-arm comparison (from :func:`compare_arms`).

    Returns
    -------
    DataFrame
        One row per compared arm and claim: ``arm``, ``PARAMCD``, ``claimed``,
        ``effect`` (the difference, or the log of the ratio), ``p_adj``, ``direction``
        (:func:`compute_direction` of the effect: the compared arm ended higher or lower
        than the reference), ``verdict`` (:func:`compute_verdict` of the effect).

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": ["DSDNA", "C3"], "TRT01A": "IL-2", "estimate": [1.26, 0.27],
    ...                   "p_adj": [0.07, 0.0001], "scale": ["ratio", "difference"]})
    >>> summarize_arm_claims(c, LAB_CLAIMS, "TRT01A", 0.05)[["PARAMCD", "direction", "verdict"]]
      PARAMCD        direction        verdict
    0   DSDNA  not_significant  not_supported
    1      C3               up      supported
    """
    require_columns(comparison, ["PARAMCD", arm, "estimate", "p_adj", "scale"], "summarize_arm_claims", "comparison")
    rows = []
    by_code = {c.code: c for c in claims}
    for a, r in zip(comparison[arm], comparison.itertuples(index=False), strict=True):
        c = by_code.get(r.PARAMCD)
        if c is None:
            continue
        effect = math.log(r.estimate) if r.scale == "ratio" else float(r.estimate)
        rows.append({arm: a, "PARAMCD": r.PARAMCD,
                     "claimed": c.direction, "effect": effect, "p_adj": float(r.p_adj),
                     "direction": compute_direction(effect, r.p_adj, alpha),
                     "verdict": compute_verdict(c.direction, effect, r.p_adj, alpha)})
    return pd.DataFrame(rows, columns=[arm, "PARAMCD", "claimed", "effect", "p_adj", "direction", "verdict"])


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
        tot = summary[summary[arm] == TOTAL].set_index("PARAMCD")[["responders", "n"]]
        if not by.reindex(tot.index).equals(tot):
            raise ValueError("normalisation: the arms do not add up to the total")


def check_claims(claims: pd.DataFrame, tests: pd.DataFrame, claimed: Sequence[Claim], arm: str) -> None:
    """Every claim was judged in every arm of the change tests; raises ``ValueError``
    otherwise."""
    expected = len(claimed) * tests[arm].nunique()
    if len(claims) != expected:
        raise ValueError(f"claims: {len(claims)} judged, expected {expected} (every claim in every arm)")


def check_models(models: pd.DataFrame) -> None:
    """Adjusted p values of the mixed models lie in [0, 1]; raises ``ValueError`` otherwise."""
    if not models["p_adj"].dropna().between(0, 1).all():
        raise ValueError("mixed models: an adjusted p value lies outside [0, 1]")


def check_responders(comp: pd.DataFrame, bds: pd.DataFrame) -> None:
    """Responders and non-responders never outnumber the subjects of ``bds``; raises
    ``ValueError`` otherwise."""
    n = bds["USUBJID"].nunique()
    if ((comp["n1"] + comp["n2"]) > n).any():
        raise ValueError(f"responders: more responders and non-responders than subjects ({n})")


def check_correlation(corr: pd.DataFrame) -> None:
    """Correlations lie in [-1, 1]; raises ``ValueError`` otherwise."""
    if not corr["r"].dropna().between(-1, 1).all():
        raise ValueError("correlation: a coefficient lies outside [-1, 1]")
