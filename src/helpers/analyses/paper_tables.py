"""A published table's layout: one measure per row group, baseline and each reported week
per arm, the within-arm p versus baseline two ways, and the between-arm difference.

API (what a chapter calls; every frame is tidy and keyed by codes, the words are in
:mod:`helpers.present.paper_tables`):

- :func:`describe_continuous_by_visit` (bds, arm, arms, weeks, value="AVAL"): ``arm``,
  ``AVISITN``, ``n``, ``median``, ``min``, ``max`` (the paper's "median (range)");
- :func:`describe_binary_by_visit` (bds, arm, arms, weeks, flag): ``arm``, ``AVISITN``,
  ``n`` (flag "Y"), ``subjects`` (flag "Y" or "N"), ``pct`` (the paper's "n (%)");
- :func:`within_arm_tests` (bds, kind, arm, arms, weeks, baseline_week, column): each
  reported week against baseline within an arm, ``p_published`` by the test the paper
  used (:data:`PUBLISHED_TESTS`: the two visits taken as independent groups, a
  descriptive p-value) beside ``p_paired`` by the test a statistician recommends
  (:data:`PAIRED_TESTS`: exact McNemar, Wilcoxon signed-rank);
- :func:`between_arm_differences` (bds, kind, arm, arms, reference, weeks, column):
  difference in proportions with its Miettinen-Nurminen interval, or the Hodges-Lehmann
  shift with the interval that inverts Mann-Whitney, at every week;
- :func:`paper_table` (measures, arm, arms, weeks, baseline_week) stacks the first three
  for a list of :class:`PaperMeasure` (one row per measure, arm and week);
  :func:`paper_differences` (measures, arm, arms, reference, weeks) the fourth;
- :func:`paper_table_values` / :func:`paper_difference_values`: the same as one row per
  arm (per compared arm) with a column per result name, what ``Chapter.glue_columns``
  and ``Chapter.glue_comparisons`` glue.

Result names (:func:`result_name`): ``<measure>_week<w>_<statistic>`` with the arm
suffix the chapter API adds: ``sledai_week12_median@IL-2``, ``sledai_week12_min@IL-2``,
``bilag_a2b_week0_n@Placebo``, ``bilag_a2b_week0_subjects@Placebo`` (the denominator),
``bilag_a2b_week0_pct@Placebo``, ``sledai_week12_p_published@IL-2``,
``sledai_week12_p_paired@IL-2``; between arms ``sledai_week12_diff@IL-2-vs-Placebo``
with ``_diff_ci_low``, ``_diff_ci_high``, ``_diff_p``. The statistic comes last so that
the disclosure rules see ``..._n`` and ``..._subjects`` as counts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from helpers import stats
from helpers.stats.equivalence import mann_whitney_shift
from helpers.stats.rates import score_interval, score_test

#: The kinds of a measure's rows: ``continuous`` ("median (range)") or ``binary`` ("n (%)").
KINDS: tuple[str, ...] = ("continuous", "binary")

#: The within-arm test "as published" (descriptive) for each kind. The paper's binary
#: p-values are reproduced by Fisher's exact test on the baseline and week counts taken
#: as two independent groups (``../shared/reference/published-results.md``). Its
#: continuous p-values cannot come from an independent-groups test: the placebo arm's
#: prednisone has the same median at baseline and week 12, 15 (7.5-60) and 15 (5-40), yet
#: p = 0.004, which only a paired test of the many small tapers can give (the
#: Mann-Whitney test gives about 0.5 on the calibrated data, the signed-rank test < 0.001).
#: So the continuous rows are read as the Wilcoxon signed-rank test, the one the paper's
#: methods would name for paired medians, and there "as published" and "paired" agree.
PUBLISHED_TESTS: dict[str, str] = {"binary": "fisher_independent", "continuous": "wilcoxon_signed_rank"}

#: The within-arm test a statistician recommends: the same subjects at two visits are a
#: pair, so exact McNemar on the discordant pairs, or Wilcoxon's signed-rank test on the
#: paired differences.
PAIRED_TESTS: dict[str, str] = {"binary": "mcnemar_exact", "continuous": "wilcoxon_signed_rank"}

#: The between-arm difference of each kind.
DIFFERENCE_METHODS: dict[str, str] = {"binary": "miettinen_nurminen", "continuous": "hodges_lehmann"}

#: The statistics of each kind, in the order a row shows them.
STATISTICS: dict[str, tuple[str, ...]] = {"continuous": ("n", "median", "min", "max"),
                                          "binary": ("n", "subjects", "pct")}

_YES, _NO = "Y", "N"


@dataclass(frozen=True)
class PaperMeasure:
    """One row group of a published table.

    Attributes
    ----------
    code : str
        The measure's code (snake_case, the first part of its result names: ``sledai``).
    kind : str
        ``continuous`` or ``binary``.
    data : DataFrame
        One row per subject and visit: ``USUBJID``, the arm column, ``AVISITN`` and
        ``column``.
    column : str
        The value (continuous) or the ``"Y"``/``"N"`` flag (binary; blank or missing is
        not evaluable).
    """

    code: str
    kind: str
    data: pd.DataFrame
    column: str = "AVAL"


def _check(bds: pd.DataFrame, arm: str, column: str, what: str, kind: str | None = None) -> None:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"{what}: kind must be one of {list(KINDS)}, got {kind!r}")
    missing = [c for c in ("USUBJID", arm, "AVISITN", column) if c not in bds.columns]
    if missing:
        raise ValueError(f"{what}: columns {missing} not in the data")


def _binary(values: pd.Series, what: str, column: str) -> pd.Series:
    """1.0 for "Y" (or True), 0.0 for "N" (or False), NaN for blank or missing."""
    if values.dtype == bool:
        return values.astype(float)
    text = values.astype("object").where(values.notna(), "").astype(str).str.strip()
    bad = ~text.isin([_YES, _NO, ""])
    if bad.any():
        raise ValueError(f"{what}: column {column!r} must hold 'Y', 'N' or blank, found {sorted(text[bad].unique())[:5]}")
    return text.map({_YES: 1.0, _NO: 0.0, "": math.nan})


def _values(bds: pd.DataFrame, kind: str, column: str, what: str) -> pd.Series:
    if kind == "binary":
        return _binary(bds[column], what, column)
    try:
        return pd.to_numeric(bds[column], errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: column {column!r} must hold numbers: {exc}") from exc


def _prepared(bds: pd.DataFrame, kind: str, arm: str, column: str, what: str) -> pd.DataFrame:
    _check(bds, arm, column, what, kind)
    out = bds[["USUBJID", arm, "AVISITN"]].copy()
    out["_v"] = _values(bds, kind, column, what)
    out = out.dropna(subset=["_v"])
    dup = out.duplicated(["USUBJID", "AVISITN"])
    if dup.any():
        shown = out.loc[dup, ["USUBJID", "AVISITN"]].head(3).values.tolist()
        raise ValueError(f"{what}: several values for a subject and visit, e.g. {shown}")
    return out


def describe_continuous_by_visit(bds: pd.DataFrame, arm: str, arms: Sequence[str], weeks: Sequence[int],
                                 value: str = "AVAL") -> pd.DataFrame:
    """Median and range of a measure per arm and visit (a published table's "median (range)").

    Parameters
    ----------
    bds : DataFrame
        One row per subject and visit: ``USUBJID``, ``arm``, ``AVISITN``, ``value``.
    arm : str
        The arm column.
    arms : sequence of str
        The arms, in the config's order (an arm without data gets rows with n = 0).
    weeks : sequence of int
        The visits shown (baseline first).
    value : str

    Returns
    -------
    DataFrame
        One row per arm and week, in the order given: ``arm``, ``AVISITN``, ``n``
        (subjects with a value), ``median``, ``min``, ``max`` (missing when n = 0).

    Raises
    ------
    ValueError
        A column missing, or several values for a subject and visit.
    TypeError
        ``value`` does not hold numbers.

    Notes
    -----
    The median of n sorted values is the middle one, or the mean of the two middle ones
    (R ``median``); the range is (minimum, maximum), R ``range``.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["a", "b", "c", "a", "b", "c"], "ARM": "X",
    ...                    "AVISITN": [0, 0, 0, 12, 12, 12], "AVAL": [8, 12, 27, 6, 0, None]})
    >>> describe_continuous_by_visit(df, "ARM", ["X"], [0, 12])
      arm  AVISITN  n  median  min   max
    0   X        0  3    12.0  8.0  27.0
    1   X       12  2     3.0  0.0   6.0
    """
    data = _prepared(bds, "continuous", arm, value, "describe_continuous_by_visit")
    rows = []
    for a in arms:
        for w in weeks:
            v = data.loc[(data[arm] == a) & (data["AVISITN"] == w), "_v"]
            rows.append({"arm": a, "AVISITN": int(w), "n": len(v),
                         "median": float(v.median()) if len(v) else math.nan,
                         "min": float(v.min()) if len(v) else math.nan,
                         "max": float(v.max()) if len(v) else math.nan})
    return pd.DataFrame(rows, columns=["arm", "AVISITN", "n", "median", "min", "max"])


def describe_binary_by_visit(bds: pd.DataFrame, arm: str, arms: Sequence[str], weeks: Sequence[int],
                             flag: str) -> pd.DataFrame:
    """Subjects with a flag, of those evaluable, per arm and visit (a published table's "n (%)").

    Parameters
    ----------
    bds : DataFrame
        One row per subject and visit: ``USUBJID``, ``arm``, ``AVISITN``, ``flag``.
    arm, arms, weeks
        As for :func:`describe_continuous_by_visit`.
    flag : str
        ``"Y"``, ``"N"``, or blank/missing (not evaluable, left out of the denominator);
        booleans are read as Y/N.

    Returns
    -------
    DataFrame
        One row per arm and week: ``arm``, ``AVISITN``, ``n`` (subjects flagged ``Y``),
        ``subjects`` (``Y`` or ``N``: the denominator), ``pct`` (100 n / subjects;
        missing when no subject is evaluable).

    Raises
    ------
    ValueError
        A column missing, a flag other than Y, N or blank, several rows for a subject and visit.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["a", "b", "c", "d", "a", "b"], "ARM": "X",
    ...                    "AVISITN": [0, 0, 0, 0, 12, 12], "A2BFL": ["Y", "Y", "Y", "N", "N", ""]})
    >>> describe_binary_by_visit(df, "ARM", ["X"], [0, 12], "A2BFL")
      arm  AVISITN  n  subjects   pct
    0   X        0  3         4  75.0
    1   X       12  0         1   0.0
    """
    data = _prepared(bds, "binary", arm, flag, "describe_binary_by_visit")
    rows = []
    for a in arms:
        for w in weeks:
            v = data.loc[(data[arm] == a) & (data["AVISITN"] == w), "_v"]
            n, total = int(v.sum()), len(v)
            rows.append({"arm": a, "AVISITN": int(w), "n": n, "subjects": total,
                         "pct": 100.0 * n / total if total else math.nan})
    return pd.DataFrame(rows, columns=["arm", "AVISITN", "n", "subjects", "pct"])


def fisher_independent(x0: int, n0: int, x1: int, n1: int) -> float:
    """Two-sided Fisher's exact p of x0/n0 against x1/n1 taken as independent groups.

    Notes
    -----
    scipy ``fisher_exact([[x0, n0 - x0], [x1, n1 - x1]])`` (R ``fisher.test``): the table
    the paper's within-arm binary p-values come from, though the two visits hold the
    same subjects (published-results.md).

    Examples
    --------
    >>> round(fisher_independent(13, 29, 2, 29), 3)  # the paper's rash, IL-2, week 0 vs 12
    0.002
    """
    if min(n0, n1) <= 0:
        return math.nan
    return float(sps.fisher_exact([[x0, n0 - x0], [x1, n1 - x1]]).pvalue)


def mcnemar_exact(before: Sequence[float], after: Sequence[float]) -> float:
    """Exact McNemar p of paired binary values (1/0): the binomial test of the discordant
    pairs, b (1 then 0) against c (0 then 1), with p = 1/2.

    Notes
    -----
    ``p = min(1, 2 P(Bin(b + c, 1/2) <= min(b, c)))``: statsmodels
    ``mcnemar([[a, b], [c, d]], exact=True)``; R ``binom.test(b, b + c)``. 1 when no
    pair is discordant; missing without pairs.

    Examples
    --------
    >>> mcnemar_exact([1, 1, 1, 1, 0], [0, 0, 0, 0, 0])  # b = 4, c = 0: 2 / 2**4
    0.125
    """
    from statsmodels.stats.contingency_tables import mcnemar

    b_ = np.asarray(before, dtype=float)
    a_ = np.asarray(after, dtype=float)
    if len(b_) == 0:
        return math.nan
    b = int(((b_ == 1) & (a_ == 0)).sum())
    c = int(((b_ == 0) & (a_ == 1)).sum())
    if b + c == 0:
        return 1.0
    table = [[int(((b_ == 1) & (a_ == 1)).sum()), b], [c, int(((b_ == 0) & (a_ == 0)).sum())]]
    return float(mcnemar(table, exact=True).pvalue)


#: The "as published" tests each kind accepts.
_KNOWN_PUBLISHED: dict[str, tuple[str, ...]] = {"binary": ("fisher_independent", "mcnemar_exact"),
                                                "continuous": ("wilcoxon_signed_rank", "mann_whitney_independent")}


def _signed_rank(base: pd.Series, post: pd.Series, baseline_week: int, week: int) -> float:
    """Two-sided Wilcoxon signed-rank p of post - base (paired on the index), by
    :func:`helpers.stats.paired_tests_by_visit`."""
    n = len(base)
    pair = pd.DataFrame({"USUBJID": list(base.index) * 2, "AVISITN": [baseline_week] * n + [week] * n,
                         "AVAL": list(base) + list(post), "_g": 0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.paired_tests_by_visit(pair, by=["_g"], baseline_week=baseline_week, padjust="none")
    return float(res["p_val"].iloc[0]) if len(res) else math.nan


def within_arm_tests(bds: pd.DataFrame, kind: str, arm: str, arms: Sequence[str], weeks: Sequence[int],
                     baseline_week: int = 0, column: str = "AVAL",
                     published_tests: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Each week against baseline within each arm: the p-value as published (descriptive)
    and the paired test's.

    Parameters
    ----------
    bds : DataFrame
        One row per subject and visit: ``USUBJID``, ``arm``, ``AVISITN``, ``column``.
    kind : {"continuous", "binary"}
    arm, arms
        As for :func:`describe_continuous_by_visit`.
    weeks : sequence of int
        The visits shown; the baseline week among them gets no test.
    baseline_week : int
    column : str
        The value, or the Y/N flag of a binary measure.
    published_tests : mapping, optional
        Kind -> the "as published" test (default :data:`PUBLISHED_TESTS`); continuous
        rows accept ``wilcoxon_signed_rank`` or ``mann_whitney_independent``.

    Returns
    -------
    DataFrame
        One row per arm and week other than baseline: ``arm``, ``AVISITN``,
        ``published_test``, ``p_published``, ``paired_test``
        (:data:`PAIRED_TESTS`), ``n_paired`` (subjects with both visits), ``p_paired``.
        p-values are missing when a visit has no value.

    Raises
    ------
    ValueError
        An unknown kind or published test, a column missing, a flag other than
        Y/N/blank, or several rows for a subject and visit.

    Notes
    -----
    As published: binary, Fisher's exact test on the 2x2 table of the two visits'
    counts taken as independent groups (:func:`fisher_independent`), which ignores that
    the same subjects are counted twice; continuous, the Wilcoxon signed-rank test (see
    :data:`PUBLISHED_TESTS`; ``mann_whitney_independent`` is accepted in
    ``published_tests`` to show the independent-groups reading: scipy
    ``mannwhitneyu``, R ``wilcox.test(x, y)``). Paired (the subjects with both visits):
    exact McNemar (:func:`mcnemar_exact`), or the Wilcoxon signed-rank test of the
    differences, zero differences dropped (:func:`helpers.stats.paired_tests_by_visit`;
    R ``wilcox.test(x, y, paired = TRUE)``). The published p-value is shown to say how
    the paper's figures were obtained; the paired one is the analysis.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": list("abcdabcd"), "ARM": "X", "AVISITN": [0] * 4 + [12] * 4,
    ...                    "FL": list("YYYYNNNY")})
    >>> within_arm_tests(df, "binary", "ARM", ["X"], [0, 12], column="FL")[["AVISITN", "p_published", "p_paired"]]
       AVISITN  p_published  p_paired
    0       12     0.142857      0.25

    (Fisher: 4/4 against 1/4, the tables as or more extreme hold 10 of the 70
    arrangements; McNemar: b = 3, c = 0, 2 / 2**3.)
    """
    what = "within_arm_tests"
    published = {**PUBLISHED_TESTS, **(published_tests or {})}
    if kind in KINDS and published[kind] not in _KNOWN_PUBLISHED[kind]:
        raise ValueError(f"{what}: the published test of a {kind} measure must be one of "
                         f"{list(_KNOWN_PUBLISHED[kind])}, got {published[kind]!r}")
    data = _prepared(bds, kind, arm, column, what)
    rows = []
    for a in arms:
        in_arm = data[data[arm] == a]
        base = in_arm[in_arm["AVISITN"] == baseline_week].set_index("USUBJID")["_v"]
        for w in weeks:
            if w == baseline_week:
                continue
            post = in_arm[in_arm["AVISITN"] == w].set_index("USUBJID")["_v"]
            both = base.index.intersection(post.index)
            row = {"arm": a, "AVISITN": int(w), "published_test": published[kind], "p_published": math.nan,
                   "paired_test": PAIRED_TESTS[kind], "n_paired": len(both), "p_paired": math.nan}
            if len(both):
                row["p_paired"] = (mcnemar_exact(base[both], post[both]) if kind == "binary"
                                   else _signed_rank(base[both], post[both], baseline_week, w))
            if published[kind] == PAIRED_TESTS[kind]:
                row["p_published"] = row["p_paired"]
            elif len(base) and len(post):
                row["p_published"] = (fisher_independent(int(base.sum()), len(base), int(post.sum()), len(post))
                                      if kind == "binary" else float(mann_whitney_shift(post, base)["p_val"].iloc[0]))
            rows.append(row)
    return pd.DataFrame(rows, columns=["arm", "AVISITN", "published_test", "p_published", "paired_test", "n_paired",
                                       "p_paired"])


def between_arm_differences(bds: pd.DataFrame, kind: str, arm: str, arms: Sequence[str], reference: str,
                            weeks: Sequence[int], column: str = "AVAL", confidence: float = 0.95) -> pd.DataFrame:
    """Each arm against the reference arm at every week: the difference and its interval.

    Parameters
    ----------
    bds : DataFrame
        As for :func:`within_arm_tests`.
    kind : {"continuous", "binary"}
    arm, arms : str, sequence of str
    reference : str
        The reference arm (one of ``arms``).
    weeks : sequence of int
    column : str
    confidence : float

    Returns
    -------
    DataFrame
        One row per compared arm and week: ``arm``, ``reference``, ``AVISITN``, ``n``,
        ``ref_n`` (subjects with a value), ``estimate`` (difference in proportions, arm
        minus reference, as a fraction; or the Hodges-Lehmann shift, in the measure's
        units), ``ci_low``, ``ci_high``, ``p_val`` (the test the interval inverts),
        ``confidence``, ``method`` (:data:`DIFFERENCE_METHODS`). Empty with one arm
        (``reference`` is then not used).

    Raises
    ------
    ValueError
        An unknown kind, a reference not among the arms, a column missing, a confidence
        outside (0, 1).

    Notes
    -----
    Binary: p1 - p0 with the Miettinen-Nurminen score interval and score test
    (:func:`helpers.stats.rates.score_interval`, ``score_test``; Miettinen and Nurminen,
    Stat Med 1985;4:213-26; R ``PropCIs::diffscoreci``). Continuous: the Hodges-Lehmann
    shift (median of the arm-minus-reference differences) with the interval that
    inverts the Mann-Whitney test, and that test's p
    (:func:`helpers.stats.equivalence.mann_whitney_shift`; R
    ``wilcox.test(x, y, conf.int = TRUE)``).

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": list("abcdef"), "ARM": list("XXXYYY"), "AVISITN": 12,
    ...                    "AVAL": [1, 2, 3, 5, 6, 7]})
    >>> between_arm_differences(df, "continuous", "ARM", ["X", "Y"], "Y", [12])[["arm", "estimate", "p_val"]]
      arm  estimate  p_val
    0   X      -4.0    0.1
    """
    what = "between_arm_differences"
    columns = ["arm", "reference", "AVISITN", "n", "ref_n", "estimate", "ci_low", "ci_high", "p_val", "confidence",
               "method"]
    if len(arms) < 2:
        return pd.DataFrame(columns=columns)
    if reference not in arms:
        raise ValueError(f"{what}: reference {reference!r} is not one of the arms {list(arms)}")
    if not 0 < confidence < 1:
        raise ValueError(f"{what}: confidence must be between 0 and 1, got {confidence}")
    data = _prepared(bds, kind, arm, column, what)
    rows = []
    for a in arms:
        if a == reference:
            continue
        for w in weeks:
            at = data[data["AVISITN"] == w]
            x, y = at.loc[at[arm] == a, "_v"], at.loc[at[arm] == reference, "_v"]
            row = {"arm": a, "reference": reference, "AVISITN": int(w), "n": len(x), "ref_n": len(y),
                   "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_val": math.nan,
                   "confidence": confidence, "method": DIFFERENCE_METHODS[kind]}
            if len(x) and len(y):
                if kind == "binary":
                    x1, x0 = int(x.sum()), int(y.sum())
                    lo, hi = score_interval(x1, len(x), x0, len(y), confidence)
                    row.update(estimate=x1 / len(x) - x0 / len(y), ci_low=lo, ci_high=hi,
                               p_val=score_test(x1, len(x), x0, len(y)))
                else:
                    res = mann_whitney_shift(x, y, confidence).iloc[0]
                    row.update(estimate=float(res["estimate"]), ci_low=float(res["ci_low"]),
                               ci_high=float(res["ci_high"]), p_val=float(res["p_val"]))
            rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _check_measures(measures: Sequence[PaperMeasure], what: str) -> None:
    codes = [m.code for m in measures]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValueError(f"{what}: measure codes {dup} are used twice")
    for m in measures:
        if m.kind not in KINDS:
            raise ValueError(f"{what}: measure {m.code!r} has kind {m.kind!r}; expected one of {list(KINDS)}")


def paper_table(measures: Sequence[PaperMeasure], arm: str, arms: Sequence[str], weeks: Sequence[int],
                baseline_week: int = 0, published_tests: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The rows of a published table: every measure described per arm and week, with the
    within-arm p-values against baseline.

    Parameters
    ----------
    measures : sequence of PaperMeasure
        The row groups, in the table's order.
    arm, arms, weeks, baseline_week, published_tests
        As for :func:`within_arm_tests`.

    Returns
    -------
    DataFrame
        One row per measure, arm and week: ``PARAMCD`` (the measure's code), ``kind``,
        ``arm``, ``AVISITN``, ``n``, ``subjects``, ``pct`` (binary), ``median``, ``min``,
        ``max`` (continuous), ``published_test``, ``p_published``, ``paired_test``,
        ``n_paired``, ``p_paired`` (missing at baseline).

    Raises
    ------
    ValueError
        A measure code used twice, an unknown kind, and the errors of the functions called.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": list("abab"), "ARM": "X", "AVISITN": [0, 0, 12, 12], "AVAL": [8, 12, 4, 6]})
    >>> t = paper_table([PaperMeasure("sledai", "continuous", df)], "ARM", ["X"], [0, 12])
    >>> t[["PARAMCD", "AVISITN", "n", "median", "min", "max", "p_paired"]]
      PARAMCD  AVISITN  n  median  min   max  p_paired
    0  sledai        0  2    10.0  8.0  12.0       NaN
    1  sledai       12  2     5.0  4.0   6.0       0.5
    """
    _check_measures(measures, "paper_table")
    columns = ["PARAMCD", "kind", "arm", "AVISITN", "n", "subjects", "pct", "median", "min", "max", "published_test",
               "p_published", "paired_test", "n_paired", "p_paired"]
    parts = []
    for m in measures:
        if m.kind == "binary":
            desc = describe_binary_by_visit(m.data, arm, arms, weeks, m.column)
        else:
            desc = describe_continuous_by_visit(m.data, arm, arms, weeks, m.column)
        tests = within_arm_tests(m.data, m.kind, arm, arms, weeks, baseline_week, m.column, published_tests)
        part = desc.merge(tests, on=["arm", "AVISITN"], how="left").assign(PARAMCD=m.code, kind=m.kind)
        parts.append(part.reindex(columns=columns))
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    for c in ("n_paired",):
        out[c] = out[c].astype("Int64")
    return out


def paper_differences(measures: Sequence[PaperMeasure], arm: str, arms: Sequence[str], reference: str,
                      weeks: Sequence[int], confidence: float = 0.95) -> pd.DataFrame:
    """The between-arm differences of every measure at every week
    (:func:`between_arm_differences`), stacked with the measure's code in ``PARAMCD``
    and its ``kind``. Empty with one arm.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": list("abcd"), "ARM": list("XXYY"), "AVISITN": 12, "FL": list("YYYN")})
    >>> d = paper_differences([PaperMeasure("a2b", "binary", df, "FL")], "ARM", ["X", "Y"], "Y", [12])
    >>> d[["PARAMCD", "arm", "reference", "estimate"]]
      PARAMCD arm reference  estimate
    0     a2b   X         Y       0.5
    """
    _check_measures(measures, "paper_differences")
    parts = [between_arm_differences(m.data, m.kind, arm, arms, reference, weeks, m.column, confidence)
             .assign(PARAMCD=m.code, kind=m.kind) for m in measures]
    columns = ["PARAMCD", "kind", "arm", "reference", "AVISITN", "n", "ref_n", "estimate", "ci_low", "ci_high", "p_val",
               "confidence", "method"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def result_name(code: str, week: int, statistic: str) -> str:
    """The result name of a cell, without the arm suffix.

    Examples
    --------
    >>> result_name("sledai", 12, "median"), result_name("bilag_a2b", 0, "n")
    ('sledai_week12_median', 'bilag_a2b_week0_n')
    """
    return f"{code}_week{int(week)}_{statistic}"


def paper_table_values(table: pd.DataFrame) -> pd.DataFrame:
    """The cells of :func:`paper_table` as one row per arm and one column per result name
    (``<code>_week<w>_<statistic>``; statistics :data:`STATISTICS` of the kind and
    ``p_published``, ``p_paired`` after baseline): what ``Chapter.glue_columns(frame,
    "{}", by="arm", total=False)`` glues as ``<name>@<arm>``.

    Examples
    --------
    >>> t = pd.DataFrame({"PARAMCD": "a2b", "kind": "binary", "arm": "X", "AVISITN": [0, 12], "n": [3, 1],
    ...                   "subjects": [4, 4], "pct": [75.0, 25.0], "p_published": [None, 0.49], "p_paired": [None, 0.5]})
    >>> paper_table_values(t).columns.tolist()
    ['arm', 'a2b_week0_n', 'a2b_week0_subjects', 'a2b_week0_pct', 'a2b_week12_n', 'a2b_week12_subjects', 'a2b_week12_pct', 'a2b_week12_p_published', 'a2b_week12_p_paired']
    """
    rows: dict[str, dict[str, object]] = {}
    for _, r in table.iterrows():
        row = rows.setdefault(r["arm"], {"arm": r["arm"]})
        for s in STATISTICS[r["kind"]]:
            v = r[s]
            row[result_name(r["PARAMCD"], r["AVISITN"], s)] = int(v) if s in ("n", "subjects") else v
        for p in ("p_published", "p_paired"):
            if p in table.columns and not pd.isna(r[p]):
                row[result_name(r["PARAMCD"], r["AVISITN"], p)] = r[p]
    return pd.DataFrame(list(rows.values()))


def paper_difference_values(differences: pd.DataFrame) -> pd.DataFrame:
    """The between-arm cells of :func:`paper_differences` as one row per compared arm
    (``arm``, ``reference``) and one column per name ``<code>_week<w>_diff``, ``_diff_ci_low``,
    ``_diff_ci_high``, ``_diff_p``: what ``Chapter.glue_comparisons(frame, {c: c ...})``
    glues as ``<name>@<arm>-vs-<reference>``.

    Examples
    --------
    >>> d = pd.DataFrame({"PARAMCD": "a2b", "arm": "X", "reference": "Y", "AVISITN": [12], "estimate": [0.5],
    ...                   "ci_low": [-0.2], "ci_high": [0.9], "p_val": [0.2]})
    >>> paper_difference_values(d).columns.tolist()
    ['arm', 'reference', 'a2b_week12_diff', 'a2b_week12_diff_ci_low', 'a2b_week12_diff_ci_high', 'a2b_week12_diff_p']
    """
    rows: dict[tuple, dict[str, object]] = {}
    for _, r in differences.iterrows():
        row = rows.setdefault((r["arm"], r["reference"]), {"arm": r["arm"], "reference": r["reference"]})
        for s, c in (("diff", "estimate"), ("diff_ci_low", "ci_low"), ("diff_ci_high", "ci_high"), ("diff_p", "p_val")):
            row[result_name(r["PARAMCD"], r["AVISITN"], s)] = r[c]
    return pd.DataFrame(list(rows.values()), columns=None if rows else ["arm", "reference"])


def check_paper_table(table: pd.DataFrame, population: Mapping[str, int]) -> None:
    """The hidden checks of a table in a publication's layout: per arm, no visit counts
    more subjects than the population, counts within their denominators, percentages
    within 0-100.

    Raises
    ------
    ValueError
        Naming the rows that fail.

    Examples
    --------
    >>> t = pd.DataFrame({"PARAMCD": "a2b", "arm": "X", "AVISITN": [0], "n": [3], "subjects": [4], "pct": [75.0]})
    >>> check_paper_table(t, {"X": 4})
    >>> check_paper_table(t, {"X": 3})
    Traceback (most recent call last):
    ...
    ValueError: check_paper_table: rows fail (a2b, X, week 0): more subjects than the population
    """
    bad = []
    for _, r in table.iterrows():
        where = f"({r['PARAMCD']}, {r['arm']}, week {int(r['AVISITN'])})"
        counted = r["subjects"] if "subjects" in table.columns and not pd.isna(r["subjects"]) else r["n"]
        if counted > population.get(r["arm"], 0):
            bad.append(f"{where}: more subjects than the population")
        if "subjects" in table.columns and not pd.isna(r["subjects"]) and r["n"] > r["subjects"]:
            bad.append(f"{where}: a count above its denominator")
        if "pct" in table.columns and not pd.isna(r["pct"]) and not 0 <= r["pct"] <= 100:
            bad.append(f"{where}: a percentage outside 0-100")
    if bad:
        raise ValueError("check_paper_table: rows fail " + "; ".join(bad))
