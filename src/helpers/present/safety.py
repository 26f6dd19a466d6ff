"""The safety chapter's tables and figures, from the tidy frames of
:mod:`helpers.analyses.adverse_events`, :mod:`helpers.analyses.exposure` and
:mod:`helpers.analyses.lab_toxicity`.

Each ``*_table`` returns a :class:`~helpers.present.tables.ResultTable` whose CSV
download (``data``) is the summary with its row labels (from
:mod:`helpers.present.prose.safety`) beside the codes, and whose page (``display``)
shows one column per arm titled with its denominator, ``"A (N = 10)"``. A count the data
cannot give shows as "not recorded", a zero as ``0``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analyses.adverse_events import summarize_top_terms
from helpers.analyses.arms import TOTAL, arms_and_total
from helpers.analyses.lab_toxicity import LAB_GRADES
from helpers.present.format import format_estimate_ci, format_n_pct, format_number, format_p
from helpers.present.prose import safety as words
from helpers.present.tables import ResultTable, comparison_table, spread_by_arm
from helpers.stats import RATE_TESTS


def _headers(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> dict[str, str]:
    """Column titles with the denominator: ``"A (N = 10)"``."""
    n = summary.groupby(arm, sort=False)["n"].first()
    return {a: f"{a} (N = {int(n[a])})" for a in arms_and_total(arms) if a in n.index}


def _cell(k, m, events=None) -> str:
    """``n (pct%) [events]``; ``0`` for none; "not recorded" when missing.

    Examples
    --------
    >>> _cell(3, 10, 4), _cell(0, 10, 0), _cell(pd.NA, 10)
    ('3 (30.0%) [4]', '0', 'not recorded')
    """
    if pd.isna(k):
        return words.NOT_RECORDED
    k = int(k)
    if k == 0:
        return "0"
    shown = format_n_pct(k, int(m))
    return shown if events is None or pd.isna(events) else f"{shown} [{int(events)}]"


def _with_column(frame: pd.DataFrame, position: int, name: str, values) -> pd.DataFrame:
    out = frame.copy()
    out.insert(position, name, values)
    return out


# ---------------------------------------------------------------------------------------
# adverse events


def teae_overview_table(
    overview: pd.DataFrame, arm: str, arms: Sequence[str], scale: str = "ctcae", population: str = "safety population"
) -> ResultTable:
    """The overview of treatment-emergent adverse events
    (:func:`helpers.analyses.adverse_events.summarize_teae_overview`); ``scale`` names
    the grade-3 row (:func:`helpers.present.prose.safety.overview_labels`).

    Examples
    --------
    >>> o = pd.DataFrame({"category": ["any", "fatal"], "criterion": ["every event", "AEOUT = FATAL"],
    ...                   "TRT01A": "A", "recorded": [True, False], "n_subjects": pd.array([1, pd.NA], dtype="Int64"),
    ...                   "n_events": pd.array([2, pd.NA], dtype="Int64"), "n": 4, "pct": [25.0, None]})
    >>> t = teae_overview_table(o, "TRT01A", ["A"])
    >>> t.display.values.tolist()
    [['Any TEAE', '1 (25.0%) [2]'], ['Fatal', 'not recorded']]
    >>> list(t.data.columns)[:3]
    ['category', 'label', 'criterion']
    """
    s = _with_column(overview, 1, "label", overview["category"].map(words.overview_labels(scale)))
    s["cell"] = [_cell(k, m, e) for k, m, e in zip(s["n_subjects"], s["n"], s["n_events"], strict=True)]
    s["Subjects with"] = s["label"]
    display = spread_by_arm(s, ["Subjects with"], arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    rules = "; ".join(f"{lab.lower()}: {crit}" for cat, lab, crit in
                      s[["category", "label", "criterion"]].drop_duplicates().itertuples(index=False) if cat != "any")
    notes = [
        f"Subjects n (% of the {population} in the arm) [events]. TEAE: treatment-emergent adverse event; "
        "a subject is counted once per row, every event is counted.",
        f"Definitions: {rules}. A blank flag counts as N.",
    ]
    if not s["recorded"].all():
        missing = ", ".join(s.loc[~s["recorded"], "label"].str.lower().drop_duplicates())
        notes.append(f"{words.NOT_RECORDED.capitalize()}: the data lack the variable this row needs ({missing}).")
    return ResultTable("teae-overview", "Overview of treatment-emergent adverse events", display,
                       s.drop(columns=["cell", "Subjects with"]), notes)


def ae_incidence_table(
    incidence: pd.DataFrame, arm: str, arms: Sequence[str], min_pct: float = 0.0, population: str = "safety population"
) -> ResultTable:
    """Treatment-emergent adverse events by system organ class and preferred term
    (:func:`helpers.analyses.adverse_events.summarize_ae_incidence`), classes as row
    groups.

    Parameters
    ----------
    min_pct : float
        Show the preferred terms reported by at least this percentage of the subjects
        of some arm; every class and the CSV keep every term.
    """
    s = incidence.copy()
    s["cell"] = [_cell(k, m, e) for k, m, e in zip(s["n_subjects"], s["n"], s["n_events"], strict=True)]
    if min_pct > 0:
        best = s[s[arm] != TOTAL].groupby(["level", "soc", "term"], sort=False)["pct"].max()
        keep = best[(best.index.get_level_values("level") != "term") | (best.fillna(0) >= min_pct)].index
        s = s[pd.MultiIndex.from_frame(s[["level", "soc", "term"]]).isin(keep)]
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


def ae_max_grade_table(max_grade: pd.DataFrame, arm: str, arms: Sequence[str], grade_var: str,
                       scale: str = "ctcae") -> ResultTable:
    """Subjects by maximum grade
    (:func:`helpers.analyses.adverse_events.summarize_ae_max_grade`), classes as row
    groups."""
    s = _with_column(max_grade, 3, "grade_label", [words.grade_label(g, scale) for g in max_grade["grade"]])
    data = s.copy()
    s["cell"] = [_cell(k, m) for k, m in zip(s["n_subjects"], s["n"], strict=True)]
    s["System organ class"] = np.where(s["level"] == "any", "All classes", s["soc"])
    s["Maximum grade"] = s["grade_label"]
    grouped = (s["level"] == "soc").any()
    index = ["System organ class", "Maximum grade"] if grouped else ["Maximum grade"]
    display = spread_by_arm(s, index, arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    shown = f"severity ({grade_var})" if scale == "severity" else f"CTCAE grade ({grade_var})"
    notes = [f"Subjects n (%) by the highest {shown} of their treatment-emergent adverse events, within each class."]
    return ResultTable("teae-max-grade", "Subjects by the maximum grade of their treatment-emergent adverse events",
                       display, data, notes, rowname="Maximum grade", groupname="System organ class" if grouped else None)


def site_reaction_table(
    reactions: pd.DataFrame, arm: str, arms: Sequence[str], terms: Sequence[str],
    label: str = "injection-site reaction", scale: str = "ctcae", courses: Sequence = (),
) -> ResultTable:
    """Reactions at the site of administration by course and worst grade
    (:func:`helpers.analyses.adverse_events.summarize_site_reactions`); ``label`` is
    what the prose calls one reaction, ``courses`` (the config's) label the course
    rows."""
    data = reactions.drop(columns="term")
    data.insert(1, "label", words.site_reaction_labels(reactions, scale, courses))
    s = data.copy()
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
    return ResultTable("site-reactions", f"{label.capitalize()}s: subjects, course of onset and worst grade", display, data,
                       notes, rowname="", groupname="Section")


def ae_listing_table(
    listing: pd.DataFrame, arm: str = "TRT01A", grade_var: str = "AETOXGR", teae_flag: str | None = "TRTEMFL",
    scale: str = "ctcae",
) -> ResultTable:
    """The listing of adverse events by subject
    (:func:`helpers.analyses.adverse_events.list_adverse_events`).

    Examples
    --------
    >>> listing = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01A": "A", "ASTDY": [None, 5.0],
    ...                         "AEDECOD": ["Fatigue", "Pyrexia"], "TRTEMFL": ["", "Y"]})
    >>> ae_listing_table(listing).display
      Subject Arm Day Preferred term Treatment-emergent
    0       1   A            Fatigue                  N
    1       2   A   5        Pyrexia                  Y
    """
    titles = {"USUBJID": "Subject", arm: "Arm", "ASTDY": "Day", "AEBODSYS": "System organ class",
              "AEDECOD": "Preferred term", "AETERM": "Reported term",
              grade_var: "Severity" if scale == "severity" else "CTCAE grade", "AESER": "Serious",
              "AEREL": "Relationship", "AEACN": "Action taken", "AEOUT": "Outcome"}
    if teae_flag is not None:
        titles[teae_flag] = "Treatment-emergent"
    display = pd.DataFrame(index=listing.index)
    for c in listing.columns:
        v = listing[c]
        if c == "ASTDY":
            shown = ["" if pd.isna(x) else str(int(x)) for x in v]
        elif c == teae_flag:
            flagged = v.astype("object").where(v.notna(), "").astype("str").str.strip().str.upper() == "Y"
            shown = np.where(flagged, "Y", "N")
        elif pd.api.types.is_numeric_dtype(v):
            shown = ["" if pd.isna(x) else f"{x:g}" for x in v]
        else:
            shown = v.astype("object").where(v.notna(), "").astype("str").str.strip()
        display[titles.get(c, c)] = shown
    notes = ["Every adverse event recorded for a subject of the safety population, treatment-emergent or not. "
             "Day: study day of onset (day 1 is the first dose)."]
    return ResultTable("ae-listing", "Listing of adverse events by subject", display, listing, notes)


def safety_comparison_table(
    comparisons: pd.DataFrame, reference: str, labels: dict[str, str], confidence: float = 0.95,
) -> ResultTable:
    """Each arm against the reference arm
    (:func:`helpers.analyses.adverse_events.compare_ae_rates`), the analyses named by
    ``labels`` (:func:`helpers.present.prose.safety.analysis_labels`); the footnote
    names the test of the p-values from the ``test`` column.

    Examples
    --------
    >>> c = pd.DataFrame({"analysis": "any", "comparison": ["A vs B"], "estimate": [0.2517], "ci_low": [0.0007],
    ...                   "ci_high": [0.4632], "p_val": [0.067], "test": "fisher",
    ...                   "method": "Newcombe interval; Fisher's exact test", "scale": "percent"})
    >>> t = safety_comparison_table(c, "B", {"any": "Any TEAE"})
    >>> t.display.values.tolist()
    [['Any TEAE', 'A vs B', '25.2 (0.1 to 46.3)', '0.067', "Newcombe interval; Fisher's exact test"]]
    >>> t.notes[0][-23:]
    "p: Fisher's exact test."
    """
    rows = comparisons.assign(analysis=comparisons["analysis"].map(labels))
    tests = "; ".join(RATE_TESTS[t] for t in pd.unique(comparisons["test"])) or RATE_TESTS["fisher"]
    notes = [f"Safety population. Reference arm: {reference}. Estimate: difference in the percentage of subjects "
             f"(percentage points); Newcombe hybrid score interval; p: {tests}."]
    return comparison_table(rows, "safety-comparison", "Adverse events: comparison of each arm with the reference arm",
                            notes, confidence=confidence)


# ---------------------------------------------------------------------------------------
# exposure and laboratory toxicity


def exposure_table(exposure: pd.DataFrame, arm: str, arms: Sequence[str]) -> ResultTable:
    """Doses planned and given, by course (:func:`helpers.analyses.exposure.summarize_exposure`)."""
    data = _with_column(exposure, 0, "period", [words.period_label(c) for c in exposure["course"]])
    unit = exposure["dose_unit"].iloc[0] if len(exposure) else ""
    rows = []
    for r in data.to_dict("records"):
        m = int(r["n"])
        cells = {
            "Subjects dosed, n (%)": format_n_pct(int(r["n_dosed"]), m),
            "Doses per subject, median (range)": "-" if pd.isna(r["doses_median"]) else
            f"{r['doses_median']:g} ({r['doses_min']:g} to {r['doses_max']:g})",
        }
        if not pd.isna(r["doses_planned"]):
            planned = int(r["doses_planned"]) * m
            cells["Doses given of planned, n/N (%)"] = f"{int(r['doses_given'])}/{planned}" + (
                f" ({format_number(r['pct_planned'], 1)}%)" if planned else "")
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
    if len(arms) > 1 and exposure.loc[exposure[arm] == TOTAL, "cum_dose_median"].isna().all():
        notes.append("The cumulative dose is not totalled over arms that received different treatments.")
    return ResultTable("exposure", "Exposure to study drug: doses planned and given, by course", display, data,
                       notes, rowname="", groupname="Period")


def lab_worst_grade_table(worst: pd.DataFrame, arm: str, arms: Sequence[str]) -> ResultTable:
    """Worst post-baseline CTCAE grade per test
    (:func:`helpers.analyses.lab_toxicity.summarize_lab_worst_grade`)."""
    data = _with_column(worst, 3, "grade_label", [words.lab_grade_label(g) for g in worst["grade"]])
    s = data.copy()
    s["cell"] = [_cell(k, m) for k, m in zip(s["n_subjects"], s["n"], strict=True)]
    s["Test"] = s["term"] + " (" + s["PARAMCD"] + ")"
    s["Worst grade"] = s["grade_label"]
    display = spread_by_arm(s, ["Test", "Worst grade"], arm, "cell", arms).rename(columns=_headers(s, arm, arms))
    notes = ["Subjects n (% of the safety population) by their worst CTCAE v5.0 grade over every post-baseline visit. "
             "Grade 1 is below the lower limit of normal; grades 2 to 4 below the CTCAE bounds."]
    return ResultTable("lab-worst-grade", "Laboratory abnormalities: worst post-baseline CTCAE grade", display, data,
                       notes, rowname="Worst grade", groupname="Test")


def lab_shift_table(shift: pd.DataFrame, arm: str, arms: Sequence[str]) -> ResultTable:
    """Baseline grade by worst post-baseline grade
    (:func:`helpers.analyses.lab_toxicity.summarize_lab_shift`)."""
    s = shift.copy()
    s["Test"] = s["term"] + " (" + s["PARAMCD"] + ")"
    if len(arms) > 1:
        s["Test"] = s["Test"] + ", " + s[arm]
    s["Baseline grade"] = ["Missing" if pd.isna(g) else f"Grade {int(g)}" for g in s["base_grade"]]
    s["worst"] = ["Missing" if pd.isna(g) else f"Grade {int(g)}" for g in s["worst_grade"]]
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


# ---------------------------------------------------------------------------------------
# figures


def ae_terms_figure(incidence: pd.DataFrame, arm: str, arms: Sequence[str], top: int = 15):
    """Horizontal bars: the ``top`` most frequent preferred terms, % of subjects per arm;
    without a treatment-emergent event, a figure that says so
    (:data:`helpers.present.prose.safety.NO_TEAE`)."""
    from helpers.present.figures import bar_figure

    terms = incidence[incidence["level"] == "term"]
    chosen = list(dict.fromkeys(summarize_top_terms(incidence, arm, arms)["term"]))[:top]
    df = terms[terms["term"].isin(chosen) & terms[arm].isin(arms)]
    df = df.assign(_o=df["term"].map({t: i for i, t in enumerate(chosen)})).sort_values(["_o"], kind="stable")
    df = df.assign(pct=df["pct"].fillna(0.0))
    several = len(arms) > 1
    return bar_figure(df, "term", "pct", "Subjects with the event, %", hue=arm if several else None,
                      hue_order=list(arms) if several else None, empty_text=words.NO_TEAE)


def site_reaction_course_figure(reactions: pd.DataFrame, arm: str, arms: Sequence[str], courses: Sequence = ()):
    """Horizontal bars: % of subjects with a reaction starting in each course, per arm."""
    from helpers.present.figures import bar_figure

    df = reactions[(reactions["section"] == "course") & reactions[arm].isin(arms)]
    df = df.assign(label=words.site_reaction_labels(df, "ctcae", courses), pct=df["pct"].fillna(0.0))
    several = len(arms) > 1
    return bar_figure(df, "label", "pct", "Subjects with a reaction starting in the course, %",
                      hue=arm if several else None, hue_order=list(arms) if several else None)


# ---------------------------------------------------------------------------------------
# infections and terms of interest


def infections_table(summary: pd.DataFrame, comparisons: pd.DataFrame, arms: Sequence[str],
                     confidence: float = 0.95) -> ResultTable:
    """Infections, other adverse events of interest and serious adverse events by term,
    n (%) per arm, and each arm against the reference arm: the difference in percentage
    points with its Miettinen-Nurminen interval and the score test's p
    (:mod:`helpers.analyses.infections`).

    Parameters
    ----------
    summary : DataFrame
        ``measure``, ``term``, ``arm``, ``n_subjects``, ``n`` (the summaries of
        :mod:`helpers.analyses.infections`, concatenated).
    comparisons : DataFrame
        :func:`helpers.analyses.infections.compare_infection_rates` of ``summary``
        (empty with one arm).
    arms : sequence of str
    confidence : float

    Examples
    --------
    >>> s = pd.DataFrame({"measure": "infection_any", "term": "", "arm": ["A", "B"], "n_subjects": [2, 6],
    ...                   "n": [29, 30], "rate": [2 / 29, 0.2]})
    >>> c = pd.DataFrame({"measure": ["infection_any"], "arm": ["A"], "reference": ["B"], "estimate": [-0.131],
    ...                   "ci_low": [-0.3189], "ci_high": [0.0521], "p_val": [0.1451], "method": "MN"})
    >>> t = infections_table(s, c, ["A", "B"])
    >>> t.display.columns.tolist()
    ['Section', '', 'A (N = 29)', 'B (N = 30)', 'A - B, percentage points (95% CI)', 'p, A vs B']
    >>> t.display.iloc[0].tolist()
    ['Infections', 'Any infection', '2 (6.9%)', '6 (20.0%)', '-13.1 (-31.9 to 5.2)', '0.145']
    """
    data = summary.copy()
    data.insert(1, "label", words.infection_labels(summary))
    heads = {a: f"{a} (N = {int(g['n'].iloc[0])})" for a, g in summary.groupby("arm", sort=False)}
    level = f"{100 * confidence:g}% CI"
    rows = []
    for measure in pd.unique(summary["measure"]):
        g = summary[summary["measure"] == measure]
        by_arm = {r["arm"]: r for r in g.to_dict("records")}
        row = {"Section": words.infection_section(measure), "": words.infection_labels(g).iloc[0]}
        for a in arms:
            row[heads.get(a, a)] = _cell(by_arm[a]["n_subjects"], by_arm[a]["n"]) if a in by_arm else "-"
        for c in comparisons[comparisons["measure"] == measure].to_dict("records"):
            row[f"{c['arm']} - {c['reference']}, percentage points ({level})"] = (
                "-" if pd.isna(c["estimate"]) else
                format_estimate_ci(100 * c["estimate"], 100 * c["ci_low"], 100 * c["ci_high"], 1))
            row[f"p, {c['arm']} vs {c['reference']}"] = format_p(c["p_val"])
        rows.append(row)
    display = pd.DataFrame(rows)
    notes = ["Safety population, by the treatment received; subjects n (%), each subject once per row. Infections: "
             "the MedDRA system organ class Infections and infestations; serious: AESER = Y."]
    if len(comparisons):
        notes.append("Difference in the percentage of subjects, arm minus reference, with the Miettinen-Nurminen "
                     "score interval and the score test's p (Miettinen and Nurminen 1985); not adjusted for "
                     "multiplicity.")
    return ResultTable("infections", "Infections and adverse events of interest", display, data, notes,
                       rowname="", groupname="Section")
