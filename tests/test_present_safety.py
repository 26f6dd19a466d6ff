"""Tests of helpers.present.safety: the safety tables and figures, from the summaries of
the hand-made cohort of ``test_adverse_events`` (arms A, B and an empty C), expected
cells written out."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from test_adverse_events import ARMS, COURSES, adae, events, population
from test_exposure import adex
from test_lab_toxicity import adlb

from helpers.analyses import adverse_events as ae
from helpers.analyses import exposure as ex
from helpers.analyses import lab_toxicity as lab
from helpers.present import safety as show

# -- overview ---------------------------------------------------------------------------


def test_teae_overview_table_labels_and_csv():
    s = ae.summarize_teae_overview(events(), population(), arms=ARMS)
    t = show.teae_overview_table(s, "TRT01A", ARMS)
    assert list(t.data.columns) == ["category", "label", "criterion", "TRT01A", "recorded", "n_subjects", "n_events",
                                    "n", "pct"]
    assert t.data["label"].drop_duplicates().tolist() == ["Any TEAE", "Related to study drug", "Grade 3 or higher",
                                                          "Serious", "Leading to discontinuation of study drug", "Fatal"]
    assert list(t.display.columns) == ["Subjects with", "A (N = 2)", "B (N = 2)", "C (N = 0)", "Total (N = 4)"]
    assert t.display.iloc[0].tolist() == ["Any TEAE", "1 (50.0%) [3]", "2 (100.0%) [3]", "0", "3 (75.0%) [6]"]
    assert t.notes[1].startswith("Definitions: related to study drug: AEREL in RELATED, PROBABLE")


def test_teae_overview_table_severity_names_the_row_severe():
    s = ae.summarize_teae_overview(events(), population(), arms=ARMS, grade_var="AESEV")
    t = show.teae_overview_table(s, "TRT01A", ARMS, scale="severity")
    assert t.data.loc[t.data["category"] == "grade3plus", "label"].iloc[0] == "Severe"
    assert "severe: AESEV = SEVERE" in t.notes[1]


def test_teae_overview_table_not_recorded():
    s = ae.summarize_teae_overview(events(adae().drop(columns=["AEREL", "AETOXGR", "AEACN", "AEOUT"])), population(),
                                   arms=ARMS)
    table = show.teae_overview_table(s, "TRT01A", ARMS)
    assert table.display.iloc[1].tolist() == ["Related to study drug"] + ["not recorded"] * 4
    assert table.display.iloc[3].tolist() == ["Serious", "1 (50.0%) [1]", "1 (50.0%) [1]", "0", "2 (50.0%) [2]"]
    assert table.notes[2] == ("Not recorded: the data lack the variable this row needs (related to study drug, grade 3 "
                              "or higher, leading to discontinuation of study drug, fatal).")


# -- incidence and maximum grade --------------------------------------------------------------


def test_ae_incidence_table_filters_terms_but_keeps_classes():
    s = ae.summarize_ae_incidence(events(), population(), arms=["A", "B"])
    t = show.ae_incidence_table(s, "TRT01A", ["A", "B"], min_pct=60)
    assert t.display["Preferred term"].tolist() == ["Any TEAE", "Any term in the class", "Any term in the class"]
    assert len(t.data) == len(s)  # the CSV keeps every term
    assert list(t.display.columns) == ["System organ class", "Preferred term", "A (N = 2)", "B (N = 2)", "Total (N = 4)"]
    assert t.title.endswith("(terms in at least 60% of an arm)")
    every = show.ae_incidence_table(s, "TRT01A", ["A", "B"])
    assert every.display["Preferred term"].tolist() == ["Any TEAE", "Any term in the class", "Injection site reaction",
                                                        "Any term in the class", "Influenza", "Pneumonia"]


def test_ae_max_grade_table_ctcae_labels():
    s = ae.summarize_ae_max_grade(events(), population(), arms=ARMS)
    t = show.ae_max_grade_table(s, "TRT01A", ARMS, "AETOXGR")
    total = t.data[t.data["TRT01A"] == "Total"]
    assert total["grade_label"].tolist() == ["Grade 1", "Grade 2", "Grade 3", "Grade 4", "Grade 5"]
    assert list(t.data.columns) == ["level", "soc", "grade", "grade_label", "TRT01A", "n_subjects", "n", "pct"]
    assert t.notes == ["Subjects n (%) by the highest CTCAE grade (AETOXGR) of their treatment-emergent adverse "
                       "events, within each class."]


def test_ae_max_grade_table_severity_by_class():
    s = ae.summarize_ae_max_grade(events(), population(), arms=ARMS, grade_var="AESEV", soc="AEBODSYS")
    t = show.ae_max_grade_table(s, "TRT01A", ARMS, "AESEV", scale="severity")
    total = t.data[t.data["TRT01A"] == "Total"]
    assert [tuple(r) for r in total[["soc", "grade_label", "n_subjects"]].itertuples(index=False)] == [
        ("", "Mild", 1), ("", "Moderate", 0), ("", "Severe", 2),
        ("GEN", "Mild", 1), ("GEN", "Moderate", 1), ("GEN", "Severe", 0),
        ("INF", "Mild", 0), ("INF", "Moderate", 0), ("INF", "Severe", 2),
    ]
    assert t.groupname == "System organ class" and "severity (AESEV)" in t.notes[0]


def test_ae_max_grade_table_without_grades():
    s = ae.summarize_ae_max_grade(events(adae().drop(columns="AETOXGR")), population(), arms=["A", "B"])
    t = show.ae_max_grade_table(s, "TRT01A", ["A", "B"], "AETOXGR")
    assert t.data[t.data["TRT01A"] == "Total"]["grade_label"].tolist()[-1] == "Grade not recorded"


# -- site reactions -------------------------------------------------------------------------


def test_site_reaction_table_labels_courses_and_grades():
    s = ae.summarize_site_reactions(events(), population(), arms=ARMS, courses=COURSES)
    t = show.site_reaction_table(s, "TRT01A", ARMS, ["Injection site reaction"], courses=COURSES)
    total = t.data[t.data["TRT01A"] == "Total"]
    assert [tuple(r) for r in total[["section", "label", "n_subjects"]].itertuples(index=False)] == [
        ("any", "Any of the terms of interest", 2),
        ("course", "Course 1 (days 1 to 28)", 2),
        ("course", "Course 2 (days 29 to 56)", 1),
        ("grade", "Grade 1", 1), ("grade", "Grade 2", 1), ("grade", "Grade 3", 0), ("grade", "Grade 4", 0),
        ("grade", "Grade 5", 0),
    ]
    assert list(t.data.columns) == ["section", "label", "course", "grade", "TRT01A", "n_subjects", "n_events", "n", "pct"]
    assert t.title == "Injection-site reactions: subjects, course of onset and worst grade"
    assert t.display.iloc[1].tolist() == ["By course of onset", "Course 1 (days 1 to 28)", "1 (50.0%) [1]",
                                          "1 (50.0%) [1]", "0", "2 (50.0%) [2]"]


def test_site_reaction_table_outside_courses_and_missing_day():
    ev = events(adae().assign(ASTDY=[2, 100, 10, 5, 3, 40, 60, pd.NA]).astype({"ASTDY": "Int64"}))
    s = ae.summarize_site_reactions(ev, population(), arms=["A", "B"], terms=["INJECTION SITE REACTION", "influenza"],
                                    courses=COURSES)
    t = show.site_reaction_table(s, "TRT01A", ["A", "B"], ["INJECTION SITE REACTION", "influenza"],
                                 "application-site reaction", courses=COURSES)
    total = t.data[t.data["TRT01A"] == "Total"].set_index("label")["n_subjects"].to_dict()
    assert total["Any of the terms of interest"] == 3
    assert total["Injection site reaction"] == 2 and total["Influenza"] == 2
    assert total["Outside the treatment courses"] == 1 and total["Study day not recorded"] == 1
    assert t.title.startswith("Application-site reactions:")


# -- comparison ---------------------------------------------------------------------------------


def test_safety_comparison_table_names_the_test_from_the_data():
    counts = pd.DataFrame({"category": ["any"] * 2 + ["site_reaction"] * 2, "TRT01A": ["A", "B"] * 2,
                           "n_subjects": [16, 9, 5, 1], "n": [29, 30, 29, 30]})
    fisher = ae.compare_ae_rates(counts, "TRT01A", ["A", "B"], "B")
    t = show.safety_comparison_table(fisher, "B", {"any": "Any TEAE", "site_reaction": "Injection-site reaction"})
    assert t.display["Analysis"].tolist() == ["Any TEAE", "Injection-site reaction"]
    assert t.display["p"].tolist()[0] == "0.067"
    assert t.notes == ["Safety population. Reference arm: B. Estimate: difference in the percentage of subjects "
                       "(percentage points); Newcombe hybrid score interval; p: Fisher's exact test."]
    assert t.data["analysis"].tolist() == ["Any TEAE", "Injection-site reaction"]  # the CSV names the analyses
    assert t.data["test"].tolist() == ["fisher", "fisher"]
    chisq = ae.compare_ae_rates(counts, "TRT01A", ["A", "B"], "B", test="chisq")
    t = show.safety_comparison_table(chisq, "B", {"any": "Any TEAE", "site_reaction": "Injection-site reaction"},
                                     confidence=0.9)
    assert t.notes[0].endswith("p: Pearson chi-square test.") and t.display["p"].tolist()[0] == "0.050"
    assert "Estimate (90% CI)" in t.display.columns


# -- listing --------------------------------------------------------------------------------------


def test_ae_listing_table_identifies_subjects_by_usubjid_only():
    t = show.ae_listing_table(ae.list_adverse_events(events(), arms=ARMS))
    assert list(t.display.columns) == [
        "Subject", "Arm", "Day", "System organ class", "Preferred term", "CTCAE grade", "Serious", "Relationship",
        "Action taken", "Outcome", "Treatment-emergent",
    ]
    assert "SUBJID" not in t.data.columns and "SITEID" not in t.data.columns
    assert t.display["Subject"].tolist() == ["S1", "S1", "S1", "S2", "S4", "S4", "S5"]
    assert t.display["Day"].tolist() == ["2", "10", "30", "5", "40", "60", "1"]
    assert t.display["Treatment-emergent"].tolist() == ["Y", "Y", "Y", "N", "Y", "Y", "Y"]


def test_ae_listing_table_severity_header():
    listing = ae.list_adverse_events(events(adae().drop(columns="AETOXGR")), arms=ARMS, grade_var="AESEV")
    t = show.ae_listing_table(listing, grade_var="AESEV", scale="severity")
    assert "Severity" in t.display.columns and "CTCAE grade" not in t.display.columns


# -- exposure and laboratory ----------------------------------------------------------------------


def test_exposure_table_periods_and_plan():
    s = ex.summarize_exposure(adex(), population(), arms=["A", "B"], courses=COURSES, planned_per_course=2)
    t = show.exposure_table(s, "TRT01A", ["A", "B"])
    assert t.data["period"].drop_duplicates().tolist() == ["All courses", "Course 1", "Course 2"]
    assert list(t.data.columns)[:3] == ["period", "course", "TRT01A"]
    rows = t.display[t.display["Period"] == "All courses"].set_index("")
    assert rows.loc["Doses given of planned, n/N (%)"].tolist() == ["All courses", "3/8 (37.5%)", "3/8 (37.5%)",
                                                                    "6/16 (37.5%)"]
    assert "The cumulative dose is not totalled over arms that received different treatments." in t.notes


def test_exposure_table_without_plan():
    s = ex.summarize_exposure(adex(), population(), arms=["A", "B"])
    t = show.exposure_table(s, "TRT01A", ["A", "B"])
    assert "Doses given" in set(t.display[""])


def test_lab_worst_grade_table_labels():
    s = lab.summarize_lab_worst_grade(adlb(), population(), arms=ARMS)
    t = show.lab_worst_grade_table(s, "TRT01A", ARMS)
    total = t.data[t.data["TRT01A"] == "Total"]
    assert total["grade_label"].tolist() == ["Grade 0 (normal)", "Grade 1", "Grade 2", "Grade 3", "Grade 4",
                                             "No post-baseline value"]
    assert list(t.data.columns) == ["PARAMCD", "term", "grade", "grade_label", "TRT01A", "n_subjects", "n", "pct"]
    assert t.display["Test"].unique().tolist() == ["Platelet count decreased (PLAT)"]


def test_lab_shift_table_columns():
    s = lab.summarize_lab_shift(adlb(), population(), arms=["A", "B"])
    t = show.lab_shift_table(s, "TRT01A", ["A", "B"])
    assert list(t.display.columns)[-1] == "No post-baseline value"
    assert list(t.display.columns)[2:7] == [f"Worst grade {g}" for g in range(5)]
    assert t.display["Test"].unique().tolist() == ["Platelet count decreased (PLAT), A", "Platelet count decreased (PLAT), B"]


# -- a trial with no adverse events ---------------------------------------------------------------

EMPTY = [adae().iloc[:0], adae().astype("str").astype({"USUBJID": "category"}).iloc[:0]]


@pytest.mark.parametrize("frame", EMPTY)
def test_tables_without_events_show_zeros(frame):
    ev = events(frame)
    overview = show.teae_overview_table(ae.summarize_teae_overview(ev, population(), arms=ARMS), "TRT01A", ARMS)
    assert overview.display.iloc[:, 1:].stack().unique().tolist() == ["0"]
    assert len(overview.notes) == 2  # no "not recorded" note
    incidence = show.ae_incidence_table(ae.summarize_ae_incidence(ev, population(), arms=ARMS), "TRT01A", ARMS, min_pct=5)
    assert incidence.display.values.tolist() == [["Any TEAE", "0", "0", "0", "0"]]
    max_grade = ae.summarize_ae_max_grade(ev, population(), arms=ARMS, soc="AEBODSYS")
    display = show.ae_max_grade_table(max_grade, "TRT01A", ARMS, "AETOXGR").display
    assert display.iloc[:, 1:].stack().unique().tolist() == ["0"]
    reactions = ae.summarize_site_reactions(ev, population(), arms=ARMS, courses=COURSES)
    display = show.site_reaction_table(reactions, "TRT01A", ARMS, ["Injection site reaction"], courses=COURSES).display
    assert display.iloc[:, 2:].stack().unique().tolist() == ["0"]
    listing = show.ae_listing_table(ae.list_adverse_events(ev, arms=ARMS))
    assert listing.display.empty and listing.data.empty
    assert list(listing.display.columns)[:3] == ["Subject", "Arm", "Day"]


def test_safety_figures_no_events():
    ev = events(adae().iloc[:0])
    inc = ae.summarize_ae_incidence(ev, population(), arms=["A", "B"])
    fig = show.ae_terms_figure(inc, "TRT01A", ["A", "B"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["No treatment-emergent adverse event was recorded"]
    plt.close(fig)
    reactions = ae.summarize_site_reactions(ev, population(), arms=["A", "B"], courses=COURSES)
    fig = show.site_reaction_course_figure(reactions, "TRT01A", ["A", "B"], COURSES)
    assert fig.axes[0].get_xlim() == (0.0, 1.0)  # zero bars on an axis from 0, not one around 0
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Course 1 (days 1 to 28)", "Course 2 (days 29 to 56)"]
    plt.close(fig)


def test_ae_terms_figure_most_frequent_first():
    inc = ae.summarize_ae_incidence(events(), population(), arms=["A", "B"])
    fig = show.ae_terms_figure(inc, "TRT01A", ["A", "B"], top=2)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Influenza", "Injection site reaction"]
    plt.close(fig)


# -- infections -------------------------------------------------------------------------------


def test_infections_table_cells_and_differences():
    from helpers.analyses import infections as inf

    s = pd.DataFrame({"measure": ["infection_any"] * 2 + ["term_pyrexia"] * 2,
                      "term": ["", "", "Pyrexia", "Pyrexia"], "arm": ["IL-2", "Placebo"] * 2,
                      "n_subjects": [2, 6, 4, 0], "n": [29, 30] * 2, "rate": [2 / 29, 0.2, 4 / 29, 0.0]})
    c = inf.compare_infection_rates(s, ["IL-2", "Placebo"], "Placebo")
    t = show.infections_table(s, c, ["IL-2", "Placebo"])
    assert t.display.columns.tolist() == ["Section", "", "IL-2 (N = 29)", "Placebo (N = 30)",
                                          "IL-2 - Placebo, percentage points (95% CI)", "p, IL-2 vs Placebo"]
    assert t.display.values.tolist() == [
        ["Infections", "Any infection", "2 (6.9%)", "6 (20.0%)", "-13.1 (-31.9 to 5.2)", "0.145"],
        ["Other adverse events of interest", "Pyrexia", "4 (13.8%)", "0", "13.8 (1.5 to 30.7)", "0.037"],
    ]
    assert t.name == "infections" and len(t.notes) == 2
    assert list(t.data.columns) == ["measure", "label", "term", "arm", "n_subjects", "n", "rate"]


def test_infections_table_one_arm_has_no_difference_columns():
    s = pd.DataFrame({"measure": ["infection_any"], "term": [""], "arm": ["IL-2"], "n_subjects": [5], "n": [40],
                      "rate": [0.125]})
    empty = pd.DataFrame(columns=["measure", "arm", "reference", "estimate", "ci_low", "ci_high", "p_val"])
    t = show.infections_table(s, empty, ["IL-2"])
    assert t.display.values.tolist() == [["Infections", "Any infection", "5 (12.5%)"]]
    assert len(t.notes) == 1
