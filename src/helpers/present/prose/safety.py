"""The words of the safety chapter: labels of grades, categories, courses and periods,
and the sentences built from the safety summaries.

Every sentence here follows the numbers it is given: how many events were recorded and
how they were selected (the treatment-emergent flag actually used), which term was the
most frequent, the worst grade reached, the comparisons and the test they used. The
tables and figures (:mod:`helpers.present.safety`) take their labels from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analyses import adverse_events as ae
from helpers.analyses.arms import total_label
from helpers.present.format import format_number, format_signed
from helpers.present.prose import count_noun, p_text, percent, with_article

#: What a count shows when the export lacks the column it needs.
NOT_RECORDED = "not recorded"
#: What a planned number of doses shows when the regimen's plan is not given.
NOT_PLANNED = "not planned"
#: What a grade, a term or a list shows when there is nothing.
NONE = "none"
#: What the prose says when ``adae`` holds no event of the safety population.
NO_AE = "No adverse events were recorded for the safety population"
#: What the prose and the figure of terms say when no event is treatment-emergent.
NO_TEAE = "No treatment-emergent adverse event was recorded"

#: The labels of each grade scale (:data:`helpers.analyses.adverse_events.GRADE_LEVELS`).
GRADE_LABELS: dict[str, dict[int, str]] = {
    "ctcae": {g: f"Grade {g}" for g in range(1, 6)},
    "severity": {1: "Mild", 2: "Moderate", 3: "Severe"},
}
#: The label of subjects whose events have no grade.
NOT_GRADED = "Grade not recorded"
#: The overview's rows (:func:`helpers.analyses.adverse_events.summarize_teae_overview`).
OVERVIEW_LABELS: dict[str, str] = {
    "any": "Any TEAE",
    "related": "Related to study drug",
    "grade3plus": "Grade 3 or higher",
    "serious": "Serious",
    "discontinued": "Leading to discontinuation of study drug",
    "fatal": "Fatal",
}
#: The row of events of grade 3 or more when the grade is a severity.
SEVERE = "Severe"
#: Labels of the rows of the reactions of interest that are not a course or a grade.
ANY_TERM_OF_INTEREST = "Any of the terms of interest"
OUTSIDE_COURSES = "Outside the treatment courses"
DAY_NOT_RECORDED = "Study day not recorded"
#: The period of the exposure table that holds every course.
ALL_COURSES = "All courses"
#: The tests of :func:`helpers.stats.compare_rates`, as a sentence names them before "p".
TEST_SHORT_NAMES: dict[str, str] = {"fisher": "Fisher", "chisq": "chi-square"}


# ---------------------------------------------------------------------------------------
# labels


def grade_label(grade: object, scale: str) -> str:
    """The label of a grade of a scale (``"ctcae"`` or ``"severity"``); a missing grade
    is :data:`NOT_GRADED`.

    Examples
    --------
    >>> grade_label(2, "ctcae"), grade_label(3, "severity"), grade_label(pd.NA, "ctcae")
    ('Grade 2', 'Severe', 'Grade not recorded')
    """
    return NOT_GRADED if pd.isna(grade) else GRADE_LABELS[scale][int(grade)]


def overview_labels(scale: str) -> dict[str, str]:
    """The overview's row labels by category, the grade-3 row named for the scale.

    Examples
    --------
    >>> overview_labels("severity")["grade3plus"], overview_labels("ctcae")["grade3plus"]
    ('Severe', 'Grade 3 or higher')
    """
    return {**OVERVIEW_LABELS, "grade3plus": OVERVIEW_LABELS["grade3plus"] if scale == "ctcae" else SEVERE}


def analysis_labels(scale: str, site_reaction_label: str) -> dict[str, str]:
    """Labels of the analyses of :func:`helpers.analyses.adverse_events.compare_ae_rates`:
    the overview's rows, then the reactions of interest (``site_reaction_label``,
    capitalised).

    Examples
    --------
    >>> analysis_labels("ctcae", "injection-site reaction")["site_reaction"]
    'Injection-site reaction'
    """
    return {**overview_labels(scale), ae.SITE_REACTION: site_reaction_label.capitalize()}


def course_label(course) -> str:
    """``Course 1 (days 1 to 28)`` for a :class:`helpers.data.config.Course`.

    Examples
    --------
    >>> from helpers.data.config import Course
    >>> course_label(Course(2, 29, 56))
    'Course 2 (days 29 to 56)'
    """
    return f"Course {course.number} (days {course.start_day} to {course.end_day})"


def site_reaction_labels(reactions: pd.DataFrame, scale: str, courses: Sequence = ()) -> pd.Series:
    """The row labels of :func:`helpers.analyses.adverse_events.summarize_site_reactions`:
    :data:`ANY_TERM_OF_INTEREST`, the term, the course (:func:`course_label`,
    :data:`OUTSIDE_COURSES`, :data:`DAY_NOT_RECORDED`) or the grade.

    Examples
    --------
    >>> from helpers.data.config import Course
    >>> r = pd.DataFrame({"section": ["any", "course", "course", "grade"], "term": "",
    ...                   "course": pd.array([None, 1, 0, None], dtype="Int64"),
    ...                   "grade": pd.array([None, None, None, 1], dtype="Int64")})
    >>> site_reaction_labels(r, "severity", [Course(1, 1, 28)]).tolist()
    ['Any of the terms of interest', 'Course 1 (days 1 to 28)', 'Outside the treatment courses', 'Mild']
    """
    names = {c.number: course_label(c) for c in courses}

    def label(section: str, term: str, course: object, grade: object) -> str:
        if section == "any":
            return ANY_TERM_OF_INTEREST
        if section == "term":
            return term
        if section == "course":
            return DAY_NOT_RECORDED if pd.isna(course) else OUTSIDE_COURSES if int(course) == 0 else names[int(course)]
        return grade_label(grade, scale)

    return pd.Series([label(*r) for r in zip(reactions["section"], reactions["term"], reactions["course"],
                                             reactions["grade"], strict=True)], index=reactions.index, dtype="object")


def lab_grade_label(grade: object) -> str:
    """The label of a laboratory grade: ``Grade 0 (normal)`` to ``Grade 4``; a missing
    grade means the subject has no post-baseline value.

    Examples
    --------
    >>> lab_grade_label(0), lab_grade_label(3), lab_grade_label(pd.NA)
    ('Grade 0 (normal)', 'Grade 3', 'No post-baseline value')
    """
    if pd.isna(grade):
        return "No post-baseline value"
    return "Grade 0 (normal)" if int(grade) == 0 else f"Grade {int(grade)}"


def period_label(course: object) -> str:
    """The period of an exposure row: :data:`ALL_COURSES` or ``Course n``.

    Examples
    --------
    >>> period_label(pd.NA), period_label(2)
    ('All courses', 'Course 2')
    """
    return ALL_COURSES if pd.isna(course) else f"Course {int(course)}"


# ---------------------------------------------------------------------------------------
# values a chapter glues


def recorded_value(x: object) -> object:
    """A count that may be missing: the number, or :data:`NOT_RECORDED`.

    Examples
    --------
    >>> recorded_value(np.int64(3)), recorded_value(pd.NA)
    (3, 'not recorded')
    """
    if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
        return NOT_RECORDED
    return int(x)


def recorded_values(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its counts that may be missing (``Int64`` columns) as numbers or
    :data:`NOT_RECORDED` (:func:`recorded_value`); other columns unchanged.

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01A": ["A", "B"], "n": pd.array([2, pd.NA], dtype="Int64"), "rate": [0.5, None]})
    >>> recorded_values(f).to_dict("list")
    {'TRT01A': ['A', 'B'], 'n': [2, 'not recorded'], 'rate': [0.5, nan]}
    """
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.Int64Dtype):
            out[col] = pd.Series([recorded_value(x) for x in out[col]], index=out.index, dtype="object")
    return out


def or_not_planned(x: object) -> object:
    """A planned number, or :data:`NOT_PLANNED` when there is no plan.

    Examples
    --------
    >>> or_not_planned(7), or_not_planned(None)
    (7, 'not planned')
    """
    return NOT_PLANNED if x is None or pd.isna(x) else x


def top_term_values(incidence: pd.DataFrame, arm: str, arms: Sequence[str]) -> dict[str, object]:
    """The most frequent preferred term over all subjects
    (:func:`helpers.analyses.adverse_events.summarize_top_terms`): ``term`` (:data:`NONE`
    without a treatment-emergent event), ``n_subjects`` and ``rate`` (pct / 100; 0
    without one).

    Examples
    --------
    >>> inc = pd.DataFrame({"level": ["any", "term"], "soc": "", "term": ["", "Pyrexia"], "TRT01A": "A",
    ...                     "n_subjects": [2, 2], "pct": [50.0, 50.0]})
    >>> top_term_values(inc, "TRT01A", ["A"]), top_term_values(inc.iloc[:1], "TRT01A", ["A"])
    ({'term': 'Pyrexia', 'n_subjects': 2, 'rate': 0.5}, {'term': 'none', 'n_subjects': 0, 'rate': 0.0})
    """
    top = ae.summarize_top_terms(incidence, arm, arms, top=1).to_dict("records")
    if not top:
        return {"term": NONE, "n_subjects": 0, "rate": 0.0}
    return {"term": top[0]["term"], "n_subjects": int(top[0]["n_subjects"]), "rate": top[0]["pct"] / 100}


# ---------------------------------------------------------------------------------------
# sentences


def format_counts_by_arm(summary: pd.DataFrame, arm: str, arms: Sequence[str], **match: object) -> str:
    """``"A: 3 of 10 (30.0%); B: ..."`` from the rows of ``summary`` that match ``match``
    (one per arm, with ``n_subjects`` and ``n``).

    Examples
    --------
    >>> c = pd.DataFrame({"category": "any", "TRT01A": ["A", "B"], "n_subjects": [3, 0], "n": [10, 9]})
    >>> format_counts_by_arm(c, "TRT01A", ["A", "B"], category="any")
    'A: 3 of 10 (30.0%); B: 0 of 9 (0.0%)'
    >>> c = pd.DataFrame({"TRT01A": ["A", "B"], "n_subjects": pd.array([pd.NA, 1], dtype="Int64"), "n": [2, 0]})
    >>> format_counts_by_arm(c, "TRT01A", ["A", "B"])
    'A: not recorded; B: 1 of 0'
    """
    rows = summary
    for column, value in match.items():
        rows = rows[rows[column] == value]
    by_arm = {r[arm]: r for r in rows.to_dict("records")}
    parts = []
    for a in arms:
        k, m = by_arm[a]["n_subjects"], int(by_arm[a]["n"])
        if pd.isna(k):
            shown = NOT_RECORDED
        else:
            shown = f"{int(k)} of {m} ({format_number(100 * int(k) / m, 1)}%)" if m else f"{int(k)} of 0"
        parts.append(f"{a}: {shown}")
    return "; ".join(parts)


def describe_grade3plus(scale: str) -> str:
    """How the prose names an event of the "grade 3 or more" row, for the grade scale.

    Examples
    --------
    >>> describe_grade3plus("severity"), describe_grade3plus("ctcae")
    ('a severe event', 'an event of grade 3 or higher')
    """
    return with_article("event of grade 3 or higher" if scale == "ctcae" else "severe event")


def describe_teae_selection(teae_flag: str | None) -> str:
    """How the treatment-emergent events were selected: the flag actually used.

    Examples
    --------
    >>> describe_teae_selection("TRTEMFL"), describe_teae_selection(None)
    ('flagged treatment-emergent (TRTEMFL = Y)', 'every recorded event (no treatment-emergent flag is used)')
    """
    if teae_flag is None:
        return "every recorded event (no treatment-emergent flag is used)"
    return f"flagged treatment-emergent ({teae_flag} = Y)"


def format_ae_records(records: pd.DataFrame, arm: str, arms: Sequence[str], teae_flag: str | None = "TRTEMFL") -> str:
    """The sentence saying how many adverse events were recorded and how many are
    analysed as treatment-emergent, worded from the flag used, from
    :func:`helpers.analyses.adverse_events.summarize_ae_records`.

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A"], "n_records": [12], "n_teae": [10], "n": [5]})
    >>> format_ae_records(r, "TRT01A", ["A"])
    'Of the 12 adverse events recorded for the safety population, 10 were flagged treatment-emergent (TRTEMFL = Y) and are analysed as treatment-emergent adverse events (TEAEs); the listing at the end shows them all.'
    >>> format_ae_records(r.assign(n_teae=12), "TRT01A", ["A"], teae_flag=None)
    'All 12 adverse events recorded for the safety population are analysed as treatment-emergent adverse events (TEAEs): every recorded event (no treatment-emergent flag is used); the listing at the end shows them all.'
    >>> format_ae_records(r.assign(n_records=0, n_teae=0), "TRT01A", ["A"])[:60]
    'No adverse events were recorded for the safety population, s'
    """
    k = int(ae.total_value(records, "n_records", arm, arms))
    te = int(ae.total_value(records, "n_teae", arm, arms))
    if k == 0:
        return (f"{NO_AE}, so no subject had a treatment-emergent adverse event (TEAE), every count of adverse "
                "events below is zero and there is nothing to list.")
    listing = "the listing at the end shows them all." if k > 1 else "the listing at the end shows it."
    if teae_flag is None:
        if k == 1:
            return (f"The one adverse event recorded for the safety population is analysed as a treatment-emergent "
                    f"adverse event (TEAE): {describe_teae_selection(None)}; {listing}")
        return (f"All {count_noun(k, 'adverse event')} recorded for the safety population are analysed as "
                f"treatment-emergent adverse events (TEAEs): {describe_teae_selection(None)}; {listing}")
    analysed = "is analysed as a treatment-emergent adverse event (TEAE)" if te == 1 else \
        "are analysed as treatment-emergent adverse events (TEAEs)"
    return (f"Of the {count_noun(k, 'adverse event')} recorded for the safety population, {te} "
            f"{'was' if te == 1 else 'were'} {describe_teae_selection(teae_flag)} and {analysed}; {listing}")


def format_ae_listing(records: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """The sentence that opens the listing of adverse events (or says there is none),
    from :func:`helpers.analyses.adverse_events.summarize_ae_records`.

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A"], "n_records": [0], "n_teae": [0], "n": [5]})
    >>> format_ae_listing(r, "TRT01A", ["A"])
    'No adverse events were recorded for the safety population: there is nothing to list.'
    """
    if ae.no_adverse_events(records, arm, arms):
        return f"{NO_AE}: there is nothing to list."
    return ("Every adverse event of the safety population, treatment-emergent or not, by subject; search or sort "
            "it in the page, or download it.")


def format_ae_terms(incidence: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """The sentence on the classes and preferred terms reported and the most frequent
    term, from :func:`helpers.analyses.adverse_events.summarize_ae_incidence` (the term
    is the first of :func:`~helpers.analyses.adverse_events.summarize_top_terms`).

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
    reported = ae.count_reported(incidence, arm, arms)
    if not reported["n_terms"]:
        return f"{NO_TEAE}: the table holds only the row of all events, with zeros."
    top = ae.summarize_top_terms(incidence, arm, arms, top=1).to_dict("records")[0]
    where = f"in {count_noun(reported['n_soc'], 'class', 'classes')} " if reported["n_soc"] else ""
    return (f"Events were reported {where}under {count_noun(reported['n_terms'], 'preferred term')}; "
            f"the most frequent was {top['term']} ({count_noun(int(top['n_subjects']), 'subject')}, "
            f"{format_number(top['pct'], 1)}%).")


def format_worst_grade(summary: pd.DataFrame, arm: str, arms: Sequence[str], scale: str) -> str:
    """The highest grade any subject reached, in lower case
    (:func:`helpers.analyses.adverse_events.worst_grade`); :data:`NONE` when no subject
    had a graded event.

    Examples
    --------
    >>> s = pd.DataFrame({"grade": pd.array([1, 2, 3], dtype="Int64"), "TRT01A": "A", "n_subjects": [4, 1, 0]})
    >>> format_worst_grade(s, "TRT01A", ["A"], "severity"), format_worst_grade(s, "TRT01A", ["A"], "ctcae")
    ('moderate', 'grade 2')
    """
    grade = ae.worst_grade(summary, arm, arms)
    return NONE if grade is None else grade_label(grade, scale).lower()


def format_not_recorded_rows(overview: pd.DataFrame, scale: str) -> str:
    """Which rows of the overview the data cannot fill: ``"here: fatal, ..."``, or
    ``"none here"``.

    Examples
    --------
    >>> o = pd.DataFrame({"category": ["any", "related", "fatal"], "recorded": [True, False, False]})
    >>> format_not_recorded_rows(o, "ctcae"), format_not_recorded_rows(o.assign(recorded=True), "ctcae")
    ('here: related to study drug, fatal', 'none here')
    """
    labels = overview_labels(scale)
    missing = list(dict.fromkeys(labels[c].lower() for c in overview.loc[~overview["recorded"], "category"]))
    return "here: " + ", ".join(missing) if missing else "none here"


def format_course_counts(reactions: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """Subjects with a reaction starting in each course, over all subjects
    (:func:`helpers.analyses.adverse_events.summarize_site_reactions`): ``"course 1: 1;
    course 2: 3"``; reactions without a study day are left out.

    Examples
    --------
    >>> r = pd.DataFrame({"section": "course", "course": pd.array([1, 2, 0, None], dtype="Int64"), "TRT01A": "A",
    ...                   "n_subjects": [1, 3, 1, 2]})
    >>> format_course_counts(r, "TRT01A", ["A"])
    'course 1: 1; course 2: 3; outside the treatment courses: 1'
    """
    rows = reactions[(reactions["section"] == "course") & reactions["course"].notna()
                     & (reactions[arm] == total_label(arms))]
    return "; ".join(f"{OUTSIDE_COURSES.lower() if int(c) == 0 else f'course {int(c)}'}: {int(k)}"
                     for c, k in zip(rows["course"], rows["n_subjects"], strict=True))


def format_comparisons(comparisons: pd.DataFrame, analysis: str, confidence: float = 0.95) -> str:
    """The comparisons of one analysis
    (:func:`helpers.analyses.adverse_events.compare_ae_rates`) as a sentence part, each
    naming the test of its p-value (the ``test`` column).

    Examples
    --------
    >>> c = pd.DataFrame({"analysis": "any", "comparison": ["A vs B"], "estimate": [0.2517],
    ...                   "ci_low": [0.0007], "ci_high": [0.4632], "p_val": [0.067], "test": "fisher"})
    >>> format_comparisons(c, "any")
    'A vs B: +25.2 percentage points (95% CI +0.1 to +46.3; Fisher p = 0.067)'
    >>> format_comparisons(c.assign(p_val=0.00002, test="chisq"), "any")[-21:]
    'chi-square p < 0.001)'
    >>> format_comparisons(c, "fatal")
    'no comparison possible'
    """
    rows = comparisons[comparisons["analysis"] == analysis]
    parts = [
        f"{r['comparison']}: {format_signed(100 * r['estimate'], 1)} percentage points ({percent(confidence)} CI "
        f"{format_signed(100 * r['ci_low'], 1)} to {format_signed(100 * r['ci_high'], 1)}; "
        f"{TEST_SHORT_NAMES[r['test']]} {p_text(r['p_val'])})"
        for r in rows.to_dict("records")
    ]
    return "; ".join(parts) if parts else "no comparison possible"


def format_answer_by_arm(overview: pd.DataFrame, reactions: pd.DataFrame, arm: str, arms: Sequence[str],
                         site_reaction_label: str) -> str:
    """The answer's sentence by arm: subjects with a TEAE (the overview,
    :func:`helpers.analyses.adverse_events.summarize_teae_overview`) and with a reaction
    of interest (:func:`~helpers.analyses.adverse_events.summarize_site_reactions`) in
    each arm; ``""`` with one arm, whose counts the answer already gives.

    Examples
    --------
    >>> o = pd.DataFrame({"category": "any", "TRT01A": ["A", "B"], "n_subjects": [3, 1], "n": [4, 4]})
    >>> r = pd.DataFrame({"section": "any", "TRT01A": ["A", "B"], "n_subjects": [1, 0], "n": [4, 4]})
    >>> format_answer_by_arm(o, r, "TRT01A", ["A", "B"], "injection-site reaction")
    'By arm, subjects with a TEAE: A: 3 of 4 (75.0%); B: 1 of 4 (25.0%); with an injection-site reaction: A: 1 of 4 (25.0%); B: 0 of 4 (0.0%).'
    >>> format_answer_by_arm(o, r, "TRT01A", ["A"], "injection-site reaction")
    ''
    """
    if len(arms) < 2:
        return ""
    return (f"By arm, subjects with a TEAE: {format_counts_by_arm(overview, arm, arms, category='any')}; with "
            f"{with_article(site_reaction_label)}: {format_counts_by_arm(reactions, arm, arms, section='any')}.")


def format_exposure(by_arm: pd.DataFrame, arm: str, arms: Sequence[str], planned_per_course: int | None) -> str:
    """What the subjects received, over all of them, from
    :func:`helpers.analyses.exposure.exposure_by_arm`: the plan (when there is one),
    the median number of doses, the share of the planned doses given, the subjects
    given every planned dose, and those dosed in the last course.

    Examples
    --------
    >>> e = pd.DataFrame({"TRT01A": ["A"], "doses_planned": [21], "doses_median": [21.0], "pct_planned": [96.79],
    ...                   "n_all_planned": [23], "last_course_n_dosed": [39]})
    >>> format_exposure(e, "TRT01A", ["A"], 7)
    'The regimen plans 21 doses per subject (7 per course). Subjects received a median of 21 doses, 96.8% of the doses planned for the safety population, and 23 subjects received every planned dose. 39 subjects received at least one dose of the last course.'
    >>> format_exposure(e.assign(last_course_n_dosed=1), "TRT01A", ["A"], None)
    'No planned number of doses was given, so doses are not compared with a plan. Subjects received a median of 21 doses. 1 subject received at least one dose of the last course.'
    """
    row = by_arm[by_arm[arm] == total_label(arms)].to_dict("records")[0]
    median = row["doses_median"]
    doses = f"a median of {format_number(median, 0)} {'dose' if median == 1 else 'doses'}"
    last = f"{count_noun(int(row['last_course_n_dosed']), 'subject')} received at least one dose of the last course."
    if planned_per_course is None or pd.isna(row["doses_planned"]):
        return f"No planned number of doses was given, so doses are not compared with a plan. Subjects received {doses}. {last}"
    return (f"The regimen plans {count_noun(int(row['doses_planned']), 'dose')} per subject ({planned_per_course} per "
            f"course). Subjects received {doses}, {format_number(row['pct_planned'], 1)}% of the doses planned for the "
            f"safety population, and {count_noun(int(row['n_all_planned']), 'subject')} received every planned dose. "
            f"{last}")


# ---------------------------------------------------------------------------------------
# words from the cohort: disease, treatment, route

#: How a treatment given by each route is said to be given (``route`` of cohort.yml,
#: compared without case); another route reads "by the <route> route".
ROUTE_PHRASES: dict[str, str] = {
    "subcutaneous": "by subcutaneous injection",
    "intravenous": "by intravenous infusion",
    "intramuscular": "by intramuscular injection",
    "intradermal": "by intradermal injection",
    "oral": "by mouth",
    "transdermal patch": "as a transdermal patch",
    "transdermal": "as a transdermal patch",
    "topical": "on the skin",
    "inhaled": "by inhalation",
}
#: What a reaction where the treatment is given is called, by route.
SITE_REACTION_LABELS: dict[str, str] = {
    "subcutaneous": "injection-site reaction",
    "intramuscular": "injection-site reaction",
    "intradermal": "injection-site reaction",
    "intravenous": "infusion-site reaction",
    "transdermal patch": "application-site reaction",
    "transdermal": "application-site reaction",
    "topical": "application-site reaction",
}
#: The label of such a reaction for a route without a name for it (or no route).
GENERIC_SITE_REACTION = "administration-site reaction"
#: The disease, when the cohort names none.
THE_DISEASE = "the disease"
#: The treatment, when the cohort names none.
THE_TREATMENT = "the study treatment"


def disease_name(disease: str | None) -> str:
    """The disease as the prose names it: the cohort's ``disease``, else
    :data:`THE_DISEASE`.

    Examples
    --------
    >>> disease_name("Alzheimer's disease"), disease_name(None)
    ("Alzheimer's disease", 'the disease')
    """
    return disease.strip() if disease and disease.strip() else THE_DISEASE


def treatment_name(drug: str | None) -> str:
    """The treatment as the prose names it: the cohort's ``drug``, else
    :data:`THE_TREATMENT`.

    Examples
    --------
    >>> treatment_name("xanomeline"), treatment_name(None)
    ('xanomeline', 'the study treatment')
    """
    return drug.strip() if drug and drug.strip() else THE_TREATMENT


def site_reaction_label(route: str | None) -> str:
    """What a reaction where the treatment is given is called, from the cohort's
    ``route``: injection-site for an injection, infusion-site for an infusion,
    application-site for a patch or a topical treatment, else
    :data:`GENERIC_SITE_REACTION`.

    Examples
    --------
    >>> site_reaction_label("subcutaneous"), site_reaction_label("Transdermal patch"), site_reaction_label(None)
    ('injection-site reaction', 'application-site reaction', 'administration-site reaction')
    """
    return SITE_REACTION_LABELS.get(str(route or "").strip().lower(), GENERIC_SITE_REACTION)


def describe_administration(drug: str | None, route: str | None) -> str:
    """A sentence on how the treatment was given, ``""`` when the cohort names no route
    (the pages then make no claim about it).

    Examples
    --------
    >>> describe_administration("low-dose IL-2", "subcutaneous")
    'Low-dose IL-2 was given by subcutaneous injection.'
    >>> describe_administration("xanomeline", "transdermal patch")
    'Xanomeline was given as a transdermal patch.'
    >>> describe_administration(None, "nasal")
    'The study treatment was given by the nasal route.'
    >>> describe_administration("x", None)
    ''
    """
    if not route or not route.strip():
        return ""
    key = route.strip().lower()
    how = ROUTE_PHRASES.get(key, f"by the {route.strip()} route")
    name = treatment_name(drug)
    return f"{name[0].upper()}{name[1:]} was given {how}."


def describe_site_reactions(drug: str | None, route: str | None, label: str) -> str:
    """What the section on reactions where the treatment is given says of its route: a
    local reaction is expected where a treatment is injected or applied to the skin;
    for an oral treatment, or without a route, no such claim.

    Examples
    --------
    >>> describe_site_reactions("xanomeline", "transdermal patch", "application-site reaction")
    'Xanomeline was given as a transdermal patch, so a reaction of the skin where it is applied (an application-site reaction) is the expected local effect.'
    >>> describe_site_reactions("low-dose IL-2", "subcutaneous", "injection-site reaction")
    'Low-dose IL-2 was given by subcutaneous injection, so a reaction where it is injected (an injection-site reaction) is the expected local effect.'
    >>> describe_site_reactions("a pill", "oral", "administration-site reaction")
    'A pill was given by mouth.'
    >>> describe_site_reactions(None, None, "administration-site reaction")
    ''
    """
    sentence = describe_administration(drug, route)
    if not sentence:
        return ""
    where = {"injection-site reaction": "where it is injected", "infusion-site reaction": "where it is infused",
             "application-site reaction": "of the skin where it is applied"}.get(site_reaction_label(route))
    if where is None:
        return sentence
    return f"{sentence[:-1]}, so a reaction {where} ({with_article(label)}) is the expected local effect."


def describe_baseline_cytopenia(disease: str | None) -> str:
    """Why the lab shift table compares with baseline: in lupus, low blood counts are a
    feature of the disease itself; for any other disease (or none named), no claim
    about it.

    Examples
    --------
    >>> describe_baseline_cytopenia("systemic lupus erythematosus")
    'In systemic lupus erythematosus, low counts are often present before treatment.'
    >>> describe_baseline_cytopenia("Alzheimer's disease")
    'A low count present at baseline is not an effect of treatment.'
    """
    if disease and "lupus" in disease.lower():
        return f"In {disease.strip()}, low counts are often present before treatment."
    return "A low count present at baseline is not an effect of treatment."


# ---------------------------------------------------------------------------------------
# infections and terms of interest (helpers.analyses.infections)

#: The labels of the infections summary's fixed measures.
INFECTION_LABELS: dict[str, str] = {"infection_any": "Any infection", "infection_serious": "Serious infection"}
#: The sections of the infections table, by the measure's prefix.
INFECTION_SECTIONS: dict[str, str] = {
    "infection": "Infections",
    "term": "Other adverse events of interest",
    "sae": "Serious adverse events by preferred term",
}


def infection_labels(summary: pd.DataFrame) -> pd.Series:
    """The row label of each measure of an infections summary
    (:func:`helpers.analyses.infections.summarize_infections` and its siblings): the
    fixed measures by :data:`INFECTION_LABELS`, the others by their preferred term.

    Examples
    --------
    >>> s = pd.DataFrame({"measure": ["infection_any", "infection_pneumonia", "term_pyrexia"],
    ...                   "term": ["", "Pneumonia", "Pyrexia"]})
    >>> infection_labels(s).tolist()
    ['Any infection', 'Pneumonia', 'Pyrexia']
    """
    return pd.Series([INFECTION_LABELS.get(m, t) for m, t in zip(summary["measure"], summary["term"], strict=True)],
                     index=summary.index, dtype="object")


def infection_section(measure: str) -> str:
    """The section of the infections table a measure belongs to.

    Examples
    --------
    >>> infection_section("infection_any"), infection_section("sae_pneumonia")
    ('Infections', 'Serious adverse events by preferred term')
    """
    return INFECTION_SECTIONS[measure.split("_", 1)[0]]


def format_infections(summary: pd.DataFrame, arms: Sequence[str]) -> str:
    """The sentence on infections by arm: subjects with any infection and with a serious
    one (:func:`helpers.analyses.infections.summarize_infections`).

    Examples
    --------
    >>> s = pd.DataFrame({"measure": ["infection_any"] * 2 + ["infection_serious"] * 2, "term": "",
    ...                   "arm": ["A", "B"] * 2, "n_subjects": [2, 6, 0, 2], "n": [29, 30] * 2})
    >>> format_infections(s, ["A", "B"])
    'Subjects with an infection: A: 2 of 29 (6.9%); B: 6 of 30 (20.0%); with a serious infection: A: 0 of 29 (0.0%); B: 2 of 30 (6.7%).'
    >>> format_infections(s[s["arm"] == "A"], ["A"])
    'Subjects with an infection: 2 of 29 (6.9%); with a serious infection: 0 of 29 (0.0%).'
    """
    def counts(measure: str) -> str:
        text = format_counts_by_arm(summary, "arm", arms, measure=measure)
        return text.split(": ", 1)[1] if len(arms) == 1 else text

    parts = [f"Subjects with an infection: {counts('infection_any')}"]
    if (summary["measure"] == "infection_serious").any():
        parts.append(f"with a serious infection: {counts('infection_serious')}")
    return "; ".join(parts) + "."


def describe_lab_toxicity(graded: pd.DataFrame) -> str:
    """What the safety chapter's laboratory section grades: the blood counts of
    ``graded`` (:func:`helpers.analyses.adverse_events.select_graded_blood_counts`), or,
    when the lab table holds none of them, that nothing is graded here.

    Examples
    --------
    >>> describe_lab_toxicity(pd.DataFrame({"PARAMCD": ["PLAT", "WBC", "PLAT"]}))
    'Graded here: WBC and PLAT.'
    >>> describe_lab_toxicity(pd.DataFrame({"PARAMCD": []}))[:60]
    'The laboratory table holds none of the blood counts that CTC'
    """
    from helpers import definitions as d
    from helpers.present.prose import join_words

    codes = [c for c in d.CTCAE_DECREASED if c in set(graded["PARAMCD"].astype("str"))]
    if not codes:
        return ("The laboratory table holds none of the blood counts that CTCAE grades as decreased, so the tables "
                "below are empty; the laboratory values themselves are in the laboratory chapter, where the cohort "
                "builds it.")
    return f"Graded here: {join_words(codes)}."
