"""Serology: antinuclear antibody titre decreased, and the change from baseline of
anti-dsDNA, anti-nucleosome antibodies (AnuA), C3 and C4, where ``adlb`` holds them.

ANA (``PARAMCD`` ``ANA``) is recorded as the reciprocal of the end-point dilution (160
for 1:160); anti-dsDNA (``DSDNA``) and AnuA (``ANUA``) in IU/mL; C3 and C4 in g/L.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.derive import derive_base, derive_chg
from helpers.errors import require_columns


def derive_titre_decrease(
    adlb: pd.DataFrame, paramcd: str = "ANA", fold: float = 2.0, baseline_week: int = 0
) -> pd.DataFrame:
    """Flag a titre decreased from baseline (ANA), per subject and visit.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL`` (reciprocal titres).
    paramcd : str
        The titre's code.
    fold : float
        Decreased: the titre at most baseline / ``fold`` (2: at least one doubling
        dilution lower).
    baseline_week : int

    Returns
    -------
    DataFrame
        The ``paramcd`` rows: ``USUBJID``, ``AVISIT``, ``AVISITN``, ``PARAMCD``, ``AVAL``,
        ``BASE``, ``DECRFL`` (``"Y"`` decreased, ``"N"`` not, including at baseline;
        ``""`` when either titre is missing).

    Raises
    ------
    ValueError
        ``fold`` below 1, or no ``paramcd`` row in ``adlb``.

    Notes
    -----
    Titres are doubling dilutions (1:80, 1:160, 1:320, ...), so a titre one dilution
    lower is half the reciprocal: decreased when AVAL <= BASE / fold. The randomized
    trial's "ANA decreased" (He et al., Ann Rheum Dis 2020, Table 2) does not define the
    step; one dilution is the smallest a laboratory reports.

    Examples
    --------
    >>> import pandas as pd
    >>> lb = pd.DataFrame({"USUBJID": "A", "AVISITN": [0, 12, 24], "PARAMCD": "ANA",
    ...                    "AVAL": [640.0, 320.0, 640.0]})
    >>> derive_titre_decrease(lb)[["AVISITN", "AVAL", "BASE", "DECRFL"]]
       AVISITN   AVAL   BASE DECRFL
    0        0  640.0  640.0      N
    1       12  320.0  640.0      Y
    2       24  640.0  640.0      N
    """
    what = "derive_titre_decrease"
    require_columns(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], what, "adlb")
    if not fold >= 1:
        raise ValueError(f"{what}: fold must be 1 or more, got {fold}")
    rows = adlb[adlb["PARAMCD"].astype(str) == paramcd]
    if rows.empty:
        raise ValueError(f"{what}: adlb has no {paramcd} rows")
    cols = ["USUBJID", "AVISITN", "PARAMCD", "AVAL"] + (["AVISIT"] if "AVISIT" in adlb else [])
    df = derive_base(rows[cols].assign(PARAMCD=paramcd), baseline_week=baseline_week)
    known = df["AVAL"].notna() & df["BASE"].notna()
    df["DECRFL"] = np.where(known, np.where(df["AVAL"] <= df["BASE"] / fold * (1 + 1e-9), "Y", "N"), "")
    if "AVISIT" not in df:
        df["AVISIT"] = ""
    return df[["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL", "BASE", "DECRFL"]].reset_index(drop=True)


def derive_serology_change(
    adlb: pd.DataFrame, codes: Sequence[str] = d.SEROLOGY_CODES, baseline_week: int = 0
) -> pd.DataFrame:
    """Serology values with their change from baseline: the codes ``adlb`` holds.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``.
    codes : sequence of str
        Default anti-dsDNA, AnuA, C3 and C4 (``helpers.definitions.SEROLOGY_CODES``);
        codes ``adlb`` does not hold are skipped.
    baseline_week : int

    Returns
    -------
    DataFrame
        The rows of those codes with ``BASE``, ``ABLFL``, ``CHG`` and ``PCHG`` (see
        :func:`helpers.derive.derive_base` and :func:`helpers.derive.derive_chg`), in
        the order of ``codes``, then subject and visit.

    Examples
    --------
    >>> import pandas as pd
    >>> lb = pd.DataFrame({"USUBJID": "A", "AVISITN": [0, 12, 0, 12], "PARAMCD": ["ANUA", "ANUA", "C3", "C3"],
    ...                    "AVAL": [40.0, 20.0, 0.6, 0.9]})
    >>> derive_serology_change(lb)[["PARAMCD", "AVISITN", "CHG", "PCHG"]]
      PARAMCD  AVISITN   CHG  PCHG
    0    ANUA        0   0.0   0.0
    1    ANUA       12 -20.0 -50.0
    2      C3        0   0.0   0.0
    3      C3       12   0.3  50.0
    """
    require_columns(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], "derive_serology_change", "adlb")
    codes = list(codes)
    code = adlb["PARAMCD"].astype(str)
    rows = adlb[code.isin(codes)].copy()
    rows["PARAMCD"] = rows["PARAMCD"].astype(str)
    out = derive_chg(derive_base(rows, baseline_week=baseline_week))
    out["CHG"] = out["CHG"].round(9)
    out["PCHG"] = out["PCHG"].round(9)
    out["_o"] = out["PARAMCD"].map({c: i for i, c in enumerate(codes)})
    out = out.sort_values(["_o", "USUBJID", "AVISITN"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)
