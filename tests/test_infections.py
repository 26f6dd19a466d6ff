"""Tests of helpers.analyses.infections on a tiny hand-made safety population, expected
values written out.

The cohort (safety population; arm C has no subject):

=======  ===  =====================================================================
subject  arm  treatment-emergent adverse events (TRTEMFL = Y unless said)
=======  ===  =====================================================================
S1       A    INF/Upper respiratory tract infection (twice); GEN/Pyrexia
S2       A    INF/herpes zoster (lower case, serious)
S3       A    GEN/Injection site reaction
S4       B    INF/Pneumonia (serious); NEU/Neuropsychiatric lupus (serious)
S5       B    INF/Upper respiratory tract infection; INF/Cystitis with TRTEMFL blank
S6       B    none
S7       B    GEN/Influenza like illness
=======  ===  =====================================================================
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analyses import infections as inf

INF = "Infections and infestations"
ARMS = ["A", "B", "C"]


def population() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [f"S{i}" for i in range(1, 8)], "TRT01A": ["A"] * 3 + ["B"] * 4})


def events() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1", "S2", "S3", "S4", "S4", "S5", "S5", "S7"],
        "TRT01A": ["A"] * 5 + ["B"] * 5,
        "AEBODSYS": [INF, INF, "General disorders", INF, "General disorders", INF, "Nervous system disorders",
                     INF, INF.upper(), "General disorders"],
        "AEDECOD": ["Upper respiratory tract infection", "Upper respiratory tract infection", "Pyrexia",
                    "herpes zoster", "Injection site reaction", "Pneumonia", "Neuropsychiatric lupus",
                    "Upper respiratory tract infection", "Cystitis", "Influenza like illness"],
        "AESER": ["N", "N", "N", "Y", "N", "Y", "Y", "", "N", "N"],
        "TRTEMFL": ["Y"] * 8 + ["", "Y"],
    })


def counts(frame: pd.DataFrame) -> dict:
    return {(m, a): int(k) for m, a, k in zip(frame["measure"], frame["arm"], frame["n_subjects"], strict=True)}


# -- term_code and result_name -------------------------------------------------------------


def test_term_code_lower_case_and_underscores():
    assert inf.term_code("Upper respiratory tract infection") == "upper_respiratory_tract_infection"
    assert inf.term_code(" Influenza-like illness (ILI) ") == "influenza_like_illness_ili"


def test_term_code_without_letters():
    with pytest.raises(ValueError, match=r"term_code: the preferred term '--' has no letter or digit"):
        inf.term_code("--")


def test_result_name_statistic_last():
    assert inf.result_name("infection_any", "n") == "infection_any_n"


# -- summarize_infections ----------------------------------------------------------------------


def test_summarize_infections_counts_by_arm():
    s = inf.summarize_infections(events(), population(), arms=ARMS)
    assert s["measure"].drop_duplicates().tolist() == [
        "infection_any", "infection_serious", "infection_herpes_zoster", "infection_upper_respiratory_tract_infection",
        "infection_pneumonia",
    ]
    assert counts(s) == {
        ("infection_any", "A"): 2, ("infection_any", "B"): 2, ("infection_any", "C"): 0,
        ("infection_serious", "A"): 1, ("infection_serious", "B"): 1, ("infection_serious", "C"): 0,
        ("infection_herpes_zoster", "A"): 1, ("infection_herpes_zoster", "B"): 0, ("infection_herpes_zoster", "C"): 0,
        ("infection_upper_respiratory_tract_infection", "A"): 1, ("infection_upper_respiratory_tract_infection", "B"): 1,
        ("infection_upper_respiratory_tract_infection", "C"): 0,
        ("infection_pneumonia", "A"): 0, ("infection_pneumonia", "B"): 1, ("infection_pneumonia", "C"): 0,
    }
    # the term as the data spell it; the rate a fraction of the arm; none for an empty arm
    assert s.loc[s["measure"] == "infection_herpes_zoster", "term"].iloc[0] == "herpes zoster"
    any_rows = s[s["measure"] == "infection_any"]
    assert any_rows["n"].tolist() == [3, 4, 0]
    assert any_rows["rate"].tolist()[:2] == [2 / 3, 0.5] and math.isnan(any_rows["rate"].iloc[2])


def test_summarize_infections_herpes_zoster_row_without_events():
    ev = events()
    s = inf.summarize_infections(ev[ev["USUBJID"] != "S2"], population(), arms=["A", "B"])
    assert counts(s)[("infection_herpes_zoster", "A")] == 0
    assert s.loc[s["measure"] == "infection_herpes_zoster", "term"].iloc[0] == "Herpes zoster"


def test_summarize_infections_every_event_without_flag():
    s = inf.summarize_infections(events(), population(), arms=["A", "B"], teae_flag=None)
    assert counts(s)[("infection_cystitis", "B")] == 1  # the unflagged cystitis counts now


def test_summarize_infections_without_aeser_has_no_serious_row():
    s = inf.summarize_infections(events().drop(columns="AESER"), population(), arms=["A", "B"])
    assert "infection_serious" not in set(s["measure"])


def test_summarize_infections_no_events():
    s = inf.summarize_infections(events().iloc[:0], population(), arms=["A", "B"])
    assert s["measure"].drop_duplicates().tolist() == ["infection_any", "infection_serious", "infection_herpes_zoster"]
    assert s["n_subjects"].tolist() == [0] * 6


def test_summarize_infections_needs_the_columns():
    with pytest.raises(ValueError, match=r"summarize_infections: adae lacks columns \['AEBODSYS'\]"):
        inf.summarize_infections(events().drop(columns="AEBODSYS"), population())
    with pytest.raises(ValueError, match=r"summarize_infections: population lacks columns \['TRT01A'\]"):
        inf.summarize_infections(events(), population().drop(columns="TRT01A"))


# -- terms of interest and serious events by term -------------------------------------------------


def test_summarize_terms_of_interest_leaves_infections_out():
    s = inf.summarize_terms_of_interest(events(), population(), arms=["A", "B"],
                                        terms=["Pyrexia", "Pneumonia", "influenza like illness", "Fatigue", "PYREXIA"])
    assert s["measure"].drop_duplicates().tolist() == ["term_pyrexia", "term_influenza_like_illness", "term_fatigue"]
    assert s["term"].drop_duplicates().tolist() == ["Pyrexia", "Influenza like illness", "Fatigue"]
    assert counts(s) == {("term_pyrexia", "A"): 1, ("term_pyrexia", "B"): 0,
                         ("term_influenza_like_illness", "A"): 0, ("term_influenza_like_illness", "B"): 1,
                         ("term_fatigue", "A"): 0, ("term_fatigue", "B"): 0}


def test_summarize_terms_of_interest_none():
    assert len(inf.summarize_terms_of_interest(events(), population(), arms=["A", "B"])) == 0


def test_summarize_serious_by_term():
    s = inf.summarize_serious_by_term(events(), population(), arms=["A", "B"])
    assert s["measure"].drop_duplicates().tolist() == ["sae_herpes_zoster", "sae_neuropsychiatric_lupus", "sae_pneumonia"]
    assert counts(s) == {("sae_herpes_zoster", "A"): 1, ("sae_herpes_zoster", "B"): 0,
                         ("sae_neuropsychiatric_lupus", "A"): 0, ("sae_neuropsychiatric_lupus", "B"): 1,
                         ("sae_pneumonia", "A"): 0, ("sae_pneumonia", "B"): 1}


def test_summarize_serious_by_term_none_serious():
    s = inf.summarize_serious_by_term(events().assign(AESER="N"), population(), arms=["A", "B"])
    assert len(s) == 0 and list(s.columns) == ["measure", "term", "arm", "n_subjects", "n", "rate"]


def test_summarize_serious_by_term_needs_aeser():
    with pytest.raises(ValueError, match=r"summarize_serious_by_term: adae lacks columns \['AESER'\]"):
        inf.summarize_serious_by_term(events().drop(columns="AESER"), population())


def test_summarize_events_of_interest_stacks_the_three():
    s = inf.summarize_events_of_interest(events(), population(), arms=["A", "B"], terms=["Pyrexia"])
    assert s["measure"].drop_duplicates().tolist() == [
        "infection_any", "infection_serious", "infection_herpes_zoster", "infection_upper_respiratory_tract_infection",
        "infection_pneumonia", "term_pyrexia", "sae_herpes_zoster", "sae_neuropsychiatric_lupus", "sae_pneumonia",
    ]


# -- comparisons -------------------------------------------------------------------------------


def test_compare_infection_rates_table3_counts():
    # He et al. 2020, Table 3: infections 2/29 vs 6/30. The score test: statsmodels
    # test_proportions_2indep(2, 29, 6, 30, method="score") gives p = 0.1451; the interval
    # is the set of differences that test does not reject (helpers.stats.rates, checked in
    # its own tests; statsmodels' score interval is wrong here, its issue #10269).
    s = pd.DataFrame({"measure": "infection_any", "arm": ["IL-2", "Placebo"], "n_subjects": [2, 6], "n": [29, 30]})
    c = inf.compare_infection_rates(s, ["IL-2", "Placebo"], "Placebo")
    assert c[["measure", "arm", "reference", "n_subjects", "n", "ref_subjects", "ref_n"]].values.tolist() == [
        ["infection_any", "IL-2", "Placebo", 2, 29, 6, 30]]
    assert c[["estimate", "ci_low", "ci_high", "p_val"]].round(4).values.tolist() == [[-0.131, -0.3189, 0.0521, 0.1451]]
    assert c["method"].iloc[0] == "Miettinen-Nurminen score interval and score test"


def test_compare_infection_rates_zero_in_both_arms():
    s = pd.DataFrame({"measure": "x", "arm": ["A", "B"], "n_subjects": [0, 0], "n": [29, 30]})
    c = inf.compare_infection_rates(s, ["A", "B"], "B")
    assert c[["estimate", "ci_low", "ci_high", "p_val"]].round(4).values.tolist() == [[0.0, -0.1152, 0.1187, 1.0]]


def test_compare_infection_rates_empty_arm_gives_missing():
    s = pd.DataFrame({"measure": "x", "arm": ["A", "B"], "n_subjects": [0, 1], "n": [0, 3]})
    c = inf.compare_infection_rates(s, ["A", "B"], "B")
    assert c[["estimate", "ci_low", "ci_high", "p_val"]].isna().all(axis=None)


def test_compare_infection_rates_one_arm_has_no_comparison():
    s = pd.DataFrame({"measure": "x", "arm": ["A"], "n_subjects": [1], "n": [3]})
    assert len(inf.compare_infection_rates(s, ["A"], "A")) == 0


def test_compare_infection_rates_errors():
    s = pd.DataFrame({"measure": "x", "arm": ["A", "B"], "n_subjects": [0, 1], "n": [2, 3]})
    with pytest.raises(ValueError, match=r"compare_infection_rates: reference arm 'C' is not one of \['A', 'B'\]"):
        inf.compare_infection_rates(s, ["A", "B"], "C")
    with pytest.raises(ValueError, match=r"compare_infection_rates: confidence must be between 0 and 1, got 95"):
        inf.compare_infection_rates(s, ["A", "B"], "B", confidence=95)
    with pytest.raises(ValueError, match=r"compare_infection_rates: summary lacks columns \['n'\]"):
        inf.compare_infection_rates(s.drop(columns="n"), ["A", "B"], "B")


# -- values to glue ----------------------------------------------------------------------------------


def test_infection_values_one_row_per_arm():
    s = inf.summarize_infections(events(), population(), arms=["A", "B"])
    v = inf.infection_values(s)
    assert v["arm"].tolist() == ["A", "B"]
    assert v["infection_any_n"].tolist() == [2, 2]
    assert v["infection_serious_rate"].tolist() == [1 / 3, 0.25]
    assert list(v.columns[:3]) == ["arm", "infection_any_n", "infection_any_rate"]


def test_infection_difference_values_names():
    s = pd.DataFrame({"measure": ["infection_any"] * 3, "arm": ["A", "B", "C"], "n_subjects": [2, 6, 1],
                      "n": [29, 30, 10]})
    d = inf.infection_difference_values(inf.compare_infection_rates(s, ["A", "B", "C"], "C"))
    assert d[["arm", "reference"]].values.tolist() == [["A", "C"], ["B", "C"]]
    assert list(d.columns[2:]) == ["infection_any_diff", "infection_any_diff_ci_low", "infection_any_diff_ci_high",
                                   "infection_any_diff_p"]
    assert d["infection_any_diff"].round(4).tolist() == [-0.031, 0.1]


def test_infection_values_need_the_columns():
    with pytest.raises(ValueError, match=r"infection_values: summary lacks columns \['rate'\]"):
        inf.infection_values(pd.DataFrame({"measure": [], "arm": [], "n_subjects": []}))
    with pytest.raises(ValueError, match=r"infection_difference_values: comparisons lacks columns \['p_val'\]"):
        inf.infection_difference_values(pd.DataFrame({"measure": [], "arm": [], "reference": [], "estimate": [],
                                                      "ci_low": [], "ci_high": []}))
