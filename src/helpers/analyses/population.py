"""Who was enrolled, treated and analysed, and what they were like at baseline.

Tidy frames keyed by codes (flow steps, variable names, descriptor codes); the words a
page shows for them are in :mod:`helpers.present.prose.efficacy` and the tables built
from them in :mod:`helpers.present.tables`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.analyses.arms import TOTAL, arms_and_total, with_total
from helpers.derive import derive_sledai_total
from helpers.stats import compare_baseline

#: The steps of a participant flow, in order (``course`` once per treatment course).
FLOW_STEPS: tuple[str, ...] = (
    "enrolled", "allocated", "treated", "not_treated", "course", "completed", "discontinued", "ongoing", "efficacy",
    "safety",
)

#: What an efficacy population is (:func:`population_kind`): intention to treat (every
#: randomized subject, or no randomization recorded), or modified intention to treat
#: (its flag leaves out randomized subjects).
POPULATION_KINDS: tuple[str, ...] = ("itt", "mitt")


def allocation_arm(config) -> str:
    """The arm variable subjects are allocated by in a participant flow and Table 1: the
    ``randomized`` population's arm when the config has one (``TRT01P``: a subject
    randomized but never treated stays in the arm allocated), else the efficacy
    population's.

    Parameters
    ----------
    config : helpers.data.CohortConfig
    """
    return config.population_arm("randomized" if "randomized" in config.populations else "efficacy")


def efficacy_kind(cohort) -> str:
    """:func:`population_kind` of a cohort's efficacy population, against its
    ``randomized`` population's flag (``RANDFL`` when the config names none).

    Parameters
    ----------
    cohort : helpers.data.Cohort
    """
    cfg = cohort.config
    return population_kind(cohort["adsl"], cfg.populations["efficacy"], cfg.populations.get("randomized", "RANDFL"))


def population_kind(adsl: pd.DataFrame, flag: str, randomized_flag: str = "RANDFL") -> str:
    """Whether an efficacy population is intention-to-treat or modified: ``mitt`` when
    some subject is randomized (``randomized_flag == "Y"``) but not in the population
    (``flag != "Y"``), else ``itt`` (also when ``adsl`` records no randomization).

    Examples
    --------
    >>> adsl = pd.DataFrame({"RANDFL": ["Y", "Y", "Y"], "ITTFL": ["Y", "Y", "N"]})
    >>> population_kind(adsl, "ITTFL"), population_kind(adsl.assign(ITTFL="Y"), "ITTFL")
    ('mitt', 'itt')
    >>> population_kind(adsl.drop(columns="RANDFL"), "ITTFL")
    'itt'
    """
    if randomized_flag not in adsl or flag not in adsl:
        return "itt"
    left_out = (adsl[randomized_flag] == "Y") & (adsl[flag] != "Y")
    return "mitt" if left_out.any() else "itt"

#: The ``arm`` of a flow step taken before allocation (every subject together).
ALL = "All"


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
        present, ``EOSSTT``.
    arm : str
    arms : sequence of str
    adex : DataFrame, optional
        Doses given (``USUBJID``, ``APERIOD``); without it, "treated" is the safety flag.
    courses : sequence of helpers.data.config.Course
        Treatment courses; a subject "received" a course with at least one dose in it.
    efficacy_flag, safety_flag : str
        The population flags (``"Y"`` for members).

    Returns
    -------
    DataFrame
        ``step`` (a code of :data:`FLOW_STEPS`), ``course`` (the course number on
        ``course`` rows, else missing), ``flag`` (the population flag on ``efficacy`` and
        ``safety`` rows, else ``""``), ``arm`` (:data:`ALL` for enrolment), ``n``. Steps in
        order: enrolled, (allocated, with several arms), treated, (not_treated: allocated
        but never dosed, when anyone was), a ``course`` row per course, completed,
        discontinued and (when anyone is) ongoing (with ``EOSSTT``), efficacy, safety;
        each after enrolment once per arm, zeros included. ``arm`` is the arm allocated
        (:func:`allocation_arm`): a subject randomized but never treated is counted in
        that arm as not treated, not lost.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": "IL-2", "ITTFL": "Y",
    ...                      "SAFFL": "Y", "EOSSTT": ["COMPLETED", "COMPLETED", "DISCONTINUED"]})
    >>> participant_flow(adsl, "TRT01A", ["IL-2"])[["step", "flag", "n"]]
               step   flag  n
    0      enrolled         3
    1       treated         3
    2     completed         2
    3  discontinued         1
    4      efficacy  ITTFL  3
    5        safety  SAFFL  3
    """
    rows: list[dict] = [{"step": "enrolled", "course": pd.NA, "flag": "", "arm": ALL, "n": len(adsl)}]

    def per_arm(step: str, mask: pd.Series, course=pd.NA, flag: str = "") -> None:
        for a in arms:
            rows.append({"step": step, "course": course, "flag": flag, "arm": a, "n": int((mask & (adsl[arm] == a)).sum())})

    if len(arms) > 1:
        per_arm("allocated", pd.Series(True, index=adsl.index))
    dosed = adex is not None and len(adex)
    treated = adsl["USUBJID"].isin(adex["USUBJID"]) if dosed else adsl[safety_flag] == "Y"
    per_arm("treated", treated)
    if (~treated & adsl[arm].isin(list(arms))).any():
        per_arm("not_treated", ~treated)
    if dosed:
        for c in courses:
            per_arm("course", adsl["USUBJID"].isin(adex.loc[adex["APERIOD"] == c.number, "USUBJID"]), course=c.number)
    if "EOSSTT" in adsl:
        per_arm("completed", adsl["EOSSTT"] == "COMPLETED")
        per_arm("discontinued", adsl["EOSSTT"] == "DISCONTINUED")
        ongoing = adsl["EOSSTT"] == "ONGOING"
        if ongoing.any():
            per_arm("ongoing", ongoing)
    per_arm("efficacy", adsl[efficacy_flag] == "Y", flag=efficacy_flag)
    per_arm("safety", adsl[safety_flag] == "Y", flag=safety_flag)
    out = pd.DataFrame(rows, columns=["step", "course", "flag", "arm", "n"])
    out["course"] = out["course"].astype("Int64")
    return out


def discontinuation_reasons(adsl: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Why subjects discontinued, per arm.

    Parameters
    ----------
    adsl : DataFrame
        ``arm``, ``EOSSTT`` and ``DCSREAS`` (without either, no reasons are known).

    Returns
    -------
    DataFrame
        ``arm``, ``reason`` (``DCSREAS``; ``""`` when left blank), ``n`` (subjects); arms
        in ``arms`` order, then the most frequent reason first (ties alphabetically).
        Subjects whose reason is missing (not blank) are not counted.

    Examples
    --------
    >>> adsl = pd.DataFrame({"TRT01A": "A", "EOSSTT": ["DISCONTINUED"] * 3 + ["COMPLETED"],
    ...                      "DCSREAS": ["Adverse event", "", "Adverse event", ""]})
    >>> discontinuation_reasons(adsl, "TRT01A", ["A"]).values.tolist()
    [['A', 'Adverse event', 2], ['A', '', 1]]
    """
    rows = []
    if "EOSSTT" in adsl and "DCSREAS" in adsl:
        disc = adsl["EOSSTT"] == "DISCONTINUED"
        for a in arms:
            counts = adsl.loc[disc & (adsl[arm] == a), "DCSREAS"].value_counts()
            for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                rows.append({"arm": a, "reason": reason, "n": int(n)})
    return pd.DataFrame(rows, columns=["arm", "reason", "n"])


def flow_counts(flow: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """The participant flow with one row per arm (and :data:`~helpers.analyses.arms.TOTAL`
    with several arms) and one column per step taken by arm.

    Parameters
    ----------
    flow : DataFrame
        From :func:`participant_flow`.

    Returns
    -------
    DataFrame
        ``arm``, then a column per step code of :data:`FLOW_STEPS` taken by arm (not
        ``enrolled`` nor ``course``), 0 where the flow lacks the step.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "treated", "treated"], "arm": ["All", "A", "B"], "n": [5, 3, 2]})
    >>> flow_counts(flow, ["A", "B"])[["arm", "treated", "completed"]].values.tolist()
    [['A', 3, 0], ['B', 2, 0], ['Total', 5, 0]]
    """
    steps = [s for s in FLOW_STEPS if s not in ("enrolled", "course")]
    rows = []
    for a in arms:
        g = flow[flow["arm"] == a]
        rows.append({"arm": a, **{s: int(g.loc[g["step"] == s, "n"].sum()) for s in steps}})
    out = pd.DataFrame(rows, columns=["arm", *steps])
    if len(arms) > 1:
        out = pd.concat([out, pd.DataFrame([{"arm": TOTAL, **{s: int(out[s].sum()) for s in steps}}])], ignore_index=True)
    return out


def flow_totals(flow: pd.DataFrame) -> dict[str, int]:
    """The participant flow over every subject: one count per step code of
    :data:`FLOW_STEPS` (not ``course``), 0 for a step the flow lacks.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "treated", "treated"], "arm": ["All", "A", "B"], "n": [5, 3, 2]})
    >>> totals = flow_totals(flow)
    >>> totals["enrolled"], totals["treated"], totals["completed"]
    (5, 5, 0)
    """
    return {s: int(flow.loc[flow["step"] == s, "n"].sum()) for s in FLOW_STEPS if s != "course"}


def check_flow(flow: pd.DataFrame, n_subjects: int) -> None:
    """Sanity checks a chapter runs on its participant flow; raises ``ValueError``.

    Every count lies between 0 and the number enrolled; per arm, the subjects who
    completed and who discontinued do not exceed those allocated.
    """
    if not flow["n"].between(0, n_subjects).all():
        raise ValueError(f"participant flow has counts outside 0..{n_subjects}: {flow.to_dict('records')}")
    for arm, g in flow[flow["arm"] != ALL].groupby("arm"):
        steps = dict(zip(g["step"], g["n"], strict=True))
        allocated = steps.get("allocated", n_subjects)
        done = steps.get("completed", 0) + steps.get("discontinued", 0) + steps.get("ongoing", 0)
        if "completed" in steps and done > allocated:
            raise ValueError(f"arm {arm}: completed + discontinued ({done}) exceed those allocated ({allocated})")


# ---------------------------------------------------------------------------------------
# baseline


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


def baseline_activity(base: pd.DataFrame, threshold: float, column: str = "SLEDAIBL") -> dict[str, float]:
    """How active the disease was at baseline: the distribution of a score and how many
    subjects reached ``threshold``.

    Parameters
    ----------
    base : DataFrame
        One row per subject with ``column`` (from :func:`baseline_disease`).
    threshold : float
        The score at or above which the disease counts as active (a chapter parameter).

    Returns
    -------
    dict
        ``median``, ``min``, ``max`` of the score; ``n`` (subjects with a score),
        ``n_active`` (subjects with a score of ``threshold`` or more), ``threshold``.

    Examples
    --------
    >>> base = pd.DataFrame({"SLEDAIBL": [14.0, 8.0, 6.0, float("nan")]})
    >>> baseline_activity(base, 8)
    {'median': 8.0, 'min': 6.0, 'max': 14.0, 'n': 3, 'n_active': 2, 'threshold': 8}
    """
    x = pd.to_numeric(base[column], errors="coerce")
    return {"median": float(x.median()), "min": float(x.min()), "max": float(x.max()), "n": int(x.notna().sum()),
            "n_active": int((x >= threshold).sum()), "threshold": threshold}


def active_descriptors(adsledai: pd.DataFrame, week: int) -> pd.DataFrame:
    """How many subjects had each SLEDAI-2K descriptor active at a visit.

    Returns
    -------
    DataFrame
        One row per descriptor in instrument order: ``PARAMCD``, ``domain``, ``weight``,
        ``n_active``, ``n`` (subjects assessed), ``pct``.

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
        {"PARAMCD": x.code, "domain": x.domain, "weight": x.weight,
         "n_active": int(active.get(x.code, 0)), "n": n, "pct": 100 * active.get(x.code, 0) / n if n else np.nan}
        for x in d.SLEDAI_DESCRIPTORS
    ]
    return pd.DataFrame(rows)


def descriptor_summary(active: pd.DataFrame) -> dict[str, object]:
    """Which descriptors were active: how many, and the one active in the most subjects
    (ties: the heavier weight, then the instrument's order).

    Parameters
    ----------
    active : DataFrame
        From :func:`active_descriptors`.

    Returns
    -------
    dict
        ``n_descriptors_active`` (descriptors active in at least one subject), ``top``
        (the most frequent one's ``PARAMCD``; None when none was active), ``top_n``
        (subjects with it).

    Examples
    --------
    >>> active = pd.DataFrame({"PARAMCD": ["RASH", "ARTHRIT", "FEVER"], "weight": [2, 4, 1], "n_active": [3, 3, 0]})
    >>> descriptor_summary(active), descriptor_summary(active.assign(n_active=0))
    ({'n_descriptors_active': 2, 'top': 'ARTHRIT', 'top_n': 3}, {'n_descriptors_active': 0, 'top': None, 'top_n': 0})
    """
    n = int((active["n_active"] > 0).sum())
    if not n:
        return {"n_descriptors_active": 0, "top": None, "top_n": 0}
    top = active.sort_values(["n_active", "weight"], ascending=False, kind="stable").iloc[0]
    return {"n_descriptors_active": n, "top": str(top["PARAMCD"]), "top_n": int(top["n_active"])}


@dataclass(frozen=True)
class Variable:
    """A row block of a baseline table: a column, its label, and how to summarise it.

    ``kind``, ``levels`` and ``only_level`` say what :func:`summarize_baseline` computes;
    ``label``, ``unit``, ``digits``, ``level_labels`` and ``group`` say how
    :func:`helpers.present.tables.format_baseline` shows it.
    """

    column: str
    label: str
    kind: str = "continuous"  # or "categorical"
    unit: str = ""
    digits: int = 1
    levels: tuple | None = None  # categorical: order (and labels via ``level_labels``)
    level_labels: Mapping | None = None
    only_level: object = None  # categorical: show only this level (e.g. "Y" for a flag)
    group: str | None = None  # show under this heading, the label as the row (flags)

    def shown_levels(self, values: pd.Series) -> list:
        """The levels of a categorical variable to summarise, in order."""
        if self.only_level is not None:
            return [self.only_level]
        return list(self.levels) if self.levels is not None else sorted(values.dropna().unique().tolist())


def baseline_variables(columns: Sequence[str], extra: Sequence[Sequence[str]] = (),
                       instrument: str = "SLEDAI-2K") -> list[Variable]:
    """The rows of Table 1 for the columns a cohort has, in a fixed clinical order.

    Parameters
    ----------
    columns : sequence of str
        Columns of the subject-level frame (e.g. from :func:`baseline_disease`).
    extra : sequence of (column, label, kind)
        Cohort-specific additions (a chapter parameter), ``kind`` being
        ``"continuous"`` or ``"categorical"``.
    instrument : str
        The cohort's disease-activity instrument (``cohort.yml`` ``instrument``), which
        labels the baseline score.

    Returns
    -------
    list of Variable

    Examples
    --------
    >>> [v.column for v in baseline_variables(["AGE", "SEX", "CMHCQFL"])]
    ['AGE', 'SEX', 'CMHCQFL']
    """
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
        Variable("SLEDAIBL", instrument, digits=0),
        Variable("BILAGABL", "BILAG-2004 domains graded A", digits=0),
        Variable("BILAGBBL", "BILAG-2004 domains graded B", digits=0),
        Variable("PGABL", "Physician's Global Assessment (0-3)", digits=1),
        Variable("PREDBL", "Prednisone-equivalent dose", unit="mg/day"),
    ]
    known += [Variable(flag, drug, "categorical", only_level="Y", group="Concomitant drugs")
              for flag, drug in {**d.CONCOMITANT_DRUGS, **d.OPTIONAL_CONCOMITANT_DRUGS}.items()]
    known += [Variable(f"MF_{m.code}", m.label, "categorical", only_level="Y", group="Clinical manifestations")
              for m in d.MANIFESTATIONS]
    have = set(columns)
    out = [v for v in known if v.column in have]
    for item in extra:
        column, label, kind = (list(item) + ["continuous"])[:3]
        if column in have and all(v.column != column for v in out):
            out.append(Variable(column, label, kind))
    return out


#: The columns of :func:`summarize_baseline` after the arm.
BASELINE_STATISTICS: tuple[str, ...] = (
    "statistics", "n", "n_missing", "count", "mean", "sd", "median", "q1", "q3", "min", "max",
)

#: The statistics a baseline variable may show (``cohort.yml``
#: ``analysis.baseline_statistics``): ``csr`` (n, mean (SD), median, min-max, the
#: default of a continuous variable), ``mean_sd``, ``median_range``, ``median_iqr``;
#: ``n_pct`` for a categorical variable (its only choice, and its default).
CONTINUOUS_STATISTICS: tuple[str, ...] = ("csr", "mean_sd", "median_range", "median_iqr")

#: The between-arm test of a baseline variable for each choice of statistics
#: (:func:`helpers.stats.compare_baseline`): Welch's t-test where the table leads with a
#: mean, the Wilcoxon rank-sum test where it shows a median, Fisher's exact test for
#: counts.
BASELINE_TESTS: dict[str, str] = {"csr": "welch", "mean_sd": "welch", "median_range": "wilcoxon",
                                  "median_iqr": "wilcoxon", "n_pct": "fisher"}


def baseline_statistics(variables: Sequence[Variable], statistics: Mapping[str, str] | None = None) -> dict[str, str]:
    """The statistics each baseline variable shows: the analysis plan's choice
    (``statistics``), else ``csr`` for a continuous variable and ``n_pct`` for a
    categorical one. Pre-specified, never chosen from the data.

    Raises
    ------
    ValueError
        An unknown choice, ``n_pct`` for a continuous variable or a continuous summary
        for a categorical one.

    Examples
    --------
    >>> v = [Variable("AGE", "Age"), Variable("SEX", "Sex", "categorical"), Variable("PREDBL", "Prednisone")]
    >>> baseline_statistics(v, {"AGE": "mean_sd"})
    {'AGE': 'mean_sd', 'SEX': 'n_pct', 'PREDBL': 'csr'}
    """
    chosen = dict(statistics or {})
    out = {}
    for v in variables:
        default = "csr" if v.kind == "continuous" else "n_pct"
        code = chosen.get(v.column, default)
        allowed = CONTINUOUS_STATISTICS if v.kind == "continuous" else ("n_pct",)
        if code not in allowed:
            raise ValueError(f"baseline_statistics: {v.column} is {v.kind}; its statistics must be one of "
                             f"{list(allowed)}, got {code!r}")
        out[v.column] = code
    return out


def summarize_baseline(
    df: pd.DataFrame,
    variables: Sequence[Variable],
    arm: str,
    arms: Sequence[str],
    statistics: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Table 1's statistics: each variable summarised by arm and in total, with the
    statistics the analysis plan names for it.

    Parameters
    ----------
    df : DataFrame
        One row per subject with ``arm`` and every variable's column (a variable whose
        column is absent is left out).
    variables : sequence of Variable
    arm : str
    arms : sequence of str
        Arm order; with several, a ``Total`` over all subjects follows (a baseline table
        keeps its Total column, as clinical study reports do).
    statistics : mapping, optional
        Column -> a choice of :func:`baseline_statistics` (``cohort.yml``
        ``analysis.baseline_statistics``); unnamed variables get the default.

    Returns
    -------
    DataFrame
        One row per variable, level (categorical; missing for continuous) and arm (every
        arm, zeros included, then ``Total``): ``variable`` (the column), ``level``,
        ``arm``, ``statistics`` (the choice shown), ``n`` (continuous: subjects with a
        value; categorical: subjects in the arm), ``n_missing`` (continuous), ``count``
        (categorical: subjects at the level), ``mean``, ``sd``, ``median``, ``q1``,
        ``q3``, ``min``, ``max`` (continuous; quartiles as R's ``quantile(type = 7)``).
        Every statistic is computed; ``statistics`` says which the table shows.

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": ["A"] * 4, "AGE": [20.0, 30.0, 40.0, 50.0], "SEX": ["F", "F", "M", "F"]})
    >>> v = [Variable("AGE", "Age", unit="years"), Variable("SEX", "Sex", "categorical", levels=("F", "M"))]
    >>> summarize_baseline(df, v, "TRT01A", ["A"])[["variable", "level", "statistics", "n", "count", "mean", "sd"]].round(2)
      variable level statistics  n  count  mean     sd
    0      AGE   NaN        csr  4    NaN  35.0  12.91
    1      SEX     F      n_pct  4    3.0   NaN    NaN
    2      SEX     M      n_pct  4    1.0   NaN    NaN
    """
    present = [v for v in variables if v.column in df]
    chosen = baseline_statistics(present, statistics)
    stacked = with_total(df, arm, arms)
    rows: list[dict] = []
    for v in present:
        groups = {a: stacked.loc[stacked[arm] == a, v.column] for a in arms_and_total(arms)}
        if v.kind == "continuous":
            for a, s in groups.items():
                x = pd.to_numeric(s, errors="coerce")
                vals = x.dropna()
                some = len(vals) > 0
                rows.append({
                    "variable": v.column, "level": None, "arm": a, "statistics": chosen[v.column], "n": len(vals),
                    "n_missing": int(x.isna().sum()), "count": np.nan,
                    "mean": vals.mean() if some else np.nan, "sd": vals.std() if len(vals) > 1 else np.nan,
                    "median": vals.median() if some else np.nan, "q1": vals.quantile(0.25) if some else np.nan,
                    "q3": vals.quantile(0.75) if some else np.nan, "min": vals.min() if some else np.nan,
                    "max": vals.max() if some else np.nan,
                })
        else:
            for level in v.shown_levels(df[v.column]):
                for a, s in groups.items():
                    rows.append({"variable": v.column, "level": level, "arm": a, "statistics": "n_pct",
                                 "n": int(len(s)), "n_missing": np.nan, "count": int((s == level).sum())})
    return pd.DataFrame(rows, columns=["variable", "level", "arm", *BASELINE_STATISTICS])


def baseline_tests(
    df: pd.DataFrame,
    variables: Sequence[Variable],
    arm: str,
    arms: Sequence[str],
    statistics: Mapping[str, str] | None = None,
    requested: bool = True,
) -> pd.DataFrame:
    """Between-arm p values of Table 1, when the analysis plan asks for them
    (``analysis.baseline_tests``; CONSORT advises against them: in a randomized trial a
    baseline difference is by chance).

    Parameters
    ----------
    df, variables, arm, arms, statistics
        As for :func:`summarize_baseline`.
    requested : bool
        The plan's ``baseline_tests``; False gives an empty frame.

    Returns
    -------
    DataFrame
        One row per variable present: ``variable``, ``statistics``, ``test``
        (:data:`BASELINE_TESTS`), ``p_val``, ``method``. Empty (with the columns) when
        not requested or without exactly two arms (a test compares two).

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": ["A"] * 4 + ["B"] * 4, "AGE": [20.0, 30, 40, 50, 60, 25, 35, 45]})
    >>> t = baseline_tests(df, [Variable("AGE", "Age")], "TRT01A", ["A", "B"], {"AGE": "median_range"})
    >>> t[["test", "p_val"]].round(4)  # exact: 48 / 70 (R: wilcox.test(c(20, 30, 40, 50), c(60, 25, 35, 45)))
           test   p_val
    0  wilcoxon  0.6857
    """
    columns = ["variable", "statistics", "test", "p_val", "method"]
    present = [v for v in variables if v.column in df]
    if not requested or len(arms) != 2:
        return pd.DataFrame(columns=columns)
    chosen = baseline_statistics(present, statistics)
    rows = []
    for v in present:
        test = BASELINE_TESTS[chosen[v.column]]
        r = compare_baseline(df, v.column, arm, arms, test, level=v.only_level).iloc[0]
        rows.append({"variable": v.column, "statistics": chosen[v.column], "test": test, "p_val": float(r["p_val"]),
                     "method": r["method"]})
    return pd.DataFrame(rows, columns=columns)


def check_baseline(summary: pd.DataFrame, arms: Sequence[str]) -> None:
    """Checks a chapter runs on Table 1's statistics; raises ``ValueError``.

    Every variable has a row for every arm (and the total with several arms), and no
    category counts more subjects than its arm holds.
    """
    want = set(arms_and_total(arms))
    for variable, g in summary.groupby("variable", sort=False):
        missing = sorted(want - set(g["arm"]))
        if missing:
            raise ValueError(f"Table 1: variable {variable} lacks arms {missing}")
    if (summary["count"] > summary["n"]).any():
        raise ValueError("Table 1: a category counts more subjects than its arm holds")


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


#: Baseline variables also glued in another unit: column -> (name, factor). The randomized
#: trial's Table 1 gives disease duration in months; the table shows years.
BASELINE_RESCALED: dict[str, tuple[str, float]] = {"DURDISY": ("durdis_months", 12.0)}


def _name_part(x: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(x).lower()).strip("_")


def baseline_values(summary: pd.DataFrame, rescaled: Mapping[str, tuple[str, float]] | None = None) -> pd.DataFrame:
    """Every cell of Table 1 as one row per arm (and ``Total``) with a column per result
    name, what ``Chapter.glue_columns(frame, "{}", by="arm")`` glues.

    Names: ``baseline_<column>_<statistic>`` for a continuous variable (``n``, ``mean``,
    ``sd``, ``median``, ``q1``, ``q3``, ``min``, ``max``), ``baseline_<column>_<level>_count``
    and ``_pct`` for each level of a categorical one (lower case; a flag's level ``y``):
    ``baseline_weightbl_mean@IL-2``, ``baseline_sledaibl_max@Placebo``,
    ``baseline_cmhcqfl_y_count@IL-2``. ``rescaled`` (default :data:`BASELINE_RESCALED`)
    adds a variable in another unit (a linear rescaling of its mean, SD, median, quartiles
    and range): ``baseline_durdis_months_mean``.

    Parameters
    ----------
    summary : DataFrame
        From :func:`summarize_baseline`.

    Examples
    --------
    >>> s = pd.DataFrame({"variable": ["AGE", "SEX", "SEX"], "level": [None, "F", "M"], "arm": "A",
    ...                   "n": [4, 4, 4], "count": [None, 3, 1], "mean": [35.0, None, None], "sd": [12.9, None, None],
    ...                   "median": [35.0, None, None], "q1": [27.5, None, None], "q3": [42.5, None, None],
    ...                   "min": [20.0, None, None], "max": [50.0, None, None]})
    >>> v = baseline_values(s)
    >>> v[["arm", "baseline_age_mean", "baseline_sex_f_count", "baseline_sex_f_pct"]].values.tolist()
    [['A', 35.0, 3, 75.0]]
    """
    rescaled = BASELINE_RESCALED if rescaled is None else rescaled
    rows: dict[str, dict[str, object]] = {}
    stats_ = ("n", "mean", "sd", "median", "q1", "q3", "min", "max")
    for _, r in summary.iterrows():
        row = rows.setdefault(r["arm"], {"arm": r["arm"]})
        var = _name_part(r["variable"])
        if r["level"] is None or (isinstance(r["level"], float) and np.isnan(r["level"])):
            for s in stats_:
                row[f"baseline_{var}_{s}"] = int(r[s]) if s == "n" else r[s]
            if r["variable"] in rescaled:
                name, factor = rescaled[r["variable"]]
                for s in stats_[1:]:
                    row[f"baseline_{name}_{s}"] = r[s] * factor
        else:
            level = _name_part(r["level"])
            count = int(r["count"])
            row.setdefault(f"baseline_{var}_n", int(r["n"]))
            row[f"baseline_{var}_{level}_count"] = count
            row[f"baseline_{var}_{level}_pct"] = 100.0 * count / r["n"] if r["n"] else np.nan
    return pd.DataFrame(list(rows.values()))


def missing_baseline_columns(columns: Sequence[str], extra: Sequence[Sequence[str]]) -> list[str]:
    """The columns of ``extra`` baseline variables (the chapter parameter
    ``extra_baseline``) that the data do not hold, in the order asked.

    Examples
    --------
    >>> missing_baseline_columns(["AGE", "CRPBL"], [["CRPBL", "CRP"], ["ESRBL", "ESR", "continuous"]])
    ['ESRBL']
    """
    have = set(columns)
    return [str(item[0]) for item in extra if item and item[0] not in have]


def warn_missing_baseline(columns: Sequence[str], extra: Sequence[Sequence[str]], table: str = "adsl") -> list[str]:
    """Warn (``UserWarning``) naming every requested baseline variable the data lack,
    with the table and column, and return those columns: a row asked for is never
    dropped silently. The chapter also names them in the baseline table's footnote
    (:func:`helpers.present.prose.efficacy.missing_baseline_note`).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_missing_baseline(["AGE"], [["ESRBL", "ESR"]])
    ...     str(w[0].message)
    ['ESRBL']
    "extra_baseline: column ESRBL is not in adsl (nor derived from the cohort's tables); its row 'ESR' is left out of the baseline table"
    """
    import warnings

    missing = missing_baseline_columns(columns, extra)
    labels = {str(item[0]): str(item[1]) if len(item) > 1 else str(item[0]) for item in extra if item}
    for column in missing:
        warnings.warn(f"extra_baseline: column {column} is not in {table} (nor derived from the cohort's tables); "
                      f"its row {labels[column]!r} is left out of the baseline table", UserWarning, stacklevel=2)
    return missing


def baseline_p_values(tests: pd.DataFrame) -> dict[str, float]:
    """The between-arm p-values of Table 1 by name, ``baseline_<column>_p`` (from
    :func:`baseline_tests`; empty when the plan asks for none).

    Examples
    --------
    >>> baseline_p_values(pd.DataFrame({"variable": ["AGE", "CMHCQFL"], "p_val": [0.47, 1.0]}))
    {'baseline_age_p': 0.47, 'baseline_cmhcqfl_p': 1.0}
    """
    return {f"baseline_{_name_part(v)}_p": float(p) for v, p in zip(tests["variable"], tests["p_val"], strict=True)}
