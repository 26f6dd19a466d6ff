"""Tests for helpers.present.prose.efficacy: the words for the efficacy, organ and cohort
chapters' codes, and the sentences computed from their results."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.present.prose import efficacy as words

NAN = float("nan")


# ---------------------------------------------------------------------------------------
# labels of codes


def test_criterion_labels_every_code():
    assert [words.criterion_label(c) for c in ("sledai", "bilag", "pga", "missing")] == [
        "SLEDAI-2K reduction", "new BILAG A or > 1 new B", "PGA worsened", "missing visit or component"]
    with pytest.raises(KeyError, match="crp"):
        words.criterion_label("crp")


def test_criteria_cover_the_analysis_codes():
    from helpers.analyses.efficacy import CRITERIA

    assert list(words.CRITERIA) == list(CRITERIA)


@pytest.mark.parametrize("k, imputation, primary, label", [
    (4, "nri", True, "SRI-4, non-responder imputation (primary)"),
    (4, "observed", False, "SRI-4, observed cases"),
    (5, "nri", False, "SRI-5, non-responder imputation"),
])
def test_sensitivity_label(k, imputation, primary, label):
    assert words.sensitivity_label(k, imputation, primary) == label


def test_endpoint_measure_and_item_labels():
    assert (words.endpoint_label("SRI4"), words.endpoint_label("SRI12"), words.endpoint_label("SRIX")) == (
        "SRI-4", "SRI-12", "SRIX")
    assert (words.measure_label("SLEDAI"), words.measure_label("PGA"), words.measure_label("PREDDOSE")) == (
        "SLEDAI-2K", "PGA", "Prednisone-equivalent dose")
    assert words.item_label("THROMBO") == "Thrombocytopenia"
    assert words.item_label("haematological") == "Haematological"
    assert words.item_label("ALL") == "All subjects"
    assert words.domain_name("musculoskeletal") == "musculoskeletal"


def test_descriptor_labels_and_names():
    assert words.descriptor_label("DNABIND") == "Increased DNA binding"
    assert (words.descriptor_name("DNABIND"), words.descriptor_name(None)) == ("increased dna binding", "no descriptor")


def test_flow_step_labels_and_reasons():
    assert [words.flow_step_label(s) for s in ("enrolled", "allocated", "treated", "completed", "discontinued", "ongoing")] == [
        "Enrolled", "Allocated", "Treated", "Completed the study", "Discontinued", "Ongoing"]
    assert words.flow_step_label("course", 3) == "Received course 3"
    assert words.flow_step_label("safety", flag="SAFFL") == "Analysed for safety (SAFFL)"
    assert words.reasons_text([("Adverse event", 1)]) == "Adverse event: 1"


def test_favoured_kind_from_the_definitions():
    assert words.FAVOURED_KIND == "skin, haematological, fever"


# ---------------------------------------------------------------------------------------
# sentences


def test_percent_of_rounds_as_a_percent_format():
    assert words.percent_of(16 / 29) == f"{16 / 29:.1%}" == "55.2%"
    assert words.percent_of(0.125, 0) == f"{0.125:.0%}"
    assert words.percent_of(pd.NA) == "-"


def test_by_arm_text_in_arm_order_total_left_out():
    f = pd.DataFrame({"TRT01A": ["Total", "Placebo", "IL-2"], "responders": [25, 9, 16], "n": [59, 30, 29],
                      "rate": [25 / 59, 0.3, 16 / 29]})
    assert words.by_arm_text(f, "TRT01A", ["IL-2", "Placebo"]) == "IL-2: 16 of 29 (55.2%); Placebo: 9 of 30 (30.0%)"


def test_p_texts():
    assert words.p_texts({"a": 0.05044, "b": NAN}) == {"a_text": "p = 0.050", "b_text": "p not computed"}


@pytest.mark.parametrize("rate, stricter, word", [
    (0.9, 0.8, "weakens"), (0.9, 0.9, "does not change"), (0.9, 0.8996, "does not change"),
    (0.5, 0.6, "strengthens"), (NAN, 0.5, "not computed"),
])
def test_stricter_thresholds(rate, stricter, word):
    assert words.stricter_thresholds(rate, stricter) == word


@pytest.mark.parametrize("change, p, word", [
    (-10.0, 0.0001, "fell"), (3.0, 0.01, "rose"), (-10.0, 0.05, "did not change significantly"),
    (0.0, 0.001, "did not change in median"), (-3.0, NAN, "could not be tested"), (-3.0, None, "could not be tested"),
])
def test_activity_change(change, p, word):
    assert words.activity_change(change, p, 0.05) == word


def verdict_test(**kw) -> dict:
    return {"favoured_rate": 0.9, "other_rate": 0.5, "favoured_n": 10, "other_n": 8, **kw}


@pytest.mark.parametrize("holds, test, sentence", [
    (True, verdict_test(), "The data support the published statement."),
    (False, verdict_test(), "The difference points the published way but is not statistically significant at the 0.01 level."),
    (False, verdict_test(other_rate=0.9),
     "The data do not support the published statement: the other manifestations resolved at least as often."),
    (None, verdict_test(favoured_n=0, favoured_rate=NAN), "The data do not allow the comparison (one of the groups is empty)."),
    (None, verdict_test(favoured_rate=0.0, other_rate=0.0), "The data do not allow the comparison (no manifestation resolved)."),
    (None, verdict_test(favoured_rate=1.0, other_rate=1.0),
     "The data do not allow the comparison (every manifestation resolved)."),
    (None, verdict_test(favoured_rate=0.0), "The data do not allow the comparison (the test could not be computed)."),
])
def test_statement_verdict(holds, test, sentence):
    assert words.statement_verdict(holds, test, 0.01) == sentence


@pytest.mark.parametrize("sizes, sentence", [
    ([2, 18], "Every subgroup is small (2 to 18 subjects, fewer than 20), and the subgroups overlap: "
              "they describe, they do not test."),
    ([1, 25, 30, 12], "2 of the 4 subgroup estimates rest on fewer than 20 subjects (the smallest on 1), and the "
                      "subgroups overlap: they describe, they do not test."),
    ([20, 40], "The subgroups hold 20 to 40 subjects and overlap: they describe, they do not test."),
    ([], "No manifestation was present at baseline, so there are no subgroups."),
])
def test_subgroups_sentence_small_only_below_the_threshold(sizes, sentence):
    assert words.subgroups_sentence(sizes, 20) == sentence


@pytest.mark.parametrize("n_active, n, enrolled, sentence", [
    (40, 40, 40, "Their lupus was active in every subject"),
    (38, 38, 40, "Their lupus was active in every subject with a baseline score (38 of 40)"),
    (30, 38, 40, "Their lupus was active in 30 of the 38 subjects with a baseline score"),
    (0, 38, 40, "No subject had active lupus"),
    (0, 0, 40, "No subject had a baseline score"),
])
def test_lupus_activity(n_active, n, enrolled, sentence):
    assert words.lupus_activity(n_active, n, enrolled) == sentence

