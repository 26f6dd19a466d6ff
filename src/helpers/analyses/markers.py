"""Laboratory markers and lymphocyte subsets: change from baseline, models, normalisation,
response, and the published claims tested against the data.

The ``labs`` and ``immunology`` chapters ask the same questions of two tables (``adlb``
and ``adcyto``); the answers are tidy frames keyed by the arm and ``PARAMCD``, with codes
rather than words. Statistics come from :mod:`helpers.stats` (Wilcoxon signed-rank tests,
mixed models, ANCOVA, Mann-Whitney, Spearman) and derivations from :mod:`helpers.derive`;
this module arranges them the way the two chapters ask their questions:

- one multiple-comparison family per marker and arm: its visits (:func:`change_tests`);
- one row per arm, never a pooled row: with several randomized arms, a value over the arms
  together is not an estimand of the trial; the arms are compared instead (:func:`compare_arms`);
- the direction of each change (:data:`DIRECTIONS`) and whether the data support a published
  claim (:data:`VERDICTS`), as codes (:func:`summarize_claims`): in the treated arm with one
  arm, by the comparison with the reference arm with several, a claim of no change by
  equivalence within a stated margin (:mod:`helpers.stats.equivalence`);
- groups smaller than the analysis plan's minimum are described, not tested.

Labels, units, digits, tables, figures and the words of the prose are in
:mod:`helpers.present.markers` and :mod:`helpers.present.prose.markers`.

Functions follow the package's naming: ``derive_*`` adds columns, ``compute_*`` works on
numbers, ``summarize_*`` returns statistics, ``check_*`` raise on inconsistencies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers import derive, stats
from helpers.analyses.arms import arms_and_total
from helpers.errors import require_columns
from helpers.stats import equivalence

#: The Treg/Th17 ratio as a derived parameter (skewed: analysed on the log scale).
RATIO = d.Measure("TREGTH17", "Treg/Th17 ratio", "ratio", log_scale=True)

#: Every marker the two chapters know: the lab tests, the subsets and the ratio.
MEASURES: dict[str, d.Measure] = {m.code: m for m in (*d.LAB_TESTS, *d.CYTO_SUBSETS, RATIO)}
LAB_CODES: tuple[str, ...] = tuple(m.code for m in d.LAB_TESTS)
CYTO_CODES: tuple[str, ...] = tuple(m.code for m in d.CYTO_SUBSETS)

#: Codes of :func:`compute_direction`: a significant rise, a significant fall, a change
#: that is not significant, and a significant test whose estimate is exactly zero.
DIRECTIONS: tuple[str, ...] = ("up", "down", "not_significant", "zero")
#: Codes of :func:`compute_verdict` and :func:`compute_equivalence_verdict`: the data
#: support a published claim, do not support it, contradict it; cannot judge it (a claim
#: of no change without an equivalence margin); or it was not tested (too few subjects, or
#: no data).
VERDICTS: tuple[str, ...] = ("supported", "not_supported", "contradicted", "inconclusive", "not_tested")
#: How a claim was judged (``basis`` of :func:`summarize_claims`): by the change within the
#: treated arm (one arm), or by the comparison with the reference arm (several arms).
BASES: tuple[str, ...] = ("change", "comparison")
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
    """Wilcoxon signed-rank test of every marker at every visit against baseline, in each
    arm, with one multiple-comparison family per marker and arm: its visits.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL`` and ``arm``.
    arm : str
    arms : sequence of str
        The arms, in the output's order; never pooled.
    baseline_week : int
    padjust : str
        Correction within each family (``holm``, ``bonf``, ``fdr_bh``, ``none``).
    codes : sequence of str, optional
        Markers to test, in the order of the output (default: every ``PARAMCD`` in
        order of appearance).

    Returns
    -------
    DataFrame
        From :func:`helpers.stats.paired_tests_by_visit`: ``arm``, ``PARAMCD``,
        ``AVISITN``, ``n``, ``base_median``, ``median``, ``median_chg``, ``q1_chg``,
        ``q3_chg``, ``w_val``, ``p_val``, ``p_adj``, ``padjust``, ``method``, plus
        ``family_size`` (the tests of the marker's family in that arm). Rows in arm,
        code, week order.

    Notes
    -----
    Holm's step-down correction (Holm, 1979) over the m tests of one family: the k-th
    smallest p becomes max over j <= k of min(1, (m - j + 1) p_(j)). A family is one
    marker in one arm across the post-baseline visits, so a marker's verdict does not
    depend on which other markers a table shows.

    Examples
    --------
    Two markers, two visits: two families of two tests (Holm doubles the smaller p of
    each).

    >>> rows = [("S" + str(i), c, w, v + (i if w else 0) * k)
    ...         for i in range(1, 7) for c, k in [("A", 1.0), ("B", -1.0)] for w, v in [(0, 10.0), (2, 10.0), (4, 10.0)]]
    >>> df = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVISITN", "AVAL"]).assign(TRT01A="IL-2")
    >>> t = change_tests(df, "TRT01A", ["IL-2"])
    >>> t[["PARAMCD", "AVISITN", "median_chg", "p_val", "p_adj", "family_size"]].round(4)
      PARAMCD  AVISITN  median_chg   p_val   p_adj  family_size
    0       A        2         3.5  0.0312  0.0625            2
    1       A        4         3.5  0.0312  0.0625            2
    2       B        2        -3.5  0.0312  0.0625            2
    3       B        4        -3.5  0.0312  0.0625            2
    """
    require_columns(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "change_tests", "bds")
    codes = _codes(bds, codes)
    data = bds[bds["PARAMCD"].isin(codes)]
    parts = []
    for a in arms:
        for code in codes:
            sub = data[(data[arm] == a) & (data["PARAMCD"] == code)]
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
    """n, median and quartiles of every marker at every visit, by arm (never pooled).

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
    data = bds[bds["PARAMCD"].isin(codes) & bds[arm].isin(list(arms))]
    out = stats.describe_by_visit(data, by=[arm, "PARAMCD", "AVISITN"])
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
    subject), in each arm (never pooled).

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL``, ``arm``.
    log : sequence of str
        Codes modelled on the log scale; their estimates are ratios to baseline
        (geometric mean ratios), the others differences from baseline.
    padjust : str
        Correction of the visit p values within each marker and arm, across the visits
        (the families of :func:`change_tests`).

    Returns
    -------
    DataFrame
        One row per arm, marker and post-baseline visit: ``arm``, ``PARAMCD`` and the
        columns of :func:`helpers.stats.mixed_model_by_visit` (``AVISITN``,
        ``estimate``, ``ci_low``, ``ci_high``, ``p_val``, ``scale``, ``n_subjects``,
        ``n_obs``, ``converged``, ``method``), plus ``p_adj``, ``padjust`` and
        ``family_size``.

    Notes
    -----
    y_ij = b0 + b_visit(j) + u_i + e_ij, u_i ~ N(0, s_u^2), fitted by REML (statsmodels
    MixedLM; R ``lme4::lmer(y ~ factor(visit) + (1 | id))``). The estimate at a visit is
    b_visit, or exp(b_visit) on the log scale.
    """
    require_columns(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", arm], "summarize_models", "bds")
    codes = _codes(bds, codes)
    data = bds[bds["PARAMCD"].isin(codes)]
    parts = []
    for a in arms:
        for code in codes:
            sub = data[(data[arm] == a) & (data["PARAMCD"] == code)]
            if sub["USUBJID"].nunique() < 2 or sub["AVISITN"].nunique() < 2:
                continue
            res = stats.mixed_model_by_visit(sub, log=code in log, baseline_week=baseline_week, confidence=confidence)
            res.insert(0, "PARAMCD", code)
            res.insert(0, arm, a)
            res["p_adj"] = stats.adjust_pvalues(res["p_val"], padjust)
            res["padjust"] = padjust
            res["family_size"] = int(res["p_val"].notna().sum())
            parts.append(res)
    if not parts:
        return pd.DataFrame(columns=[arm, "PARAMCD", "AVISITN", "estimate", "ci_low", "ci_high", "p_val", "p_adj", "scale"])
    return order_rows(pd.concat(parts, ignore_index=True), arm, arms, codes)


def compare_arms(
    bds: pd.DataFrame, week: int, arm: str, arms: Sequence[str], reference: str | None,
    codes: Sequence[str] | None = None, log: Sequence[str] = (), baseline_week: int = 0, confidence: float = 0.95,
    padjust: str = "holm", equivalence_confidence: float | None = None,
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
        Correction across the markers (one family per compared arm).
    equivalence_confidence : float, optional
        Also give the interval at this level (``eq_ci_low``, ``eq_ci_high``): the
        1 - 2 alpha interval of two one-sided tests at level alpha (equivalence).

    Returns
    -------
    DataFrame
        One row per marker and non-reference arm: ``PARAMCD``, ``arm`` (the compared
        arm), ``reference``, ``estimate``, ``ci_low``, ``ci_high``, ``p_val``, ``p_adj``,
        ``scale`` (``"difference"`` or ``"ratio"``), ``n`` (both arms), ``n_arm``,
        ``n_reference``, ``padjust``, ``family_size`` (markers compared for the arm),
        ``method``; with ``equivalence_confidence``, ``eq_ci_low``, ``eq_ci_high``,
        ``eq_confidence``. Empty when there is nothing to compare (one arm, or no
        reference data at ``week``).

    Notes
    -----
    CHG = b0 + b_arm + b_base BASE + e by least squares (:func:`helpers.stats.ancova_change`;
    R ``lm(chg ~ arm + base)``; the interval ``confint(fit, level = ...)``).

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(6) for _ in (0, 2)],
    ...                    "AVISITN": [0, 2] * 6, "PARAMCD": "C3",
    ...                    "TRT01A": ["A"] * 6 + ["P"] * 6,
    ...                    "AVAL": [1, 3, 2, 5, 3, 6, 1, 1, 2, 3, 3, 3]})
    >>> compare_arms(df, 2, "TRT01A", ["A", "P"], "P")[["TRT01A", "reference", "estimate", "scale", "n_arm"]].round(3)
      TRT01A reference  estimate       scale  n_arm
    0      A         P     2.333  difference      3
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
        eq = (stats.ancova_change(at, arm, reference, confidence=equivalence_confidence).set_index("term")
              if equivalence_confidence is not None else None)
        sizes = at.groupby(arm)["USUBJID"].nunique()
        back = math.exp if is_log else float
        for r in res.itertuples(index=False):
            row = {"PARAMCD": code, arm: r.term, "reference": reference,
                   "estimate": back(r.estimate), "ci_low": back(r.ci_low), "ci_high": back(r.ci_high), "p_val": r.p_val,
                   "scale": "ratio" if is_log else "difference", "n": r.n, "n_arm": int(sizes.get(r.term, 0)),
                   "n_reference": int(sizes.get(reference, 0)),
                   "method": r.method + (" (log scale)" if is_log else "")}
            if eq is not None:
                row.update(eq_ci_low=back(eq.loc[r.term, "ci_low"]), eq_ci_high=back(eq.loc[r.term, "ci_high"]),
                           eq_confidence=equivalence_confidence)
            rows.append(row)
    columns = ["PARAMCD", arm, "reference", "estimate", "ci_low", "ci_high", "p_val", "scale", "n", "n_arm",
               "n_reference", "method"]
    if equivalence_confidence is not None:
        columns += ["eq_ci_low", "eq_ci_high", "eq_confidence"]
    out = pd.DataFrame(rows, columns=columns)
    out.insert(out.columns.get_loc("p_val") + 1, "p_adj", np.nan)
    out.insert(out.columns.get_loc("method"), "padjust", padjust)
    out.insert(out.columns.get_loc("method"), "family_size", 0)
    for a in pd.unique(out[arm]):
        sel = out[arm] == a
        out.loc[sel, "p_adj"] = stats.adjust_pvalues(out.loc[sel, "p_val"], padjust)
        out.loc[sel, "family_size"] = int(out.loc[sel, "p_val"].notna().sum())
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
        One row per arm (never pooled) and criterion of :data:`NORMALISATION`: ``arm``, ``PARAMCD``, ``responders`` (normalised), ``n``
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
    norm = norm.merge(subjects, on="USUBJID", how="left")
    rows = []
    for a in arms:
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
    """Spearman correlation of two columns in each arm (never pooled).

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
    rows = []
    for a in arms:
        g = pairs[pairs[arm] == a]
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


def compare_responders(
    groups: pd.DataFrame, arm: str, arms: Sequence[str], value: str = "CHG", codes: Sequence[str] | None = None,
    labels: tuple[str, str] = ("Responder", "Non-responder"), padjust: str = "holm", confidence: float = 0.95,
    min_group_size: int = 5,
) -> pd.DataFrame:
    """Responders against non-responders, marker by marker and arm by arm: the
    Mann-Whitney U test with the Hodges-Lehmann shift and the interval that inverts the
    same test; groups smaller than ``min_group_size`` are described, not tested.

    Parameters
    ----------
    groups : DataFrame
        From :func:`derive_response_groups`: ``PARAMCD``, ``value``, ``RESPONSE``, ``arm``.
    value : str
        The column compared (``CHG``: change from baseline; ``AVAL``: value at the week).
    padjust : str
        Correction across the tested markers, one family per arm.
    confidence : float
        Level of the interval of the shift.
    min_group_size : int
        Below this many responders or non-responders a marker is not tested: the row
        keeps the sizes, medians and shift, with no p value or interval.

    Returns
    -------
    DataFrame
        One row per arm (never pooled) and marker: ``arm``, ``PARAMCD``, ``value``,
        ``group1`` (responders), ``group2``, ``n1``, ``n2``, ``median1``, ``median2``,
        ``estimate`` (Hodges-Lehmann shift, responders minus non-responders), ``u_val``,
        ``rbc`` (rank-biserial correlation, positive when responders have the higher
        values), ``cles`` (P(responder > non-responder), ties one half), ``tested``,
        ``p_val``, ``ci_low``, ``ci_high`` (the interval of the shift: it excludes 0
        exactly when ``p_val`` < 1 - ``confidence``), ``confidence``, ``p_adj``,
        ``padjust``, ``family_size`` (tested markers of the arm), ``test_method``
        (``exact`` or ``asymptotic``), ``method``.

    Notes
    -----
    :func:`helpers.stats.equivalence.mann_whitney_shift` (scipy ``mannwhitneyu``, two-sided,
    continuity correction; R ``wilcox.test(x, y, conf.int = TRUE)``). The rank-biserial
    correlation is 2 CLES - 1 with CLES = U / (n1 n2) (Kerby, 2014); it is shown without
    an interval, which the shift's interval replaces.

    Examples
    --------
    >>> g = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": "TREG", "CHG": [3.0, 4.0, 5.0, 1.0, 2.0],
    ...                   "RESPONSE": ["Responder"] * 3 + ["Non-responder"] * 2})
    >>> compare_responders(g, "TRT01A", ["IL-2"], min_group_size=2)[["n1", "n2", "u_val", "rbc", "estimate", "tested"]]
       n1  n2  u_val  rbc  estimate  tested
    0   3   2    6.0  1.0       2.5    True
    """
    require_columns(groups, ["PARAMCD", value, "RESPONSE", arm], "compare_responders", "groups")
    codes = _codes(groups, codes)
    parts = []
    for a in arms:
        rows = []
        for code in codes:
            g = groups[(groups[arm] == a) & (groups["PARAMCD"] == code)]
            x = g.loc[g["RESPONSE"] == labels[0], value].dropna().to_numpy(float)
            y = g.loc[g["RESPONSE"] == labels[1], value].dropna().to_numpy(float)
            res = equivalence.mann_whitney_shift(x, y, confidence).iloc[0]
            tested = bool(min(len(x), len(y)) >= max(min_group_size, 1))
            cles = res["u_val"] / (len(x) * len(y)) if len(x) and len(y) else math.nan
            rows.append({
                arm: a, "PARAMCD": code, "value": value, "group1": labels[0], "group2": labels[1],
                "n1": len(x), "n2": len(y), "median1": float(np.median(x)) if len(x) else math.nan,
                "median2": float(np.median(y)) if len(y) else math.nan, "estimate": res["estimate"], "u_val": res["u_val"],
                "rbc": 2 * cles - 1, "cles": cles, "tested": tested,
                "p_val": res["p_val"] if tested else math.nan,
                "ci_low": res["ci_low"] if tested else math.nan, "ci_high": res["ci_high"] if tested else math.nan,
                "confidence": confidence, "test_method": res["method"] if tested else None,
            })
        block = pd.DataFrame(rows)
        if block.empty:
            continue
        block["p_adj"] = stats.adjust_pvalues(block["p_val"], padjust)
        block["padjust"] = padjust
        block["family_size"] = int(block["p_val"].notna().sum())
        parts.append(block)
    columns = [arm, "PARAMCD", "value", "group1", "group2", "n1", "n2", "median1", "median2", "estimate", "u_val",
               "rbc", "cles", "tested", "p_val", "ci_low", "ci_high", "confidence", "test_method", "p_adj", "padjust",
               "family_size"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    out["method"] = "Mann-Whitney U test; Hodges-Lehmann shift with the interval inverting the test"
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


def treated_arms(arms: Sequence[str], reference: str | None) -> list[str]:
    """The arms a claim about the treatment is judged in: every arm but the reference
    (with one arm, or no reference among the arms, every arm).

    Examples
    --------
    >>> treated_arms(["IL-2", "Placebo"], "Placebo"), treated_arms(["IL-2"], None), treated_arms(["A", "B"], None)
    (['IL-2'], ['IL-2'], ['A', 'B'])
    """
    if len(arms) > 1 and reference in arms:
        return [a for a in arms if a != reference]
    return list(arms)


def significant_codes(frame: pd.DataFrame, arm: str, arms: Sequence[str], alpha: float,
                      p: str = "p_adj") -> dict[str, list[str]]:
    """The markers whose (adjusted) p is below ``alpha`` in each arm, in the order of
    ``frame`` (untested markers, with a missing p, are never significant).

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": ["A", "A", "A", "B"], "PARAMCD": ["TREG", "TH17", "TFH", "TREG"],
    ...                   "p_adj": [0.2, 0.01, 0.03, None]})
    >>> significant_codes(c, "TRT01A", ["A", "B"], 0.05)
    {'A': ['TH17', 'TFH'], 'B': []}
    """
    require_columns(frame, ["PARAMCD", arm, p], "significant_codes", "frame")
    sel = frame[frame[p] < alpha]
    return {a: [str(c) for c in sel.loc[sel[arm] == a, "PARAMCD"]] for a in arms}


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


def derive_comparison_direction(comparison: pd.DataFrame, alpha: float, p: str = "p_adj") -> pd.DataFrame:
    """``comparison`` (from :func:`compare_arms`) with ``direction``: whether the compared
    arm ended significantly higher (``up``) or lower (``down``) than the reference, by the
    sign of the difference or of the log of the ratio (:func:`compute_direction`).

    Examples
    --------
    >>> c = pd.DataFrame({"estimate": [0.5, 1.3, -0.2], "p_adj": [0.01, 0.02, 0.4],
    ...                   "scale": ["ratio", "ratio", "difference"]})
    >>> derive_comparison_direction(c, 0.05)["direction"].tolist()
    ['down', 'up', 'not_significant']
    """
    require_columns(comparison, ["estimate", "scale", p], "derive_comparison_direction", "comparison")
    effect = [math.log(e) if sc == "ratio" else float(e) for e, sc in zip(comparison["estimate"], comparison["scale"],
                                                                          strict=True)]
    out = comparison.copy()
    out["direction"] = [compute_direction(e, q, alpha) for e, q in zip(effect, comparison[p], strict=True)]
    return out


def compute_verdict(claimed: str, change: float, p: float, alpha: float) -> str:
    """Whether a test of a change supports a published claim, as a code of
    :data:`VERDICTS`.

    Parameters
    ----------
    claimed : {"increase", "decrease", "none"}
        The published direction; ``"none"``: the marker was reported not to change.
    change, p : float
        The change (or between-arm effect, on a scale where 0 is no effect) and its
        (adjusted) p value.
    alpha : float

    Notes
    -----
    An increase or decrease is supported by a significant change in that direction,
    contradicted by a significant change the other way, and otherwise not supported. A
    claim of no change cannot be judged by a test of difference: a p value above alpha is
    absence of evidence, not evidence of absence, so the verdict is ``"inconclusive"``;
    judge it by equivalence (:func:`compute_equivalence_verdict`).

    Examples
    --------
    >>> compute_verdict("decrease", -5.0, 0.01, 0.05), compute_verdict("decrease", 5.0, 0.01, 0.05)
    ('supported', 'contradicted')
    >>> compute_verdict("increase", 0.1, 0.2, 0.05), compute_verdict("none", 0.1, 1.0, 0.05)
    ('not_supported', 'inconclusive')
    """
    if claimed not in CLAIMED:
        raise ValueError(f"claimed must be 'increase', 'decrease' or 'none', got {claimed!r}")
    if claimed == "none":
        return "inconclusive"
    if not _significant(p, alpha) or change == 0:
        return "not_supported"
    return "supported" if (change > 0) == (claimed == "increase") else "contradicted"


def compute_equivalence_verdict(ci_low: float, ci_high: float, margin: float | None) -> str:
    """Whether the data support a claim of no change, by equivalence (two one-sided
    tests), as a code of :data:`VERDICTS`.

    Parameters
    ----------
    ci_low, ci_high : float
        The 1 - 2 alpha interval of the change (or of the between-arm effect), on a scale
        where 0 is no change (a log ratio for a ratio).
    margin : float or None
        The change of no practical importance, stated in advance on the same scale.

    Notes
    -----
    ``"supported"`` when the interval lies inside (-margin, margin) (equivalence at level
    alpha: Schuirmann, 1987); ``"contradicted"`` when it lies wholly outside, beyond the
    margin on one side (a change larger than the margin, shown); ``"not_supported"``
    otherwise; ``"inconclusive"`` without a margin: no equivalence claim then.

    Examples
    --------
    >>> compute_equivalence_verdict(-0.2, 0.3, 0.5), compute_equivalence_verdict(-0.2, 0.7, 0.5)
    ('supported', 'not_supported')
    >>> compute_equivalence_verdict(0.6, 0.9, 0.5), compute_equivalence_verdict(-0.2, 0.3, None)
    ('contradicted', 'inconclusive')
    """
    outcome = equivalence.equivalence_verdict(ci_low, ci_high, margin)
    if outcome == "no margin":
        return "inconclusive"
    if outcome == "equivalent":
        return "supported"
    if ci_low >= margin or ci_high <= -margin:
        return "contradicted"
    return "not_supported"


def _margin(margins: Mapping[str, Mapping[str, object]] | None, code: str) -> tuple[float | None, str | None]:
    entry = (margins or {}).get(code)
    if entry is None:
        return None, None
    try:
        value = float(entry["margin"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"equivalence margin of {code}: need {{margin: <number>, source: <text>}}, got {entry!r}") from exc
    if not value > 0:
        raise ValueError(f"equivalence margin of {code} must be positive, got {value}")
    return value, (str(entry["source"]) if entry.get("source") else None)


_CLAIM_COLUMNS = ("PARAMCD", "claimed", "source", "citation", "basis", "n", "median_chg", "p_adj", "direction",
                  "reference", "ref_n", "ref_median_chg", "ref_p_adj", "ref_direction", "scale", "effect",
                  "effect_ci_low", "effect_ci_high", "effect_p_unadjusted", "effect_p", "effect_direction", "confidence", "eq_estimate",
                  "eq_ci_low", "eq_ci_high", "eq_confidence", "margin", "margin_source", "min_group_size", "verdict")


def summarize_claims(
    tests: pd.DataFrame, claims: Sequence[Claim], week: int, arm: str, arms: Sequence[str], alpha: float,
    reference: str | None = None, comparison: pd.DataFrame | None = None, changes: pd.DataFrame | None = None,
    margins: Mapping[str, Mapping[str, object]] | None = None, min_group_size: int = 5,
) -> pd.DataFrame:
    """Each published claim about the treatment, judged at ``week`` in each treated arm.

    With one arm (or no reference arm), a claim is judged by the change within the arm;
    with several, by the comparison of the treated arm with the reference arm, which
    separates the treatment from time, regression to the mean and background therapy
    (the arms' own changes are kept beside it).

    Parameters
    ----------
    tests : DataFrame
        From :func:`change_tests` (``arm``, ``PARAMCD``, ``AVISITN``, ``n``,
        ``median_chg``, ``p_adj``).
    claims : sequence of Claim
    week : int
    arm : str
    arms : sequence of str
    alpha : float
        The level: an (adjusted) p below it is significant; claims of no change use the
        1 - 2 alpha interval.
    reference : str, optional
        The reference arm (several arms).
    comparison : DataFrame, optional
        From :func:`compare_arms` with ``equivalence_confidence=1 - 2 alpha`` (several
        arms; a claim without its comparison row is not tested).
    changes : DataFrame, optional
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``CHG`` and ``arm`` (e.g. from
        :func:`marker_by_visit`): the changes whose Hodges-Lehmann interval judges a
        claim of no change within an arm. Needed when such a claim has a margin.
    margins : mapping, optional
        ``{PARAMCD: {"margin": m, "source": text}}`` (``cohort.yml``
        ``analysis.equivalence_margins``): the change of no practical importance, as a
        difference or, for a marker compared on the log scale, as a ratio (> 1).
    min_group_size : int
        Below this many subjects in an arm the claim is not tested.

    Returns
    -------
    DataFrame
        One row per treated arm (:func:`treated_arms`) and claim: ``arm``, ``PARAMCD``,
        ``claimed``, ``source`` (bibliography key), ``citation``, ``basis``
        (:data:`BASES`); the treated arm's change: ``n``, ``median_chg``, ``p_adj``,
        ``direction``; the reference arm's (several arms): ``reference``, ``ref_n``,
        ``ref_median_chg``, ``ref_p_adj``, ``ref_direction``; the test that decides:
        ``scale`` (``median change``, ``difference`` or ``ratio``), ``effect``,
        ``effect_ci_low``, ``effect_ci_high``, ``effect_p_unadjusted`` (comparison: the
        interval and the p it inverts), ``effect_p`` (adjusted: decides),
        ``effect_direction``, ``confidence``; for a claim of no change the equivalence
        interval ``eq_estimate``, ``eq_ci_low``, ``eq_ci_high``, ``eq_confidence``, and
        ``margin``, ``margin_source``; ``min_group_size``; ``verdict`` (:data:`VERDICTS`).

    Notes
    -----
    Directions: :func:`compute_verdict` of the decisive estimate (the median change, or the
    between-arm effect, its log for a ratio) and its adjusted p. No change:
    :func:`compute_equivalence_verdict` of the 1 - 2 alpha interval, the Hodges-Lehmann
    interval inverting the signed-rank test within an arm
    (:func:`helpers.stats.equivalence.tost_change`), the ANCOVA interval between arms.

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["DSDNA", "C3"], "AVISITN": 10, "n": 40,
    ...                   "median_chg": [-20.0, 0.01], "p_adj": [0.001, 0.4]})
    >>> s = summarize_claims(t, LAB_CLAIMS[:2], 10, "TRT01A", ["IL-2"], 0.05)
    >>> s[["PARAMCD", "claimed", "basis", "direction", "verdict"]]
      PARAMCD   claimed   basis        direction        verdict
    0   DSDNA  decrease  change             down      supported
    1      C3  increase  change  not_significant  not_supported
    """
    require_columns(tests, [arm, "PARAMCD", "AVISITN", "n", "median_chg", "p_adj"], "summarize_claims", "tests")
    several = len(arms) > 1 and reference is not None and reference in arms
    if several:
        if comparison is None:
            raise ValueError("summarize_claims: with several arms, a claim is judged by the comparison with the "
                             f"reference arm ({reference}); pass comparison (from compare_arms)")
        require_columns(comparison, ["PARAMCD", arm, "estimate", "ci_low", "ci_high", "p_adj", "scale"],
                        "summarize_claims", "comparison")
    if changes is not None:
        require_columns(changes, ["PARAMCD", "AVISITN", "CHG", arm], "summarize_claims", "changes")
    at = tests[tests["AVISITN"] == week]
    confidence = 1 - alpha

    def within(a: str, code: str) -> dict[str, object]:
        r = at[(at[arm] == a) & (at["PARAMCD"] == code)]
        if r.empty:
            return {"n": 0, "median_chg": math.nan, "p_adj": math.nan, "direction": "not_significant"}
        r = r.iloc[0]
        return {"n": int(r["n"]), "median_chg": float(r["median_chg"]), "p_adj": float(r["p_adj"]),
                "direction": compute_direction(r["median_chg"], r["p_adj"], alpha)}

    rows = []
    for a in treated_arms(arms, reference if several else None):
        for c in claims:
            own = within(a, c.code)
            margin, margin_source = _margin(margins, c.code)
            row: dict[str, object] = {arm: a, "PARAMCD": c.code, "claimed": c.direction, "source": c.source,
                                      "citation": c.reference, "basis": "comparison" if several else "change", **own,
                                      "reference": reference if several else None, "confidence": confidence,
                                      "margin": margin, "margin_source": margin_source,
                                      "min_group_size": min_group_size}
            for k in ("ref_n", "ref_median_chg", "ref_p_adj", "effect", "effect_ci_low", "effect_ci_high",
                      "effect_p_unadjusted", "effect_p",
                      "eq_estimate", "eq_ci_low", "eq_ci_high", "eq_confidence"):
                row[k] = math.nan
            row.update(ref_direction=None, scale="median change", effect_direction=None)
            if several:
                ref = within(reference, c.code)
                row.update(ref_n=ref["n"], ref_median_chg=ref["median_chg"], ref_p_adj=ref["p_adj"],
                           ref_direction=ref["direction"])
                cmp_row = comparison[(comparison[arm] == a) & (comparison["PARAMCD"] == c.code)]
                enough = min(own["n"], ref["n"]) >= min_group_size
                if cmp_row.empty or not enough:
                    row["verdict"] = "not_tested"
                    rows.append(row)
                    continue
                r = cmp_row.iloc[0]
                log = r["scale"] == "ratio"
                effect = math.log(r["estimate"]) if log else float(r["estimate"])
                row.update(scale=r["scale"], effect=float(r["estimate"]), effect_ci_low=float(r["ci_low"]),
                           effect_ci_high=float(r["ci_high"]), effect_p=float(r["p_adj"]),
                           effect_p_unadjusted=float(r["p_val"]) if "p_val" in r else math.nan,
                           effect_direction=compute_direction(effect, r["p_adj"], alpha))
                if c.direction == "none":
                    if "eq_ci_low" not in comparison:
                        raise ValueError("summarize_claims: a claim of no change needs the equivalence interval of "
                                         "the comparison (compare_arms(..., equivalence_confidence=1 - 2 alpha))")
                    lo, hi = float(r["eq_ci_low"]), float(r["eq_ci_high"])
                    row.update(eq_estimate=float(r["estimate"]), eq_ci_low=lo, eq_ci_high=hi,
                               eq_confidence=float(r["eq_confidence"]))
                    if log:
                        lo, hi = math.log(lo), math.log(hi)
                    m = math.log(margin) if (log and margin is not None) else margin
                    if log and margin is not None and margin <= 1:
                        raise ValueError(f"equivalence margin of {c.code} is a ratio (the marker is compared on the "
                                         f"log scale): it must exceed 1, got {margin}")
                    row["verdict"] = compute_equivalence_verdict(lo, hi, m)
                else:
                    row["verdict"] = compute_verdict(c.direction, effect, r["p_adj"], alpha)
            else:
                row.update(effect=own["median_chg"], effect_p=own["p_adj"], effect_direction=own["direction"])
                if own["n"] < max(min_group_size, 1):
                    row["verdict"] = "not_tested"
                elif c.direction == "none":
                    if changes is not None:
                        sel = changes[(changes[arm] == a) & (changes["PARAMCD"] == c.code) & (changes["AVISITN"] == week)]
                        tost = equivalence.tost_change(sel["CHG"], margin, alpha).iloc[0]
                        row.update(eq_estimate=tost["estimate"], eq_ci_low=tost["ci_low"], eq_ci_high=tost["ci_high"],
                                   eq_confidence=tost["confidence"])
                    elif margin is not None:
                        raise ValueError(f"summarize_claims: the claim of no change in {c.code} has a margin; pass "
                                         "changes (the CHG values) for its equivalence interval")
                    row["verdict"] = compute_equivalence_verdict(row["eq_ci_low"], row["eq_ci_high"], margin)
                else:
                    row["verdict"] = compute_verdict(c.direction, own["median_chg"], own["p_adj"], alpha)
            rows.append(row)
    return pd.DataFrame(rows, columns=[arm, *_CLAIM_COLUMNS])


# ---------------------------------------------------------------------------------------
# checks


def check_change_tests(tests: pd.DataFrame, bds: pd.DataFrame, arm: str, arms: Sequence[str], codes: Sequence[str]) -> None:
    """Checks a chapter runs on its change tests; raises ``ValueError`` when one fails.

    Every marker is tested in every arm that has data, and no row is pooled over the
    arms; no test has more subjects than the arm; each family is one marker in one arm,
    of the stated size; p values lie in [0, 1] and an adjusted p is never below its raw p.
    """
    stray = sorted(set(tests[arm]) - set(arms))
    if stray:
        raise ValueError(f"change tests: rows for {stray}, which are not arms ({list(arms)}): no pooled rows")
    n_arm = bds.groupby(arm)["USUBJID"].nunique()
    for a, g in tests.groupby(arm):
        if (g["n"] > n_arm.get(a, 0)).any():
            raise ValueError(f"change tests: arm {a} has a test with more subjects than the arm ({n_arm.get(a, 0)})")
        missing = [c for c in codes if c in set(bds.loc[bds[arm] == a, "PARAMCD"]) and c not in set(g["PARAMCD"])]
        if missing:
            raise ValueError(f"change tests: arm {a} lacks markers {missing}")
        if "family_size" in g:
            for code, f in g.groupby("PARAMCD"):
                if (f["family_size"] != f["p_val"].notna().sum()).any():
                    raise ValueError(f"change tests: the family of {code} in arm {a} holds {f['p_val'].notna().sum()} "
                                     f"tests, not the {f['family_size'].iloc[0]} stated")
    p, q = tests["p_val"].dropna(), tests["p_adj"].dropna()
    if not (p.between(0, 1).all() and q.between(0, 1).all()):
        raise ValueError("change tests: a p value lies outside [0, 1]")
    both = tests.dropna(subset=["p_val", "p_adj"])
    if (both["p_adj"] < both["p_val"] - 1e-12).any():
        raise ValueError("change tests: an adjusted p value is smaller than its raw p value")


def check_normalisation(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> None:
    """Normalised subjects never outnumber the abnormal ones; rates lie in [0, 1]; no row
    is pooled over the arms."""
    if (summary["responders"] > summary["n"]).any():
        raise ValueError("normalisation: more subjects normalised than abnormal at baseline")
    if not summary["rate"].dropna().between(0, 1).all():
        raise ValueError("normalisation: a rate lies outside [0, 1]")
    stray = sorted(set(summary[arm]) - set(arms))
    if stray:
        raise ValueError(f"normalisation: rows for {stray}, which are not arms ({list(arms)}): no pooled rows")


def check_claims(claims: pd.DataFrame, claimed: Sequence[Claim], arm: str, arms: Sequence[str],
                 reference: str | None = None) -> None:
    """Every claim was judged in every treated arm (:func:`treated_arms`), each with a
    known verdict; raises ``ValueError`` otherwise."""
    treated = treated_arms(arms, reference)
    expected = {(a, c.code) for a in treated for c in claimed}
    got = set(zip(claims[arm], claims["PARAMCD"], strict=True))
    if got != expected or len(claims) != len(expected):
        raise ValueError(f"claims: {len(claims)} judged, expected {len(expected)} (every claim in every treated arm: "
                         f"{treated})")
    unknown = sorted(set(claims["verdict"]) - set(VERDICTS))
    if unknown:
        raise ValueError(f"claims: unknown verdicts {unknown}")


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
