"""Tests of helpers.present.prose.markers: the words of the labs and immunology chapters."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analyses.markers import CLAIMED, DIRECTIONS, VERDICTS
from helpers.present.prose import markers as w

ARM = "TRT01A"


def test_every_code_has_its_words():
    for words in (w.CHANGE_WORDS, w.ARM_WORDS, w.CORRELATION_WORDS):
        assert set(words) == set(DIRECTIONS)
    assert set(w.VERDICT_VERBS) == set(VERDICTS) == set(w.VERDICT_LABELS)
    assert set(w.CLAIMED_LABELS) == set(CLAIMED)


@pytest.mark.parametrize(("code", "change", "arm", "correlation"), [
    ("down", "fell", "lower", "negative"), ("up", "rose", "higher", "positive"),
    ("not_significant", "did not change significantly", "not significantly different",
     "not significantly different from zero"),
    ("zero", "did not change in median", "no different", "zero"),
])
def test_direction_words(code, change, arm, correlation):
    assert w.format_words([code], w.CHANGE_WORDS) == [change]
    assert w.format_words([code], w.ARM_WORDS) == [arm]
    assert w.format_words([code], w.CORRELATION_WORDS) == [correlation]


@pytest.mark.parametrize(("code", "verb", "label"), [
    ("supported", "support", "supported"), ("not_supported", "do not support", "not supported"),
    ("contradicted", "contradict", "contradicted"),
])
def test_verdict_words(code, verb, label):
    assert w.format_words([code], w.VERDICT_VERBS) == [verb]
    assert w.format_words([code], w.VERDICT_LABELS) == [label]


def test_format_words_unknown_code_is_an_error():
    with pytest.raises(ValueError, match=r"format_words: unknown code 'fell'"):
        w.format_words(["fell"], w.CHANGE_WORDS)


def test_derive_words_replaces_codes_without_mutating():
    t = pd.DataFrame({"direction": ["down", "up"], "verdict": ["supported", "not_supported"], "x": [1, 2]})
    out = w.derive_words(t, {"direction": w.CHANGE_WORDS, "verdict": w.VERDICT_VERBS})
    assert out.values.tolist() == [["fell", "support", 1], ["rose", "do not support", 2]]
    assert t["direction"].tolist() == ["down", "up"]
    with pytest.raises(ValueError, match=r"derive_words: frame lacks columns \['p'\]"):
        w.derive_words(t, {"p": w.CHANGE_WORDS})


def test_format_scope():
    assert w.format_scope(["IL-2"]) == "all subjects"
    assert w.format_scope(["IL-2", "Placebo"]) == "all subjects, arms pooled"


def test_format_adjusted_and_padjust():
    assert [w.format_adjusted(m) for m in ("holm", "bonf", "fdr_bh", "none")] == [
        "Holm-adjusted", "Bonferroni-adjusted", "Benjamini-Hochberg-adjusted", "unadjusted"]
    assert w.format_padjust("holm") == "Holm"
    # every name helpers.stats.adjust_pvalues accepts (pingouin.multicomp and its aliases)
    assert [w.format_padjust(m) for m in ("h", "bonferroni", "sidak", "fdr", "fdr_by", "BY")] == [
        "Holm", "Bonferroni", "\u0160id\u00e1k", "Benjamini-Hochberg", "Benjamini-Yekutieli", "Benjamini-Yekutieli"]
    assert w.format_adjusted("NONE") == "unadjusted"
    with pytest.raises(ValueError, match=r"format_adjusted: unknown code 'fdr_tsbh'"):
        w.format_adjusted("fdr_tsbh")
    with pytest.raises(ValueError, match=r"format_padjust: unknown code 'fdr_tsbh'"):
        w.format_padjust("fdr_tsbh")


def test_format_list_or_none():
    assert w.format_list_or_none(["Th17"]) == "Th17"
    assert w.format_list_or_none(["Th17", "Tfh", "NK cells"]) == "Th17, Tfh and NK cells"
    assert w.format_list_or_none([]) == "none"


def test_format_by_arm_with_missing_arm():
    assert w.format_by_arm([("A", 41.0, 0.00002), ("B", None, None)], 0) == "+41 with A (p < 0.001) and no data with B"
    assert w.format_by_arm([("A", 41.0, 0.00002)], 1) == "+41.0 with A (p < 0.001)"
    assert w.format_by_arm([("A", -0.004, 0.5)], 2) == "+0.00 with A (p = 0.500)"  # no negative zero


def _arm_claims(rows):
    return pd.DataFrame(rows, columns=[ARM, "PARAMCD", "claimed", "verdict"])


def test_format_control_answer_one_arm_names_the_arm():
    assert w.format_control_answer(_arm_claims([]), ARM, ["Drug X"], None) == (
        "With a single arm, these are changes over time on treatment; without a control group they cannot be "
        "attributed to Drug X alone.")


def test_format_control_answer_two_arms_leaves_out_claims_of_no_change():
    c = _arm_claims([("IL-2", "TREG", "increase", "supported"), ("IL-2", "TH17", "decrease", "contradicted"),
                     ("IL-2", "TH1", "none", "supported")])
    assert w.format_control_answer(c, ARM, ["IL-2", "Placebo"], "Placebo") == (
        "With a control arm, the question is whether these changes exceed the control arm's. Against Placebo, "
        "the between-arm comparisons support the rise in Treg and contradict the fall in Th17 as effects of IL-2.")


def test_format_control_answer_several_compared_arms_and_none():
    c = _arm_claims([("High", "C3", "increase", "supported"), ("Low", "C3", "increase", "not_supported")])
    assert w.format_control_answer(c, ARM, ["Placebo", "Low", "High"], "Placebo") == (
        "With a control arm, the question is whether these changes exceed the control arm's. Against Placebo, "
        "the between-arm comparisons do not support the rise in C3 as effects of Low; they support the rise in C3 "
        "as effects of High.")
    assert w.format_control_answer(c.iloc[:0], ARM, ["A", "P"], "P").endswith(
        "Against P, no published change could be compared between the arms.")
    with pytest.raises(ValueError, match=r"format_control_answer: arm_claims lacks columns \['verdict'\]"):
        w.format_control_answer(c.drop(columns="verdict"), ARM, ["A", "P"], "P")
