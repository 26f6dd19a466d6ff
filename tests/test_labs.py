"""The generic labs chapter: helpers.analyses.labs and helpers.present.labs on hand-made
BDS frames (expected values written out), and the CDISC pilot's adlbhy.xpt read through
its cohort.yml, counted against plain pandas on the same file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import labs
from helpers.present import labs as view
from helpers.present.prose import markers as words

ROOT = Path(__file__).resolve().parents[1]
PILOT = ROOT.parent / "shared" / "external" / "cdiscpilot01"


def bds(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------------------------
# ranges and derived columns


def test_find_range_columns_prefers_anrlo_then_a1lo():
    both = bds(ANRLO=[1.0], ANRHI=[2.0], A1LO=[3.0], A1HI=[4.0])
    assert labs.find_range_columns(both) == ("ANRLO", "ANRHI")
    blank = bds(ANRLO=[np.nan], ANRHI=[np.nan], A1LO=[3.0], A1HI=[4.0])
    assert labs.find_range_columns(blank) == ("A1LO", "A1HI"), "an all-blank ANRLO/ANRHI pair is skipped"
    assert labs.find_range_columns(both, "A1LO", "A1HI") == ("A1LO", "A1HI")
    assert labs.find_range_columns(bds(AVAL=[1.0])) is None


def test_find_range_columns_errors():
    with pytest.raises(ValueError, match="name both range columns"):
        labs.find_range_columns(bds(A1LO=[1.0]), "A1LO", None)
    with pytest.raises(ValueError, match=r"range columns \['LBSTNRHI'\] are not in the lab table"):
        labs.find_range_columns(bds(A1LO=[1.0]), "A1LO", "LBSTNRHI")


def test_compute_range_category_limits_included_and_one_sided():
    value = pd.Series([3.0, 8.0, 2.9, 8.1, 5.0, 5.0, np.nan])
    low = pd.Series([3.0, 3.0, 3.0, 3.0, np.nan, 6.0, 3.0])
    high = pd.Series([8.0, 8.0, 8.0, 8.0, 4.0, np.nan, 8.0])
    assert labs.compute_range_category(value, low, high).tolist() == [
        "NORMAL", "NORMAL", "LOW", "HIGH", "HIGH", "LOW", "MISSING"]
    assert labs.compute_range_category(pd.Series([5.0]), pd.Series([np.nan]), pd.Series([np.nan])).tolist() == ["MISSING"]


def test_derive_lab_columns_derives_what_is_absent():
    lb = bds(USUBJID=["1", "1", "1", "2"], AVISITN=[0, 2, 4, 2], PARAMCD=["ALT", "ALT", "ALT", "ALT"],
             AVAL=[20.0, 50.0, np.nan, 5.0], A1LO=6.0, A1HI=34.0)
    out = labs.derive_lab_columns(lb)
    assert out["BASE"].tolist()[:3] == [20.0, 20.0, 20.0] and np.isnan(out["BASE"].iloc[3])
    assert out["CHG"].tolist()[:2] == [0.0, 30.0]
    assert out["ANRIND"].tolist() == ["NORMAL", "HIGH", "MISSING", "LOW"]
    assert out["BNRIND"].tolist() == ["NORMAL", "NORMAL", "NORMAL", "MISSING"], "subject 2 has no baseline"
    assert out["post"].tolist() == [False, True, True, True]
    assert out["PARAM"].tolist() == ["ALT"] * 4 and not out["criterion"].any()


def test_derive_lab_columns_keeps_what_the_export_gives():
    lb = bds(USUBJID=["1", "1"], AVISITN=[0, 2], PARAMCD=["ALT", "HYLAW"], PARAM=["ALT", "Hy"],
             PARAMTYP=["", "DERIVED"], AVAL=[20.0, 1.0], BASE=[19.0, 0.0], CHG=[1.0, 1.0],
             ANRLO=[6.0, np.nan], ANRHI=[34.0, np.nan], ANRIND=["HIGH", ""], BNRIND=["LOW", ""])
    out = labs.derive_lab_columns(lb)
    assert out["BASE"].tolist() == [19.0, 0.0] and out["CHG"].tolist() == [1.0, 1.0]
    assert out["ANRIND"].tolist() == ["HIGH", "MISSING"], "the export's indicator wins; a criterion has none"
    assert out["BNRIND"].tolist() == ["LOW", "MISSING"]
    assert out["criterion"].tolist() == [False, True]


def test_derive_lab_columns_missing_column():
    with pytest.raises(ValueError, match="AVAL"):
        labs.derive_lab_columns(bds(USUBJID=["1"], AVISITN=[0], PARAMCD=["ALT"]))


# ---------------------------------------------------------------------------------------
# summaries


def frame() -> pd.DataFrame:
    """Two arms; ALT at weeks 0 and 2 (subject 3 misses week 2), a Hy's law flag."""
    lb = bds(USUBJID=["1", "1", "2", "2", "3", "1", "1", "2", "2", "3"],
             AVISITN=[0, 2, 0, 2, 0, 0, 2, 0, 2, 0],
             PARAMCD=["ALT"] * 5 + ["HYLAW"] * 5, PARAM=["ALT (U/L)"] * 5 + ["Hy's law"] * 5,
             PARAMTYP=[""] * 5 + ["DERIVED"] * 5,
             AVAL=[10.0, 40.0, 20.0, 30.0, 50.0, 0.0, 1.0, 5.4e-79, 0.0, 0.0],
             A1LO=[5.0] * 5 + [np.nan] * 5, A1HI=[35.0] * 5 + [np.nan] * 5)
    out = labs.derive_lab_columns(lb)
    return out.assign(ARM=out["USUBJID"].map({"1": "A", "2": "A", "3": "B"}))


def test_count_subjects_per_test_and_arm():
    out = labs.count_subjects(frame(), "ARM", ["A", "B"])
    assert out[["PARAMCD", "ARM", "n_subjects"]].values.tolist() == [
        ["ALT", "A", 2], ["ALT", "B", 1], ["HYLAW", "A", 2], ["HYLAW", "B", 1]]


def test_summarize_lab_by_visit_hand_computed():
    out = labs.summarize_lab_by_visit(frame(), "ARM", ["A", "B"])
    assert out[["AVISITN", "ARM", "n", "mean", "median", "min", "max"]].values.tolist() == [
        [0, "A", 2, 15.0, 15.0, 10.0, 20.0], [0, "B", 1, 50.0, 50.0, 50.0, 50.0], [2, "A", 2, 35.0, 35.0, 30.0, 40.0]]
    # sd of 10, 20 with n - 1 degrees of freedom: sqrt(50) (R: sd(c(10, 20)))
    assert out["sd"].iloc[0] == pytest.approx(7.0710678)
    # changes at week 2 in arm A: +30 and +10; R: quantile(c(10, 30)) gives 15 and 25 as Q1, Q3
    week2 = out.iloc[2]
    assert (week2["chg_n"], week2["chg_mean"], week2["chg_q1"], week2["chg_q3"]) == (2, 20.0, 15.0, 25.0)
    assert np.isnan(out["chg_mean"].iloc[0]), "no change at baseline"
    assert "HYLAW" not in set(out["PARAMCD"]), "a derived criterion is counted, never averaged"


def test_summarize_shift_every_cell_and_worst_category():
    out = labs.summarize_shift(frame(), "ARM", ["A", "B"])
    assert len(out) == 1 * 2 * 4 * 5, "one test, two arms, 4 baseline x 5 worst categories"
    hit = out[out["n"] > 0]
    assert hit[["ARM", "base_cat", "worst_cat", "n", "n_arm"]].values.tolist() == [
        ["A", "NORMAL", "NORMAL", 1, 2], ["A", "NORMAL", "HIGH", 1, 2], ["B", "HIGH", "MISSING", 1, 1]]
    assert out.loc[out["n"] > 0, "pct"].tolist() == [50.0, 50.0, 100.0]


def test_derive_worst_category_low_and_high():
    lb = bds(USUBJID="1", PARAMCD="X", criterion=False, BNRIND="LOW", ANRIND=["LOW", "HIGH", "LOW", "NORMAL"],
             post=[False, True, True, True])
    assert labs.derive_worst_category(lb)[["base_cat", "worst_cat"]].values.tolist() == [["LOW", "LOW and HIGH"]]


def test_list_abnormal_post_baseline_only():
    out = labs.list_abnormal(frame(), "ARM", ["A", "B"])
    assert out[["USUBJID", "AVISITN", "AVAL", "ANRIND"]].values.tolist() == [["1", 2, 40.0, "HIGH"]]


def test_summarize_criteria_counts_not_means_and_reads_sas_zero():
    out = labs.summarize_criteria(frame(), "ARM", ["A", "B"])
    assert out[["ARM", "period", "n", "n_met"]].values.tolist() == [
        ["A", "baseline", 2, 0], ["A", "post", 2, 1], ["B", "baseline", 1, 0], ["B", "post", 0, 0]]
    assert out["pct"].tolist()[:3] == [0.0, 50.0, 0.0] and np.isnan(out["pct"].iloc[3])


def test_summarize_criteria_empty_without_criteria():
    out = labs.summarize_criteria(frame().query("not criterion"), "ARM", ["A", "B"])
    assert out.empty and list(out.columns) == ["PARAMCD", "PARAM", "ARM", "period", "n", "n_met", "pct"]


def test_summarize_grade_shift_signed_grades_and_missing():
    lb = bds(USUBJID=["1", "1", "1", "2"], PARAMCD="PLAT", PARAM="Platelets", criterion=False,
             AVISITN=[0, 2, 4, 0], ATOXGR=["0", "-2", "1", "1"], BTOXGR=["0", "0", "0", ""],
             post=[False, True, True, False], ARM="A")
    out = labs.summarize_grade_shift(lb, "ARM", ["A"])
    assert len(out) == 6 * 6
    assert out.loc[out["n"] > 0, ["base_grade", "worst_grade", "n"]].values.tolist() == [
        ["0", "2", 1], ["1", "MISSING", 1]]
    assert labs.summarize_grade_shift(lb.drop(columns=["ATOXGR"]), "ARM", ["A"]).empty


def test_summarize_liver_peaks_quadrants():
    lb = bds(USUBJID=["1", "1", "1", "2", "2", "2", "3", "3"],
             PARAMCD=["ALT", "AST", "BILI", "ALT", "AST", "BILI", "ALT", "BILI"], criterion=False,
             AVAL=[120.0, 40.0, 50.0, 30.0, 130.0, 10.0, 10.0, 60.0], LBHI=[30.0, 40.0, 20.0, 30.0, 40.0, 20.0, 30.0, 20.0],
             post=True, ARM=["A", "A", "A", "A", "A", "A", "B", "B"])
    out = labs.summarize_liver_peaks(lb, "ARM", ["A", "B"])
    assert out[["USUBJID", "transaminase_xuln", "bili_xuln", "quadrant"]].values.tolist() == [
        ["1", 4.0, 2.5, "Hy's law"], ["2", 3.25, 0.5, "Temple's corollary"], ["3", 10 / 30, 3.0, "hyperbilirubinaemia"]]
    counts = labs.count_liver_quadrants(out, "ARM", ["A", "B"])
    assert counts[["quadrant", "ARM", "n", "n_arm"]].values.tolist()[:4] == [
        ["normal", "A", 0, 2], ["hyperbilirubinaemia", "A", 0, 2], ["Temple's corollary", "A", 1, 2], ["Hy's law", "A", 1, 2]]
    # exactly 3 x ULN is not above it
    edge = lb.assign(AVAL=[90.0, 40.0, 50.0, 30.0, 40.0, 10.0, 10.0, 40.0])
    assert labs.summarize_liver_peaks(edge, "ARM", ["A", "B"])["quadrant"].tolist() == ["hyperbilirubinaemia", "normal",
                                                                                         "normal"]
    assert labs.summarize_liver_peaks(lb[lb["PARAMCD"] != "BILI"], "ARM", ["A", "B"]).empty


def test_check_labs_catches_impossible_counts():
    f = frame()
    counts = labs.count_subjects(f, "ARM", ["A", "B"])
    shift = labs.summarize_shift(f, "ARM", ["A", "B"])
    criteria = labs.summarize_criteria(f, "ARM", ["A", "B"])
    population = pd.DataFrame({"USUBJID": ["1", "2", "3"], "ARM": ["A", "A", "B"]})
    labs.check_labs(counts, shift, criteria, population, "ARM")
    with pytest.raises(AssertionError, match="more subjects than their arm"):
        labs.check_labs(counts, shift, criteria, population.iloc[:2], "ARM")
    with pytest.raises(AssertionError, match="criterion met by more subjects"):
        labs.check_labs(counts, shift, criteria.assign(n_met=9), population, "ARM")


# ---------------------------------------------------------------------------------------
# display


def test_shift_table_layout_and_zeros():
    shift = labs.summarize_shift(frame(), "ARM", ["A", "B"])
    table = view.shift_table(shift, "ARM", ["A", "B"])
    assert table.display.columns.tolist()[:3] == ["Test", "Baseline", "A: Low"]
    normal = table.display[table.display["Baseline"] == "Normal"].iloc[0]
    assert (normal["A: Normal"], normal["A: High"], normal["B: Low"]) == ("1 (50.0%)", "1 (50.0%)", "0 (0.0%)")
    assert table.spanners["A"][0] == "A: Low"


def test_tables_present_leaves_out_empty_sections():
    f = frame()
    empty = view.criteria_table(labs.summarize_criteria(f.query("not criterion"), "ARM", ["A", "B"]), "ARM", ["A", "B"])
    full = view.criteria_table(labs.summarize_criteria(f, "ARM", ["A", "B"]), "ARM", ["A", "B"])
    assert [t.name for t in view.tables_present(empty, full)] == ["labs-criteria"]
    assert full.display["A"].tolist() == ["0 (0.0%)", "1 (50.0%)"] and full.display["B"].tolist() == ["0 (0.0%)", "0"]


def test_glue_names_systematic():
    f = frame()
    counts = labs.count_subjects(f, "ARM", ["A", "B"])
    shift = labs.summarize_shift(f, "ARM", ["A", "B"])
    criteria = labs.summarize_criteria(f, "ARM", ["A", "B"])
    quadrants = labs.count_liver_quadrants(labs.summarize_liver_peaks(f, "ARM", ["A", "B"]), "ARM", ["A", "B"])
    out, names = view.glue_names(counts, shift, criteria, quadrants, "ARM")
    assert sorted(names) == ["labs_abnormal_alt", "labs_criterion_hylaw", "labs_criterion_hylaw_n",
                             "labs_subjects_alt", "labs_subjects_hylaw"], "no liver peaks: no labs_hys_law"
    assert out[["ARM", "subjects_alt", "abnormal_alt", "criterion_hylaw", "criterion_hylaw_n"]].values.tolist() == [
        ["A", 2, 1, 1, 2], ["B", 1, 0, 0, 0]]


def test_prose_names_each_arm():
    f = frame()
    shift = labs.summarize_shift(f, "ARM", ["A", "B"])
    assert words.format_abnormal_answer(shift, "ARM", ["A", "B"]) == (
        "After baseline, a value outside the normal range was recorded for ALT (U/L) in 1 of 2 subjects (A) and "
        "0 of 1 (B).")
    criteria = labs.summarize_criteria(f, "ARM", ["A", "B"])
    assert words.format_criteria_answer(criteria, "ARM", ["A", "B"]) == (
        "After baseline, Hy's law was met by 1 of 2 subjects assessed (A) and 0 of 0 (B).")


def test_visit_names():
    assert view.visit_names(bds(AVISITN=[0, 12], AVISIT=["Baseline", ""]), {}, 0) == {0: "Baseline", 12: "Week 12"}


# ---------------------------------------------------------------------------------------
# the CDISC pilot's Hy's law table through its cohort.yml, against plain pandas


@pytest.fixture(scope="module")
def pilot():
    if not (PILOT / "adlbhy.xpt").is_file():
        pytest.skip("the CDISC pilot files are not in ../shared/external/cdiscpilot01")
    from helpers.data import load_cohort, read_cohort_config

    config = read_cohort_config(ROOT / "data" / "cdiscpilot01")
    assert "labs" in config.chapters
    params = config.parameters["labs"]
    cohort = load_cohort(config)
    arm = config.population_arm(params["population"])
    every = labs.lab_by_visit(cohort, params["population"], low=params["range_low"], high=params["range_high"])
    raw = pd.read_sas(PILOT / "adlbhy.xpt", format="xport", encoding="latin-1")
    adsl = pd.read_sas(PILOT / "adsl.xpt", format="xport", encoding="latin-1")
    raw = raw.merge(adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]], on="USUBJID")
    return cohort, arm, list(cohort.arms), every, raw


def test_pilot_reads_adlbhy_as_the_lab_table(pilot):
    cohort, *_ = pilot
    assert cohort.files["adlb"].name == "adlbhy.xpt"
    assert sorted(cohort["adlb"]["PARAMCD"].astype(str).unique()) == ["ALT", "AST", "BILI", "BILIHY", "HYLAW", "TRANSHY"]
    assert cohort["adlb"]["AVISITN"].min() == 0, "the baseline AVISITN stored as 5.4e-79 is week 0"


def test_pilot_subjects_per_test_and_arm(pilot):
    _, arm, arms, every, raw = pilot
    ours = labs.count_subjects(every, arm, arms).set_index(["PARAMCD", arm])["n_subjects"]
    plain = raw[raw["AVAL"].notna()].groupby(["PARAMCD", "TRT01A"])["USUBJID"].nunique()
    assert ours.to_dict() == plain.to_dict()


def test_pilot_shift_cells(pilot):
    _, arm, arms, every, raw = pilot
    ours = labs.summarize_shift(every, arm, arms)
    ours = ours[ours["n"] > 0].set_index(["PARAMCD", arm, "base_cat", "worst_cat"])["n"].to_dict()
    x = raw[raw["PARAMCD"].isin(["ALT", "AST", "BILI"])].copy()
    x["cat"] = np.select([x["AVAL"] < x["A1LO"], x["AVAL"] > x["A1HI"], x["AVAL"].notna()], ["LOW", "HIGH", "NORMAL"],
                         "MISSING")
    base = x[x["AVISITN"] < 0.5].set_index(["USUBJID", "PARAMCD"])["cat"].rename("base")
    post = x[(x["AVISITN"] > 0.5) & (x["cat"] != "MISSING")]
    low = post.assign(v=post["cat"] == "LOW").groupby(["USUBJID", "PARAMCD"])["v"].any()
    high = post.assign(v=post["cat"] == "HIGH").groupby(["USUBJID", "PARAMCD"])["v"].any()
    worst = pd.Series(np.select([low & high, high, low], ["LOW and HIGH", "HIGH", "LOW"], "NORMAL"), index=low.index,
                      name="worst")
    subjects = x[["USUBJID", "PARAMCD", "TRT01A"]].drop_duplicates().set_index(["USUBJID", "PARAMCD"])
    table = subjects.join(base).join(worst).fillna({"base": "MISSING", "worst": "MISSING"})
    plain = table.groupby(["PARAMCD", "TRT01A", "base", "worst"]).size().to_dict()
    assert ours == plain


def test_pilot_hys_law_criteria_counts(pilot):
    _, arm, arms, every, raw = pilot
    ours = labs.summarize_criteria(every, arm, arms)
    ours = ours[ours["period"] == "post"].set_index(["PARAMCD", arm])[["n", "n_met"]]
    x = raw[(raw["PARAMTYP"] == "DERIVED") & (raw["AVISITN"] > 0.5) & raw["AVAL"].notna()]
    plain = x.assign(met=x["AVAL"].round() == 1).groupby(["PARAMCD", "TRT01A", "USUBJID"])["met"].any()
    plain = plain.groupby(["PARAMCD", "TRT01A"]).agg(n="size", n_met="sum")
    assert ours.sort_index().to_dict() == plain.sort_index().to_dict()
    assert ours.loc[("HYLAW", "Placebo"), "n_met"] == 1


def test_pilot_config_names_the_ranges(pilot):
    cohort, *_ = pilot
    cfg = replace(cohort.config)
    assert cfg.parameters["labs"]["range_low"] == "A1LO" and cfg.parameters["labs"]["range_high"] == "A1HI"


# ---------------------------------------------------------------------------------------
# serology in the publication's layout (helpers.analyses.serology over paper_tables)


def serology_frame() -> pd.DataFrame:
    return bds(USUBJID=["a", "a", "b", "b", "c", "a", "a", "b", "b"],
               AVISITN=[0, 12, 0, 12, 0, 0, 12, 0, 12],
               PARAMCD=["ANA"] * 5 + ["DSDNA"] * 4,
               AVAL=[640.0, 320.0, 160.0, 160.0, 80.0, 40.0, 20.0, 100.0, 50.0])


def test_serology_measures_rows_the_data_carry():
    from helpers.analyses import serology

    population = bds(USUBJID=["a", "b", "c"], ARM=["X", "X", "Y"])
    measures = serology.serology_measures(serology_frame(), population, "ARM")
    assert [(m.code, m.kind, m.column) for m in measures] == [("ana_decreased", "binary", "DECRFL"),
                                                             ("antidsdna", "continuous", "AVAL")]
    ana = measures[0].data
    assert ana[["USUBJID", "AVISITN", "DECRFL", "ARM"]].values.tolist() == [
        ["a", 0, "N", "X"], ["a", 12, "Y", "X"], ["b", 0, "N", "X"], ["b", 12, "N", "X"], ["c", 0, "N", "Y"]]
    only_x = serology.serology_measures(serology_frame(), population.iloc[:2], "ARM")
    assert set(only_x[0].data["USUBJID"]) == {"a", "b"}, "subjects outside the population are left out"


def test_serology_measures_in_the_paper_table():
    from helpers.analyses import paper_tables, serology

    population = bds(USUBJID=["a", "b", "c"], ARM=["X", "X", "Y"])
    table = paper_tables.paper_table(serology.serology_measures(serology_frame(), population, "ARM"), "ARM",
                                     ["X", "Y"], [0, 12])
    values = paper_tables.paper_table_values(table).set_index("arm")
    # ANA decreased in X at week 12: a (640 -> 320), not b (160 -> 160): 1 of 2
    assert (values.loc["X", "ana_decreased_week12_n"], values.loc["X", "ana_decreased_week12_subjects"]) == (1, 2)
    assert values.loc["X", "ana_decreased_week12_pct"] == 50.0
    # anti-dsDNA in X: median of 40 and 100 at baseline, of 20 and 50 at week 12
    assert (values.loc["X", "antidsdna_week0_median"], values.loc["X", "antidsdna_week12_median"]) == (70.0, 35.0)
    assert (values.loc["X", "antidsdna_week12_min"], values.loc["X", "antidsdna_week12_max"]) == (20.0, 50.0)


def test_serology_measures_errors():
    from helpers.analyses import serology

    with pytest.raises(ValueError, match=r"serology_measures: adlb lacks columns \['AVAL'\]"):
        serology.serology_measures(serology_frame().drop(columns="AVAL"), bds(USUBJID=["a"], ARM=["X"]), "ARM")
    with pytest.raises(ValueError, match="the population has no arm column 'TRT01P'"):
        serology.serology_measures(serology_frame(), bds(USUBJID=["a"], ARM=["X"]), "TRT01P")
    assert serology.serology_measures(serology_frame().query("PARAMCD == 'WBC'"), bds(USUBJID=["a"], ARM=["X"]),
                                      "ARM") == []
