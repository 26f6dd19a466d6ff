"""Tests of helpers.present.prose.markers: the words of the labs and immunology chapters."""

from __future__ import annotations

import math

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
    ("inconclusive", "cannot judge", "inconclusive (no equivalence margin stated)"),
    ("not_tested", "do not test", "not tested (too few subjects)"),
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


def test_format_control_answer_one_arm_names_the_arm():
    assert w.format_control_answer(["Drug X"], None) == (
        "With a single arm, these are changes over time on treatment; without a control group they cannot be "
        "attributed to Drug X alone.")


def test_format_control_answer_several_arms_says_the_comparison_decides():
    assert w.format_control_answer(["IL-2", "Placebo"], "Placebo") == (
        "A change within an arm cannot separate the treatment from time, regression to the mean or background "
        "therapy, so each claim is judged by the comparison with Placebo; the arms' own changes are shown beside it.")
    # several arms but no reference arm: nothing to compare with
    assert w.format_control_answer(["A", "B"], None).startswith("With a single arm") is True


def test_format_family_names_the_family_and_its_size():
    assert w.format_family("holm", "marker and arm", "the post-baseline visits", [9, 9]) == (
        "Holm-adjusted within each marker and arm, across the post-baseline visits (families of 9 tests each)")
    assert w.format_family("fdr_bh", "arm", "the subsets", [6]) == (
        "Benjamini-Hochberg-adjusted within each arm, across the subsets (a family of 6 tests)")
    assert w.format_family("holm", "arm", "x", [1]).endswith("(a family of 1 test)")
    assert w.format_family("holm", "arm", "x", [5, 9]).endswith("(families of 5 to 9 tests)")
    assert w.format_family("holm", "arm", "x", []) == w.format_family("holm", "arm", "x", [0]) == "no test made"
    assert w.format_family("none", "arm", "x", [6]) == "not adjusted for multiple comparisons"
    with pytest.raises(ValueError, match=r"format_adjusted: unknown code 'fdr_tsbh'"):
        w.format_family("fdr_tsbh", "arm", "x", [6])


def test_format_estimates_and_counts_by_arm():
    assert w.format_estimates_by_arm([("A", 0.2, 0.1, 0.3, 0.02), ("B", 0.0, -0.1, 0.1, 1.0)], 2, 0.95,
                                     signed=True) == (
        "+0.20 (95% CI +0.10 to +0.30, p = 0.020) with A and +0.00 (95% CI -0.10 to +0.10, p = 1.000) with B")
    assert w.format_estimates_by_arm([("A", 1.1, -math.inf, math.inf, 0.9)], 1, 0.9) == (
        "1.1 (90% CI unbounded (too few subjects), p = 0.900) with A")
    assert w.format_estimates_by_arm([("A", 1.1, None, None, None)], 1, 0.9) == (
        "1.1 (90% CI no interval, p not computed) with A")
    assert w.format_counts_by_arm([("A", 0, 7), ("B", 0, 0)]) == "0 of 7 (0%) with A and none eligible with B"


def test_format_changes_answer_one_and_several_arms_and_missing():
    t = pd.DataFrame({ARM: ["A", "A", "B"], "PARAMCD": ["TREG", "TH1", "TREG"], "AVISITN": 12,
                      "direction": ["up", "not_significant", "not_significant"], "p_adj": [0.00001, 1.0, 1.0]})
    assert w.format_changes_answer(t, ["TREG", "TH1"], ARM, ["A"], 12, "Week 12", "holm") == (
        "At Week 12, Treg rose (Holm-adjusted p < 0.001) and Th1 did not change significantly (p = 1.000).")
    assert w.format_changes_answer(t, ["TREG", "TH1"], ARM, ["A", "B"], 12, "Week 12", "none") == (
        "At Week 12, with A, Treg rose (unadjusted p < 0.001) and Th1 did not change significantly (p = 1.000); "
        "with B, Treg did not change significantly (p = 1.000) and Th1 was not measured.")
    with pytest.raises(ValueError, match=r"format_changes_answer: tests lacks columns \['direction'\]"):
        w.format_changes_answer(t.drop(columns="direction"), ["TREG"], ARM, ["A"], 12, "Week 12", "holm")


def _claims(verdicts, claimed=("increase", "decrease", "none", "none"), codes=("TREG", "TH17", "TH1", "TH2"),
            basis="change", reference=None):
    return pd.DataFrame({ARM: "IL-2", "PARAMCD": list(codes), "claimed": list(claimed), "basis": basis,
                         "reference": reference, "min_group_size": 5, "verdict": list(verdicts)})


def test_format_claims_answer_every_verdict():
    c = _claims(["contradicted", "not_tested", "supported", "contradicted"])
    assert w.format_claims_answer(c, ARM) == (
        "So the data show Th1 unchanged within the stated equivalence margin, as reported; they contradict the "
        "reported rise in Treg; they show Th2 changed by more than the stated equivalence margin, against the report "
        "that it was not modulated; they do not test the reported fall in Th17: fewer than 5 subjects had a value "
        "in an arm.")
    c = _claims(["not_supported", "supported", "not_supported", "not_tested"])
    assert w.format_claims_answer(c, ARM, "Note.") == (
        "So the data support the reported fall in Th17; they do not support the reported rise in Treg; they do not "
        "show Th1 unchanged within the stated equivalence margin; they do not test the report that Th2 was not "
        "modulated: fewer than 5 subjects had a value in an arm. Note.")


def test_format_claims_answer_one_sentence_per_treated_arm():
    c = pd.concat([_claims(["supported"], ("increase",), ("C3",), "comparison", "Placebo"),
                   _claims(["inconclusive", "inconclusive"], ("none", "none"), ("TH1", "TH2"), "comparison",
                           "Placebo").assign(**{ARM: "High"})])
    assert w.format_claims_answer(c, ARM) == (
        "Judged by the comparison of IL-2 with Placebo, the data support the reported rise in C3. Judged by the "
        "comparison of High with Placebo, the data cannot judge the report that Th1 and Th2 were not modulated: no "
        "equivalence margin is stated, and a change that is not significant is not evidence of no change.")
    with pytest.raises(ValueError, match=r"format_claims_answer: claims lacks columns \['basis'\]"):
        w.format_claims_answer(c.drop(columns="basis"), ARM)


def test_imposed_sentences_need_the_marker_and_a_direction():
    imposed = ["In the IL-2 arm: anti-dsDNA and 24-hour proteinuria fall; Treg rise, Th1 and Th2 show no change.",
               "The trial scored SELENA-SLEDAI; the descriptors follow SLEDAI-2K's proteinuria rule.",
               "In the placebo arm: no Treg expansion."]
    assert w.imposed_sentences(imposed, ["UPROT"]) == imposed[:1]  # the instrument sentence states no direction
    assert w.imposed_sentences(imposed, ["TREG"]) == [imposed[0], imposed[2]]
    assert w.imposed_sentences(imposed, ["TH17"]) == []  # Th1 is not Th17
    assert w.imposed_sentences(imposed, ["TH1"]) == imposed[:1]
    assert w.imposed_sentences([], ["TREG"]) == []


def test_format_simulation_note():
    assert w.format_simulation_note(False, ["x"]) == ""
    assert w.format_simulation_note(True, ["Treg rise.", "No Treg expansion with placebo."]) == (
        'These data are simulated, and the generator imposed these directions ("Treg rise"; "No Treg expansion with '
        'placebo"): the result shows that the analysis runs, not that it is true of patients.')


def test_format_comparison_sentence_words_and_errors():
    item = dict(code="TREG", direction="up", scale="difference", estimate=1.16, ci_low=0.89, ci_high=1.43,
                p_raw=1e-9, p=1e-8, digits=2, unit="percentage points")
    assert w.format_comparison_sentence("IL-2", "Placebo", [item], 0.9, "bonf") == (
        "Adjusted for baseline, with IL-2 against Placebo, Treg ended higher (difference +1.16 percentage points, "
        "90% CI +0.89 to +1.43, p < 0.001; Bonferroni-adjusted p < 0.001).")
    with pytest.raises(ValueError, match=r"format_comparison_sentence: unknown code 'sideways'"):
        w.format_comparison_sentence("IL-2", "Placebo", [{**item, "direction": "sideways"}], 0.95, "holm")


def test_format_responder_sentence_tested_and_not():
    r = pd.DataFrame({ARM: ["A"], "PARAMCD": "TREG", "n1": [16], "n2": [12], "median1": [0.89], "median2": [1.11],
                      "estimate": [-0.09], "ci_low": [-0.68], "ci_high": [0.27], "confidence": 0.95, "p_val": [0.516],
                      "p_adj": [1.0], "tested": [True], "min_group_size": 5})
    assert w.format_responder_sentence(r, ARM, "TREG", "Week 12", 2, "percentage points", "holm") == (
        "With A, 16 responders and 12 non-responders had Treg measured at Week 12: the responders' Treg was 0.09 "
        "percentage points lower (Hodges-Lehmann shift, 95% CI -0.68 to +0.27, p = 0.516; Holm-adjusted p = 1.000).")
    zero = r.assign(estimate=0.0)
    assert "the responders' Treg was no different (" in w.format_responder_sentence(zero, ARM, "TREG", "W", 2, "", "holm")
    assert w.format_responder_sentence(r, ARM, "TH17", "Week 12", 2, "", "holm") == ""
    with pytest.raises(ValueError, match=r"format_responder_sentence: rows lacks columns \['tested'\]"):
        w.format_responder_sentence(r.drop(columns="tested"), ARM, "TREG", "W", 2, "", "holm")


def test_normalisation_correlation_and_responders_answers():
    assert w.format_normalisation_answer([("A", [("UPROT", 6, 17), ("C4", 0, 0)])], "Week 12") == (
        "Among subjects abnormal at baseline, by Week 12 proteinuria above the threshold had fallen to the threshold "
        "or below in 6 of 17 (35%) and no subject had low C4 at baseline.")
    with pytest.raises(ValueError, match=r"format_normalisation_answer: unknown code 'PLAT'"):
        w.format_normalisation_answer([("A", [("PLAT", 1, 2)])], "Week 12")
    assert w.format_correlation_answer([("A", "zero", 0.0, 0.01)], "Treg", "SLEDAI-2K") == (
        "The correlation between the change in Treg and the change in SLEDAI-2K was zero (Spearman r = 0.00, "
        "p = 0.010).")
    assert w.format_responders_answer([("A", True, [], 12)], "none", 5) == (
        "The subsets that told responders from non-responders without adjustment were none.")
