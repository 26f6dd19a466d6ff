"""Who was enrolled, treated and analysed, and what they were like at baseline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.derive import derive_sledai_total


def participant_flow(
    adsl: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    adex: pd.DataFrame | None = None,
    courses: Sequence = (),
    efficacy_flag: str = "ITTFL",
    safety_flag: str = "SAFFL",
) -> pd.DataFrame:
    """Counts for a CONSORT-style participant-flow diagram.

    Parameters
    ----------
    adsl : DataFrame
        One row per subject: ``USUBJID``, ``arm``, the population flags and, when
        present, ``EOSSTT`` and ``DCSREAS``.
    arm : str
    arms : sequence of str
    adex : DataFrame, optional
        Doses given (``USUBJID``, ``APERIOD``); without it, "treated" is the safety flag.
    courses : sequence of helpers.data.config.Course
        Treatment courses; a subject "received" a course with at least one dose in it.

    Returns
    -------
    DataFrame
        ``step``, ``arm`` (``"All"`` for enrolment), ``n``, ``detail``; steps in order:
        enrolled, (allocated,) treated, received course 1..k, completed the study,
        discontinued (reasons in ``detail``), analysed for efficacy and for safety.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": "IL-2", "ITTFL": "Y",
    ...                      "SAFFL": "Y", "EOSSTT": ["COMPLETED", "COMPLETED", "DISCONTINUED"],
    ...                      "DCSREAS": ["", "", "Withdrawal by subject"]})
    >>> participant_flow(adsl, "TRT01A", ["IL-2"])[["step", "n", "detail"]]
                             step  n                     detail
    0                    Enrolled  3
    1                     Treated  3
    2         Completed the study  2
    3                Discontinued  1  Withdrawal by subject: 1
    4   Analysed for efficacy (ITTFL)  3
    5     Analysed for safety (SAFFL)  3
    """
    rows: list[dict] = [{"step": "Enrolled", "arm": "All", "n": len(adsl), "detail": ""}]
    several = len(arms) > 1

    def per_arm(step: str, mask: pd.Series, detail: dict[str, str] | None = None) -> None:
        for a in arms:
            in_arm = adsl[arm] == a
            rows.append({"step": step, "arm": a, "n": int((mask & in_arm).sum()), "detail": (detail or {}).get(a, "")})

    everyone = pd.Series(True, index=adsl.index)
    if several:
        per_arm("Allocated", everyone)
    if adex is not None and len(adex):
        treated = adsl["USUBJID"].isin(adex["USUBJID"])
    else:
        treated = adsl[safety_flag] == "Y"
    per_arm("Treated", treated)
    if adex is not None and len(adex) and courses:
        for c in courses:
            got = adsl["USUBJID"].isin(adex.loc[adex["APERIOD"] == c.number, "USUBJID"])
            per_arm(f"Received course {c.number}", got)
    if "EOSSTT" in adsl:
        per_arm("Completed the study", adsl["EOSSTT"] == "COMPLETED")
        disc = adsl["EOSSTT"] == "DISCONTINUED"
        details = {}
        for a in arms:
            reasons = adsl.loc[disc & (adsl[arm] == a), "DCSREAS"] if "DCSREAS" in adsl else pd.Series(dtype=str)
            counts = reasons.replace("", "reason not given").value_counts()
            details[a] = "; ".join(f"{r}: {n}" for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        per_arm("Discontinued", disc, details)
        ongoing = adsl["EOSSTT"] == "ONGOING"
        if ongoing.any():
            per_arm("Ongoing", ongoing)
    per_arm(f"Analysed for efficacy ({efficacy_flag})", adsl[efficacy_flag] == "Y")
    per_arm(f"Analysed for safety ({safety_flag})", adsl[safety_flag] == "Y")
    return pd.DataFrame(rows)


def baseline_disease(
    adsl: pd.DataFrame,
    adsledai: pd.DataFrame | None = None,
    adbilag: pd.DataFrame | None = None,
    adpga: pd.DataFrame | None = None,
    admanif: pd.DataFrame | None = None,
    baseline_week: int = 0,
) -> pd.DataFrame:
    """``adsl`` with baseline disease activity added, one row per subject.

    Adds, where the tables are given: ``SLEDAIBL`` (SLEDAI-2K total), ``BILAGABL`` and
    ``BILAGBBL`` (number of BILAG-2004 domains graded A, B), ``PGABL``, one column
    ``MF_<code>`` per clinical manifestation (``"Y"``/``"N"``), and ``DURDISY``
    (disease duration in years, from ``DURDIS`` in months).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1"], "DURDIS": [60.0]})
    >>> baseline_disease(adsl)["DURDISY"].tolist()
    [5.0]
    """
    out = adsl.copy()
    if "DURDIS" in out:
        out["DURDISY"] = out["DURDIS"] / 12
    if adsledai is not None:
        tot = derive_sledai_total(adsledai[adsledai["AVISITN"] == baseline_week])
        out = out.merge(tot[["USUBJID", "AVAL"]].rename(columns={"AVAL": "SLEDAIBL"}), on="USUBJID", how="left")
    if adbilag is not None:
        b = adbilag[adbilag["AVISITN"] == baseline_week]
        counts = b.assign(A=b["AVALC"] == "A", B=b["AVALC"] == "B").groupby("USUBJID")[["A", "B"]].sum()
        counts = counts.rename(columns={"A": "BILAGABL", "B": "BILAGBBL"}).reset_index()
        out = out.merge(counts, on="USUBJID", how="left")
    if adpga is not None:
        p = adpga.loc[adpga["AVISITN"] == baseline_week, ["USUBJID", "AVAL"]].rename(columns={"AVAL": "PGABL"})
        out = out.merge(p, on="USUBJID", how="left")
    if admanif is not None:
        m = admanif[admanif["AVISITN"] == baseline_week]
        wide = m.pivot_table(index="USUBJID", columns="PARAMCD", values="AVAL", aggfunc="max", observed=True)
        for man in d.MANIFESTATIONS:
            col = wide[man.code] if man.code in wide else pd.Series(dtype=float)
            out[f"MF_{man.code}"] = out["USUBJID"].astype("str").map(col).map({1: "Y", 0: "N"}).fillna("")
    return out


def active_descriptors(adsledai: pd.DataFrame, week: int) -> pd.DataFrame:
    """How many subjects had each SLEDAI-2K descriptor active at a visit.

    Returns
    -------
    DataFrame
        One row per descriptor in instrument order: ``PARAMCD``, ``descriptor``,
        ``domain``, ``weight``, ``n_active``, ``n`` (subjects assessed), ``pct``.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["1", "2"], "AVISITN": 0, "PARAMCD": "RASH", "AVAL": [1, 0]})
    >>> active_descriptors(df, 0).query("PARAMCD == 'RASH'")[["n_active", "n", "pct"]]
        n_active  n   pct
    14         1  2  50.0
    """
    at = adsledai[adsledai["AVISITN"] == week]
    n = at["USUBJID"].nunique()
    active = at[at["AVAL"] == 1].groupby("PARAMCD", observed=True)["USUBJID"].nunique()
    rows = [
        {"PARAMCD": x.code, "descriptor": x.label, "domain": x.domain, "weight": x.weight,
         "n_active": int(active.get(x.code, 0)), "n": n, "pct": 100 * active.get(x.code, 0) / n if n else np.nan}
        for x in d.SLEDAI_DESCRIPTORS
    ]
    return pd.DataFrame(rows)


def baseline_variables(columns: Sequence[str], extra: Sequence[Sequence[str]] = ()):
    """The rows of Table 1 for the columns a cohort has, in a fixed clinical order.

    Parameters
    ----------
    columns : sequence of str
        Columns of the subject-level frame (e.g. from :func:`baseline_disease`).
    extra : sequence of (column, label, kind)
        Cohort-specific additions (a chapter parameter), ``kind`` being
        ``"continuous"`` or ``"categorical"``.

    Returns
    -------
    list of helpers.present.tables.Variable

    Examples
    --------
    >>> [v.column for v in baseline_variables(["AGE", "SEX", "CMHCQFL"])]
    ['AGE', 'SEX', 'CMHCQFL']
    """
    from helpers.present.tables import Variable

    known = [
        Variable("AGE", "Age", unit="years", digits=0),
        Variable("SEX", "Sex", "categorical", levels=("F", "M"), level_labels={"F": "Female", "M": "Male"}),
        Variable("RACE", "Race", "categorical"),
        Variable("ETHNIC", "Ethnicity", "categorical"),
        Variable("WEIGHTBL", "Weight", unit="kg"),
        Variable("HEIGHTBL", "Height", unit="cm"),
        Variable("BMIBL", "Body-mass index", unit="kg/m2"),
        Variable("BSABL", "Body surface area", unit="m2", digits=2),
        Variable("DURDISY", "Disease duration", unit="years"),
        Variable("SLEDAIBL", "SLEDAI-2K", digits=0),
        Variable("BILAGABL", "BILAG-2004 domains graded A", digits=0),
        Variable("BILAGBBL", "BILAG-2004 domains graded B", digits=0),
        Variable("PGABL", "Physician's Global Assessment (0-3)", digits=1),
        Variable("PREDBL", "Prednisone-equivalent dose", unit="mg/day"),
    ]
    known += [Variable(flag, drug, "categorical", only_level="Y", group="Concomitant drugs")
              for flag, drug in d.CONCOMITANT_DRUGS.items()]
    known += [Variable(f"MF_{m.code}", m.label, "categorical", only_level="Y", group="Clinical manifestations")
              for m in d.MANIFESTATIONS]
    have = set(columns)
    out = [v for v in known if v.column in have]
    for item in extra:
        column, label, kind = (list(item) + ["continuous"])[:3]
        if column in have and all(v.column != column for v in out):
            out.append(Variable(column, label, kind))
    return out


def check_flow(flow: pd.DataFrame, n_subjects: int) -> None:
    """Sanity checks a chapter runs on its participant flow; raises ``ValueError``.

    Every count lies between 0 and the number enrolled; per arm, the subjects who
    completed and who discontinued do not exceed those allocated.
    """
    if not flow["n"].between(0, n_subjects).all():
        raise ValueError(f"participant flow has counts outside 0..{n_subjects}: {flow.to_dict('records')}")
    for arm, g in flow[flow["arm"] != "All"].groupby("arm"):
        steps = dict(zip(g["step"], g["n"], strict=True))
        allocated = steps.get("Allocated", n_subjects)
        done = steps.get("Completed the study", 0) + steps.get("Discontinued", 0) + steps.get("Ongoing", 0)
        if "Completed the study" in steps and done > allocated:
            raise ValueError(f"arm {arm}: completed + discontinued ({done}) exceed those allocated ({allocated})")


def count_by_arm(df: pd.DataFrame, condition: pd.Series, arm: str, arms: Sequence[str]) -> tuple[dict[str, int], int]:
    """Subjects meeting ``condition``, per arm (every arm present, zeros included) and in total.

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": ["A", "A", "B"], "SEX": ["F", "M", "M"]})
    >>> count_by_arm(df, df["SEX"] == "F", "TRT01A", ["A", "B"])
    ({'A': 1, 'B': 0}, 1)
    """
    cond = condition.reindex(df.index).fillna(False).astype(bool)
    by = {a: int((cond & (df[arm] == a)).sum()) for a in arms}
    return by, int(cond.sum())
