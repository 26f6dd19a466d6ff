"""Tests for helpers.present.prose.organ: the organ chapter's sentences, computed from
the frames of helpers.analyses.organ (hand-made here, written out), for one arm and
for two."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from helpers.analyses import organ
from helpers.data import read_cohort_config
from helpers.present.prose import organ as words

ROOT = Path(__file__).resolve().parents[1]
NAN = float("nan")


def test_codes_cover_the_analysis_codes():
    assert tuple(words.VERDICTS) == organ.VERDICTS
    assert set(words.NOT_TESTED) == set(organ.TEST_REASONS) - {"tested"}


def test_in_sentence_and_group_labels():
    assert [words.in_sentence(x) for x in ("Lupus nephritis", "Raynaud's phenomenon", "Fever")] == [
        "lupus nephritis", "Raynaud's phenomenon", "fever"]
    assert [words.group_label(g) for g in ("skin", "haematological", "fever", "hair", "renal", "all")] == [
        "Skin (favoured)", "Haematological (favoured)", "Fever (favoured)", "Hair", "Renal", "All subjects"]
    assert words.group_label("hair", favoured=True) == "Hair (favoured)"


def test_arm_variable_text():
    assert [words.arm_variable_text(v) for v in ("TRT01P", "ARM", "TRT01A", "ACTARM", "TRT02P")] == [
        "the randomized (planned) arm, TRT01P", "the randomized (planned) arm, ARM", "the treatment received, TRT01A",
        "the treatment received, ACTARM", "the arm in TRT02P"]


def test_in_arm_names_a_dummy_arm_once():
    assert [words.in_arm(a) for a in ("IL-2", "Arm B", "arm c", "Low-dose arm")] == [
        "in the IL-2 arm", "in Arm B", "in arm c", "in the Low-dose arm"]


def test_groups_sentence_lists_alopecia_among_the_others():
    text = words.groups_sentence()
    assert text.startswith("The groups the abstract singled out are skin (malar or other lupus rash, photosensitivity, "
                           "Raynaud's phenomenon and vasculitis), haematological (leukopenia, thrombocytopenia and "
                           "anaemia) and fever; the others are mucosal (oral ulcers), hair (alopecia), ")
    assert text.endswith("Alopecia is among the others: the skin involvement the abstract lists is erythema, "
                         "photosensitivity, Raynaud's and vasculitis.")


# -- rankings ---------------------------------------------------------------------------


def ranking() -> pd.DataFrame:
    return pd.DataFrame({
        "TRT01P": ["IL-2", "Placebo"], "n_items": [8, 3], "n_ranked": [2, 1],
        "best": ["constitutional", "renal"], "best_responders": [10, 2], "best_n": [12, 14],
        "best_rate": [10 / 12, 2 / 14], "worst": ["immunological", "renal"], "worst_responders": [6, 2],
        "worst_n": [27, 14], "worst_rate": [6 / 27, 2 / 14],
    })


def small() -> pd.DataFrame:
    return pd.DataFrame({"TRT01P": ["IL-2", "Placebo", "Placebo"], "PARAMCD": ["vascular", "neurological", "serosal"],
                         "responders": [1, 0, 1], "n": [1, 1, 3]})


def test_ranking_text_two_arms_with_counts_and_the_unranked():
    text = words.ranking_text(ranking(), small(), "TRT01P", ["IL-2", "Placebo"], 5, when="Week 12")
    assert text == (
        "By Week 12, in the IL-2 arm, of the 2 domains active at baseline in at least 5 subjects, constitutional "
        "resolved most often (10 of 12, 83.3%) and immunological least often (6 of 27, 22.2%); vascular (1 of 1) was "
        "active in fewer subjects and is not ranked. In the Placebo arm, only renal was active at baseline in at least "
        "5 subjects: it resolved in 2 of 14, 14.3%; neurological (0 of 1) and serosal (1 of 3) were active in fewer "
        "subjects and are not ranked.")


def test_ranking_text_nothing_ranked_and_another_noun():
    r = ranking().iloc[[0]].assign(n_ranked=0, best=None, worst=None)
    assert words.ranking_text(r, small().iloc[:0], "TRT01P", ["IL-2"], 10, noun="manifestation") == (
        "No manifestation was active at baseline in at least 10 subjects, so none is ranked.")


def test_ranking_text_nothing_ranked_lists_the_small_ones_once():
    r = ranking().iloc[[0]].assign(n_ranked=0, best=None, worst=None)
    assert words.ranking_text(r, small(), "TRT01P", ["IL-2"], 5) == (
        "No domain was active at baseline in at least 5 subjects, so none is ranked (vascular 1 of 1).")


def test_label_ranking_words_for_codes():
    out = words.label_ranking(ranking())
    assert out[["best_label", "worst_label"]].values.tolist() == [["constitutional", "immunological"],
                                                                   ["renal", "renal"]]
    assert ranking().columns.tolist() == out.columns.tolist()[:-2]  # input unchanged, labels added


# -- the claim ----------------------------------------------------------------------------


def within(reasons=("tested", "tested")) -> pd.DataFrame:
    return pd.DataFrame({
        "TRT01P": ["IL-2", "Placebo"], "favoured_resolved": [51, 53], "favoured_n": [70, 74],
        "favoured_subjects": [27, 1], "favoured_rate": [51 / 70, 53 / 74], "other_resolved": [23, 16],
        "other_n": [50, 52], "other_subjects": [29, 27], "other_rate": [0.46, 16 / 52],
        "odds_ratio": [3.7129, 5.0373], "ci_low": [1.9228, 2.3306], "ci_high": [7.1697, 10.8875],
        "p_val": [0.0000934, 0.0000393], "reason": list(reasons),
    })


def interaction(reason="tested") -> pd.DataFrame:
    return pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo"], "ratio": [0.7528], "ci_low": [0.2764],
                         "ci_high": [2.0500], "p_val": [0.5785], "reason": [reason]})


def test_within_text_each_arm_and_an_untested_one():
    text = words.within_text(within(("tested", "too_small")), "TRT01P", ["IL-2", "Placebo"], 0.95, 5)
    assert text == (
        "In the IL-2 arm, manifestations of the favoured groups resolved in 51 of 70 cases (72.9%, in 27 subjects) and "
        "the others in 23 of 50 (46.0%, in 29 subjects): odds ratio 3.71 (95% CI 1.92 to 7.17, p < 0.001). In the "
        "Placebo arm, manifestations of the favoured groups resolved in 53 of 74 cases (71.6%, in 1 subject) and the "
        "others in 16 of 52 (30.8%, in 27 subjects): not tested, as the favoured or the other group holds "
        "manifestations of fewer than 5 subjects.")


@pytest.mark.parametrize("reason, why", [
    ("boundary", "a group resolved in every case or in none, which leaves no finite odds ratio"),
    ("no_fit", "the model gave no estimate"),
])
def test_within_text_other_reasons(reason, why):
    text = words.within_text(within((reason, "tested")).iloc[[0]], "TRT01P", ["IL-2"], 0.95, 5)
    assert text.endswith(f": not tested, as {why}.") and not text.startswith("In the")


def test_interaction_text_tested_untested_and_one_arm():
    assert words.interaction_text(interaction(), 0.9, 5) == (
        "The favoured groups' odds ratio with IL-2 divided by that with Placebo (the treatment-by-group interaction, in "
        "a logistic GEE clustered on subject) is 0.75 (90% CI 0.28 to 2.05, p = 0.579).")
    assert words.interaction_text(interaction("too_small"), 0.95, 5) == (
        "The treatment-by-group interaction of IL-2 against Placebo was not tested, as the favoured or the other group "
        "holds manifestations of fewer than 5 subjects.")
    assert words.interaction_text(interaction().iloc[:0], 0.95, 5) == ""


def test_claim_test_text_names_the_design():
    two = words.claim_test_text(within(), interaction(), "TRT01P", ["IL-2", "Placebo"], 0.95, 5)
    assert two.startswith("With several arms, a pattern seen with the reference arm too is not the treatment's doing: "
                          "the claim is judged by the treatment-by-group interaction. In the IL-2 arm, ")
    assert two.endswith("is 0.75 (95% CI 0.28 to 2.05, p = 0.579).")
    one = words.claim_test_text(within().iloc[[0]], interaction().iloc[:0], "TRT01P", ["IL-2"], 0.95, 5)
    assert one.startswith("With a single arm the claim is tested within it. Manifestations of the favoured groups")


def test_imposed_note_on_the_simulated_cohorts_and_real_data():
    randomized = words.imposed_note(read_cohort_config(ROOT / "data" / "nct02465580"))
    assert randomized == (
        'These data are simulated, and the generator imposed this pattern ("In the IL-2 arm, manifestations of the '
        "favoured groups (skin, haematological, fever) resolve more often by the primary week (at least 70%) than the "
        'others"): the result shows that the analysis runs, not that it is true of patients.')
    single = words.imposed_note(read_cohort_config(ROOT / "data" / "nct02084238"))
    assert single.startswith('These data are simulated, and the generator imposed this pattern ("Manifestations of the '
                             "favoured groups")
    assert words.imposed_note(SimpleNamespace(simulated=False, simulation={"imposed": ["favoured"]})) == ""
    assert words.imposed_note(SimpleNamespace(simulated=True, simulation=None)).startswith(
        "These data are simulated (what the generator imposed is listed on the provenance page)")


def verdicts(design, verdict, reason, estimate=0.7528, p=0.5785) -> pd.DataFrame:
    several = design == "interaction"
    return pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo" if several else None], "design": [design],
                         "estimate": [estimate], "ci_low": [NAN], "ci_high": [NAN], "p_val": [p],
                         "verdict": [verdict], "reason": [reason]})


@pytest.mark.parametrize("verdict, reason, estimate, p, expected", [
    ("supported", "significant", 36.0, 0.0134,
     "Verdict for IL-2 against Placebo: supported. With IL-2 the favoured groups resolved more often than the others, "
     "and more so than with Placebo (IL-2: 72.9% against 46.0%; Placebo: 71.6% against 30.8%), significantly at the "
     "two-sided 5% level (ratio of odds ratios 36.00, p = 0.013)."),
    ("not_supported", "not_better_than_reference", 0.7528, 0.5785,
     "Verdict for IL-2 against Placebo: not supported. The favoured groups resolved more often with Placebo too, and "
     "their advantage is no larger with IL-2 (IL-2: 72.9% against 46.0%; Placebo: 71.6% against 30.8%; ratio of odds "
     "ratios 0.75, p = 0.579): a test pooling the arms would credit the treatment with a pattern the reference arm "
     "shows as well."),
    ("inconclusive", "not_significant", 1.8, 0.3,
     "Verdict for IL-2 against Placebo: inconclusive. The favoured groups' advantage is larger with IL-2 than with "
     "Placebo (IL-2: 72.9% against 46.0%; Placebo: 71.6% against 30.8%), but not significantly at the two-sided 5% "
     "level (ratio of odds ratios 1.80, p = 0.300)."),
    ("not_supported", "not_better", 0.5, 0.2,
     "Verdict for IL-2 against Placebo: not supported. With IL-2 the other manifestations resolved at least as often "
     "(IL-2: 72.9% against 46.0%; Placebo: 71.6% against 30.8%)."),
    ("inconclusive", "too_small", NAN, NAN,
     "Verdict for IL-2 against Placebo: inconclusive. The interaction was not tested, as the favoured or the other "
     "group holds manifestations of fewer than 5 subjects."),
])
def test_verdict_text_two_arms(verdict, reason, estimate, p, expected):
    v = verdicts("interaction", verdict, reason, estimate, p)
    assert words.verdict_text(v, within(), "TRT01P", 0.05, 5) == expected


@pytest.mark.parametrize("verdict, reason, expected", [
    ("supported", "significant", "Verdict: supported. The favoured groups resolved more often than the others, "
                                 "significantly at the two-sided 10% level (odds ratio 3.71, p = 0.003)."),
    ("not_supported", "not_better", "Verdict: not supported. The other manifestations resolved at least as often."),
    ("inconclusive", "not_significant", "Verdict: inconclusive. The favoured groups resolved more often, but not "
                                        "significantly at the two-sided 10% level (p = 0.003)."),
    ("inconclusive", "boundary", "Verdict: inconclusive. Not tested, as a group resolved in every case or in none, "
                                 "which leaves no finite odds ratio."),
])
def test_verdict_text_single_arm(verdict, reason, expected):
    v = verdicts("within", verdict, reason, 3.7129, 0.003)
    assert words.verdict_text(v, within().iloc[[0]], "TRT01P", 0.1, 5) == expected


def test_verdict_text_carries_the_simulation_note():
    v = verdicts("within", "supported", "significant", 3.7129, 0.003)
    text = words.verdict_text(v, within(), "TRT01P", 0.05, 5, note="These data are simulated.")
    assert text.endswith("(odds ratio 3.71, p = 0.003). These data are simulated.")


def test_verdict_word_one_decision_or_each():
    assert words.verdict_word(verdicts("within", "not_supported", "not_better")) == "not supported"
    two = pd.concat([verdicts("interaction", "supported", "significant"),
                     verdicts("interaction", "inconclusive", "no_fit").assign(arm="Low dose")])
    assert words.verdict_word(two) == "IL-2 against Placebo: supported; Low dose against Placebo: inconclusive"


def test_answer_text_one_arm_and_two():
    assert words.answer_text(within(), "TRT01P", ["IL-2", "Placebo"]) == (
        "Skin, haematological and fever manifestations resolved in 72.9% of cases against 46.0% for the others with "
        "IL-2, and in 71.6% against 30.8% with Placebo.")
    assert words.answer_text(within(), "TRT01P", ["IL-2"]) == (
        "Skin, haematological and fever manifestations resolved in 72.9% of cases against 46.0% for the others.")


def test_comparison_note_several_arms_and_one():
    assert words.comparison_note("P", ["A", "B", "P"], 5, 0.9) == (
        "A - P and B - P: difference in percentage points with the Miettinen-Nurminen 90% score interval, shown where "
        "each arm has at least 5 subjects (- otherwise); descriptive, not adjusted for multiplicity.")
    assert words.comparison_note(None, ["A"], 5, 0.95) == ""
