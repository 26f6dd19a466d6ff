"""The words of the cohort, SRI and organ chapters: labels for the codes their analyses
return, and the sentences built from their results.

Each sentence here follows the numbers it is given: a direction, a verdict or a word
such as "small" is computed from them, never assumed, so a chapter run on other data
says what those data show. Numbers inside a sentence go through
:mod:`helpers.present.format`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from helpers import definitions as d
from helpers.present.format import format_number, format_signed
from helpers.present.prose import (
    count_noun,
    difference_in_points,
    direction,
    join_words,
    met,
    p_text,
    percent,
    simulation_note,
    small_or_not,
)

# ---------------------------------------------------------------------------------------
# labels of codes

#: The SRI criteria a non-responder can fail (codes of ``efficacy.failed_components``).
CRITERIA: dict[str, str] = {
    "sledai": "SLEDAI-2K reduction",
    "bilag": "new BILAG A or > 1 new B",
    "pga": "PGA worsened",
    "missing": "missing visit or component",
}

#: How a missing response is handled (``imputation`` of ``efficacy.sri_response``).
IMPUTATIONS: dict[str, str] = {"nri": "non-responder imputation", "observed": "observed cases"}

#: Measures of disease activity by ``PARAMCD`` (``SLEDAI`` is named by the cohort's
#: instrument: see :func:`measure_label`).
MEASURES: dict[str, str] = {"SLEDAI": "SLEDAI-2K", "PGA": "PGA", "PREDDOSE": "Prednisone-equivalent dose"}

#: A treatment-failure rule of the analysis plan, as a reason for non-response (the
#: ``failure`` code ``efficacy.failed_components`` adds when asked).
FAILURE_CRITERION: dict[str, str] = {"failure": "treatment failure (analysis plan)"}

#: Covariates of adjusted models, as a sentence names them.
COVARIATES: dict[str, str] = {"SLEDAIBL": "baseline SLEDAI-2K"}

#: The tests of a difference between two rates, as a comparison table's method names them
#: (keys of ``helpers.stats.RATE_TESTS``).
RATE_TEST_SHORT: dict[str, str] = {"chisq": "Pearson chi-square", "fisher": "Fisher exact"}

#: The code of every subject together in a subgroup table.
ALL_SUBJECTS = "ALL"

#: Words for the steps of the participant flow (codes of ``population.FLOW_STEPS``).
FLOW_STEPS: dict[str, str] = {
    "enrolled": "Enrolled", "allocated": "Allocated", "treated": "Treated", "not_treated": "Allocated, not treated",
    "course": "Received course {course}",
    "completed": "Completed the study", "discontinued": "Discontinued", "ongoing": "Ongoing",
    "efficacy": "Analysed for efficacy ({flag})", "safety": "Analysed for safety ({flag})",
}
#: A discontinuation reason left blank.
REASON_NOT_GIVEN = "reason not given"

_MANIFESTATIONS = {m.code: m.label for m in d.MANIFESTATIONS}
_DESCRIPTORS = {x.code: x.label for x in d.SLEDAI_DESCRIPTORS}


def criterion_label(code: str, instrument: str = "SLEDAI-2K") -> str:
    """The SRI criterion a non-responder failed (the SLEDAI reduction named by the
    cohort's instrument).

    Examples
    --------
    >>> criterion_label("bilag"), criterion_label("sledai", "SELENA-SLEDAI"), criterion_label("failure")
    ('new BILAG A or > 1 new B', 'SELENA-SLEDAI reduction', 'treatment failure (analysis plan)')
    """
    if code == "sledai":
        return f"{instrument} reduction"
    return FAILURE_CRITERION[code] if code in FAILURE_CRITERION else CRITERIA[code]


def endpoint_label(code: str) -> str:
    """``SRI4`` -> ``SRI-4``; other codes as they are.

    Examples
    --------
    >>> endpoint_label("SRI4"), endpoint_label("SRI10"), endpoint_label("PGA")
    ('SRI-4', 'SRI-10', 'PGA')
    """
    m = re.fullmatch(r"SRI(\d+)", code)
    return f"SRI-{m.group(1)}" if m else code


def sensitivity_label(k: int, imputation: str, primary: bool = False) -> str:
    """The name of an analysis of SRI-k response.

    Examples
    --------
    >>> sensitivity_label(4, "nri", primary=True), sensitivity_label(4, "observed"), sensitivity_label(6, "nri")
    ('SRI-4, non-responder imputation (primary)', 'SRI-4, observed cases', 'SRI-6, non-responder imputation')
    """
    return f"SRI-{k}, {IMPUTATIONS[imputation]}" + (" (primary)" if primary else "")


def measure_label(code: str, instrument: str | None = None) -> str:
    """A measure of disease activity by its ``PARAMCD``; ``SLEDAI`` is named by the
    cohort's instrument when given.

    Examples
    --------
    >>> measure_label("SLEDAI"), measure_label("SLEDAI", "SELENA-SLEDAI"), measure_label("XYZ")
    ('SLEDAI-2K', 'SELENA-SLEDAI', 'XYZ')
    """
    if code == "SLEDAI" and instrument:
        return instrument
    return MEASURES.get(code, code)


def item_label(code: str) -> str:
    """The label of an item a resolution or subgroup table has rows for: a clinical
    manifestation (its published name), a SLEDAI-2K domain (capitalised), or
    :data:`ALL_SUBJECTS`.

    Examples
    --------
    >>> item_label("RASH"), item_label("mucocutaneous"), item_label("ALL")
    ('Malar or other lupus rash', 'Mucocutaneous', 'All subjects')
    """
    if code == ALL_SUBJECTS:
        return "All subjects"
    return _MANIFESTATIONS.get(code) or str(code).capitalize()


def domain_name(code: str) -> str:
    """A SLEDAI-2K domain in a sentence (lower case).

    Examples
    --------
    >>> domain_name("constitutional")
    'constitutional'
    """
    return item_label(code).lower()


def descriptor_label(code: str) -> str:
    """A SLEDAI-2K descriptor's published name.

    Examples
    --------
    >>> descriptor_label("LOWCOMP")
    'Low complement'
    """
    return _DESCRIPTORS[code]


def descriptor_name(code: str | None) -> str:
    """A SLEDAI-2K descriptor in a sentence (lower case); ``no descriptor`` for None.

    Examples
    --------
    >>> descriptor_name("LOWCOMP"), descriptor_name(None)
    ('low complement', 'no descriptor')
    """
    return "no descriptor" if code is None else descriptor_label(code).lower()


def flow_step_label(step: str, course: object = None, flag: str = "") -> str:
    """A step of the participant flow.

    Examples
    --------
    >>> flow_step_label("course", 2), flow_step_label("efficacy", flag="ITTFL"), flow_step_label("completed")
    ('Received course 2', 'Analysed for efficacy (ITTFL)', 'Completed the study')
    """
    return FLOW_STEPS[step].format(course=course, flag=flag)


def reasons_text(reasons: Sequence[tuple[str, int]]) -> str:
    """Discontinuation reasons with their counts, as the flow table and diagram show them.

    Examples
    --------
    >>> reasons_text([("Withdrawal by subject", 2), ("", 1)]), reasons_text([])
    ('Withdrawal by subject: 2; reason not given: 1', '')
    """
    return "; ".join(f"{reason or REASON_NOT_GIVEN}: {n}" for reason, n in reasons)


# ---------------------------------------------------------------------------------------
# sentences


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def percent_of(rate: float, digits: int = 1) -> str:
    """A rate as a percentage, ``55.2%`` (as ``{:.1%}`` shows it); ``-`` when missing.

    Examples
    --------
    >>> percent_of(16 / 29), percent_of(0.3, 0), percent_of(float("nan"))
    ('55.2%', '30%', '-')
    """
    return "-" if _missing(rate) else f"{format_number(100 * rate, digits)}%"


def by_arm_text(frame: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """Responders per arm in one line: ``IL-2: 16 of 29 (55.2%); Placebo: 9 of 30 (30.0%)``.

    Parameters
    ----------
    frame : DataFrame
        One row per arm: ``arm``, ``responders``, ``n``, ``rate`` (other rows, such as
        the total, are left out).

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01A": ["IL-2", "Placebo", "Total"], "responders": [16, 9, 25], "n": [29, 30, 59],
    ...                   "rate": [16 / 29, 0.3, 25 / 59]})
    >>> by_arm_text(f, "TRT01A", ["IL-2", "Placebo"])
    'IL-2: 16 of 29 (55.2%); Placebo: 9 of 30 (30.0%)'
    """
    rows = {r[arm]: r for _, r in frame.iterrows()}
    return "; ".join(f"{a}: {int(rows[a]['responders'])} of {int(rows[a]['n'])} ({percent_of(rows[a]['rate'])})" for a in arms)


def p_texts(values: Mapping[str, float]) -> dict[str, str]:
    """Each p value of ``{name: p}`` as text under ``<name>_text`` (see
    :func:`helpers.present.prose.p_text`).

    Examples
    --------
    >>> p_texts({"sri4_diff_p_week2": 0.2092, "sri4_diff_p_week4": 0.0004})
    {'sri4_diff_p_week2_text': 'p = 0.209', 'sri4_diff_p_week4_text': 'p < 0.001'}
    """
    return {f"{name}_text": p_text(p) for name, p in values.items()}


def stricter_thresholds(rate: float, stricter_rate: float) -> str:
    """What a stricter response threshold does to a response rate: ``weakens`` (fewer
    responders), ``does not change`` or ``strengthens``, at the precision shown (0.1%).

    Examples
    --------
    >>> stricter_thresholds(0.9, 0.8), stricter_thresholds(0.9, 0.9), stricter_thresholds(0.5, float("nan"))
    ('weakens', 'does not change', 'not computed')
    """
    return direction(stricter_rate - rate, up="strengthens", down="weakens", same="does not change", digits=3)


def activity_change(median_change: float, p: float, alpha: float) -> str:
    """What disease activity did, from the median change from baseline and its test:
    ``fell`` or ``rose`` when the test is significant at ``alpha``; ``did not change
    significantly`` otherwise; ``could not be tested`` without a test.

    Examples
    --------
    >>> activity_change(-10.0, 0.0001, 0.05), activity_change(2.0, 0.01, 0.05), activity_change(-1.0, 0.2, 0.05)
    ('fell', 'rose', 'did not change significantly')
    >>> activity_change(0.0, 0.01, 0.05), activity_change(-3.0, float("nan"), 0.05)
    ('did not change in median', 'could not be tested')
    """
    if _missing(p):
        return "could not be tested"
    if p >= alpha:
        return "did not change significantly"
    return direction(median_change, up="rose", down="fell", same="did not change in median")


def subgroups_sentence(sizes: Sequence[int], minimum: int) -> str:
    """What the subgroup estimates rest on: how many subjects, and whether that is small
    (fewer than ``minimum``, a stated threshold; see
    :func:`helpers.present.prose.small_or_not`).

    Parameters
    ----------
    sizes : sequence of int
        The number of subjects behind each subgroup estimate shown.
    minimum : int
        Estimates on fewer subjects are called small.

    Examples
    --------
    >>> subgroups_sentence([3, 12, 5], 20)
    'Every subgroup is small (3 to 12 subjects, fewer than 20), and the subgroups overlap: they describe, they do not test.'
    >>> subgroups_sentence([3, 25, 40], 20)
    '1 of the 3 subgroup estimates rests on fewer than 20 subjects (the smallest on 3), and the subgroups overlap: they describe, they do not test.'
    >>> subgroups_sentence([25, 40], 20)
    'The subgroups hold 25 to 40 subjects and overlap: they describe, they do not test.'
    >>> subgroups_sentence([], 20)
    'No manifestation was present at baseline, so there are no subgroups.'
    """
    sizes = [int(n) for n in sizes]
    if not sizes:
        return "No manifestation was present at baseline, so there are no subgroups."
    small = [n for n in sizes if small_or_not(n, minimum) == "small"]
    lo, hi = min(sizes), max(sizes)
    tail = "they describe, they do not test."
    if len(small) == len(sizes):
        return f"Every subgroup is small ({lo} to {hi} subjects, fewer than {minimum}), and the subgroups overlap: {tail}"
    if small:
        verb = "rests" if len(small) == 1 else "rest"
        return (f"{len(small)} of the {len(sizes)} subgroup estimates {verb} on fewer than {minimum} subjects "
                f"(the smallest on {lo}), and the subgroups overlap: {tail}")
    return f"The subgroups hold {lo} to {hi} subjects and overlap: {tail}"


def lupus_activity(n_active: int, n: int, n_enrolled: int) -> str:
    """Whether the subjects' lupus was active at baseline, from how many reached the
    chapter's threshold of activity (the sentence goes on to name the threshold).

    Parameters
    ----------
    n_active : int
        Subjects whose baseline score reached the threshold.
    n : int
        Subjects with a baseline score.
    n_enrolled : int
        Subjects enrolled.

    Examples
    --------
    >>> lupus_activity(40, 40, 40), lupus_activity(38, 38, 40)
    ('Their lupus was active in every subject', 'Their lupus was active in every subject with a baseline score (38 of 40)')
    >>> lupus_activity(30, 38, 40), lupus_activity(0, 38, 40), lupus_activity(0, 0, 40)
    ('Their lupus was active in 30 of the 38 subjects with a baseline score', 'No subject had active lupus', 'No subject had a baseline score')
    """
    if not n:
        return "No subject had a baseline score"
    if not n_active:
        return "No subject had active lupus"
    if n_active == n:
        return "Their lupus was active in every subject" + ("" if n == n_enrolled else f" with a baseline score ({n} of {n_enrolled})")
    return f"Their lupus was active in {n_active} of the {n} subjects with a baseline score"



# ---------------------------------------------------------------------------------------
# the randomized analysis: instrument, population, tests, verdicts, per-arm sentences

#: The tests of the primary end point (``analysis.primary_test``), as a sentence names
#: them before "p".
PRIMARY_TESTS: dict[str, str] = {
    "score": "Miettinen-Nurminen score test",
    "chisq": "Pearson chi-square test",
    "fisher": "Fisher's exact test (central)",
    "logistic": "Wald test of the logistic regression",
}

#: The interval each test comes with (the one that inverts it).
PRIMARY_INTERVALS: dict[str, str] = {
    "score": "Miettinen-Nurminen score interval",
    "chisq": "Mee's score interval (which inverts the chi-square test)",
    "fisher": "exact conditional interval",
    "logistic": "Wald interval",
}

#: Where each test and its interval are described.
TEST_REFERENCES: dict[str, str] = {
    "score": "Miettinen and Nurminen, Stat Med 1985;4:213-26",
    "chisq": "Mee, Biometrics 1984;40:1175-6",
    "fisher": "Fisher, J R Stat Soc 1922;85:87-94; central p and interval as Fay, Biostatistics 2010;11:373-4",
    "logistic": "Wald intervals of a logistic regression",
}

#: The kinds of efficacy population (codes of ``population.POPULATION_KINDS``).
POPULATIONS: dict[str, str] = {
    "itt": "intention-to-treat population",
    "mitt": "modified intention-to-treat population",
}

#: Multiplicity procedures of ``analysis.multiplicity`` (and ``padjust`` names).
ADJUSTMENTS: dict[str, str] = {"holm": "Holm", "bonferroni": "Bonferroni", "bonf": "Bonferroni",
                               "fdr_bh": "Benjamini-Hochberg", "none": "unadjusted"}


def instrument_label(instrument: str) -> str:
    """The cohort's disease-activity instrument with its reference, for a sentence.

    Examples
    --------
    >>> instrument_label("SELENA-SLEDAI")
    'SELENA-SLEDAI (Petri et al., N Engl J Med 2005;353:2550-8)'
    """
    return f"{instrument} ({d.INSTRUMENT_REFERENCES[instrument]})"


def population_name(kind: str, label: str | None = None) -> str:
    """The efficacy population's name: the config's label when it gives one, else
    intention-to-treat or modified intention-to-treat (``population.population_kind``).

    Examples
    --------
    >>> population_name("mitt"), population_name("itt", "full analysis set")
    ('modified intention-to-treat population', 'full analysis set')
    """
    return label or POPULATIONS[kind]


def _rows_by_arm(frame: pd.DataFrame, arm: str, arms: Sequence[str]) -> list[pd.Series]:
    rows = {r[arm]: r for _, r in frame.iterrows()}
    missing = [a for a in arms if a not in rows]
    if missing:
        raise ValueError(f"no row for arms {missing} in column {arm!r}")
    return [rows[a] for a in arms]


def responders_text(frame: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """Responders in words, per arm and never pooled: ``36 of 40 (90.0%)`` with one
    arm, ``16 of 29 (55.2%) with IL-2 and 9 of 30 (30.0%) with Placebo`` with several.

    Parameters
    ----------
    frame : DataFrame
        One row per arm: ``arm``, ``responders``, ``n``, ``rate``.

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], "responders": [16, 9], "n": [29, 30], "rate": [16 / 29, 0.3]})
    >>> responders_text(f, "TRT01P", ["IL-2", "Placebo"])
    '16 of 29 (55.2%) with IL-2 and 9 of 30 (30.0%) with Placebo'
    >>> responders_text(f[:1], "TRT01P", ["IL-2"])
    '16 of 29 (55.2%)'
    """
    rows = _rows_by_arm(frame, arm, arms)
    parts = [f"{int(r['responders'])} of {int(r['n'])} ({percent_of(r['rate'])})" for r in rows]
    if len(arms) == 1:
        return parts[0]
    return join_words([f"{p} with {a}" for p, a in zip(parts, arms, strict=True)])


def multiplicity_text(adjustment: str, family_size: int) -> str:
    """How a secondary end point's p value was adjusted, as the analysis plan states it.

    Examples
    --------
    >>> multiplicity_text("none", 1), multiplicity_text("holm", 2)
    ('nominal, not adjusted for multiplicity', 'Holm-adjusted across the 2 secondary end points')
    """
    if adjustment in ("", "none"):
        return "nominal, not adjusted for multiplicity"
    return f"{ADJUSTMENTS[adjustment]}-adjusted across the {count_noun(family_size, 'secondary end point')}"


def interval_text(row: Mapping, confidence: float) -> str:
    """The interval beside a between-arm test, the one that inverts it: of the difference
    in percentage points, or of the odds ratio with its estimate.

    Examples
    --------
    >>> r = {"estimate": 0.2517, "ci_low": -0.0027, "ci_high": 0.4764, "scale": "difference", "test": "score"}
    >>> interval_text(r, 0.95)
    'Miettinen-Nurminen score interval, 95% CI -0.3 to 47.6 percentage points'
    >>> interval_text({"estimate": 2.8186, "ci_low": 0.8727, "ci_high": 9.6469, "scale": "odds_ratio", "test": "fisher"}, 0.95)
    'odds ratio 2.82, exact conditional interval, 95% CI 0.87 to 9.65'
    >>> interval_text({"estimate": 3.52, "ci_low": 1.11, "ci_high": 11.17, "scale": "odds_ratio", "test": "logistic",
    ...                "covariates": "SLEDAIBL, AGE"}, 0.95)
    'odds ratio 3.52 adjusted for baseline SLEDAI-2K and AGE, Wald interval, 95% CI 1.11 to 11.17'
    """
    interval = f"{PRIMARY_INTERVALS[row['test']]}, {percent(confidence)} CI"
    if row["scale"] == "difference":
        lo, hi = (format_number(100 * row[c], 1) for c in ("ci_low", "ci_high"))
        return f"{interval} {lo} to {hi} percentage points"
    lo, hi = (format_number(row[c], 2) for c in ("ci_low", "ci_high"))
    names = [c.strip() for c in str(row.get("covariates") or "").split(",") if c.strip()]
    adjusted = f" adjusted for {join_words(COVARIATES.get(c, c) for c in names)}" if names else ""
    return f"odds ratio {format_number(row['estimate'], 2)}{adjusted}, {interval} {lo} to {hi}"


def comparison_sentence(row: Mapping, confidence: float = 0.95, alpha: float = 0.05, role: str = "primary",
                        family_size: int = 1) -> str:
    """One sentence on a between-arm comparison of a response rate: the direction of the
    difference in percentage points, the interval that inverts the test, the test's p,
    and what that means for the end point's role.

    Parameters
    ----------
    row : mapping
        A row of ``efficacy.response_comparisons`` or ``rate_differences_by_week``:
        ``arm``, ``reference``, ``diff``, ``estimate``, ``ci_low``, ``ci_high``,
        ``scale``, ``test``, ``p_val`` (and ``p_adj``, ``adjustment`` for a secondary
        end point).
    role : {"primary", "secondary", "exploratory"}
        ``primary``: the verdict at ``alpha`` (:func:`helpers.present.prose.met`);
        ``secondary``: the p value labelled as the plan adjusts it; ``exploratory``:
        labelled so.
    family_size : int
        The secondary end points adjusted together.

    Examples
    --------
    >>> r = {"arm": "IL-2", "reference": "Placebo", "diff": 0.2517, "estimate": 0.2517, "ci_low": -0.0027,
    ...      "ci_high": 0.4764, "scale": "difference", "test": "score", "p_val": 0.0524}
    >>> comparison_sentence(r)
    'The response rate with IL-2 was 25.2 percentage points higher than with Placebo (Miettinen-Nurminen score interval, 95% CI -0.3 to 47.6 percentage points; Miettinen-Nurminen score test p = 0.052): the primary end point was not met at the two-sided 5% level.'
    >>> comparison_sentence({**r, "p_val": 0.028, "p_adj": 0.028, "adjustment": "none"}, role="secondary")[-81:]
    'Miettinen-Nurminen score test p = 0.028, nominal, not adjusted for multiplicity).'
    >>> comparison_sentence({**r, "p_val": 0.02, "p_adj": 0.04, "adjustment": "holm"}, role="secondary", family_size=2)[-70:]
    'p = 0.020; Holm-adjusted across the 2 secondary end points p = 0.040).'
    >>> comparison_sentence({**r, "diff": 0.0}, role="exploratory")[:80]
    'The response rate with IL-2 was no different from that with Placebo (Miettinen-N'
    """
    words = difference_in_points(row["diff"])
    if words == "no different":
        head = f"The response rate with {row['arm']} was no different from that with {row['reference']}"
    else:
        head = f"The response rate with {row['arm']} was {words} than with {row['reference']}"
    inner = f"{interval_text(row, confidence)}; {PRIMARY_TESTS[row['test']]} {p_text(row['p_val'])}"
    if role == "primary":
        return f"{head} ({inner}): the primary end point was {met(row['p_val'], alpha)}."
    if role == "secondary":
        adjustment = row.get("adjustment") or "none"
        if adjustment == "none":
            return f"{head} ({inner}, {multiplicity_text(adjustment, family_size)})."
        return f"{head} ({inner}; {multiplicity_text(adjustment, family_size)} {p_text(row['p_adj'])})."
    return f"{head} ({inner}; exploratory)."


def secondary_text(rows: pd.DataFrame, summary: pd.DataFrame, arm: str, arms: Sequence[str],
                   visit_labels: Mapping[int, str], confidence: float = 0.95) -> str:
    """The secondary end points in sentences: per week, the responders by arm and the
    comparison labelled as the plan adjusts it; a sentence saying there is none when the
    plan names no secondary week.

    Parameters
    ----------
    rows : DataFrame
        The ``secondary`` rows of ``efficacy.rate_differences_by_week``.
    summary : DataFrame
        ``efficacy.summarize_by_visit``: responders per arm and visit.

    Examples
    --------
    >>> secondary_text(pd.DataFrame(columns=["AVISITN"]), pd.DataFrame(), "arm", ["A", "B"], {})
    'The analysis plan names no secondary end point: every week but the primary one is exploratory.'
    """
    if rows.empty:
        return "The analysis plan names no secondary end point: every week but the primary one is exploratory."
    out = []
    for _, r in rows.iterrows():
        week = int(r["AVISITN"])
        at = summary[summary["AVISITN"] == week]
        n_family = int((rows["arm"] == r["arm"]).sum())
        sentence = comparison_sentence(r, confidence=confidence, role="secondary", family_size=n_family)
        out.append(f"At {visit_labels.get(week, f'week {week}')} (a secondary end point), "
                   f"{responders_text(at, arm, arms)} responded. {sentence}")
    return " ".join(out)


def sensitivity_text(comparisons: pd.DataFrame) -> str:
    """Whether the primary comparison's conclusion survives its sensitivity analyses,
    naming those that change it.

    Parameters
    ----------
    comparisons : DataFrame
        From ``efficacy.sensitivity_comparisons`` (one compared arm): ``analysis``,
        ``k``, ``p_val``, ``unchanged`` (``efficacy.conclusion_unchanged`` against the
        primary analysis: True, False or None).

    Examples
    --------
    >>> c = pd.DataFrame({"analysis": ["primary", "observed", "sri6", "itt"], "k": [4, 4, 6, 4],
    ...                   "p_val": [0.052, 0.049, 0.15, 0.069], "unchanged": [True, False, True, True]})
    >>> sensitivity_text(c)
    'The conclusion changes in observed cases (p = 0.049) and holds in the others.'
    >>> sensitivity_text(c.assign(unchanged=True))
    'The conclusion holds in every sensitivity analysis.'
    """
    others = comparisons[comparisons["analysis"] != "primary"]
    changed = [r for _, r in others.iterrows() if not _missing(r["unchanged"]) and not r["unchanged"]]
    if not changed:
        return "The conclusion holds in every sensitivity analysis."
    names = join_words(f"{analysis_name(r['analysis'], int(r['k']))} ({p_text(r['p_val'])})" for r in changed)
    rest = len(others) - len(changed)
    return f"The conclusion changes in {names}" + (" and holds in the others." if rest else ".")


#: The sensitivity analyses of ``efficacy.sri_variants``, in a sentence.
ANALYSES: dict[str, str] = {"primary": "the primary analysis", "observed": "observed cases",
                            "itt": "the true intention-to-treat analysis (every randomized subject)"}


def analysis_name(code: str, k: int = 4) -> str:
    """An analysis of ``efficacy.sri_variants`` in a sentence.

    Examples
    --------
    >>> analysis_name("observed"), analysis_name("sri6", 6), analysis_name("itt")[:31]
    ('observed cases', 'SRI-6', 'the true intention-to-treat ana')
    """
    return ANALYSES.get(code, f"SRI-{k}")


def analysis_label(code: str, k: int, primary: bool = False) -> str:
    """An analysis of ``efficacy.sri_variants`` as a table row names it.

    Examples
    --------
    >>> analysis_label("primary", 4, True), analysis_label("itt", 4)
    ('SRI-4, non-responder imputation (primary)', 'SRI-4, every randomized subject (untreated: non-responders)')
    """
    if code == "itt":
        return f"SRI-{k}, every randomized subject (untreated: non-responders)"
    return sensitivity_label(k, "observed" if code == "observed" else "nri", primary)


def family_text(padjust: str, family_size: int, several_arms: bool) -> str:
    """The family a table's adjusted p values were adjusted in, as its footnote says.

    Examples
    --------
    >>> family_text("holm", 9, True)
    'Holm-adjusted across the 9 post-baseline visits, within each arm'
    >>> family_text("holm", 1, False), family_text("none", 6, True)
    ('Holm-adjusted across the 1 post-baseline visit', 'not adjusted for multiplicity')
    """
    if padjust == "none":
        return "not adjusted for multiplicity"
    visits = count_noun(int(family_size), "post-baseline visit")
    return f"{ADJUSTMENTS.get(padjust, padjust)}-adjusted across the {visits}" + (", within each arm" if several_arms else "")


def change_text(frame: pd.DataFrame, arm: str, arms: Sequence[str], digits: int = 1, unit: str = "") -> str:
    """Median values at baseline and at a visit with the median change and its adjusted
    p, per arm (never pooled).

    Parameters
    ----------
    frame : DataFrame
        One row per arm at the visit (``efficacy.change_by_visit``): ``base_median``,
        ``median``, ``median_chg``, ``p_adj``.

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], "base_median": [12.0, 11.0], "median": [6.0, 7.0],
    ...                   "median_chg": [-6.0, -3.0], "p_adj": [0.0001, 0.0002]})
    >>> change_text(f, "TRT01P", ["IL-2", "Placebo"])
    'from 12.0 to 6.0 with IL-2 (median change -6.0, adjusted p < 0.001) and from 11.0 to 7.0 with Placebo (median change -3.0, adjusted p < 0.001)'
    >>> change_text(f[:1], "TRT01P", ["IL-2"], unit=" mg")
    'from 12.0 mg to 6.0 mg (median change -6.0 mg, adjusted p < 0.001)'
    """
    rows = _rows_by_arm(frame, arm, arms)
    parts = []
    for a, r in zip(arms, rows, strict=True):
        base, now = format_number(r["base_median"], digits), format_number(r["median"], digits)
        who = f" with {a}" if len(arms) > 1 else ""
        parts.append(f"from {base}{unit} to {now}{unit}{who} (median change {format_signed(r['median_chg'], digits)}{unit}, "
                     f"adjusted {p_text(r['p_adj'])})")
    return join_words(parts)


def activity_text(frame: pd.DataFrame, arm: str, arms: Sequence[str], alpha: float) -> str:
    """What disease activity did in each arm (:func:`activity_change`), in one phrase.

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], "median_chg": [-6.0, -3.0], "p_adj": [0.001, 0.3]})
    >>> activity_text(f, "TRT01P", ["IL-2", "Placebo"], 0.05)
    'fell with IL-2 and did not change significantly with Placebo'
    >>> activity_text(f.assign(p_adj=0.001), "TRT01P", ["IL-2", "Placebo"], 0.05), activity_text(f[:1], "TRT01P", ["IL-2"], 0.05)
    ('fell in both arms', 'fell')
    """
    rows = _rows_by_arm(frame, arm, arms)
    verbs = [activity_change(r["median_chg"], r["p_adj"], alpha) for r in rows]
    if len(arms) == 1:
        return verbs[0]
    if len(set(verbs)) == 1:
        return f"{verbs[0]} in {'both' if len(arms) == 2 else 'every'} arm{'s' if len(arms) == 2 else ''}"
    return join_words(f"{v} with {a}" for v, a in zip(verbs, arms, strict=True))


def nonresponders_text(frame: pd.DataFrame, arm: str, arms: Sequence[str], instrument: str = "SLEDAI-2K") -> str:
    """Why the non-responders did not respond, per arm.

    Parameters
    ----------
    frame : DataFrame
        From ``efficacy.nonresponders_by_arm``: ``nonresponders`` and a count per
        criterion code (``failure`` when treatment-failure rules apply).

    Examples
    --------
    >>> f = pd.DataFrame({"TRT01P": ["IL-2"], "nonresponders": [13], "sledai": [12], "bilag": [0], "pga": [1],
    ...                   "missing": [1]})
    >>> nonresponders_text(f, "TRT01P", ["IL-2"])
    'Of the 13 non-responders, 12 did not reach the SLEDAI-2K reduction, 0 had a new BILAG A or more than one new B, 1 had a worse PGA and 1 had no evaluable visit'
    """
    rows = _rows_by_arm(frame, arm, arms)
    out = []
    for a, r in zip(arms, rows, strict=True):
        parts = [f"{int(r['sledai'])} did not reach the {instrument} reduction",
                 f"{int(r['bilag'])} had a new BILAG A or more than one new B", f"{int(r['pga'])} had a worse PGA",
                 f"{int(r['missing'])} had no evaluable visit"]
        if "failure" in r and not pd.isna(r["failure"]):
            parts.append(f"{int(r['failure'])} met a treatment-failure rule")
        who = f" with {a}" if len(arms) > 1 else ""
        out.append(f"of the {count_noun(int(r['nonresponders']), 'non-responder')}{who}, {join_words(parts)}")
    text = "; ".join(out)
    return text[:1].upper() + text[1:]


def imposed_note(simulated: bool, simulation: Mapping, topic: str | Sequence[str]) -> str:
    """On simulated data, what the generator imposed about a topic, so that a result
    that reproduces a published figure says so: it shows the analysis runs, not that the
    result is true. ``""`` for real data or when nothing about the topic was imposed.

    Parameters
    ----------
    simulated : bool
        ``cohort.yml`` ``simulated``.
    simulation : mapping
        ``cohort.yml`` ``simulation``, whose ``imposed`` lists what the generator made
        true.
    topic : str or sequence of str
        A word the relevant imposed sentences contain (``"SRI-4"``, ``"Baseline"``),
        case-insensitive; with several, a sentence containing any of them.

    Examples
    --------
    >>> sim = {"imposed": ["SRI-4 responders 36 of 40 at weeks 6 and 10, as published.", "Baseline medians of Table S1."]}
    >>> imposed_note(True, sim, "SRI-4")
    'These data are simulated, and the generator imposed this result ("SRI-4 responders 36 of 40 at weeks 6 and 10, as published"): the result shows that the analysis runs, not that it is true of patients.'
    >>> imposed_note(False, sim, "SRI-4"), imposed_note(True, sim, "Treg"), imposed_note(True, {}, "SRI-4")
    ('', '', '')
    """
    topics = [topic] if isinstance(topic, str) else list(topic)
    found = [str(x) for x in (simulation or {}).get("imposed") or () if any(t.lower() in str(x).lower() for t in topics)]
    return simulation_note(simulated, found, "this result" if len(found) == 1 else "these results", fallback=False)


def with_verdicts(rows: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Between-arm comparisons with their words: ``diff_text`` (the rate difference in
    percentage points, with its direction) and ``verdict`` (:func:`helpers.present.prose.met`
    at ``alpha``), for a chapter to glue beside the numbers.

    Examples
    --------
    >>> with_verdicts(pd.DataFrame({"diff": [0.2517], "p_val": [0.0524]}), 0.05)[["diff_text", "verdict"]].values.tolist()
    [['25.2 percentage points higher', 'not met at the two-sided 5% level']]
    """
    return rows.assign(diff_text=[difference_in_points(x) for x in rows["diff"]],
                       verdict=[met(p, alpha) for p in rows["p_val"]])


def supportive_text(row: Mapping | None, confidence: float, instrument: str = "SLEDAI-2K") -> str:
    """The supportive analysis of the primary end point in a sentence (a logistic
    regression adjusted for a baseline covariate); ``""`` without one.

    Examples
    --------
    >>> r = {"estimate": 2.87, "ci_low": 0.98, "ci_high": 8.43, "p_val": 0.0553, "covariates": "SLEDAIBL",
    ...      "converged": True}
    >>> supportive_text(r, 0.95)
    'Adjusted for baseline SLEDAI-2K in a logistic regression (supportive), the odds ratio was 2.87 (95% CI 0.98 to 8.43, p = 0.055).'
    >>> supportive_text(None, 0.95)
    ''
    """
    if row is None:
        return ""
    covariates = {"SLEDAIBL": f"baseline {instrument}"}
    names = join_words(covariates.get(c.strip(), c.strip()) for c in str(row["covariates"]).split(",") if c.strip())
    fit = "" if row.get("converged", True) else " (the model did not converge)"
    return (f"Adjusted for {names} in a logistic regression (supportive), the odds ratio was "
            f"{format_number(row['estimate'], 2)} ({percent(confidence)} CI {format_number(row['ci_low'], 2)} to "
            f"{format_number(row['ci_high'], 2)}, {p_text(row['p_val'])}){fit}.")


def itt_text(sens: pd.DataFrame, comparisons: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float) -> str:
    """The true intention-to-treat analysis in a sentence: every randomized subject in
    the arm randomized, a subject never treated counted as a non-responder, compared by
    the primary test (and by Pearson's chi-square test when that is not the primary one).

    Parameters
    ----------
    sens : DataFrame
        The ``itt`` rows of ``efficacy.sri_sensitivity`` (one per arm); empty when the
        config has no population of every randomized subject.
    comparisons : DataFrame
        The ``itt`` rows of ``efficacy.sensitivity_comparisons``.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01P": ["IL-2", "Placebo"], "responders": [16, 9], "n": [30, 30], "rate": [16 / 30, 0.3]})
    >>> c = pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo"], "diff": [0.2333], "estimate": [0.2333],
    ...                   "ci_low": [-0.0183], "ci_high": [0.4577], "scale": ["difference"], "test": ["score"],
    ...                   "p_val": [0.0691], "p_chisq": [0.0668]})
    >>> itt_text(s, c, "TRT01P", ["IL-2", "Placebo"], 0.95)[:118]
    'Counting every randomized subject in the arm randomized, a subject never treated as a non-responder: 16 of 30 (53.3%) '
    >>> itt_text(s.iloc[:0], c.iloc[:0], "TRT01P", ["IL-2", "Placebo"], 0.95)[:39]
    'The cohort config names no population o'
    """
    if sens.empty or comparisons.empty:
        return ("The cohort config names no population of every randomized subject (populations.randomized), so no "
                "true intention-to-treat analysis is run.")
    out = [f"Counting every randomized subject in the arm randomized, a subject never treated as a non-responder: "
           f"{responders_text(sens, arm, arms)} responded."]
    for _, r in comparisons.iterrows():
        sentence = comparison_sentence(r, confidence, role="exploratory").replace("; exploratory)", ")")
        if r["test"] != "chisq":
            sentence = sentence[:-2] + f"; Pearson chi-square test {p_text(r['p_chisq'])})."
        out.append(sentence)
    return " ".join(out)


def family_text_of(tests: pd.DataFrame, several_arms: bool) -> str:
    """The multiplicity family of a table of paired tests (``efficacy.change_by_visit``:
    ``padjust``, ``family_size``), as :func:`family_text` says it; the range of family
    sizes when the series differ.

    Examples
    --------
    >>> t = pd.DataFrame({"padjust": "holm", "family_size": [9, 9]})
    >>> family_text_of(t, True), family_text_of(t.assign(family_size=[8, 9]), True)
    ('Holm-adjusted across the 9 post-baseline visits, within each arm', 'Holm-adjusted across the post-baseline visits tested in each arm (8 to 9)')
    """
    if tests.empty:
        return "no test"
    padjust = str(tests["padjust"].iloc[0])
    sizes = sorted({int(x) for x in tests["family_size"]})
    if len(sizes) == 1:
        return family_text(padjust, sizes[0], several_arms)
    where = "each arm" if several_arms else "each series"
    return (f"{ADJUSTMENTS.get(padjust, padjust)}-adjusted across the post-baseline visits tested in {where} "
            f"({sizes[0]} to {sizes[-1]})")


def treatment_failure_text(rules: Mapping | None, failures: pd.DataFrame) -> str:
    """The methods sentence on treatment-failure rules: which the analysis plan sets and
    how many subjects met them, or that it sets none.

    Parameters
    ----------
    rules : mapping or None
        From ``efficacy.treatment_failure_rules`` (``steroid_margin``, ``rescue_flag``).
    failures : DataFrame
        From ``efficacy.treatment_failures``.

    Examples
    --------
    >>> treatment_failure_text(None, pd.DataFrame())
    'The analysis plan sets no treatment-failure rule.'
    >>> f = pd.DataFrame({"USUBJID": ["A", "B"], "TFWEEK": [4, 8], "TFREAS": ["steroid increase", "rescue therapy"]})
    >>> treatment_failure_text({"steroid_margin": 5.0, "rescue_flag": "RESCFL"}, f)[:120]
    'Treatment-failure rules of the analysis plan (as in the belimumab trials): a subject whose prednisone-equivalent dose ro'
    """
    if not rules:
        return "The analysis plan sets no treatment-failure rule."
    parts = []
    if rules.get("steroid_margin") is not None:
        parts.append(f"whose prednisone-equivalent dose rose more than {format_number(rules['steroid_margin'], 1)} mg/day "
                     "above the baseline dose")
    if rules.get("rescue_flag"):
        parts.append(f"given protocol-prohibited rescue therapy (adsl {rules['rescue_flag']})")
    n = int(failures["USUBJID"].nunique()) if len(failures) else 0
    return (f"Treatment-failure rules of the analysis plan (as in the belimumab trials): a subject {join_words(parts, 'or')} "
            f"counts as a non-responder from that visit on; {count_noun(n, 'subject')} met a rule.")


def baseline_tests_text(requested: bool, n_arms: int) -> str:
    """What Table 1 says about between-arm tests: shown because the analysis plan asks
    (CONSORT discourages them), or not shown and why; ``""`` with one arm.

    Examples
    --------
    >>> baseline_tests_text(False, 2)[:61]
    'No between-arm test is shown: in a randomized trial a baselin'
    >>> baseline_tests_text(True, 2)[:61], baseline_tests_text(True, 1)
    ('Between-arm p values are shown because the analysis plan asks', '')
    """
    if n_arms < 2:
        return ""
    if not requested:
        return ("No between-arm test is shown: in a randomized trial a baseline difference is by chance, and CONSORT "
                "advises against such tests.")
    if n_arms != 2:
        return "The analysis plan asks for between-arm p values, which need exactly two arms: none are shown."
    return ("Between-arm p values are shown because the analysis plan asks for them (as the published table has "
            "them); CONSORT advises against such tests, since in a randomized trial a baseline difference is by chance.")


def comparison_short(row: Mapping, confidence: float) -> str:
    """A between-arm comparison in a table cell: the difference in percentage points
    with its direction, the interval that inverts the test, and the test's p.

    Examples
    --------
    >>> r = {"diff": 0.28851, "estimate": 0.28851, "ci_low": 0.0306, "ci_high": 0.5096, "scale": "difference",
    ...      "test": "score", "p_val": 0.028}
    >>> comparison_short(r, 0.95)
    '28.9 percentage points higher (Miettinen-Nurminen score interval, 95% CI 3.1 to 51.0 percentage points; Miettinen-Nurminen score test p = 0.028)'
    """
    return (f"{difference_in_points(row['diff'])} ({interval_text(row, confidence)}; "
            f"{PRIMARY_TESTS[row['test']]} {p_text(row['p_val'])})")


def secondary_short(rows: pd.DataFrame, visit_labels: Mapping[int, str], confidence: float) -> str:
    """The secondary end points in a table cell, each labelled as the plan adjusts it;
    ``none named in the analysis plan`` without one.

    Parameters
    ----------
    rows : DataFrame
        The ``secondary`` rows of ``efficacy.rate_differences_by_week``.

    Examples
    --------
    >>> r = pd.DataFrame({"AVISITN": [24], "arm": ["IL-2"], "reference": ["Placebo"], "diff": [0.2885], "estimate": [0.2885], "ci_low": [0.0306],
    ...                   "ci_high": [0.5096], "scale": ["difference"], "test": ["score"], "p_val": [0.028],
    ...                   "p_adj": [0.028], "adjustment": ["none"]})
    >>> secondary_short(r, {24: "Week 24"}, 0.95)[-61:]
    'score test p = 0.028); nominal, not adjusted for multiplicity'
    >>> secondary_short(r.iloc[:0], {}, 0.95)
    'none named in the analysis plan'
    """
    if rows.empty:
        return "none named in the analysis plan"
    out = []
    for _, r in rows.iterrows():
        n = int((rows["arm"] == r["arm"]).sum())
        adjustment = r.get("adjustment") or "none"
        note = multiplicity_text(adjustment, n) + ("" if adjustment == "none" else f" {p_text(r['p_adj'])}")
        week = int(r["AVISITN"])
        out.append(f"{visit_labels.get(week, f'week {week}')}, {r['arm']} vs {r['reference']}: "
                   f"{comparison_short(r, confidence)}; {note}")
    return "; ".join(out)


def counts_by_arm_text(frame: pd.DataFrame, arm: str, arms: Sequence[str], column: str) -> str:
    """A count per arm in words: ``86 with Placebo, 84 with Xanomeline Low Dose and 84
    with Xanomeline High Dose``; the number alone with one arm.

    Examples
    --------
    >>> f = pd.DataFrame({"arm": ["A", "B", "Total"], "treated": [29, 30, 59]})
    >>> counts_by_arm_text(f, "arm", ["A", "B"], "treated"), counts_by_arm_text(f, "arm", ["A"], "treated")
    ('29 with A and 30 with B', '29')
    """
    rows = _rows_by_arm(frame, arm, arms)
    if len(arms) == 1:
        return str(int(rows[0][column]))
    return join_words(f"{int(r[column])} with {a}" for a, r in zip(arms, rows, strict=True))


def imposed_short(simulated: bool, simulation: Mapping, topic: str | Sequence[str]) -> str:
    """:func:`imposed_note` for a landing page's table cell: ``"; the simulation imposed
    the published figure"`` when the generator imposed something about the topic, else
    ``""``.

    Examples
    --------
    >>> imposed_short(True, {"imposed": ["SRI-4 responders 36 of 40, as published."]}, "SRI-4")
    '; the simulation imposed the published figure'
    >>> imposed_short(False, {"imposed": ["SRI-4 responders 36 of 40, as published."]}, "SRI-4")
    ''
    """
    return "; the simulation imposed the published figure" if imposed_note(simulated, simulation, topic) else ""


# ---------------------------------------------------------------------------------------
# BILAG, flares, the steroid taper and the paper's Table 2 layout (helpers.analyses.bilag)

#: The disease-activity rows of a published table (codes of
#: ``helpers.analyses.bilag.ACTIVITY_MEASURES``); ``sledai`` is named by the instrument.
ACTIVITY_LABELS: dict[str, str] = {
    "bilag": "BILAG-2004 score", "bilag_a2b": "At least one BILAG A or two B", "pga": "PGA (0 to 3)",
    "prednisone": "Prednisone-equivalent dose, mg/day"}

#: Decimals of each disease-activity row's median and range.
ACTIVITY_DIGITS: dict[str, int] = {"sledai": 0, "bilag": 1, "pga": 2, "prednisone": 1}


def activity_labels(instrument: str) -> dict[str, str]:
    """The labels of the disease-activity rows, SLEDAI named by the cohort's instrument.

    Examples
    --------
    >>> activity_labels("SLEDAI-2K")["sledai"], activity_labels("SLEDAI-2K")["bilag_a2b"]
    ('SLEDAI-2K', 'At least one BILAG A or two B')
    """
    return {"sledai": instrument, **ACTIVITY_LABELS}


def _coding_name(coding: str) -> str:
    return {"yee2010": "Yee's coding", "classic": "the classic coding"}.get(coding, f"the coding {coding!r}")


def bilag_coding_text(check: pd.DataFrame, arms: Sequence[str]) -> str:
    """Which BILAG coding scores the pages, and what the data say about the default.

    Parameters
    ----------
    check : DataFrame
        From :func:`helpers.analyses.bilag.bilag_coding_check`.

    Examples
    --------
    >>> c = pd.DataFrame({"arm": ["A"], "a2b_n": [21], "subjects": [30], "a2b_pct": [70.0], "median": [10.0],
    ...                   "median_default": [16.0], "coding": "classic", "default": "yee2010"})
    >>> bilag_coding_text(c, ["A"])[:84]
    'The score uses the classic coding (the cohort setting bilag_coding), not the default'
    >>> bilag_coding_text(c.assign(coding="yee2010"), ["A"])
    "The score uses Yee's coding, the default (the cohort setting bilag_coding)."
    """
    first = check.iloc[0]
    if first["coding"] == first["default"]:
        return f"The score uses {_coding_name(first['coding'])}, the default (the cohort setting bilag_coding)."
    rows = _rows_by_arm(check, "arm", arms)
    who = (lambda a: f" with {a}") if len(arms) > 1 else (lambda a: "")
    shares = join_words([f"{int(r['a2b_n'])} of {int(r['subjects'])} ({format_number(r['a2b_pct'], 1)}%){who(a)}"
                         for a, r in zip(arms, rows, strict=True)])
    medians = join_words([f"{format_number(r['median_default'], 1)}{who(a)}" for a, r in zip(arms, rows, strict=True)])
    ours = join_words([format_number(r["median"], 1) for r in rows])
    return (f"The score uses {_coding_name(first['coding'])} (the cohort setting bilag_coding), not the default, "
            f"{_coding_name(first['default'])}. At baseline {shares} had at least one A or two B; under "
            f"{_coding_name(first['default'])} each of them scores at least 12, and the baseline median would be "
            f"{medians}, against {ours} in the coding used. A publication that reports a median below 12 while more "
            f"than half its patients have an A or two B cannot have used {_coding_name(first['default'])}.")


def flares_text(summary: pd.DataFrame, arms: Sequence[str]) -> str:
    """Subjects with a BILAG flare per arm, with severities, in words.

    Examples
    --------
    >>> s = pd.DataFrame({"arm": ["IL-2", "Placebo"], "subjects": [29, 30], "any_n": [0, 2], "severe_n": [0, 2],
    ...                   "moderate_n": [0, 0], "any_pct": [0.0, 6.67], "episodes": [0, 2]})
    >>> flares_text(s, ["IL-2", "Placebo"])
    'none of 29 with IL-2 and 2 of 30 with Placebo (6.7%; 2 severe, none moderate; 2 episodes)'
    >>> flares_text(s[1:], ["Placebo"])
    '2 of 30 (6.7%; 2 severe, none moderate; 2 episodes)'
    """
    rows = _rows_by_arm(summary, "arm", arms)
    parts = []
    for a, r in zip(arms, rows, strict=True):
        who = f" with {a}" if len(arms) > 1 else ""
        if int(r["any_n"]) == 0:
            parts.append(f"none of {int(r['subjects'])}{who}")
            continue
        sev = int(r["severe_n"]) or "none"
        mod = int(r["moderate_n"]) or "none"
        parts.append(f"{int(r['any_n'])} of {int(r['subjects'])}{who} ({format_number(r['any_pct'], 1)}%; "
                     f"{sev} severe, {mod} moderate; {count_noun(int(r['episodes']), 'episode')})")
    return join_words(parts)


def flare_comparison_text(row: Mapping | None, confidence: float) -> str:
    """The difference in the share of subjects with a flare, with its interval and p.

    Examples
    --------
    >>> flare_comparison_text({"arm": "IL-2", "reference": "Placebo", "estimate": -0.0667, "ci_low": -0.215,
    ...                        "ci_high": 0.056, "p_val": 0.161}, 0.95)
    'With IL-2 the share with a flare was 6.7 percentage points lower than with Placebo (95% CI -21.5 to 5.6 points; Miettinen-Nurminen score test, p = 0.161).'
    """
    if row is None or _missing(row["estimate"]):
        return "The share with a flare could not be compared between arms."
    return (f"With {row['arm']} the share with a flare was {difference_in_points(row['estimate'])} than with "
            f"{row['reference']} ({percent(confidence)} CI {format_number(100 * row['ci_low'], 1)} to "
            f"{format_number(100 * row['ci_high'], 1)} points; Miettinen-Nurminen score test, {p_text(row['p_val'])}).")


def flare_free_text(free: pd.DataFrame, arms: Sequence[str], logrank: Mapping | None = None) -> str:
    """The Kaplan-Meier share free of BILAG flares per arm, and the log-rank test.

    Examples
    --------
    >>> f = pd.DataFrame({"arm": ["IL-2", "Placebo"], "week": [24, 24], "estimate": [1.0, 0.931],
    ...                   "ci_low": [float("nan"), 0.753], "ci_high": [float("nan"), 0.982], "confidence": [0.95, 0.95]})
    >>> flare_free_text(f, ["IL-2", "Placebo"], {"p_val": 0.149})
    'Through week 24 (Kaplan-Meier, subjects censored at their last assessment), 100% stayed free of flares with IL-2 and 93.1% (95% CI 75.3% to 98.2%) with Placebo; log-rank test of the time to the first flare, p = 0.149.'
    >>> flare_free_text(f[:1], ["IL-2"])
    'Through week 24 (Kaplan-Meier, subjects censored at their last assessment), 100% stayed free of flares.'
    """
    rows = _rows_by_arm(free, "arm", arms)
    values = []
    for r in rows:
        if _missing(r["estimate"]):
            values.append("not estimable")
            continue
        ci = ("" if _missing(r["ci_low"]) else
              f" ({percent(r['confidence'])} CI {format_number(100 * r['ci_low'], 1)}% to {format_number(100 * r['ci_high'], 1)}%)")
        values.append(f"{format_number(100 * r['estimate'], 1).removesuffix('.0')}%{ci}")
    if len(arms) == 1:
        shares = f"{values[0]} stayed free of flares"
    else:
        shares = join_words([f"{values[0]} stayed free of flares with {arms[0]}"]
                            + [f"{v} with {a}" for v, a in zip(values[1:], arms[1:], strict=True)])
    text = f"Through week {int(rows[0]['week'])} (Kaplan-Meier, subjects censored at their last assessment), {shares}"
    if logrank is not None and not _missing(logrank.get("p_val")):
        text += f"; log-rank test of the time to the first flare, {p_text(logrank['p_val'])}"
    return text + "."


def taper_text(taper: pd.DataFrame, arms: Sequence[str], threshold: float) -> str:
    """Subjects at or below the taper threshold, and with a dose below baseline, per arm
    at one visit.

    Examples
    --------
    >>> t = pd.DataFrame({"arm": ["A"], "low_n": [13], "low_subjects": [27], "low_pct": [48.1], "reduced_n": [20],
    ...                   "reduced_subjects": [27], "reduced_pct": [74.1]})
    >>> taper_text(t, ["A"], 7.5)
    '13 of 27 (48.1%) took 7.5 mg/day or less, and 20 of 27 (74.1%) less than at baseline'
    """
    rows = _rows_by_arm(taper, "arm", arms)
    parts = []
    for a, r in zip(arms, rows, strict=True):
        who = f" with {a}" if len(arms) > 1 else ""
        parts.append(f"{int(r['low_n'])} of {int(r['low_subjects'])} ({format_number(r['low_pct'], 1)}%){who} took "
                     f"{format_number(threshold, 1)} mg/day or less, and {int(r['reduced_n'])} of "
                     f"{int(r['reduced_subjects'])} ({format_number(r['reduced_pct'], 1)}%) less than at baseline")
    return "; ".join(parts)


def paper_row_text(table: pd.DataFrame, code: str, week: int, arms: Sequence[str], digits: int = 1,
                   unit: str = "") -> str:
    """One continuous row of a table in a publication's layout at one visit, in words:
    the median (range) per arm.

    Parameters
    ----------
    table : DataFrame
        From :func:`helpers.analyses.paper_tables.paper_table`.

    Examples
    --------
    >>> t = pd.DataFrame({"PARAMCD": "sledai", "arm": ["IL-2", "Placebo"], "AVISITN": 12, "n": [28, 29],
    ...                   "median": [6.0, 6.0], "min": [0.0, 0.0], "max": [16.0, 25.0]})
    >>> paper_row_text(t, "sledai", 12, ["IL-2", "Placebo"], 0)
    '6 (range 0 to 16; 28 subjects) with IL-2 and 6 (range 0 to 25; 29 subjects) with Placebo'
    """
    at = table[(table["PARAMCD"] == code) & (table["AVISITN"] == week)]
    rows = _rows_by_arm(at, "arm", arms)
    parts = []
    for a, r in zip(arms, rows, strict=True):
        who = f" with {a}" if len(arms) > 1 else ""
        if int(r["n"]) == 0:
            parts.append(f"not measured{who}")
            continue
        parts.append(f"{format_number(r['median'], digits)}{unit} (range {format_number(r['min'], digits)} to "
                     f"{format_number(r['max'], digits)}{unit}; {count_noun(int(r['n']), 'subject')}){who}")
    return join_words(parts)


# ---------------------------------------------------------------------------------------
# the cohort chapter: the disease named by the cohort, requested rows the data lack


def disease_name(disease: str | None) -> str:
    """The disease as a sentence names it: the cohort's ``disease`` setting, else
    "the disease".

    Examples
    --------
    >>> disease_name("systemic lupus erythematosus"), disease_name(None)
    ('systemic lupus erythematosus', 'the disease')
    """
    return disease.strip() if disease and disease.strip() else "the disease"


def disease_activity_text(n_active: int, n: int, n_enrolled: int, disease: str | None) -> str:
    """Whether the subjects' disease was active at baseline (:func:`lupus_activity`,
    worded with the cohort's disease, never "lupus" for another one).

    Examples
    --------
    >>> disease_activity_text(40, 40, 40, "systemic lupus erythematosus")
    'Their systemic lupus erythematosus was active in every subject'
    >>> disease_activity_text(30, 38, 40, None)
    'The disease was active in 30 of the 38 subjects with a baseline score'
    >>> disease_activity_text(0, 38, 40, "psoriasis")
    'No subject had active psoriasis'
    """
    name = disease_name(disease)
    subject = f"Their {name}" if disease and disease.strip() else "The disease"
    if not n:
        return "No subject had a baseline score"
    if not n_active:
        return f"No subject had active {name}" if disease and disease.strip() else "No subject had active disease"
    if n_active == n:
        return f"{subject} was active in every subject" + ("" if n == n_enrolled else f" with a baseline score ({n} of {n_enrolled})")
    return f"{subject} was active in {n_active} of the {n} subjects with a baseline score"


def missing_baseline_note(missing: Sequence[str], table: str = "adsl") -> list[str]:
    """The baseline table's footnote for requested variables the data lack (empty when
    none is missing).

    Examples
    --------
    >>> missing_baseline_note(["ESRBL", "CRPBL"])
    ['Requested but not in the data (adsl), so not shown: ESRBL and CRPBL.']
    >>> missing_baseline_note([])
    []
    """
    if not missing:
        return []
    return [f"Requested but not in the data ({table}), so not shown: {join_words(missing)}."]


def their_disease(disease: str | None) -> str:
    """``their <disease>``, or ``their disease`` when the cohort names none.

    Examples
    --------
    >>> their_disease("psoriasis"), their_disease(None)
    ('their psoriasis', 'their disease')
    """
    return f"their {disease.strip()}" if disease and disease.strip() else "their disease"


def taper_labels(threshold: float) -> dict[str, str]:
    """The labels of the steroid-taper rows (``helpers.analyses.bilag.taper_measures``).

    Examples
    --------
    >>> taper_labels(7.5)["prednisone_low"]
    'Prednisone-equivalent dose at or below 7.5 mg/day'
    """
    return {"prednisone_low": f"Prednisone-equivalent dose at or below {format_number(threshold, 1)} mg/day",
            "prednisone_reduced": "Prednisone-equivalent dose below the baseline dose"}
