"""BILAG flares, the steroid taper and Table 2's disease-activity rows
(helpers.analyses.bilag): hand-made frames, expected values written out."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analyses import bilag as ab


def test_paper_weeks_orders_and_deduplicates():
    assert ab.paper_weeks(0, 12, [24]) == [0, 12, 24]
    assert ab.paper_weeks(0, 10, []) == [0, 10]
    assert ab.paper_weeks(0, 12, [12, 4]) == [0, 4, 12]


def _flares():
    # A: none at 4, severe at 8 (first flare week 8); B: moderate at 4, moderate at 8,
    # none at 12, severe at 16 (two episodes, first week 4); C: none; D: blank (not assessed)
    return pd.DataFrame({
        "USUBJID": ["A", "A", "B", "B", "B", "B", "C", "C", "D"],
        "ARM": ["X", "X", "X", "X", "X", "X", "Y", "Y", "Y"],
        "AVISITN": [4, 8, 4, 8, 12, 16, 4, 8, 4],
        "FLARE": ["none", "severe", "moderate", "moderate", "none", "severe", "none", "none", ""],
    })


def test_summarize_flares_counts_subjects_episodes_and_first_weeks():
    out = ab.summarize_flares(_flares(), "ARM", ["X", "Y", "Z"])
    x, y, z = (out.iloc[i].to_dict() for i in range(3))
    assert {k: x[k] for k in ("arm", "subjects", "any_n", "severe_n", "moderate_n", "any_pct", "episodes",
                              "first_week_median", "first_week_min", "first_week_max")} == {
        "arm": "X", "subjects": 2, "any_n": 2, "severe_n": 2, "moderate_n": 1, "any_pct": 100.0, "episodes": 3,
        "first_week_median": 6.0, "first_week_min": 4.0, "first_week_max": 8.0}
    # C assessed without a flare; D's only visit is not an assessment
    assert (y["subjects"], y["any_n"], y["episodes"], y["any_pct"]) == (1, 0, 0, 0.0)
    assert math.isnan(y["first_week_median"])
    assert (z["subjects"], z["any_n"]) == (0, 0) and math.isnan(z["any_pct"])


def test_summarize_flares_needs_the_arm_column():
    with pytest.raises(ValueError, match="the arm column 'TRT01P' is not in the data"):
        ab.summarize_flares(_flares(), "TRT01P", ["X"])


def test_compare_flares_is_the_miettinen_nurminen_difference():
    s = pd.DataFrame({"arm": ["X", "Y"], "subjects": [29, 30], "any_n": [16, 9]})
    r = ab.compare_flares(s, "Y").iloc[0]
    # 16/29 against 9/30: -0.0027 to 0.4764, p 0.0524 (helpers.stats.rates, R PropCIs::diffscoreci)
    assert (r["arm"], r["reference"], r["method"]) == ("X", "Y", "miettinen_nurminen")
    assert r["estimate"] == pytest.approx(16 / 29 - 9 / 30)
    assert (round(r["ci_low"], 4), round(r["ci_high"], 4), round(r["p_val"], 4)) == (-0.0027, 0.4764, 0.0524)


def test_compare_flares_arm_without_subjects_and_errors():
    s = pd.DataFrame({"arm": ["X", "Y"], "subjects": [0, 30], "any_n": [0, 2]})
    assert ab.compare_flares(s, "Y")["estimate"].isna().all()
    with pytest.raises(ValueError, match="reference 'Z' is not an arm of the summary"):
        ab.compare_flares(s, "Z")


def test_steroid_taper_by_visit():
    p = pd.DataFrame({"USUBJID": ["a", "b", "c", "a", "b", "c"], "ARM": "X", "AVISITN": [0, 0, 0, 12, 12, 12],
                      "LOWDFL": ["N", "Y", "N", "Y", "Y", ""], "REDFL": ["", "", "", "Y", "N", ""]})
    out = ab.steroid_taper_by_visit(p, "ARM", ["X"], [0, 12])
    assert out.drop(columns=["low_pct", "reduced_pct"]).to_dict("records") == [
        {"arm": "X", "AVISITN": 0, "low_n": 1, "low_subjects": 3, "reduced_n": 0, "reduced_subjects": 0},
        {"arm": "X", "AVISITN": 12, "low_n": 2, "low_subjects": 2, "reduced_n": 1, "reduced_subjects": 2},
    ]
    assert out["low_pct"].tolist() == [pytest.approx(100 / 3), 100.0]
    assert math.isnan(out["reduced_pct"].iloc[0]) and out["reduced_pct"].iloc[1] == 50.0


def test_activity_measures_on_the_randomized_cohort():
    from helpers.data import load_cohort

    c = load_cohort("data/nct02465580")
    ms = ab.activity_measures(c)
    assert [(m.code, m.kind, m.column) for m in ms] == [
        ("sledai", "continuous", "AVAL"), ("bilag", "continuous", "AVAL"), ("bilag_a2b", "binary", "A2BFL"),
        ("pga", "continuous", "AVAL"), ("prednisone", "continuous", "AVAL")]
    # the classic coding (cohort.yml bilag_coding: classic) gives Table 2's baseline medians 10 and 10.5
    bilag = ms[1].data
    base = bilag[bilag["AVISITN"] == 0].groupby("TRT01P")["AVAL"].median().to_dict()
    assert base == {"IL-2": 10.0, "Placebo": 10.5}


# ---------------------------------------------------------------------------------------
# time to the first flare: Kaplan-Meier and the log-rank test


def test_kaplan_meier_at_by_hand():
    # Events at 4 and 12 among 6: S(4) = 5/6, S(12) = 5/6 * 2/3 (3 at risk at 12, one event).
    # Greenwood: se(12) = S * sqrt(1/(6*5) + 1/(3*2)) = 0.625 * 0.34157 = 0.21348;
    # log-log: sigma = 0.21348 / (0.625 * 0.47000) = 0.72672, bounds 0.625 ** exp(+-1.95996 * sigma).
    from helpers.analyses.bilag import kaplan_meier_at

    r = kaplan_meier_at([4, 8, 12, 12, 24, 24], [1, 0, 1, 0, 0, 0], 24)
    assert (r["n"], r["events"]) == (6, 2)
    assert r["estimate"] == pytest.approx(0.625)
    assert r["ci_low"] == pytest.approx(0.625 ** math.exp(1.959964 * 0.726720), abs=1e-5)
    assert r["ci_high"] == pytest.approx(0.625 ** math.exp(-1.959964 * 0.726720), abs=1e-5)
    assert kaplan_meier_at([4, 8, 12], [1, 0, 1], 6)["estimate"] == pytest.approx(2 / 3)
    none = kaplan_meier_at([8, 8], [0, 0], 8)  # no event yet: 1, no interval
    assert none["estimate"] == 1.0 and math.isnan(none["ci_low"]) and math.isnan(none["ci_high"])
    assert math.isnan(kaplan_meier_at([], [], 8)["estimate"])


def test_flare_free_and_log_rank_by_hand():
    from helpers.analyses.bilag import compare_time_to_flare, summarize_flare_free

    f = pd.DataFrame({"USUBJID": list("AABBCCDD"), "ARM": list("XXXXYYYY"), "AVISITN": [4, 8] * 4,
                      "FLARE": ["severe", "none", "none", "moderate", "none", "none", "none", "none"]})
    free = summarize_flare_free(f, "ARM", ["X", "Y"])
    assert free[["arm", "week", "n", "events", "estimate"]].values.tolist() == [["X", 8, 2, 2, 0.0], ["Y", 8, 2, 0, 1.0]]
    # Log-rank by hand: at week 4, 4 at risk (2 X), 1 event: E = 0.5, V = 0.25; at week 8,
    # 3 at risk (1 X), 1 event: E = 1/3, V = 2/9. (O - E)^2 / V = (7/6)^2 / (17/36) = 49/17.
    lr = compare_time_to_flare(f, "ARM", ["X", "Y"], "Y").iloc[0]
    assert lr["statistic"] == pytest.approx(49 / 17)
    assert lr["p_val"] == pytest.approx(0.089555, abs=1e-5)
    quiet = f.assign(FLARE="none")
    assert math.isnan(compare_time_to_flare(quiet, "ARM", ["X", "Y"], "Y").iloc[0]["p_val"])  # no event: no test
    with pytest.raises(ValueError, match="reference 'Z' is not one of the arms"):
        compare_time_to_flare(f, "ARM", ["X", "Y"], "Z")
    with pytest.raises(ValueError, match="the arm column 'TRT' is not in the data"):
        summarize_flare_free(f, "TRT", ["X"])
