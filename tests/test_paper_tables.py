"""A published table's layout (helpers.analyses.paper_tables, helpers.present.paper_tables):
hand-computed cases; the published figures checked are He et al., Ann Rheum Dis 2020, Table 2."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analyses import paper_tables as pt
from helpers.present import paper_tables as ppt
from helpers.present.prose import paper_tables as pwords


def _bds(rows, column="AVAL"):
    """rows: (subject, arm, week, value)."""
    return pd.DataFrame(rows, columns=["USUBJID", "ARM", "AVISITN", column])


# ---------------------------------------------------------------------------------------
# description


def test_describe_continuous_by_visit_median_and_range():
    df = _bds([("a", "X", 0, 8), ("b", "X", 0, 12), ("c", "X", 0, 27), ("a", "X", 12, 6), ("b", "X", 12, 0),
               ("c", "X", 12, None)])
    out = pt.describe_continuous_by_visit(df, "ARM", ["X"], [0, 12])
    assert out.to_dict("records") == [
        {"arm": "X", "AVISITN": 0, "n": 3, "median": 12.0, "min": 8.0, "max": 27.0},
        {"arm": "X", "AVISITN": 12, "n": 2, "median": 3.0, "min": 0.0, "max": 6.0},
    ]


def test_describe_continuous_by_visit_empty_arm_and_week_give_zero_rows():
    df = _bds([("a", "X", 0, 8)])
    out = pt.describe_continuous_by_visit(df, "ARM", ["X", "Y"], [0, 24])
    assert out["n"].tolist() == [1, 0, 0, 0]
    assert out["arm"].tolist() == ["X", "X", "Y", "Y"]
    assert math.isnan(out["median"].iloc[1]) and math.isnan(out["max"].iloc[3])


def test_describe_continuous_by_visit_errors():
    with pytest.raises(ValueError, match=r"columns \['AVAL'\] not in the data"):
        pt.describe_continuous_by_visit(_bds([("a", "X", 0, 1)], "X1"), "ARM", ["X"], [0])
    with pytest.raises(ValueError, match="several values for a subject and visit"):
        pt.describe_continuous_by_visit(_bds([("a", "X", 0, 1), ("a", "X", 0, 2)]), "ARM", ["X"], [0])
    with pytest.raises(TypeError, match="'AVAL' must hold numbers"):
        pt.describe_continuous_by_visit(_bds([("a", "X", 0, "high")]), "ARM", ["X"], [0])


def test_describe_binary_by_visit_counts_and_blank_not_in_denominator():
    df = _bds([("a", "X", 0, "Y"), ("b", "X", 0, "Y"), ("c", "X", 0, "Y"), ("d", "X", 0, "N"),
               ("a", "X", 12, "N"), ("b", "X", 12, ""), ("c", "X", 12, None)], "FL")
    out = pt.describe_binary_by_visit(df, "ARM", ["X", "Y"], [0, 12], "FL")
    assert out.drop(columns="pct").to_dict("records") == [
        {"arm": "X", "AVISITN": 0, "n": 3, "subjects": 4},
        {"arm": "X", "AVISITN": 12, "n": 0, "subjects": 1},
        {"arm": "Y", "AVISITN": 0, "n": 0, "subjects": 0},
        {"arm": "Y", "AVISITN": 12, "n": 0, "subjects": 0},
    ]
    assert out["pct"].tolist()[:2] == [75.0, 0.0] and out["pct"].isna().tolist()[2:] == [True, True]


def test_describe_binary_by_visit_reads_booleans():
    df = _bds([("a", "X", 0, True), ("b", "X", 0, False)], "FL")
    assert pt.describe_binary_by_visit(df, "ARM", ["X"], [0], "FL")[["n", "subjects"]].values.tolist() == [[1, 2]]


def test_describe_binary_by_visit_refuses_other_flags():
    with pytest.raises(ValueError, match=r"'FL' must hold 'Y', 'N' or blank, found \['yes'\]"):
        pt.describe_binary_by_visit(_bds([("a", "X", 0, "yes")], "FL"), "ARM", ["X"], [0], "FL")


# ---------------------------------------------------------------------------------------
# the tests


def test_fisher_independent_reproduces_published_p_values():
    # He et al. 2020 Table 2, as published-results.md checked them (scipy fisher_exact)
    assert round(pt.fisher_independent(13, 29, 2, 29), 3) == 0.002  # rash, IL-2, week 0 vs 12
    assert round(pt.fisher_independent(14, 29, 4, 29), 3) == 0.010  # arthritis, IL-2, week 0 vs 12
    assert round(pt.fisher_independent(14, 29, 3, 29), 3) == 0.003  # arthritis, IL-2, week 0 vs 24
    assert round(pt.fisher_independent(2, 30, 0, 30), 3) == 0.492  # vasculitis, placebo


def test_fisher_independent_hand_computed_and_empty():
    # 4/4 against 1/4: the tables as or more extreme are 10 of the 70 arrangements
    assert pt.fisher_independent(4, 4, 1, 4) == pytest.approx(1 / 7, abs=1e-12)
    assert math.isnan(pt.fisher_independent(0, 0, 1, 4))


def test_mcnemar_exact_hand_computed():
    assert pt.mcnemar_exact([1, 1, 1, 1, 0], [0, 0, 0, 0, 0]) == 0.125  # b = 4, c = 0: 2 / 16
    # b = 3, c = 1: 2 P(Bin(4, 1/2) <= 1) = 2 * 5 / 16; R binom.test(1, 4)$p.value = 0.625
    assert pt.mcnemar_exact([1, 1, 1, 0, 1], [0, 0, 0, 1, 1]) == 0.625
    assert pt.mcnemar_exact([1, 0], [1, 0]) == 1.0  # no discordant pair
    assert math.isnan(pt.mcnemar_exact([], []))


def test_within_arm_tests_binary():
    df = _bds([(s, "X", 0, "Y") for s in "abcd"] + [(s, "X", 12, f) for s, f in zip("abcd", "NNNY", strict=True)], "FL")
    out = pt.within_arm_tests(df, "binary", "ARM", ["X"], [0, 12], column="FL")
    assert out.to_dict("records") == [{
        "arm": "X", "AVISITN": 12, "published_test": "fisher_independent", "p_published": pytest.approx(1 / 7),
        "paired_test": "mcnemar_exact", "n_paired": 4, "p_paired": 0.25}]


def test_within_arm_tests_continuous_published_is_the_signed_rank_test():
    df = _bds([("a", "X", 0, 8), ("b", "X", 0, 12), ("a", "X", 12, 4), ("b", "X", 12, 6)])
    out = pt.within_arm_tests(df, "continuous", "ARM", ["X"], [0, 12])
    # signed-rank of -4, -6: W+ = 0, exact p = 2 / 4 = 0.5 (R wilcox.test(c(4, 6), c(8, 12), paired = TRUE))
    assert out[["published_test", "p_published", "paired_test", "n_paired", "p_paired"]].values.tolist() == [
        ["wilcoxon_signed_rank", 0.5, "wilcoxon_signed_rank", 2, 0.5]]


def test_within_arm_tests_continuous_independent_reading():
    df = _bds([("a", "X", 0, 8), ("b", "X", 0, 12), ("a", "X", 12, 4), ("b", "X", 12, 6)])
    out = pt.within_arm_tests(df, "continuous", "ARM", ["X"], [0, 12],
                              published_tests={"continuous": "mann_whitney_independent"})
    # Mann-Whitney, (4, 6) against (8, 12): U = 0, exact p = 2 / C(4, 2) = 1/3 (R wilcox.test(c(4, 6), c(8, 12)))
    assert out["published_test"].tolist() == ["mann_whitney_independent"]
    assert out["p_published"].tolist() == [pytest.approx(1 / 3)]
    assert out["p_paired"].tolist() == [0.5]


def test_within_arm_tests_refuses_an_unknown_published_test():
    with pytest.raises(ValueError, match="published test of a binary measure must be one of"):
        pt.within_arm_tests(_bds([("a", "X", 0, "Y")], "FL"), "binary", "ARM", ["X"], [0], column="FL",
                            published_tests={"binary": "chi_square"})


def test_within_arm_tests_visit_without_values_and_unpaired_subjects():
    df = _bds([("a", "X", 0, 8), ("b", "X", 0, 12), ("c", "X", 12, 4)])
    out = pt.within_arm_tests(df, "continuous", "ARM", ["X"], [0, 12, 24],
                              published_tests={"continuous": "mann_whitney_independent"})
    assert out["AVISITN"].tolist() == [12, 24]
    assert out["n_paired"].tolist() == [0, 0]
    assert out["p_paired"].isna().all()
    assert not math.isnan(out["p_published"].iloc[0]) and math.isnan(out["p_published"].iloc[1])


def test_within_arm_tests_errors():
    df = _bds([("a", "X", 0, 8)])
    with pytest.raises(ValueError, match="kind must be one of"):
        pt.within_arm_tests(df, "ordinal", "ARM", ["X"], [0, 12])
    with pytest.raises(ValueError, match=r"columns \['TRT01P'\] not in the data"):
        pt.within_arm_tests(df, "continuous", "TRT01P", ["X"], [0, 12])


def test_between_arm_differences_binary_is_the_miettinen_nurminen_interval():
    # 16/29 against 9/30 (the paper's SRI-4 at week 12): score interval -0.0027 to 0.4764,
    # p 0.0524 (helpers.stats.rates, checked against R PropCIs::diffscoreci)
    rows = ([(f"x{i}", "X", 12, "Y" if i < 16 else "N") for i in range(29)]
            + [(f"y{i}", "Y", 12, "Y" if i < 9 else "N") for i in range(30)])
    out = pt.between_arm_differences(_bds(rows, "FL"), "binary", "ARM", ["X", "Y"], "Y", [12], "FL")
    r = out.iloc[0]
    assert (r["arm"], r["reference"], r["AVISITN"], r["n"], r["ref_n"], r["method"]) == ("X", "Y", 12, 29, 30,
                                                                                      "miettinen_nurminen")
    assert r["estimate"] == pytest.approx(16 / 29 - 9 / 30)
    assert round(r["ci_low"], 4) == -0.0027 and round(r["ci_high"], 4) == 0.4764
    assert round(r["p_val"], 4) == 0.0524


def test_between_arm_differences_continuous_is_the_hodges_lehmann_shift():
    df = _bds([("a", "X", 12, 1), ("b", "X", 12, 2), ("c", "X", 12, 3), ("d", "Y", 12, 5), ("e", "Y", 12, 6),
               ("f", "Y", 12, 7)])
    out = pt.between_arm_differences(df, "continuous", "ARM", ["X", "Y"], "Y", [12], confidence=0.8)
    r = out.iloc[0]
    # the nine differences -6 -5 -5 -4 -4 -4 -3 -3 -2: median -4; U = 0 of 20 orderings,
    # exact p = 2/20; at 80% P(U <= 1) = 2/20 >= 0.1 so k = 1: from the 1st to the 9th
    # difference (R wilcox.test(c(1, 2, 3), c(5, 6, 7), conf.int = TRUE, conf.level = 0.8))
    assert (r["estimate"], r["ci_low"], r["ci_high"], r["p_val"], r["method"]) == (-4.0, -6.0, -2.0,
                                                                                   pytest.approx(0.1), "hodges_lehmann")


def test_between_arm_differences_one_arm_and_empty_week():
    df = _bds([("a", "X", 12, 1)])
    assert pt.between_arm_differences(df, "continuous", "ARM", ["X"], "X", [12]).empty
    out = pt.between_arm_differences(df, "continuous", "ARM", ["X", "Y"], "Y", [12])
    assert out["ref_n"].tolist() == [0] and out["estimate"].isna().all()


def test_between_arm_differences_errors():
    df = _bds([("a", "X", 12, 1)])
    with pytest.raises(ValueError, match="reference 'Z' is not one of the arms"):
        pt.between_arm_differences(df, "continuous", "ARM", ["X", "Y"], "Z", [12])
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        pt.between_arm_differences(df, "continuous", "ARM", ["X", "Y"], "Y", [12], confidence=95)


# ---------------------------------------------------------------------------------------
# the table and its result names


def _measures():
    sledai = _bds([("a", "X", 0, 8), ("b", "X", 0, 12), ("a", "X", 12, 4), ("b", "X", 12, 6),
                   ("c", "Y", 0, 10), ("d", "Y", 0, 14), ("c", "Y", 12, 10), ("d", "Y", 12, 12)])
    a2b = _bds([("a", "X", 0, "Y"), ("b", "X", 0, "Y"), ("a", "X", 12, "N"), ("b", "X", 12, "N"),
                ("c", "Y", 0, "Y"), ("d", "Y", 0, "N"), ("c", "Y", 12, "Y"), ("d", "Y", 12, "N")], "FL")
    return [pt.PaperMeasure("sledai", "continuous", sledai), pt.PaperMeasure("a2b", "binary", a2b, "FL")]


def test_paper_table_rows():
    t = pt.paper_table(_measures(), "ARM", ["X", "Y"], [0, 12])
    assert t[["PARAMCD", "arm", "AVISITN"]].values.tolist() == [
        ["sledai", "X", 0], ["sledai", "X", 12], ["sledai", "Y", 0], ["sledai", "Y", 12],
        ["a2b", "X", 0], ["a2b", "X", 12], ["a2b", "Y", 0], ["a2b", "Y", 12]]
    assert t["median"].tolist()[:4] == [10.0, 5.0, 12.0, 11.0]
    assert t["n"].tolist()[4:] == [2, 0, 1, 1]
    assert t["pct"].tolist()[4:] == [100.0, 0.0, 50.0, 50.0]
    assert t["p_published"].isna().tolist() == [True, False] * 4
    # a2b, X: 2/2 against 0/2, Fisher 2 * 1/6 = 1/3; McNemar b = 2, c = 0: 2 / 4
    assert t["p_published"].iloc[5] == pytest.approx(1 / 3) and t["p_paired"].iloc[5] == 0.5


def test_paper_table_refuses_repeated_codes_and_unknown_kinds():
    m = _measures()
    with pytest.raises(ValueError, match=r"measure codes \['sledai'\] are used twice"):
        pt.paper_table([m[0], m[0]], "ARM", ["X"], [0])
    with pytest.raises(ValueError, match="measure 'x' has kind 'ordinal'"):
        pt.paper_table([pt.PaperMeasure("x", "ordinal", m[0].data)], "ARM", ["X"], [0])


def test_paper_table_values_names_every_cell():
    t = pt.paper_table(_measures(), "ARM", ["X", "Y"], [0, 12])
    v = pt.paper_table_values(t)
    assert v["arm"].tolist() == ["X", "Y"]
    assert list(v.columns) == ["arm", "sledai_week0_n", "sledai_week0_median", "sledai_week0_min", "sledai_week0_max",
                               "sledai_week12_n", "sledai_week12_median", "sledai_week12_min", "sledai_week12_max",
                               "sledai_week12_p_published", "sledai_week12_p_paired", "a2b_week0_n",
                               "a2b_week0_subjects", "a2b_week0_pct", "a2b_week12_n", "a2b_week12_subjects",
                               "a2b_week12_pct", "a2b_week12_p_published", "a2b_week12_p_paired"]
    assert v["sledai_week12_max"].tolist() == [6.0, 12.0]
    assert v["a2b_week0_subjects"].tolist() == [2, 2]


def test_paper_differences_and_their_names():
    d = pt.paper_differences(_measures(), "ARM", ["X", "Y"], "Y", [12])
    assert d[["PARAMCD", "arm", "reference", "AVISITN", "method"]].values.tolist() == [
        ["sledai", "X", "Y", 12, "hodges_lehmann"], ["a2b", "X", "Y", 12, "miettinen_nurminen"]]
    # sledai week 12: X (4, 6) against Y (10, 12): differences -8 -6 -6 -4, median -6
    assert d["estimate"].tolist() == [-6.0, -0.5]
    v = pt.paper_difference_values(d)
    assert list(v.columns) == ["arm", "reference", "sledai_week12_diff", "sledai_week12_diff_ci_low",
                               "sledai_week12_diff_ci_high", "sledai_week12_diff_p", "a2b_week12_diff",
                               "a2b_week12_diff_ci_low", "a2b_week12_diff_ci_high", "a2b_week12_diff_p"]
    assert pt.paper_difference_values(d.iloc[:0]).columns.tolist() == ["arm", "reference"]


def test_result_name():
    assert pt.result_name("bilag_a2b", 24, "pct") == "bilag_a2b_week24_pct"


# ---------------------------------------------------------------------------------------
# the rendering


def test_format_median_range_and_count_pct():
    assert ppt.format_median_range(12, 8, 27, 0) == "12 (8-27)"
    assert ppt.format_median_range(10.5, 8, 13.75, 2) == "10.50 (8.00-13.75)"
    assert ppt.format_count_pct(2, 30) == "2 (6.67)"
    assert ppt.format_count_pct(1, 0) == "-"


def test_paper_layout_table_layout():
    m = _measures()
    t = pt.paper_table(m, "ARM", ["X", "Y"], [0, 12])
    d = pt.paper_differences(m, "ARM", ["X", "Y"], "Y", [0, 12], confidence=0.9)
    r = ppt.paper_layout_table(t, d, ["X", "Y"], {0: "Baseline", 12: "Week 12"}, {"sledai": "SLEDAI", "a2b": "A or 2B"},
                               "t", "T", digits={"sledai": 0})
    assert list(r.display.columns) == ["Measure", "Row", "X, Baseline", "X, Week 12", "Y, Baseline", "Y, Week 12",
                                       "X - Y, Baseline", "X - Y, Week 12"]
    assert r.display["Row"].tolist() == [
        "median (range)", "p vs baseline, paired, as published (Wilcoxon signed-rank)",
        "n (%)", "p vs baseline, as published, descriptive (Fisher)", "p vs baseline, paired (exact McNemar)"]
    assert r.display.iloc[0, 2:6].tolist() == ["10 (8-12)", "5 (4-6)", "12 (10-14)", "11 (10-12)"]
    assert r.display.iloc[2, 2:6].tolist() == ["2 (100.00)", "0 (0.00)", "1 (50.00)", "1 (50.00)"]
    assert r.display.iloc[1, 2] == "" and r.display.iloc[1, 3] == "0.500"
    assert r.display.iloc[3, 3] == "0.333" and r.display.iloc[4, 3] == "0.500"
    # 0/2 against 1/2: -50 points, 90% score interval -90.1 to 34.8 (helpers.stats.rates.score_interval)
    assert r.display.iloc[2, 7] == "-50.0 (-90.1 to 34.8)"
    assert "X - Y (90% CI)" in r.spanners
    assert r.notes[0] == (
        "Within-arm p versus baseline, not adjusted for multiplicity. As published, descriptive: Fisher's exact test, "
        "the two visits taken as independent groups, which reproduces the publication's p-values but ignores that "
        "the same patients are counted at both visits. Paired: Wilcoxon signed-rank test on the subjects with both "
        "visits; exact McNemar test on the subjects with both visits, the tests we recommend, since each patient is "
        "compared with themself.")


def test_paper_layout_table_one_arm_has_no_difference_columns():
    m = _measures()
    t = pt.paper_table(m, "ARM", ["X"], [0, 12])
    r = ppt.paper_layout_table(t, None, ["X"], {0: "Baseline", 12: "Week 12"}, {"sledai": "S", "a2b": "A"}, "t", "T")
    assert list(r.display.columns) == ["Measure", "Row", "X, Baseline", "X, Week 12"]
    assert len(r.notes) == 1


def test_paper_layout_table_refuses_a_measure_without_label():
    t = pt.paper_table(_measures(), "ARM", ["X"], [0])
    with pytest.raises(ValueError, match=r"no label for measures \['a2b'\]"):
        ppt.paper_layout_table(t, None, ["X"], {0: "Baseline"}, {"sledai": "S"}, "t", "T")


def test_p_row_label_refuses_unknown_row():
    with pytest.raises(ValueError, match=r"which must be one of \['published', 'paired', 'both'\]"):
        pwords.p_row_label("adjusted", "mcnemar_exact")
