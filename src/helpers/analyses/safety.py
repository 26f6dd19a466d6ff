"""Safety: exposure, treatment-emergent adverse events, reactions at the injection site
and laboratory toxicity.

The adverse-event helpers work on any ADaM ``adsl``/``adae`` pair: the arm variable, the
safety population flag and the treatment-emergent flag are arguments with the ADaM names
as defaults. A flag is set only when it is ``"Y"``; a blank flag means ``"N"`` (the
CDISC pilot leaves records that are not flagged blank). Denominators are the subjects
of the safety population in each arm; an arm without subjects keeps its column, with
zero counts and no percentage. With several arms every summary also has a ``Total``
arm (all listed arms together). An ``adae`` with its columns but no rows (a trial with no
adverse events) gives the same frames with zeros in every arm, never "not recorded".

``summarize_*`` return tidy frames (snake_case columns, unrounded; the arm column keeps
the arm variable's name, as in :func:`helpers.present.tables.spread_by_arm`), ``compare_*``
compare arms, ``format_*`` make prose strings, ``*_table`` and ``*_figure`` build what a
page shows, and :func:`check_safety_summaries` is the chapter's hidden check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.derive import derive_course, derive_ctcae_grade
from helpers.present.tables import ResultTable, arm_columns, format_n_pct, format_p, spread_by_arm

#: ``AEREL`` values counted as related to the study drug (compared without case).
RELATED_VALUES: tuple[str, ...] = (
    "RELATED", "PROBABLE", "POSSIBLE", "DEFINITE", "PROBABLY RELATED", "POSSIBLY RELATED", "Y",
)
#: ``AEACN`` values that mean the study drug was stopped because of the event.
DISCONTINUATION_VALUES: tuple[str, ...] = ("DRUG WITHDRAWN",)
#: ``AESEV`` as a grade, when the export has no CTCAE grade.
SEVERITY_GRADES: dict[str, int] = {"MILD": 1, "MODERATE": 2, "SEVERE": 3}
CTCAE_LABELS: dict[int, str] = {g: f"Grade {g}" for g in range(1, 6)}
SEVERITY_LABELS: dict[int, str] = {1: "Mild", 2: "Moderate", 3: "Severe"}
#: What a summary row shows when the export lacks the column it needs.
NOT_RECORDED = "not recorded"
NOT_GRADED = "Grade not recorded"
#: What the prose says when ``adae`` holds no event of the safety population.
NO_AE = "No adverse events were recorded for the safety population"
#: What the prose and the figure of terms say when no event is treatment-emergent.
NO_TEAE = "No treatment-emergent adverse event was recorded"
#: Laboratory grades 0 (normal) to 4 of the CTCAE v5.0 "decreased" terms.
LAB_GRADES: tuple[int, ...] = (0, 1, 2, 3, 4)

_MISSING = -1  # internal stand-in for a missing grade or course in merge keys


# ---------------------------------------------------------------------------------------
# small pieces


def _need(df: pd.DataFrame, columns: Sequence[str], func: str, table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{func}: {table} has no column {', '.join(map(repr, missing))} (it has {list(df.columns)})")


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


def _arm_list(adsl: pd.DataFrame, arm: str, arms: Sequence[str] | None) -> list[str]:
    if arms is not None:
        return [str(a) for a in arms]
    return [str(a) for a in pd.unique(adsl[arm].dropna())]


def _population(adsl: pd.DataFrame, arm: str, arms: Sequence[str], safety_flag: str, func: str) -> pd.DataFrame:
    _need(adsl, ["USUBJID", arm, safety_flag], func, "adsl")
    pop = adsl.loc[_flag(adsl[safety_flag]), ["USUBJID", arm]]
    return pop[pop[arm].isin(arms)].reset_index(drop=True)


def _denominators(pop: pd.DataFrame, arm: str, arms: Sequence[str]) -> dict[str, int]:
    n = {a: int((pop[arm] == a).sum()) for a in arms}
    if len(arms) > 1:
        n["Total"] = sum(n.values())
    return n


def _total_column(arms: Sequence[str]) -> str:
    """The column whose counts sort rows: ``Total`` with several arms, else the arm."""
    return "Total" if len(arms) > 1 else arms[0]


def _tally(
    events: pd.DataFrame, rows: pd.DataFrame, arm: str, arms: Sequence[str], n: Mapping[str, int]
) -> pd.DataFrame:
    """Subjects and events for every row of ``rows`` (key combinations, in order) and
    every column of the table (arms, then Total), zeros included."""
    keys = list(rows.columns)
    cols = arm_columns(arms)
    ev = events[events[arm].isin(arms)]
    if len(arms) > 1:
        ev = pd.concat([ev, ev.assign(**{arm: "Total"})], ignore_index=True)
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
    out["pct"] = _pct(out["n_subjects"], out["n"])
    return out.drop(columns=["_row", "_col"]).reset_index(drop=True)


def _pct(k: pd.Series, n: pd.Series) -> pd.Series:
    k = k.astype("float64")
    n = n.astype("float64")
    return (100 * k / n.where(n > 0)).astype("float64")


def _order_by_total(tallied: pd.DataFrame, key: str, arm: str, arms: Sequence[str]) -> list:
    """Values of ``key`` by descending subjects in the total column, then by name."""
    tot = tallied[tallied[arm] == _total_column(arms)]
    tot = tot.assign(_name=tot[key].astype("str")).sort_values(["n_subjects", "_name"], ascending=[False, True], kind="stable")
    return list(tot[key])


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


def grade_labels(values: pd.Series) -> dict[int, str]:
    """The grade scale of a grade column: CTCAE grades 1 to 5, or the three severities.

    Examples
    --------
    >>> grade_labels(pd.Series(["MILD", "SEVERE"]))
    {1: 'Mild', 2: 'Moderate', 3: 'Severe'}
    >>> grade_labels(pd.Series([1, 2]))[5]
    'Grade 5'
    """
    if not pd.api.types.is_numeric_dtype(values):
        text = _text(values)
        text = text[text != ""]
        if len(text) and text.isin(list(SEVERITY_GRADES)).all():
            return dict(SEVERITY_LABELS)
        if not len(text) and str(values.name or "").upper().endswith("SEV"):
            return dict(SEVERITY_LABELS)
    return dict(CTCAE_LABELS)


def _grade_scale(adae: pd.DataFrame, grade_var: str) -> tuple[dict[int, str], bool]:
    """(labels, is_ctcae) of ``grade_var`` in ``adae`` (CTCAE when the column is absent)."""
    labels = grade_labels(adae[grade_var]) if grade_var in adae.columns else dict(CTCAE_LABELS)
    return labels, labels == CTCAE_LABELS


def _grade3_label(ctcae: bool) -> str:
    return "Grade 3 or higher" if ctcae else "Severe"


# ---------------------------------------------------------------------------------------
# populations and adverse events


def derive_teae(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    safety_flag: str = "SAFFL",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Treatment-emergent adverse events of the safety population, with the subject's arm.

    Parameters
    ----------
    adae, adsl : DataFrame
        ``adae`` with ``USUBJID`` and ``teae_flag``; ``adsl`` with ``USUBJID``, ``arm``
        and ``safety_flag``.
    arm : str
        The arm variable of ``adsl``; it replaces any column of that name in ``adae``.
    safety_flag : str
        Safety population flag of ``adsl`` (``"Y"``; blank means no).
    teae_flag : str or None
        Treatment-emergent flag of ``adae`` (``"Y"``; blank means no); ``None`` keeps
        every event.

    Returns
    -------
    DataFrame
        The rows of ``adae`` that are treatment-emergent and belong to a subject of the
        safety population, in their order, with ``arm`` from ``adsl``.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": ["A", "A", "B"], "SAFFL": ["Y", "Y", ""]})
    >>> adae = pd.DataFrame({"USUBJID": ["1", "2", "3", "1"], "TRTEMFL": ["Y", "", "Y", "Y"]})
    >>> derive_teae(adae, adsl)[["USUBJID", "TRT01A"]]
      USUBJID TRT01A
    0       1      A
    1       1      A
    """
    _need(adae, ["USUBJID"], "derive_teae", "adae")
    if teae_flag is not None and teae_flag not in adae.columns:
        raise ValueError(
            f"derive_teae: adae has no treatment-emergent flag {teae_flag!r}; pass teae_flag=None to count every event"
        )
    _need(adsl, ["USUBJID", arm, safety_flag], "derive_teae", "adsl")
    pop = adsl.loc[_flag(adsl[safety_flag]), ["USUBJID", arm]]
    ae = adae if teae_flag is None else adae[_flag(adae[teae_flag])]
    ae = ae.drop(columns=[arm], errors="ignore")
    return ae.merge(pop, on="USUBJID", how="inner", validate="many_to_one").reset_index(drop=True)


def summarize_ae_records(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    safety_flag: str = "SAFFL",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Adverse events recorded for the safety population, and how many of them are
    treatment-emergent.

    Parameters
    ----------
    adae, adsl : DataFrame
    arm, arms : see :func:`summarize_teae_overview`
    safety_flag, teae_flag : str
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        The arm column (arms in order, then ``Total`` with several arms),
        ``n_records`` (every adverse event of the arm's safety population, whether
        treatment-emergent or not), ``n_teae`` (those that are treatment-emergent; all
        of them when ``teae_flag`` is ``None``) and ``n`` (subjects of the safety
        population). An ``adae`` without rows (a trial with no adverse events) gives
        zeros.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": ["A", "A", "B"], "SAFFL": "Y"})
    >>> adae = pd.DataFrame({"USUBJID": ["1", "1", "2"], "TRTEMFL": ["Y", "", "Y"]})
    >>> summarize_ae_records(adae, adsl, arms=["A", "B"])
      TRT01A  n_records  n_teae  n
    0      A          3       2  2
    1      B          0       0  1
    2  Total          3       2  3
    >>> summarize_ae_records(adae.iloc[:0], adsl, arms=["A", "B"])["n_records"].tolist()
    [0, 0, 0]
    """
    arms = _arm_list(adsl, arm, arms)
    n = _denominators(_population(adsl, arm, arms, safety_flag, "summarize_ae_records"), arm, arms)
    every = derive_teae(adae, adsl, arm, safety_flag, None)
    te = every if teae_flag is None else derive_teae(adae, adsl, arm, safety_flag, teae_flag)
    every, te = every[every[arm].isin(arms)], te[te[arm].isin(arms)]
    rows = [
        {arm: a, "n_records": len(every) if a == "Total" else int((every[arm] == a).sum()),
         "n_teae": len(te) if a == "Total" else int((te[arm] == a).sum()), "n": n[a]}
        for a in arm_columns(arms)
    ]
    return pd.DataFrame(rows, columns=[arm, "n_records", "n_teae", "n"]).astype(
        {"n_records": "int64", "n_teae": "int64", "n": "int64"})


def summarize_safety_population(
    adsl: pd.DataFrame, arm: str = "TRT01A", arms: Sequence[str] | None = None, safety_flag: str = "SAFFL"
) -> pd.DataFrame:
    """Subjects of the safety population per arm (the denominators of every summary).

    Returns
    -------
    DataFrame
        ``arm`` (arms in order, then ``Total`` with several arms) and ``n``.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": ["A", "A", "B"], "SAFFL": ["Y", "Y", ""]})
    >>> summarize_safety_population(adsl, arms=["A", "B"])
      TRT01A  n
    0      A  2
    1      B  0
    2  Total  2
    """
    arms = _arm_list(adsl, arm, arms)
    n = _denominators(_population(adsl, arm, arms, safety_flag, "summarize_safety_population"), arm, arms)
    return pd.DataFrame({arm: list(n), "n": list(n.values())})


def summarize_teae_overview(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    safety_flag: str = "SAFFL",
    teae_flag: str | None = "TRTEMFL",
    related_values: Sequence[str] = RELATED_VALUES,
    discontinuation_values: Sequence[str] = DISCONTINUATION_VALUES,
) -> pd.DataFrame:
    """Overview of treatment-emergent adverse events: subjects and events per category.

    Parameters
    ----------
    adae, adsl : DataFrame
    arm : str
        Arm variable of ``adsl``.
    arms : sequence of str, optional
        Arms in display order (default: order of first appearance in ``adsl``).
    grade_var : str
        ``AETOXGR`` (CTCAE grade) or ``AESEV`` (severity, SEVERE counting as grade 3).
    safety_flag, teae_flag : str
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
        ``label``, ``criterion`` (the rule, in variables), the arm column, ``recorded``
        (False when the export lacks what the row needs), ``n_subjects`` and
        ``n_events`` (missing when not recorded), ``n`` (safety population) and ``pct``
        (100 n_subjects / n).

    Notes
    -----
    A row is not recorded when the column it needs is absent, or, for the text columns
    ``AEREL``, ``AEACN``, ``AEOUT`` and the grade, blank in every row of ``adae`` (an
    ``adae`` without rows has nothing blank: its rows are zeros). A blank ``AESER`` or
    ``AESDTH`` means "N". An event is fatal when ``AEOUT`` is
    ``FATAL``, ``AESDTH`` is ``Y`` or its CTCAE grade is 5.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "TRT01A": ["A", "A", "B", "B"], "SAFFL": "Y"})
    >>> adae = pd.DataFrame({"USUBJID": ["1", "1", "3"], "AETOXGR": [1, 3, 2], "AESER": ["N", "Y", ""],
    ...                      "AEREL": ["RELATED", "", "NOT RELATED"], "TRTEMFL": "Y"})
    >>> s = summarize_teae_overview(adae, adsl, arms=["A", "B"])
    >>> s[s["TRT01A"] == "A"][["category", "n_subjects", "n_events", "pct"]]
            category  n_subjects  n_events   pct
    0            any           1         2  50.0
    3        related           1         1  50.0
    6     grade3plus           1         1  50.0
    9        serious           1         1  50.0
    12  discontinued        <NA>      <NA>   NaN
    15         fatal           0         0   0.0
    """
    arms = _arm_list(adsl, arm, arms)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_teae_overview")
    te = derive_teae(adae, adsl, arm, safety_flag, teae_flag)
    n = _denominators(pop, arm, arms)
    _, ctcae = _grade_scale(adae, grade_var)
    grade_ok = _recorded(adae, grade_var)
    grade = compute_ae_grade(te[grade_var]) if grade_ok else pd.Series(np.nan, index=te.index)
    everything = pd.Series(True, index=te.index)
    nothing = pd.Series(False, index=te.index)

    rel = [str(v).strip().upper() for v in related_values]
    disc = [str(v).strip().upper() for v in discontinuation_values]
    fatal, fatal_rule = nothing.copy(), []
    if _recorded(adae, "AEOUT"):
        fatal |= _text(te["AEOUT"]) == "FATAL"
        fatal_rule.append("AEOUT = FATAL")
    if "AESDTH" in adae.columns:
        fatal |= _flag(te["AESDTH"])
        fatal_rule.append("AESDTH = Y")
    if grade_ok and ctcae:
        fatal |= grade == 5
        fatal_rule.append(f"{grade_var} = 5")
    rows = [
        ("any", "Any TEAE", "every treatment-emergent event" if teae_flag else "every event", True, everything),
        ("related", "Related to study drug", f"AEREL in {', '.join(rel)}", _recorded(adae, "AEREL"),
         _text(te["AEREL"]).isin(rel) if "AEREL" in te else nothing),
        ("grade3plus", _grade3_label(ctcae), f"{grade_var} >= 3" if ctcae else f"{grade_var} = SEVERE", grade_ok, grade >= 3),
        ("serious", "Serious", "AESER = Y", "AESER" in adae.columns, _flag(te["AESER"]) if "AESER" in te else nothing),
        ("discontinued", "Leading to discontinuation of study drug", f"AEACN in {', '.join(disc)}",
         _recorded(adae, "AEACN"), _text(te["AEACN"]).isin(disc) if "AEACN" in te else nothing),
        ("fatal", "Fatal", " or ".join(fatal_rule) or "AEOUT, AESDTH or a CTCAE grade", bool(fatal_rule), fatal),
    ]
    parts = []
    for category, label, criterion, recorded, mask in rows:
        ev = te.loc[mask.to_numpy(dtype=bool), ["USUBJID", arm]].assign(category=category)
        part = _tally(ev, pd.DataFrame({"category": [category]}), arm, arms, n)
        part.insert(1, "label", label)
        part.insert(2, "criterion", criterion)
        part.insert(4, "recorded", recorded)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for col in ("n_subjects", "n_events"):
        out[col] = out[col].astype("Int64").where(out["recorded"], pd.NA)
    out["pct"] = out["pct"].where(out["recorded"])
    return out


def _coded(s: pd.Series) -> pd.Series:
    text = s.astype("object").where(s.notna(), "").astype("str").str.strip()
    return text.where(text != "", "(not coded)")


def summarize_ae_incidence(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    soc: str | None = "AEBODSYS",
    term: str = "AEDECOD",
    safety_flag: str = "SAFFL",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Treatment-emergent adverse events by system organ class and preferred term.

    Parameters
    ----------
    adae, adsl : DataFrame
    arm, arms : see :func:`summarize_teae_overview`
    soc : str or None
        System organ class column; ``None`` gives preferred terms only.
    term : str
        Preferred term column.
    safety_flag, teae_flag : str
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        ``level`` (``any``, ``soc``, ``term``), ``soc`` and ``term`` (``""`` above their
        level; a blank code shows as ``"(not coded)"``), the arm column, ``n_subjects``
        (each subject counted once per row), ``n_events`` (every event), ``n`` and
        ``pct``. Rows: any event first, then classes by descending subjects in the total
        (ties by name), each followed by its terms in the same order; every arm on every
        row, zeros included.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adae = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "AEBODSYS": ["Gen", "Gen", "Gen", "Inf"],
    ...                      "AEDECOD": ["Pyrexia", "Pyrexia", "Fatigue", "Influenza"], "TRTEMFL": "Y"})
    >>> summarize_ae_incidence(adae, adsl)[["level", "soc", "term", "n_subjects", "n_events"]]
      level  soc       term  n_subjects  n_events
    0   any                           3         4
    1   soc  Gen                      2         3
    2  term  Gen    Fatigue           1         1
    3  term  Gen    Pyrexia           1         2
    4   soc  Inf                      1         1
    5  term  Inf  Influenza           1         1
    """
    arms = _arm_list(adsl, arm, arms)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_ae_incidence")
    _need(adae, [c for c in (soc, term) if c], "summarize_ae_incidence", "adae")
    te = derive_teae(adae, adsl, arm, safety_flag, teae_flag)
    n = _denominators(pop, arm, arms)
    ev = pd.DataFrame({
        "USUBJID": te["USUBJID"], arm: te[arm],
        "soc": _coded(te[soc]) if soc else "", "term": _coded(te[term]),
    })
    any_row = _tally(ev.assign(level="any", soc="", term=""), pd.DataFrame({"level": ["any"], "soc": [""], "term": [""]}), arm, arms, n)
    pairs = ev[["soc", "term"]].drop_duplicates()
    terms = _tally(ev.assign(level="term"), pairs.assign(level="term")[["level", "soc", "term"]], arm, arms, n)
    parts = [any_row]
    if soc:
        socs = ev[["soc"]].drop_duplicates()
        by_soc = _tally(ev.assign(level="soc", term=""), socs.assign(level="soc", term="")[["level", "soc", "term"]], arm, arms, n)
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
    over all subjects (the ``Total`` column with several arms, else the arm).

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
        The ``term`` rows of ``incidence`` in the total column with at least one
        subject, every column kept, sorted by descending ``n_subjects`` then by term
        (across classes, unlike ``incidence``, which sorts terms within their class);
        no rows when no event is treatment-emergent.

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
    terms = incidence[(incidence["level"] == "term") & (incidence[arm] == _total_column(arms))
                      & (incidence["n_subjects"] > 0)]
    terms = terms.assign(_name=terms["term"].astype("str")).sort_values(
        ["n_subjects", "_name"], ascending=[False, True], kind="stable").drop(columns="_name")
    terms = terms.reset_index(drop=True)
    return terms if top is None else terms.head(top)


def summarize_ae_max_grade(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    soc: str | None = None,
    term: str = "AEDECOD",
    terms: Sequence[str] | None = None,
    safety_flag: str = "SAFFL",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Subjects by the maximum grade of their treatment-emergent adverse events.

    Parameters
    ----------
    adae, adsl : DataFrame
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
    safety_flag, teae_flag : str
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        ``level`` (``any`` or ``soc``), ``soc`` (``""`` for all events), ``grade``
        (``Int64``; missing for subjects whose events have no grade), ``grade_label``,
        the arm column, ``n_subjects``, ``n`` and ``pct``. Every grade of the scale
        appears in every block; the "grade not recorded" row only when a subject has it.
        Classes come in order of descending subjects in the total.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adae = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "AESEV": ["MILD", "SEVERE", "MILD", "MODERATE"],
    ...                      "TRTEMFL": "Y"})
    >>> summarize_ae_max_grade(adae, adsl, grade_var="AESEV")[["grade_label", "n_subjects", "pct"]]
      grade_label  n_subjects   pct
    0        Mild           1  25.0
    1    Moderate           1  25.0
    2      Severe           1  25.0
    """
    arms = _arm_list(adsl, arm, arms)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_ae_max_grade")
    _need(adae, [c for c in (soc,) if c] + ([term] if terms is not None else []), "summarize_ae_max_grade", "adae")
    te = derive_teae(adae, adsl, arm, safety_flag, teae_flag)
    if terms is not None:
        te = te[_text(te[term]).isin([str(t).strip().upper() for t in terms])]
    n = _denominators(pop, arm, arms)
    labels, _ = _grade_scale(adae, grade_var)
    grade = compute_ae_grade(te[grade_var]) if _recorded(adae, grade_var) else pd.Series(np.nan, index=te.index)
    ev = pd.DataFrame({"USUBJID": te["USUBJID"], arm: te[arm], "grade": grade.fillna(_MISSING).astype("int64"),
                       "soc": _coded(te[soc]) if soc else ""})
    # a subject's worst grade; a missing grade only counts when no event has one
    ev["_rank"] = ev["grade"].where(ev["grade"] != _MISSING, 0)
    blocks = [("any", "")] + ([("soc", s) for s in ev["soc"].drop_duplicates()] if soc else [])
    ungraded = False
    tallies = {}
    for level, name in blocks:
        sub = ev if level == "any" else ev[ev["soc"] == name]
        worst = sub.sort_values("_rank", kind="stable").groupby("USUBJID", sort=False).tail(1)
        worst = worst.assign(level=level, soc=name)[["USUBJID", arm, "level", "soc", "grade"]]
        ungraded |= bool((worst["grade"] == _MISSING).any())
        tallies[(level, name)] = worst
    levels = list(labels)
    parts = []
    for (level, name), worst in tallies.items():
        grades = levels + ([_MISSING] if ungraded else [])
        rows = pd.DataFrame({"level": level, "soc": name, "grade": grades})
        parts.append(_tally(worst, rows, arm, arms, n))
    out = pd.concat(parts, ignore_index=True)
    if soc:
        per_soc = out[(out["level"] == "soc")].groupby(["soc", arm], sort=False)["n_subjects"].sum().reset_index()
        order = _order_by_total(per_soc, "soc", arm, arms)
        rank = {name: i for i, name in enumerate(["", *order])}
        out = out.assign(_b=out["soc"].map(rank)).sort_values("_b", kind="stable").drop(columns="_b")
    out["grade_label"] = out["grade"].map({**labels, _MISSING: NOT_GRADED})
    out["grade"] = out["grade"].astype("Int64").where(out["grade"] != _MISSING, pd.NA)
    out = out.drop(columns="n_events")
    cols = ["level", "soc", "grade", "grade_label", arm, "n_subjects", "n", "pct"]
    return out[cols].reset_index(drop=True)


def summarize_site_reactions(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    term: str = "AEDECOD",
    day: str = "ASTDY",
    terms: Sequence[str] = (d.INJECTION_SITE_REACTION,),
    courses: Sequence = (),
    safety_flag: str = "SAFFL",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Reactions at the injection (or application) site: how many subjects, in which
    treatment course, how severe.

    Parameters
    ----------
    adae, adsl : DataFrame
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
    safety_flag, teae_flag : str
        See :func:`derive_teae`.

    Returns
    -------
    DataFrame
        ``section`` (``any``; ``term``, one row per term of interest when there are
        several; ``course``; ``grade``, subjects by their worst grade), ``label``,
        ``course`` and ``grade`` (``Int64``), the arm column, ``n_subjects``,
        ``n_events`` (missing in the grade rows), ``n`` and ``pct``. Course rows hold
        every course, then "outside the courses" and "study day not recorded" when an
        event falls there.

    Examples
    --------
    >>> from helpers.data.config import Course
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adae = pd.DataFrame({"USUBJID": ["1", "1", "2", "3"], "TRTEMFL": "Y",
    ...                      "AEDECOD": ["Injection site reaction", "Injection site reaction", "Pyrexia",
    ...                                  "injection site reaction"],
    ...                      "AETOXGR": [1, 2, 1, 1], "ASTDY": [2, 30, 3, 4]})
    >>> s = summarize_site_reactions(adae, adsl, courses=[Course(1, 1, 28), Course(2, 29, 56)])
    >>> s[["section", "label", "n_subjects", "n_events"]]
      section                       label  n_subjects  n_events
    0     any  Any of the terms of interest           2         3
    1  course   Course 1 (days 1 to 28)           2         2
    2  course  Course 2 (days 29 to 56)           1         1
    3   grade                     Grade 1           1      <NA>
    4   grade                     Grade 2           1      <NA>
    5   grade                     Grade 3           0      <NA>
    6   grade                     Grade 4           0      <NA>
    7   grade                     Grade 5           0      <NA>
    """
    arms = _arm_list(adsl, arm, arms)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_site_reactions")
    _need(adae, [term], "summarize_site_reactions", "adae")
    wanted = [str(t).strip().upper() for t in terms]
    te = derive_teae(adae, adsl, arm, safety_flag, teae_flag)
    te = te[_text(te[term]).isin(wanted)].reset_index(drop=True)
    n = _denominators(pop, arm, arms)
    base = te[["USUBJID", arm]]
    parts = [_tally(base.assign(section="any"), pd.DataFrame({"section": ["any"]}), arm, arms, n)
             .assign(label="Any of the terms of interest", course=_MISSING, grade=_MISSING)]
    if len(wanted) > 1:
        names = te[term].astype("str").str.strip()
        by_term = _tally(base.assign(section="term", label=names.to_numpy()),
                         pd.DataFrame({"section": "term", "label": pd.unique(names)}), arm, arms, n)
        order = _order_by_total(by_term, "label", arm, arms)
        by_term = by_term.assign(_o=by_term["label"].map({t: i for i, t in enumerate(order)}))
        parts.append(by_term.sort_values("_o", kind="stable").drop(columns="_o").assign(course=_MISSING, grade=_MISSING))
    if courses:
        if day in te.columns:
            period = derive_course(te[[day]], courses, day=day)["APERIOD"]
            known = te[day].notna().to_numpy()
        else:
            period = pd.Series(np.nan, index=te.index)
            known = np.zeros(len(te), dtype=bool)
        code = np.where(period.notna(), period.fillna(0).astype("int64"), np.where(known, 0, _MISSING))
        labels = {c.number: f"Course {c.number} (days {c.start_day} to {c.end_day})" for c in courses}
        present = set(code.tolist())
        rows = list(labels) + [c for c in (0, _MISSING) if c in present]
        labels.update({0: "Outside the treatment courses", _MISSING: "Study day not recorded"})
        by_course = _tally(base.assign(section="course", course=code), pd.DataFrame({"section": "course", "course": rows}), arm, arms, n)
        parts.append(by_course.assign(label=by_course["course"].map(labels), grade=_MISSING))
    worst = summarize_ae_max_grade(adae, adsl, arm, arms, grade_var, term=term, terms=terms,
                                   safety_flag=safety_flag, teae_flag=teae_flag)
    parts.append(pd.DataFrame({
        "section": "grade", "label": worst["grade_label"], "course": _MISSING,
        "grade": worst["grade"].fillna(_MISSING).astype("int64"), arm: worst[arm],
        "n_subjects": worst["n_subjects"], "n_events": _MISSING, "n": worst["n"], "pct": worst["pct"],
    }))
    out = pd.concat(parts, ignore_index=True)
    for col in ("course", "grade", "n_events"):
        out[col] = out[col].astype("Int64").where(out[col] != _MISSING, pd.NA)
    return out[["section", "label", "course", "grade", arm, "n_subjects", "n_events", "n", "pct"]]


def compare_ae_rates(
    counts: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    reference: str,
    by: str = "label",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each arm against the reference arm: difference in the proportion of subjects.

    Parameters
    ----------
    counts : DataFrame
        ``by``, the arm column, ``n_subjects`` and ``n`` (e.g. from
        :func:`summarize_teae_overview`); rows not recorded or arms without subjects are
        left out.
    arm : str
    arms : sequence of str
    reference : str
        The comparator arm.
    by : str
        Column naming the analysis.
    confidence : float

    Returns
    -------
    DataFrame
        ``analysis``, ``comparison``, the arm column, ``reference``, ``n_subjects``,
        ``n``, ``ref_subjects``, ``ref_n``, ``rate``, ``ref_rate``, ``estimate`` (rate -
        ref_rate), ``ci_low``, ``ci_high``, ``p_val`` (Fisher's exact test),
        ``p_chisq`` (Pearson chi-square test), ``method`` and ``scale``
        (``"percent"``).

    Notes
    -----
    :func:`helpers.stats.compare_rates`: Newcombe hybrid score interval for the
    difference; Fisher's exact test is reported as ``p_val`` because adverse events
    are often rare.

    Examples
    --------
    >>> c = pd.DataFrame({"label": "Any", "TRT01A": ["A", "B"], "n_subjects": [16, 9], "n": [29, 30]})
    >>> compare_ae_rates(c, "TRT01A", ["A", "B"], "B")[["comparison", "estimate", "ci_low", "ci_high"]].round(4)
      comparison  estimate  ci_low  ci_high
    0     A vs B    0.2517  0.0007   0.4632
    """
    from helpers.stats import compare_rates

    if reference not in arms:
        raise ValueError(f"compare_ae_rates: reference arm {reference!r} is not one of {list(arms)}")
    rows = []
    for analysis in pd.unique(counts[by]):
        g = counts[counts[by] == analysis].set_index(arm)
        if reference not in g.index or pd.isna(g.loc[reference, "n_subjects"]) or int(g.loc[reference, "n"]) == 0:
            continue
        rs, rn = int(g.loc[reference, "n_subjects"]), int(g.loc[reference, "n"])
        for a in arms:
            if a == reference or a not in g.index or pd.isna(g.loc[a, "n_subjects"]) or int(g.loc[a, "n"]) == 0:
                continue
            k, m = int(g.loc[a, "n_subjects"]), int(g.loc[a, "n"])
            r = compare_rates(k, m, rs, rn, confidence=confidence).iloc[0]
            rows.append({
                "analysis": analysis, "comparison": f"{a} vs {reference}", arm: a, "reference": reference,
                "n_subjects": k, "n": m, "ref_subjects": rs, "ref_n": rn, "rate": r["rate"], "ref_rate": r["ref_rate"],
                "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_val": r["p_fisher"],
                "p_chisq": r["p_val"], "method": "Newcombe interval; Fisher's exact test", "scale": "percent",
            })
    cols = ["analysis", "comparison", arm, "reference", "n_subjects", "n", "ref_subjects", "ref_n", "rate", "ref_rate",
            "estimate", "ci_low", "ci_high", "p_val", "p_chisq", "method", "scale"]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------------------
# exposure


def _course_numbers(adex: pd.DataFrame, courses: Sequence) -> list[int]:
    given = {int(c) for c in adex["APERIOD"].dropna().unique()}
    return sorted({int(c.number) for c in courses} | given)


def summarize_subject_exposure(
    adex: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    dose: str = "EXDOSE",
    courses: Sequence = (),
    safety_flag: str = "SAFFL",
) -> pd.DataFrame:
    """Doses each subject of the safety population received in each course.

    Parameters
    ----------
    adex : DataFrame
        One row per dose given: ``USUBJID``, ``dose``, ``APERIOD`` (course).
    adsl : DataFrame
    arm : str
    dose : str
        Dose column (a placebo dose of 0 still counts as a dose given).
    courses : sequence of helpers.data.config.Course
        The planned courses; a course nobody received still gets its rows.
    safety_flag : str

    Returns
    -------
    DataFrame
        One row per subject and course: ``USUBJID``, the arm column, ``course``,
        ``n_doses`` and ``cum_dose`` (0 when none).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adex = pd.DataFrame({"USUBJID": ["1", "1", "1"], "EXDOSE": 1.0, "APERIOD": [1, 1, 2]})
    >>> summarize_subject_exposure(adex, adsl)
      USUBJID TRT01A  course  n_doses  cum_dose
    0       1      A       1        2       2.0
    1       1      A       2        1       1.0
    2       2      A       1        0       0.0
    3       2      A       2        0       0.0
    """
    _need(adex, ["USUBJID", dose, "APERIOD"], "summarize_subject_exposure", "adex")
    arms = _arm_list(adsl, arm, None)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_subject_exposure")
    numbers = _course_numbers(adex, courses)
    grid = pop.merge(pd.DataFrame({"course": numbers}), how="cross")
    ex = adex[adex["APERIOD"].notna()]
    per = (
        ex.assign(course=ex["APERIOD"].astype("int64"), _dose=pd.to_numeric(ex[dose], errors="coerce"))
        .groupby(["USUBJID", "course"], sort=False)
        .agg(n_doses=("USUBJID", "size"), cum_dose=("_dose", "sum"))
        .reset_index()
    )
    out = grid.merge(per, on=["USUBJID", "course"], how="left")
    out["n_doses"] = out["n_doses"].fillna(0).astype("int64")
    out["cum_dose"] = out["cum_dose"].fillna(0.0).astype("float64")
    return out.sort_values(["USUBJID", "course"], kind="stable").reset_index(drop=True)


def summarize_exposure(
    adex: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    dose: str = "EXDOSE",
    courses: Sequence = (),
    planned_per_course: int | None = None,
    safety_flag: str = "SAFFL",
) -> pd.DataFrame:
    """Exposure by arm and course: who was dosed, doses given against planned, and the
    cumulative dose.

    Parameters
    ----------
    adex, adsl, arm, dose, courses, safety_flag : see :func:`summarize_subject_exposure`
    arms : sequence of str, optional
    planned_per_course : int, optional
        Doses the regimen plans in one course; ``None`` leaves the planned columns
        missing.

    Returns
    -------
    DataFrame
        One row per arm (then ``Total``) and period (all courses, then each course):
        ``period``, ``course`` (``Int64``, missing for all courses), the arm column,
        ``n`` (safety population), ``n_dosed`` (subjects with a dose in the period),
        ``pct_dosed``, ``doses_planned`` (per subject), ``doses_given`` (all subjects),
        ``pct_planned`` (100 doses_given / (n doses_planned)), ``n_all_planned``
        (subjects given every planned dose), ``doses_median``, ``doses_min``,
        ``doses_max`` (per subject, zeros included), ``cum_dose_median``,
        ``cum_dose_q1``, ``cum_dose_q3``, ``cum_dose_min``, ``cum_dose_max`` (missing
        for ``Total`` when the arms received different treatments, ``EXTRT``) and
        ``dose_unit``.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adex = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "EXDOSE": 1.0, "EXDOSU": "MIU",
    ...                      "APERIOD": [1, 1, 2, 1]})
    >>> s = summarize_exposure(adex, adsl, planned_per_course=2)
    >>> s[["period", "n_dosed", "doses_planned", "doses_given", "pct_planned", "n_all_planned"]]
           period  n_dosed  doses_planned  doses_given  pct_planned  n_all_planned
    0  All courses        2              4            4         50.0              0
    1     Course 1        2              2            3         75.0              1
    2     Course 2        1              2            1         25.0              0
    """
    arms = _arm_list(adsl, arm, arms)
    subj = summarize_subject_exposure(adex, adsl, arm, dose, courses, safety_flag)
    subj = subj[subj[arm].isin(arms)]
    numbers = _course_numbers(adex, courses)
    units = adex["EXDOSU"].dropna().astype("str").str.strip() if "EXDOSU" in adex.columns else pd.Series(dtype="str")
    unit = ", ".join(sorted(set(units[units != ""])))
    # a total of doses of different treatments (IL-2 and placebo) means nothing
    mixed = "EXTRT" in adex.columns and adex["EXTRT"].dropna().astype("str").str.strip().nunique() > 1
    everything = subj.groupby(["USUBJID", arm], sort=False)[["n_doses", "cum_dose"]].sum().reset_index()
    periods = [("All courses", pd.NA, everything, len(numbers))]
    periods += [(f"Course {c}", c, subj[subj["course"] == c], 1) for c in numbers]
    rows = []
    for label, course, frame, k in periods:
        for a in arm_columns(arms):
            g = frame if a == "Total" else frame[frame[arm] == a]
            planned = float(planned_per_course * k) if planned_per_course is not None else np.nan
            m = len(g)
            given = int(g["n_doses"].sum())
            cum = g["cum_dose"] if not (mixed and a == "Total") else g["cum_dose"].iloc[:0]
            q = cum.quantile([0.25, 0.5, 0.75]) if len(cum) else pd.Series([np.nan] * 3, index=[0.25, 0.5, 0.75])
            rows.append({
                "period": label, "course": course, arm: a, "n": m,
                "n_dosed": int((g["n_doses"] > 0).sum()),
                "doses_planned": planned, "doses_given": given,
                "n_all_planned": int((g["n_doses"] >= planned).sum()) if planned_per_course is not None else pd.NA,
                "doses_median": float(g["n_doses"].median()) if m else np.nan,
                "doses_min": float(g["n_doses"].min()) if m else np.nan,
                "doses_max": float(g["n_doses"].max()) if m else np.nan,
                "cum_dose_median": float(q[0.5]), "cum_dose_q1": float(q[0.25]), "cum_dose_q3": float(q[0.75]),
                "cum_dose_min": float(cum.min()) if len(cum) else np.nan,
                "cum_dose_max": float(cum.max()) if len(cum) else np.nan,
                "dose_unit": unit,
            })
    out = pd.DataFrame(rows)
    out["course"] = out["course"].astype("Int64")
    out["n_all_planned"] = out["n_all_planned"].astype("Int64")
    out["pct_dosed"] = _pct(out["n_dosed"], out["n"])
    out["pct_planned"] = (100 * out["doses_given"] / (out["n"] * out["doses_planned"]).where(out["n"] > 0)).astype("float64")
    if planned_per_course is not None:
        out["doses_planned"] = out["doses_planned"].astype("int64")
    cols = ["period", "course", arm, "n", "n_dosed", "pct_dosed", "doses_planned", "doses_given", "pct_planned",
            "n_all_planned", "doses_median", "doses_min", "doses_max", "cum_dose_median", "cum_dose_q1",
            "cum_dose_q3", "cum_dose_min", "cum_dose_max", "dose_unit"]
    return out[cols]


# ---------------------------------------------------------------------------------------
# laboratory toxicity


def summarize_lab_grades(
    adlb: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    baseline_week: int = 0,
    safety_flag: str = "SAFFL",
) -> pd.DataFrame:
    """Each subject's CTCAE v5.0 grade at baseline and worst grade after baseline, for
    white cells, lymphocytes, platelets and haemoglobin.

    Parameters
    ----------
    adlb : DataFrame
        ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``, ``ANRLO`` in the contract's units.
    adsl : DataFrame
    arm : str
    baseline_week : int
        ``AVISITN`` of baseline; later weeks are post-baseline.
    safety_flag : str

    Returns
    -------
    DataFrame
        One row per subject of the safety population and graded test present in
        ``adlb``: ``USUBJID``, the arm column, ``PARAMCD``, ``term`` (CTCAE term),
        ``base_grade`` and ``worst_grade`` (float, 0 to 4; missing without a value).

    Notes
    -----
    Grades from :func:`helpers.derive.derive_ctcae_grade`; the worst grade is the
    highest over every post-baseline visit.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "AVISITN": [0, 2, 4, 0], "PARAMCD": "PLAT",
    ...                      "AVAL": [200.0, 90.0, 40.0, 120.0], "ANRLO": 125.0})
    >>> summarize_lab_grades(adlb, adsl)[["USUBJID", "PARAMCD", "base_grade", "worst_grade"]]
      USUBJID PARAMCD  base_grade  worst_grade
    0       1    PLAT         0.0          3.0
    1       2    PLAT         1.0          NaN
    """
    _need(adlb, ["USUBJID", "AVISITN", "PARAMCD", "AVAL", "ANRLO"], "summarize_lab_grades", "adlb")
    arms = _arm_list(adsl, arm, None)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_lab_grades")
    codes = [c for c in d.CTCAE_DECREASED if c in set(adlb["PARAMCD"])]
    lb = derive_ctcae_grade(adlb[adlb["PARAMCD"].isin(codes)])
    base = lb[lb["AVISITN"] == baseline_week].groupby(["USUBJID", "PARAMCD"])["ATOXGR"].max().rename("base_grade")
    post = lb[lb["AVISITN"] > baseline_week].groupby(["USUBJID", "PARAMCD"])["ATOXGR"].max().rename("worst_grade")
    grid = pop.merge(pd.DataFrame({"PARAMCD": codes}), how="cross")
    grid["term"] = grid["PARAMCD"].map({k: v["term"] for k, v in d.CTCAE_DECREASED.items()})
    out = grid.merge(base.reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    out = out.merge(post.reset_index(), on=["USUBJID", "PARAMCD"], how="left")
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_o=out["PARAMCD"].map(order)).sort_values(["USUBJID", "_o"], kind="stable").drop(columns="_o")
    out["base_grade"] = out["base_grade"].astype("float64")
    out["worst_grade"] = out["worst_grade"].astype("float64")
    return out.reset_index(drop=True)


def summarize_lab_high_grade(
    adlb: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade: int = 3,
    baseline_week: int = 0,
    safety_flag: str = "SAFFL",
) -> pd.DataFrame:
    """Subjects whose worst post-baseline grade in any of the graded tests reached
    ``grade`` or more, and how many of them were worse than at baseline.

    Returns
    -------
    DataFrame
        The arm column (then ``Total``), ``n_subjects`` (worst grade >= ``grade`` in at
        least one test), ``n_worsened`` (the same, in a test whose worst grade is above
        its baseline grade; a missing baseline counts as grade 0), ``n`` and ``pct``.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2", "3"], "AVISITN": [0, 2, 0, 2, 2],
    ...                      "PARAMCD": "PLAT", "AVAL": [200.0, 40.0, 40.0, 45.0, 30.0], "ANRLO": 125.0})
    >>> summarize_lab_high_grade(adlb, adsl)
      TRT01A  n_subjects  n_worsened  n        pct
    0      A           3           2  3  100.0
    """
    arms = _arm_list(adsl, arm, arms)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_lab_high_grade")
    n = _denominators(pop, arm, arms)
    g = summarize_lab_grades(adlb, adsl, arm, baseline_week, safety_flag)
    g = g[g[arm].isin(arms)]
    high = g[g["worst_grade"] >= grade]
    worse = high[high["worst_grade"] > high["base_grade"].fillna(0)]
    rows = []
    for a in arm_columns(arms):
        h = high if a == "Total" else high[high[arm] == a]
        w = worse if a == "Total" else worse[worse[arm] == a]
        rows.append({arm: a, "n_subjects": h["USUBJID"].nunique(), "n_worsened": w["USUBJID"].nunique(), "n": n[a]})
    out = pd.DataFrame(rows)
    out["pct"] = _pct(out["n_subjects"], out["n"])
    return out


def _lab_label(g: int) -> str:
    return "No post-baseline value" if g == _MISSING else ("Grade 0 (normal)" if g == 0 else f"Grade {g}")


def summarize_lab_worst_grade(
    adlb: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    baseline_week: int = 0,
    safety_flag: str = "SAFFL",
) -> pd.DataFrame:
    """Subjects by their worst post-baseline CTCAE grade, per test and arm.

    Returns
    -------
    DataFrame
        ``PARAMCD``, ``term``, ``grade`` (``Int64`` 0 to 4; missing for subjects with no
        post-baseline value, a row shown only when there are such subjects),
        ``grade_label``, the arm column, ``n_subjects``, ``n`` (safety population) and
        ``pct``.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2"], "AVISITN": [0, 2, 0, 2], "PARAMCD": "PLAT",
    ...                      "AVAL": [200.0, 40.0, 120.0, 130.0], "ANRLO": 125.0})
    >>> summarize_lab_worst_grade(adlb, adsl)[["grade", "n_subjects", "pct"]]
       grade  n_subjects   pct
    0      0           1  50.0
    1      1           0   0.0
    2      2           0   0.0
    3      3           1  50.0
    4      4           0   0.0
    """
    arms = _arm_list(adsl, arm, arms)
    pop = _population(adsl, arm, arms, safety_flag, "summarize_lab_worst_grade")
    n = _denominators(pop, arm, arms)
    subj = summarize_lab_grades(adlb, adsl, arm, baseline_week, safety_flag)
    subj = subj[subj[arm].isin(arms)]
    ev = subj.assign(grade=subj["worst_grade"].fillna(_MISSING).astype("int64"))
    parts = []
    for code in pd.unique(subj["PARAMCD"]):
        e = ev[ev["PARAMCD"] == code]
        grades = list(LAB_GRADES) + ([_MISSING] if (e["grade"] == _MISSING).any() else [])
        part = _tally(e[["USUBJID", arm, "PARAMCD", "grade"]], pd.DataFrame({"PARAMCD": code, "grade": grades}), arm, arms, n)
        parts.append(part.assign(term=d.CTCAE_DECREASED[code]["term"]))
    if not parts:
        return pd.DataFrame(columns=["PARAMCD", "term", "grade", "grade_label", arm, "n_subjects", "n", "pct"])
    out = pd.concat(parts, ignore_index=True)
    out["grade_label"] = out["grade"].map(_lab_label)
    out["grade"] = out["grade"].astype("Int64").where(out["grade"] != _MISSING, pd.NA)
    return out[["PARAMCD", "term", "grade", "grade_label", arm, "n_subjects", "n", "pct"]]


def summarize_lab_shift(
    adlb: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    baseline_week: int = 0,
    safety_flag: str = "SAFFL",
) -> pd.DataFrame:
    """Shift from the baseline grade to the worst post-baseline grade, per test and arm.

    Returns
    -------
    DataFrame
        ``PARAMCD``, ``term``, the arm column (arms only, no total), ``base_grade`` and
        ``worst_grade`` (``Int64`` 0 to 4, missing when there is no value; the missing
        level appears only when some subject has it) and ``n_subjects``, for every
        combination (zeros included).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adlb = pd.DataFrame({"USUBJID": ["1", "1", "2", "2"], "AVISITN": [0, 2, 0, 2], "PARAMCD": "PLAT",
    ...                      "AVAL": [200.0, 40.0, 120.0, 130.0], "ANRLO": 125.0})
    >>> s = summarize_lab_shift(adlb, adsl)
    >>> s[s["n_subjects"] > 0][["base_grade", "worst_grade", "n_subjects"]]
       base_grade  worst_grade  n_subjects
    3           0            3           1
    5           1            0           1
    """
    arms = _arm_list(adsl, arm, arms)
    subj = summarize_lab_grades(adlb, adsl, arm, baseline_week, safety_flag)
    subj = subj[subj[arm].isin(arms)]
    parts = []
    for code in pd.unique(subj["PARAMCD"]):
        s = subj[subj["PARAMCD"] == code]
        b = s["base_grade"].fillna(_MISSING).astype("int64")
        w = s["worst_grade"].fillna(_MISSING).astype("int64")
        base_levels = list(LAB_GRADES) + ([_MISSING] if (b == _MISSING).any() else [])
        worst_levels = list(LAB_GRADES) + ([_MISSING] if (w == _MISSING).any() else [])
        grid = pd.MultiIndex.from_product([arms, base_levels, worst_levels], names=[arm, "base_grade", "worst_grade"])
        counts = pd.DataFrame({arm: s[arm].to_numpy(), "base_grade": b.to_numpy(), "worst_grade": w.to_numpy()})
        counts = counts.groupby([arm, "base_grade", "worst_grade"]).size().rename("n_subjects")
        part = counts.reindex(grid, fill_value=0).reset_index()
        parts.append(part.assign(PARAMCD=code, term=d.CTCAE_DECREASED[code]["term"]))
    cols = ["PARAMCD", "term", arm, "base_grade", "worst_grade", "n_subjects"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    for col in ("base_grade", "worst_grade"):
        out[col] = out[col].astype("Int64").where(out[col] != _MISSING, pd.NA)
    out["n_subjects"] = out["n_subjects"].astype("int64")
    return out[cols]


# ---------------------------------------------------------------------------------------
# prose


def format_counts_by_arm(counts: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """``"A: 3 of 10 (30.0%); B: ..."`` from one summary row per arm, for the prose.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": ["A", "B"], "n_subjects": [3, 0], "n": [10, 9]})
    >>> format_counts_by_arm(c, "TRT01A", ["A", "B"])
    'A: 3 of 10 (30.0%); B: 0 of 9 (0.0%)'
    """
    g = counts.set_index(arm)
    parts = []
    for a in arms:
        k, m = g.loc[a, "n_subjects"], int(g.loc[a, "n"])
        shown = NOT_RECORDED if pd.isna(k) else (f"{int(k)} of {m} ({100 * int(k) / m:.1f}%)" if m else f"{int(k)} of 0")
        parts.append(f"{a}: {shown}")
    return "; ".join(parts)


def _p_text(p: float) -> str:
    shown = format_p(p)
    return shown.replace("<", "< ") if shown.startswith("<") else f"= {shown}"


def describe_grade3plus(adae: pd.DataFrame, grade_var: str = "AETOXGR") -> str:
    """How the prose names the "grade 3 or more" row for this grade variable.

    Examples
    --------
    >>> describe_grade3plus(pd.DataFrame({"AESEV": ["MILD", "SEVERE"]}), "AESEV")
    'a severe event'
    >>> describe_grade3plus(pd.DataFrame({"AETOXGR": [1, 2]}))
    'an event of grade 3 or higher'
    """
    _, ctcae = _grade_scale(adae, grade_var)
    return "an event of grade 3 or higher" if ctcae else "a severe event"


def format_comparisons(comparisons: pd.DataFrame, analysis: str, confidence: float = 0.95) -> str:
    """The comparisons of one analysis (:func:`compare_ae_rates`) as a sentence part.

    Examples
    --------
    >>> c = pd.DataFrame({"analysis": "Any", "comparison": ["A vs B"], "estimate": [0.2517],
    ...                   "ci_low": [0.0007], "ci_high": [0.4632], "p_val": [0.067]})
    >>> format_comparisons(c, "Any")
    'A vs B: +25.2 percentage points (95% CI +0.1 to +46.3; Fisher p = 0.067)'
    >>> format_comparisons(c.assign(p_val=0.00002), "Any")[-17:]
    'Fisher p < 0.001)'
    """
    rows = comparisons[comparisons["analysis"] == analysis]
    parts = [
        f"{r['comparison']}: {100 * r['estimate']:+.1f} percentage points ({100 * confidence:g}% CI "
        f"{100 * r['ci_low']:+.1f} to {100 * r['ci_high']:+.1f}; Fisher p {_p_text(r['p_val'])})"
        for r in rows.to_dict("records")
    ]
    return "; ".join(parts) if parts else "no comparison possible"


def format_worst_grade(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """The highest grade any subject reached, in lower case, from the grade rows of
    :func:`summarize_ae_max_grade` or :func:`summarize_site_reactions` (all subjects);
    ``"none"`` when no subject had an event.

    Examples
    --------
    >>> s = pd.DataFrame({"grade": [1, 2, 3], "grade_label": ["Mild", "Moderate", "Severe"],
    ...                   "TRT01A": "A", "n_subjects": [4, 1, 0]})
    >>> format_worst_grade(s, "TRT01A", ["A"])
    'moderate'
    """
    rows = summary[(summary[arm] == _total_column(arms)) & (summary["n_subjects"] > 0) & summary["grade"].notna()]
    if "section" in rows.columns:
        rows = rows[rows["section"] == "grade"]
    if "level" in rows.columns:
        rows = rows[rows["level"] == "any"]
    if not len(rows):
        return "none"
    label = rows.sort_values("grade", kind="stable")["label" if "label" in rows.columns else "grade_label"].iloc[-1]
    return str(label).lower()


def no_adverse_events(records: pd.DataFrame, arm: str, arms: Sequence[str]) -> bool:
    """Whether the safety population has no adverse event at all, from
    :func:`summarize_ae_records` (the chapter's flag ``no_adverse_events``).

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A"], "n_records": [0], "n_teae": [0], "n": [5]})
    >>> no_adverse_events(r, "TRT01A", ["A"]), no_adverse_events(r.assign(n_records=2), "TRT01A", ["A"])
    (True, False)
    """
    total = records.loc[records[arm] == _total_column(arms), "n_records"]
    return bool(int(total.sum()) == 0)


def _plural(k: int, one: str, many: str) -> str:
    return f"{k} {one if k == 1 else many}"


def format_ae_records(records: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """The sentence saying how many adverse events were recorded and analysed, from
    :func:`summarize_ae_records`.

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A"], "n_records": [12], "n_teae": [10], "n": [5]})
    >>> format_ae_records(r, "TRT01A", ["A"])[:100]
    'Of the 12 adverse events recorded for the safety population, 10 were treatment-emergent (TEAEs: star'
    >>> format_ae_records(r.assign(n_records=0, n_teae=0), "TRT01A", ["A"])[:60]
    'No adverse events were recorded for the safety population, s'
    """
    total = records[records[arm] == _total_column(arms)].iloc[0]
    k, te = int(total["n_records"]), int(total["n_teae"])
    if k == 0:
        return (f"{NO_AE}, so no subject had a treatment-emergent adverse event (TEAE: one starting on or after "
                "the first dose), every count of adverse events below is zero and there is nothing to list.")
    return (f"Of the {_plural(k, 'adverse event', 'adverse events')} recorded for the safety population, "
            f"{te} {'was' if te == 1 else 'were'} treatment-emergent (TEAEs: starting on or after the first dose) "
            f"and {'is' if te == 1 else 'are'} analysed; the listing at the end shows them all.")


def format_ae_listing(records: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """The sentence that opens the listing of adverse events (or says there is none),
    from :func:`summarize_ae_records`.

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A"], "n_records": [0], "n_teae": [0], "n": [5]})
    >>> format_ae_listing(r, "TRT01A", ["A"])
    'No adverse events were recorded for the safety population: there is nothing to list.'
    """
    if no_adverse_events(records, arm, arms):
        return f"{NO_AE}: there is nothing to list."
    return ("Every adverse event of the safety population, treatment-emergent or not, by subject; search or sort "
            "it in the page, or download it.")


def format_ae_terms(incidence: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """The sentence on the classes and preferred terms reported and the most frequent
    term, from :func:`summarize_ae_incidence` (the term is the first of
    :func:`summarize_top_terms`).

    Examples
    --------
    >>> inc = pd.DataFrame({"level": ["any", "soc", "term", "term"], "soc": ["", "Gen", "Gen", "Gen"],
    ...                     "term": ["", "", "Pyrexia", "Fatigue"], "TRT01A": "A",
    ...                     "n_subjects": [3, 3, 2, 1], "pct": [75.0, 75.0, 50.0, 25.0]})
    >>> format_ae_terms(inc, "TRT01A", ["A"])
    'Events were reported in 1 class under 2 preferred terms; the most frequent was Pyrexia (2 subjects, 50.0%).'
    >>> format_ae_terms(inc.iloc[:1].assign(n_subjects=0, pct=0.0), "TRT01A", ["A"])
    'No treatment-emergent adverse event was recorded: the table holds only the row of all events, with zeros.'
    """
    terms = summarize_top_terms(incidence, arm, arms)
    if not len(terms):
        return f"{NO_TEAE}: the table holds only the row of all events, with zeros."
    n_soc = incidence.loc[incidence["level"] == "soc", "soc"].nunique()
    where = f"in {_plural(n_soc, 'class', 'classes')} " if n_soc else ""
    top = terms.iloc[0]
    k = int(top["n_subjects"])
    return (f"Events were reported {where}under {_plural(len(terms), 'preferred term', 'preferred terms')}; "
            f"the most frequent was {top['term']} ({_plural(k, 'subject', 'subjects')}, {top['pct'] / 100:.1%}).")


def recorded_value(x: object) -> object:
    """What a chapter glues for a count that may be missing: the number, or
    ``"not recorded"``.

    Examples
    --------
    >>> recorded_value(np.int64(3)), recorded_value(pd.NA)
    (3, 'not recorded')
    """
    if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
        return NOT_RECORDED
    return int(x)


# ---------------------------------------------------------------------------------------
# tables


def _headers(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> dict[str, str]:
    """Column titles with the denominator: ``"A (N = 10)"``."""
    n = summary.groupby(arm, sort=False)["n"].first()
    return {a: f"{a} (N = {int(n[a])})" for a in arm_columns(arms) if a in n.index}


def _cell(k, m, events=None) -> str:
    if pd.isna(k):
        return NOT_RECORDED
    k = int(k)
    if k == 0:
        return "0"
    shown = format_n_pct(k, int(m))
    return shown if events is None or pd.isna(events) else f"{shown} [{int(events)}]"


def teae_overview_table(overview: pd.DataFrame, arm: str, arms: Sequence[str], population: str = "safety population") -> ResultTable:
    """The overview of treatment-emergent adverse events (:func:`summarize_teae_overview`)."""
    s = overview.copy()
    s["cell"] = [_cell(k, m, e) for k, m, e in zip(s["n_subjects"], s["n"], s["n_events"], strict=True)]
    s["Subjects with"] = s["label"]
    display = spread_by_arm(s, ["Subjects with"], arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    rules = "; ".join(f"{lab.lower()}: {crit}" for lab, crit in
                      s[["label", "criterion"]].drop_duplicates().itertuples(index=False) if lab != "Any TEAE")
    notes = [
        f"Subjects n (% of the {population} in the arm) [events]. TEAE: treatment-emergent adverse event; "
        "a subject is counted once per row, every event is counted.",
        f"Definitions: {rules}. A blank flag counts as N.",
    ]
    if not s["recorded"].all():
        missing = ", ".join(s.loc[~s["recorded"], "label"].str.lower().drop_duplicates())
        notes.append(f"{NOT_RECORDED.capitalize()}: the data lack the variable this row needs ({missing}).")
    return ResultTable("teae-overview", "Overview of treatment-emergent adverse events", display, overview, notes)


def ae_incidence_table(
    incidence: pd.DataFrame, arm: str, arms: Sequence[str], min_pct: float = 0.0, population: str = "safety population"
) -> ResultTable:
    """Treatment-emergent adverse events by system organ class and preferred term
    (:func:`summarize_ae_incidence`), classes as row groups.

    Parameters
    ----------
    min_pct : float
        Show the preferred terms reported by at least this percentage of the subjects
        of some arm; every class and the CSV keep every term.
    """
    s = incidence.copy()
    s["cell"] = [_cell(k, m, e) for k, m, e in zip(s["n_subjects"], s["n"], s["n_events"], strict=True)]
    if min_pct > 0:
        arm_rows = s[s[arm] != "Total"]
        best = arm_rows.groupby(["level", "soc", "term"], sort=False)["pct"].max()
        keep = best[(best.index.get_level_values("level") != "term") | (best.fillna(0) >= min_pct)].index
        s = s.set_index(["level", "soc", "term"]).loc[lambda x: x.index.isin(keep)].reset_index()
    s["System organ class"] = np.where(s["level"] == "any", "All classes", s["soc"])
    s["Preferred term"] = np.select([s["level"] == "any", s["level"] == "soc"], ["Any TEAE", "Any term in the class"], s["term"])
    grouped = (s["soc"] != "").any()
    index = ["System organ class", "Preferred term"] if grouped else ["Preferred term"]
    display = spread_by_arm(s, index, arm, "cell", arms).rename(columns=_headers(incidence, arm, arms))
    notes = [
        f"Subjects n (% of the {population} in the arm) [events]; a subject is counted once per class and once "
        "per term, every event is counted. Sorted by descending incidence over all subjects.",
    ]
    title = "Treatment-emergent adverse events by system organ class and preferred term" if grouped else \
        "Treatment-emergent adverse events by preferred term"
    if min_pct > 0:
        notes.append(f"Preferred terms reported by at least {min_pct:g}% of the subjects of an arm; the CSV download "
                     "holds every term.")
        title += f" (terms in at least {min_pct:g}% of an arm)"
    return ResultTable("teae-soc-pt", title, display, incidence, notes,
                       rowname="Preferred term", groupname="System organ class" if grouped else None)


def ae_max_grade_table(max_grade: pd.DataFrame, arm: str, arms: Sequence[str], grade_var: str) -> ResultTable:
    """Subjects by maximum grade (:func:`summarize_ae_max_grade`), classes as row groups."""
    s = max_grade.copy()
    s["cell"] = [_cell(k, m) for k, m in zip(s["n_subjects"], s["n"], strict=True)]
    s["System organ class"] = np.where(s["level"] == "any", "All classes", s["soc"])
    s["Maximum grade"] = s["grade_label"]
    grouped = (s["level"] == "soc").any()
    index = ["System organ class", "Maximum grade"] if grouped else ["Maximum grade"]
    display = spread_by_arm(s, index, arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    scale = "severity (AESEV)" if set(s["grade_label"]) & set(SEVERITY_LABELS.values()) else f"CTCAE grade ({grade_var})"
    notes = [f"Subjects n (%) by the highest {scale} of their treatment-emergent adverse events, within each class."]
    return ResultTable("teae-max-grade", "Subjects by the maximum grade of their treatment-emergent adverse events",
                       display, max_grade, notes, rowname="Maximum grade", groupname="System organ class" if grouped else None)


def site_reaction_table(
    reactions: pd.DataFrame, arm: str, arms: Sequence[str], terms: Sequence[str], label: str = "Injection-site reactions"
) -> ResultTable:
    """Reactions at the injection site by course and worst grade (:func:`summarize_site_reactions`)."""
    s = reactions.copy()
    s["cell"] = [_cell(k, m, e) for k, m, e in zip(s["n_subjects"], s["n"], s["n_events"], strict=True)]
    heads = {"any": "Subjects", "term": "By preferred term", "course": "By course of onset", "grade": "By worst grade"}
    s["Section"] = s["section"].map(heads)
    s[""] = s["label"]
    display = spread_by_arm(s, ["Section", ""], arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    notes = [
        f"Preferred terms of interest: {', '.join(terms)}. Subjects n (%) [events]; the course is the one whose "
        "study-day window holds the day of onset, and a subject can appear in several courses. "
        "By worst grade: each subject once, at the highest grade of these events.",
    ]
    return ResultTable("site-reactions", f"{label}: subjects, course of onset and worst grade", display, reactions,
                       notes, rowname="", groupname="Section")


def exposure_table(exposure: pd.DataFrame, arm: str, arms: Sequence[str]) -> ResultTable:
    """Doses planned and given, by course (:func:`summarize_exposure`)."""
    unit = exposure["dose_unit"].iloc[0] if len(exposure) else ""
    rows = []
    for r in exposure.to_dict("records"):
        m = int(r["n"])
        cells = {
            "Subjects dosed, n (%)": format_n_pct(int(r["n_dosed"]), m),
            "Doses per subject, median (range)": "-" if pd.isna(r["doses_median"]) else
            f"{r['doses_median']:g} ({r['doses_min']:g} to {r['doses_max']:g})",
        }
        if not pd.isna(r["doses_planned"]):
            planned = int(r["doses_planned"]) * m
            cells["Doses given of planned, n/N (%)"] = f"{int(r['doses_given'])}/{planned}" + (
                f" ({r['pct_planned']:.1f}%)" if planned else "")
            cells[f"Subjects given all {int(r['doses_planned'])} planned doses, n (%)"] = format_n_pct(int(r["n_all_planned"]), m)
        else:
            cells["Doses given"] = str(int(r["doses_given"]))
        cells[f"Cumulative dose{f' ({unit})' if unit else ''}, median [IQR]"] = "-" if pd.isna(r["cum_dose_median"]) else \
            f"{r['cum_dose_median']:g} [{r['cum_dose_q1']:g}, {r['cum_dose_q3']:g}]"
        for label, cell in cells.items():
            rows.append({"Period": r["period"], "": label, arm: r[arm], "cell": cell, "n": m})
    s = pd.DataFrame(rows)
    display = spread_by_arm(s, ["Period", ""], arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    notes = ["Safety population. Doses are the administrations recorded in adex (a placebo dose counts); a subject "
             "who missed a course counts with 0 doses in it. IQR: interquartile range."]
    if len(arms) > 1 and exposure.loc[exposure[arm] == "Total", "cum_dose_median"].isna().all():
        notes.append("The cumulative dose is not totalled over arms that received different treatments.")
    return ResultTable("exposure", "Exposure to study drug: doses planned and given, by course", display, exposure,
                       notes, rowname="", groupname="Period")


def lab_worst_grade_table(worst: pd.DataFrame, arm: str, arms: Sequence[str]) -> ResultTable:
    """Worst post-baseline CTCAE grade per test (:func:`summarize_lab_worst_grade`)."""
    s = worst.copy()
    s["cell"] = [_cell(k, m) for k, m in zip(s["n_subjects"], s["n"], strict=True)]
    s["Test"] = s["term"] + " (" + s["PARAMCD"] + ")"
    s["Worst grade"] = s["grade_label"]
    display = spread_by_arm(s, ["Test", "Worst grade"], arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    notes = ["Subjects n (% of the safety population) by their worst CTCAE v5.0 grade over every post-baseline visit. "
             "Grade 1 is below the lower limit of normal; grades 2 to 4 below the CTCAE bounds."]
    return ResultTable("lab-worst-grade", "Laboratory abnormalities: worst post-baseline CTCAE grade", display, worst,
                       notes, rowname="Worst grade", groupname="Test")


def lab_shift_table(shift: pd.DataFrame, arm: str, arms: Sequence[str]) -> ResultTable:
    """Baseline grade by worst post-baseline grade (:func:`summarize_lab_shift`)."""
    s = shift.copy()
    s["Test"] = s["term"] + " (" + s["PARAMCD"] + ")"
    if len(arms) > 1:
        s["Test"] = s["Test"] + ", " + s[arm]
    s["Baseline grade"] = s["base_grade"].map(lambda g: "Missing" if pd.isna(g) else f"Grade {int(g)}")
    s["worst"] = s["worst_grade"].map(lambda g: "Missing" if pd.isna(g) else f"Grade {int(g)}")
    wide = s.pivot_table(index=["Test", "Baseline grade"], columns="worst", values="n_subjects", aggfunc="sum",
                         observed=True, sort=False)
    cols = [c for c in [f"Grade {g}" for g in LAB_GRADES] + ["Missing"] if c in wide.columns]
    wide = wide.reindex(columns=cols).fillna(0).astype("int64").astype("str").reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={c: f"Worst {c.lower()}" if c != "Missing" else "No post-baseline value" for c in cols})
    notes = ["Subjects by CTCAE v5.0 grade at baseline (rows) and worst grade after baseline (columns); safety "
             "population" + (", by arm." if len(arms) > 1 else ".")]
    return ResultTable("lab-shift", "Laboratory abnormalities: shift from baseline grade to worst post-baseline grade",
                       wide, shift, notes, rowname="Baseline grade", groupname="Test")


def ae_listing_table(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    grade_var: str = "AETOXGR",
    safety_flag: str = "SAFFL",
    teae_flag: str | None = "TRTEMFL",
) -> ResultTable:
    """A listing of every adverse event of the safety population, by subject.

    Only ``USUBJID`` identifies a subject; columns the data lack are left out.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "SUBJID": ["a", "b"], "TRT01A": "A", "SAFFL": "Y"})
    >>> adae = pd.DataFrame({"USUBJID": ["2", "1"], "AEDECOD": ["Pyrexia", "Fatigue"], "ASTDY": [5, None],
    ...                      "TRTEMFL": ["Y", ""]})
    >>> ae_listing_table(adae, adsl).display
      Subject Arm Day Preferred term Treatment-emergent
    0       1   A            Fatigue                  N
    1       2   A   5        Pyrexia                  Y
    """
    arms = _arm_list(adsl, arm, arms)
    ae = derive_teae(adae, adsl, arm, safety_flag, None)
    ae = ae[ae[arm].isin(arms)]
    labels, _ = _grade_scale(adae, grade_var)
    columns = [("USUBJID", "Subject"), (arm, "Arm"), ("ASTDY", "Day"), ("AEBODSYS", "System organ class"),
               ("AEDECOD", "Preferred term"), ("AETERM", "Reported term"),
               (grade_var, "Severity" if labels == SEVERITY_LABELS else "CTCAE grade"), ("AESER", "Serious"),
               ("AEREL", "Relationship"), ("AEACN", "Action taken"), ("AEOUT", "Outcome")]
    if teae_flag is not None:
        columns.append((teae_flag, "Treatment-emergent"))
    columns = [(c, lab) for c, lab in dict(columns).items() if c in ae.columns]
    order = {a: i for i, a in enumerate(arms)}
    day = pd.to_numeric(ae["ASTDY"], errors="coerce") if "ASTDY" in ae else pd.Series(0.0, index=ae.index)
    ae = ae.assign(_arm=ae[arm].map(order), _day=day).sort_values(["_arm", "USUBJID", "_day"], kind="stable", na_position="first")
    data = ae[[c for c, _ in columns]].reset_index(drop=True)
    display = pd.DataFrame(index=data.index)
    for c, lab in columns:
        v = data[c]
        if c == "ASTDY":
            display[lab] = [("" if pd.isna(x) else str(int(x))) for x in v]
        elif c == teae_flag:
            display[lab] = np.where(_flag(v), "Y", "N")
        elif pd.api.types.is_numeric_dtype(v):
            display[lab] = [("" if pd.isna(x) else f"{x:g}") for x in v]
        else:
            display[lab] = v.astype("object").where(v.notna(), "").astype("str").str.strip()
    notes = ["Every adverse event recorded for a subject of the safety population, treatment-emergent or not. "
             "Day: study day of onset (day 1 is the first dose)."]
    return ResultTable("ae-listing", "Listing of adverse events by subject", display, data, notes)


# ---------------------------------------------------------------------------------------
# figures


def ae_terms_figure(incidence: pd.DataFrame, arm: str, arms: Sequence[str], top: int = 15):
    """Horizontal bars: the ``top`` most frequent preferred terms, % of subjects per arm;
    without a treatment-emergent event, a figure that says so (:data:`NO_TEAE`)."""
    from helpers.present.figures import bar_figure

    terms = incidence[incidence["level"] == "term"]
    chosen = list(dict.fromkeys(summarize_top_terms(incidence, arm, arms)["term"]))[:top]
    df = terms[terms["term"].isin(chosen) & terms[arm].isin(arms)]
    df = df.assign(_o=df["term"].map({t: i for i, t in enumerate(chosen)})).sort_values(["_o"], kind="stable")
    df = df.assign(pct=df["pct"].fillna(0.0))
    several = len(arms) > 1
    return bar_figure(df, "term", "pct", "Subjects with the event, %", hue=arm if several else None,
                      hue_order=list(arms) if several else None, empty_text=NO_TEAE)


def site_reaction_course_figure(reactions: pd.DataFrame, arm: str, arms: Sequence[str]):
    """Horizontal bars: % of subjects with a reaction starting in each course, per arm."""
    from helpers.present.figures import bar_figure

    df = reactions[(reactions["section"] == "course") & reactions[arm].isin(arms)]
    df = df.assign(pct=df["pct"].fillna(0.0))
    several = len(arms) > 1
    return bar_figure(df, "label", "pct", "Subjects with a reaction starting in the course, %",
                      hue=arm if several else None, hue_order=list(arms) if several else None)


# ---------------------------------------------------------------------------------------
# checks


def check_safety_summaries(
    adsl: pd.DataFrame,
    summaries: Mapping[str, pd.DataFrame],
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    safety_flag: str = "SAFFL",
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
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A", "SAFFL": "Y"})
    >>> ok = pd.DataFrame({"TRT01A": ["A"], "n": [2], "n_subjects": [1], "pct": [50.0]})
    >>> check_safety_summaries(adsl, {"overview": ok})
    >>> check_safety_summaries(adsl, {"overview": ok.assign(n=3)})
    Traceback (most recent call last):
    ...
    ValueError: safety checks failed:
      - overview: arm A has n = 3 but the safety population has 2 subjects
    """
    arms = _arm_list(adsl, arm, arms)
    expected = _denominators(_population(adsl, arm, arms, safety_flag, "check_safety_summaries"), arm, arms)
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
        keyed = incidence.set_index(["level", "soc", arm])
        for row in incidence[incidence["level"] != "any"].to_dict("records"):
            parent = ("soc", row["soc"], row[arm]) if row["level"] == "term" else ("any", "", row[arm])
            if parent not in keyed.index:
                continue
            p = keyed.loc[parent]
            p = p.iloc[0] if isinstance(p, pd.DataFrame) else p
            for col in ("n_subjects", "n_events"):
                if row[col] > p[col]:
                    what = f"term {row['term']!r}" if row["level"] == "term" else f"class {row['soc']!r}"
                    problems.append(f"incidence: {what} has {col} {row[col]} above its parent's {p[col]} in arm {row[arm]}")
    if problems:
        raise ValueError("safety checks failed:\n" + "\n".join(f"  - {p}" for p in problems))
