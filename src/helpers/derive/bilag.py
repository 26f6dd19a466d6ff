"""BILAG-2004 derivations: the numeric global score, "at least one A or two B", and
flares after baseline with their timing and counts.

Every function takes ``adbilag`` in the contract's shape (one row per subject, visit and
domain: ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVALC`` A to E; ``AVISIT`` carried over
when present) or the output of another function here, and returns a new frame.

References: Isenberg et al., Rheumatology 2005;44:902-6 (BILAG-2004); Yee et al.,
Rheumatology 2010;49:1665-9 (numeric scoring); Stoll et al., Ann Rheum Dis
1996;55:756-60 (the classic coding); Furie et al., Arthritis Rheum 2009;61:1143-51 (new
A, new B).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.derive import KEY, _visit_labels, derive_bilag_new_flares
from helpers.errors import require_columns

#: Flare severities :func:`derive_time_to_flare` and :func:`derive_flare_count` can count.
SEVERITIES: tuple[str, ...] = ("any", "severe", "moderate")


def _coding(coding: str | Mapping[str, float], what: str) -> dict[str, float]:
    if isinstance(coding, str):
        if coding not in d.BILAG_CODINGS:
            raise ValueError(f"{what}: unknown coding {coding!r}; known: {sorted(d.BILAG_CODINGS)}")
        return dict(d.BILAG_CODINGS[coding])
    table = dict(coding)
    missing = [g for g in d.BILAG_GRADES if g not in table]
    if missing:
        raise ValueError(f"{what}: the coding gives no value for grades {missing}")
    return table


def _grades(adbilag: pd.DataFrame, what: str) -> pd.DataFrame:
    """The rows with their grade as text, refusing grades other than A to E."""
    require_columns(adbilag, ["USUBJID", "AVISITN", "PARAMCD", "AVALC"], what, "adbilag")
    g = adbilag[["USUBJID", "AVISITN", "PARAMCD", "AVALC"]].copy()
    g["AVALC"] = g["AVALC"].astype("object").where(g["AVALC"].notna(), "")
    g["AVALC"] = g["AVALC"].astype(str).str.strip()
    bad = ~g["AVALC"].isin([*d.BILAG_GRADES, ""])
    if bad.any():
        shown = sorted(g.loc[bad, "AVALC"].unique().tolist())[:5]
        raise ValueError(f"{what}: AVALC must be a BILAG grade {list(d.BILAG_GRADES)} or blank, found {shown}")
    unknown = ~g["PARAMCD"].astype(str).isin(list(d.BILAG_DOMAINS))
    if unknown.any():
        shown = sorted(g.loc[unknown, "PARAMCD"].astype(str).unique().tolist())[:5]
        raise ValueError(f"{what}: unknown BILAG-2004 domains {shown}")
    g["USUBJID"] = g["USUBJID"].astype(str)
    g["PARAMCD"] = g["PARAMCD"].astype(str)
    return g


def _per_visit(g: pd.DataFrame) -> pd.core.groupby.DataFrameGroupBy:
    return g.groupby(KEY, sort=True, observed=True)


def _complete(g: pd.DataFrame) -> pd.Series:
    """Per subject and visit: all nine domains graded, once each."""
    grp = _per_visit(g.assign(blank=g["AVALC"] == ""))
    distinct = grp["PARAMCD"].nunique()
    rows = grp.size()
    return (distinct == len(d.BILAG_DOMAINS)) & (rows == distinct) & ~grp["blank"].any()


def derive_bilag_score(
    adbilag: pd.DataFrame, coding: str | Mapping[str, float] = d.BILAG_CODING_DEFAULT, paramcd: str = "BILAG"
) -> pd.DataFrame:
    """BILAG-2004 numeric global score per subject and visit.

    Parameters
    ----------
    adbilag : DataFrame
        One row per subject, visit and domain: ``USUBJID``, ``AVISITN``, ``PARAMCD`` (a
        domain of ``helpers.definitions.BILAG_DOMAINS``), ``AVALC`` (A to E, blank when
        not graded); ``AVISIT`` is carried over when present.
    coding : str or mapping
        ``"yee2010"`` (A 12, B 8, C 1, D 0, E 0; the default), ``"classic"`` (A 9, B 3,
        C 1, D 0, E 0), or a mapping of each grade to its value (cohort.yml
        ``bilag_coding``).
    paramcd : str
        The ``PARAMCD`` of the derived rows.

    Returns
    -------
    DataFrame
        One row per subject and visit: ``USUBJID``, ``AVISIT``, ``AVISITN``, ``PARAMCD``,
        ``AVAL`` (the score; missing unless all nine domains are graded, once each).

    Raises
    ------
    ValueError
        A column missing, an unknown coding or one without a value for every grade, a
        grade other than A to E, an unknown domain.

    Notes
    -----
    score = sum over the nine domains of value(grade). Yee et al. (2010) validated 12, 8,
    1, 0, 0 for BILAG-2004 (range 0-108); the classic coding 9, 3, 1, 0, 0 (Stoll et al.
    1996, range 0-81) is the one older trials report.

    Examples
    --------
    >>> import pandas as pd
    >>> grades = dict(zip(["CONST", "MUCO", "NEURO", "MUSK", "CARDRESP", "GI", "OPHTH", "RENAL", "HAEM"],
    ...                   ["C", "B", "E", "B", "D", "E", "E", "A", "C"]))
    >>> df = pd.DataFrame({"USUBJID": "S1", "AVISITN": 0, "PARAMCD": list(grades), "AVALC": list(grades.values())})
    >>> derive_bilag_score(df)[["USUBJID", "AVISITN", "AVAL"]]
      USUBJID  AVISITN  AVAL
    0      S1        0  30.0
    >>> float(derive_bilag_score(df, coding="classic")["AVAL"].iloc[0])
    17.0
    """
    what = "derive_bilag_score"
    values = _coding(coding, what)
    g = _grades(adbilag, what)
    g["value"] = g["AVALC"].map(values).astype(float)
    grp = _per_visit(g)
    out = pd.DataFrame({"AVAL": grp["value"].sum(min_count=1)})
    out["AVAL"] = out["AVAL"].where(_complete(g))
    out = out.reset_index().merge(_visit_labels(adbilag), on="AVISITN", how="left")
    out["PARAMCD"] = paramcd
    return out[["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL"]]


def derive_bilag_a_or_2b(adbilag: pd.DataFrame) -> pd.DataFrame:
    """Flag "at least one BILAG-2004 A or two B" per subject and visit.

    Parameters
    ----------
    adbilag : DataFrame
        As for :func:`derive_bilag_score`.

    Returns
    -------
    DataFrame
        One row per subject and visit: ``USUBJID``, ``AVISIT``, ``AVISITN``, ``NA`` and
        ``NB`` (domains graded A, B), ``A2BFL``: ``"Y"`` at least one A or at least two
        B, ``"N"`` neither on a complete visit, ``""`` an incomplete visit that does not
        already qualify.

    Notes
    -----
    A2BFL = "Y" when NA >= 1 or NB >= 2: the usual entry criterion of SLE trials and a
    row of the randomized trial's Tables 1 and 2 (He et al., Ann Rheum Dis 2020).

    Examples
    --------
    >>> import pandas as pd
    >>> doms = ["CONST", "MUCO", "NEURO", "MUSK", "CARDRESP", "GI", "OPHTH", "RENAL", "HAEM"]
    >>> df = pd.DataFrame({"USUBJID": "S1", "AVISITN": [0] * 9 + [4] * 9, "PARAMCD": doms * 2,
    ...                    "AVALC": list("BBEEEEEEC") + list("BCEEEEEEC")})
    >>> derive_bilag_a_or_2b(df)[["AVISITN", "NA", "NB", "A2BFL"]]
       AVISITN  NA  NB A2BFL
    0        0   0   2     Y
    1        4   0   1     N
    """
    g = _grades(adbilag, "derive_bilag_a_or_2b")
    g["is_a"] = g["AVALC"] == "A"
    g["is_b"] = g["AVALC"] == "B"
    grp = _per_visit(g)
    out = pd.DataFrame({"NA": grp["is_a"].sum().astype(int), "NB": grp["is_b"].sum().astype(int)})
    qualifies = (out["NA"] >= 1) | (out["NB"] >= 2)
    complete = _complete(g)
    out["A2BFL"] = np.where(qualifies, "Y", np.where(complete, "N", ""))
    out = out.reset_index().merge(_visit_labels(adbilag), on="AVISITN", how="left")
    return out[["USUBJID", "AVISIT", "AVISITN", "NA", "NB", "A2BFL"]]


def derive_bilag_flares(adbilag: pd.DataFrame, baseline_week: int = 0) -> pd.DataFrame:
    """BILAG-2004 flares after baseline: severe (a new A) or moderate (two or more new B).

    Parameters
    ----------
    adbilag : DataFrame
        As for :func:`derive_bilag_score`.
    baseline_week : int

    Returns
    -------
    DataFrame
        One row per subject and post-baseline visit: ``USUBJID``, ``AVISIT``,
        ``AVISITN``, ``NEWA``, ``NEWB`` (from
        :func:`helpers.derive.derive_bilag_new_flares`), ``FLARE`` (``"severe"``,
        ``"moderate"``, ``"none"``, or ``""`` when a domain has no baseline grade) and
        ``FLAREFL`` (``"Y"`` severe or moderate, ``"N"``, ``""``).

    Notes
    -----
    A new A is a domain graded A that was not A at baseline; a new B a domain graded B
    that was C, D or E at baseline. severe: NEWA >= 1; moderate: NEWA = 0 and NEWB >= 2;
    the BILAG-based flare of SLE trials (and the complement of the SRI's second
    criterion, which allows one new B).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": "S1", "AVISITN": [0, 0, 4, 4, 8, 8],
    ...                    "PARAMCD": ["MUCO", "MUSK"] * 3, "AVALC": ["C", "D", "B", "B", "A", "C"]})
    >>> derive_bilag_flares(df)[["AVISITN", "NEWA", "NEWB", "FLARE", "FLAREFL"]]
       AVISITN  NEWA  NEWB     FLARE FLAREFL
    0        4   0.0   2.0  moderate       Y
    1        8   1.0   0.0    severe       Y
    """
    require_columns(adbilag, ["USUBJID", "AVISITN", "PARAMCD", "AVALC"], "derive_bilag_flares", "adbilag")
    new = derive_bilag_new_flares(adbilag, baseline_week=baseline_week)
    new = new[new["AVISITN"] != baseline_week].reset_index(drop=True)
    known = new["NEWA"].notna() & new["NEWB"].notna()
    severe = new["NEWA"] >= 1
    moderate = ~severe & (new["NEWB"] >= 2)
    new["FLARE"] = np.where(~known, "", np.where(severe, "severe", np.where(moderate, "moderate", "none")))
    new["FLAREFL"] = np.where(~known, "", np.where(severe | moderate, "Y", "N"))
    return new[["USUBJID", "AVISIT", "AVISITN", "NEWA", "NEWB", "FLARE", "FLAREFL"]]


def _flaring(flares: pd.DataFrame, severity: str, what: str) -> pd.DataFrame:
    require_columns(flares, ["USUBJID", "AVISITN", "FLARE"], what, "flares")
    if severity not in SEVERITIES:
        raise ValueError(f"{what}: severity must be one of {list(SEVERITIES)}, got {severity!r}")
    f = flares[["USUBJID", "AVISITN", "FLARE"]].copy()
    f["FLARE"] = f["FLARE"].astype("object").where(f["FLARE"].notna(), "").astype(str)
    bad = ~f["FLARE"].isin(["severe", "moderate", "none", ""])
    if bad.any():
        raise ValueError(f"{what}: FLARE must be 'severe', 'moderate', 'none' or blank, "
                         f"found {sorted(f.loc[bad, 'FLARE'].unique().tolist())}")
    f = f[f["FLARE"] != ""]
    wanted = ("severe", "moderate") if severity == "any" else (severity,)
    f["hit"] = f["FLARE"].isin(wanted)
    f["USUBJID"] = f["USUBJID"].astype(str)
    return f.sort_values(KEY, kind="stable")


def derive_time_to_flare(flares: pd.DataFrame, severity: str = "any") -> pd.DataFrame:
    """Time to the first BILAG-2004 flare, per subject, as an ADaM time-to-event record.

    Parameters
    ----------
    flares : DataFrame
        From :func:`derive_bilag_flares` (``USUBJID``, ``AVISITN``, ``FLARE``).
    severity : str
        ``"any"`` (severe or moderate), ``"severe"`` or ``"moderate"``.

    Returns
    -------
    DataFrame
        One row per subject with an assessed post-baseline visit: ``USUBJID``,
        ``PARAMCD`` (``"TTFLARE"``, ``"TTSEVFL"`` or ``"TTMODFL"``), ``AVAL`` (weeks: the
        first flaring visit, or the last assessed visit when none), ``CNSR`` (0 event,
        1 censored), ``EVNTDESC``.

    Notes
    -----
    ADaM ADTTE conventions (CDISC ADaM BDS for time-to-event analysis): the event time is
    the study week of the first visit with a flare of the chosen severity; a subject
    without one is censored at the last visit whose flare status is known. Visits with a
    blank ``FLARE`` (no baseline grade) are not assessments.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"USUBJID": ["A", "A", "B", "B"], "AVISITN": [4, 8, 4, 8],
    ...                   "FLARE": ["none", "severe", "none", "moderate"]})
    >>> derive_time_to_flare(f)[["USUBJID", "AVAL", "CNSR"]]
      USUBJID  AVAL  CNSR
    0       A   8.0     0
    1       B   8.0     0
    >>> derive_time_to_flare(f, severity="severe")[["USUBJID", "AVAL", "CNSR"]]
      USUBJID  AVAL  CNSR
    0       A   8.0     0
    1       B   8.0     1
    """
    f = _flaring(flares, severity, "derive_time_to_flare")
    grp = f.groupby("USUBJID", sort=True, observed=True)
    last = grp["AVISITN"].max()
    first = f[f["hit"]].groupby("USUBJID", sort=True, observed=True)["AVISITN"].min()
    out = pd.DataFrame({"USUBJID": last.index.astype(str)})
    event = out["USUBJID"].isin(first.index)
    out["PARAMCD"] = {"any": "TTFLARE", "severe": "TTSEVFL", "moderate": "TTMODFL"}[severity]
    out["AVAL"] = np.where(event, out["USUBJID"].map(first), out["USUBJID"].map(last)).astype(float)
    out["CNSR"] = np.where(event, 0, 1)
    label = {"any": "BILAG flare", "severe": "severe BILAG flare", "moderate": "moderate BILAG flare"}[severity]
    out["EVNTDESC"] = np.where(event, label, "last assessed visit")
    return out


def derive_flare_count(flares: pd.DataFrame, severity: str = "any") -> pd.DataFrame:
    """The number of BILAG-2004 flares per subject: episodes and flaring visits.

    Parameters
    ----------
    flares : DataFrame
        From :func:`derive_bilag_flares`.
    severity : str
        ``"any"``, ``"severe"`` or ``"moderate"``.

    Returns
    -------
    DataFrame
        One row per subject with an assessed post-baseline visit: ``USUBJID``, ``AVAL``
        (flare episodes), ``NVISITS`` (assessed visits with a flare), ``NASSESS``
        (assessed visits).

    Notes
    -----
    Flares are judged against baseline, so a domain that stays A is "new" at every
    visit: an episode is a run of consecutive assessed visits with a flare, and a new
    episode starts at a flaring visit whose previous assessed visit had none.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"USUBJID": "A", "AVISITN": [2, 4, 6, 8, 10],
    ...                   "FLARE": ["severe", "moderate", "none", "severe", ""]})
    >>> derive_flare_count(f)
      USUBJID  AVAL  NVISITS  NASSESS
    0       A     2        3        4
    """
    f = _flaring(flares, severity, "derive_flare_count")
    prev = f.groupby("USUBJID", sort=False, observed=True)["hit"].shift(1, fill_value=False).astype(bool)
    f["start"] = f["hit"] & ~prev
    grp = f.groupby("USUBJID", sort=True, observed=True)
    out = pd.DataFrame({
        "AVAL": grp["start"].sum().astype(int),
        "NVISITS": grp["hit"].sum().astype(int),
        "NASSESS": grp.size().astype(int),
    }).reset_index()
    out["USUBJID"] = out["USUBJID"].astype(str)
    return out[["USUBJID", "AVAL", "NVISITS", "NASSESS"]]
