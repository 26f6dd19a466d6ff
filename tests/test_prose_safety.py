"""Tests of helpers.present.prose.safety: the labels and sentences of the safety chapter,
from hand-made summaries and those of the cohort of ``test_adverse_events``, expected
text written out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_adverse_events import ARMS, COURSES, adae, events, population
from test_exposure import adex

from helpers.analyses import adverse_events as ae
from helpers.analyses import exposure as ex
from helpers.present.prose import safety as words

# -- labels ---------------------------------------------------------------------------------


def test_grade_labels_of_each_scale():
    assert [words.grade_label(g, "ctcae") for g in (1, 5)] == ["Grade 1", "Grade 5"]
    assert [words.grade_label(g, "severity") for g in (1, 2, 3)] == ["Mild", "Moderate", "Severe"]
    assert words.grade_label(None, "severity") == "Grade not recorded"
    with pytest.raises(KeyError):
        words.grade_label(4, "severity")  # a severity has three grades


def test_overview_and_analysis_labels():
    assert words.overview_labels("ctcae")["grade3plus"] == "Grade 3 or higher"
    assert words.overview_labels("severity")["grade3plus"] == "Severe"
    assert words.analysis_labels("ctcae", "application-site reaction") == {
        "any": "Any TEAE", "related": "Related to study drug", "grade3plus": "Grade 3 or higher", "serious": "Serious",
        "discontinued": "Leading to discontinuation of study drug", "fatal": "Fatal",
        "site_reaction": "Application-site reaction"}


def test_site_reaction_labels_every_section():
    ev = events(adae().assign(ASTDY=[2, 100, 10, 5, 3, 40, 60, pd.NA]).astype({"ASTDY": "Int64"}))
    s = ae.summarize_site_reactions(ev, population(), arms=["A"], terms=["Injection site reaction", "Influenza"],
                                    courses=COURSES, grade_var="AESEV")
    # terms tied at one subject: by name; S5's reaction without a day is in arm B, its row a zero here
    assert words.site_reaction_labels(s, "severity", COURSES).tolist() == [
        "Any of the terms of interest", "Influenza", "Injection site reaction", "Course 1 (days 1 to 28)",
        "Course 2 (days 29 to 56)", "Outside the treatment courses", "Study day not recorded", "Mild", "Moderate",
        "Severe"]


def test_lab_and_period_labels():
    assert [words.lab_grade_label(g) for g in (0, 1, 4, pd.NA)] == ["Grade 0 (normal)", "Grade 1", "Grade 4",
                                                                     "No post-baseline value"]
    assert [words.period_label(c) for c in (pd.NA, 1, 3)] == ["All courses", "Course 1", "Course 3"]


# -- values ---------------------------------------------------------------------------------


def test_recorded_values_only_touch_counts():
    s = ae.summarize_teae_overview(events(adae().drop(columns="AEREL")), population(), arms=["A", "B"])
    v = words.recorded_values(ae.overview_by_arm(s, "TRT01A"))
    assert v["related_subjects"].tolist() == ["not recorded"] * 3
    assert v["any_subjects"].tolist() == [1, 2, 3] and all(type(x) is int for x in v["any_subjects"])
    assert np.isnan(v["related_rate"]).all() and v["any_rate"].tolist() == [0.5, 1.0, 0.75]
    assert words.recorded_value(np.float64("nan")) == "not recorded" and words.recorded_value(None) == "not recorded"


def test_or_not_planned():
    assert words.or_not_planned(21) == 21
    assert words.or_not_planned(None) == words.or_not_planned(float("nan")) == "not planned"


def test_top_term_values():
    inc = ae.summarize_ae_incidence(events(), population(), arms=ARMS)
    assert words.top_term_values(inc, "TRT01A", ARMS) == {"term": "Influenza", "n_subjects": 2, "rate": 0.5}
    empty = ae.summarize_ae_incidence(events(adae().iloc[:0]), population(), arms=ARMS)
    assert words.top_term_values(empty, "TRT01A", ARMS) == {"term": "none", "n_subjects": 0, "rate": 0.0}


# -- sentences -------------------------------------------------------------------------------


def test_format_counts_by_arm_matches_rows_and_not_recorded():
    s = ae.summarize_teae_overview(events(), population(), arms=["A", "B"])
    assert words.format_counts_by_arm(s, "TRT01A", ["A", "B"], category="fatal") == "A: 0 of 2 (0.0%); B: 1 of 2 (50.0%)"
    c = pd.DataFrame({"TRT01A": ["A", "B"], "n_subjects": pd.array([pd.NA, 1], dtype="Int64"), "n": [2, 0]})
    assert words.format_counts_by_arm(c, "TRT01A", ["A", "B"]) == "A: not recorded; B: 1 of 0"


def test_describe_grade3plus_and_teae_selection():
    assert words.describe_grade3plus("ctcae") == "an event of grade 3 or higher"
    assert words.describe_grade3plus("severity") == "a severe event"
    assert words.describe_teae_selection("TEAEFL") == "flagged treatment-emergent (TEAEFL = Y)"


def test_format_ae_records_names_the_flag_used():
    r = pd.DataFrame({"TRT01A": ["A"], "n_records": [23], "n_teae": [21], "n": [40]})
    assert words.format_ae_records(r, "TRT01A", ["A"]) == (
        "Of the 23 adverse events recorded for the safety population, 21 were flagged treatment-emergent "
        "(TRTEMFL = Y) and are analysed as treatment-emergent adverse events (TEAEs); the listing at the end shows "
        "them all.")
    one = words.format_ae_records(r.assign(n_records=1, n_teae=1), "TRT01A", ["A"], "TEAEFL")
    assert one == ("Of the 1 adverse event recorded for the safety population, 1 was flagged treatment-emergent "
                   "(TEAEFL = Y) and is analysed as a treatment-emergent adverse event (TEAE); the listing at the end "
                   "shows it.")
    assert words.format_ae_records(r.assign(n_teae=23), "TRT01A", ["A"], None) == (
        "All 23 adverse events recorded for the safety population are analysed as treatment-emergent adverse events "
        "(TEAEs): every recorded event (no treatment-emergent flag is used); the listing at the end shows them all.")
    assert words.format_ae_records(r.assign(n_records=1, n_teae=1), "TRT01A", ["A"], None).startswith(
        "The one adverse event recorded for the safety population is analysed as a treatment-emergent adverse event")
    assert words.format_ae_records(r.assign(n_records=0, n_teae=0), "TRT01A", ["A"]) == (
        "No adverse events were recorded for the safety population, so no subject had a treatment-emergent "
        "adverse event (TEAE), every count of adverse events below is zero and there is nothing to list.")


def test_format_ae_records_reads_the_total():
    s = ae.summarize_ae_records(events(), population(), arms=ARMS)
    assert words.format_ae_records(s, "TRT01A", ARMS).startswith("Of the 7 adverse events recorded for the safety "
                                                                 "population, 6 were flagged")


def test_format_ae_listing_with_and_without_events():
    r = pd.DataFrame({"TRT01A": ["A", "B", "Total"], "n_records": [0, 2, 2], "n_teae": [0, 2, 2], "n": [3, 3, 6]})
    assert words.format_ae_listing(r, "TRT01A", ["A", "B"]).startswith("Every adverse event of the safety population")
    assert words.format_ae_listing(r.assign(n_records=0), "TRT01A", ["A", "B"]) == (
        "No adverse events were recorded for the safety population: there is nothing to list.")


def test_format_ae_terms_names_the_most_frequent_term():
    inc = ae.summarize_ae_incidence(events(), population(), arms=ARMS)
    assert words.format_ae_terms(inc, "TRT01A", ARMS) == (
        "Events were reported in 2 classes under 3 preferred terms; the most frequent was Influenza "
        "(2 subjects, 50.0%).")
    no_soc = ae.summarize_ae_incidence(events(), population(), arms=["B"], soc=None)
    assert words.format_ae_terms(no_soc, "TRT01A", ["B"]) == (
        "Events were reported under 3 preferred terms; the most frequent was Influenza (1 subject, 50.0%).")
    empty = ae.summarize_ae_incidence(events(adae().iloc[:0]), population(), arms=ARMS)
    assert words.format_ae_terms(empty, "TRT01A", ARMS) == (
        "No treatment-emergent adverse event was recorded: the table holds only the row of all events, with zeros.")


def test_format_worst_grade_of_each_summary():
    reactions = ae.summarize_site_reactions(events(), population(), arms=ARMS, courses=COURSES)
    assert words.format_worst_grade(reactions, "TRT01A", ARMS, "ctcae") == "grade 2"
    max_grade = ae.summarize_ae_max_grade(events(), population(), arms=ARMS, grade_var="AESEV", soc="AEBODSYS")
    assert words.format_worst_grade(max_grade, "TRT01A", ARMS, "severity") == "severe"
    none = ae.summarize_site_reactions(events(), population(), arms=["A", "B"], terms=["Rash"])
    assert words.format_worst_grade(none, "TRT01A", ["A", "B"], "ctcae") == "none"
    empty = ae.summarize_ae_max_grade(events(adae().iloc[:0]), population(), arms=ARMS, soc="AEBODSYS")
    assert words.format_worst_grade(empty, "TRT01A", ARMS, "ctcae") == "none"


def test_format_not_recorded_rows():
    s = ae.summarize_teae_overview(events(adae().drop(columns=["AEREL", "AEACN"])), population(), arms=ARMS)
    assert words.format_not_recorded_rows(s, "ctcae") == (
        "here: related to study drug, leading to discontinuation of study drug")
    full = ae.summarize_teae_overview(events(), population(), arms=ARMS)
    assert words.format_not_recorded_rows(full, "ctcae") == "none here"


def test_format_course_counts_over_all_subjects():
    ev = events(adae().assign(ASTDY=[2, 100, 10, 5, 3, 40, 60, pd.NA]).astype({"ASTDY": "Int64"}))
    s = ae.summarize_site_reactions(ev, population(), arms=["A", "B"], terms=["Injection site reaction", "Influenza"],
                                    courses=COURSES)
    assert words.format_course_counts(s, "TRT01A", ["A", "B"]) == (
        "course 1: 1; course 2: 1; outside the treatment courses: 1")


def test_format_comparisons_name_the_test():
    counts = pd.DataFrame({"category": "any", "TRT01A": ["A", "B", "C"], "n_subjects": [16, 9, 3], "n": [29, 30, 30]})
    c = ae.compare_ae_rates(counts, "TRT01A", ["A", "B", "C"], "B")
    assert words.format_comparisons(c, "any") == (
        "A vs B: +25.2 percentage points (95% CI +0.1 to +46.3; Fisher p = 0.067); "
        "C vs B: -20.0 percentage points (95% CI -39.0 to +0.5; Fisher p = 0.104)")
    # Reference: statsmodels confint_proportions_2indep(3, 30, 9, 30, method="newcomb") = (-0.3903, 0.0054);
    # R fisher.test(matrix(c(3, 9, 27, 21), 2))$p.value = 0.104.
    chisq = ae.compare_ae_rates(counts.iloc[:2], "TRT01A", ["A", "B"], "B", test="chisq", confidence=0.9)
    assert words.format_comparisons(chisq, "any", 0.9).endswith("; chi-square p = 0.050)")
    assert "(90% CI" in words.format_comparisons(chisq, "any", 0.9)
    assert words.format_comparisons(c, "fatal") == "no comparison possible"


def test_format_comparisons_never_shows_a_negative_zero():
    c = pd.DataFrame({"analysis": "any", "comparison": ["A vs B"], "estimate": [-0.0001], "ci_low": [-0.2],
                      "ci_high": [0.2], "p_val": [1.0], "test": "fisher"})
    assert words.format_comparisons(c, "any").startswith("A vs B: +0.0 percentage points")


def test_format_answer_by_arm():
    ov = ae.summarize_teae_overview(events(), population(), arms=["A", "B"])
    reactions = ae.summarize_site_reactions(events(), population(), arms=["A", "B"])
    assert words.format_answer_by_arm(ov, reactions, "TRT01A", ["A", "B"], "injection-site reaction") == (
        "By arm, subjects with a TEAE: A: 1 of 2 (50.0%); B: 2 of 2 (100.0%); with an injection-site reaction: "
        "A: 1 of 2 (50.0%); B: 1 of 2 (50.0%).")
    assert words.format_answer_by_arm(ov, reactions, "TRT01A", ["A"], "injection-site reaction") == ""


def test_format_exposure_with_and_without_plan():
    s = ex.summarize_exposure(adex(), population(), arms=["A", "B"], courses=COURSES, planned_per_course=2)
    by_arm = ex.exposure_by_arm(s, "TRT01A")
    assert words.format_exposure(by_arm, "TRT01A", ["A", "B"], 2) == (
        "The regimen plans 4 doses per subject (2 per course). Subjects received a median of 2 doses, 37.5% of the "
        "doses planned for the safety population, and 0 subjects received every planned dose. 1 subject received "
        "at least one dose of the last course.")
    unplanned = ex.exposure_by_arm(ex.summarize_exposure(adex(), population(), arms=["A"], courses=COURSES), "TRT01A")
    assert words.format_exposure(unplanned, "TRT01A", ["A"], None) == (
        "No planned number of doses was given, so doses are not compared with a plan. Subjects received a median of "
        "2 doses. 1 subject received at least one dose of the last course.")


@pytest.mark.parametrize("frame", [adae().iloc[:0], adae().astype("str").astype({"USUBJID": "category"}).iloc[:0]])
def test_sentences_without_events(frame):
    ev = events(frame)
    reactions = ae.summarize_site_reactions(ev, population(), arms=ARMS, courses=COURSES)
    assert words.format_counts_by_arm(reactions, "TRT01A", ["A", "B"], section="any") == "A: 0 of 2 (0.0%); B: 0 of 2 (0.0%)"
    assert words.format_course_counts(reactions, "TRT01A", ARMS) == "course 1: 0; course 2: 0"
    records = ae.summarize_ae_records(ev, population(), arms=ARMS)
    assert words.format_ae_listing(records, "TRT01A", ARMS).endswith("there is nothing to list.")


# -- words from the cohort: disease, treatment, route ---------------------------------------------


def test_disease_and_treatment_names_default():
    assert words.disease_name("Alzheimer's disease") == "Alzheimer's disease"
    assert words.disease_name(None) == words.disease_name("  ") == "the disease"
    assert words.treatment_name(None) == "the study treatment"


@pytest.mark.parametrize("route, label", [
    ("subcutaneous", "injection-site reaction"), ("Intravenous", "infusion-site reaction"),
    ("transdermal patch", "application-site reaction"), ("oral", "administration-site reaction"),
    (None, "administration-site reaction"),
])
def test_site_reaction_label_from_route(route, label):
    assert words.site_reaction_label(route) == label


def test_describe_administration_by_route():
    assert words.describe_administration("low-dose IL-2", "subcutaneous") == "Low-dose IL-2 was given by subcutaneous injection."
    assert words.describe_administration("xanomeline", "transdermal patch") == "Xanomeline was given as a transdermal patch."
    assert words.describe_administration(None, "oral") == "The study treatment was given by mouth."
    assert words.describe_administration("x", "") == ""


def test_describe_site_reactions_never_says_injection_for_a_patch():
    patch = words.describe_site_reactions("xanomeline", "transdermal patch", "application-site reaction")
    assert patch == ("Xanomeline was given as a transdermal patch, so a reaction of the skin where it is applied "
                     "(an application-site reaction) is the expected local effect.")
    assert "inject" not in patch and "under the skin" not in patch
    assert words.describe_site_reactions("a tablet", "oral", "administration-site reaction") == "A tablet was given by mouth."
    assert words.describe_site_reactions("x", None, "injection-site reaction") == ""


def test_describe_baseline_cytopenia_only_lupus_says_lupus():
    assert words.describe_baseline_cytopenia("systemic lupus erythematosus") == (
        "In systemic lupus erythematosus, low counts are often present before treatment.")
    for disease in ("Alzheimer's disease", None):
        text = words.describe_baseline_cytopenia(disease)
        assert text == "A low count present at baseline is not an effect of treatment." and "lupus" not in text


def test_describe_lab_toxicity_names_the_graded_tests_or_none():
    assert words.describe_lab_toxicity(pd.DataFrame({"PARAMCD": ["HGB", "WBC"]})) == "Graded here: WBC and HGB."
    none = words.describe_lab_toxicity(pd.DataFrame({"PARAMCD": pd.Series([], dtype="str")}))
    assert none.startswith("The laboratory table holds none of the blood counts that CTCAE grades as decreased")


# -- infections --------------------------------------------------------------------------------------


def test_infection_labels_and_sections():
    s = pd.DataFrame({"measure": ["infection_any", "infection_serious", "infection_herpes_zoster", "term_pyrexia",
                                  "sae_pneumonia"],
                      "term": ["", "", "Herpes zoster", "Pyrexia", "Pneumonia"]})
    assert words.infection_labels(s).tolist() == ["Any infection", "Serious infection", "Herpes zoster", "Pyrexia",
                                                  "Pneumonia"]
    assert [words.infection_section(m) for m in s["measure"]] == [
        "Infections", "Infections", "Infections", "Other adverse events of interest",
        "Serious adverse events by preferred term"]


def test_format_infections_by_arm_and_single_arm():
    s = pd.DataFrame({"measure": ["infection_any"] * 2 + ["infection_serious"] * 2, "term": "",
                      "arm": ["IL-2", "Placebo"] * 2, "n_subjects": [2, 6, 0, 2], "n": [29, 30] * 2})
    assert words.format_infections(s, ["IL-2", "Placebo"]) == (
        "Subjects with an infection: IL-2: 2 of 29 (6.9%); Placebo: 6 of 30 (20.0%); with a serious infection: "
        "IL-2: 0 of 29 (0.0%); Placebo: 2 of 30 (6.7%).")
    one = s[(s["arm"] == "IL-2") & (s["measure"] == "infection_any")]
    assert words.format_infections(one, ["IL-2"]) == "Subjects with an infection: 2 of 29 (6.9%)."
