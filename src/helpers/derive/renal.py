"""Lupus nephritis derivations: eGFR from creatinine, the subgroup with renal involvement
at baseline, and complete and partial renal response at a visit.

The renal measures are optional codes of ``adlb`` (``helpers.definitions``): 24-hour
proteinuria ``UPROT`` (g/24 h) or the urine protein-to-creatinine ratio ``UPCR`` (mg/g),
and kidney function as ``EGFR`` (mL/min/1.73 m2) or serum creatinine ``CREAT``
(micromol/L). :func:`renal_measures` says which a table holds; the response is computed
only when it holds one of each.

References: EULAR/ERA-EDTA 2019 recommendations for lupus nephritis (Fanouriakis et al.,
Ann Rheum Dis 2020;79:713-23); KDIGO 2024 lupus nephritis guideline (Kidney Int
2024;105(1S):S1-S69); CKD-EPI 2021 (Inker et al., N Engl J Med 2021;385:1737-49).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.derive import KEY, _visit_labels
from helpers.errors import require_columns

#: Default thresholds by proteinuria measure: complete below, partial below (units of
#: the measure), from ``helpers.definitions.RENAL_DEFAULTS``.
PROTEINURIA_THRESHOLDS: dict[str, tuple[float, float]] = {
    "UPROT": (d.RENAL_DEFAULTS["complete"]["proteinuria_below"], d.RENAL_DEFAULTS["partial"]["proteinuria_below"]),
    "UPCR": (d.RENAL_DEFAULTS["complete"]["upcr_below"], d.RENAL_DEFAULTS["partial"]["upcr_below"]),
}


def _codes(adlb: pd.DataFrame) -> set[str]:
    return set(adlb["PARAMCD"].astype(str).unique()) if "PARAMCD" in adlb else set()


def renal_measures(adlb: pd.DataFrame) -> dict[str, str | None]:
    """Which renal measures ``adlb`` holds: the proteinuria and kidney-function codes.

    Returns
    -------
    dict
        ``{"proteinuria": "UPROT" | "UPCR" | None, "kidney": "EGFR" | "CREAT" | None}``,
        the first of ``helpers.definitions.PROTEINURIA_CODES`` and
        ``KIDNEY_FUNCTION_CODES`` with a recorded value.

    Examples
    --------
    >>> import pandas as pd
    >>> renal_measures(pd.DataFrame({"PARAMCD": ["UPROT", "CREAT"], "AVAL": [0.8, 70.0]}))
    {'proteinuria': 'UPROT', 'kidney': 'CREAT'}
    >>> renal_measures(pd.DataFrame({"PARAMCD": ["UPROT"], "AVAL": [0.8]}))
    {'proteinuria': 'UPROT', 'kidney': None}
    """
    if "PARAMCD" not in adlb:
        return {"proteinuria": None, "kidney": None}
    recorded = adlb[adlb["AVAL"].notna()] if "AVAL" in adlb else adlb
    have = _codes(recorded)
    return {
        "proteinuria": next((c for c in d.PROTEINURIA_CODES if c in have), None),
        "kidney": next((c for c in d.KIDNEY_FUNCTION_CODES if c in have), None),
    }


def derive_egfr(adlb: pd.DataFrame, adsl: pd.DataFrame, paramcd: str = "EGFR") -> pd.DataFrame:
    """eGFR from serum creatinine by the CKD-EPI 2021 equation (no race term).

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``: the ``CREAT`` rows
        (micromol/L) are used.
    adsl : DataFrame
        ``USUBJID``, ``AGE`` (years, at enrolment) and ``SEX`` (``F``/``M``).
    paramcd : str
        The ``PARAMCD`` of the derived rows.

    Returns
    -------
    DataFrame
        One row per creatinine value: ``USUBJID``, ``AVISIT``, ``AVISITN``, ``PARAMCD``,
        ``AVAL`` (mL/min/1.73 m2; missing when age or sex is unknown, or sex is ``U``),
        ``AVALU``.

    Notes
    -----
    eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 (women),
    with Scr in mg/dL (micromol/L / 88.4), k = 0.7 and a = -0.241 for women, k = 0.9 and
    a = -0.302 for men (Inker et al., N Engl J Med 2021;385:1737-49). The age is the age
    at enrolment: over a trial's months the difference is below 0.1 mL/min.

    Examples
    --------
    >>> import pandas as pd
    >>> lb = pd.DataFrame({"USUBJID": ["A", "B"], "AVISITN": 0, "PARAMCD": "CREAT", "AVAL": [61.88, 88.4]})
    >>> sl = pd.DataFrame({"USUBJID": ["A", "B"], "AGE": [40, 60], "SEX": ["F", "M"]})
    >>> derive_egfr(lb, sl)["AVAL"].round(1).tolist()
    [112.1, 86.2]
    """
    require_columns(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], "derive_egfr", "adlb")
    require_columns(adsl, ["USUBJID", "AGE", "SEX"], "derive_egfr", "adsl")
    cr = adlb.loc[adlb["PARAMCD"].astype(str) == "CREAT", ["USUBJID", "AVISITN", "AVAL"]].copy()
    cr["USUBJID"] = cr["USUBJID"].astype(str)
    demo = adsl[["USUBJID", "AGE", "SEX"]].assign(USUBJID=adsl["USUBJID"].astype(str))
    m = cr.merge(demo, on="USUBJID", how="left")
    sex = m["SEX"].astype("object").where(m["SEX"].notna(), "").astype(str)
    kappa = sex.map({s: v["kappa"] for s, v in d.CKD_EPI_2021.items()}).astype(float)
    alpha = sex.map({s: v["alpha"] for s, v in d.CKD_EPI_2021.items()}).astype(float)
    factor = sex.map({s: v["factor"] for s, v in d.CKD_EPI_2021.items()}).astype(float)
    ratio = m["AVAL"].astype(float) / d.CREATININE_UMOL_PER_MGDL / kappa
    age = m["AGE"].astype(float)
    egfr = 142.0 * np.minimum(ratio, 1.0) ** alpha * np.maximum(ratio, 1.0) ** -1.200 * 0.9938 ** age * factor
    out = m[KEY].copy()
    out["PARAMCD"] = paramcd
    out["AVAL"] = egfr.to_numpy(dtype=float)
    out["AVALU"] = "mL/min/1.73m2"
    out = out.merge(_visit_labels(adlb), on="AVISITN", how="left")
    return out[["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL", "AVALU"]].reset_index(drop=True)


def _at(adlb: pd.DataFrame, code: str | None, week: int, name: str) -> pd.Series:
    if code is None:
        return pd.Series(dtype=float, name=name)
    x = adlb.loc[(adlb["PARAMCD"].astype(str) == code) & (adlb["AVISITN"] == week), ["USUBJID", "AVAL"]]
    x = x.assign(USUBJID=x["USUBJID"].astype(str))
    if x["USUBJID"].duplicated().any():
        raise ValueError(f"more than one {code} value per subject at week {week}")
    return x.set_index("USUBJID")["AVAL"].astype(float).rename(name)


def derive_renal_subgroup(
    adlb: pd.DataFrame,
    adbilag: pd.DataFrame | None = None,
    proteinuria_above: float | None = 0.5,
    upcr_above: float | None = 500.0,
    bilag_grades: Sequence[str] = ("A", "B"),
    baseline_week: int = 0,
) -> pd.DataFrame:
    """The subgroup with lupus nephritis (renal involvement) at baseline.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``: ``UPROT`` (g/24 h) and/or
        ``UPCR`` (mg/g) at baseline.
    adbilag : DataFrame, optional
        BILAG-2004 grades (the ``RENAL`` domain at baseline).
    proteinuria_above, upcr_above : float or None
        Renal involvement: 24-hour proteinuria above this (g/24 h), UPCR above this
        (mg/g); None leaves the measure out.
    bilag_grades : sequence of str
        Renal involvement: a renal BILAG grade among these (empty: BILAG left out).
    baseline_week : int

    Returns
    -------
    DataFrame
        One row per subject with a baseline value of any criterion used: ``USUBJID``,
        ``UPROTBL``, ``UPCRBL``, ``RENALBL`` (the renal BILAG grade, ``""`` if not
        graded), ``LNFL`` (``"Y"`` at least one criterion met, ``"N"`` none of those
        recorded).

    Raises
    ------
    ValueError
        No criterion given, a grade other than A to E, BILAG grades without ``adbilag``.

    Notes
    -----
    cohort.yml ``renal.subgroup`` (defaults: 24-hour proteinuria > 0.5 g, UPCR > 500
    mg/g, or a renal BILAG A or B): the usual entry criteria of lupus nephritis trials;
    the randomized trial (He et al., Ann Rheum Dis 2020) states none.

    Examples
    --------
    >>> import pandas as pd
    >>> lb = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 0, "PARAMCD": "UPROT",
    ...                    "AVAL": [1.2, 0.3, 0.5]})
    >>> bl = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVISITN": 0, "PARAMCD": "RENAL",
    ...                    "AVALC": ["B", "B", "D"]})
    >>> derive_renal_subgroup(lb, bl)[["USUBJID", "UPROTBL", "RENALBL", "LNFL"]]
      USUBJID  UPROTBL RENALBL LNFL
    0       A      1.2       B    Y
    1       B      0.3       B    Y
    2       C      0.5       D    N
    """
    what = "derive_renal_subgroup"
    grades = tuple(bilag_grades or ())
    if proteinuria_above is None and upcr_above is None and not grades:
        raise ValueError(f"{what}: no criterion: give proteinuria_above, upcr_above or bilag_grades")
    bad = [g for g in grades if g not in d.BILAG_GRADES]
    if bad:
        raise ValueError(f"{what}: bilag_grades must be BILAG grades {list(d.BILAG_GRADES)}, got {bad}")
    if grades and adbilag is None:
        raise ValueError(f"{what}: bilag_grades {list(grades)} need adbilag")
    require_columns(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], what, "adlb")
    uprot = _at(adlb, "UPROT" if proteinuria_above is not None else None, baseline_week, "UPROTBL")
    upcr = _at(adlb, "UPCR" if upcr_above is not None else None, baseline_week, "UPCRBL")
    renal = pd.Series(dtype=object, name="RENALBL")
    if grades:
        require_columns(adbilag, ["USUBJID", "AVISITN", "PARAMCD", "AVALC"], what, "adbilag")
        b = adbilag.loc[(adbilag["PARAMCD"].astype(str) == "RENAL") & (adbilag["AVISITN"] == baseline_week),
                        ["USUBJID", "AVALC"]]
        renal = b.assign(USUBJID=b["USUBJID"].astype(str)).set_index("USUBJID")["AVALC"].astype(str).rename("RENALBL")
    subjects = sorted(set(uprot.dropna().index) | set(upcr.dropna().index) | set(renal.index))
    out = pd.DataFrame({"USUBJID": subjects})
    out["UPROTBL"] = out["USUBJID"].map(uprot).astype(float)
    out["UPCRBL"] = out["USUBJID"].map(upcr).astype(float)
    out["RENALBL"] = out["USUBJID"].map(renal).astype("object").fillna("").astype(str)
    hit = pd.Series(False, index=out.index)
    if proteinuria_above is not None:
        hit |= out["UPROTBL"] > proteinuria_above
    if upcr_above is not None:
        hit |= out["UPCRBL"] > upcr_above
    if grades:
        hit |= out["RENALBL"].isin(grades)
    out["LNFL"] = np.where(hit, "Y", "N")
    return out


def derive_renal_response(
    adlb: pd.DataFrame,
    week: int,
    baseline_week: int = 0,
    proteinuria: str | None = None,
    kidney: str | None = None,
    complete_below: float | None = None,
    partial_reduction: float = 0.5,
    partial_below: float | None = None,
    kidney_margin: float = 0.10,
) -> pd.DataFrame:
    """Complete and partial renal response at a visit, against baseline.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL`` with a proteinuria measure
        (``UPROT`` g/24 h or ``UPCR`` mg/g) and a kidney-function measure (``EGFR`` or
        ``CREAT``).
    week : int
        The visit at which response is judged.
    baseline_week : int
    proteinuria, kidney : str, optional
        The codes to use; default the first recorded (:func:`renal_measures`).
    complete_below : float, optional
        Complete response: proteinuria below this (default 0.5 g/24 h, 500 mg/g).
    partial_reduction : float
        Partial response: proteinuria reduced by at least this fraction of baseline ...
    partial_below : float, optional
        ... and below this (default 3 g/24 h, 3000 mg/g).
    kidney_margin : float
        Kidney function stable: eGFR at least (1 - margin) x baseline, or creatinine at
        most (1 + margin) x baseline.

    Returns
    -------
    DataFrame
        One row per subject with a baseline proteinuria: ``USUBJID``, ``AVISITN``
        (``week``), ``PARAMCD`` (the proteinuria code), ``BASE``, ``AVAL``, ``PCHG``
        (proteinuria), ``KFCD``, ``KFBASE``, ``KFVAL`` (kidney function), ``KFSTBFL``
        (kidney function stable), ``CRFL`` (complete response), ``PRFL`` (partial
        response, not complete), ``ORFL`` (complete or partial): each ``"Y"``, ``"N"``
        or ``""`` when a value needed is missing (a missed visit is not evaluable here;
        an analysis may count it as no response).

    Raises
    ------
    ValueError
        ``adlb`` holds no proteinuria or no kidney-function measure (or not the one
        named), a threshold out of range.

    Notes
    -----
    EULAR/ERA-EDTA 2019 and KDIGO 2024: complete response = proteinuria < 0.5 g/24 h
    (UPCR < 500 mg/g) with stable kidney function (eGFR within 10% of baseline);
    partial response = proteinuria reduced by >= 50% and < 3 g/24 h (3000 mg/g), with
    stable kidney function. The thresholds are cohort.yml's ``renal`` keys.

    Examples
    --------
    >>> import pandas as pd
    >>> lb = pd.DataFrame({"USUBJID": ["A"] * 4 + ["B"] * 4, "AVISITN": [0, 0, 24, 24] * 2,
    ...                    "PARAMCD": ["UPROT", "EGFR"] * 4,
    ...                    "AVAL": [2.0, 100.0, 0.3, 95.0, 4.0, 90.0, 1.5, 70.0]})
    >>> derive_renal_response(lb, week=24)[["USUBJID", "BASE", "AVAL", "KFSTBFL", "CRFL", "PRFL", "ORFL"]]
      USUBJID  BASE  AVAL KFSTBFL CRFL PRFL ORFL
    0       A   2.0   0.3       Y    Y    N    Y
    1       B   4.0   1.5       N    N    N    N
    """
    what = "derive_renal_response"
    require_columns(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL"], what, "adlb")
    found = renal_measures(adlb)
    proteinuria = proteinuria or found["proteinuria"]
    kidney = kidney or found["kidney"]
    have = _codes(adlb)
    if proteinuria is None or proteinuria not in have:
        raise ValueError(f"{what}: adlb holds no proteinuria measure "
                         f"({proteinuria or ' or '.join(d.PROTEINURIA_CODES)}); renal response needs one")
    if proteinuria not in PROTEINURIA_THRESHOLDS:
        raise ValueError(f"{what}: proteinuria must be one of {list(PROTEINURIA_THRESHOLDS)}, got {proteinuria!r}")
    if kidney is None or kidney not in have:
        raise ValueError(f"{what}: adlb holds no kidney-function measure "
                         f"({kidney or ' or '.join(d.KIDNEY_FUNCTION_CODES)}); renal response needs one")
    if kidney not in d.KIDNEY_FUNCTION_CODES:
        raise ValueError(f"{what}: kidney must be one of {list(d.KIDNEY_FUNCTION_CODES)}, got {kidney!r}")
    if not 0 < partial_reduction <= 1:
        raise ValueError(f"{what}: partial_reduction must be above 0 and at most 1, got {partial_reduction}")
    if not 0 <= kidney_margin <= 1:
        raise ValueError(f"{what}: kidney_margin must be from 0 to 1, got {kidney_margin}")
    default_complete, default_partial = PROTEINURIA_THRESHOLDS[proteinuria]
    complete_below = default_complete if complete_below is None else float(complete_below)
    partial_below = default_partial if partial_below is None else float(partial_below)

    base = _at(adlb, proteinuria, baseline_week, "BASE").dropna()
    out = pd.DataFrame({"USUBJID": base.index.astype(str), "BASE": base.to_numpy()})
    out["AVISITN"] = week
    out["PARAMCD"] = proteinuria
    out["AVAL"] = out["USUBJID"].map(_at(adlb, proteinuria, week, "AVAL")).astype(float)
    out["PCHG"] = 100 * (out["AVAL"] - out["BASE"]) / out["BASE"].where(out["BASE"] != 0)
    out["KFCD"] = kidney
    out["KFBASE"] = out["USUBJID"].map(_at(adlb, kidney, baseline_week, "KFBASE")).astype(float)
    out["KFVAL"] = out["USUBJID"].map(_at(adlb, kidney, week, "KFVAL")).astype(float)
    # Rounded to 9 decimals so that 90.0 against 100 x (1 - 0.1) counts as the 90 it is.
    if kidney == "EGFR":
        stable = (out["KFVAL"] - out["KFBASE"] * (1 - kidney_margin)).round(9) >= 0
    else:
        stable = (out["KFBASE"] * (1 + kidney_margin) - out["KFVAL"]).round(9) >= 0
    kf_known = out["KFVAL"].notna() & out["KFBASE"].notna()
    p_known = out["AVAL"].notna()
    low = out["AVAL"] < complete_below
    reduced = (out["AVAL"] <= out["BASE"] * (1 - partial_reduction) + 1e-9) & (out["AVAL"] < partial_below)
    complete = low & stable
    partial = reduced & stable & ~complete
    # Decided when both values are known, or when a known value already rules the
    # response out (a missing eGFR cannot rescue a proteinuria of 4 g/24 h). A
    # proteinuria below the complete threshold rules out a partial response either way:
    # with stable kidney function the response is complete, without it there is none.
    kf_fails = kf_known & ~stable
    no_complete = kf_fails | (p_known & ~low)
    no_partial = kf_fails | (p_known & (~reduced | low))
    no_response = kf_fails | (p_known & ~low & ~reduced)
    both = p_known & kf_known

    def flag(ok: pd.Series, decided_no: pd.Series) -> np.ndarray:
        return np.where(both, np.where(ok, "Y", "N"), np.where(decided_no, "N", ""))

    out["KFSTBFL"] = np.where(kf_known, np.where(stable, "Y", "N"), "")
    out["CRFL"] = flag(complete, no_complete)
    out["PRFL"] = flag(partial, no_partial)
    out["ORFL"] = flag(complete | partial, no_response)
    cols = ["USUBJID", "AVISITN", "PARAMCD", "BASE", "AVAL", "PCHG", "KFCD", "KFBASE", "KFVAL",
            "KFSTBFL", "CRFL", "PRFL", "ORFL"]
    return out[cols].reset_index(drop=True)
