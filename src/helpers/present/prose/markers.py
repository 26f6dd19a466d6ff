"""The words of the labs and immunology chapters: directions, verdicts, claims, the
scope of a summary, and the sentences built from them.

The analyses (:mod:`helpers.analyses.markers`) return codes: a direction of
:data:`helpers.analyses.markers.DIRECTIONS`, a verdict of
:data:`helpers.analyses.markers.VERDICTS`, a claimed direction of
:data:`helpers.analyses.markers.CLAIMED`. This module turns them into the words a
sentence or a table cell uses, so that every word follows a result: on other data the
words change with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from helpers.errors import require_columns
from helpers.present.format import format_signed
from helpers.present.prose import join_words, p_text

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
VERDICT_VERBS: dict[str, str] = {"supported": "support", "not_supported": "do not support", "contradicted": "contradict"}
#: A verdict as a table cell says it.
VERDICT_LABELS: dict[str, str] = {"supported": "supported", "not_supported": "not supported",
                                  "contradicted": "contradicted"}
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
#: Multiple-comparison corrections by name: the ``padjust`` values
#: :func:`helpers.stats.adjust_pvalues` accepts (pingouin's ``multicomp``, with its aliases).
PADJUST_NAMES: dict[str, str] = {
    "holm": "Holm", "h": "Holm", "bonf": "Bonferroni", "b": "Bonferroni", "bonferroni": "Bonferroni",
    "sidak": "\u0160id\u00e1k", "s": "\u0160id\u00e1k", "fdr_bh": "Benjamini-Hochberg", "fdr": "Benjamini-Hochberg",
    "bh": "Benjamini-Hochberg", "fdr_by": "Benjamini-Yekutieli", "by": "Benjamini-Yekutieli", "none": "no correction",
}


def _word(words: Mapping[str, str], code: str, what: str) -> str:
    if code not in words:
        raise ValueError(f"{what}: unknown code {code!r} (known: {list(words)})")
    return words[code]


def format_words(codes: Iterable[str], words: Mapping[str, str]) -> list[str]:
    """Codes as words, one for one (a code that ``words`` lacks is an error).

    Examples
    --------
    >>> format_words(["down", "not_significant"], CHANGE_WORDS)
    ['fell', 'did not change significantly']
    >>> format_words(["supported"], VERDICT_VERBS)
    ['support']
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


def format_scope(arms: Sequence[str]) -> str:
    """Who a summary over all subjects covers: with several arms, say they are pooled.

    Examples
    --------
    >>> format_scope(["IL-2"]), format_scope(["IL-2", "Placebo"])
    ('all subjects', 'all subjects, arms pooled')
    """
    return "all subjects, arms pooled" if len(arms) > 1 else "all subjects"


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
    parts = [f"no data with {a}" if change is None else f"{format_signed(change, digits)} with {a} ({p_text(p)})"
             for a, change, p in values]
    return join_words(parts)


def format_control_answer(arm_claims: pd.DataFrame, arm: str, arms: Sequence[str], reference: str | None) -> str:
    """The answer's sentence about the control arm, from the between-arm verdicts.

    With one arm, that the changes cannot be attributed to it alone; with several, the
    verdict of each published change (a claim of no change is not an effect, so it is
    left out) against the reference arm.

    Parameters
    ----------
    arm_claims : DataFrame
        From :func:`helpers.analyses.markers.summarize_arm_claims`: ``arm``, ``PARAMCD``,
        ``claimed``, ``verdict``.
    arms : sequence of str
    reference : str or None
        The reference arm.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["DSDNA", "C3", "TH1"],
    ...                   "claimed": ["decrease", "increase", "none"],
    ...                   "verdict": ["not_supported", "supported", "supported"]})
    >>> format_control_answer(c, "TRT01A", ["IL-2", "Placebo"], "Placebo")  # doctest: +NORMALIZE_WHITESPACE
    "With a control arm, the question is whether these changes exceed the control arm's. Against Placebo,
    the between-arm comparisons do not support the fall in anti-dsDNA and support the rise in C3 as
    effects of IL-2."
    >>> format_control_answer(c.iloc[:0], "TRT01A", ["IL-2"], None)
    'With a single arm, these are changes over time on treatment; without a control group they cannot be attributed to IL-2 alone.'
    """
    if len(arms) == 1:
        return ("With a single arm, these are changes over time on treatment; without a control group they cannot "
                f"be attributed to {arms[0]} alone.")
    require_columns(arm_claims, [arm, "PARAMCD", "claimed", "verdict"], "format_control_answer", "arm_claims")
    opening = "With a control arm, the question is whether these changes exceed the control arm's."
    effects = arm_claims[arm_claims["claimed"].isin(list(CLAIMED_NOUNS))]
    if effects.empty:
        return f"{opening} Against {reference}, no published change could be compared between the arms."
    clauses = []
    for a in [a for a in arms if a in set(effects[arm])]:
        e = effects[effects[arm] == a]
        items = [f"{_word(VERDICT_VERBS, v, 'format_control_answer')} the {CLAIMED_NOUNS[c]} in {NAMES.get(code, code)}"
                 for code, c, v in zip(e["PARAMCD"], e["claimed"], e["verdict"], strict=True)]
        clauses.append(f"{join_words(items)} as effects of {a}")
    return f"{opening} Against {reference}, the between-arm comparisons {'; they '.join(clauses)}."
