"""Tests for helpers.stats, each against an independent reference named in a comment
(R output, closed-form results, or scipy/statsmodels called directly on the same data)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as ss
from statsmodels.stats.multitest import multipletests

from helpers import stats

NAN = float("nan")


# ---------------------------------------------------------------------------------------
# proportion_ci


def test_proportion_ci_clopper_pearson_36_of_40():
    # R: binom.test(36, 40)$conf.int -> 0.7633626 0.9720746
    out = stats.proportion_ci(36, 40)
    assert out.columns.tolist() == ["responders", "n", "rate", "ci_low", "ci_high", "method"]
    r = out.iloc[0]
    assert (r["responders"], r["n"], r["rate"], r["method"]) == (36, 40, 0.9, "Clopper-Pearson")
    assert r["ci_low"] == pytest.approx(0.7634, abs=5e-5)
    assert r["ci_high"] == pytest.approx(0.9721, abs=5e-5)


def test_proportion_ci_clopper_pearson_r_documentation_example():
    # R ?binom.test: binom.test(c(682, 243), p = 3/4) -> 95% CI 0.7076683 0.7654066
    r = stats.proportion_ci(682, 925).iloc[0]
    assert r["ci_low"] == pytest.approx(0.7076683, abs=5e-8)
    assert r["ci_high"] == pytest.approx(0.7654066, abs=5e-8)


def test_proportion_ci_edges_zero_and_all():
    # closed form: with x = 0 the upper limit is 1 - (a/2)^(1/n); with x = n the lower is (a/2)^(1/n)
    # R: binom.test(0, 10)$conf.int -> 0.0000000 0.3084971; binom.test(10, 10) -> 0.6915029 1
    zero = stats.proportion_ci(0, 10).iloc[0]
    assert (zero["rate"], zero["ci_low"]) == (0.0, 0.0)
    assert zero["ci_high"] == pytest.approx(0.3084971, abs=5e-8)
    every = stats.proportion_ci(10, 10).iloc[0]
    assert every["ci_low"] == pytest.approx(0.6915029, abs=5e-8)
    assert (every["rate"], every["ci_high"]) == (1.0, 1.0)


def test_proportion_ci_no_subjects():
    r = stats.proportion_ci(0, 0).iloc[0]
    assert (r["responders"], r["n"]) == (0, 0)
    assert np.isnan(r["rate"]) and np.isnan(r["ci_low"]) and np.isnan(r["ci_high"])


def test_proportion_ci_other_confidence():
    # R: binom.test(36, 40, conf.level = 0.9)$conf.int -> 0.7856024 0.9651151
    # (the beta quantiles B(0.05; 36, 5) and B(0.95; 37, 4))
    r = stats.proportion_ci(36, 40, confidence=0.9).iloc[0]
    assert r["ci_low"] == pytest.approx(0.7856024, abs=5e-8)
    assert r["ci_high"] == pytest.approx(0.9651151, abs=5e-8)


def test_proportion_ci_wilson():
    # R: prop.test(36, 40, correct = FALSE)$conf.int (the Wilson score interval) -> 0.7694822 0.9604205
    r = stats.proportion_ci(36, 40, method="wilson").iloc[0]
    assert r["method"] == "Wilson"
    assert r["ci_low"] == pytest.approx(0.7694822, abs=5e-8)
    assert r["ci_high"] == pytest.approx(0.9604205, abs=5e-8)


@pytest.mark.parametrize("confidence", [0, 1, 95])
def test_proportion_ci_bad_confidence(confidence):
    with pytest.raises(ValueError, match=rf"confidence must be between 0 and 1, got {confidence}"):
        stats.proportion_ci(1, 2, confidence=confidence)


def test_proportion_ci_bad_method():
    with pytest.raises(ValueError, match=r"method must be one of \['exact', 'wilson'\], got 'wald'"):
        stats.proportion_ci(1, 2, method="wald")


@pytest.mark.parametrize("x, n", [(5, 4), (-1, 4), (0, -1)])
def test_proportion_ci_bad_counts(x, n):
    with pytest.raises(ValueError, match=rf"need 0 <= successes <= n, got successes={x}, n={n}"):
        stats.proportion_ci(x, n)


# ---------------------------------------------------------------------------------------
# summarize_response


def test_summarize_response_by_arm_and_visit():
    df = pd.DataFrame({
        "TRT01A": ["IL-2", "IL-2", "IL-2", "Placebo", "Placebo", "IL-2", "Placebo"],
        "AVISITN": [12, 12, 12, 12, 12, 24, 24],
        "AVAL": [1.0, 1.0, 0.0, 0.0, NAN, 1.0, 0.0],
    })
    out = stats.summarize_response(df, by=["TRT01A", "AVISITN"])
    assert out.columns.tolist() == ["TRT01A", "AVISITN", "responders", "n", "rate", "ci_low", "ci_high", "method"]
    assert out[["TRT01A", "AVISITN", "responders", "n"]].values.tolist() == [
        ["IL-2", 12, 2, 3], ["Placebo", 12, 0, 1], ["IL-2", 24, 1, 1], ["Placebo", 24, 0, 1]]  # first appearance
    # R: binom.test(2, 3)$conf.int -> 0.09429932 0.99159624
    first = out.iloc[0]
    assert first["rate"] == pytest.approx(2 / 3)
    assert first["ci_low"] == pytest.approx(0.09429932, abs=5e-8)
    assert first["ci_high"] == pytest.approx(0.99159624, abs=5e-8)


def test_summarize_response_wilson_and_order_of_appearance():
    df = pd.DataFrame({"arm": ["B", "A", "B"], "AVAL": [1, 1, 0]})
    out = stats.summarize_response(df, by=["arm"], method="wilson")
    assert out["arm"].tolist() == ["B", "A"]
    assert set(out["method"]) == {"Wilson"}


def test_summarize_response_missing_column():
    with pytest.raises(ValueError, match=r"summarize_response: columns \['TRT01A'\] not in the data"):
        stats.summarize_response(pd.DataFrame({"AVAL": [1]}))


def test_summarize_response_empty():
    df = pd.DataFrame({"TRT01A": pd.Series([], dtype=str), "AVAL": pd.Series([], dtype=float)})
    out = stats.summarize_response(df)
    assert len(out) == 0
    assert out.columns.tolist() == ["TRT01A", "responders", "n", "rate", "ci_low", "ci_high", "method"]


# ---------------------------------------------------------------------------------------
# binomial_test


def test_binomial_test_r_documentation_example():
    # R ?binom.test: binom.test(c(682, 243), p = 3/4) -> p-value = 0.3825
    r = stats.binomial_test(682, 925, 0.75).iloc[0]
    assert r["p_val"] == pytest.approx(0.3825, abs=5e-5)
    assert (r["null_rate"], r["alternative"], r["method"]) == (0.75, "two-sided", "exact binomial test")


def test_binomial_test_exact_tails():
    # P(X >= 7 | n = 10, p = 0.5) = (120 + 45 + 10 + 1) / 1024 = 0.171875;
    # R: binom.test(7, 10) p-value = 0.3438 (= 2 x 0.171875); binom.test(3, 10, alternative = "less") 0.1719
    assert stats.binomial_test(7, 10, 0.5, "greater")["p_val"].iloc[0] == pytest.approx(0.171875, abs=1e-12)
    assert stats.binomial_test(7, 10, 0.5)["p_val"].iloc[0] == pytest.approx(0.34375, abs=1e-12)
    assert stats.binomial_test(3, 10, 0.5, "less")["p_val"].iloc[0] == pytest.approx(0.171875, abs=1e-12)


def test_binomial_test_trial_against_30_percent():
    # R: binom.test(36, 40, p = 0.3)$p.value -> 3.451e-15
    r = stats.binomial_test(36, 40, 0.3).iloc[0]
    assert r["rate"] == 0.9
    assert r["p_val"] == pytest.approx(3.451e-15, rel=1e-3)


@pytest.mark.parametrize("rate", [0, 1, -0.1])
def test_binomial_test_bad_null_rate(rate):
    with pytest.raises(ValueError, match=rf"null_rate must be between 0 and 1, got {rate}"):
        stats.binomial_test(3, 10, rate)


# ---------------------------------------------------------------------------------------
# compare_rates


def test_compare_rates_newcombe_published_example():
    # Newcombe (1998) Stat Med 17:873, Table II example (a): 56/70 vs 48/80,
    # method 10 (hybrid score) 0.0524 to 0.3339
    r = stats.compare_rates(56, 70, 48, 80).iloc[0]
    assert r["estimate"] == pytest.approx(0.2)
    assert r["ci_low"] == pytest.approx(0.0524, abs=5e-5)
    assert r["ci_high"] == pytest.approx(0.3339, abs=5e-5)


def test_compare_rates_chi_square_matches_prop_test():
    # R: prop.test(c(16, 9), c(29, 30), correct = FALSE) -> X-squared = 3.8265, p-value = 0.05045
    r = stats.compare_rates(16, 29, 9, 30).iloc[0]
    assert r["rate"] == pytest.approx(16 / 29)
    assert r["ref_rate"] == pytest.approx(0.3)
    assert r["p_val"] == pytest.approx(0.05045, abs=5e-5)
    assert r["method"] == "Newcombe interval; Pearson chi-square test"


def test_compare_rates_fisher_tea_tasting():
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value -> 0.4857;
    #    prop.test(c(3, 1), c(4, 4), correct = FALSE) -> X-squared = 2, p-value = 0.1573
    r = stats.compare_rates(3, 4, 1, 4).iloc[0]
    assert r["p_fisher"] == pytest.approx(0.4857, abs=5e-5)
    assert r["p_val"] == pytest.approx(0.1573, abs=5e-5)


def test_compare_rates_no_responders_anywhere():
    r = stats.compare_rates(0, 10, 0, 10).iloc[0]
    assert r["estimate"] == 0.0
    assert np.isnan(r["p_val"])  # chi-square undefined with an empty column
    assert r["p_fisher"] == 1.0
    assert r["ci_low"] < 0 < r["ci_high"]


@pytest.mark.parametrize("n, ref_n", [(0, 10), (10, 0)])
def test_compare_rates_empty_arm(n, ref_n):
    with pytest.raises(ValueError, match=rf"compare_rates: both arms need subjects, got n={n}, ref_n={ref_n}"):
        stats.compare_rates(0, n, 0, ref_n)


def test_compare_rates_bad_confidence():
    with pytest.raises(ValueError, match=r"confidence must be between 0 and 1, got 1.5"):
        stats.compare_rates(1, 2, 1, 2, confidence=1.5)


# ---------------------------------------------------------------------------------------
# logistic_regression


def test_logistic_regression_arm_only_is_the_sample_odds_ratio():
    # hand algebra: with the arm alone the MLE odds ratio is (6/4) / (3/7) = 3.5 and the Wald
    # SE of its log is sqrt(1/6 + 1/4 + 1/3 + 1/7) = 0.93026; CI exp(log 3.5 -/+ 1.95996 x SE)
    df = pd.DataFrame({"arm": ["T"] * 10 + ["P"] * 10, "y": [1] * 6 + [0] * 4 + [1] * 3 + [0] * 7})
    out = stats.logistic_regression(df, "y", "arm", "P")
    assert out.columns.tolist() == ["term", "odds_ratio", "ci_low", "ci_high", "p_val", "n", "converged", "method"]
    r = out.iloc[0]
    assert (r["term"], r["n"], r["converged"], r["method"]) == ("T", 20, True, "logistic regression")
    assert r["odds_ratio"] == pytest.approx(3.5, rel=1e-6)
    assert r["ci_low"] == pytest.approx(0.549235, rel=1e-5)
    assert r["ci_high"] == pytest.approx(22.30375, rel=1e-5)
    assert r["p_val"] == pytest.approx(0.184906, rel=1e-5)  # 2 x (1 - Phi(log 3.5 / 0.93026))


def test_logistic_regression_three_arms():
    df = pd.DataFrame({"arm": ["T"] * 6 + ["L"] * 6 + ["P"] * 6,
                       "y": [1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1]})
    out = stats.logistic_regression(df, "y", "arm", "P")
    # (4/2)/(2/4) = 4 for T, (3/3)/(2/4) = 2 for L
    assert dict(zip(out["term"], out["odds_ratio"].round(6), strict=True)) == {"L": 2.0, "T": 4.0}


def test_logistic_regression_with_covariate_matches_glm():
    # statsmodels GLM (binomial family, fitted by IRLS) on the same design as the reference
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    n = 60
    arm = np.repeat(["IL-2", "Placebo"], n // 2)
    base = rng.integers(6, 20, n).astype(float)
    p = 1 / (1 + np.exp(-(-2 + 1.0 * (arm == "IL-2") + 0.12 * base)))
    y = (rng.random(n) < p).astype(float)
    df = pd.DataFrame({"AVAL": y, "TRT01A": arm, "SLEDAIBL": base})
    out = stats.logistic_regression(df, "AVAL", "TRT01A", "Placebo", ["SLEDAIBL"]).iloc[0]
    X = sm.add_constant(np.column_stack([(arm == "IL-2").astype(float), base]))
    glm = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    assert out["odds_ratio"] == pytest.approx(np.exp(glm.params[1]), rel=1e-5)
    assert out["p_val"] == pytest.approx(glm.pvalues[1], rel=1e-4)
    assert out["method"] == "logistic regression adjusted for SLEDAIBL"


def test_logistic_regression_separation_is_reported():
    df = pd.DataFrame({"arm": ["T"] * 5 + ["P"] * 5, "y": [1] * 5 + [0] * 5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow of a diverging estimate
        out = stats.logistic_regression(df, "y", "arm", "P")
    assert out["converged"].tolist() == [False]


# ---------------------------------------------------------------------------------------
# describe_by_visit


def test_describe_by_visit_hand_case():
    df = pd.DataFrame({"PARAMCD": ["X", "X", "X", "X", "X", "Y"], "AVISITN": [0, 0, 0, 0, 2, 0],
                       "AVAL": [1.0, 2.0, 4.0, 7.0, NAN, 5.0]})
    out = stats.describe_by_visit(df)
    assert out.columns.tolist() == ["PARAMCD", "AVISITN", "n", "median", "q1", "q3", "mean", "sd", "min", "max"]
    # quartiles as R's default quantile(type = 7): 1.75 and 4.75; sd of 1, 2, 4, 7 = sqrt(7)
    assert out.iloc[0][["n", "median", "q1", "q3", "mean", "min", "max"]].tolist() == [4, 3.0, 1.75, 4.75, 3.5, 1.0, 7.0]
    assert out.iloc[0]["sd"] == pytest.approx(np.sqrt(7))
    assert out[["PARAMCD", "AVISITN", "n"]].values.tolist() == [["X", 0, 4], ["Y", 0, 1]]  # week 2 all missing


# ---------------------------------------------------------------------------------------
# paired_tests_by_visit and adjust_pvalues


BASE = [10.0, 12, 9, 14, 11, 13, 8]
WEEK2 = [8.0, 11, 9, 10, 12, 9, 7]
WEEK4 = [6.0, 10, 7, 9, 10, 8, 5]


def paired_frame() -> pd.DataFrame:
    rows = []
    for i in range(7):
        for week, values in ((0, BASE), (2, WEEK2), (4, WEEK4)):
            rows.append({"USUBJID": f"S{i}", "PARAMCD": "X", "AVISITN": week, "AVAL": values[i]})
    return pd.DataFrame(rows)


def test_paired_tests_by_visit_matches_scipy_wilcoxon():
    out = stats.paired_tests_by_visit(paired_frame())
    assert out.columns.tolist() == ["PARAMCD", "AVISITN", "n", "base_median", "median", "median_chg", "q1_chg",
                                    "q3_chg", "w_val", "p_val", "p_adj", "padjust", "family_size", "method"]
    assert out["family_size"].tolist() == [2, 2]
    assert out[["AVISITN", "n", "base_median", "median", "median_chg"]].values.tolist() == [
        [2, 7, 11.0, 9.0, -1.0], [4, 7, 11.0, 8.0, -3.0]]
    # reference: scipy.stats.wilcoxon on the same pairs (zero differences dropped, Wilcoxon's method)
    for week, values in ((2, WEEK2), (4, WEEK4)):
        ref = ss.wilcoxon(np.subtract(values, BASE), zero_method="wilcox")
        row = out[out["AVISITN"] == week].iloc[0]
        assert row["w_val"] == ref.statistic
        assert row["p_val"] == pytest.approx(ref.pvalue)
    # Holm over the two tests, statsmodels as the independent implementation
    assert out["p_adj"].tolist() == pytest.approx(multipletests(out["p_val"], method="holm")[1].tolist())
    assert set(out["padjust"]) == {"holm"}
    assert out["p_val"].tolist() == pytest.approx([0.125, 0.015625])  # exact: 2 x 1/64 at week 4


def test_paired_tests_by_visit_by_arm_and_no_change():
    df = paired_frame()
    df["TRT01A"] = np.where(df["USUBJID"].isin(["S0", "S1", "S2", "S3"]), "A", "B")
    df.loc[(df["TRT01A"] == "B") & (df["AVISITN"] == 2), "AVAL"] = [11.0, 13.0, 8.0]  # = baseline
    out = stats.paired_tests_by_visit(df, by=["PARAMCD", "TRT01A"], padjust="none")
    assert out[["TRT01A", "AVISITN", "n"]].values.tolist() == [["A", 2, 4], ["A", 4, 4], ["B", 2, 3], ["B", 4, 3]]
    b2 = out[(out["TRT01A"] == "B") & (out["AVISITN"] == 2)].iloc[0]
    assert np.isnan(b2["p_val"]) and np.isnan(b2["p_adj"])
    assert (b2["median_chg"], b2["q1_chg"], b2["q3_chg"]) == (0.0, 0.0, 0.0)
    assert out["p_adj"].dropna().tolist() == out["p_val"].dropna().tolist()


def two_arm_paired_frame() -> pd.DataFrame:
    """paired_frame's seven subjects in arm A and the same values again in arm B."""
    a = paired_frame().assign(TRT01A="A")
    return pd.concat([a, a.assign(TRT01A="B", USUBJID=a["USUBJID"] + "b")], ignore_index=True)


def test_paired_tests_by_visit_family_within_each_arm():
    out = stats.paired_tests_by_visit(two_arm_paired_frame(), by=["TRT01A"], family=["TRT01A"])
    # each arm's two visits are a family of 2: Holm on [0.125, 0.015625] -> [0.125, 0.03125]
    # (statsmodels multipletests(method="holm")); never 4 tests, never a pooled arm
    assert out[["TRT01A", "AVISITN", "family_size"]].values.tolist() == [["A", 2, 2], ["A", 4, 2], ["B", 2, 2], ["B", 4, 2]]
    assert out["p_adj"].tolist() == pytest.approx([0.125, 0.03125, 0.125, 0.03125])
    assert out["p_adj"].tolist()[:2] == pytest.approx(multipletests([0.125, 0.015625], method="holm")[1].tolist())


def test_paired_tests_by_visit_one_family_by_default():
    out = stats.paired_tests_by_visit(two_arm_paired_frame(), by=["TRT01A"])
    # the four tests together: Holm multiplies the two smallest (0.015625) by 4 and 3
    assert out["family_size"].tolist() == [4] * 4
    assert out["p_adj"].tolist() == pytest.approx(multipletests([0.125, 0.015625] * 2, method="holm")[1].tolist())


def test_paired_tests_by_visit_family_must_be_grouping_columns():
    with pytest.raises(ValueError, match=r"paired_tests_by_visit: family \['TRT01A'\] must be columns of by \['PARAMCD'\]"):
        stats.paired_tests_by_visit(two_arm_paired_frame(), by=["PARAMCD"], family=["TRT01A"])


def test_paired_tests_by_visit_subjects_without_baseline_left_out():
    df = paired_frame()
    df = df[~((df["USUBJID"] == "S0") & (df["AVISITN"] == 0))]
    assert stats.paired_tests_by_visit(df)["n"].tolist() == [6, 6]


def test_paired_tests_by_visit_missing_column():
    with pytest.raises(ValueError, match=r"paired_tests_by_visit: columns \['TRT01A'\] not in the data"):
        stats.paired_tests_by_visit(paired_frame(), by=["TRT01A"])


def test_adjust_pvalues_against_statsmodels():
    p = [0.01, 0.04, 0.03, 0.005]
    # reference: statsmodels.stats.multitest.multipletests
    assert stats.adjust_pvalues(p, "holm").tolist() == pytest.approx(multipletests(p, method="holm")[1].tolist())
    assert stats.adjust_pvalues(p, "bonf").tolist() == pytest.approx(multipletests(p, method="bonferroni")[1].tolist())
    assert stats.adjust_pvalues(p, "fdr_bh").tolist() == pytest.approx(multipletests(p, method="fdr_bh")[1].tolist())
    # by hand, Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 then running max
    assert stats.adjust_pvalues(p, "holm").tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_adjust_pvalues_missing_kept_and_none():
    out = stats.adjust_pvalues(pd.Series([0.01, NAN, 0.02]), "holm")
    assert np.isnan(out[1])
    assert out[[0, 2]].tolist() == pytest.approx([0.02, 0.02])
    assert np.isnan(stats.adjust_pvalues([NAN, NAN])).all()
    none = stats.adjust_pvalues([0.01, NAN], "none")
    assert none[0] == 0.01 and np.isnan(none[1])


def test_adjust_pvalues_unknown_method():
    with pytest.raises(ValueError, match=r"Multiple comparison method not recognized"):
        stats.adjust_pvalues([0.01, 0.02], "sidak-ish")


# ---------------------------------------------------------------------------------------
# mixed_model_by_visit


def simulated_visits(log: bool = False) -> pd.DataFrame:
    """40 subjects at weeks 0, 4, 8; true visit effects +2 and +5; subject SD 1, noise SD 0.5."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(40):
        u = rng.normal(0, 1)
        for week, effect in ((0, 0.0), (4, 2.0), (8, 5.0)):
            value = 10 + effect + u + rng.normal(0, 0.5)
            rows.append({"USUBJID": f"S{i:02d}", "AVISITN": week, "AVAL": np.exp(value / 5) if log else value})
    return pd.DataFrame(rows)


def test_mixed_model_by_visit_recovers_the_visit_effects():
    out = stats.mixed_model_by_visit(simulated_visits())
    assert out["AVISITN"].tolist() == [4, 8]
    for truth, (lo, hi) in zip([2.0, 5.0], out[["ci_low", "ci_high"]].values, strict=True):
        assert lo < truth < hi
    assert out["estimate"].tolist() == pytest.approx([2.0, 5.0], abs=0.15)
    assert set(out["scale"]) == {"difference"}
    assert out[["n_subjects", "n_obs"]].values.tolist() == [[40, 120], [40, 120]]
    assert out["converged"].all()
    assert (out["p_val"] < 1e-10).all()


def test_mixed_model_by_visit_log_scale_gives_ratios():
    # log(AVAL) = (10 + effect + u + e) / 5: true ratios exp(2/5) = 1.4918 and exp(5/5) = 2.7183
    out = stats.mixed_model_by_visit(simulated_visits(log=True), log=True)
    for truth, (lo, hi) in zip([np.exp(0.4), np.exp(1.0)], out[["ci_low", "ci_high"]].values, strict=True):
        assert lo < truth < hi
    assert set(out["scale"]) == {"ratio"}
    assert out["method"].iloc[0].startswith("linear mixed model, random intercept per subject")
    assert out["method"].iloc[0].endswith("(log scale)")


def test_mixed_model_by_visit_missing_values_dropped():
    df = simulated_visits()
    df.loc[[1, 2], "AVAL"] = NAN
    assert stats.mixed_model_by_visit(df)["n_obs"].tolist() == [118, 118]


# ---------------------------------------------------------------------------------------
# compare_response: the pre-specified test of the primary end point and its interval


def published(x1: int = 16, n1: int = 29, x0: int = 9, n0: int = 30, covariate: bool = True) -> pd.DataFrame:
    """He et al. 2020, SRI-4 at week 12: 16 of 29 with IL-2, 9 of 30 with placebo (a third
    arm that must be ignored, and a covariate alternating 8 and 12)."""
    aval = [1.0] * x1 + [0.0] * (n1 - x1) + [1.0] * x0 + [0.0] * (n0 - x0) + [1.0, 0.0]
    arm = ["IL-2"] * n1 + ["Placebo"] * n0 + ["Other"] * 2
    df = pd.DataFrame({"arm": arm, "AVAL": aval})
    if covariate:
        df["SLEDAIBL"] = [8.0, 12.0] * ((len(df) + 1) // 2) if len(df) % 2 == 0 else [8.0, 12.0] * (len(df) // 2) + [8.0]
    return df


RESPONSE_COLUMNS = ["arm", "reference", "responders", "n", "rate", "ref_responders", "ref_n", "ref_rate", "diff",
                    "estimate", "ci_low", "ci_high", "scale", "null", "p_val", "test", "covariates", "converged", "method"]


def test_compare_response_score_is_miettinen_nurminen():
    out = stats.compare_response(published(), "arm", "IL-2", "Placebo")
    assert out.columns.tolist() == RESPONSE_COLUMNS
    r = out.iloc[0]
    assert (r["responders"], r["n"], r["ref_responders"], r["ref_n"]) == (16, 29, 9, 30)
    assert r["diff"] == r["estimate"] == pytest.approx(16 / 29 - 9 / 30)
    # statsmodels test_proportions_2indep(16, 29, 9, 30, method="score", correction=True): 0.0524 (published 0.052);
    # the interval inverts it (helpers.stats.rates, checked there against the closed form)
    assert r["p_val"] == pytest.approx(0.052441, abs=1e-6)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(-0.00266, abs=1e-5), pytest.approx(0.47643, abs=1e-5))
    assert (r["scale"], r["null"], r["test"], r["covariates"], r["converged"]) == ("difference", 0.0, "score", "", True)
    assert r["method"] == "Miettinen-Nurminen score test and interval"


def test_compare_response_chisq_is_pearson_with_mee_interval():
    r = stats.compare_response(published(), "arm", "IL-2", "Placebo", test="chisq").iloc[0]
    # R: prop.test(c(16, 9), c(29, 30), correct = FALSE)$p.value; scipy chi2_contingency(correction=False)
    assert r["p_val"] == pytest.approx(ss.chi2_contingency([[16, 13], [9, 21]], correction=False)[1], abs=1e-9)
    assert r["p_val"] == pytest.approx(0.050448, abs=1e-6)
    assert r["ci_low"] < 0 < r["ci_high"]  # p > 0.05: the interval that inverts the test holds 0
    assert r["method"] == "Pearson chi-square test and Mee's score interval"


def test_compare_response_fisher_is_the_conditional_odds_ratio():
    r = stats.compare_response(published(), "arm", "IL-2", "Placebo", test="fisher").iloc[0]
    # R: fisher.test(matrix(c(16, 13, 9, 21), 2, byrow = TRUE)): odds ratio 2.8186, 95% CI 0.8727 to 9.6469
    # (scipy contingency.odds_ratio(kind="conditional")); the central p that interval inverts is twice the
    # smaller one-sided p, 2 x 0.04486 = 0.0897 (scipy fisher_exact(alternative="greater");
    # R: exact2x2::exact2x2(tsmethod = "central")), not fisher.test's minimum-likelihood 0.0673
    one_sided = ss.fisher_exact([[16, 13], [9, 21]], alternative="greater").pvalue
    assert one_sided == pytest.approx(0.044861, abs=1e-6)
    assert r["p_val"] == pytest.approx(2 * one_sided)
    assert r["estimate"] == pytest.approx(2.8186, abs=1e-4)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(0.8727, abs=1e-4), pytest.approx(9.6469, abs=1e-4))
    assert (r["scale"], r["null"]) == ("odds_ratio", 1.0)
    assert r["diff"] == pytest.approx(16 / 29 - 9 / 30)  # the rate difference is always there


def test_compare_response_logistic_is_the_wald_test_of_the_arm():
    import statsmodels.formula.api as smf

    df = published()
    r = stats.compare_response(df, "arm", "IL-2", "Placebo", test="logistic", covariates=["SLEDAIBL"]).iloc[0]
    # reference: statsmodels Logit on the two arms (R: glm(AVAL ~ arm + SLEDAIBL, family = binomial))
    two = df[df["arm"] != "Other"].assign(t=lambda f: (f["arm"] == "IL-2").astype(float))
    fit = smf.logit("AVAL ~ t + SLEDAIBL", data=two).fit(disp=0)
    assert r["estimate"] == pytest.approx(np.exp(fit.params["t"]), rel=1e-6)
    assert r["p_val"] == pytest.approx(fit.pvalues["t"], rel=1e-6)
    assert r["ci_low"] == pytest.approx(np.exp(fit.conf_int().loc["t", 0]), rel=1e-6)
    assert (r["covariates"], r["test"]) == ("SLEDAIBL", "logistic")
    assert r["method"] == "logistic regression: Wald test and interval of the odds ratio, adjusted for SLEDAIBL"
    # without covariates the odds ratio is the sample odds ratio (16 x 21) / (13 x 9)
    plain = stats.compare_response(df, "arm", "IL-2", "Placebo", test="logistic").iloc[0]
    assert plain["estimate"] == pytest.approx(16 * 21 / (13 * 9), rel=1e-6)


@pytest.mark.parametrize("test", ["score", "chisq", "fisher"])
def test_compare_response_interval_and_test_agree(test):
    rng = np.random.default_rng(7)
    for _ in range(40):
        n1, n0 = (int(x) for x in rng.integers(6, 40, 2))
        x1, x0 = int(rng.integers(1, n1)), int(rng.integers(1, n0))
        r = stats.compare_response(published(x1, n1, x0, n0, covariate=False), "arm", "IL-2", "Placebo", test=test).iloc[0]
        excludes = r["ci_low"] > r["null"] or r["ci_high"] < r["null"]
        assert excludes == (r["p_val"] < 0.05), (test, x1, n1, x0, n0)


def test_compare_response_fisher_central_where_fisher_test_disagrees_with_its_interval():
    # 18/30 vs 20/23: fisher.test's two-sided p = 0.0368 rejects, yet its 95% interval holds 1;
    # the central p (2 x 0.0299 = 0.0598) does not reject, as the interval says
    df = published(18, 30, 20, 23, covariate=False)
    r = stats.compare_response(df, "arm", "IL-2", "Placebo", test="fisher").iloc[0]
    assert ss.fisher_exact([[18, 12], [20, 3]]).pvalue == pytest.approx(0.036805, abs=1e-6)
    assert r["p_val"] == pytest.approx(0.059830, abs=1e-6)
    assert r["ci_low"] < 1 < r["ci_high"]


def test_compare_response_errors():
    df = published()
    with pytest.raises(ValueError, match=r"compare_response: test must be one of \['score', 'chisq', 'fisher', 'logistic'\], got 'wald'"):
        stats.compare_response(df, "arm", "IL-2", "Placebo", test="wald")
    with pytest.raises(ValueError, match=r"compare_response: covariates \['SLEDAIBL'\] need test='logistic', got 'score'"):
        stats.compare_response(df, "arm", "IL-2", "Placebo", covariates=["SLEDAIBL"])
    with pytest.raises(ValueError, match=r"compare_response: columns \['AGE'\] not in the data"):
        stats.compare_response(df, "arm", "IL-2", "Placebo", test="logistic", covariates=["AGE"])
    with pytest.raises(ValueError, match=r"compare_response: both arms need subjects, got 29 in 'IL-2' and 0 in 'None'"):
        stats.compare_response(df, "arm", "IL-2", "None")
    with pytest.raises(ValueError, match=r"confidence must be between 0 and 1, got 95"):
        stats.compare_response(df, "arm", "IL-2", "Placebo", confidence=95)


# ---------------------------------------------------------------------------------------
# compare_baseline: Table 1's between-arm tests


def test_compare_baseline_fisher_reproduces_the_published_sex_ratio():
    # He et al. 2020, Table 1: female/male 27/3 vs 29/1, p = 0.612 (R: fisher.test(matrix(c(27, 3, 29, 1), 2)))
    df = pd.DataFrame({"arm": ["IL-2"] * 30 + ["Placebo"] * 30, "SEX": ["F"] * 27 + ["M"] * 3 + ["F"] * 29 + ["M"]})
    out = stats.compare_baseline(df, "SEX", "arm", ["IL-2", "Placebo"], "fisher")
    assert out.columns.tolist() == ["variable", "test", "p_val", "method"]
    assert out["p_val"].item() == pytest.approx(0.6120, abs=5e-5)
    # a flag: its level against every other value; cyclosporine 0/30 vs 5/30 gives 0.052 (Table 1)
    flags = pd.DataFrame({"arm": ["IL-2"] * 30 + ["Placebo"] * 30, "CMCSAFL": ["N"] * 30 + ["Y"] * 5 + ["N"] * 25})
    assert stats.compare_baseline(flags, "CMCSAFL", "arm", ["IL-2", "Placebo"], "fisher", level="Y")["p_val"].item() == \
        pytest.approx(0.0522, abs=5e-5)


def test_compare_baseline_welch_and_wilcoxon_by_hand():
    df = pd.DataFrame({"arm": ["A"] * 4 + ["B"] * 4, "x": [20.0, 30, 40, 50, 60, 25, 35, 45]})
    welch = stats.compare_baseline(df, "x", "arm", ["A", "B"], "welch").iloc[0]
    # by hand: means 35 and 41.25, variances 166.67 and 222.92, t = -6.25 / 9.869 = -0.633 on
    # 5.88 Welch-Satterthwaite df; scipy.stats.ttest_ind(equal_var=False), R t.test(x, y)
    assert welch["p_val"] == pytest.approx(ss.ttest_ind([20, 30, 40, 50], [60, 25, 35, 45], equal_var=False).pvalue)
    assert welch["p_val"] == pytest.approx(0.5504, abs=5e-5)
    assert welch["method"] == "Welch t-test"
    # exact rank-sum: 48 of the 70 splits are as extreme (R: wilcox.test(c(20, 30, 40, 50), c(60, 25, 35, 45)))
    assert stats.compare_baseline(df, "x", "arm", ["A", "B"], "wilcoxon")["p_val"].item() == pytest.approx(48 / 70)


def test_compare_baseline_larger_table_is_monte_carlo_and_repeatable():
    df = pd.DataFrame({"arm": ["A"] * 30 + ["B"] * 30, "RACE": ["X"] * 13 + ["Y"] * 10 + ["Z"] * 7 + ["X"] * 11
                       + ["Y"] * 12 + ["Z"] * 7})
    a = stats.compare_baseline(df, "RACE", "arm", ["A", "B"], "fisher").iloc[0]
    b = stats.compare_baseline(df, "RACE", "arm", ["A", "B"], "fisher").iloc[0]
    assert a["p_val"] == b["p_val"] and 0.9 < a["p_val"] <= 1  # Freeman-Halton, about 0.94
    assert a["method"] == "Fisher's exact test (Monte Carlo, 100,000 tables)"


def test_compare_baseline_nothing_to_test_is_missing():
    df = pd.DataFrame({"arm": ["A", "B", "B"], "x": [1.0, 2.0, 3.0], "RACE": "X"})
    assert np.isnan(stats.compare_baseline(df, "x", "arm", ["A", "B"], "welch")["p_val"].item())  # one value in A
    assert np.isnan(stats.compare_baseline(df, "RACE", "arm", ["A", "B"], "fisher")["p_val"].item())  # one category


def test_compare_baseline_errors():
    df = pd.DataFrame({"arm": ["A", "B"], "x": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"compare_baseline: test must be one of \['welch', 'wilcoxon', 'fisher'\], got 't'"):
        stats.compare_baseline(df, "x", "arm", ["A", "B"], "t")
    with pytest.raises(ValueError, match=r"compare_baseline: a test needs exactly two arms, got \['A', 'B', 'C'\]"):
        stats.compare_baseline(df, "x", "arm", ["A", "B", "C"], "welch")


# ---------------------------------------------------------------------------------------
# compare_groups, spearman


def test_compare_groups_matches_scipy_mannwhitneyu():
    x = [1.2, 3.4, 2.2, 5.0, 0.5, 2.5]
    y = [0.3, 1.1, 0.9, 0.8, 2.0]
    df = pd.DataFrame({"v": x + y + [NAN], "g": ["a"] * 6 + ["b"] * 5 + ["a"]})
    r = stats.compare_groups(df, "v", "g").iloc[0]
    ref = ss.mannwhitneyu(x, y, alternative="two-sided")  # reference: scipy on the same values
    assert r["u_val"] == ref.statistic == 25.0
    assert r["p_val"] == pytest.approx(ref.pvalue)
    # by hand: 25 of the 6 x 5 = 30 pairs have x > y
    assert r["cles"] == pytest.approx(25 / 30)
    assert r["rbc"] == pytest.approx(2 * 25 / 30 - 1)
    assert (r["group1"], r["group2"], r["n1"], r["n2"], r["median1"], r["median2"]) == ("a", "b", 6, 5, 2.35, 0.9)


def test_compare_groups_order_given():
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0], "g": ["a", "a", "b", "b"]})
    r = stats.compare_groups(df, "v", "g", groups=["b", "a"]).iloc[0]
    assert (r["group1"], r["u_val"], r["cles"]) == ("b", 4.0, 1.0)


def test_compare_groups_empty_group():
    df = pd.DataFrame({"v": [1.0, 2.0], "g": ["a", "a"]})
    r = stats.compare_groups(df, "v", "g", groups=["a", "b"]).iloc[0]
    assert r["n2"] == 0
    assert np.isnan(r["median2"]) and np.isnan(r["p_val"]) and np.isnan(r["u_val"])


def test_compare_groups_needs_two_groups():
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0], "g": ["a", "b", "c"]})
    with pytest.raises(ValueError, match=r"compare_groups: need exactly two groups, got \['a', 'b', 'c'\]"):
        stats.compare_groups(df, "v", "g")


X7 = [1, 2, 3, 4, 5, 6, 7]
Y7 = [2, 1, 4, 3, 7, 5, 6]


def test_spearman_matches_scipy():
    r = stats.spearman(X7 + [8], Y7 + [NAN]).iloc[0]  # the incomplete pair is dropped
    ref = ss.spearmanr(X7, Y7)  # reference: scipy.stats.spearmanr
    assert r["n"] == 7
    assert r["r"] == pytest.approx(ref.statistic)
    assert r["r"] == pytest.approx(1 - 6 * 10 / (7 * 48))  # by hand: sum d^2 = 10
    assert r["p_val"] == pytest.approx(ref.pvalue)
    assert r["ci_low"] < r["r"] < r["ci_high"]
    assert r["method"] == "Spearman rank correlation"


def test_spearman_fewer_than_three_pairs():
    r = stats.spearman([1, 2], [3, 4]).iloc[0]
    assert r["n"] == 2
    assert np.isnan(r["r"]) and np.isnan(r["p_val"]) and np.isnan(r["ci_low"])


def test_spearman_interval_not_rounded():
    r = stats.spearman(X7, Y7).iloc[0]
    # Fisher z: tanh(atanh(0.8214) -/+ 1.95996 / sqrt(7 - 3)) = 0.17925, 0.97276
    assert r["ci_low"] == pytest.approx(0.179254, abs=1e-5)
    assert r["ci_high"] == pytest.approx(0.972756, abs=1e-5)


def test_spearman_method_label_constant():
    assert stats.spearman([1, 2], [3, 4])["method"].iloc[0] == "Spearman rank correlation"


# ---------------------------------------------------------------------------------------
# ancova_change, gee_group_effect


def test_ancova_change_matches_least_squares_algebra():
    df = pd.DataFrame({"TRT01A": ["IL-2"] * 4 + ["Placebo"] * 4,
                       "BASE": [10.0, 12, 8, 14, 11, 9, 13, 10],
                       "CHG": [-6.0, -7, -3, -9, -2, -1, -4, -2]})
    r = stats.ancova_change(df, "TRT01A", "Placebo").iloc[0]
    # reference: beta = (X'X)^-1 X'y with X = [1, IL-2, BASE]; SE from s^2 (X'X)^-1 on 8 - 3 df
    X = np.column_stack([np.ones(8), (df["TRT01A"] == "IL-2").astype(float), df["BASE"]])
    y = df["CHG"].to_numpy()
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    resid = y - X @ beta
    se = np.sqrt(resid @ resid / 5 * xtx_inv[1, 1])
    t = ss.t.ppf(0.975, 5)
    assert r["term"] == "IL-2"
    assert r["n"] == 8
    assert r["estimate"] == pytest.approx(beta[1]) == pytest.approx(-3.780435, abs=1e-6)
    assert r["ci_low"] == pytest.approx(beta[1] - t * se)
    assert r["ci_high"] == pytest.approx(beta[1] + t * se)
    assert r["p_val"] == pytest.approx(2 * ss.t.sf(abs(beta[1] / se), 5))


def test_ancova_change_missing_rows_dropped():
    df = pd.DataFrame({"TRT01A": ["A", "A", "A", "P", "P", "P", "P"],
                       "BASE": [10.0, 12, 8, 11, 9, 13, NAN], "CHG": [-6.0, -7, -3, -2, -1, -4, -3]})
    assert stats.ancova_change(df, "TRT01A", "P")["n"].tolist() == [6]


def gee_frame() -> pd.DataFrame:
    grp_events = [1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0]  # 2 items a subject
    rest_events = [0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    rows = []
    for i in range(10):
        for j in range(2):
            rows.append({"USUBJID": f"S{i}", "grp": True, "y": grp_events[2 * i + j]})
            rows.append({"USUBJID": f"S{i}", "grp": False, "y": rest_events[2 * i + j]})
    return pd.DataFrame(rows)


def test_gee_group_effect_more_events_in_the_group():
    r = stats.gee_group_effect(gee_frame(), "y", "grp").iloc[0]
    assert (r["n_items"], r["n_subjects"]) == (40, 10)
    assert r["odds_ratio"] > 1
    assert r["ci_low"] < r["odds_ratio"] < r["ci_high"]
    assert r["p_val"] < 0.05
    assert r["method"] == "logistic GEE, exchangeable"


def test_gee_group_effect_no_variation():
    r = stats.gee_group_effect(gee_frame().assign(y=1), "y", "grp").iloc[0]
    assert np.isnan(r["odds_ratio"]) and np.isnan(r["p_val"])
    assert r["n_items"] == 40


def test_mixed_model_by_visit_profile_engine_matches_statsmodels():
    # Reference: statsmodels MixedLM(reml=True); the profile fit must give the same REML
    # estimates and Wald intervals for a random-intercept model (unbalanced: dropouts).
    rng = np.random.default_rng(7)
    rows = []
    for i in range(60):
        u = rng.normal(scale=1.5)
        for w, effect in [(0, 0.0), (2, -1.0), (4, -2.0), (6, -2.5)]:
            if w > 2 and i % 7 == 0:
                continue
            rows.append({"USUBJID": f"S{i:02d}", "AVISITN": w, "AVAL": 10 + effect + u + rng.normal()})
    df = pd.DataFrame(rows)
    sm_fit = stats.mixed_model_by_visit(df, engine="statsmodels")
    profile = stats.mixed_model_by_visit(df, engine="profile")
    np.testing.assert_allclose(profile["estimate"], sm_fit["estimate"], atol=1e-6)
    np.testing.assert_allclose(profile["ci_low"], sm_fit["ci_low"], rtol=1e-4)
    np.testing.assert_allclose(np.log(profile["p_val"]), np.log(sm_fit["p_val"]), rtol=1e-3)


def test_mixed_model_by_visit_unknown_engine():
    with pytest.raises(ValueError, match="engine must be"):
        stats.mixed_model_by_visit(pd.DataFrame({"USUBJID": ["a"], "AVISITN": [0], "AVAL": [1.0]}), engine="lme4")
