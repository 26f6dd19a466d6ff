"""The organ chapter's words: the organ groups the abstract singled out, rankings with
their counts, the test of the abstract's claim and its verdict.

Every sentence follows the frames of :mod:`helpers.analyses.organ` it is given: which
arm, which test the design called for (within the one arm, or the treatment-by-group
interaction with several), whether a group was large enough to test, the verdict and
its reason. With several arms every rate is an arm's; nothing is pooled. Numbers go
through :mod:`helpers.present.format` (via ``percent_of`` and ``p_text``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from helpers import definitions as d
from helpers.present.format import format_number
from helpers.present.prose import count_noun, join_words, p_text, percent, simulation_note
from helpers.present.prose.efficacy import domain_name, percent_of

#: The groups the abstract singled out, as the forest plot's legend names them.
FAVOURED_KIND = ", ".join(d.FAVOURED_GROUPS)
OTHER_KIND = "other"

#: The abstract's words for the skin involvement that responded better (AB0525).
ABSTRACT_SKIN: tuple[str, ...] = ("erythema", "photosensitivity", "Raynaud's", "vasculitis")

#: Verdicts on a claim (codes of ``organ.claim_verdict``).
VERDICTS: dict[str, str] = {"supported": "supported", "not_supported": "not supported", "inconclusive": "inconclusive"}

#: Why a test was not computed (codes of ``organ.TEST_REASONS`` but ``tested``).
NOT_TESTED: dict[str, str] = {
    "too_small": "the favoured or the other group holds manifestations of fewer than {min_size} subjects",
    "boundary": "a group resolved in every case or in none, which leaves no finite odds ratio",
    "no_fit": "the model gave no estimate",
}

#: A cell the comparison column leaves empty (too few subjects in an arm).
NOT_COMPARED = "-"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def in_sentence(label: str) -> str:
    """A published label inside a sentence: lower case, but an eponym keeps its capital.

    Examples
    --------
    >>> in_sentence("Malar or other lupus rash"), in_sentence("Raynaud's phenomenon")
    ('malar or other lupus rash', "Raynaud's phenomenon")
    """
    first = label.split(" ", 1)[0]
    return label if first.endswith("'s") else label[:1].lower() + label[1:]


#: ADaM arm variables in words (ADaM IG: planned and actual treatment).
ARM_VARIABLES: dict[str, str] = {
    "TRT01P": "the randomized (planned) arm", "ARM": "the randomized (planned) arm",
    "TRT01A": "the treatment received", "ACTARM": "the treatment received",
}


def arm_variable_text(variable: str) -> str:
    """The arm a subject is counted in, from the arm variable of the population.

    Examples
    --------
    >>> arm_variable_text("TRT01P"), arm_variable_text("TRT01A"), arm_variable_text("DOSEGRP")
    ('the randomized (planned) arm, TRT01P', 'the treatment received, TRT01A', 'the arm in DOSEGRP')
    """
    return f"{ARM_VARIABLES[variable]}, {variable}" if variable in ARM_VARIABLES else f"the arm in {variable}"


def group_label(group: str, favoured: bool | None = None) -> str:
    """An organ group as a table's row group names it, ``(favoured)`` for the groups the
    abstract singled out.

    Examples
    --------
    >>> group_label("skin"), group_label("hair"), group_label("all")
    ('Skin (favoured)', 'Hair', 'All subjects')
    """
    if group == "all":
        return "All subjects"
    favoured = group in d.FAVOURED_GROUPS if favoured is None else favoured
    return _capital(group) + (" (favoured)" if favoured else "")


def groups_sentence() -> str:
    """Which organ groups the abstract singled out, with their manifestations, which are
    the others, and where alopecia stands (from :mod:`helpers.definitions`).

    Examples
    --------
    >>> print(groups_sentence())  # doctest: +NORMALIZE_WHITESPACE
    The groups the abstract singled out are skin (malar or other lupus rash, photosensitivity, Raynaud's
    phenomenon and vasculitis), haematological (leukopenia, thrombocytopenia and anaemia) and fever; the others
    are mucosal (oral ulcers), hair (alopecia), musculoskeletal (arthritis), serosal (serositis) and renal (lupus
    nephritis). Alopecia is among the others: the skin involvement the abstract lists is erythema,
    photosensitivity, Raynaud's and vasculitis.
    """
    members: dict[str, list[str]] = {}
    for m in d.MANIFESTATIONS:
        members.setdefault(m.group, []).append(in_sentence(m.label))

    def listed(groups):
        return join_words([g if members[g] == [g] else f"{g} ({join_words(members[g])})" for g in groups if g in members])

    others = [g for g in members if g not in d.FAVOURED_GROUPS]
    text = f"The groups the abstract singled out are {listed(d.FAVOURED_GROUPS)}"
    text += f"; the others are {listed(others)}." if others else "."
    alopecia = next((m for m in d.MANIFESTATIONS if m.code == "ALOPEC"), None)
    if alopecia is not None and alopecia.group not in d.FAVOURED_GROUPS:
        text += (f" {alopecia.label} is among the others: the skin involvement the abstract lists is "
                 f"{join_words(ABSTRACT_SKIN)}.")
    return text


def in_arm(arm: str) -> str:
    """``in the IL-2 arm``; an arm already called an arm (a dummy randomization's
    ``Arm A``) is not called one twice.

    Examples
    --------
    >>> in_arm("IL-2"), in_arm("Arm A"), in_arm("Placebo arm")
    ('in the IL-2 arm', 'in Arm A', 'in the Placebo arm')
    """
    words = str(arm).lower().split()
    return f"in {arm}" if words[:1] == ["arm"] else f"in the {arm}" if words[-1:] == ["arm"] else f"in the {arm} arm"


def _arm_prefix(a: str, several: bool) -> str:
    return f"{in_arm(a)}, " if several else ""


def _count(responders: float, n: float) -> str:
    return f"{int(responders)} of {int(n)}, {percent_of(responders / n)}" if n else "none"


def label_ranking(ranking: pd.DataFrame, name: Callable[[str], str] = domain_name) -> pd.DataFrame:
    """The ranking of ``organ.rank_items`` with ``best`` and ``worst`` in words
    (``best_label``, ``worst_label``; missing when nothing is ranked), to glue.

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01P": ["A", "B"], "best": ["renal", None], "worst": ["vascular", None]})
    >>> label_ranking(r)[["best_label", "worst_label"]].values.tolist()
    [['renal', 'vascular'], [nan, nan]]
    """
    out = ranking.copy()
    for which in ("best", "worst"):
        out[f"{which}_label"] = [None if _missing(c) else name(c) for c in out[which]]
    return out


def ranking_text(ranking: pd.DataFrame, small: pd.DataFrame, arm: str, arms: Sequence[str], min_size: int,
                 noun: str = "domain", name: Callable[[str], str] = domain_name, when: str = "") -> str:
    """The items resolved most and least often in each arm, with their counts, among
    those active in at least ``min_size`` subjects; the smaller ones named with their
    counts as not ranked.

    Parameters
    ----------
    ranking : DataFrame
        From :func:`helpers.analyses.organ.rank_items`.
    small : DataFrame
        From :func:`helpers.analyses.organ.small_items`: the arm, ``PARAMCD``,
        ``responders``, ``n``.
    when : str
        The visit, opening the text (``"By Week 10, "``).

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A"], "n_ranked": [2], "best": ["constitutional"], "best_responders": [12],
    ...                   "best_n": [13], "best_rate": [12 / 13], "worst": ["immunological"], "worst_responders": [14],
    ...                   "worst_n": [40], "worst_rate": [0.35]})
    >>> s = pd.DataFrame({"TRT01A": ["A", "A"], "PARAMCD": ["neurological", "vascular"], "responders": [0, 1],
    ...                   "n": [2, 1]})
    >>> print(ranking_text(r, s, "TRT01A", ["A"], 5, when="Week 10"))  # doctest: +NORMALIZE_WHITESPACE
    By Week 10, of the 2 domains active at baseline in at least 5 subjects, constitutional resolved most often (12 of 13,
    92.3%) and immunological least often (14 of 40, 35.0%); neurological (0 of 2) and vascular (1 of 1) were
    active in fewer subjects and are not ranked.
    >>> print(ranking_text(r.assign(n_ranked=0, best=None, worst=None), s.iloc[:0], "TRT01A", ["A"], 5))
    No domain was active at baseline in at least 5 subjects, so none is ranked.
    """
    several = len(arms) > 1
    parts = []
    for a in arms:
        row = ranking[ranking[arm].astype("str") == str(a)].iloc[0]
        k = int(row["n_ranked"])
        if k == 0:
            text = f"no {noun} was active at baseline in at least {min_size} subjects, so none is ranked"
        elif k == 1:
            text = (f"only {name(row['best'])} was active at baseline in at least {min_size} subjects: it resolved in "
                    f"{_count(row['best_responders'], row['best_n'])}")
        else:
            text = (f"of the {k} {noun}s active at baseline in at least {min_size} subjects, {name(row['best'])} "
                    f"resolved most often ({_count(row['best_responders'], row['best_n'])}) and "
                    f"{name(row['worst'])} least often ({_count(row['worst_responders'], row['worst_n'])})")
        mine = small[small[arm].astype("str") == str(a)]
        counts = [(name(str(c)), int(x), int(n)) for c, x, n in
                  zip(mine["PARAMCD"], mine["responders"], mine["n"], strict=True)]
        if counts and k == 0:
            text += f" ({', '.join(f'{c} {x} of {n}' for c, x, n in counts)})"
        elif counts:
            verb = ("was", "is") if len(counts) == 1 else ("were", "are")
            text += (f"; {join_words(f'{c} ({x} of {n})' for c, x, n in counts)} {verb[0]} active in fewer subjects "
                     f"and {verb[1]} not ranked")
        opening = f"by {when}, " if when and not parts else ""
        parts.append(_capital(opening + _arm_prefix(a, several) + text) + ".")
    return " ".join(parts)


def _or(row: Mapping, confidence: float, what: str = "odds ratio", estimate: str = "odds_ratio") -> str:
    return (f"{what} {format_number(row[estimate], 2)} ({percent(confidence)} CI {format_number(row['ci_low'], 2)} to "
            f"{format_number(row['ci_high'], 2)}, {p_text(row['p_val'])})")


def _not_tested(reason: str, min_size: int) -> str:
    return NOT_TESTED[reason].format(min_size=min_size)


def within_text(within: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float, min_size: int) -> str:
    """Each arm's resolution in the favoured groups and in the others, with the
    within-arm odds ratio or why it was not tested.

    Parameters
    ----------
    within : DataFrame
        From :func:`helpers.analyses.organ.favoured_groups_test`.

    Examples
    --------
    >>> w = pd.DataFrame({"TRT01A": ["A", "B"], "favoured_resolved": [9, 5], "favoured_n": [10, 10],
    ...                   "favoured_subjects": [10, 4], "other_resolved": [2, 5], "other_n": [10, 10],
    ...                   "other_subjects": [10, 10], "odds_ratio": [36.0, float("nan")], "ci_low": [3.4, float("nan")],
    ...                   "ci_high": [380.2, float("nan")], "p_val": [0.003, float("nan")], "reason": ["tested", "too_small"]})
    >>> print(within_text(w, "TRT01A", ["A", "B"], 0.95, 5))  # doctest: +NORMALIZE_WHITESPACE
    In the A arm, manifestations of the favoured groups resolved in 9 of 10 cases (90.0%, in 10 subjects) and the
    others in 2 of 10 (20.0%, in 10 subjects): odds ratio 36.00 (95% CI 3.40 to 380.20, p = 0.003). In the B arm,
    manifestations of the favoured groups resolved in 5 of 10 cases (50.0%, in 4 subjects) and the others in 5 of
    10 (50.0%, in 10 subjects): not tested, as the favoured or the other group holds manifestations of fewer than
    5 subjects.
    """
    several = len(arms) > 1
    parts = []
    for a in arms:
        w = within[within[arm].astype("str") == str(a)].iloc[0]
        fav = (f"{int(w['favoured_resolved'])} of {count_noun(int(w['favoured_n']), 'case')} "
               f"({percent_of(w['favoured_resolved'] / w['favoured_n']) if w['favoured_n'] else '-'}, "
               f"in {count_noun(int(w['favoured_subjects']), 'subject')})")
        oth = (f"{int(w['other_resolved'])} of {int(w['other_n'])} "
               f"({percent_of(w['other_resolved'] / w['other_n']) if w['other_n'] else '-'}, "
               f"in {count_noun(int(w['other_subjects']), 'subject')})")
        test = _or(w, confidence) if w["reason"] == "tested" else f"not tested, as {_not_tested(w['reason'], min_size)}"
        parts.append(_capital(_arm_prefix(a, several) + f"manifestations of the favoured groups resolved in {fav} and "
                              f"the others in {oth}: {test}."))
    return " ".join(parts)


def interaction_text(interaction: pd.DataFrame, confidence: float, min_size: int) -> str:
    """The treatment-by-group interaction of each arm against the reference: the ratio
    of the two arms' odds ratios, or why it was not tested; empty with one arm.

    Parameters
    ----------
    interaction : DataFrame
        From :func:`helpers.analyses.organ.group_interaction_test`.

    Examples
    --------
    >>> x = pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo"], "ratio": [0.75], "ci_low": [0.28],
    ...                   "ci_high": [2.05], "p_val": [0.578], "reason": ["tested"]})
    >>> print(interaction_text(x, 0.95, 5))  # doctest: +NORMALIZE_WHITESPACE
    The favoured groups' odds ratio with IL-2 divided by that with Placebo (the treatment-by-group interaction,
    in a logistic GEE clustered on subject) is 0.75 (95% CI 0.28 to 2.05, p = 0.578).
    """
    parts = []
    for _, x in interaction.iterrows():
        if x["reason"] == "tested":
            parts.append(f"The favoured groups' odds ratio with {x['arm']} divided by that with {x['reference']} (the "
                         "treatment-by-group interaction, in a logistic GEE clustered on subject) is "
                         f"{format_number(x['ratio'], 2)} ({percent(confidence)} CI {format_number(x['ci_low'], 2)} "
                         f"to {format_number(x['ci_high'], 2)}, {p_text(x['p_val'])}).")
        else:
            parts.append(f"The treatment-by-group interaction of {x['arm']} against {x['reference']} was not tested, "
                         f"as {_not_tested(x['reason'], min_size)}.")
    return " ".join(parts)


def claim_test_text(within: pd.DataFrame, interaction: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float,
              min_size: int) -> str:
    """The test of the abstract's claim as the design calls for it: each arm's groups
    (:func:`within_text`), then, with several arms, the interaction that decides.

    Examples
    --------
    >>> w = pd.DataFrame({"TRT01A": ["A"], "favoured_resolved": [9], "favoured_n": [10], "favoured_subjects": [10],
    ...                   "other_resolved": [2], "other_n": [10], "other_subjects": [10], "odds_ratio": [36.0],
    ...                   "ci_low": [3.4], "ci_high": [380.2], "p_val": [0.003], "reason": ["tested"]})
    >>> print(claim_test_text(w, pd.DataFrame(), "TRT01A", ["A"], 0.95, 5))  # doctest: +NORMALIZE_WHITESPACE
    With a single arm the claim is tested within it. Manifestations of the favoured groups resolved in 9 of 10
    cases (90.0%, in 10 subjects) and the others in 2 of 10 (20.0%, in 10 subjects): odds ratio 36.00 (95% CI
    3.40 to 380.20, p = 0.003).
    """
    body = within_text(within, arm, arms, confidence, min_size)
    if len(arms) > 1 and len(interaction):
        return ("With several arms, a pattern seen with the reference arm too is not the treatment's doing: the "
                "claim is judged by the treatment-by-group interaction. " + body + " "
                + interaction_text(interaction, confidence, min_size))
    return "With a single arm the claim is tested within it. " + body


def imposed_note(config, topic: str = "favoured") -> str:
    """On simulated data, what the generator imposed on the claim's pattern, so that a
    verdict shows the analysis runs, not that the claim is true; empty on real data.

    Parameters
    ----------
    config : CohortConfig
        Its ``simulated`` flag and ``simulation["imposed"]``, the sentences saying what
        the generator made true: those naming ``topic`` (in any case) are quoted.

    Examples
    --------
    >>> from types import SimpleNamespace as Config
    >>> imposed_note(Config(simulated=False, simulation={"imposed": ["anything"]}))
    ''
    >>> imposed = ["60 subjects.", "The favoured groups resolve more often."]
    >>> print(imposed_note(Config(simulated=True, simulation={"imposed": imposed})))  # doctest: +NORMALIZE_WHITESPACE
    These data are simulated, and the generator imposed this pattern ("The favoured groups resolve more often"):
    the result shows that the analysis runs, not that it is true of patients.
    >>> print(imposed_note(Config(simulated=True, simulation={})))  # doctest: +NORMALIZE_WHITESPACE
    These data are simulated (what the generator imposed is listed on the provenance page): the result shows that
    the analysis runs, not that it is true of patients.
    """
    imposed = (config.simulation or {}).get("imposed") or []
    quoted = [str(s) for s in imposed if topic.lower() in str(s).lower()]
    return simulation_note(config.simulated, quoted, "this pattern")


def _rates(within: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """``IL-2: 72.9% against 46.0%; Placebo: 71.6% against 30.8%``."""
    rows = {str(r[arm]): r for _, r in within.iterrows()}
    return "; ".join(f"{a}: {percent_of(rows[a]['favoured_rate'])} against {percent_of(rows[a]['other_rate'])}"
                     for a in arms if a in rows)


def _verdict_sentence(v: Mapping, within: pd.DataFrame, arm: str, alpha: float, min_size: int) -> str:
    word = VERDICTS[v["verdict"]]
    level = f"at the two-sided {percent(alpha)} level"
    reason = v["reason"]
    if v["design"] == "within":
        why = {
            "significant": f"The favoured groups resolved more often than the others, significantly {level} "
                           f"(odds ratio {format_number(v['estimate'], 2)}, {p_text(v['p_val'])})",
            "not_better": "The other manifestations resolved at least as often",
            "not_significant": f"The favoured groups resolved more often, but not significantly {level} "
                               f"({p_text(v['p_val'])})",
        }
        return f"Verdict: {word}. {why.get(reason) or 'Not tested, as ' + _not_tested(reason, min_size)}."
    a, ref = str(v["arm"]), str(v["reference"])
    rates = _rates(within, arm, [a, ref])
    ratio = f"ratio of odds ratios {format_number(v['estimate'], 2)}, {p_text(v['p_val'])}"
    why = {
        "significant": f"With {a} the favoured groups resolved more often than the others, and more so than with "
                       f"{ref} ({rates}), significantly {level} ({ratio})",
        "not_better": f"With {a} the other manifestations resolved at least as often ({rates})",
        "not_better_than_reference": f"The favoured groups resolved more often with {ref} too, and their advantage is "
                                     f"no larger with {a} ({rates}; {ratio}): a test pooling the arms would credit "
                                     "the treatment with a pattern the reference arm shows as well",
        "not_significant": f"The favoured groups' advantage is larger with {a} than with {ref} ({rates}), but not "
                           f"significantly {level} ({ratio})",
    }
    text = why.get(reason) or f"The interaction was not tested, as {_not_tested(reason, min_size)}"
    return f"Verdict for {a} against {ref}: {word}. {text}."


def verdict_text(verdicts: pd.DataFrame, within: pd.DataFrame, arm: str, alpha: float, min_size: int,
                 note: str = "") -> str:
    """The verdict on the abstract's claim with its reason, one sentence per decision,
    then ``note`` (:func:`imposed_note` on simulated data).

    Parameters
    ----------
    verdicts : DataFrame
        From :func:`helpers.analyses.organ.claim_verdict`.
    within : DataFrame
        From :func:`helpers.analyses.organ.favoured_groups_test` (the reference arm's
        rates are quoted).

    Examples
    --------
    >>> v = pd.DataFrame({"arm": ["A"], "reference": [None], "design": ["within"], "estimate": [36.0],
    ...                   "p_val": [0.003], "verdict": ["supported"], "reason": ["significant"]})
    >>> print(verdict_text(v, pd.DataFrame(), "TRT01A", 0.05, 5))  # doctest: +NORMALIZE_WHITESPACE
    Verdict: supported. The favoured groups resolved more often than the others, significantly at the two-sided
    5% level (odds ratio 36.00, p = 0.003).
    """
    parts = [_verdict_sentence(v, within, arm, alpha, min_size) for _, v in verdicts.iterrows()]
    return " ".join([*parts, note] if note else parts)


def verdict_word(verdicts: pd.DataFrame) -> str:
    """The verdict in one word (one decision), or each comparison's.

    Examples
    --------
    >>> verdict_word(pd.DataFrame({"arm": ["A"], "reference": [None], "verdict": ["inconclusive"]}))
    'inconclusive'
    >>> verdict_word(pd.DataFrame({"arm": ["A", "B"], "reference": ["P", "P"], "verdict": ["supported", "not_supported"]}))
    'A against P: supported; B against P: not supported'
    """
    if len(verdicts) == 1:
        return VERDICTS[verdicts["verdict"].iloc[0]]
    return "; ".join(f"{a} against {r}: {VERDICTS[v]}" for a, r, v in
                     zip(verdicts["arm"], verdicts["reference"], verdicts["verdict"], strict=True))


def answer_text(within: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """The rates of the favoured groups and the others in each arm, for the answer.

    Examples
    --------
    >>> w = pd.DataFrame({"TRT01A": ["IL-2", "Placebo"], "favoured_rate": [0.729, 0.716], "other_rate": [0.46, 0.308]})
    >>> print(answer_text(w, "TRT01A", ["IL-2", "Placebo"]))  # doctest: +NORMALIZE_WHITESPACE
    Skin, haematological and fever manifestations resolved in 72.9% of cases against 46.0% for the others with
    IL-2, and in 71.6% against 30.8% with Placebo.
    """
    lead = f"{_capital(join_words(d.FAVOURED_GROUPS))} manifestations resolved in "
    rates = []
    for a in arms:
        w = within[within[arm].astype("str") == str(a)].iloc[0]
        rates.append((a, percent_of(w["favoured_rate"]), percent_of(w["other_rate"])))
    if len(arms) == 1:
        return f"{lead}{rates[0][1]} of cases against {rates[0][2]} for the others."
    first, *rest = rates
    text = f"{lead}{first[1]} of cases against {first[2]} for the others with {first[0]}"
    return text + "".join(f", and in {f} against {o} with {a}" for a, f, o in rest) + "."


def comparison_note(reference: str | None, arms: Sequence[str], min_size: int, confidence: float) -> str:
    """The note of a table's between-arm difference column; empty with one arm.

    Examples
    --------
    >>> print(comparison_note("Placebo", ["IL-2", "Placebo"], 5, 0.95))  # doctest: +NORMALIZE_WHITESPACE
    IL-2 - Placebo: difference in percentage points with the Miettinen-Nurminen 95% score interval, shown where
    each arm has at least 5 subjects (- otherwise); descriptive, not adjusted for multiplicity.
    >>> comparison_note(None, ["IL-2"], 5, 0.95)
    ''
    """
    if reference is None or len(arms) < 2:
        return ""
    compared = join_words([f"{a} - {reference}" for a in arms if a != reference])
    return (f"{compared}: difference in percentage points with the Miettinen-Nurminen {percent(confidence)} score "
            f"interval, shown where each arm has at least {min_size} subjects ({NOT_COMPARED} otherwise); "
            "descriptive, not adjusted for multiplicity.")



# ---------------------------------------------------------------------------------------
# lupus nephritis and manifestations by visit

#: The randomized trial's Table 2 row names of its manifestations, by SLEDAI-2K
#: descriptor (others take the descriptor's label).
TABLE2_LABELS: dict[str, str] = {
    "RASH": "Rash", "MUCULC": "Oral ulceration", "ARTHRIT": "Arthritis", "VASCUL": "Vasculitis",
    "ALOPEC": "Alopecia", "FEVER": "Fever", "MYOSIT": "Myositis",
}

#: Renal responses (codes of ``helpers.analyses.renal.RESPONSES``).
RENAL_RESPONSES: dict[str, str] = {"complete": "complete remission", "partial": "partial remission"}

#: The tests of a rate between two arms (codes of ``helpers.analyses.renal.TESTS``).
RENAL_TESTS: dict[str, str] = {
    "score": "the Miettinen-Nurminen score test",
    "chisq": "Pearson's chi-square test",
    "fisher": "Fisher's exact test",
    "fisher_one_sided": "Fisher's exact test one-sided",
}

#: Verdicts of a between-arm renal comparison (``helpers.analyses.renal.VERDICTS``).
RENAL_VERDICTS: dict[str, str] = {"significant": "significant", "not_significant": "not significant",
                                  "not_tested": "not tested"}


def manifestation_label(descriptor: str) -> str:
    """A Table 2 manifestation's row name.

    Examples
    --------
    >>> manifestation_label("MUCULC"), manifestation_label("PLEUR")
    ('Oral ulceration', 'Pleurisy')
    """
    if descriptor in TABLE2_LABELS:
        return TABLE2_LABELS[descriptor]
    return next((x.label for x in d.SLEDAI_DESCRIPTORS if x.code == descriptor), descriptor)


def renal_criteria_text(criteria, proteinuria: str | None = None, bilag: bool = True) -> str:
    """The subgroup and remission criteria in words, from ``cohort.yml``'s ``renal``
    (:class:`helpers.data.config.RenalCriteria`).

    Parameters
    ----------
    criteria : RenalCriteria
    proteinuria : {"UPROT", "UPCR"}, optional
        The proteinuria measure the data hold (its thresholds are quoted).
    bilag : bool
        Whether the cohort has BILAG grades (else the BILAG criterion is not quoted).

    Examples
    --------
    >>> from helpers.data.config import RenalCriteria
    >>> print(renal_criteria_text(RenalCriteria(), "UPROT"))  # doctest: +NORMALIZE_WHITESPACE
    Lupus nephritis at baseline: 24-hour proteinuria above 0.5 g/24 h, UPCR above 500 mg/g or a renal BILAG-2004
    grade A or B. Complete remission: proteinuria below 0.5 g/24 h with kidney function stable (eGFR at most 10%
    below baseline, or creatinine at most 10% above); partial remission: proteinuria reduced by at least 50% and
    below 3 g/24 h, kidney function stable, and not complete. Criteria: EULAR/ERA-EDTA 2019 (Fanouriakis et al.,
    Ann Rheum Dis 2020;79:713-23); KDIGO 2024.
    """
    c = criteria
    sub = []
    if c.proteinuria_above is not None:
        sub.append(f"24-hour proteinuria above {c.proteinuria_above:g} g/24 h")
    if c.upcr_above is not None:
        sub.append(f"UPCR above {c.upcr_above:g} mg/g")
    if bilag and c.bilag_grades:
        sub.append(f"a renal BILAG-2004 grade {join_words(c.bilag_grades, 'or')}")
    upcr = proteinuria == "UPCR"
    unit = "mg/g" if upcr else "g/24 h"
    complete = c.complete_upcr if upcr else c.complete_proteinuria
    partial = c.partial_upcr if upcr else c.partial_proteinuria
    margin = percent(c.kidney_margin)
    return (f"Lupus nephritis at baseline: {join_words(sub, 'or')}. Complete remission: "
            f"{'UPCR' if upcr else 'proteinuria'} below {complete:g} {unit} with kidney function "
            f"stable (eGFR at most {margin} below baseline, or creatinine at most {margin} above); partial "
            f"remission: {'UPCR' if upcr else 'proteinuria'} reduced by at least {percent(c.partial_reduction)} and "
            f"below {partial:g} {unit}, kidney function stable, and not complete. Criteria: "
            f"{c.source}.")


def renal_subgroup_text(subgroup: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """How many subjects of each arm had lupus nephritis at baseline.

    Parameters
    ----------
    subgroup : DataFrame
        From :func:`helpers.analyses.renal.summarize_subgroup`.

    Examples
    --------
    >>> s = pd.DataFrame({"ARM": ["IL-2", "Placebo"], "n": [13, 12], "subjects": [29, 30], "rate": [13 / 29, 0.4]})
    >>> renal_subgroup_text(s, "ARM", ["IL-2", "Placebo"])
    'Lupus nephritis at baseline: 13 of 29 subjects (44.8%) with IL-2 and 12 of 30 (40.0%) with Placebo.'
    >>> renal_subgroup_text(s.iloc[:1], "ARM", ["IL-2"])
    'Lupus nephritis at baseline: 13 of 29 subjects (44.8%).'
    """
    rows = {str(r[arm]): r for _, r in subgroup.iterrows()}
    parts = []
    for i, a in enumerate(arms):
        r = rows[str(a)]
        noun = " subjects" if i == 0 else ""
        parts.append(f"{int(r['n'])} of {int(r['subjects'])}{noun} ({percent_of(r['rate'])})"
                     + (f" with {a}" if len(arms) > 1 else ""))
    return f"Lupus nephritis at baseline: {join_words(parts)}."


def _arm_counts(row: Mapping, several: bool) -> str:
    return f"{int(row['responders'])} of {int(row['n'])}" + (f" ({percent_of(row['rate'])})" if row["n"] else "")


def renal_result_text(summary: pd.DataFrame, comparison: pd.DataFrame, arm: str, arms: Sequence[str], week: int,
                      week_label: str, alpha: float, confidence: float, response: str = "complete") -> str:
    """Remission at a week in words: per arm, then (several arms) each difference from the
    reference with its interval, the named test's p-value and the verdict.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.renal.summarize_renal_response`.
    comparison : DataFrame
        From :func:`helpers.analyses.renal.renal_verdicts` (empty with one arm).
    week, week_label : int, str
    alpha, confidence : float
    response : {"complete", "partial"}

    Examples
    --------
    >>> s = pd.DataFrame({"ARM": ["IL-2", "Placebo"], "AVISITN": 24, "response": "complete", "responders": [7, 2],
    ...                   "n": [13, 12], "rate": [7 / 13, 2 / 12]})
    >>> c = pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo"], "AVISITN": [24], "response": ["complete"],
    ...                   "estimate": [0.3718], "ci_low": [-0.013], "ci_high": [0.6611], "test": ["fisher"],
    ...                   "p_val": [0.0968], "verdict": ["not_significant"]})
    >>> print(renal_result_text(s, c, "ARM", ["IL-2", "Placebo"], 24, "Week 24", 0.05, 0.95))
    ... # doctest: +NORMALIZE_WHITESPACE
    At Week 24, complete remission in 7 of 13 (53.8%) of the subgroup with IL-2 and 2 of 12 (16.7%) with Placebo:
    IL-2 37.2 percentage points higher than Placebo (95% CI -1.3 to 66.1), Fisher's exact test p = 0.097, not
    significant at the two-sided 5% level.
    """
    from helpers.present.prose import difference_in_points

    at = summary[(summary["AVISITN"] == week) & (summary["response"] == response)]
    rows = {str(r[arm]): r for _, r in at.iterrows()}
    several = len(arms) > 1
    parts = []
    for i, a in enumerate(arms):
        parts.append(_arm_counts(rows[str(a)], several) + (" of the subgroup" if i == 0 else "")
                     + (f" with {a}" if several else ""))
    text = f"At {week_label}, {RENAL_RESPONSES[response]} in {join_words(parts)}"
    cmp = comparison[(comparison["AVISITN"] == week) & (comparison["response"] == response)] if len(comparison) else comparison
    clauses = []
    for _, c in cmp.iterrows():
        if c["verdict"] == "not_tested":
            clauses.append(f"{c['arm']} against {c['reference']}: not tested (an arm has no subject in the subgroup)")
            continue
        diff = difference_in_points(c["estimate"])
        ci = (f"{percent(confidence)} CI {format_number(100 * c['ci_low'], 1)} to "
              f"{format_number(100 * c['ci_high'], 1)}")
        clauses.append(f"{c['arm']} {diff} than {c['reference']} ({ci}), {RENAL_TESTS[c['test']]} "
                       f"{p_text(c['p_val'])}, {RENAL_VERDICTS[c['verdict']]} at the two-sided {percent(alpha)} level")
    return text + (": " + "; ".join(clauses) if clauses else "") + "."


def published_p_text(comparison: pd.DataFrame, reproducing: pd.DataFrame | None, published: float | None,
                     week: int, response: str = "complete") -> str:
    """What the standard tests give on the counts, and whether any gives the p-value the
    publication prints.

    Parameters
    ----------
    comparison : DataFrame
        From :func:`helpers.analyses.renal.compare_renal_response` (one compared arm).
    reproducing : DataFrame or None
        From :func:`helpers.analyses.renal.reproducing_tests` (None: no published
        p-value given).
    published : float or None
        The p-value as printed.

    Examples
    --------
    >>> c = pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo"], "AVISITN": [24], "response": ["complete"],
    ...                   "responders": [7], "n": [13], "ref_responders": [2], "ref_n": [12], "p_score": [0.058],
    ...                   "p_chisq": [0.053], "p_fisher": [0.0968], "p_fisher_one_sided": [0.0633]})
    >>> r = pd.DataFrame({"test": ["score", "chisq", "fisher", "fisher_one_sided"], "reproduces": False})
    >>> print(published_p_text(c, r, 0.036, 24))  # doctest: +NORMALIZE_WHITESPACE
    On 7 of 13 against 2 of 12, the publication's p = 0.036 is reproduced by none of the standard tests: Pearson's
    chi-square test gives p = 0.053, Fisher's exact test p = 0.097, Fisher's exact test one-sided p = 0.063 and the
    Miettinen-Nurminen score test p = 0.058.
    >>> print(published_p_text(c, None, None, 24))  # doctest: +NORMALIZE_WHITESPACE
    On 7 of 13 against 2 of 12, Pearson's chi-square test gives p = 0.053, Fisher's exact test p = 0.097, Fisher's
    exact test one-sided p = 0.063 and the Miettinen-Nurminen score test p = 0.058.
    """
    cmp = comparison[(comparison["AVISITN"] == week) & (comparison["response"] == response)]
    if len(cmp) != 1:
        return ""
    c = cmp.iloc[0]
    order = ("chisq", "fisher", "fisher_one_sided", "score")
    tests = [f"{RENAL_TESTS[t]} {'gives ' if i == 0 else ''}{p_text(c[f'p_{t}'])}" for i, t in enumerate(order)]
    counts = f"On {int(c['responders'])} of {int(c['n'])} against {int(c['ref_responders'])} of {int(c['ref_n'])}, "
    listed = join_words(tests)
    if published is None or reproducing is None:
        return f"{counts}{listed}."
    ok = [RENAL_TESTS[t] for t, r in zip(reproducing["test"], reproducing["reproduces"], strict=True) if r]
    shown = p_text(published)
    if not ok:
        return f"{counts}the publication's {shown} is reproduced by none of the standard tests: {listed}."
    return f"{counts}the publication's {shown} is reproduced by {join_words(ok, 'and')}: {listed}."


def manifestation_tests_text(table: pd.DataFrame, alpha: float) -> str:
    """How often the two within-arm p-values fall below the level, and which one the
    book recommends and why.

    Parameters
    ----------
    table : DataFrame
        From :func:`helpers.analyses.organ.manifestations_by_visit`: ``p_published``,
        ``p_paired``.

    Examples
    --------
    >>> t = pd.DataFrame({"p_published": [None, 0.002, 0.155], "p_paired": [None, 0.002, 0.031]})
    >>> print(manifestation_tests_text(t, 0.05))  # doctest: +NORMALIZE_WHITESPACE
    Of the 2 comparisons of a visit with baseline, 1 falls below the two-sided 5% level as published (Fisher's
    exact test on the two visits' counts taken as independent groups) and 2 with the paired test (exact McNemar).
    The book recommends the paired test: the same patients are counted at both visits, so the two counts are not
    independent groups, and only the patients whose manifestation changed carry information about the change.
    """
    post = table[table["p_published"].notna() | table["p_paired"].notna()]
    pub = int((post["p_published"] < alpha).sum())
    par = int((post["p_paired"] < alpha).sum())
    verb = "falls" if pub == 1 else "fall"
    return (f"Of the {count_noun(len(post), 'comparison')} of a visit with baseline, {pub} {verb} below the two-sided "
            f"{percent(alpha)} level as published (Fisher's exact test on the two visits' counts taken as independent "
            f"groups) and {par} with the paired test (exact McNemar). The book recommends the paired test: the same "
            "patients are counted at both visits, so the two counts are not independent groups, and only the "
            "patients whose manifestation changed carry information about the change.")


def manifestation_counting_note() -> str:
    """The note of the manifestation table on its denominators and pairs."""
    return ("n (%) of every subject of the arm analysed: a missed visit counts as the manifestation absent, as the "
            "publication's denominators imply; the paired test uses the subjects seen at both visits only.")


def renal_row_label(response: str, week_label: str) -> str:
    """A row of the renal table: ``subgroup`` (lupus nephritis at baseline) or a response
    at a week.

    Examples
    --------
    >>> renal_row_label("subgroup", "Baseline"), renal_row_label("partial", "Week 12")
    ('Lupus nephritis at Baseline', 'Partial remission, Week 12')
    """
    if response == "subgroup":
        return f"Lupus nephritis at {week_label}"
    return f"{_capital(RENAL_RESPONSES[response])}, {week_label}"


def renal_comparison_note(tests: Sequence[str], confidence: float) -> str:
    """The note of the renal table's difference and p-value columns.

    Examples
    --------
    >>> print(renal_comparison_note(["fisher"], 0.95))  # doctest: +NORMALIZE_WHITESPACE
    Between arms: difference in percentage points with the Miettinen-Nurminen 95% score interval; p by Fisher's
    exact test (two-sided), the test the analysis plan names (cohort.yml renal.test).
    """
    named = join_words([RENAL_TESTS[t] for t in tests])
    return (f"Between arms: difference in percentage points with the Miettinen-Nurminen {percent(confidence)} score "
            f"interval; p by {named} (two-sided), the test the analysis plan names (cohort.yml renal.test).")
