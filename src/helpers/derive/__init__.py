"""Derivations: new variables computed from the cohort's tables.

Each function derives one thing, takes frames in ADaM shape (``USUBJID``, ``AVISITN``,
``PARAMCD``, ``AVAL``), returns a new frame and never changes its inputs. They are
vectorised: no loop runs per subject, so a registry-sized cohort costs what a 40-subject
one does, times the rows.

Definitions follow ``helpers.definitions`` and the references named there.

Topics with several derivations have their own module, re-exported here:
:mod:`helpers.derive.bilag` (BILAG-2004 score, "A or 2B", flares, time to flare, flare
counts), :mod:`helpers.derive.renal` (eGFR, lupus nephritis subgroup, renal response),
:mod:`helpers.derive.steroid` (glucocorticoid taper) and :mod:`helpers.derive.serology`
(ANA titre decrease, serology change).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.errors import require_columns

KEY = ["USUBJID", "AVISITN"]


def _visit_labels(df: pd.DataFrame) -> pd.DataFrame:
    if "AVISIT" not in df:
        return pd.DataFrame(columns=["AVISITN", "AVISIT"])
    return df[["AVISITN", "AVISIT"]].drop_duplicates("AVISITN")


# ---------------------------------------------------------------------------------------
# SLEDAI-2K


def derive_sledai_total(adsledai: pd.DataFrame, paramcd: str = "SLEDAI") -> pd.DataFrame:
    """SLEDAI-2K total score per subject and visit.

    Parameters
    ----------
    adsledai : DataFrame
        One row per subject, visit and descriptor: ``USUBJID``, ``AVISITN``, ``PARAMCD``
        (a code of ``helpers.definitions.SLEDAI_DESCRIPTORS``), ``AVAL`` (1 present, 0
        absent); ``AVISIT`` is carried over when present.
    paramcd : str
        The ``PARAMCD`` of the derived rows.

    Returns
    -------
    DataFrame
        One row per subject and visit: ``USUBJID``, ``AVISIT``, ``AVISITN``, ``PARAMCD``,
        ``AVAL`` (the total, 0 to 105; missing when a descriptor of the visit is missing).

    Notes
    -----
    total = sum over descriptors of weight x AVAL, weights as in Gladman et al. (2002):
    8 for the neurological descriptors and vasculitis, 4 for musculoskeletal and renal,
    2 for mucocutaneous, serosal and immunological, 1 for fever and the haematological.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpers.definitions import SLEDAI_WEIGHTS
    >>> rows = [("S1", 0, c, int(c in ("ARTHRIT", "RASH", "FEVER"))) for c in SLEDAI_WEIGHTS]
    >>> df = pd.DataFrame(rows, columns=["USUBJID", "AVISITN", "PARAMCD", "AVAL"])
    >>> derive_sledai_total(df)[["USUBJID", "AVISITN", "AVAL"]]
      USUBJID  AVISITN  AVAL
    0      S1        0   7.0
    """
    require_columns(adsledai, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], "derive_sledai_total", "input")
    scored = _score_descriptors(adsledai, "derive_sledai_total")
    n = len(scored.visits)
    group, score, item = scored.group, scored.score, scored.item
    total = np.bincount(group, weights=np.nan_to_num(score), minlength=n)
    missing = np.bincount(group, weights=np.isnan(score).astype(float), minlength=n) > 0
    rows = np.bincount(group, minlength=n)
    # Distinct descriptors per visit: a visit with one descriptor twice and another
    # missing has 24 rows but only 23 descriptors, and no total.
    seen = np.zeros((n, len(d.SLEDAI_DESCRIPTORS)), dtype=bool)
    seen[group, item] = True
    distinct = seen.sum(axis=1)
    complete = (distinct == len(d.SLEDAI_DESCRIPTORS)) & (rows == distinct) & ~missing
    out = scored.visits.assign(AVAL=np.where(complete, total, np.nan))
    out = out.merge(_visit_labels(adsledai), on="AVISITN", how="left")
    out["PARAMCD"] = paramcd
    return out[["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL"]]


class _Scored:
    """Descriptor rows of ``adsledai`` reduced to arrays: the visit each row belongs to,
    its weighted score, its descriptor and domain index."""

    def __init__(self, visits: pd.DataFrame, group: np.ndarray, score: np.ndarray, item: np.ndarray, domain: np.ndarray):
        self.visits, self.group, self.score, self.item, self.domain = visits, group, score, item, domain


def _lookup(s: pd.Series, table: dict, fill=-1) -> np.ndarray:
    """``s.map(table)`` as an integer array, computed on the categories when ``s`` is a
    categorical (one lookup per distinct code instead of one per row)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        per_cat = np.array([table.get(str(c), fill) for c in s.cat.categories] + [fill])
        codes = s.cat.codes.to_numpy()
        return per_cat[np.where(codes < 0, len(per_cat) - 1, codes)]
    return s.astype("str").map(table).fillna(fill).to_numpy().astype(int)


def _score_descriptors(adsledai: pd.DataFrame, what: str) -> _Scored:
    """Vectorised bookkeeping shared by the total and the domain scores (no per-subject
    Python: a registry-sized table costs what a trial-sized one does, times the rows)."""
    index = {x.code: i for i, x in enumerate(d.SLEDAI_DESCRIPTORS)}
    item = _lookup(adsledai["PARAMCD"], index)
    if (item < 0).any():
        codes = sorted(adsledai.loc[item < 0, "PARAMCD"].astype("str").unique().tolist())
        raise ValueError(f"{what}: unknown descriptor codes {codes}")
    weights = np.array([x.weight for x in d.SLEDAI_DESCRIPTORS], dtype=float)
    domains = {name: i for i, name in enumerate(d.SLEDAI_DOMAINS)}
    domain = np.array([domains[x.domain] for x in d.SLEDAI_DESCRIPTORS])[item]
    score = adsledai["AVAL"].to_numpy(dtype=float, na_value=np.nan) * weights[item]
    subj = adsledai["USUBJID"]
    if isinstance(subj.dtype, pd.CategoricalDtype):
        scode, categories = subj.cat.codes.to_numpy().astype(np.int64), subj.cat.categories
    else:
        scode, categories = pd.factorize(subj, sort=True)
        scode = scode.astype(np.int64)
    week = adsledai["AVISITN"].to_numpy(dtype=np.int64)
    lo, span = int(week.min(initial=0)), int(week.max(initial=0) - week.min(initial=0)) + 1
    key = scode * span + (week - lo)
    group, keys = pd.factorize(key, sort=True)
    subject_codes = keys // span
    if isinstance(subj.dtype, pd.CategoricalDtype):
        usubjid = pd.Categorical.from_codes(subject_codes, dtype=subj.dtype)
    else:
        usubjid = np.asarray(categories)[subject_codes]
    visits = pd.DataFrame({"USUBJID": usubjid, "AVISITN": keys % span + lo})
    return _Scored(visits, group, score, item, domain)


def derive_sledai_domains(adsledai: pd.DataFrame) -> pd.DataFrame:
    """SLEDAI-2K score per organ domain, subject and visit.

    Parameters
    ----------
    adsledai : DataFrame
        As for :func:`derive_sledai_total`.

    Returns
    -------
    DataFrame
        One row per subject, visit and domain: ``USUBJID``, ``AVISIT``, ``AVISITN``,
        ``PARAMCD`` (the domain, e.g. ``"renal"``), ``AVAL`` (weighted score of the
        domain's descriptors).

    Notes
    -----
    Domains as in ``helpers.definitions.SLEDAI_DESCRIPTORS``; the domain scores of a
    visit add up to its total.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": "S1", "AVISITN": 0,
    ...                    "PARAMCD": ["PROTEIN", "HEMATUR", "RASH"], "AVAL": [1, 1, 0]})
    >>> out = derive_sledai_domains(df)
    >>> out.set_index("PARAMCD").loc[["renal", "mucocutaneous"], "AVAL"].tolist()
    [8.0, 0.0]
    """
    require_columns(adsledai, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], "derive_sledai_domains", "input")
    scored = _score_descriptors(adsledai, "derive_sledai_domains")
    n, k = len(scored.visits), len(d.SLEDAI_DOMAINS)
    cell = scored.group.astype(np.int64) * k + scored.domain
    sums = np.bincount(cell, weights=np.nan_to_num(scored.score), minlength=n * k)
    present = np.bincount(cell, minlength=n * k) > 0
    missing = np.bincount(cell, weights=np.isnan(scored.score).astype(float), minlength=n * k) > 0
    cells = np.flatnonzero(present)  # visit-major, domains in the instrument's order
    out = scored.visits.iloc[cells // k].reset_index(drop=True)
    out["PARAMCD"] = np.asarray(d.SLEDAI_DOMAINS, dtype=object)[cells % k]
    out["AVAL"] = np.where(missing[cells], np.nan, sums[cells])
    out = out.merge(_visit_labels(adsledai), on="AVISITN", how="left")
    return out[["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# baseline and change


def derive_base(
    bds: pd.DataFrame,
    by: Sequence[str] = ("USUBJID", "PARAMCD"),
    baseline_week: int = 0,
    value: str = "AVAL",
) -> pd.DataFrame:
    """Add the baseline value ``BASE`` and the baseline record flag ``ABLFL``.

    Parameters
    ----------
    bds : DataFrame
        A BDS-shaped frame with ``AVISITN``, the ``by`` columns and ``value``.
    by : sequence of str
        Columns that identify one series (default subject and parameter).
    baseline_week : int
        The ``AVISITN`` of baseline.
    value : str
        The column whose baseline is taken.

    Returns
    -------
    DataFrame
        ``bds`` with ``BASE`` (missing where the series has no baseline record) and
        ``ABLFL`` (``"Y"`` on the baseline record, ``""`` elsewhere).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": ["A", "A", "B"], "PARAMCD": "X",
    ...                    "AVISITN": [0, 2, 2], "AVAL": [10.0, 6.0, 3.0]})
    >>> derive_base(df)[["USUBJID", "AVISITN", "BASE", "ABLFL"]]
      USUBJID  AVISITN  BASE ABLFL
    0       A        0  10.0     Y
    1       A        2  10.0
    2       B        2   NaN
    """
    by = list(by)
    require_columns(bds, by + ["AVISITN", value], "derive_base", "input")
    is_base = bds["AVISITN"] == baseline_week
    base = bds.loc[is_base, by + [value]]
    if base.duplicated(by).any():
        raise ValueError(f"derive_base: more than one baseline record per {by}")
    base = base.rename(columns={value: "BASE"})
    out = bds.drop(columns=[c for c in ("BASE", "ABLFL") if c in bds]).merge(base, on=by, how="left")
    out.index = bds.index
    out["ABLFL"] = np.where(is_base, "Y", "")
    return out


def derive_chg(bds: pd.DataFrame, value: str = "AVAL") -> pd.DataFrame:
    """Add the change from baseline ``CHG = AVAL - BASE`` and ``PCHG`` (per cent).

    Parameters
    ----------
    bds : DataFrame
        With ``value`` and ``BASE`` (see :func:`derive_base`).

    Returns
    -------
    DataFrame
        ``bds`` with ``CHG`` and ``PCHG = 100 x CHG / BASE`` (missing when ``BASE`` is 0
        or missing).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"AVAL": [10.0, 6.0, 1.0], "BASE": [10.0, 10.0, 0.0]})
    >>> derive_chg(df)
       AVAL  BASE  CHG  PCHG
    0  10.0  10.0  0.0   0.0
    1   6.0  10.0 -4.0 -40.0
    2   1.0   0.0  1.0   NaN
    """
    require_columns(bds, [value, "BASE"], "derive_chg", "input")
    out = bds.copy()
    out["CHG"] = out[value] - out["BASE"]
    base = out["BASE"].where(out["BASE"] != 0)
    out["PCHG"] = 100 * out["CHG"] / base
    return out


# ---------------------------------------------------------------------------------------
# BILAG-2004 and PGA


def derive_bilag_new_flares(adbilag: pd.DataFrame, baseline_week: int = 0) -> pd.DataFrame:
    """Count new BILAG-2004 A and new B domains per subject and visit, against baseline.

    Parameters
    ----------
    adbilag : DataFrame
        One row per subject, visit and domain: ``USUBJID``, ``AVISITN``, ``PARAMCD``,
        ``AVALC`` (A to E).
    baseline_week : int

    Returns
    -------
    DataFrame
        One row per subject and visit: ``USUBJID``, ``AVISIT``, ``AVISITN``, ``NEWA``,
        ``NEWB`` (counts; missing when a domain has no baseline grade).

    Notes
    -----
    A new A is a domain graded A at the visit and not A at baseline; a new B is a domain
    graded B at the visit and C, D or E at baseline (a B that was A is an improvement).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": "S1", "AVISITN": [0, 0, 0, 4, 4, 4],
    ...                    "PARAMCD": ["MUCO", "RENAL", "HAEM"] * 2,
    ...                    "AVALC": ["B", "C", "A", "A", "B", "B"]})
    >>> derive_bilag_new_flares(df)[["AVISITN", "NEWA", "NEWB"]]
       AVISITN  NEWA  NEWB
    0        0   0.0   0.0
    1        4   1.0   1.0
    """
    require_columns(adbilag, ["USUBJID", "AVISITN", "PARAMCD", "AVALC"], "derive_bilag_new_flares", "input")
    base = adbilag.loc[adbilag["AVISITN"] == baseline_week, ["USUBJID", "PARAMCD", "AVALC"]]
    base = base.rename(columns={"AVALC": "BASEC"})
    m = adbilag[["USUBJID", "AVISITN", "PARAMCD", "AVALC"]].merge(base, on=["USUBJID", "PARAMCD"], how="left")
    known = m["BASEC"].notna()
    new_a = (m["AVALC"] == "A") & (m["BASEC"] != "A")
    new_b = (m["AVALC"] == "B") & m["BASEC"].isin(["C", "D", "E"])
    m = m.assign(NEWA=new_a.where(known).astype("float64"), NEWB=new_b.where(known).astype("float64"))
    m["unknown"] = ~known
    g = m.groupby(KEY, sort=True, observed=True)
    out = pd.DataFrame({"NEWA": g["NEWA"].sum(), "NEWB": g["NEWB"].sum()})
    out.loc[g["unknown"].any(), ["NEWA", "NEWB"]] = np.nan
    out = out.reset_index().merge(_visit_labels(adbilag), on="AVISITN", how="left")
    return out[["USUBJID", "AVISIT", "AVISITN", "NEWA", "NEWB"]]


def derive_pga_worsening(
    adpga: pd.DataFrame, baseline_week: int = 0, threshold: float = d.PGA_WORSENING
) -> pd.DataFrame:
    """Flag a worsening of the Physician's Global Assessment from baseline.

    Parameters
    ----------
    adpga : DataFrame
        One row per subject and visit: ``USUBJID``, ``AVISITN``, ``AVAL`` (0 to 3).
    baseline_week : int
    threshold : float
        An increase of at least this much is a worsening (0.3 in the SRI).

    Returns
    -------
    DataFrame
        ``USUBJID``, ``AVISIT``, ``AVISITN``, ``AVAL``, ``BASE``, ``CHG``, ``PGAWFL``
        (``"Y"`` worsened, ``"N"`` not, ``""`` when baseline or the visit is missing).

    Notes
    -----
    worsened when AVAL - BASE >= threshold. The difference is rounded to 9 decimals
    first, so that 2.3 - 2.0 (0.29999... in binary) counts as the 0.3 it is.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": "S1", "AVISITN": [0, 2, 4], "AVAL": [2.0, 2.3, 2.2]})
    >>> derive_pga_worsening(df)[["AVISITN", "CHG", "PGAWFL"]]
       AVISITN  CHG PGAWFL
    0        0  0.0      N
    1        2  0.3      Y
    2        4  0.2      N
    """
    require_columns(adpga, ["USUBJID", "AVISITN", "AVAL"], "derive_pga_worsening", "input")
    cols = ["USUBJID", "AVISITN", "AVAL"] + (["AVISIT"] if "AVISIT" in adpga else [])
    df = adpga[cols].copy()
    df["PARAMCD"] = "PGA"
    df = derive_chg(derive_base(df, baseline_week=baseline_week))
    df["CHG"] = df["CHG"].round(9)
    flag = np.where(df["CHG"] >= threshold, "Y", "N")
    df["PGAWFL"] = np.where(df["CHG"].isna(), "", flag)
    if "AVISIT" not in df:
        df["AVISIT"] = ""
    return df[["USUBJID", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG", "PGAWFL"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# SRI


def derive_sri(
    sledai: pd.DataFrame,
    bilag_flares: pd.DataFrame,
    pga: pd.DataFrame,
    k: int = 4,
    baseline_week: int = 0,
    max_new_b: int = 1,
) -> pd.DataFrame:
    """SLE Responder Index (SRI-k) at every observed post-baseline visit.

    Parameters
    ----------
    sledai : DataFrame
        SLEDAI-2K totals from :func:`derive_sledai_total` (``USUBJID``, ``AVISITN``,
        ``AVAL``).
    bilag_flares : DataFrame
        From :func:`derive_bilag_new_flares` (``NEWA``, ``NEWB``).
    pga : DataFrame
        From :func:`derive_pga_worsening` (``PGAWFL``).
    k : int
        The SLEDAI-2K reduction required: 4 for SRI-4, up to 8 for SRI-8.
    baseline_week : int
    max_new_b : int
        New BILAG B domains allowed (1 in the SRI).

    Returns
    -------
    DataFrame
        One row per subject and post-baseline visit with any component recorded:
        ``USUBJID``, ``AVISIT``, ``AVISITN``, ``PARAMCD`` (``"SRI<k>"``), ``BASE`` and
        ``CHG`` (SLEDAI-2K), ``NEWA``, ``NEWB``, ``PGACHG``, ``CRIT1FL`` (SLEDAI reduced
        by >= k), ``CRIT2FL`` (no new BILAG A, <= ``max_new_b`` new B), ``CRIT3FL`` (PGA
        not worsened by >= 0.3), each ``"Y"``, ``"N"`` or ``""`` (not evaluable), and
        ``AVAL``: 1 responder, 0 non-responder, missing when a component is missing and
        the others do not already decide non-response.

    Notes
    -----
    Furie et al. (2009): a responder meets all three criteria. A visit that fails one
    criterion is a non-response even if another is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"USUBJID": "S1", "AVISITN": [0, 6], "AVAL": [12.0, 6.0]})
    >>> b = pd.DataFrame({"USUBJID": "S1", "AVISITN": [0, 6], "NEWA": [0.0, 0.0], "NEWB": [0.0, 1.0]})
    >>> p = pd.DataFrame({"USUBJID": "S1", "AVISITN": [0, 6], "CHG": [0.0, 0.1], "PGAWFL": ["N", "N"]})
    >>> derive_sri(s, b, p)[["AVISITN", "CHG", "CRIT1FL", "CRIT2FL", "CRIT3FL", "AVAL"]]
       AVISITN  CHG CRIT1FL CRIT2FL CRIT3FL  AVAL
    0        6 -6.0       Y       Y       Y   1.0
    """
    if not 1 <= int(k) <= 105:
        raise ValueError(f"derive_sri: k must be a SLEDAI-2K reduction between 1 and 105, got {k}")
    require_columns(sledai, ["USUBJID", "AVISITN", "AVAL"], "derive_sri (sledai)", "input")
    require_columns(bilag_flares, ["USUBJID", "AVISITN", "NEWA", "NEWB"], "derive_sri (bilag_flares)", "input")
    require_columns(pga, ["USUBJID", "AVISITN", "CHG", "PGAWFL"], "derive_sri (pga)", "input")
    s = sledai[["USUBJID", "AVISITN", "AVAL"]].assign(PARAMCD="SLEDAI")
    s = derive_chg(derive_base(s, baseline_week=baseline_week))
    s = s[["USUBJID", "AVISITN", "BASE", "CHG"]]
    b = bilag_flares[["USUBJID", "AVISITN", "NEWA", "NEWB"]]
    p = pga[["USUBJID", "AVISITN", "CHG", "PGAWFL"]].rename(columns={"CHG": "PGACHG"})
    m = s.merge(b, on=KEY, how="outer").merge(p, on=KEY, how="outer")
    m = m[m["AVISITN"] != baseline_week]

    def flag(ok: pd.Series, known: pd.Series) -> np.ndarray:
        return np.where(~known, "", np.where(ok, "Y", "N"))

    c1_known = m["CHG"].notna()
    c2_known = m["NEWA"].notna() & m["NEWB"].notna()
    c3_known = m["PGAWFL"].fillna("") != ""
    m["CRIT1FL"] = flag(m["CHG"] <= -int(k), c1_known)
    m["CRIT2FL"] = flag((m["NEWA"] == 0) & (m["NEWB"] <= max_new_b), c2_known)
    m["CRIT3FL"] = flag(m["PGAWFL"] == "N", c3_known)
    crit = m[["CRIT1FL", "CRIT2FL", "CRIT3FL"]]
    any_fail = (crit == "N").any(axis=1)
    all_pass = (crit == "Y").all(axis=1)
    m["AVAL"] = np.where(all_pass, 1.0, np.where(any_fail, 0.0, np.nan))
    m["PARAMCD"] = f"SRI{int(k)}"
    labels = pd.concat([_visit_labels(sledai), _visit_labels(pga)]).drop_duplicates("AVISITN")
    m = m.merge(labels, on="AVISITN", how="left")
    cols = ["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "BASE", "CHG", "NEWA", "NEWB", "PGACHG",
            "CRIT1FL", "CRIT2FL", "CRIT3FL", "AVAL"]
    return m[cols].sort_values(KEY, kind="stable").reset_index(drop=True)


def impute_nonresponders(
    response: pd.DataFrame, subjects: Sequence[str], weeks: Sequence[int], visit_labels: dict[int, str] | None = None
) -> pd.DataFrame:
    """Non-responder imputation: every subject at every scheduled week, missing as 0.

    Parameters
    ----------
    response : DataFrame
        One row per subject and visit with ``AVAL`` 1/0/missing (e.g. from
        :func:`derive_sri`).
    subjects : sequence of str
        The analysis population (its ``USUBJID``).
    weeks : sequence of int
        The scheduled post-baseline weeks.
    visit_labels : dict, optional
        ``AVISIT`` for each week.

    Returns
    -------
    DataFrame
        One row per subject and week: the columns of ``response``, with ``AVAL`` 0 where
        the response was missing or not evaluable, and ``DTYPE = "NRI"`` on those rows
        (``""`` on observed ones). Rows for subjects outside ``subjects`` are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"USUBJID": ["A", "B"], "AVISITN": [2, 2], "AVAL": [1.0, float("nan")]})
    >>> impute_nonresponders(r, ["A", "B", "C"], [2])[["USUBJID", "AVAL", "DTYPE"]]
      USUBJID  AVAL DTYPE
    0       A   1.0
    1       B   0.0   NRI
    2       C   0.0   NRI
    """
    require_columns(response, ["USUBJID", "AVISITN", "AVAL"], "impute_nonresponders", "input")
    grid = pd.MultiIndex.from_product([list(dict.fromkeys(subjects)), list(weeks)], names=KEY).to_frame(index=False)
    out = grid.merge(response, on=KEY, how="left")
    imputed = out["AVAL"].isna()
    out["AVAL"] = out["AVAL"].fillna(0.0)
    out["DTYPE"] = np.where(imputed, "NRI", "")
    if visit_labels is not None:
        out["AVISIT"] = out["AVISITN"].map(visit_labels)
    if "PARAMCD" in out and out["PARAMCD"].notna().any():
        out["PARAMCD"] = out["PARAMCD"].fillna(out["PARAMCD"].dropna().iloc[0])
    return out


# ---------------------------------------------------------------------------------------
# organ response, labs, cells


def derive_resolution(bds: pd.DataFrame, week: int, baseline_week: int = 0, by: Sequence[str] = ("USUBJID", "PARAMCD")) -> pd.DataFrame:
    """Which items active at baseline (``AVAL > 0``) had resolved (``AVAL == 0``) by a week.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``PARAMCD``, ``AVISITN``, ``AVAL``: a SLEDAI-2K domain score, a
        manifestation present (1) or absent (0), or any score where 0 means inactive.
    week : int
        The visit at which resolution is judged.
    baseline_week : int

    Returns
    -------
    DataFrame
        One row per subject and item active at baseline: the ``by`` columns, ``BASE``,
        ``AVAL`` (at ``week``, missing if not recorded), ``RESFL`` (``"Y"`` resolved,
        ``"N"`` not resolved or not recorded: a missing visit counts as not resolved).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": ["A", "A", "B", "B", "C"], "PARAMCD": "RASH",
    ...                    "AVISITN": [0, 10, 0, 10, 0], "AVAL": [1, 0, 1, 1, 1]})
    >>> derive_resolution(df, week=10)[["USUBJID", "BASE", "AVAL", "RESFL"]]
      USUBJID  BASE  AVAL RESFL
    0       A     1   0.0     Y
    1       B     1   1.0     N
    2       C     1   NaN     N
    """
    by = list(by)
    require_columns(bds, by + ["AVISITN", "AVAL"], "derive_resolution", "input")
    base = bds.loc[(bds["AVISITN"] == baseline_week) & (bds["AVAL"] > 0), by + ["AVAL"]].rename(columns={"AVAL": "BASE"})
    at = bds.loc[bds["AVISITN"] == week, by + ["AVAL"]]
    out = base.merge(at, on=by, how="left")
    out["AVAL"] = out["AVAL"].astype("float64")
    out["RESFL"] = np.where(out["AVAL"] == 0, "Y", "N")
    return out.reset_index(drop=True)


def derive_lab_abnormal(adlb: pd.DataFrame) -> pd.DataFrame:
    """Flag lab values that are abnormal in the direction lupus activity moves them.

    Parameters
    ----------
    adlb : DataFrame
        ``PARAMCD``, ``AVAL``, ``ANRLO``, ``ANRHI``.

    Returns
    -------
    DataFrame
        ``adlb`` with ``ABNFL``: ``"Y"`` for C3 or C4 below the lower limit of normal,
        anti-dsDNA or anti-nucleosome antibodies (``ANUA``) above the upper limit, 24-hour
        urine protein above 0.5 g (UPCR above 500 mg/g); ``"N"`` otherwise; ``""`` for
        other tests or missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"PARAMCD": ["C3", "C3", "DSDNA", "UPROT", "WBC"],
    ...                    "AVAL": [0.6, 1.0, 80.0, 0.4, 2.0],
    ...                    "ANRLO": [0.9, 0.9, None, None, 4.0], "ANRHI": [1.8, 1.8, 30.0, None, 10.0]})
    >>> derive_lab_abnormal(df)["ABNFL"].tolist()
    ['Y', 'N', 'Y', 'N', '']
    """
    require_columns(adlb, ["PARAMCD", "AVAL", "ANRLO", "ANRHI"], "derive_lab_abnormal", "input")
    code, v = adlb["PARAMCD"], adlb["AVAL"]
    low = code.isin(["C3", "C4"])
    high = code.isin(["DSDNA", "ANUA"])
    prot = code == "UPROT"
    upcr = code == "UPCR"
    abnormal = (low & (v < adlb["ANRLO"])) | (high & (v > adlb["ANRHI"])) | (prot & (v > d.PROTEINURIA_THRESHOLD))
    abnormal |= upcr & (v > d.RENAL_DEFAULTS["subgroup"]["upcr_above"])
    judged = (low & adlb["ANRLO"].notna()) | (high & adlb["ANRHI"].notna()) | prot | upcr
    judged &= v.notna()
    out = adlb.copy()
    out["ABNFL"] = np.where(~judged, "", np.where(abnormal, "Y", "N"))
    return out


def derive_normalisation(adlb: pd.DataFrame, week: int, baseline_week: int = 0) -> pd.DataFrame:
    """Among subjects abnormal at baseline, who was normal at ``week``.

    Parameters
    ----------
    adlb : DataFrame
        As for :func:`derive_lab_abnormal`, plus ``USUBJID`` and ``AVISITN``.
    week : int

    Returns
    -------
    DataFrame
        One row per subject and test abnormal at baseline: ``USUBJID``, ``PARAMCD``,
        ``BASE``, ``AVAL`` (at ``week``), ``NORMFL`` (``"Y"`` normal at ``week``, ``"N"``
        still abnormal or not measured).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": ["A", "A", "B", "B"], "PARAMCD": "C3",
    ...                    "AVISITN": [0, 10, 0, 10], "AVAL": [0.6, 1.0, 0.5, 0.7],
    ...                    "ANRLO": 0.9, "ANRHI": 1.8})
    >>> derive_normalisation(df, week=10)[["USUBJID", "BASE", "AVAL", "NORMFL"]]
      USUBJID  BASE  AVAL NORMFL
    0       A   0.6   1.0      Y
    1       B   0.5   0.7      N
    """
    flagged = derive_lab_abnormal(adlb)
    base = flagged.loc[(flagged["AVISITN"] == baseline_week) & (flagged["ABNFL"] == "Y"), ["USUBJID", "PARAMCD", "AVAL"]]
    base = base.rename(columns={"AVAL": "BASE"})
    at = flagged.loc[flagged["AVISITN"] == week, ["USUBJID", "PARAMCD", "AVAL", "ABNFL"]]
    out = base.merge(at, on=["USUBJID", "PARAMCD"], how="left")
    out["NORMFL"] = np.where(out["ABNFL"] == "N", "Y", "N")
    return out.drop(columns="ABNFL").reset_index(drop=True)


def derive_ctcae_grade(adlb: pd.DataFrame) -> pd.DataFrame:
    """CTCAE v5.0 grade of the "decreased" blood counts: white cells, lymphocytes,
    platelets and haemoglobin.

    Parameters
    ----------
    adlb : DataFrame
        ``PARAMCD``, ``AVAL``, ``ANRLO`` in the contract's units.

    Returns
    -------
    DataFrame
        ``adlb`` with ``ATOXGR`` (0 normal, 1 to 4; missing for other tests or values)
        and ``ATOXDSCL`` (the CTCAE term).

    Notes
    -----
    Grade 1 is below the lower limit of normal down to the grade-2 bound; grades 2 to
    4 start strictly below the bounds in ``helpers.definitions.CTCAE_DECREASED``
    (white cells 3.0, 2.0, 1.0; lymphocytes 0.8, 0.5, 0.2; platelets 75, 50, 25 x10^9/L;
    haemoglobin 100, 80 g/L, grade 3 below 80).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"PARAMCD": ["WBC", "WBC", "WBC", "PLAT", "HGB", "C3"],
    ...                    "AVAL": [5.0, 3.5, 1.9, 40.0, 75.0, 0.5],
    ...                    "ANRLO": [4.0, 4.0, 4.0, 100.0, 115.0, 0.9]})
    >>> derive_ctcae_grade(df)["ATOXGR"].tolist()
    [0.0, 1.0, 3.0, 3.0, 3.0, nan]
    """
    require_columns(adlb, ["PARAMCD", "AVAL", "ANRLO"], "derive_ctcae_grade", "input")
    out = adlb.copy()
    grade = pd.Series(np.nan, index=out.index)
    term = pd.Series("", index=out.index, dtype="str")
    for code, spec in d.CTCAE_DECREASED.items():
        sel = (out["PARAMCD"] == code) & out["AVAL"].notna()
        if not sel.any():
            continue
        v, lln = out.loc[sel, "AVAL"], out.loc[sel, "ANRLO"]
        g = np.where(v < lln, 1.0, np.where(lln.isna(), np.nan, 0.0))
        for i, cut in enumerate(spec["cuts"]):
            if cut is not None:
                g = np.where(v < cut, float(i + 2), g)
        grade[sel] = g
        term[sel] = spec["term"]
    out["ATOXGR"] = grade
    out["ATOXDSCL"] = term
    return out


def derive_ratio(bds: pd.DataFrame, numerator: str, denominator: str, paramcd: str) -> pd.DataFrame:
    """A new parameter: the ratio of two parameters at the same subject and visit.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``.
    numerator, denominator : str
        The two ``PARAMCD`` values.
    paramcd : str
        The ``PARAMCD`` of the derived rows.

    Returns
    -------
    DataFrame
        One row per subject and visit where both are recorded and the denominator is not
        0: ``USUBJID``, ``AVISIT`` (when present), ``AVISITN``, ``PARAMCD``, ``AVAL``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": "A", "AVISITN": [0, 0], "PARAMCD": ["TREG", "TH17"],
    ...                    "AVAL": [4.0, 2.0]})
    >>> derive_ratio(df, "TREG", "TH17", "TREGTH17")[["PARAMCD", "AVAL"]]
        PARAMCD  AVAL
    0  TREGTH17   2.0
    """
    require_columns(bds, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], "derive_ratio", "input")
    num = bds.loc[bds["PARAMCD"] == numerator, KEY + ["AVAL"]]
    den = bds.loc[bds["PARAMCD"] == denominator, KEY + ["AVAL"]]
    m = num.merge(den, on=KEY, suffixes=("_n", "_d"))
    m = m[m["AVAL_n"].notna() & m["AVAL_d"].notna() & (m["AVAL_d"] != 0)]
    out = m[KEY].copy()
    out["PARAMCD"] = paramcd
    out["AVAL"] = m["AVAL_n"] / m["AVAL_d"]
    out = out.merge(_visit_labels(bds), on="AVISITN", how="left")
    return out[["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL"]].reset_index(drop=True)


def derive_course(events: pd.DataFrame, courses: Sequence, day: str = "ASTDY") -> pd.DataFrame:
    """Assign each record to the treatment course whose window holds its study day.

    Parameters
    ----------
    events : DataFrame
        With a study-day column.
    courses : sequence of helpers.data.config.Course
        Windows ``start_day`` to ``end_day``, inclusive.
    day : str
        The study-day column.

    Returns
    -------
    DataFrame
        ``events`` with ``APERIOD`` (course number; missing outside every window).

    Examples
    --------
    >>> import pandas as pd
    >>> from helpers.data.config import Course
    >>> ev = pd.DataFrame({"ASTDY": [3, 30, 90]})
    >>> derive_course(ev, [Course(1, 1, 28), Course(2, 29, 56)])["APERIOD"].tolist()
    [1.0, 2.0, nan]
    """
    require_columns(events, [day], "derive_course", "input")
    out = events.copy()
    period = pd.Series(np.nan, index=out.index)
    for c in courses:
        inside = out[day].between(c.start_day, c.end_day)
        period[inside] = float(c.number)
    out["APERIOD"] = period
    return out


# ---------------------------------------------------------------------------------------
# treatment failure (an option of the SRI analysis)


def derive_treatment_failure(
    steroid: pd.DataFrame,
    adsl: pd.DataFrame | None = None,
    steroid_margin: float | None = None,
    rescue_flag: str | None = None,
    baseline_week: int = 0,
) -> pd.DataFrame:
    """The first week from which each subject counts as a treatment failure.

    Parameters
    ----------
    steroid : DataFrame
        Prednisone-equivalent dose by visit (``adcm``: ``USUBJID``, ``AVISITN``, ``AVAL``
        in mg/day).
    adsl : DataFrame, optional
        With ``USUBJID`` and ``rescue_flag`` when a rescue rule is used.
    steroid_margin : float, optional
        A dose above the subject's baseline dose by more than this (mg/day) is a failure
        from that visit on; None: no steroid rule.
    rescue_flag : str, optional
        A ``Y``/``N`` column of ``adsl`` flagging protocol-prohibited rescue therapy;
        flagged subjects fail from the first post-baseline visit (``adsl`` holds no
        date for it).
    baseline_week : int

    Returns
    -------
    DataFrame
        One row per failing subject: ``USUBJID``, ``TFWEEK`` (the first failing week),
        ``TFREAS`` (``"steroid increase"`` or ``"rescue therapy"``; the earlier wins,
        rescue on a tie).

    Notes
    -----
    As in the belimumab trials' SRI analyses (Navarra et al., Lancet 2011;377:721-31):
    a subject given prohibited rescue therapy, or whose steroid dose rose above the
    baseline dose beyond a stated margin, is a non-responder from then on.

    Examples
    --------
    >>> cm = pd.DataFrame({"USUBJID": ["A", "A", "A", "B", "B"], "AVISITN": [0, 2, 4, 0, 2],
    ...                    "AVAL": [10.0, 12.5, 20.0, 30.0, 20.0]})
    >>> derive_treatment_failure(cm, steroid_margin=5)
      USUBJID  TFWEEK            TFREAS
    0       A       4  steroid increase
    """
    rows = []
    if steroid_margin is not None:
        require_columns(steroid, ["USUBJID", "AVISITN", "AVAL"], "derive_treatment_failure", "the steroid doses")
        base = steroid.loc[steroid["AVISITN"] == baseline_week, ["USUBJID", "AVAL"]].rename(columns={"AVAL": "BASE"})
        post = steroid[steroid["AVISITN"] > baseline_week].merge(base, on="USUBJID", how="inner")
        fail = post[post["AVAL"] > post["BASE"] + float(steroid_margin)]
        first = fail.groupby("USUBJID", observed=True)["AVISITN"].min()
        rows += [(str(u), int(w), "steroid increase") for u, w in first.items()]
    if rescue_flag is not None:
        if adsl is None:
            raise ValueError("derive_treatment_failure: a rescue_flag needs adsl")
        require_columns(adsl, ["USUBJID", rescue_flag], "derive_treatment_failure", "adsl")
        weeks = steroid.loc[steroid["AVISITN"] > baseline_week, "AVISITN"]
        first_week = int(weeks.min()) if len(weeks) else baseline_week + 1
        rescued = adsl.loc[adsl[rescue_flag].astype("str").str.upper() == "Y", "USUBJID"]
        rows += [(str(u), first_week, "rescue therapy") for u in rescued]
    out = pd.DataFrame(rows, columns=["USUBJID", "TFWEEK", "TFREAS"])
    order = {"rescue therapy": 0, "steroid increase": 1}
    out = out.assign(_o=out["TFREAS"].map(order)).sort_values(["USUBJID", "TFWEEK", "_o"], kind="stable")
    return out.drop_duplicates("USUBJID").drop(columns="_o").reset_index(drop=True)


def apply_treatment_failure(response: pd.DataFrame, failures: pd.DataFrame) -> pd.DataFrame:
    """A response frame with every visit from a subject's treatment-failure week on set
    to non-response (``AVAL`` 0, ``DTYPE`` ``"TF"``); other rows unchanged.

    Examples
    --------
    >>> r = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AVISITN": [2, 4, 2], "AVAL": [1.0, 1.0, 1.0], "DTYPE": ""})
    >>> f = pd.DataFrame({"USUBJID": ["A"], "TFWEEK": [4], "TFREAS": ["steroid increase"]})
    >>> apply_treatment_failure(r, f)[["USUBJID", "AVISITN", "AVAL", "DTYPE"]]
      USUBJID  AVISITN  AVAL DTYPE
    0       A        2   1.0
    1       A        4   0.0    TF
    2       B        2   1.0
    """
    require_columns(response, ["USUBJID", "AVISITN", "AVAL"], "apply_treatment_failure", "the response")
    if failures.empty:
        return response.copy()
    week = response["USUBJID"].astype("str").map(dict(zip(failures["USUBJID"].astype("str"), failures["TFWEEK"], strict=True)))
    failed = week.notna() & (response["AVISITN"] >= week)
    out = response.copy()
    out["AVAL"] = out["AVAL"].where(~failed, 0.0)
    dtype = out["DTYPE"].astype("object") if "DTYPE" in out else pd.Series("", index=out.index, dtype=object)
    out["DTYPE"] = dtype.where(~failed, "TF")
    return out


# ---------------------------------------------------------------------------------------
# topic modules (imported last: they use the helpers above)

from helpers.derive.bilag import (  # noqa: E402
    derive_bilag_a_or_2b,
    derive_bilag_flares,
    derive_bilag_score,
    derive_flare_count,
    derive_time_to_flare,
)
from helpers.derive.renal import (  # noqa: E402
    derive_egfr,
    derive_renal_response,
    derive_renal_subgroup,
    renal_measures,
)
from helpers.derive.serology import derive_serology_change, derive_titre_decrease  # noqa: E402
from helpers.derive.steroid import derive_steroid_reduction, derive_steroid_threshold  # noqa: E402

__all__ = [
    "KEY",
    "apply_treatment_failure",
    "derive_base",
    "derive_bilag_a_or_2b",
    "derive_bilag_flares",
    "derive_bilag_new_flares",
    "derive_bilag_score",
    "derive_chg",
    "derive_course",
    "derive_ctcae_grade",
    "derive_egfr",
    "derive_flare_count",
    "derive_lab_abnormal",
    "derive_normalisation",
    "derive_pga_worsening",
    "derive_ratio",
    "derive_renal_response",
    "derive_renal_subgroup",
    "derive_resolution",
    "derive_serology_change",
    "derive_sledai_domains",
    "derive_sledai_total",
    "derive_sri",
    "derive_steroid_reduction",
    "derive_steroid_threshold",
    "derive_time_to_flare",
    "derive_titre_decrease",
    "derive_treatment_failure",
    "impute_nonresponders",
    "renal_measures",
]
