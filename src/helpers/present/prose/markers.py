"""The words of the labs and immunology chapters: directions, verdicts, claims, the
multiple-comparison families, and the sentences built from them.

The analyses (:mod:`helpers.analyses.markers`) return codes: a direction of
:data:`helpers.analyses.markers.DIRECTIONS`, a verdict of
:data:`helpers.analyses.markers.VERDICTS`, a claimed direction of
:data:`helpers.analyses.markers.CLAIMED`. This module turns them into the words a
sentence or a table cell uses, so that every word follows a result: on other data the
words change with it. With several arms a sentence names each arm; it never reports a
value over the arms together.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from helpers.analyses.markers import VERDICTS
from helpers.errors import require_columns
from helpers.present.format import format_number, format_signed
from helpers.present.prose import count_noun, join_words, p_text, percent, simulation_note

#: What a marker did over time, by direction code (``"X rose"``).
CHANGE_WORDS: dict[str, str] = {
    "up": "rose", "down": "fell", "not_significant": "did not change significantly",
    "zero": "did not change in median",
}
#: How one arm ended against another, by direction code (``"X ended higher"``).
ARM_WORDS: dict[str, str] = {
    "up": "higher", "down": "lower", "not_significant": "not significantly different", "zero": "no different",
}
#: A correlation, by direction code (``"the correlation was negative"``).
CORRELATION_WORDS: dict[str, str] = {
    "up": "positive", "down": "negative", "not_significant": "not significantly different from zero", "zero": "zero",
}
#: A verdict as the verb of ``"the data ... the claim"``.
VERDICT_VERBS: dict[str, str] = {
    "supported": "support", "not_supported": "do not support", "contradicted": "contradict",
    "inconclusive": "cannot judge", "not_tested": "do not test",
}
#: A verdict as a table cell says it.
VERDICT_LABELS: dict[str, str] = {
    "supported": "supported", "not_supported": "not supported", "contradicted": "contradicted",
    "inconclusive": "inconclusive (no equivalence margin stated)", "not_tested": "not tested (too few subjects)",
}
#: A published direction as a table cell says it.
CLAIMED_LABELS: dict[str, str] = {"increase": "increase", "decrease": "decrease", "none": "no change"}
#: A published change as a noun (``"the fall in anti-dsDNA"``); a claim of no change has none.
CLAIMED_NOUNS: dict[str, str] = {"increase": "rise", "decrease": "fall"}
#: Markers as a sentence names them (lower case where the name is not a proper name).
NAMES: dict[str, str] = {
    "DSDNA": "anti-dsDNA", "C3": "C3", "C4": "C4", "UPROT": "proteinuria", "WBC": "white cells",
    "LYMPH": "lymphocytes", "PLAT": "platelets", "HGB": "haemoglobin", "TREG": "Treg", "TH17": "Th17",
    "TFH": "Tfh", "TH1": "Th1", "TH2": "Th2", "NK": "NK cells", "TREGTH17": "the Treg/Th17 ratio",
}
#: Words that name a marker in free text (a simulation's imposed properties), besides its
#: name: a sentence mentioning any of them is about the marker.
ALIASES: dict[str, tuple[str, ...]] = {
    "DSDNA": ("anti-dsDNA", "dsDNA"), "UPROT": ("proteinuria", "urine protein"), "WBC": ("white cells", "leukocytes"),
    "PLAT": ("platelets",), "HGB": ("haemoglobin", "hemoglobin"), "NK": ("NK cells", "NK"),
    "TREGTH17": ("Treg/Th17",),
}
#: Multiple-comparison corrections by name: the ``padjust`` values
#: :func:`helpers.stats.adjust_pvalues` accepts (pingouin's ``multicomp``, with its aliases).
PADJUST_NAMES: dict[str, str] = {
    "holm": "Holm", "h": "Holm", "bonf": "Bonferroni", "b": "Bonferroni", "bonferroni": "Bonferroni",
    "sidak": "\u0160id\u00e1k", "s": "\u0160id\u00e1k", "fdr_bh": "Benjamini-Hochberg", "fdr": "Benjamini-Hochberg",
    "bh": "Benjamini-Hochberg", "fdr_by": "Benjamini-Yekutieli", "by": "Benjamini-Yekutieli", "none": "no correction",
}
#: The scale of a between-arm estimate, as a sentence names it.
ESTIMATE_NOUNS: dict[str, str] = {"ratio": "ratio", "difference": "difference"}
#: How a marker ended in the compared arm against the reference, by direction code.
COMPARISON_VERBS: dict[str, str] = {
    "up": "ended higher", "down": "ended lower", "not_significant": "did not differ significantly",
    "zero": "did not differ",
}


def _word(words: Mapping[str, str], code: str, what: str) -> str:
    if code not in words:
        raise ValueError(f"{what}: unknown code {code!r} (known: {list(words)})")
    return words[code]


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_words(codes: Iterable[str], words: Mapping[str, str]) -> list[str]:
    """Codes as words, one for one (a code that ``words`` lacks is an error).

    Examples
    --------
    >>> format_words(["down", "not_significant"], CHANGE_WORDS)
    ['fell', 'did not change significantly']
    >>> format_words(["supported", "inconclusive"], VERDICT_VERBS)
    ['support', 'cannot judge']
    """
    return [_word(words, str(c), "format_words") for c in codes]


def derive_words(frame: pd.DataFrame, words: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """A copy of ``frame`` whose code columns hold words: ``{column: {code: word}}``.

    Examples
    --------
    >>> t = pd.DataFrame({"direction": ["up", "zero"], "verdict": ["supported", "contradicted"]})
    >>> derive_words(t, {"direction": CHANGE_WORDS, "verdict": VERDICT_VERBS}).values.tolist()
    [['rose', 'support'], ['did not change in median', 'contradict']]
    """
    require_columns(frame, list(words), "derive_words", "frame")
    return frame.assign(**{c: format_words(frame[c], w) for c, w in words.items()})


def format_adjusted(padjust: str) -> str:
    """A multiple-comparison correction as the adjective of a p value.

    Examples
    --------
    >>> format_adjusted("holm"), format_adjusted("fdr_bh"), format_adjusted("none")
    ('Holm-adjusted', 'Benjamini-Hochberg-adjusted', 'unadjusted')
    """
    name = _word(PADJUST_NAMES, padjust.lower(), "format_adjusted")
    return "unadjusted" if padjust.lower() == "none" else f"{name}-adjusted"


def format_padjust(padjust: str) -> str:
    """A multiple-comparison correction by name.

    Examples
    --------
    >>> format_padjust("holm"), format_padjust("bonf"), format_padjust("BH")
    ('Holm', 'Bonferroni', 'Benjamini-Hochberg')
    """
    return _word(PADJUST_NAMES, padjust.lower(), "format_padjust")


def format_family(padjust: str, within: str, across: str, sizes: Iterable[int]) -> str:
    """The multiple-comparison family of a table, named with its size, for a footnote.

    Parameters
    ----------
    padjust : str
        The correction (:data:`PADJUST_NAMES`).
    within : str
        What one family is (``"marker and arm"``).
    across : str
        What its tests run over (``"the post-baseline visits"``).
    sizes : iterable of int
        The number of tests of each family.

    Examples
    --------
    >>> format_family("holm", "marker and arm", "the post-baseline visits", [9, 9, 9])
    'Holm-adjusted within each marker and arm, across the post-baseline visits (families of 9 tests each)'
    >>> format_family("bonf", "arm", "the subsets", [6])
    'Bonferroni-adjusted within each arm, across the subsets (a family of 6 tests)'
    >>> format_family("holm", "arm", "the subsets", [1, 6])
    'Holm-adjusted within each arm, across the subsets (families of 1 to 6 tests)'
    >>> format_family("none", "arm", "the subsets", [6]), format_family("holm", "arm", "the subsets", [0, 0])
    ('not adjusted for multiple comparisons', 'no test made')
    """
    if padjust.lower() == "none":
        return "not adjusted for multiple comparisons"
    sizes = [int(k) for k in sizes]
    low, high = (min(sizes), max(sizes)) if sizes else (0, 0)
    if high == 0:
        return "no test made"
    if len(sizes) == 1:
        family = f"a family of {count_noun(low, 'test')}"
    elif low == high:
        family = f"families of {count_noun(low, 'test')} each"
    else:
        family = f"families of {low} to {count_noun(high, 'test')}"
    return f"{format_adjusted(padjust)} within each {within}, across {across} ({family})"


def format_list_or_none(names: Sequence[str]) -> str:
    """Names as a list in words, or ``"none"``.

    Examples
    --------
    >>> format_list_or_none(["Th17", "Tfh"]), format_list_or_none([])
    ('Th17 and Tfh', 'none')
    """
    return join_words(names) if len(names) else "none"


def format_by_arm(values: Sequence[tuple[str, float | None, float | None]], digits: int) -> str:
    """One marker's change in each arm as text, for prose that lists the arms without
    naming them in the source: ``"-12.0 with IL-2 (p = 0.003) and -1.0 with Placebo
    (p = 0.620)"``.

    Parameters
    ----------
    values : sequence of (arm, change, p)
        ``change`` None: the arm has no value (``"no data with <arm>"``).
    digits : int
        Decimals of the change.

    Examples
    --------
    >>> format_by_arm([("A", 0.12, 0.004), ("B", -0.01, 0.8)], 2)
    '+0.12 with A (p = 0.004) and -0.01 with B (p = 0.800)'
    >>> format_by_arm([("A", 41.0, 0.00002), ("B", None, None)], 0)
    '+41 with A (p < 0.001) and no data with B'
    """
    parts = [f"no data with {a}" if _missing(change) else f"{format_signed(change, digits)} with {a} ({p_text(p)})"
             for a, change, p in values]
    return join_words(parts)


def _interval(lo: float, hi: float, digits: int, signed: bool) -> str:
    if _missing(lo) or _missing(hi):
        return "no interval"
    if math.isinf(lo) or math.isinf(hi):
        return "unbounded (too few subjects)"
    fmt = format_signed if signed else format_number
    return f"{fmt(lo, digits)} to {fmt(hi, digits)}"


def format_estimates_by_arm(values: Sequence[tuple[str, float | None, float, float, float | None]], digits: int,
                            confidence: float, signed: bool = False) -> str:
    """An estimate with its interval and p value in each arm: ``"0.55 (95% CI 0.45 to
    0.66, p < 0.001) with IL-2 and 0.91 (95% CI 0.80 to 1.03, p = 0.300) with Placebo"``.

    Parameters
    ----------
    values : sequence of (arm, estimate, ci_low, ci_high, p)
        ``estimate`` None: the arm has no value.
    digits : int
    confidence : float
    signed : bool
        Show the sign (a difference), or not (a ratio, a correlation).

    Examples
    --------
    >>> format_estimates_by_arm([("A", 0.5512, 0.45, 0.66, 0.0001), ("B", None, None, None, None)], 2, 0.95)
    '0.55 (95% CI 0.45 to 0.66, p < 0.001) with A and no data with B'
    >>> format_estimates_by_arm([("A", 0.2, 0.1, 0.3, 0.02)], 2, 0.9, signed=True)
    '+0.20 (90% CI +0.10 to +0.30, p = 0.020) with A'
    """
    fmt = format_signed if signed else format_number
    parts = []
    for a, est, lo, hi, p in values:
        if _missing(est):
            parts.append(f"no data with {a}")
        else:
            parts.append(f"{fmt(est, digits)} ({percent(confidence)} CI {_interval(lo, hi, digits, signed)}, "
                         f"{p_text(p)}) with {a}")
    return join_words(parts)


def format_counts_by_arm(values: Sequence[tuple[str, int, int]]) -> str:
    """Subjects meeting a criterion among those eligible, in each arm: ``"10 of 20 (50%)
    with IL-2 and 3 of 18 (17%) with Placebo"``; an arm with none eligible says so.

    Examples
    --------
    >>> format_counts_by_arm([("A", 10, 20), ("B", 3, 18)])
    '10 of 20 (50%) with A and 3 of 18 (17%) with B'
    >>> format_counts_by_arm([("A", 1, 3), ("B", 0, 0)])
    '1 of 3 (33%) with A and none eligible with B'
    """
    parts = [f"none eligible with {a}" if not n else f"{x} of {n} ({100 * x / n:.0f}%) with {a}" for a, x, n in values]
    return join_words(parts)


def format_changes_answer(tests: pd.DataFrame, codes: Sequence[str], arm: str, arms: Sequence[str], week: int,
                          week_label: str, padjust: str) -> str:
    """What each marker did by ``week``, arm by arm: the sentence that opens an answer.

    Parameters
    ----------
    tests : DataFrame
        From :func:`helpers.analyses.markers.change_tests` with ``direction``
        (:func:`helpers.analyses.markers.derive_direction`).
    codes : sequence of str
        The markers, in the order of the sentence.

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": ["A", "A", "B", "B"], "PARAMCD": ["C3", "C4"] * 2, "AVISITN": 10,
    ...                   "direction": ["up", "up", "not_significant", "down"], "p_adj": [0.001, 0.01, 0.6, 0.04]})
    >>> format_changes_answer(t, ["C3", "C4"], "TRT01A", ["A"], 10, "Week 10", "holm")
    'At Week 10, C3 rose (Holm-adjusted p = 0.001) and C4 rose (p = 0.010).'
    >>> format_changes_answer(t, ["C3", "C4"], "TRT01A", ["A", "B"], 10, "Week 10", "holm")  # doctest: +NORMALIZE_WHITESPACE
    'At Week 10, with A, C3 rose (Holm-adjusted p = 0.001) and C4 rose (p = 0.010); with B, C3 did not change
    significantly (p = 0.600) and C4 fell (p = 0.040).'
    """
    require_columns(tests, [arm, "PARAMCD", "AVISITN", "direction", "p_adj"], "format_changes_answer", "tests")
    at = tests[tests["AVISITN"] == week]
    clauses, first = [], True
    for a in arms:
        items = []
        for code in codes:
            r = at[(at[arm] == a) & (at["PARAMCD"] == code)]
            if r.empty:
                items.append(f"{NAMES.get(code, code)} was not measured")
                continue
            adjective = f"{format_adjusted(padjust)} " if first else ""
            first = False
            items.append(f"{NAMES.get(code, code)} {_word(CHANGE_WORDS, r['direction'].iloc[0], 'format_changes_answer')}"
                         f" ({adjective}{p_text(r['p_adj'].iloc[0])})")
        clauses.append((f"with {a}, " if len(arms) > 1 else "") + join_words(items))
    return f"At {week_label}, {'; '.join(clauses)}."


def _be(names: Sequence[str]) -> str:
    return "was" if len(names) == 1 else "were"


def _claim_clause(verdict: str, claimed: Sequence[str], names: Sequence[str], min_group_size: int) -> str:
    """The clause of one verdict over the claims that got it (directions as nouns)."""
    directed = [f"{CLAIMED_NOUNS[c]} in {n}" for c, n in zip(claimed, names, strict=True) if c in CLAIMED_NOUNS]
    unchanged = [n for c, n in zip(claimed, names, strict=True) if c not in CLAIMED_NOUNS]
    parts = []
    verb = _word(VERDICT_VERBS, verdict, "format_claims_answer")
    if directed:
        tail = f": fewer than {count_noun(min_group_size, 'subject')} had a value in an arm" if verdict == "not_tested" else ""
        parts.append(f"{verb} the reported {join_words(directed)}{tail}")
    if unchanged:
        who = join_words(unchanged)
        parts.append({
            "supported": f"show {who} unchanged within the stated equivalence margin, as reported",
            "not_supported": f"do not show {who} unchanged within the stated equivalence margin",
            "contradicted": f"show {who} changed by more than the stated equivalence margin, against the report that "
                            f"{'it' if len(unchanged) == 1 else 'they'} {_be(unchanged)} not modulated",
            "inconclusive": f"cannot judge the report that {who} {_be(unchanged)} not modulated: no equivalence margin "
                            "is stated, and a change that is not significant is not evidence of no change",
            "not_tested": f"do not test the report that {who} {_be(unchanged)} not modulated: fewer than "
                          f"{count_noun(min_group_size, 'subject')} had a value in an arm",
        }[verdict])
    return "; they ".join(parts)


def format_claims_answer(claims: pd.DataFrame, arm: str, note: str = "") -> str:
    """The verdict on the published claims in words, one sentence per treated arm, with the
    simulation note (:func:`format_simulation_note`) after it.

    Parameters
    ----------
    claims : DataFrame
        From :func:`helpers.analyses.markers.summarize_claims`: ``arm``, ``PARAMCD``,
        ``claimed``, ``basis``, ``reference``, ``min_group_size``, ``verdict``.
    note : str
        Said after the verdicts (empty for real data).

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["TREG", "TH17", "TH1", "TH2"],
    ...                   "claimed": ["increase", "decrease", "none", "none"], "basis": "change", "reference": None,
    ...                   "min_group_size": 5, "verdict": ["supported", "supported", "inconclusive", "inconclusive"]})
    >>> format_claims_answer(c, "TRT01A")  # doctest: +NORMALIZE_WHITESPACE
    'So the data support the reported rise in Treg and fall in Th17; they cannot judge the report that Th1 and Th2
    were not modulated: no equivalence margin is stated, and a change that is not significant is not evidence of no
    change.'
    >>> c2 = c.assign(basis="comparison", reference="P", verdict=["supported", "not_supported", "supported", "supported"])
    >>> format_claims_answer(c2.iloc[:3], "TRT01A", "Simulated.")  # doctest: +NORMALIZE_WHITESPACE
    'Judged by the comparison of A with P, the data support the reported rise in Treg; they show Th1 unchanged
    within the stated equivalence margin, as reported; they do not support the reported fall in Th17. Simulated.'
    """
    require_columns(claims, [arm, "PARAMCD", "claimed", "basis", "reference", "min_group_size", "verdict"],
                    "format_claims_answer", "claims")
    sentences = []
    for a in pd.unique(claims[arm]):
        c = claims[claims[arm] == a]
        clauses = []
        for verdict in VERDICTS:
            v = c[c["verdict"] == verdict]
            if len(v):
                clauses.append(_claim_clause(verdict, list(v["claimed"]), [NAMES.get(x, x) for x in v["PARAMCD"]],
                                             int(v["min_group_size"].iloc[0])))
        opening = (f"Judged by the comparison of {a} with {c['reference'].iloc[0]}, the data "
                   if c["basis"].iloc[0] == "comparison" else "So the data ")
        sentences.append(opening + "; they ".join(clauses) + ".")
    return " ".join([*sentences, *([note] if note else [])])


#: Words by which a sentence of ``simulation.imposed`` states a direction.
DIRECTION_PATTERN = re.compile(r"\b(ris(e|es|ing)|rose|fall(s|ing)?|fell|increas\w*|decreas\w*|chang\w*|"
                               r"expan\w*|higher|lower|modulat\w*)\b", re.IGNORECASE)


def imposed_sentences(imposed: Sequence[str], codes: Sequence[str]) -> list[str]:
    """The sentences of a simulated cohort's ``simulation.imposed`` list (``cohort.yml``)
    that state a direction (:data:`DIRECTION_PATTERN`) for any of the markers: what the
    generator made true about them.

    Examples
    --------
    >>> imposed = ["SRI-4 responders 36 of 40.", "Treg rise, Th17 and Tfh fall; Th1 and Th2 show no change.",
    ...            "Anti-dsDNA falls.", "The descriptors follow SLEDAI-2K's proteinuria rule."]
    >>> imposed_sentences(imposed, ["TREG", "TH1"]), imposed_sentences(imposed, ["DSDNA"])
    (['Treg rise, Th17 and Tfh fall; Th1 and Th2 show no change.'], ['Anti-dsDNA falls.'])
    >>> imposed_sentences(imposed, ["NK"]), imposed_sentences(imposed, ["UPROT"])
    ([], [])
    """
    patterns = []
    for code in codes:
        for word in {NAMES.get(code, code).removeprefix("the "), code, *ALIASES.get(code, ())}:
            patterns.append(re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w])", re.IGNORECASE))
    return [s for s in imposed if DIRECTION_PATTERN.search(s) and any(p.search(s) for p in patterns)]


def format_simulation_note(simulated: bool, sentences: Sequence[str]) -> str:
    """What a verdict on simulated data shows: that the analysis runs, not that the claim
    is true, since the generator imposed the direction. Empty for real data.

    Parameters
    ----------
    simulated : bool
        Whether the cohort is simulated (``cohort.yml`` ``simulated``).
    sentences : sequence of str
        What the generator imposed on these markers (:func:`imposed_sentences`).

    Examples
    --------
    >>> format_simulation_note(False, ["Treg rise."])
    ''
    >>> format_simulation_note(True, ["Treg rise."])  # doctest: +NORMALIZE_WHITESPACE
    'These data are simulated, and the generator imposed these directions ("Treg rise"): the result shows that the
    analysis runs, not that it is true of patients.'
    >>> format_simulation_note(True, [])  # doctest: +NORMALIZE_WHITESPACE
    'These data are simulated (what the generator imposed is listed on the provenance page): the result shows that
    the analysis runs, not that it is true of patients.'
    """
    return simulation_note(simulated, sentences, "these directions")


def format_comparison_sentence(compared: str, reference: str, items: Sequence[Mapping[str, object]],
                               confidence: float, padjust: str) -> str:
    """The between-arm comparison of several markers in one sentence.

    Parameters
    ----------
    compared, reference : str
        The compared arm and the reference arm.
    items : sequence of mapping
        One per marker: ``code``, ``direction`` (a code of :data:`COMPARISON_VERBS`, from
        the adjusted p), ``scale`` (``ratio`` or ``difference``), ``estimate``,
        ``ci_low``, ``ci_high`` (unadjusted), ``p_raw`` (the p the interval inverts),
        ``p`` (adjusted), ``digits``, ``unit`` (shown after a difference; may be empty).

    Examples
    --------
    >>> items = [dict(code="DSDNA", direction="not_significant", scale="ratio", estimate=1.26, ci_low=1.03,
    ...               ci_high=1.54, p_raw=0.025, p=0.075, digits=2, unit=""),
    ...          dict(code="C3", direction="up", scale="difference", estimate=0.25, ci_low=0.1, ci_high=0.4,
    ...               p_raw=0.00001, p=0.0001, digits=2, unit="g/L")]
    >>> format_comparison_sentence("IL-2", "Placebo", items, 0.95, "holm")  # doctest: +NORMALIZE_WHITESPACE
    'Adjusted for baseline, with IL-2 against Placebo, anti-dsDNA did not differ significantly (ratio 1.26, 95% CI
    1.03 to 1.54, p = 0.025; Holm-adjusted p = 0.075) and C3 ended higher (difference +0.25 g/L, 95% CI +0.10 to
    +0.40, p < 0.001; adjusted p < 0.001).'
    """
    parts = []
    for i, it in enumerate(items):
        digits, ratio = int(it["digits"]), it["scale"] == "ratio"
        fmt = format_number if ratio else format_signed
        unit = f" {it['unit']}" if it.get("unit") and not ratio else ""
        adjective = format_adjusted(padjust) if i == 0 else "adjusted"
        parts.append(
            f"{NAMES.get(str(it['code']), str(it['code']))} "
            f"{_word(COMPARISON_VERBS, str(it['direction']), 'format_comparison_sentence')} "
            f"({_word(ESTIMATE_NOUNS, str(it['scale']), 'format_comparison_sentence')} {fmt(it['estimate'], digits)}{unit}, "
            f"{percent(confidence)} CI {_interval(it['ci_low'], it['ci_high'], digits, not ratio)}, "
            f"{p_text(it['p_raw'])}; {adjective} {p_text(it['p'])})")
    return f"Adjusted for baseline, with {compared} against {reference}, {join_words(parts)}."


def format_responder_sentence(rows: pd.DataFrame, arm: str, code: str, week_label: str, digits: int, unit: str,
                              padjust: str) -> str:
    """Responders against non-responders for one marker, arm by arm: the shift with its
    interval and p, or, for groups below the minimum size, the medians without a test.

    Parameters
    ----------
    rows : DataFrame
        From :func:`helpers.analyses.markers.compare_responders`: ``arm``, ``PARAMCD``,
        ``n1``, ``n2``, ``median1``, ``median2``, ``estimate``, ``ci_low``, ``ci_high``,
        ``confidence``, ``p_val``, ``p_adj``, ``tested``, ``min_group_size``.

    Examples
    --------
    >>> r = pd.DataFrame({"TRT01A": ["A", "B"], "PARAMCD": "TREG", "n1": [16, 36], "n2": [12, 3],
    ...                   "median1": [2.1, 2.4], "median2": [1.5, 1.2], "estimate": [0.6, 1.1], "ci_low": [-0.2, None],
    ...                   "ci_high": [1.3, None], "confidence": 0.95, "p_val": [0.15, None], "p_adj": [0.6, None],
    ...                   "tested": [True, False], "min_group_size": 5})
    >>> format_responder_sentence(r, "TRT01A", "TREG", "Week 12", 2, "percentage points", "holm")  # doctest: +NORMALIZE_WHITESPACE
    "With A, 16 responders and 12 non-responders had Treg measured at Week 12: the responders' Treg was 0.60
    percentage points higher (Hodges-Lehmann shift, 95% CI -0.20 to +1.30, p = 0.150; Holm-adjusted p = 0.600).
    With B, 36 responders and 3 non-responders had Treg measured at Week 12, fewer than 5 in a group: described,
    not tested (median Treg 2.40 in responders and 1.20 in non-responders)."
    """
    require_columns(rows, [arm, "PARAMCD", "n1", "n2", "median1", "median2", "estimate", "ci_low", "ci_high",
                           "confidence", "p_val", "p_adj", "tested", "min_group_size"],
                    "format_responder_sentence", "rows")
    name = NAMES.get(code, code)
    sentences = []
    for r in rows[rows["PARAMCD"] == code].itertuples(index=False):
        a = getattr(r, arm)
        opening = (f"With {a}, {count_noun(int(r.n1), 'responder')} and {count_noun(int(r.n2), 'non-responder')} "
                   f"had {name} measured at {week_label}")
        if not r.tested:
            sentences.append(f"{opening}, fewer than {int(r.min_group_size)} in a group: described, not tested "
                             f"(median {name} {format_number(r.median1, digits)} in responders and "
                             f"{format_number(r.median2, digits)} in non-responders).")
            continue
        word = "higher" if r.estimate > 0 else "lower" if r.estimate < 0 else "no different"
        size = f"{format_number(abs(r.estimate), digits)} {unit} {word}".replace("  ", " ") if word != "no different" else word
        sentences.append(
            f"{opening}: the responders' {name} was {size} (Hodges-Lehmann shift, {percent(r.confidence)} CI "
            f"{_interval(r.ci_low, r.ci_high, digits, True)}, {p_text(r.p_val)}; {format_adjusted(padjust)} "
            f"{p_text(r.p_adj)}).")
    return " ".join(sentences)


def format_control_answer(arms: Sequence[str], reference: str | None) -> str:
    """The answer's sentence about the control arm: with one arm, that the changes cannot
    be attributed to it alone; with several, that the verdicts come from the comparison.

    Examples
    --------
    >>> format_control_answer(["IL-2"], None)
    'With a single arm, these are changes over time on treatment; without a control group they cannot be attributed to IL-2 alone.'
    >>> format_control_answer(["IL-2", "Placebo"], "Placebo")  # doctest: +NORMALIZE_WHITESPACE
    "A change within an arm cannot separate the treatment from time, regression to the mean or background therapy,
    so each claim is judged by the comparison with Placebo; the arms' own changes are shown beside it."
    """
    if len(arms) == 1 or reference is None:
        return ("With a single arm, these are changes over time on treatment; without a control group they cannot "
                f"be attributed to {join_words(arms)} alone.")
    return ("A change within an arm cannot separate the treatment from time, regression to the mean or background "
            f"therapy, so each claim is judged by the comparison with {reference}; the arms' own changes are shown "
            "beside it.")


#: What a normalisation criterion's subjects had at baseline (``"positive anti-dsDNA"``).
ABNORMAL_WORDS: dict[str, str] = {
    "C3": "low C3", "C4": "low C4", "COMP": "low C3 or C4", "DSDNA": "positive anti-dsDNA",
    "UPROT": "proteinuria above the threshold",
}
#: What became of it when they normalised (``"... had returned to normal"``).
NORMALISED_WORDS: dict[str, str] = {
    "C3": "had returned to normal", "C4": "had returned to normal", "COMP": "had returned to normal",
    "DSDNA": "had become negative", "UPROT": "had fallen to the threshold or below",
}


def format_normalisation_answer(values: Sequence[tuple[str, Sequence[tuple[str, int, int]]]], week_label: str) -> str:
    """How many subjects abnormal at baseline were normal at the week, per criterion and
    arm, as the sentence of an answer.

    Parameters
    ----------
    values : sequence of (arm, [(criterion code, normalised, abnormal at baseline), ...])
        One entry per arm (the arm is named when there are several).

    Examples
    --------
    >>> format_normalisation_answer([("A", [("COMP", 12, 30), ("DSDNA", 10, 35)])], "Week 10")  # doctest: +NORMALIZE_WHITESPACE
    'Among subjects abnormal at baseline, by Week 10 low C3 or C4 had returned to normal in 12 of 30 (40%) and
    positive anti-dsDNA had become negative in 10 of 35 (29%).'
    >>> format_normalisation_answer([("A", [("COMP", 1, 2)]), ("B", [("COMP", 0, 0)])], "Week 12")  # doctest: +NORMALIZE_WHITESPACE
    'Among subjects abnormal at baseline, by Week 12, with A, low C3 or C4 had returned to normal in 1 of 2 (50%);
    with B, no subject had low C3 or C4 at baseline.'
    """
    clauses = []
    for a, items in values:
        parts = []
        for code, x, n in items:
            what = _word(ABNORMAL_WORDS, code, "format_normalisation_answer")
            parts.append(f"no subject had {what} at baseline" if not n else
                         f"{what} {NORMALISED_WORDS[code]} in {x} of {n} ({100 * x / n:.0f}%)")
        clauses.append((f"with {a}, " if len(values) > 1 else "") + join_words(parts))
    lead = f"by {week_label}, " if len(values) > 1 else f"by {week_label} "
    return f"Among subjects abnormal at baseline, {lead}{'; '.join(clauses)}."


def format_correlation_answer(values: Sequence[tuple[str, str, float, float]], x: str, y: str) -> str:
    """The rank correlation of two changes in each arm, as the sentence of an answer.

    Parameters
    ----------
    values : sequence of (arm, direction code, r, p)
        The direction from :func:`helpers.analyses.markers.compute_direction` of r.

    Examples
    --------
    >>> format_correlation_answer([("A", "down", -0.33, 0.038)], "Treg", "SLEDAI-2K")
    'The correlation between the change in Treg and the change in SLEDAI-2K was negative (Spearman r = -0.33, p = 0.038).'
    >>> format_correlation_answer([("A", "not_significant", 0.2, 0.3), ("B", "up", 0.5, 0.01)], "Treg", "SLEDAI-2K")  # doctest: +NORMALIZE_WHITESPACE
    'The correlation between the change in Treg and the change in SLEDAI-2K was not significantly different from
    zero with A (Spearman r = 0.20, p = 0.300) and positive with B (r = 0.50, p = 0.010).'
    """
    parts = []
    for i, (a, code, r, p) in enumerate(values):
        where = f" with {a}" if len(values) > 1 else ""
        parts.append(f"{_word(CORRELATION_WORDS, code, 'format_correlation_answer')}{where} "
                     f"({'Spearman ' if i == 0 else ''}r = {format_number(r, 2)}, {p_text(p)})")
    return f"The correlation between the change in {x} and the change in {y} was {join_words(parts)}."


def format_responders_answer(values: Sequence[tuple[str, bool, Sequence[str], int]], padjust: str,
                             min_group_size: int) -> str:
    """Which subsets told responders from non-responders, in each arm, as the sentence of
    an answer.

    Parameters
    ----------
    values : sequence of (arm, tested, significant names, smallest group)
        ``tested``: whether any subset was tested in the arm (both groups at least
        ``min_group_size``); ``smallest group``: the smaller group's size.

    Examples
    --------
    >>> format_responders_answer([("A", False, [], 3)], "holm", 5)  # doctest: +NORMALIZE_WHITESPACE
    'Responders and non-responders were described but not compared: the smaller group had 3 subjects, fewer than
    the 5 the analysis plan requires for a test.'
    >>> format_responders_answer([("A", True, ["Th17"], 12), ("B", True, [], 9)], "holm", 5)  # doctest: +NORMALIZE_WHITESPACE
    'The subsets that told responders from non-responders after Holm adjustment were Th17 with A and none with B.'
    """
    if not any(t for _, t, _, _ in values):
        small = min(n for *_, n in values) if values else 0
        return ("Responders and non-responders were described but not compared: the smaller group had "
                f"{count_noun(small, 'subject')}, fewer than the {min_group_size} the analysis plan requires for a "
                "test.")
    adjustment = "without adjustment" if padjust.lower() == "none" else f"after {format_padjust(padjust)} adjustment"
    parts = []
    for a, tested, names, n in values:
        where = f" with {a}" if len(values) > 1 else ""
        parts.append(f"{format_list_or_none(names)}{where}" if tested else
                     f"not compared{where} (a group of {n}, fewer than {min_group_size})")
    return f"The subsets that told responders from non-responders {adjustment} were {join_words(parts)}."


# ---------------------------------------------------------------------------------------
# the generic labs chapter (any BDS lab table): sentences from helpers.analyses.labs


def _by_arm(values: Mapping[str, str], several: bool) -> str:
    if not several:
        return next(iter(values.values()), "")
    return join_words(f"{v} ({a})" for a, v in values.items())


def format_lab_tests(counts: pd.DataFrame) -> str:
    """The tests and derived criteria a lab table holds, as a sentence.

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": ["ALT", "HYLAW"], "PARAM": ["ALT (U/L)", "Hy's law"], "criterion": [False, True]})
    >>> format_lab_tests(c)
    "The table holds 1 measured test (ALT (U/L)) and 1 derived criterion (Hy's law)."
    """
    require_columns(counts, ["PARAMCD", "PARAM", "criterion"], "format_lab_tests", "counts")
    tests = counts.drop_duplicates("PARAMCD")
    measured = tests.loc[~tests["criterion"].astype(bool), "PARAM"].tolist()
    derived = tests.loc[tests["criterion"].astype(bool), "PARAM"].tolist()
    text = f"The table holds {count_noun(len(measured), 'measured test')} ({join_words(measured)})"
    if derived:
        return text + f" and {count_noun(len(derived), 'derived criterion', 'derived criteria')} ({join_words(derived)})."
    return text + " and no derived criterion."


def format_abnormal_answer(shift: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """Subjects with a value outside the normal range after baseline, test by test and
    arm by arm (never over the arms together), from
    :func:`helpers.analyses.labs.summarize_shift`.

    Examples
    --------
    >>> s = pd.DataFrame({"PARAMCD": "ALT", "PARAM": "ALT", "ARM": ["A", "A", "B"], "worst_cat": ["HIGH", "NORMAL", "HIGH"],
    ...                   "n": [2, 3, 0], "n_arm": [5, 5, 4]})
    >>> format_abnormal_answer(s, "ARM", ["A", "B"])
    'After baseline, a value outside the normal range was recorded for ALT in 2 of 5 subjects (A) and 0 of 4 (B).'
    """
    require_columns(shift, ["PARAMCD", "PARAM", arm, "worst_cat", "n", "n_arm"], "format_abnormal_answer", "shift")
    if not len(shift):
        return "No test of the table has a normal range, so no value is classed as outside it."
    out = shift.assign(abnormal=shift["n"].where(shift["worst_cat"].isin(["LOW", "HIGH", "LOW and HIGH"]), 0))
    agg = out.groupby(["PARAMCD", "PARAM", arm], sort=False, observed=True).agg(
        abnormal=("abnormal", "sum"), n_arm=("n_arm", "first")).reset_index()
    several = len(arms) > 1
    parts = []
    for (_, param), grp in agg.groupby(["PARAMCD", "PARAM"], sort=False):
        cells = {a: grp.loc[grp[arm].astype("str") == a] for a in arms}
        values = {}
        for i, (a, row) in enumerate(cells.items()):
            k, n = (int(row["abnormal"].iloc[0]), int(row["n_arm"].iloc[0])) if len(row) else (0, 0)
            values[a] = f"{k} of {n} subjects" if i == 0 else f"{k} of {n}"
        parts.append(f"{param} in {_by_arm(values, several)}")
    return f"After baseline, a value outside the normal range was recorded for {'; for '.join(parts)}."


def format_criteria_answer(criteria: pd.DataFrame, arm: str, arms: Sequence[str]) -> str:
    """Subjects meeting each derived criterion after baseline, arm by arm, from
    :func:`helpers.analyses.labs.summarize_criteria`.

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": "HYLAW", "PARAM": "Hy's law", "ARM": "A", "period": ["baseline", "post"],
    ...                   "n": [4, 4], "n_met": [0, 1]})
    >>> format_criteria_answer(c, "ARM", ["A"])
    "After baseline, Hy's law was met by 1 of 4 subjects assessed."
    >>> format_criteria_answer(c.iloc[:0], "ARM", ["A"])
    'The table holds no derived criterion.'
    """
    require_columns(criteria, ["PARAMCD", "PARAM", arm, "period", "n", "n_met"], "format_criteria_answer", "criteria")
    post = criteria[criteria["period"] == "post"]
    if not len(post):
        return "The table holds no derived criterion."
    several = len(arms) > 1
    parts = []
    for (_, param), grp in post.groupby(["PARAMCD", "PARAM"], sort=False):
        values = {}
        for i, a in enumerate(arms):
            row = grp[grp[arm].astype("str") == a]
            k, n = (int(row["n_met"].iloc[0]), int(row["n"].iloc[0])) if len(row) else (0, 0)
            values[a] = f"{k} of {n} subjects assessed" if i == 0 else f"{k} of {n}"
        parts.append(f"{param} was met by {_by_arm(values, several)}")
    return f"After baseline, {'; '.join(parts)}."


def format_liver_answer(quadrants: pd.DataFrame, arm: str, arms: Sequence[str], transaminase: float,
                        bilirubin: float) -> str:
    """The eDISH plot in words: subjects in the Hy's law quadrant, arm by arm, or why
    there is no plot.

    Examples
    --------
    >>> q = pd.DataFrame({"quadrant": ["normal", "Hy's law"], "ARM": "A", "n": [9, 1], "n_arm": 10})
    >>> format_liver_answer(q, "ARM", ["A"], 3, 2)
    "With a peak ALT or AST above 3 x ULN and a peak total bilirubin above 2 x ULN after baseline (potential Hy's law): 1 of 10 subjects with both tests."
    >>> print(format_liver_answer(q.iloc[:0], "ARM", ["A"], 3, 2))
    The table holds no ALT or AST together with total bilirubin after baseline, so there is no Hy's law plot.
    """
    require_columns(quadrants, ["quadrant", arm, "n", "n_arm"], "format_liver_answer", "quadrants")
    hy = quadrants[quadrants["quadrant"] == "Hy's law"]
    if not len(hy) or int(quadrants["n"].sum()) == 0:
        return "The table holds no ALT or AST together with total bilirubin after baseline, so there is no Hy's law plot."
    values = {}
    for i, a in enumerate(arms):
        row = hy[hy[arm].astype("str") == a]
        k, n = (int(row["n"].iloc[0]), int(row["n_arm"].iloc[0])) if len(row) else (0, 0)
        values[a] = f"{k} of {n} subjects with both tests" if i == 0 else f"{k} of {n}"
    return (f"With a peak ALT or AST above {transaminase:g} x ULN and a peak total bilirubin above {bilirubin:g} x ULN "
            f"after baseline (potential Hy's law): {_by_arm(values, len(arms) > 1)}.")


#: Row labels of the serology rows in the publication's layout (measure codes of
#: :data:`helpers.analyses.serology.SEROLOGY_MEASURES`), and the decimals of their
#: medians and ranges (as the paper prints them).
SEROLOGY_LABELS: dict[str, str] = {
    "ana_decreased": "ANA titre decreased", "antidsdna": "Anti-dsDNA, IU/mL",
    "anua": "Anti-nucleosome (AnuA), IU/mL", "c3": "C3, g/L", "c4": "C4, g/L",
}
SEROLOGY_DIGITS: dict[str, int] = {"antidsdna": 2, "anua": 2, "c3": 2, "c4": 2}
