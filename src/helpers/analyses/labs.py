"""Laboratory tests of any ADaM BDS lab table: the generic labs chapter's questions.

Works on whatever ``PARAMCD`` an export holds (``adlb``, or a table of another ADaM lab
name read as ``adlb``, e.g. the CDISC pilot's ``adlbhy``): ``AVAL`` by visit and arm,
change from baseline, shifts from the baseline normal-range category to the worst
post-baseline one, abnormal values, CTCAE grade shifts where grades exist, derived 0/1
criteria (``PARAMTYP = DERIVED``, e.g. Hy's law) as counts of subjects, and each
subject's peak transaminase and bilirubin as multiples of the upper limit of normal
(the eDISH plot of Hy's law).

What the export lacks is derived when it can be (:func:`derive_lab_columns`): ``BASE``
from the baseline visit, ``CHG = AVAL - BASE``, the normal range from ``ANRLO``/``ANRHI``
or else ``A1LO``/``A1HI`` (or the columns the chapter's parameters name), ``ANRIND``
from the limits, ``BNRIND`` from the baseline record. A subject with some tests
missing at a visit is kept: each summary counts what was recorded (``n``).

Frames are tidy, keyed by ``PARAMCD``, ``AVISITN`` and the arm column, and never pooled
across arms; :mod:`helpers.present.labs` labels and lays them out. pandas does the
arithmetic (``groupby``, ``describe``); there is no hand-written statistic here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.derive import derive_base
from helpers.errors import require_columns

#: Normal-range categories of ``ANRIND``/``BNRIND``, in display order; a missing value
#: (no result, or no limits) is ``MISSING``.
RANGE_CATEGORIES: tuple[str, ...] = ("LOW", "NORMAL", "HIGH")
#: Worst post-baseline category: ``LOW and HIGH`` when a subject had both.
WORST_CATEGORIES: tuple[str, ...] = ("LOW", "NORMAL", "HIGH", "LOW and HIGH")
MISSING = "MISSING"
#: The range columns looked for, in order, when the chapter names none.
RANGE_NAMES: tuple[tuple[str, str], ...] = (("ANRLO", "ANRHI"), ("A1LO", "A1HI"))
#: CTCAE grades of ``ATOXGR``/``BTOXGR``.
GRADES: tuple[int, ...] = (0, 1, 2, 3, 4)
#: The thresholds of Hy's law, as multiples of the upper limit of normal: ALT or AST
#: above 3 x ULN with total bilirubin above 2 x ULN (FDA, Guidance for Industry:
#: Drug-Induced Liver Injury, Premarketing Clinical Evaluation, 2009).
HYS_LAW_TRANSAMINASE = 3.0
HYS_LAW_BILIRUBIN = 2.0


def find_range_columns(adlb: pd.DataFrame, low: str | None = None, high: str | None = None) -> tuple[str, str] | None:
    """The lower and upper normal-range columns of a lab table: those named, else the
    first pair of :data:`RANGE_NAMES` present with any value (``ANRLO``/``ANRHI``, then
    ``A1LO``/``A1HI``), else None.

    Examples
    --------
    >>> find_range_columns(pd.DataFrame({"A1LO": [6.0], "A1HI": [34.0]}))
    ('A1LO', 'A1HI')
    >>> find_range_columns(pd.DataFrame({"AVAL": [1.0]})) is None
    True
    """
    if low is not None or high is not None:
        if low is None or high is None:
            raise ValueError(f"find_range_columns: name both range columns (low={low!r}, high={high!r})")
        missing = [c for c in (low, high) if c not in adlb]
        if missing:
            raise ValueError(f"find_range_columns: range columns {missing} are not in the lab table "
                             f"(it has {sorted(map(str, adlb.columns))})")
        return low, high
    for lo, hi in RANGE_NAMES:
        if lo in adlb and hi in adlb and (adlb[lo].notna().any() or adlb[hi].notna().any()):
            return lo, hi
    return None


def compute_range_category(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """``LOW`` below the lower limit, ``HIGH`` above the upper one, ``NORMAL`` between
    them (limits included), ``MISSING`` without a value or without the limit that would
    decide.

    Examples
    --------
    >>> compute_range_category(pd.Series([2.0, 5.0, 9.0, None]), pd.Series([3.0] * 4), pd.Series([8.0] * 4)).tolist()
    ['LOW', 'NORMAL', 'HIGH', 'MISSING']
    """
    value, low, high = (pd.to_numeric(s, errors="coerce") for s in (value, low, high))
    out = pd.Series(MISSING, index=value.index, dtype="object")
    out[(value >= low) & (value <= high)] = "NORMAL"
    out[(value >= low) & high.isna()] = "NORMAL"
    out[(value <= high) & low.isna()] = "NORMAL"
    out[value < low] = "LOW"
    out[value > high] = "HIGH"
    out[value.isna() | (low.isna() & high.isna())] = MISSING
    return out


def _text(s: pd.Series) -> pd.Series:
    return s.astype("object").where(s.notna(), "").astype("str").str.strip().str.upper()


def derive_lab_columns(adlb: pd.DataFrame, baseline_week: int = 0, low: str | None = None,
                       high: str | None = None) -> pd.DataFrame:
    """A lab table with the columns the chapter reads, derived where the export lacks them.

    Parameters
    ----------
    adlb : DataFrame
        A BDS lab table: ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``; optionally
        ``PARAM``, ``PARAMTYP``, ``BASE``, ``CHG``, range columns, ``ANRIND``,
        ``BNRIND``, ``ATOXGR``, ``BTOXGR``.
    baseline_week : int
        ``AVISITN`` of baseline.
    low, high : str, optional
        The normal-range columns (default: found by :func:`find_range_columns`).

    Returns
    -------
    DataFrame
        ``adlb`` with ``PARAM`` (the code when absent), ``criterion`` (True on derived
        criteria, ``PARAMTYP = DERIVED``), ``BASE`` (when absent: the baseline visit's
        ``AVAL``), ``CHG`` (when absent: ``AVAL - BASE``), ``LBLO`` and ``LBHI`` (the
        normal range used), ``ANRIND`` (when absent or blank: from the limits, see
        :func:`compute_range_category`), ``BNRIND`` (when absent or blank: the baseline
        record's ``ANRIND``), ``post`` (True after baseline). Criteria carry no range
        category (``MISSING``).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1"], "AVISITN": [0, 2], "PARAMCD": "ALT",
    ...                    "AVAL": [20.0, 50.0], "A1LO": 6.0, "A1HI": 34.0})
    >>> derive_lab_columns(lb)[["AVISITN", "BASE", "CHG", "ANRIND", "BNRIND"]]
       AVISITN  BASE   CHG  ANRIND  BNRIND
    0        0  20.0   0.0  NORMAL  NORMAL
    1        2  20.0  30.0    HIGH  NORMAL
    """
    require_columns(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], "derive_lab_columns", "adlb")
    out = adlb.copy()
    out["PARAMCD"] = out["PARAMCD"].astype("str")
    out["PARAM"] = out["PARAM"].astype("str") if "PARAM" in out else out["PARAMCD"]
    out["criterion"] = _text(out["PARAMTYP"]).eq("DERIVED") if "PARAMTYP" in out else False
    if "BASE" not in out or out["BASE"].isna().all():
        out = derive_base(out.drop(columns=["BASE", "ABLFL"], errors="ignore"), baseline_week=baseline_week)
    if "CHG" not in out or out["CHG"].isna().all():
        out["CHG"] = out["AVAL"] - out["BASE"]
    cols = find_range_columns(out, low, high)
    out["LBLO"] = pd.to_numeric(out[cols[0]], errors="coerce") if cols else np.nan
    out["LBHI"] = pd.to_numeric(out[cols[1]], errors="coerce") if cols else np.nan
    derived = compute_range_category(out["AVAL"], out["LBLO"], out["LBHI"])
    given = _text(out["ANRIND"]) if "ANRIND" in out else pd.Series("", index=out.index)
    out["ANRIND"] = given.where(given != "", derived)
    base_rows = out[out["AVISITN"] == baseline_week].drop_duplicates(["USUBJID", "PARAMCD"])
    base_cat = out[["USUBJID", "PARAMCD"]].merge(base_rows[["USUBJID", "PARAMCD", "ANRIND"]],
                                                 on=["USUBJID", "PARAMCD"], how="left")["ANRIND"]
    given_b = _text(out["BNRIND"]) if "BNRIND" in out else pd.Series("", index=out.index)
    out["BNRIND"] = given_b.where(given_b != "", base_cat.fillna(MISSING).to_numpy())
    out.loc[out["criterion"], ["ANRIND", "BNRIND"]] = MISSING
    out["post"] = out["AVISITN"] > baseline_week
    return out


def _arms(frame: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    require_columns(frame, [arm], "labs", "the lab frame")
    return frame[frame[arm].isin(list(arms))]


def count_subjects(labs: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Subjects with at least one result of each test, per arm.

    Returns
    -------
    DataFrame
        ``PARAMCD``, ``PARAM``, ``criterion``, the arm column, ``n_subjects`` (with a
        non-missing ``AVAL``; zeros shown for an arm without any).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "2", "3"], "PARAMCD": "ALT", "PARAM": "ALT", "criterion": False,
    ...                    "AVAL": [1.0, None, 3.0], "ARM": ["A", "A", "B"]})
    >>> count_subjects(lb, "ARM", ["A", "B"])["n_subjects"].tolist()
    [1, 1]
    """
    x = _arms(labs, arm, arms)
    x = x[x["AVAL"].notna()]
    params = labs[["PARAMCD", "PARAM", "criterion"]].drop_duplicates("PARAMCD")
    grid = params.merge(pd.DataFrame({arm: list(arms)}), how="cross")
    n = x.groupby(["PARAMCD", arm], observed=True)["USUBJID"].nunique().rename("n_subjects").reset_index()
    n[arm] = n[arm].astype("str")
    out = grid.merge(n, on=["PARAMCD", arm], how="left")
    out["n_subjects"] = out["n_subjects"].fillna(0).astype(int)
    return out.reset_index(drop=True)


_STATS = ("n", "mean", "sd", "median", "q1", "q3", "min", "max")


def _describe(values: pd.Series) -> pd.Series:
    v = values.dropna()
    q = v.quantile([0.25, 0.5, 0.75]) if len(v) else pd.Series([np.nan] * 3, index=[0.25, 0.5, 0.75])
    return pd.Series({"n": len(v), "mean": v.mean(), "sd": v.std(ddof=1), "median": q[0.5], "q1": q[0.25],
                      "q3": q[0.75], "min": v.min(), "max": v.max()})


def summarize_lab_by_visit(labs: pd.DataFrame, arm: str, arms: Sequence[str],
                           codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Each measured test's value and change from baseline by visit and arm.

    Parameters
    ----------
    labs : DataFrame
        From :func:`derive_lab_columns`, with the arm column.
    arm : str
    arms : sequence of str
        The arms, in display order (never pooled).
    codes : sequence of str, optional
        The tests (default: every measured test, derived criteria left out: they are
        counted by :func:`summarize_criteria`).

    Returns
    -------
    DataFrame
        One row per test, visit and arm with a value: ``PARAMCD``, ``PARAM``,
        ``AVISITN``, the arm column, ``n``, ``mean``, ``sd``, ``median``, ``q1``, ``q3``,
        ``min``, ``max`` of ``AVAL`` and ``chg_n``, ``chg_mean``, ``chg_sd``,
        ``chg_median``, ``chg_q1``, ``chg_q3``, ``chg_min``, ``chg_max`` of ``CHG``
        (missing at baseline). Quantiles are pandas' linear interpolation (type 7 of
        Hyndman and Fan 1996, R's ``quantile()`` default); ``sd`` has ``n - 1``
        degrees of freedom.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "2", "1", "2"], "PARAMCD": "ALT", "PARAM": "ALT", "criterion": False,
    ...                    "AVISITN": [0, 0, 2, 2], "AVAL": [10.0, 20.0, 14.0, 30.0], "CHG": [0.0, 0.0, 4.0, 10.0],
    ...                    "post": [False, False, True, True], "ARM": "A"})
    >>> summarize_lab_by_visit(lb, "ARM", ["A"])[["AVISITN", "n", "mean", "chg_mean"]]
       AVISITN  n  mean  chg_mean
    0        0  2  15.0       NaN
    1        2  2  22.0       7.0
    """
    x = _arms(labs, arm, arms)
    x = x[~x["criterion"]]
    if codes is not None:
        x = x[x["PARAMCD"].isin(list(codes))]
    x = x.assign(**{arm: x[arm].astype("str")})
    keys = ["PARAMCD", "PARAM", "AVISITN", arm]
    rows = []
    for key, grp in x.groupby(keys, observed=True, sort=False):
        level = _describe(grp["AVAL"])
        chg = _describe(grp.loc[grp["post"], "CHG"]).add_prefix("chg_")
        rows.append({**dict(zip(keys, key, strict=True)), **level.to_dict(), **chg.to_dict()})
    cols = [*keys, *_STATS, *(f"chg_{s}" for s in _STATS)]
    out = pd.DataFrame(rows, columns=cols)
    out.loc[out["chg_n"] == 0, [f"chg_{s}" for s in _STATS if s != "n"]] = np.nan
    out.loc[out["chg_n"] == 0, "chg_n"] = np.nan
    for c in ("n",):
        out[c] = out[c].astype(int)
    order = {a: i for i, a in enumerate(arms)}
    codes_order = {c: i for i, c in enumerate(codes if codes is not None else pd.unique(x["PARAMCD"]))}
    out = out.assign(_c=out["PARAMCD"].map(codes_order), _a=out[arm].map(order))
    return out.sort_values(["_c", "AVISITN", "_a"]).drop(columns=["_c", "_a"]).reset_index(drop=True)


def derive_worst_category(labs: pd.DataFrame) -> pd.DataFrame:
    """Each subject's baseline range category and worst post-baseline one, per test.

    The worst post-baseline category is ``HIGH`` when any value after baseline was
    high and none low, ``LOW`` the other way round, ``LOW and HIGH`` when both occurred,
    ``NORMAL`` when every value was within range and ``MISSING`` without a categorised
    value after baseline.

    Returns
    -------
    DataFrame
        One row per subject and measured test: ``USUBJID``, ``PARAMCD``, ``base_cat``,
        ``worst_cat`` (and every other column the first record of the subject carries
        that is constant per subject, such as the arm).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": "1", "PARAMCD": "ALT", "criterion": False, "BNRIND": "NORMAL",
    ...                    "ANRIND": ["NORMAL", "HIGH", "LOW"], "post": [False, True, True], "ARM": "A"})
    >>> derive_worst_category(lb)[["USUBJID", "base_cat", "worst_cat"]]
      USUBJID base_cat     worst_cat
    0       1   NORMAL  LOW and HIGH
    """
    x = labs[~labs["criterion"]]
    post = x[x["post"] & x["ANRIND"].isin(list(RANGE_CATEGORIES))]
    flags = post.assign(low=post["ANRIND"].eq("LOW"), high=post["ANRIND"].eq("HIGH")).groupby(
        ["USUBJID", "PARAMCD"], observed=True)[["low", "high"]].any()
    worst = np.select([flags["low"] & flags["high"], flags["high"], flags["low"]], ["LOW and HIGH", "HIGH", "LOW"],
                      "NORMAL")
    worst = pd.Series(worst, index=flags.index, name="worst_cat").reset_index()
    first = x.drop_duplicates(["USUBJID", "PARAMCD"]).rename(columns={"BNRIND": "base_cat"})
    keep = [c for c in first.columns if c not in ("AVISITN", "AVAL", "CHG", "ANRIND", "post", "LBLO", "LBHI")]
    out = first[keep].merge(worst, on=["USUBJID", "PARAMCD"], how="left")
    out["worst_cat"] = out["worst_cat"].fillna(MISSING)
    out["base_cat"] = out["base_cat"].where(out["base_cat"].isin(list(RANGE_CATEGORIES)), MISSING)
    return out.reset_index(drop=True)


def summarize_shift(labs: pd.DataFrame, arm: str, arms: Sequence[str],
                    codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Shift table: subjects by baseline normal-range category and worst post-baseline
    category, per test and arm (every cell, zeros included).

    Returns
    -------
    DataFrame
        ``PARAMCD``, ``PARAM``, the arm column, ``base_cat`` (``LOW``, ``NORMAL``,
        ``HIGH``, ``MISSING``), ``worst_cat`` (``LOW``, ``NORMAL``, ``HIGH``,
        ``LOW and HIGH``, ``MISSING``), ``n`` (subjects), ``n_arm`` (subjects of the
        arm with the test), ``pct`` (``100 n / n_arm``).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2"], "PARAMCD": "ALT", "PARAM": "ALT", "criterion": False,
    ...                    "BNRIND": "NORMAL", "ANRIND": ["NORMAL", "HIGH", "NORMAL", "NORMAL"],
    ...                    "post": [False, True, False, True], "ARM": "A"})
    >>> s = summarize_shift(lb, "ARM", ["A"])
    >>> s[s["n"] > 0][["base_cat", "worst_cat", "n", "pct"]]
      base_cat worst_cat  n   pct
    6   NORMAL    NORMAL  1  50.0
    7   NORMAL      HIGH  1  50.0
    """
    worst = derive_worst_category(_arms(labs, arm, arms))
    if codes is not None:
        worst = worst[worst["PARAMCD"].isin(list(codes))]
    worst = worst.assign(**{arm: worst[arm].astype("str")})
    params = worst[["PARAMCD", "PARAM"]].drop_duplicates("PARAMCD")
    grid = (params.merge(pd.DataFrame({arm: list(arms)}), how="cross")
            .merge(pd.DataFrame({"base_cat": [*RANGE_CATEGORIES, MISSING]}), how="cross")
            .merge(pd.DataFrame({"worst_cat": [*WORST_CATEGORIES, MISSING]}), how="cross"))
    n = worst.groupby(["PARAMCD", arm, "base_cat", "worst_cat"], observed=True).size().rename("n").reset_index()
    out = grid.merge(n, on=["PARAMCD", arm, "base_cat", "worst_cat"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["n_arm"] = out.groupby(["PARAMCD", arm])["n"].transform("sum")
    out["pct"] = 100 * out["n"] / out["n_arm"].where(out["n_arm"] > 0)
    return out.reset_index(drop=True)


def list_abnormal(labs: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Every post-baseline value outside its normal range (a subject-level listing).

    Returns
    -------
    DataFrame
        ``USUBJID``, the arm column, ``PARAMCD``, ``PARAM``, ``AVISITN``, ``AVAL``,
        ``LBLO``, ``LBHI``, ``ANRIND``, ``BASE``, ``BNRIND``, sorted by arm (in the order
        of ``arms``), subject, test and visit.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1"], "PARAMCD": "ALT", "PARAM": "ALT", "criterion": False,
    ...                    "AVISITN": [0, 2], "AVAL": [50.0, 60.0], "LBLO": 6.0, "LBHI": 34.0, "BASE": 50.0,
    ...                    "ANRIND": "HIGH", "BNRIND": "HIGH", "post": [False, True], "ARM": "A"})
    >>> list_abnormal(lb, "ARM", ["A"])[["USUBJID", "AVISITN", "AVAL", "ANRIND"]]
      USUBJID  AVISITN  AVAL ANRIND
    0       1        2  60.0   HIGH
    """
    x = _arms(labs, arm, arms)
    x = x[~x["criterion"] & x["post"] & x["ANRIND"].isin(["LOW", "HIGH"])]
    cols = ["USUBJID", arm, "PARAMCD", "PARAM", "AVISITN", "AVAL", "LBLO", "LBHI", "ANRIND", "BASE", "BNRIND"]
    out = x[cols].assign(_a=x[arm].map({a: i for i, a in enumerate(arms)}).astype(int),
                         USUBJID=x["USUBJID"].astype("str"), **{arm: x[arm].astype("str")})
    return out.sort_values(["_a", "USUBJID", "PARAMCD", "AVISITN"]).drop(columns="_a").reset_index(drop=True)


def _grade(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype("object").where(s.notna(), None), errors="coerce").abs()


def summarize_grade_shift(labs: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """CTCAE grade shift: subjects by baseline grade (``BTOXGR``, else the baseline
    record's ``ATOXGR``) and worst post-baseline grade (the highest ``ATOXGR`` after
    baseline), per test and arm; empty when the table has no ``ATOXGR``.

    Grades are read as numbers; a signed grade (``-2`` for the low direction, as some
    exports write bidirectional tests) counts by its size.

    Returns
    -------
    DataFrame
        ``PARAMCD``, ``PARAM``, the arm column, ``base_grade`` and ``worst_grade`` (0 to
        4, or ``MISSING``), ``n`` (subjects), every cell of the grid (zeros included).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1", "1"], "PARAMCD": "PLAT", "PARAM": "Platelets", "criterion": False,
    ...                    "AVISITN": [0, 2, 4], "ATOXGR": ["0", "2", "1"], "post": [False, True, True], "ARM": "A"})
    >>> s = summarize_grade_shift(lb, "ARM", ["A"])
    >>> s[s["n"] > 0][["base_grade", "worst_grade", "n"]]
      base_grade worst_grade  n
    2          0           2  1
    """
    cols = ["PARAMCD", "PARAM", arm, "base_grade", "worst_grade", "n"]
    if "ATOXGR" not in labs or _grade(labs["ATOXGR"]).isna().all():
        return pd.DataFrame(columns=cols)
    x = _arms(labs, arm, arms)
    x = x[~x["criterion"]].assign(grade=_grade(x["ATOXGR"]))
    x = x.assign(**{arm: x[arm].astype("str"), "USUBJID": x["USUBJID"].astype("str")})
    base = (x[~x["post"]].assign(b=_grade(x.loc[~x["post"], "BTOXGR"]) if "BTOXGR" in x else np.nan))
    base = base.assign(b=base["b"].fillna(base["grade"])).groupby(["USUBJID", "PARAMCD"])["b"].max()
    worst = x[x["post"]].groupby(["USUBJID", "PARAMCD"])["grade"].max()
    subj = x.drop_duplicates(["USUBJID", "PARAMCD"])[["USUBJID", "PARAMCD", "PARAM", arm]]
    subj = subj.merge(base.rename("base").reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    subj = subj.merge(worst.rename("worst").reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    labels = [*(str(g) for g in GRADES), MISSING]
    subj["base_grade"] = subj["base"].map(lambda g: MISSING if pd.isna(g) else str(int(g)))
    subj["worst_grade"] = subj["worst"].map(lambda g: MISSING if pd.isna(g) else str(int(g)))
    grid = (subj[["PARAMCD", "PARAM"]].drop_duplicates("PARAMCD").merge(pd.DataFrame({arm: list(arms)}), how="cross")
            .merge(pd.DataFrame({"base_grade": labels}), how="cross")
            .merge(pd.DataFrame({"worst_grade": labels}), how="cross"))
    n = subj.groupby(["PARAMCD", arm, "base_grade", "worst_grade"]).size().rename("n").reset_index()
    out = grid.merge(n, on=["PARAMCD", arm, "base_grade", "worst_grade"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    return out[cols].reset_index(drop=True)


def summarize_criteria(labs: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Derived 0/1 criteria (``PARAMTYP = DERIVED``, e.g. Hy's law) as counts of
    subjects, never means: at baseline and at any visit after it.

    ``AVAL`` is read as met when it rounds to 1 (SAS transport files may store 0 as
    5.4e-79).

    Returns
    -------
    DataFrame
        One row per criterion, arm and period (``baseline``, ``post``): ``PARAMCD``,
        ``PARAM``, the arm column, ``period``, ``n`` (subjects with a value in the
        period), ``n_met`` (subjects meeting it at least once in the period), ``pct``
        (``100 n_met / n``, missing when ``n`` is 0).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2"], "PARAMCD": "HYLAW", "PARAM": "Hy's law", "criterion": True,
    ...                    "AVAL": [0.0, 1.0, 0.0, 0.0], "post": [False, True, False, True], "ARM": "A"})
    >>> summarize_criteria(lb, "ARM", ["A"])[["period", "n", "n_met", "pct"]]
         period  n  n_met   pct
    0  baseline  2      0   0.0
    1      post  2      1  50.0
    """
    cols = ["PARAMCD", "PARAM", arm, "period", "n", "n_met", "pct"]
    x = _arms(labs, arm, arms)
    x = x[x["criterion"] & x["AVAL"].notna()]
    if not len(x):
        return pd.DataFrame(columns=cols)
    x = x.assign(met=np.round(x["AVAL"].astype("float64")) == 1, period=np.where(x["post"], "post", "baseline"),
                 **{arm: x[arm].astype("str"), "USUBJID": x["USUBJID"].astype("str")})
    per = x.groupby(["PARAMCD", arm, "period", "USUBJID"])["met"].any().reset_index()
    agg = per.groupby(["PARAMCD", arm, "period"]).agg(n=("USUBJID", "size"), n_met=("met", "sum")).reset_index()
    grid = (x[["PARAMCD", "PARAM"]].drop_duplicates("PARAMCD").merge(pd.DataFrame({arm: list(arms)}), how="cross")
            .merge(pd.DataFrame({"period": ["baseline", "post"]}), how="cross"))
    out = grid.merge(agg, on=["PARAMCD", arm, "period"], how="left")
    out[["n", "n_met"]] = out[["n", "n_met"]].fillna(0).astype(int)
    out["pct"] = 100 * out["n_met"] / out["n"].where(out["n"] > 0)
    return out[cols].reset_index(drop=True)


def liver_available(adlb: pd.DataFrame, alt: str = "ALT", ast: str = "AST", bili: str = "BILI") -> bool:
    """Whether a lab table holds what the eDISH (Hy's law) plot needs: ALT or AST, and
    total bilirubin, each with a recorded value.

    Examples
    --------
    >>> liver_available(pd.DataFrame({"PARAMCD": ["AST", "BILI"], "AVAL": [30.0, 12.0]}))
    True
    >>> liver_available(pd.DataFrame({"PARAMCD": ["ALT", "C3"], "AVAL": [30.0, 0.9]}))
    False
    """
    if "PARAMCD" not in adlb:
        return False
    recorded = adlb[adlb["AVAL"].notna()] if "AVAL" in adlb else adlb
    have = set(recorded["PARAMCD"].astype("string").str.strip().dropna())
    return bool({alt, ast} & have) and bili in have


def summarize_liver_peaks(labs: pd.DataFrame, arm: str, arms: Sequence[str], alt: str = "ALT", ast: str = "AST",
                          bili: str = "BILI") -> pd.DataFrame:
    """Each subject's peak post-baseline transaminase and total bilirubin as multiples of
    the upper limit of normal: the points of an eDISH plot (Watkins et al., Drug Saf
    2011;34:243-52) and the Hy's law quadrant.

    Parameters
    ----------
    labs : DataFrame
        From :func:`derive_lab_columns` with the arm column; ``LBHI`` is the ULN.
    alt, ast, bili : str
        The codes of ALT, AST and total bilirubin; a test the table lacks is left out
        (the transaminase is then the other one).

    Returns
    -------
    DataFrame
        One row per subject with a post-baseline transaminase and bilirubin:
        ``USUBJID``, the arm column, ``alt_xuln``, ``ast_xuln`` (peak ``AVAL / ULN``),
        ``transaminase_xuln`` (the larger), ``bili_xuln``, ``hys_law`` (transaminase
        above :data:`HYS_LAW_TRANSAMINASE` and bilirubin above
        :data:`HYS_LAW_BILIRUBIN` times the ULN; FDA 2009), ``quadrant`` (``normal``,
        ``hyperbilirubinaemia``, ``Temple's corollary`` (transaminase only),
        ``Hy's law``).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1", "1"], "PARAMCD": ["ALT", "AST", "BILI"], "criterion": False,
    ...                    "AVAL": [120.0, 40.0, 50.0], "LBHI": [30.0, 40.0, 20.0], "post": True, "ARM": "A"})
    >>> summarize_liver_peaks(lb, "ARM", ["A"])[["alt_xuln", "bili_xuln", "hys_law", "quadrant"]]
       alt_xuln  bili_xuln  hys_law  quadrant
    0       4.0        2.5     True  Hy's law
    """
    cols = ["USUBJID", arm, "alt_xuln", "ast_xuln", "transaminase_xuln", "bili_xuln", "hys_law", "quadrant"]
    x = _arms(labs, arm, arms)
    x = x[~x["criterion"] & x["post"] & x["PARAMCD"].isin([alt, ast, bili]) & (x["LBHI"] > 0)]
    if not len(x) or bili not in set(x["PARAMCD"]) or not {alt, ast} & set(x["PARAMCD"]):
        return pd.DataFrame(columns=cols)
    x = x.assign(xuln=x["AVAL"] / x["LBHI"], USUBJID=x["USUBJID"].astype("str"), **{arm: x[arm].astype("str")})
    peak = x.pivot_table(index=["USUBJID", arm], columns="PARAMCD", values="xuln", aggfunc="max", observed=True)
    peak = peak.reindex(columns=[alt, ast, bili])
    out = pd.DataFrame({"alt_xuln": peak[alt], "ast_xuln": peak[ast], "bili_xuln": peak[bili]}).reset_index()
    out["transaminase_xuln"] = out[["alt_xuln", "ast_xuln"]].max(axis=1)
    out = out[out["transaminase_xuln"].notna() & out["bili_xuln"].notna()]
    high_t = out["transaminase_xuln"] > HYS_LAW_TRANSAMINASE
    high_b = out["bili_xuln"] > HYS_LAW_BILIRUBIN
    out["hys_law"] = high_t & high_b
    out["quadrant"] = np.select([high_t & high_b, high_t, high_b], ["Hy's law", "Temple's corollary",
                                                                     "hyperbilirubinaemia"], "normal")
    out["_a"] = out[arm].map({a: i for i, a in enumerate(arms)})
    return out.sort_values(["_a", "USUBJID"])[cols].reset_index(drop=True)


def count_liver_quadrants(peaks: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Subjects per eDISH quadrant and arm (every quadrant, zeros included).

    Returns
    -------
    DataFrame
        ``quadrant``, the arm column, ``n``, ``n_arm`` (subjects with both peaks),
        ``pct``.

    Examples
    --------
    >>> peaks = pd.DataFrame({"USUBJID": ["1", "2"], "ARM": "A", "quadrant": ["normal", "Hy's law"]})
    >>> count_liver_quadrants(peaks, "ARM", ["A"])[["quadrant", "n", "pct"]]
                 quadrant  n   pct
    0              normal  1  50.0
    1  hyperbilirubinaemia  0   0.0
    2  Temple's corollary  0   0.0
    3            Hy's law  1  50.0
    """
    quadrants = ["normal", "hyperbilirubinaemia", "Temple's corollary", "Hy's law"]
    grid = pd.DataFrame({"quadrant": quadrants}).merge(pd.DataFrame({arm: list(arms)}), how="cross")
    n = peaks.groupby(["quadrant", arm], observed=True).size().rename("n").reset_index()
    out = grid.merge(n, on=["quadrant", arm], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["n_arm"] = out.groupby(arm)["n"].transform("sum")
    out["pct"] = 100 * out["n"] / out["n_arm"].where(out["n_arm"] > 0)
    order = {a: i for i, a in enumerate(arms)}
    out = out.assign(_a=out[arm].map(order), _q=out["quadrant"].map({q: i for i, q in enumerate(quadrants)}))
    return out.sort_values(["_a", "_q"]).drop(columns=["_a", "_q"]).reset_index(drop=True)


def lab_by_visit(cohort, population: str = "safety", arm_var: str | None = None, low: str | None = None,
                 high: str | None = None) -> pd.DataFrame:
    """The cohort's lab table (``adlb``) for one population, with the derived columns of
    :func:`derive_lab_columns` and the arm: every recorded visit, incomplete ones
    included.

    Parameters
    ----------
    cohort : helpers.data.Cohort
    population : {"safety", "efficacy"}
    arm_var : str, optional
        The arm column (default: the one the config names for the population).
    low, high : str, optional
        The normal-range columns (default: detected).
    """
    labs = derive_lab_columns(cohort["adlb"], baseline_week=cohort.config.baseline_week, low=low, high=high)
    return cohort.with_population(labs, population, arm_var).reset_index(drop=True)


def check_labs(counts: pd.DataFrame, shift: pd.DataFrame, criteria: pd.DataFrame, population: pd.DataFrame,
               arm: str) -> None:
    """The chapter's hidden checks: no test counts more subjects than its arm holds, the
    shift table's cells add up to the subjects with the test, criteria counts within
    their denominators."""
    size = population.groupby(arm, observed=True)["USUBJID"].nunique()
    size.index = size.index.astype("str")
    over = counts[counts["n_subjects"] > counts[arm].map(size).fillna(0)]
    if len(over):
        raise AssertionError(f"tests counting more subjects than their arm: {over['PARAMCD'].tolist()}")
    cells = shift.groupby(["PARAMCD", arm])["n"].sum().rename("cells").reset_index()
    measured = counts[~counts["criterion"].astype(bool)].merge(cells, on=["PARAMCD", arm], how="inner")
    if (measured["cells"] > measured["n_subjects"]).any():
        raise AssertionError("shift-table cells add up to more subjects than have the test")
    if len(criteria) and (criteria["n_met"] > criteria["n"]).any():
        raise AssertionError("a criterion met by more subjects than were assessed")
