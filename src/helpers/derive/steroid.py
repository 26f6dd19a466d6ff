"""Glucocorticoid taper: the dose at or below a threshold, and its reduction from
baseline, per subject and visit.

``adcm`` holds the prednisone-equivalent daily dose (``PARAMCD`` ``PREDDOSE``, mg/day).
The default threshold, 7.5 mg/day, is the maintenance dose the EULAR 2019 SLE
recommendations advise tapering to (Fanouriakis et al., Ann Rheum Dis 2019;78:736-45);
cohort.yml ``steroid_taper.threshold`` changes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.derive import derive_base, derive_chg
from helpers.errors import require_columns


def _doses(adcm: pd.DataFrame, what: str) -> pd.DataFrame:
    require_columns(adcm, ["USUBJID", "AVISITN", "AVAL"], what, "adcm")
    cols = ["USUBJID", "AVISITN", "AVAL"] + (["AVISIT"] if "AVISIT" in adcm else [])
    df = adcm[cols].copy()
    if "PARAMCD" in adcm:
        df = df[adcm["PARAMCD"].astype(str) == "PREDDOSE"]
    if (df["AVAL"] < 0).any():
        raise ValueError(f"{what}: a prednisone-equivalent dose is negative")
    if "AVISIT" not in df:
        df["AVISIT"] = ""
    return df


def derive_steroid_threshold(adcm: pd.DataFrame, threshold: float = d.STEROID_TAPER_THRESHOLD) -> pd.DataFrame:
    """Flag a prednisone-equivalent dose at or below a threshold, per subject and visit.

    Parameters
    ----------
    adcm : DataFrame
        ``USUBJID``, ``AVISITN``, ``AVAL`` (mg/day); rows of another ``PARAMCD`` than
        ``PREDDOSE`` are left out when the column is there.
    threshold : float
        mg/day (default 7.5, EULAR 2019).

    Returns
    -------
    DataFrame
        ``USUBJID``, ``AVISIT``, ``AVISITN``, ``AVAL``, ``LOWDFL`` (``"Y"`` AVAL <=
        threshold, ``"N"`` above, ``""`` missing).

    Raises
    ------
    ValueError
        A negative threshold or dose.

    Examples
    --------
    >>> import pandas as pd
    >>> cm = pd.DataFrame({"USUBJID": "A", "AVISITN": [0, 12, 24], "AVAL": [20.0, 7.5, float("nan")]})
    >>> derive_steroid_threshold(cm)[["AVISITN", "AVAL", "LOWDFL"]]
       AVISITN  AVAL LOWDFL
    0        0  20.0      N
    1       12   7.5      Y
    2       24   NaN
    """
    if threshold < 0:
        raise ValueError(f"derive_steroid_threshold: threshold must be 0 mg/day or more, got {threshold}")
    df = _doses(adcm, "derive_steroid_threshold")
    df["LOWDFL"] = np.where(df["AVAL"].isna(), "", np.where(df["AVAL"].round(9) <= threshold, "Y", "N"))
    return df[["USUBJID", "AVISIT", "AVISITN", "AVAL", "LOWDFL"]].reset_index(drop=True)


def derive_steroid_reduction(adcm: pd.DataFrame, baseline_week: int = 0) -> pd.DataFrame:
    """The prednisone-equivalent dose against baseline, per subject and visit.

    Parameters
    ----------
    adcm : DataFrame
        As for :func:`derive_steroid_threshold`.
    baseline_week : int

    Returns
    -------
    DataFrame
        ``USUBJID``, ``AVISIT``, ``AVISITN``, ``AVAL``, ``BASE``, ``CHG``, ``PCHG``,
        ``REDFL`` (``"Y"`` below the baseline dose, ``"N"`` not, ``""`` at baseline or
        when either dose is missing).

    Notes
    -----
    CHG = AVAL - BASE; PCHG = 100 x CHG / BASE (missing for a baseline dose of 0);
    reduced when AVAL < BASE. A subject on no steroid at baseline cannot reduce.

    Examples
    --------
    >>> import pandas as pd
    >>> cm = pd.DataFrame({"USUBJID": ["A", "A", "A", "B", "B"], "AVISITN": [0, 12, 24, 0, 12],
    ...                    "AVAL": [20.0, 15.0, 20.0, 0.0, 0.0]})
    >>> derive_steroid_reduction(cm)[["USUBJID", "AVISITN", "CHG", "PCHG", "REDFL"]]
      USUBJID  AVISITN  CHG  PCHG REDFL
    0       A        0  0.0   0.0
    1       A       12 -5.0 -25.0     Y
    2       A       24  0.0   0.0     N
    3       B        0  0.0   NaN
    4       B       12  0.0   NaN     N
    """
    df = _doses(adcm, "derive_steroid_reduction").assign(PARAMCD="PREDDOSE")
    df = derive_chg(derive_base(df, baseline_week=baseline_week))
    known = df["AVAL"].notna() & df["BASE"].notna() & (df["AVISITN"] != baseline_week)
    df["REDFL"] = np.where(known, np.where(df["AVAL"] < df["BASE"], "Y", "N"), "")
    return df[["USUBJID", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG", "PCHG", "REDFL"]].reset_index(drop=True)
