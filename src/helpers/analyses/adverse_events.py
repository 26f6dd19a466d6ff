"""Adverse events: treatment-emergent events of the safety population, their overview,
incidence by class and term, maximum grade, reactions where the drug is given, and the
comparison of arms.

Every function takes the events already joined to the safety population (``events``:
``adae`` restricted to the subjects of the population, with their arm, as
:meth:`helpers.data.cohort.Cohort.with_population` returns it) and the population itself
(``population``: one row per subject, ``USUBJID`` and the arm, as
:meth:`~helpers.data.cohort.Cohort.population` returns it), which gives the
denominators. The arm variable and the treatment-emergent flag are arguments with the
ADaM names as defaults. A flag is set only when it is ``"Y"``; a blank flag means
``"N"`` (the CDISC pilot leaves records that are not flagged blank). An arm without
subjects keeps its rows, with zero counts and no percentage. With several arms every
summary also has a :data:`~helpers.analyses.arms.TOTAL` arm (all listed arms together).
An ``adae`` with its columns but no rows (a trial with no adverse events) gives the same
frames with zeros in every arm, never missing counts.

Frames are tidy and keyed by codes (``category``, ``section``, ``level``, ``grade``,
``course``); their labels and sentences are made in :mod:`helpers.present.safety` and
:mod:`helpers.present.prose.safety`. The building blocks :func:`arm_list`,
:func:`denominators`, :func:`tally_subjects` and :func:`percent_of` are shared with
:mod:`helpers.analyses.exposure` and :mod:`helpers.analyses.lab_toxicity`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.analyses.arms import TOTAL, arms_and_total, total_label, with_total
from helpers.derive import derive_course
from helpers.errors import require_columns
from helpers.stats import compare_rates

#: ``AEREL`` values counted as related to the study drug (compared without case).
RELATED_VALUES: tuple[str, ...] = (
    "RELATED", "PROBABLE", "POSSIBLE", "DEFINITE", "PROBABLY RELATED", "POSSIBLY RELATED", "Y",
)
#: ``AEACN`` values that mean the study drug was stopped because of the event.
DISCONTINUATION_VALUES: tuple[str, ...] = ("DRUG WITHDRAWN",)
#: ``AESEV`` as a grade, when the export has no CTCAE grade.
SEVERITY_GRADES: dict[str, int] = {"MILD": 1, "MODERATE": 2, "SEVERE": 3}
#: The grades of each grade scale: CTCAE grades 1 to 5, or the three severities.
GRADE_LEVELS: dict[str, tuple[int, ...]] = {"ctcae": (1, 2, 3, 4, 5), "severity": (1, 2, 3)}
#: The categories of the overview, in the order of its rows.
OVERVIEW_CATEGORIES: tuple[str, ...] = ("any", "related", "grade3plus", "serious", "discontinued", "fatal")
#: The category of the reactions of interest where rates are compared (:func:`combine_ae_counts`).
SITE_REACTION = "site_reaction"
#: The code a blank system organ class or preferred term takes in the summaries.
UNCODED = "(not coded)"
#: Internal stand-in for a missing grade or course in merge keys.
MISSING = -1


# ---------------------------------------------------------------------------------------
# building blocks (shared with exposure and lab_toxicity)


def arm_list(population: pd.DataFrame, arm: str, arms: Sequence[str] | None, where: str = "arm_list") -> list[str]:
    """``arms`` as strings, or the arms of ``population`` in order of first appearance.

    Raises
    ------
    ValueError
        ``population`` lacks ``arm`` (naming ``where``, the caller).

    Examples
    --------
    >>> arm_list(pd.DataFrame({"TRT01A": ["B", "A", "B", None]}), "TRT01A", None)
    ['B', 'A']
    >>> arm_list(pd.DataFrame({"TRT01A": ["B"]}), "TRT01A", ["A", "B"])
    ['A', 'B']
    """
    require_columns(population, [arm], where, "population")
    if arms is not None:
        return [str(a) for a in arms]
    return [str(a) for a in pd.unique(population[arm].dropna())]


def population_of(population: pd.DataFrame, arm: str, arms: Sequence[str], where: str) -> pd.DataFrame:
    """``USUBJID`` and ``arm`` of the subjects of ``population`` in ``arms``.

    Raises
    ------
    ValueError
        ``population`` lacks ``USUBJID`` or ``arm`` (naming ``where``, the caller).

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": ["A", "B", "C"], "AGE": 30})
    >>> population_of(pop, "TRT01A", ["A", "B"], "example")
      USUBJID TRT01A
    0       1      A
    1       2      B
    """
    require_columns(population, ["USUBJID", arm], where, "population")
    pop = population[["USUBJID", arm]]
    return pop[pop[arm].isin(arms)].reset_index(drop=True)


def denominators(population: pd.DataFrame, arm: str, arms: Sequence[str], where: str = "denominators") -> dict[str, int]:
    """Subjects of ``population`` in each arm and, with several arms, in
    :data:`~helpers.analyses.arms.TOTAL`.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": ["A", "A", "B"]})
    >>> denominators(pop, "TRT01A", ["A", "B", "C"])
    {'A': 2, 'B': 1, 'C': 0, 'Total': 3}
    """
    pop = population_of(population, arm, arms, where)
    n = {a: int((pop[arm] == a).sum()) for a in arms}
    if len(arms) > 1:
        n[TOTAL] = sum(n.values())
    return n


def percent_of(k: pd.Series, n: pd.Series) -> pd.Series:
    """``100 k / n``, missing where ``n`` is 0.

    Examples
    --------
    >>> percent_of(pd.Series([1, 0]), pd.Series([4, 0])).tolist()
    [25.0, nan]
    """
    k = k.astype("float64")
    n = n.astype("float64")
    return (100 * k / n.where(n > 0)).astype("float64")


def tally_subjects(
    events: pd.DataFrame, rows: pd.DataFrame, arm: str, arms: Sequence[str], n: Mapping[str, int]
) -> pd.DataFrame:
    """Subjects and events for every row of ``rows`` and every arm (then the total).

    Parameters
    ----------
    events : DataFrame
        One row per event: ``USUBJID``, ``arm`` and the key columns of ``rows``.
    rows : DataFrame
        The key combinations to count, in the order of the result.
    arm : str
    arms : sequence of str
    n : mapping
        Denominators by arm (and total), from :func:`denominators`.

    Returns
    -------
    DataFrame
        The key columns, the arm column, ``n_subjects`` (subjects with at least one
        event), ``n_events``, ``n`` and ``pct`` (100 n_subjects / n): one row per key
        combination and arm, zeros included.

    Examples
    --------
    >>> ev = pd.DataFrame({"USUBJID": ["1", "1", "2"], "TRT01A": ["A", "A", "B"], "term": ["x", "x", "y"]})
    >>> tally_subjects(ev, pd.DataFrame({"term": ["x", "y"]}), "TRT01A", ["A", "B"], {"A": 2, "B": 2, "Total": 4})
      term TRT01A  n_subjects  n_events  n   pct
    0    x      A           1         2  2  50.0
    1    x      B           0         0  2   0.0
    2    x  Total           1         2  4  25.0
    3    y      A           0         0  2   0.0
    4    y      B           1         1  2  50.0
    5    y  Total           1         1  4  25.0
    """
    keys = list(rows.columns)
    cols = arms_and_total(arms)
    ev = with_total(events[events[arm].isin(arms)], arm, arms)
    if len(ev):
        counts = (
            ev.groupby([*keys, arm], sort=False)
            .agg(n_subjects=("USUBJID", "nunique"), n_events=("USUBJID", "size"))
            .reset_index()
        )
    else:
        counts = pd.DataFrame({**{k: rows[k].iloc[:0] for k in keys}, arm: pd.Series(dtype="str"),
                               "n_subjects": pd.Series(dtype="int64"), "n_events": pd.Series(dtype="int64")})
    grid = rows.assign(_row=np.arange(len(rows))).merge(
        pd.DataFrame({arm: cols, "_col": np.arange(len(cols))}), how="cross"
    )
    out = grid.merge(counts, on=[*keys, arm], how="left").sort_values(["_row", "_col"], kind="stable")
    out["n_subjects"] = out["n_subjects"].fillna(0).astype("int64")
    out["n_events"] = out["n_events"].fillna(0).astype("int64")
    out["n"] = out[arm].map(n).astype("int64")
    out["pct"] = percent_of(out["n_subjects"], out["n"])
    return out.drop(columns=["_row", "_col"]).reset_index(drop=True)


def _text(s: pd.Series) -> pd.Series:
    """Stripped upper-case text, ``""`` for a missing value."""
    return s.astype("object").where(s.notna(), "").astype("str").str.strip().str.upper()


def _flag(s: pd.Series) -> pd.Series:
    """``True`` where a Y/N flag is ``"Y"``; blank or missing counts as ``"N"``."""
    return _text(s) == "Y"


def _recorded(df: pd.DataFrame, column: str | None) -> bool:
    """Whether ``column`` exists and holds at least one value that is not blank.

    A column of a table without rows counts as recorded: no event lacks the value, so
    its counts are zeros, not "not recorded" (a trial with no adverse events).
    """
    if column is None or column not in df.columns:
        return False
    if not len(df):
        return True
    s = df[column]
    if pd.api.types.is_numeric_dtype(s):
        return bool(s.notna().any())
    return bool((_text(s) != "").any())


def _order_by_total(tallied: pd.DataFrame, key: str, arm: str, arms: Sequence[str]) -> list:
    """Values of ``key`` by descending subjects in the total, then by name."""
    tot = tallied[tallied[arm] == total_label(arms)]
    tot = tot.assign(_name=tot[key].astype("str")).sort_values(["n_subjects", "_name"], ascending=[False, True], kind="stable")
    return list(tot[key])


def _coded(s: pd.Series) -> pd.Series:
    text = s.astype("object").where(s.notna(), "").astype("str").str.strip()
    return text.where(text != "", UNCODED)


# ---------------------------------------------------------------------------------------
# grades


def compute_ae_grade(values: pd.Series) -> pd.Series:
    """Adverse-event grades as numbers: a CTCAE grade (1 to 5) or a severity.

    Parameters
    ----------
    values : Series
        ``AETOXGR`` (numbers, or text ``"1"`` to ``"5"``) or ``AESEV`` (``MILD``,
        ``MODERATE``, ``SEVERE``, any case).

    Returns
    -------
    Series of float
        1 to 5; missing where the value is blank. Severity maps MILD to 1, MODERATE to
        2 and SEVERE to 3, so that "grade 3 or more" means "severe".

    Raises
    ------
    ValueError
        A value that is neither a grade 1 to 5 nor a severity, naming the values.

    Examples
    --------
    >>> compute_ae_grade(pd.Series([1, 3, None])).tolist()
    [1.0, 3.0, nan]
    >>> compute_ae_grade(pd.Series(["MILD", "severe", ""])).tolist()
    [1.0, 3.0, nan]
    """
    if pd.api.types.is_numeric_dtype(values):
        grade = values.astype("float64")
        bad = grade.notna() & ~grade.isin([1.0, 2.0, 3.0, 4.0, 5.0])
        shown = sorted(set(grade[bad].tolist()))
    else:
        text = _text(values)
        mapping = {**{str(g): float(g) for g in range(1, 6)}, **{k: float(v) for k, v in SEVERITY_GRADES.items()}}
        grade = text.map(mapping).astype("float64")
        bad = grade.isna() & (text != "")
        shown = sorted(set(text[bad].tolist()))
    if bad.any():
        raise ValueError(
            f"compute_ae_grade: {values.name or 'the grade'} holds {shown} in rows "
            f"{[int(i) + 1 for i in values.index[bad][:10]]}; expected a CTCAE grade 1 to 5 or MILD, MODERATE, SEVERE"
        )
    return grade


def grade_scale(values: pd.Series) -> str:
    """The grade scale of a grade column: ``"severity"`` when every value is a
    severity (or, without values, when the column is a severity, ``*SEV``), else
    ``"ctcae"``.

    Examples
    --------
    >>> grade_scale(pd.Series(["MILD", "SEVERE"])), grade_scale(pd.Series([1, 2]))
    ('severity', 'ctcae')
    >>> grade_scale(pd.Series([], dtype="str", name="AESEV"))
    'severity'
    """
    if not pd.api.types.is_numeric_dtype(values):
        text = _text(values)
        text = text[text != ""]
        if len(text) and text.isin(list(SEVERITY_GRADES)).all():
            return "severity"
        if not len(text) and str(values.name or "").upper().endswith("SEV"):
            return "severity"
    return "ctcae"


def ae_grade_scale(events: pd.DataFrame, grade_var: str = "AETOXGR") -> str:
    """The scale of ``grade_var`` in ``events`` (:func:`grade_scale`); ``"ctcae"`` when
    the column is absent.

    Examples
    --------
    >>> ae_grade_scale(pd.DataFrame({"AESEV": ["MILD"]}), "AESEV"), ae_grade_scale(pd.DataFrame(), "AETOXGR")
    ('severity', 'ctcae')
    """
    return grade_scale(events[grade_var]) if grade_var in events.columns else "ctcae"


# ---------------------------------------------------------------------------------------
# events and records


def derive_teae(events: pd.DataFrame, teae_flag: str | None = "TRTEMFL") -> pd.DataFrame:
    """The treatment-emergent events among ``events``.

    Parameters
    ----------
    events : DataFrame
        Adverse events of the safety population with ``USUBJID`` (and ``teae_flag``).
    teae_flag : str or None
        Treatment-emergent flag (``"Y"``; blank means no); ``None`` keeps every event.

    Returns
    -------
    DataFrame
        The rows of ``events`` flagged treatment-emergent, in their order.

    Raises
    ------
    ValueError
        ``events`` lacks ``USUBJID`` or the flag.

    Examples
    --------
    >>> ev = pd.DataFrame({"USUBJID": ["1", "2", "1"], "TRT01A": "A", "TRTEMFL": ["Y", "", "Y"]})
    >>> derive_teae(ev)["USUBJID"].tolist(), len(derive_teae(ev, None))
    (['1', '1'], 3)
    """
    require_columns(events, ["USUBJID"], "derive_teae", "adae")
    if teae_flag is None:
        return events.reset_index(drop=True)
    if teae_flag not in events.columns:
        raise ValueError(
            f"derive_teae: adae has no treatment-emergent flag {teae_flag!r}; pass teae_flag=None to count every event"
        )
    return events[_flag(events[teae_flag])].reset_index(drop=True)


def summarize_safety_population(population: pd.DataFrame, arm: str = "TRT01A", arms: Sequence[str] | None = None) -> pd.DataFrame:
    """Subjects of the safety population per arm (the denominators of every summary).

    Returns
    -------
    DataFrame
        The arm column (arms in order, then ``Total`` with several arms) and ``n``.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": ["A", "A"]})
    >>> summarize_safety_population(pop, arms=["A", "B"])
      TRT01A  n
    0      A  2
    1      B  0
    2  Total  2
    """
    arms = arm_list(population, arm, arms, "summarize_safety_population")
    n = denominators(population, arm, arms, "summarize_safety_population")
    return pd.DataFrame({arm: list(n), "n": list(n.values())})


def summarize_ae_records(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Adverse events recorded for the safety population, and how many of them are
    flagged treatment-emergent.

    Parameters
    ----------
    events, population : DataFrame
        See the module's description.
    arm : str
    arms : sequence of str, optional
        Arms in display order (default: order of first appearance in ``population``).
    teae_flag : str or None
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        The arm column (arms in order, then ``Total`` with several arms),
        ``n_records`` (every adverse event of the arm, whether treatment-emergent or
        not), ``n_teae`` (those flagged treatment-emergent; all of them when
        ``teae_flag`` is ``None``) and ``n`` (subjects of the safety population). No
        events (a trial with no adverse events) gives zeros.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": ["A", "A", "B"]})
    >>> ev = pd.DataFrame({"USUBJID": ["1", "1", "2"], "TRT01A": "A", "TRTEMFL": ["Y", "", "Y"]})
    >>> summarize_ae_records(ev, pop, arms=["A", "B"])
      TRT01A  n_records  n_teae  n
    0      A          3       2  2
    1      B          0       0  1
    2  Total          3       2  3
    >>> summarize_ae_records(ev.iloc[:0], pop, arms=["A", "B"])["n_records"].tolist()
    [0, 0, 0]
    """
    arms = arm_list(population, arm, arms, "summarize_ae_records")
    n = denominators(population, arm, arms, "summarize_ae_records")
    require_columns(events, ["USUBJID", arm], "summarize_ae_records", "adae")
    every = derive_teae(events, None)
    te = derive_teae(events, teae_flag)
    every, te = every[every[arm].isin(arms)], te[te[arm].isin(arms)]
    rows = [
        {arm: a, "n_records": len(every) if a == TOTAL else int((every[arm] == a).sum()),
         "n_teae": len(te) if a == TOTAL else int((te[arm] == a).sum()), "n": n[a]}
        for a in arms_and_total(arms)
    ]
    return pd.DataFrame(rows, columns=[arm, "n_records", "n_teae", "n"]).astype(
        {"n_records": "int64", "n_teae": "int64", "n": "int64"})


def no_adverse_events(records: pd.DataFrame, arm: str, arms: Sequence[str]) -> bool:
    """Whether the safety population has no adverse event at all, from
    :func:`summarize_ae_records`.

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A"], "n_records": [0], "n_teae": [0], "n": [5]})
    >>> no_adverse_events(r, "TRT01A", ["A"]), no_adverse_events(r.assign(n_records=2), "TRT01A", ["A"])
    (True, False)
    """
    return total_value(records, "n_records", arm, arms) == 0


def total_value(summary: pd.DataFrame, column: str, arm: str, arms: Sequence[str]) -> object:
    """The value of ``column`` over all subjects: in the ``Total`` row with several arms,
    else in the arm's row.

    Raises
    ------
    ValueError
        ``summary`` has not exactly one such row.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": ["A", "B", "Total"], "n_records": [1, 2, 3]})
    >>> total_value(s, "n_records", "TRT01A", ["A", "B"]), total_value(s, "n_records", "TRT01A", ["B"])
    (3, 2)
    """
    rows = summary[summary[arm] == total_label(arms)]
    if len(rows) != 1:
        raise ValueError(f"total_value: {len(rows)} rows for {total_label(arms)!r} in column {arm!r}, expected one")
    value = rows[column].iloc[0]
    return value.item() if isinstance(value, np.generic) else value


def rates_by_arm(summary: pd.DataFrame, arm: str, **match: object) -> pd.DataFrame:
    """The rows of ``summary`` matching ``match`` (one per arm and the total), with
    ``rate`` = pct / 100: what a chapter glues per arm.

    Examples
    --------
    >>> s = pd.DataFrame({"section": ["any", "any", "course"], "TRT01A": ["A", "Total", "A"],
    ...                   "n_subjects": [1, 1, 1], "pct": [50.0, 50.0, 50.0]})
    >>> rates_by_arm(s, "TRT01A", section="any")[["TRT01A", "n_subjects", "rate"]]
      TRT01A  n_subjects  rate
    0      A           1   0.5
    1  Total           1   0.5
    """
    rows = summary
    for column, value in match.items():
        rows = rows[rows[column] == value]
    return rows.assign(rate=rows["pct"] / 100).reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# overview


def summarize_teae_overview(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    teae_flag: str | None = "TRTEMFL",
    related_values: Sequence[str] = RELATED_VALUES,
    discontinuation_values: Sequence[str] = DISCONTINUATION_VALUES,
) -> pd.DataFrame:
    """Overview of treatment-emergent adverse events: subjects and events per category.

    Parameters
    ----------
    events, population : DataFrame
        See the module's description.
    arm : str
        Arm variable.
    arms : sequence of str, optional
        Arms in display order (default: order of first appearance in ``population``).
    grade_var : str
        ``AETOXGR`` (CTCAE grade) or ``AESEV`` (severity, SEVERE counting as grade 3).
    teae_flag : str or None
        See :func:`derive_teae`.
    related_values : sequence of str
        ``AEREL`` values counted as related (compared without case).
    discontinuation_values : sequence of str
        ``AEACN`` values meaning that the study drug was withdrawn.

    Returns
    -------
    DataFrame
        One row per category and arm (then ``Total``): ``category`` (``any``,
        ``related``, ``grade3plus``, ``serious``, ``discontinued``, ``fatal``),
        ``criterion`` (the rule, in variables), the arm column, ``recorded`` (False
        when the export lacks what the row needs), ``n_subjects`` and ``n_events``
        (``Int64``, missing when not recorded), ``n`` (safety population) and ``pct``
        (100 n_subjects / n).

    Notes
    -----
    A row is not recorded when the column it needs is absent, or, for the text columns
    ``AEREL``, ``AEACN``, ``AEOUT`` and the grade, blank in every event (no events at
    all have nothing blank: their rows are zeros). A blank ``AESER`` or ``AESDTH``
    means "N". An event is fatal when ``AEOUT`` is ``FATAL``, ``AESDTH`` is ``Y`` or its
    CTCAE grade is 5.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "TRT01A": ["A", "A", "B", "B"]})
    >>> ev = pd.DataFrame({"USUBJID": ["1", "1", "3"], "TRT01A": ["A", "A", "B"], "AETOXGR": [1, 3, 2],
    ...                    "AESER": ["N", "Y", ""], "AEREL": ["RELATED", "", "NOT RELATED"], "TRTEMFL": "Y"})
    >>> s = summarize_teae_overview(ev, pop, arms=["A", "B"])
    >>> s[s["TRT01A"] == "A"][["category", "n_subjects", "n_events", "pct"]]
            category  n_subjects  n_events   pct
    0            any           1         2  50.0
    3        related           1         1  50.0
    6     grade3plus           1         1  50.0
    9        serious           1         1  50.0
    12  discontinued        <NA>      <NA>   NaN
    15         fatal           0         0   0.0
    """
    arms = arm_list(population, arm, arms, "summarize_teae_overview")
    n = denominators(population, arm, arms, "summarize_teae_overview")
    require_columns(events, ["USUBJID", arm], "summarize_teae_overview", "adae")
    te = derive_teae(events, teae_flag)
    ctcae = ae_grade_scale(events, grade_var) == "ctcae"
    grade_ok = _recorded(events, grade_var)
    grade = compute_ae_grade(te[grade_var]) if grade_ok else pd.Series(np.nan, index=te.index)
    everything = pd.Series(True, index=te.index)
    nothing = pd.Series(False, index=te.index)

    rel = [str(v).strip().upper() for v in related_values]
    disc = [str(v).strip().upper() for v in discontinuation_values]
    fatal, fatal_rule = nothing.copy(), []
    if _recorded(events, "AEOUT"):
        fatal |= _text(te["AEOUT"]) == "FATAL"
        fatal_rule.append("AEOUT = FATAL")
    if "AESDTH" in events.columns:
        fatal |= _flag(te["AESDTH"])
        fatal_rule.append("AESDTH = Y")
    if grade_ok and ctcae:
        fatal |= grade == 5
        fatal_rule.append(f"{grade_var} = 5")
    rows = [
        ("any", "every treatment-emergent event" if teae_flag else "every event", True, everything),
        ("related", f"AEREL in {', '.join(rel)}", _recorded(events, "AEREL"),
         _text(te["AEREL"]).isin(rel) if "AEREL" in te else nothing),
        ("grade3plus", f"{grade_var} >= 3" if ctcae else f"{grade_var} = SEVERE", grade_ok, grade >= 3),
        ("serious", "AESER = Y", "AESER" in events.columns, _flag(te["AESER"]) if "AESER" in te else nothing),
        ("discontinued", f"AEACN in {', '.join(disc)}", _recorded(events, "AEACN"),
         _text(te["AEACN"]).isin(disc) if "AEACN" in te else nothing),
        ("fatal", " or ".join(fatal_rule) or "AEOUT, AESDTH or a CTCAE grade", bool(fatal_rule), fatal),
    ]
    parts = []
    for category, criterion, recorded, mask in rows:
        ev = te.loc[mask.to_numpy(dtype=bool), ["USUBJID", arm]].assign(category=category)
        part = tally_subjects(ev, pd.DataFrame({"category": [category]}), arm, arms, n)
        part.insert(1, "criterion", criterion)
        part.insert(3, "recorded", recorded)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for col in ("n_subjects", "n_events"):
        out[col] = out[col].astype("Int64").where(out["recorded"], pd.NA)
    out["pct"] = out["pct"].where(out["recorded"])
    return out


def overview_by_arm(overview: pd.DataFrame, arm: str) -> pd.DataFrame:
    """The overview (:func:`summarize_teae_overview`) with one row per arm (then the
    total): for each category, ``<category>_subjects``, ``<category>_events``
    (``Int64``, missing when not recorded) and ``<category>_rate`` (pct / 100).

    Examples
    --------
    >>> o = pd.DataFrame({"category": ["any", "any", "fatal", "fatal"], "TRT01A": ["A", "B"] * 2,
    ...                   "n_subjects": pd.array([1, 2, pd.NA, pd.NA], dtype="Int64"),
    ...                   "n_events": pd.array([1, 3, pd.NA, pd.NA], dtype="Int64"), "pct": [50.0, 100.0, None, None]})
    >>> overview_by_arm(o, "TRT01A")[["TRT01A", "any_subjects", "any_rate", "fatal_subjects"]]
      TRT01A  any_subjects  any_rate  fatal_subjects
    0      A             1       0.5            <NA>
    1      B             2       1.0            <NA>
    """
    out = pd.DataFrame({arm: pd.unique(overview[arm])})
    for category in pd.unique(overview["category"]):
        rows = overview[overview["category"] == category]
        rows = rows.assign(rate=rows["pct"] / 100)
        values = rows[[arm, "n_subjects", "n_events", "rate"]].rename(columns={
            "n_subjects": f"{category}_subjects", "n_events": f"{category}_events", "rate": f"{category}_rate"})
        out = out.merge(values, on=arm, how="left")
    for col in out.columns:
        if col.endswith(("_subjects", "_events")):
            out[col] = out[col].astype("Int64")
    return out


# ---------------------------------------------------------------------------------------
# incidence by class and term


def summarize_ae_incidence(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    soc: str | None = "AEBODSYS",
    term: str = "AEDECOD",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Treatment-emergent adverse events by system organ class and preferred term.

    Parameters
    ----------
    events, population : DataFrame
    arm, arms : see :func:`summarize_teae_overview`
    soc : str or None
        System organ class column; ``None`` gives preferred terms only.
    term : str
        Preferred term column.
    teae_flag : str or None
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        ``level`` (``any``, ``soc``, ``term``), ``soc`` and ``term`` (``""`` above their
        level; a blank code is :data:`UNCODED`), the arm column, ``n_subjects`` (each
        subject counted once per row), ``n_events`` (every event), ``n`` and ``pct``.
        Rows: any event first, then classes by descending subjects in the total (ties
        by name), each followed by its terms in the same order; every arm on every row,
        zeros included.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": "A"})
    >>> ev = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "TRT01A": "A", "AEBODSYS": ["Gen", "Gen", "Gen", "Inf"],
    ...                    "AEDECOD": ["Pyrexia", "Pyrexia", "Fatigue", "Influenza"], "TRTEMFL": "Y"})
    >>> summarize_ae_incidence(ev, pop)[["level", "soc", "term", "n_subjects", "n_events"]]
      level  soc       term  n_subjects  n_events
    0   any                           3         4
    1   soc  Gen                      2         3
    2  term  Gen    Fatigue           1         1
    3  term  Gen    Pyrexia           1         2
    4   soc  Inf                      1         1
    5  term  Inf  Influenza           1         1
    """
    arms = arm_list(population, arm, arms, "summarize_ae_incidence")
    n = denominators(population, arm, arms, "summarize_ae_incidence")
    require_columns(events, ["USUBJID", arm] + [c for c in (soc, term) if c], "summarize_ae_incidence", "adae")
    te = derive_teae(events, teae_flag)
    ev = pd.DataFrame({
        "USUBJID": te["USUBJID"], arm: te[arm],
        "soc": _coded(te[soc]) if soc else "", "term": _coded(te[term]),
    })
    any_row = tally_subjects(ev.assign(level="any", soc="", term=""),
                             pd.DataFrame({"level": ["any"], "soc": [""], "term": [""]}), arm, arms, n)
    pairs = ev[["soc", "term"]].drop_duplicates()
    terms = tally_subjects(ev.assign(level="term"), pairs.assign(level="term")[["level", "soc", "term"]], arm, arms, n)
    parts = [any_row]
    if soc:
        socs = ev[["soc"]].drop_duplicates()
        by_soc = tally_subjects(ev.assign(level="soc", term=""), socs.assign(level="soc", term="")[["level", "soc", "term"]],
                                arm, arms, n)
        for s in _order_by_total(by_soc, "soc", arm, arms):
            parts.append(by_soc[by_soc["soc"] == s])
            t = terms[terms["soc"] == s]
            for name in _order_by_total(t, "term", arm, arms):
                parts.append(t[t["term"] == name])
    else:
        for name in _order_by_total(terms, "term", arm, arms):
            parts.append(terms[terms["term"] == name])
    return pd.concat(parts, ignore_index=True)


def summarize_top_terms(
    incidence: pd.DataFrame, arm: str, arms: Sequence[str], top: int | None = None
) -> pd.DataFrame:
    """The preferred terms of :func:`summarize_ae_incidence` by descending incidence
    over all subjects (the ``Total`` arm with several arms, else the arm).

    Parameters
    ----------
    incidence : DataFrame
        From :func:`summarize_ae_incidence`.
    arm : str
    arms : sequence of str
    top : int, optional
        Keep the first ``top`` rows.

    Returns
    -------
    DataFrame
        The ``term`` rows of ``incidence`` in the total with at least one subject, every
        column kept, sorted by descending ``n_subjects`` then by term (across classes,
        unlike ``incidence``, which sorts terms within their class); no rows when no
        event is treatment-emergent.

    Examples
    --------
    >>> inc = pd.DataFrame({"level": ["any", "soc", "term", "soc", "term", "term"],
    ...                     "soc": ["", "Gen", "Gen", "Inf", "Inf", "Inf"],
    ...                     "term": ["", "", "Pyrexia", "", "Influenza", "Cold"],
    ...                     "TRT01A": "A", "n_subjects": [4, 2, 2, 3, 3, 0]})
    >>> summarize_top_terms(inc, "TRT01A", ["A"])[["soc", "term", "n_subjects"]]
       soc       term  n_subjects
    0  Inf  Influenza           3
    1  Gen    Pyrexia           2
    """
    terms = incidence[(incidence["level"] == "term") & (incidence[arm] == total_label(arms))
                      & (incidence["n_subjects"] > 0)]
    terms = terms.assign(_name=terms["term"].astype("str")).sort_values(
        ["n_subjects", "_name"], ascending=[False, True], kind="stable").drop(columns="_name")
    terms = terms.reset_index(drop=True)
    return terms if top is None else terms.head(top)


def count_reported(incidence: pd.DataFrame, arm: str, arms: Sequence[str]) -> dict[str, int]:
    """How many system organ classes and preferred terms were reported
    (:func:`summarize_ae_incidence`): ``{"n_soc": ..., "n_terms": ...}``, the terms
    being those of :func:`summarize_top_terms`.

    Examples
    --------
    >>> inc = pd.DataFrame({"level": ["any", "soc", "term", "term"], "soc": ["", "Gen", "Gen", "Gen"],
    ...                     "term": ["", "", "Pyrexia", "Fatigue"], "TRT01A": "A", "n_subjects": [3, 3, 2, 1]})
    >>> count_reported(inc, "TRT01A", ["A"])
    {'n_soc': 1, 'n_terms': 2}
    """
    n_soc = int(incidence.loc[incidence["level"] == "soc", "soc"].nunique())
    return {"n_soc": n_soc, "n_terms": len(summarize_top_terms(incidence, arm, arms))}


# ---------------------------------------------------------------------------------------
# maximum grade


def summarize_ae_max_grade(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    soc: str | None = None,
    term: str = "AEDECOD",
    terms: Sequence[str] | None = None,
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Subjects by the maximum grade of their treatment-emergent adverse events.

    Parameters
    ----------
    events, population : DataFrame
    arm, arms : see :func:`summarize_teae_overview`
    grade_var : str
        ``AETOXGR`` (CTCAE grades 1 to 5) or ``AESEV`` (mild, moderate, severe).
    soc : str, optional
        System organ class column: adds one block per class after the block of all
        events, each subject counted at their worst grade within the class.
    term : str
        Preferred term column, used with ``terms``.
    terms : sequence of str, optional
        Count only these preferred terms (compared without case).
    teae_flag : str or None
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        ``level`` (``any`` or ``soc``), ``soc`` (``""`` for all events), ``grade``
        (``Int64``: the grades of the scale, :data:`GRADE_LEVELS`; missing for subjects
        whose events have no grade), the arm column, ``n_subjects``, ``n`` and ``pct``.
        Every grade of the scale appears in every block; the missing grade only when a
        subject has it. Classes come in order of descending subjects in the total.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "TRT01A": "A"})
    >>> ev = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "TRT01A": "A",
    ...                    "AESEV": ["MILD", "SEVERE", "MILD", "MODERATE"], "TRTEMFL": "Y"})
    >>> summarize_ae_max_grade(ev, pop, grade_var="AESEV")[["grade", "n_subjects", "pct"]]
       grade  n_subjects   pct
    0      1           1  25.0
    1      2           1  25.0
    2      3           1  25.0
    """
    arms = arm_list(population, arm, arms, "summarize_ae_max_grade")
    n = denominators(population, arm, arms, "summarize_ae_max_grade")
    require_columns(events, ["USUBJID", arm] + [c for c in (soc,) if c] + ([term] if terms is not None else []),
                    "summarize_ae_max_grade", "adae")
    te = derive_teae(events, teae_flag)
    if terms is not None:
        te = te[_text(te[term]).isin([str(t).strip().upper() for t in terms])]
    levels = list(GRADE_LEVELS[ae_grade_scale(events, grade_var)])
    grade = compute_ae_grade(te[grade_var]) if _recorded(events, grade_var) else pd.Series(np.nan, index=te.index)
    ev = pd.DataFrame({"USUBJID": te["USUBJID"], arm: te[arm], "grade": grade.fillna(MISSING).astype("int64"),
                       "soc": _coded(te[soc]) if soc else ""})
    # a subject's worst grade; a missing grade only counts when no event has one
    ev["_rank"] = ev["grade"].where(ev["grade"] != MISSING, 0)
    blocks = [("any", "")] + ([("soc", s) for s in ev["soc"].drop_duplicates()] if soc else [])
    ungraded = False
    tallies = {}
    for level, name in blocks:
        sub = ev if level == "any" else ev[ev["soc"] == name]
        worst = sub.sort_values("_rank", kind="stable").groupby("USUBJID", sort=False).tail(1)
        worst = worst.assign(level=level, soc=name)[["USUBJID", arm, "level", "soc", "grade"]]
        ungraded |= bool((worst["grade"] == MISSING).any())
        tallies[(level, name)] = worst
    parts = []
    for (level, name), worst in tallies.items():
        grades = levels + ([MISSING] if ungraded else [])
        rows = pd.DataFrame({"level": level, "soc": name, "grade": grades})
        parts.append(tally_subjects(worst, rows, arm, arms, n))
    out = pd.concat(parts, ignore_index=True)
    if soc:
        per_soc = out[(out["level"] == "soc")].groupby(["soc", arm], sort=False)["n_subjects"].sum().reset_index()
        order = _order_by_total(per_soc, "soc", arm, arms)
        rank = {name: i for i, name in enumerate(["", *order])}
        out = out.assign(_b=out["soc"].map(rank)).sort_values("_b", kind="stable").drop(columns="_b")
    out["grade"] = out["grade"].astype("Int64").where(out["grade"] != MISSING, pd.NA)
    cols = ["level", "soc", "grade", arm, "n_subjects", "n", "pct"]
    return out[cols].reset_index(drop=True)


def worst_grade(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> int | None:
    """The highest grade any subject reached, from :func:`summarize_ae_max_grade` (its
    block of all events) or the grade rows of :func:`summarize_site_reactions`;
    ``None`` when no subject had a graded event.

    Examples
    --------
    >>> s = pd.DataFrame({"grade": pd.array([1, 2, 3], dtype="Int64"), "TRT01A": "A", "n_subjects": [4, 1, 0]})
    >>> worst_grade(s, "TRT01A", ["A"]), worst_grade(s.assign(n_subjects=0), "TRT01A", ["A"])
    (2, None)
    """
    rows = summary[(summary[arm] == total_label(arms)) & (summary["n_subjects"] > 0) & summary["grade"].notna()]
    if "section" in rows.columns:
        rows = rows[rows["section"] == "grade"]
    if "level" in rows.columns:
        rows = rows[rows["level"] == "any"]
    if not len(rows):
        return None
    return int(rows["grade"].max())


# ---------------------------------------------------------------------------------------
# reactions where the drug is given


def summarize_site_reactions(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    term: str = "AEDECOD",
    day: str = "ASTDY",
    terms: Sequence[str] = (d.INJECTION_SITE_REACTION,),
    courses: Sequence = (),
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Reactions at the injection (or application) site: how many subjects, in which
    treatment course, how severe.

    Parameters
    ----------
    events, population : DataFrame
    arm, arms : see :func:`summarize_teae_overview`
    grade_var : str
        ``AETOXGR`` or ``AESEV``.
    term : str
        Preferred term column.
    day : str
        Study day of onset, which places an event in a course.
    terms : sequence of str
        The preferred terms of interest (compared without case).
    courses : sequence of helpers.data.config.Course
        Treatment courses as study-day windows; without them there are no course rows.
    teae_flag : str or None
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        ``section`` (``any``; ``term``, one row per term of interest when there are
        several; ``course``; ``grade``, subjects by their worst grade), ``term`` (the
        preferred term of a ``term`` row as the data spell it, ``""`` elsewhere),
        ``course`` (``Int64``: the course number, 0 outside every course, missing when
        the study day is not recorded) and ``grade`` (``Int64``, missing for subjects
        whose reactions have no grade), the arm column, ``n_subjects``, ``n_events``
        (missing in the grade rows), ``n`` and ``pct``. Course rows hold every course,
        then 0 and the missing day when an event falls there.

    Examples
    --------
    >>> from helpers.data.config import Course
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "TRT01A": "A"})
    >>> ev = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "TRT01A": "A", "TRTEMFL": "Y",
    ...                    "AEDECOD": ["Injection site reaction", "Injection site reaction", "Pyrexia",
    ...                                "injection site reaction"],
    ...                    "AETOXGR": [1, 2, 1, 1], "ASTDY": [2, 30, 3, 4]})
    >>> s = summarize_site_reactions(ev, pop, courses=[Course(1, 1, 28), Course(2, 29, 56)])
    >>> s[["section", "course", "grade", "n_subjects", "n_events"]]
      section  course  grade  n_subjects  n_events
    0     any    <NA>   <NA>           2         3
    1  course       1   <NA>           2         2
    2  course       2   <NA>           1         1
    3   grade    <NA>      1           1      <NA>
    4   grade    <NA>      2           1      <NA>
    5   grade    <NA>      3           0      <NA>
    6   grade    <NA>      4           0      <NA>
    7   grade    <NA>      5           0      <NA>
    """
    arms = arm_list(population, arm, arms, "summarize_site_reactions")
    n = denominators(population, arm, arms, "summarize_site_reactions")
    require_columns(events, ["USUBJID", arm, term], "summarize_site_reactions", "adae")
    wanted = [str(t).strip().upper() for t in terms]
    te = derive_teae(events, teae_flag)
    te = te[_text(te[term]).isin(wanted)].reset_index(drop=True)
    base = te[["USUBJID", arm]]
    parts = [tally_subjects(base.assign(section="any"), pd.DataFrame({"section": ["any"]}), arm, arms, n)
             .assign(term="", course=MISSING, grade=MISSING)]
    if len(wanted) > 1:
        names = te[term].astype("str").str.strip()
        by_term = tally_subjects(base.assign(section="term", term=names.to_numpy()),
                                 pd.DataFrame({"section": "term", "term": pd.unique(names)}), arm, arms, n)
        order = _order_by_total(by_term, "term", arm, arms)
        by_term = by_term.assign(_o=by_term["term"].map({t: i for i, t in enumerate(order)}))
        parts.append(by_term.sort_values("_o", kind="stable").drop(columns="_o").assign(course=MISSING, grade=MISSING))
    if courses:
        if day in te.columns:
            period = derive_course(te[[day]], courses, day=day)["APERIOD"]
            known = te[day].notna().to_numpy()
        else:
            period = pd.Series(np.nan, index=te.index)
            known = np.zeros(len(te), dtype=bool)
        code = np.where(period.notna(), period.fillna(0).astype("int64"), np.where(known, 0, MISSING))
        present = set(code.tolist())
        rows = [c.number for c in courses] + [c for c in (0, MISSING) if c in present]
        by_course = tally_subjects(base.assign(section="course", course=code),
                                   pd.DataFrame({"section": "course", "course": rows}), arm, arms, n)
        parts.append(by_course.assign(term="", grade=MISSING))
    worst = summarize_ae_max_grade(events, population, arm, arms, grade_var, term=term, terms=terms, teae_flag=teae_flag)
    parts.append(pd.DataFrame({
        "section": "grade", "term": "", "course": MISSING,
        "grade": worst["grade"].fillna(MISSING).astype("int64"), arm: worst[arm],
        "n_subjects": worst["n_subjects"], "n_events": MISSING, "n": worst["n"], "pct": worst["pct"],
    }))
    out = pd.concat(parts, ignore_index=True)
    for col in ("course", "grade", "n_events"):
        out[col] = out[col].astype("Int64").where(out[col] != MISSING, pd.NA)
    return out[["section", "term", "course", "grade", arm, "n_subjects", "n_events", "n", "pct"]]


def site_reactions_by_course(reactions: pd.DataFrame, arm: str) -> pd.DataFrame:
    """Subjects with a reaction starting in each course (:func:`summarize_site_reactions`),
    one row per arm (then the total) and one column per course number (0: outside
    every course); reactions without a study day are left out.

    Examples
    --------
    >>> r = pd.DataFrame({"section": "course", "course": pd.array([1, 1, 2, 2, None, None], dtype="Int64"),
    ...                   "TRT01A": ["A", "B"] * 3, "n_subjects": [1, 0, 2, 1, 1, 1]})
    >>> site_reactions_by_course(r, "TRT01A")
      TRT01A  1  2
    0      A  1  2
    1      B  0  1
    """
    rows = reactions[(reactions["section"] == "course") & reactions["course"].notna()]
    out = pd.DataFrame({arm: pd.unique(reactions[arm])})
    for course in pd.unique(rows["course"]):
        c = rows[rows["course"] == course]
        out = out.merge(c[[arm, "n_subjects"]].rename(columns={"n_subjects": int(course)}), on=arm, how="left")
    return out


# ---------------------------------------------------------------------------------------
# comparison of arms


def choose_reference_arm(arms: Sequence[str], preferred: str | None) -> str:
    """The comparator arm: ``preferred`` (the config's reference arm) when it is one of
    ``arms``, else the last arm.

    Examples
    --------
    >>> choose_reference_arm(["IL-2", "Placebo"], "Placebo"), choose_reference_arm(["A", "B"], None)
    ('Placebo', 'B')
    """
    return preferred if preferred in arms else list(arms)[-1]


def combine_ae_counts(overview: pd.DataFrame, reactions: pd.DataFrame, arm: str) -> pd.DataFrame:
    """The counts whose rates the arms compare: the recorded categories of the overview
    (:func:`summarize_teae_overview`), then the reactions of interest
    (:func:`summarize_site_reactions`, category :data:`SITE_REACTION`).

    Returns
    -------
    DataFrame
        ``category``, the arm column, ``n_subjects`` and ``n``.

    Examples
    --------
    >>> o = pd.DataFrame({"category": ["any", "fatal"], "TRT01A": "A", "recorded": [True, False],
    ...                   "n_subjects": [3, None], "n": 4})
    >>> r = pd.DataFrame({"section": ["any", "grade"], "TRT01A": "A", "n_subjects": [1, 1], "n": 4})
    >>> combine_ae_counts(o, r, "TRT01A")
            category TRT01A  n_subjects  n
    0            any      A         3.0  4
    1  site_reaction      A         1.0  4
    """
    return pd.concat([
        overview.loc[overview["recorded"], ["category", arm, "n_subjects", "n"]],
        reactions.loc[reactions["section"] == "any", [arm, "n_subjects", "n"]].assign(category=SITE_REACTION),
    ], ignore_index=True)


def compare_ae_rates(
    counts: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    reference: str,
    by: str = "category",
    confidence: float = 0.95,
    test: str = "fisher",
) -> pd.DataFrame:
    """Each arm against the reference arm: difference in the proportion of subjects.

    Parameters
    ----------
    counts : DataFrame
        ``by``, the arm column, ``n_subjects`` and ``n`` (e.g. from
        :func:`combine_ae_counts`); missing counts or arms without subjects are left
        out.
    arm : str
    arms : sequence of str
    reference : str
        The comparator arm.
    by : str
        Column naming the analysis (a code).
    confidence : float
    test : {"fisher", "chisq"}
        The test whose p-value is ``p_val`` (:func:`helpers.stats.compare_rates`).

    Returns
    -------
    DataFrame
        ``analysis`` (the value of ``by``), ``comparison``, the arm column,
        ``reference``, ``n_subjects``, ``n``, ``ref_subjects``, ``ref_n``, ``rate``,
        ``ref_rate``, ``estimate`` (rate - ref_rate), ``ci_low``, ``ci_high``,
        ``p_val`` (the p-value of the test named in ``test``), ``p_chisq`` (Pearson
        chi-square test), ``p_fisher`` (Fisher's exact test), ``test``, ``method`` and
        ``scale`` (``"percent"``).

    Raises
    ------
    ValueError
        ``reference`` is not one of ``arms``.

    Notes
    -----
    :func:`helpers.stats.compare_rates`: Newcombe hybrid score interval for the
    difference; Fisher's exact test by default, because adverse events are often rare.

    Examples
    --------
    >>> c = pd.DataFrame({"category": "any", "TRT01A": ["A", "B"], "n_subjects": [16, 9], "n": [29, 30]})
    >>> r = compare_ae_rates(c, "TRT01A", ["A", "B"], "B")
    >>> r[["comparison", "estimate", "ci_low", "ci_high", "p_val", "p_fisher", "p_chisq"]].round(4)
      comparison  estimate  ci_low  ci_high   p_val  p_fisher  p_chisq
    0     A vs B    0.2517  0.0007   0.4632  0.0673    0.0673   0.0504
    >>> r["test"].tolist()
    ['fisher']
    """
    if reference not in arms:
        raise ValueError(f"compare_ae_rates: reference arm {reference!r} is not one of {list(arms)}")
    cols = ["analysis", "comparison", arm, "reference", "n_subjects", "n", "ref_subjects", "ref_n", "rate", "ref_rate",
            "estimate", "ci_low", "ci_high", "p_val", "p_chisq", "p_fisher", "test", "method", "scale"]
    rows = []
    for analysis in pd.unique(counts[by]):
        g = counts[counts[by] == analysis]
        by_arm = {r[arm]: r for r in g.to_dict("records") if not pd.isna(r["n_subjects"]) and int(r["n"]) > 0}
        if reference not in by_arm:
            continue
        rs, rn = int(by_arm[reference]["n_subjects"]), int(by_arm[reference]["n"])
        for a in arms:
            if a == reference or a not in by_arm:
                continue
            k, m = int(by_arm[a]["n_subjects"]), int(by_arm[a]["n"])
            r = compare_rates(k, m, rs, rn, confidence=confidence, test=test).iloc[0]
            rows.append({
                "analysis": analysis, "comparison": f"{a} vs {reference}", arm: a, "reference": reference,
                "n_subjects": k, "n": m, "ref_subjects": rs, "ref_n": rn, "rate": r["rate"], "ref_rate": r["ref_rate"],
                "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_val": r["p_val"],
                "p_chisq": r["p_chisq"], "p_fisher": r["p_fisher"], "test": r["test"], "method": r["method"],
                "scale": "percent",
            })
    return pd.DataFrame(rows, columns=cols)


def comparison_by_arm(comparisons: pd.DataFrame, arm: str, analysis: str) -> dict[str, dict[str, float]]:
    """The comparisons of one analysis (:func:`compare_ae_rates`) by column and arm:
    ``{column: {arm: value}}`` for ``estimate``, ``ci_low``, ``ci_high`` and ``p_val``
    (the reference arm has no row).

    Examples
    --------
    >>> c = pd.DataFrame({"analysis": "any", "TRT01A": ["A"], "estimate": [0.25], "ci_low": [0.0],
    ...                   "ci_high": [0.46], "p_val": [0.067]})
    >>> comparison_by_arm(c, "TRT01A", "any")["estimate"]
    {'A': 0.25}
    """
    rows = comparisons[comparisons["analysis"] == analysis]
    return {col: {str(a): float(v) for a, v in zip(rows[arm], rows[col], strict=True)}
            for col in ("estimate", "ci_low", "ci_high", "p_val")}


# ---------------------------------------------------------------------------------------
# listing


#: The columns of the listing of adverse events, in order (those the data hold).
LISTING_COLUMNS: tuple[str, ...] = ("ASTDY", "AEBODSYS", "AEDECOD", "AETERM")
LISTING_DETAILS: tuple[str, ...] = ("AESER", "AEREL", "AEACN", "AEOUT")


def list_adverse_events(
    events: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Every adverse event of the safety population, by arm, subject and day of onset.

    Only ``USUBJID`` identifies a subject; columns the data lack are left out.

    Returns
    -------
    DataFrame
        ``USUBJID``, the arm column, then those of ``ASTDY``, ``AEBODSYS``,
        ``AEDECOD``, ``AETERM``, ``grade_var``, ``AESER``, ``AEREL``, ``AEACN``,
        ``AEOUT`` and ``teae_flag`` the data hold, as recorded; sorted by arm (in the
        order of ``arms``), subject and study day (missing days first).

    Examples
    --------
    >>> ev = pd.DataFrame({"USUBJID": ["2", "1"], "TRT01A": "A", "SUBJID": ["b", "a"],
    ...                    "AEDECOD": ["Pyrexia", "Fatigue"], "ASTDY": [5, None], "TRTEMFL": ["Y", ""]})
    >>> list_adverse_events(ev)
      USUBJID TRT01A  ASTDY  AEDECOD TRTEMFL
    0       1      A    NaN  Fatigue
    1       2      A    5.0  Pyrexia       Y
    """
    require_columns(events, ["USUBJID", arm], "list_adverse_events", "adae")
    arms = arm_list(events, arm, arms, "list_adverse_events")
    ae = events[events[arm].isin(arms)]
    columns = ["USUBJID", arm, *LISTING_COLUMNS, grade_var, *LISTING_DETAILS] + ([teae_flag] if teae_flag else [])
    columns = [c for c in dict.fromkeys(columns) if c in ae.columns]
    order = {a: i for i, a in enumerate(arms)}
    day = pd.to_numeric(ae["ASTDY"], errors="coerce") if "ASTDY" in ae else pd.Series(0.0, index=ae.index)
    ae = ae.assign(_arm=ae[arm].map(order), _day=day).sort_values(["_arm", "USUBJID", "_day"], kind="stable",
                                                                  na_position="first")
    return ae[columns].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# checks


def check_safety_summaries(
    population: pd.DataFrame,
    summaries: Mapping[str, pd.DataFrame],
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    incidence: pd.DataFrame | None = None,
) -> None:
    """Raise ``ValueError`` listing every inconsistency of the chapter's summaries.

    Checks that every summary's denominator ``n`` is the safety population of its arm
    (the total for ``Total``), that percentages lie within 0 to 100 and counts within
    their denominator, and, in ``incidence`` (:func:`summarize_ae_incidence`), that no
    preferred term has more subjects or events than its class, nor a class more than
    all events.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A"})
    >>> ok = pd.DataFrame({"TRT01A": ["A"], "n": [2], "n_subjects": [1], "pct": [50.0]})
    >>> check_safety_summaries(pop, {"overview": ok})
    >>> check_safety_summaries(pop, {"overview": ok.assign(n=3)})
    Traceback (most recent call last):
    ...
    ValueError: safety checks failed:
      - overview: arm A has n = 3 but the safety population has 2 subjects
    """
    arms = arm_list(population, arm, arms, "check_safety_summaries")
    expected = denominators(population, arm, arms, "check_safety_summaries")
    problems = []
    for name, s in summaries.items():
        if "n" in s.columns and arm in s.columns:
            for a, got in s.groupby(arm, sort=False)["n"]:
                bad = sorted({int(x) for x in got.dropna()} - {expected.get(a, -1)})
                if bad:
                    problems.append(f"{name}: arm {a} has n = {', '.join(map(str, bad))} but the safety population "
                                    f"has {expected.get(a, 0)} subjects")
        if "pct" in s.columns:
            pct = s["pct"].dropna()
            if ((pct < 0) | (pct > 100)).any():
                problems.append(f"{name}: percentages outside 0-100: {sorted(set(pct[(pct < 0) | (pct > 100)].round(1)))}")
        if {"n_subjects", "n"} <= set(s.columns):
            over = s["n_subjects"].astype("float64") > s["n"].astype("float64")
            if over.any():
                problems.append(f"{name}: more subjects than the denominator in rows {list(s.index[over][:5])}")
    if incidence is not None and len(incidence):
        parents = {(r["level"], r["soc"], r[arm]): r for r in incidence.to_dict("records") if r["level"] != "term"}
        for row in incidence[incidence["level"] != "any"].to_dict("records"):
            key = ("soc", row["soc"], row[arm]) if row["level"] == "term" else ("any", "", row[arm])
            if key not in parents:
                continue
            p = parents[key]
            for col in ("n_subjects", "n_events"):
                if row[col] > p[col]:
                    what = f"term {row['term']!r}" if row["level"] == "term" else f"class {row['soc']!r}"
                    problems.append(f"incidence: {what} has {col} {row[col]} above its parent's {p[col]} in arm {row[arm]}")
    if problems:
        raise ValueError("safety checks failed:\n" + "\n".join(f"  - {p}" for p in problems))


# ---------------------------------------------------------------------------------------
# laboratory rows the safety chapter grades


def select_graded_blood_counts(adlb: pd.DataFrame, low: Sequence[str] = ("ANRLO", "A1LO")) -> pd.DataFrame:
    """The rows of ``adlb`` whose test CTCAE v5.0 grades as "decreased"
    (:data:`helpers.definitions.CTCAE_DECREASED`: white cells, lymphocytes, platelets,
    haemoglobin), with the lower limit of normal as ``ANRLO`` (taken from the first of
    ``low`` the table has: a generic BDS lab table may name it ``A1LO``).

    A lab table without any of these tests (a liver panel) gives no row, so the safety
    chapter's lab-toxicity tables are empty rather than wrong, and its prose says so
    (:func:`helpers.present.prose.safety.describe_lab_toxicity`).

    Raises
    ------
    ValueError
        ``adlb`` lacks ``PARAMCD``, or has these tests but none of the ``low`` columns.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1"], "AVISITN": 0, "PARAMCD": ["PLAT", "ALT"], "AVAL": [90.0, 30.0],
    ...                    "A1LO": [150.0, 5.0]})
    >>> select_graded_blood_counts(lb)[["PARAMCD", "ANRLO"]]
      PARAMCD  ANRLO
    0    PLAT  150.0
    >>> len(select_graded_blood_counts(lb[lb["PARAMCD"] == "ALT"]))
    0
    """
    require_columns(adlb, ["PARAMCD"], "select_graded_blood_counts", "adlb")
    rows = adlb[adlb["PARAMCD"].astype("str").isin(list(d.CTCAE_DECREASED))].reset_index(drop=True)
    if "ANRLO" in rows.columns:
        return rows
    found = [c for c in low if c in rows.columns]
    if not found:
        if not len(rows):
            return rows.assign(ANRLO=pd.Series(dtype="float64"))
        raise ValueError(f"select_graded_blood_counts: adlb has no lower limit of normal (none of {list(low)})")
    return rows.assign(ANRLO=rows[found[0]])


def with_every_arm(frame: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """``frame`` (one row per arm, one column per value) with a row for every arm and,
    with several arms, the total, in that order: a frame without rows (nothing to show,
    e.g. no graded lab test) gets its arm rows, so that gluing its (no) columns is not
    an error.

    Examples
    --------
    >>> with_every_arm(pd.DataFrame({"TRT01A": pd.Series([], dtype="str")}), "TRT01A", ["A", "B"])
      TRT01A
    0      A
    1      B
    2  Total
    >>> with_every_arm(pd.DataFrame({"TRT01A": ["A"], "PLAT": [1]}), "TRT01A", ["A"])
      TRT01A  PLAT
    0      A     1
    """
    require_columns(frame, [arm], "with_every_arm", "frame")
    wanted = pd.DataFrame({arm: arms_and_total(list(arms))})
    return wanted.merge(frame, on=arm, how="left")


def summarize_top_term_by_arm(incidence: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """The most frequent preferred term in each arm (:func:`summarize_ae_incidence`):
    most subjects, ties by term name; never pooled across arms.

    Returns
    -------
    DataFrame
        One row per arm: the arm column, ``term`` (``""`` when the arm has no
        treatment-emergent event), ``n_subjects`` and ``rate`` (a fraction of the arm;
        missing for an arm without subjects).

    Examples
    --------
    >>> inc = pd.DataFrame({"level": ["term"] * 4, "soc": "S", "term": ["Rash", "Rash", "Cough", "Cough"],
    ...                     "TRT01A": ["A", "B"] * 2, "n_subjects": [1, 2, 1, 0], "n": [4, 4, 4, 4]})
    >>> summarize_top_term_by_arm(inc, "TRT01A", ["A", "B"])
      TRT01A   term  n_subjects  rate
    0      A  Cough           1  0.25
    1      B   Rash           2  0.50
    """
    require_columns(incidence, ["level", "term", arm, "n_subjects", "n"], "summarize_top_term_by_arm", "incidence")
    rows = []
    for a in arms:
        t = incidence[(incidence["level"] == "term") & (incidence[arm] == a) & (incidence["n_subjects"] > 0)]
        t = t.assign(_name=t["term"].astype("str")).sort_values(["n_subjects", "_name"], ascending=[False, True],
                                                                kind="stable")
        n = incidence.loc[incidence[arm] == a, "n"]
        m = int(n.iloc[0]) if len(n) else 0
        k, term = (int(t["n_subjects"].iloc[0]), str(t["term"].iloc[0])) if len(t) else (0, "")
        rows.append({arm: a, "term": term, "n_subjects": k, "rate": k / m if m else np.nan})
    return pd.DataFrame(rows, columns=[arm, "term", "n_subjects", "rate"])
