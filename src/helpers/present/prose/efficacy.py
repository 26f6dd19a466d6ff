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
from helpers.present.format import format_number
from helpers.present.prose import direction, p_text, small_or_not

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

#: Measures of disease activity by ``PARAMCD``.
MEASURES: dict[str, str] = {"SLEDAI": "SLEDAI-2K", "PGA": "PGA", "PREDDOSE": "Prednisone-equivalent dose"}

#: Covariates of adjusted models, as a sentence names them.
COVARIATES: dict[str, str] = {"SLEDAIBL": "baseline SLEDAI-2K"}

#: The tests of a difference between two rates, as a comparison table's method names them
#: (keys of ``helpers.stats.RATE_TESTS``).
RATE_TEST_SHORT: dict[str, str] = {"chisq": "Pearson chi-square", "fisher": "Fisher exact"}

#: The code of every subject together in a subgroup table.
ALL_SUBJECTS = "ALL"

#: The organ groups the abstract singled out, as the forest plot's legend names them.
FAVOURED_KIND = ", ".join(d.FAVOURED_GROUPS)
OTHER_KIND = "other"

#: Words for the steps of the participant flow (codes of ``population.FLOW_STEPS``).
FLOW_STEPS: dict[str, str] = {
    "enrolled": "Enrolled", "allocated": "Allocated", "treated": "Treated", "course": "Received course {course}",
    "completed": "Completed the study", "discontinued": "Discontinued", "ongoing": "Ongoing",
    "efficacy": "Analysed for efficacy ({flag})", "safety": "Analysed for safety ({flag})",
}
#: A discontinuation reason left blank.
REASON_NOT_GIVEN = "reason not given"

_MANIFESTATIONS = {m.code: m.label for m in d.MANIFESTATIONS}
_DESCRIPTORS = {x.code: x.label for x in d.SLEDAI_DESCRIPTORS}


def criterion_label(code: str) -> str:
    """The SRI criterion a non-responder failed.

    Examples
    --------
    >>> criterion_label("bilag")
    'new BILAG A or > 1 new B'
    """
    return CRITERIA[code]


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


def measure_label(code: str) -> str:
    """A measure of disease activity by its ``PARAMCD``.

    Examples
    --------
    >>> measure_label("SLEDAI"), measure_label("XYZ")
    ('SLEDAI-2K', 'XYZ')
    """
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


def statement_verdict(holds: bool | None, test: Mapping, alpha: float) -> str:
    """One sentence on whether the data support the abstract's statement that skin,
    haematological and fever manifestations responded better than the others.

    Parameters
    ----------
    holds : bool or None
        From :func:`helpers.analyses.organ.statement_holds`.
    test : mapping
        From :func:`helpers.analyses.organ.favoured_groups_test`: ``favoured_rate``,
        ``other_rate``, ``favoured_n``, ``other_n``.
    alpha : float
        The level of the test.

    Examples
    --------
    >>> t = {"favoured_rate": 0.9, "other_rate": 0.5, "favoured_n": 10, "other_n": 8}
    >>> statement_verdict(True, t, 0.05)
    'The data support the published statement.'
    >>> statement_verdict(False, t, 0.05)
    'The difference points the published way but is not statistically significant at the 0.05 level.'
    >>> statement_verdict(False, {**t, "other_rate": 0.9}, 0.05)
    'The data do not support the published statement: the other manifestations resolved at least as often.'
    >>> statement_verdict(None, {**t, "other_n": 0}, 0.05)
    'The data do not allow the comparison (one of the groups is empty).'
    >>> statement_verdict(None, {**t, "favoured_rate": 1.0, "other_rate": 1.0}, 0.05)
    'The data do not allow the comparison (every manifestation resolved).'
    """
    if holds is None:
        if not test["favoured_n"] or not test["other_n"]:
            why = "one of the groups is empty"
        elif test["favoured_rate"] == test["other_rate"] == 1:
            why = "every manifestation resolved"
        elif test["favoured_rate"] == test["other_rate"] == 0:
            why = "no manifestation resolved"
        else:
            why = "the test could not be computed"
        return f"The data do not allow the comparison ({why})."
    if holds:
        return "The data support the published statement."
    if test["favoured_rate"] > test["other_rate"]:
        return f"The difference points the published way but is not statistically significant at the {alpha:g} level."
    return "The data do not support the published statement: the other manifestations resolved at least as often."


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

