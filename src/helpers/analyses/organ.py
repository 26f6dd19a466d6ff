"""Organ-specific response: which domains and manifestations resolved, and for whom.

Compositions of ``helpers.derive`` and ``helpers.stats`` on a validated cohort, each
returning a tidy frame keyed by codes (SLEDAI-2K domains, manifestation codes, organ
groups, verdict codes) that a table, a figure or a sentence of
:mod:`helpers.present.prose.organ` turns into a page.

Estimands follow the design. Every rate is per arm of the efficacy population, analysed
by the arm variable the config names for it (the randomized arm for intention to
treat); with several arms, arms are compared with the reference arm and never pooled.
The abstract's claim that skin, haematological and fever manifestations respond better
is tested within the one arm of a single-arm trial, and by the treatment-by-group
interaction with several arms, since a pattern the placebo arm shows too is no effect
of treatment. Groups smaller than the config's ``min_group_size`` are described, not
tested or ranked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers import derive, stats
from helpers.data import Cohort
from helpers.stats.rates import score_interval

#: Organ group of each manifestation code.
GROUPS = {m.code: m.group for m in d.MANIFESTATIONS}
#: Definition order of the manifestations.
ORDER = {m.code: i for i, m in enumerate(d.MANIFESTATIONS)}
#: The code of every subject together (within an arm) in :func:`response_by_subgroup`.
ALL_SUBJECTS = "ALL"
#: Verdicts on a claim (:func:`claim_verdict`).
VERDICTS = ("supported", "not_supported", "inconclusive")
#: Why a within-arm or interaction test was or was not computed: ``tested``;
#: ``too_small`` (a group has fewer subjects than the minimum); ``boundary`` (a group
#: resolved in every case or in none, so no finite odds ratio); ``no_fit`` (the model
#: gave no estimate).
TEST_REASONS = ("tested", "too_small", "boundary", "no_fit")

_ITEM_ORDER = {**{name: i for i, name in enumerate(d.SLEDAI_DOMAINS)}, **ORDER}


def domain_resolution(cohort: Cohort, week: int) -> pd.DataFrame:
    """One row per subject and SLEDAI-2K domain active at baseline: resolved by ``week``?

    Returns
    -------
    DataFrame
        ``USUBJID``, ``PARAMCD`` (domain), ``BASE``, ``AVAL`` (1 resolved, 0 not; a
        missing visit counts as not resolved), ``RESFL``, and the efficacy population's
        arm variable (the config's ``populations.efficacy.arm``, else ``arm_var``).
    """
    cfg = cohort.config
    domains = derive.derive_sledai_domains(cohort["adsledai"])
    res = cohort.with_population(derive.derive_resolution(domains, week, cfg.baseline_week))
    res["AVAL"] = (res["RESFL"] == "Y").astype(float)
    return res


def manifestation_resolution(cohort: Cohort, week: int) -> pd.DataFrame:
    """One row per subject and manifestation present at baseline: resolved by ``week``?

    Returns
    -------
    DataFrame
        ``USUBJID``, ``PARAMCD``, ``BASE``, ``AVAL`` (1 resolved, 0 not), ``RESFL``, the
        efficacy population's arm variable, ``group`` (organ group), ``favoured`` (the
        group is one the abstract reports as responding better:
        :data:`helpers.definitions.FAVOURED_GROUPS`).
    """
    cfg = cohort.config
    res = cohort.with_population(derive.derive_resolution(cohort["admanif"], week, cfg.baseline_week))
    # .astype("str"): mapping a categorical one-to-one gives a categorical back
    res["group"] = res["PARAMCD"].astype("str").map(GROUPS)
    res["favoured"] = res["group"].isin(d.FAVOURED_GROUPS)
    res["AVAL"] = (res["RESFL"] == "Y").astype(float)
    return res


def _in_order(frame: pd.DataFrame, arm: str, arms: Sequence[str], items: dict[str, int]) -> pd.DataFrame:
    """Rows by item (in ``items`` order), then by arm (in ``arms`` order)."""
    arm_order = {a: i for i, a in enumerate(arms)}
    rank = frame["PARAMCD"].astype("str").map(items) * 1000 + frame[arm].astype("str").map(arm_order)
    return frame.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)


def summarize_resolution(resolution: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Resolution rate of each item (domain or manifestation) with its exact CI, per arm.

    Never pooled over arms: with several arms each arm is its own estimate (compare
    them with :func:`compare_items`).

    Parameters
    ----------
    resolution : DataFrame
        From :func:`domain_resolution` or :func:`manifestation_resolution`.
    arm : str
        The arm column (the efficacy population's arm variable).
    arms : sequence of str
        The arms, in the order to show; rows of other arms are left out.

    Returns
    -------
    DataFrame
        The arm, ``PARAMCD``, ``responders`` (resolved), ``n`` (active at baseline),
        ``rate``, ``ci_low``, ``ci_high``, ``method`` (plus ``group`` and ``favoured``
        for manifestations); items in definition order, each item's arms in ``arms``
        order. An item no subject of an arm had at baseline has no row for that arm.

    Examples
    --------
    >>> res = pd.DataFrame({"TRT01P": ["A", "A", "B"], "PARAMCD": ["renal", "mucocutaneous", "renal"],
    ...                     "AVAL": [1.0, 0.0, 1.0]})
    >>> summarize_resolution(res, "TRT01P", ["A", "B"])[["TRT01P", "PARAMCD", "responders", "n"]]
      TRT01P        PARAMCD  responders  n
    0      A          renal           1  1
    1      B          renal           1  1
    2      A  mucocutaneous           0  1
    """
    rows = resolution[resolution[arm].isin(list(arms))]
    out = stats.summarize_response(rows, by=[arm, "PARAMCD"], confidence=confidence)
    extra = [c for c in ("group", "favoured") if c in resolution]
    if extra:
        out = out.join(resolution.drop_duplicates("PARAMCD").set_index("PARAMCD")[extra], on="PARAMCD")
    return _in_order(out, arm, arms, _ITEM_ORDER)


_COMPARISON_COLUMNS = ["arm", "reference", "PARAMCD", "responders", "n", "ref_responders", "ref_n", "estimate",
                       "ci_low", "ci_high", "tested", "method"]


def compare_items(summary: pd.DataFrame, arm: str, arms: Sequence[str], reference: str | None,
                  confidence: float = 0.95, min_size: int = 5) -> pd.DataFrame:
    """The difference in rate of each item between each arm and the reference arm, with
    the Miettinen-Nurminen score interval, where both arms have ``min_size`` subjects.

    Parameters
    ----------
    summary : DataFrame
        From :func:`summarize_resolution` or :func:`response_by_subgroup`.
    reference : str or None
        The reference arm; None (a single-arm cohort) gives no rows.
    min_size : int
        Items with fewer subjects in either arm are shown per arm only (``tested``
        False, estimate and interval missing).

    Returns
    -------
    DataFrame
        One row per non-reference arm and item either arm has: ``arm``, ``reference``,
        ``PARAMCD``, ``responders``, ``n``, ``ref_responders``, ``ref_n``, ``estimate``
        (rate minus reference rate), ``ci_low``, ``ci_high``, ``tested``, ``method``;
        items in the order of ``summary``.

    Notes
    -----
    Descriptive: no p-value, no adjustment for the many items. The interval is the one
    the primary comparison uses (:func:`helpers.stats.rates.score_interval`); for 16 of
    29 against 9 of 30 it is -0.27 to 47.64 percentage points.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01P": ["A", "B", "A"], "PARAMCD": ["RASH", "RASH", "FEVER"],
    ...                   "responders": [16, 9, 1], "n": [29, 30, 2]})
    >>> out = compare_items(s, "TRT01P", ["A", "B"], "B")
    >>> out[["PARAMCD", "n", "ref_n", "tested"]].values.tolist()
    [['RASH', 29, 30, True], ['FEVER', 2, 0, False]]
    >>> [round(x, 4) for x in out.loc[0, ["estimate", "ci_low", "ci_high"]]]
    [0.2517, -0.0027, 0.4764]
    """
    if min_size < 1:
        raise ValueError(f"compare_items: min_size must be at least 1, got {min_size}")
    if reference is None or len(arms) < 2:
        return pd.DataFrame(columns=_COMPARISON_COLUMNS)
    if reference not in arms:
        raise ValueError(f"compare_items: reference {reference!r} is not one of the arms {list(arms)}")
    items = list(pd.unique(summary["PARAMCD"].astype("str")))
    counts = {(str(r[arm]), str(r["PARAMCD"])): (int(r["responders"]), int(r["n"])) for _, r in summary.iterrows()}
    method = f"difference in rates, Miettinen-Nurminen score interval (items with at least {min_size} subjects per arm)"
    rows = []
    for a in arms:
        if a == reference:
            continue
        for item in items:
            if (a, item) not in counts and (reference, item) not in counts:
                continue
            x1, n1 = counts.get((a, item), (0, 0))
            x0, n0 = counts.get((reference, item), (0, 0))
            tested = n1 >= min_size and n0 >= min_size
            est, lo, hi = (x1 / n1 - x0 / n0, *score_interval(x1, n1, x0, n0, confidence)) if tested else (np.nan,) * 3
            rows.append({"arm": a, "reference": reference, "PARAMCD": item, "responders": x1, "n": n1,
                         "ref_responders": x0, "ref_n": n0, "estimate": est, "ci_low": lo, "ci_high": hi,
                         "tested": tested, "method": method})
    return pd.DataFrame(rows, columns=_COMPARISON_COLUMNS)


def rank_items(summary: pd.DataFrame, arm: str, arms: Sequence[str], min_size: int = 5) -> pd.DataFrame:
    """Per arm, the items most and least often resolved among those active at baseline
    in at least ``min_size`` subjects; ties go to the item more subjects had, then to
    definition order.

    Parameters
    ----------
    summary : DataFrame
        From :func:`summarize_resolution`.
    min_size : int
        Items with fewer subjects in the arm are not ranked (one resolved of one is no
        "best domain"); :func:`small_items` lists them.

    Returns
    -------
    DataFrame
        One row per arm of ``arms``: the arm, ``n_items`` (items active in anyone of the
        arm), ``n_ranked`` (of those, items with at least ``min_size`` subjects);
        ``best`` and ``worst`` (codes, None when nothing is ranked), each with
        ``_responders``, ``_n`` and ``_rate``.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01P": "A", "PARAMCD": ["renal", "serosal", "vascular"],
    ...                   "responders": [3, 5, 1], "n": [6, 5, 1], "rate": [0.5, 1.0, 1.0]})
    >>> rank_items(s, "TRT01P", ["A"])[["best", "best_n", "worst", "worst_rate", "n_ranked"]].values.tolist()
    [['serosal', 5, 'renal', 0.5, 2]]
    """
    if min_size < 1:
        raise ValueError(f"rank_items: min_size must be at least 1, got {min_size}")
    rows = []
    for a in arms:
        mine = summary[summary[arm].astype("str") == str(a)]
        ranked = mine[mine["n"] >= min_size]
        row = {arm: a, "n_items": len(mine), "n_ranked": len(ranked)}
        for which, ascending in (("best", False), ("worst", True)):
            if ranked.empty:
                row.update({which: None, f"{which}_responders": np.nan, f"{which}_n": np.nan, f"{which}_rate": np.nan})
                continue
            top = ranked.sort_values(["rate", "n"], ascending=[ascending, False], kind="stable").iloc[0]
            row.update({which: str(top["PARAMCD"]), f"{which}_responders": int(top["responders"]),
                        f"{which}_n": int(top["n"]), f"{which}_rate": float(top["rate"])})
        rows.append(row)
    return pd.DataFrame(rows)


def small_items(summary: pd.DataFrame, min_size: int = 5) -> pd.DataFrame:
    """The rows of ``summary`` resting on fewer than ``min_size`` subjects: shown, not
    ranked or tested.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01P": "A", "PARAMCD": ["renal", "vascular"], "responders": [3, 1], "n": [6, 1]})
    >>> small_items(s)[["PARAMCD", "responders", "n"]].values.tolist()
    [['vascular', 1, 1]]
    """
    return summary[summary["n"] < min_size].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# the abstract's claim: favoured groups respond better


def _group_counts(rows: pd.DataFrame) -> dict:
    fav, oth = rows[rows["favoured"]], rows[~rows["favoured"]]
    return {
        "favoured_resolved": int(fav["AVAL"].sum()), "favoured_n": len(fav),
        "favoured_subjects": int(fav["USUBJID"].nunique()),
        "favoured_rate": fav["AVAL"].mean() if len(fav) else np.nan,
        "other_resolved": int(oth["AVAL"].sum()), "other_n": len(oth), "other_subjects": int(oth["USUBJID"].nunique()),
        "other_rate": oth["AVAL"].mean() if len(oth) else np.nan,
    }


def _testable(counts: dict, min_size: int) -> str:
    """``tested`` when both groups have ``min_size`` subjects and neither resolved in
    every case or in none, else why not."""
    if min(counts["favoured_subjects"], counts["other_subjects"]) < min_size:
        return "too_small"
    if any(counts[f"{g}_rate"] in (0.0, 1.0) for g in ("favoured", "other")):
        return "boundary"
    return "tested"


def favoured_groups_test(resolution: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95,
                         min_size: int = 5) -> pd.DataFrame:
    """Within each arm: do manifestations of the favoured groups (skin, haematological,
    fever) resolve more often than the others? Rates and a GEE odds ratio clustered on
    subject.

    Parameters
    ----------
    resolution : DataFrame
        From :func:`manifestation_resolution`: ``USUBJID``, the arm, ``favoured``,
        ``AVAL``.
    min_size : int
        A group (favoured or other) with manifestations in fewer subjects of the arm is
        described, not tested.

    Returns
    -------
    DataFrame
        One row per arm: the arm, ``favoured_resolved``, ``favoured_n`` (manifestations),
        ``favoured_subjects``, ``favoured_rate``, the same four for ``other_``,
        ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_val`` (missing unless tested),
        ``n_subjects``, ``tested``, ``reason`` (:data:`TEST_REASONS`), ``method``.

    Notes
    -----
    One subject contributes several manifestations, so the odds ratio comes from a
    logistic GEE with an exchangeable working correlation and robust standard errors
    (:func:`helpers.stats.gee_group_effect`; Liang & Zeger 1986). A group that resolved
    in every case or in none leaves no finite odds ratio, and is not tested.
    """
    if min_size < 1:
        raise ValueError(f"favoured_groups_test: min_size must be at least 1, got {min_size}")
    rows = []
    for a in arms:
        mine = resolution[resolution[arm].astype("str") == str(a)]
        counts = _group_counts(mine)
        reason = _testable(counts, min_size)
        out = {"odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_val": np.nan,
               "n_subjects": int(mine["USUBJID"].nunique()), "method": "logistic GEE, exchangeable"}
        if reason == "tested":
            gee = stats.gee_group_effect(mine, "AVAL", "favoured", "USUBJID", confidence).iloc[0]
            out.update({k: gee[k] for k in ("odds_ratio", "ci_low", "ci_high", "p_val", "method")})
            if pd.isna(gee["p_val"]):
                reason = "no_fit"
        rows.append({arm: a, **counts, **{k: out[k] for k in ("odds_ratio", "ci_low", "ci_high", "p_val", "n_subjects")},
                     "tested": reason == "tested", "reason": reason, "method": out["method"]})
    return pd.DataFrame(rows)


def group_interaction_test(resolution: pd.DataFrame, within: pd.DataFrame, arm: str, arms: Sequence[str],
                           reference: str | None, confidence: float = 0.95) -> pd.DataFrame:
    """With several arms: does the favoured groups' advantage differ between each arm and
    the reference arm? The treatment-by-group interaction of :func:`gee_interaction`.

    Parameters
    ----------
    resolution : DataFrame
        From :func:`manifestation_resolution`.
    within : DataFrame
        From :func:`favoured_groups_test`: an arm whose groups could not be tested (too
        small, or resolved in every case or none) is not compared either.
    reference : str or None
        The reference arm; None (a single arm) gives no rows.

    Returns
    -------
    DataFrame
        One row per non-reference arm: ``arm``, ``reference``, ``ratio``, ``ci_low``,
        ``ci_high``, ``p_val``, ``n_items``, ``n_subjects``, ``tested``, ``reason`` (the
        arm's or the reference's reason not to test, else ``tested``, or ``no_fit``),
        ``method``.
    """
    columns = ["arm", "reference", "ratio", "ci_low", "ci_high", "p_val", "n_items", "n_subjects", "tested", "reason",
               "method"]
    if reference is None or len(arms) < 2:
        return pd.DataFrame(columns=columns)
    if reference not in arms:
        raise ValueError(f"group_interaction_test: reference {reference!r} is not one of the arms {list(arms)}")
    reasons = dict(zip(within[arm].astype("str"), within["reason"], strict=True))
    rows = []
    for a in arms:
        if a == reference:
            continue
        pair = resolution[resolution[arm].astype("str").isin([a, reference])]
        fit = {"arm": a, "reference": reference, "n_items": len(pair), "n_subjects": int(pair["USUBJID"].nunique())}
        reason = next((r for r in (reasons.get(a, "too_small"), reasons.get(reference, "too_small")) if r != "tested"),
                      "tested")
        if reason == "tested":
            model = stats.gee_interaction(pair, "AVAL", "favoured", arm, reference, "USUBJID", confidence)
            model = model[model["arm"] == a]
            fit.update(model.iloc[0].to_dict() if len(model) else {})
            if pd.isna(fit.get("p_val", np.nan)):
                reason = "no_fit"
        rows.append({**{c: fit.get(c, np.nan) for c in columns}, "tested": reason == "tested", "reason": reason,
                     "method": "logistic GEE, exchangeable: treatment-by-group interaction"})
    return pd.DataFrame(rows, columns=columns)


def claim_verdict(within: pd.DataFrame, interaction: pd.DataFrame, arm: str, arms: Sequence[str],
                  reference: str | None, alpha: float) -> pd.DataFrame:
    """The verdict on the abstract's claim, by the test the design calls for.

    A single arm: the within-arm test (favoured groups against the others). Several
    arms: for each arm against the reference, the treatment-by-group interaction, since
    a pattern the reference arm shows as well is not the treatment's doing; the arm's
    own groups must also point the claimed way.

    Parameters
    ----------
    within : DataFrame
        From :func:`favoured_groups_test`.
    interaction : DataFrame
        From :func:`group_interaction_test` (empty with one arm).
    alpha : float
        The two-sided level of the test.

    Returns
    -------
    DataFrame
        One row per decision (the arm; with several arms each non-reference arm):
        ``arm``, ``reference`` (None with one arm), ``design`` (``within`` or
        ``interaction``), ``estimate`` (the odds ratio, or the ratio of odds ratios),
        ``ci_low``, ``ci_high``, ``p_val``, ``verdict`` (:data:`VERDICTS`), ``reason``,
        ``holds`` (True only when supported).

        Reasons: ``significant`` (supported); ``not_better`` (the favoured groups of the
        arm resolved no more often: not supported); ``not_better_than_reference`` (their
        advantage is no larger than in the reference arm: not supported);
        ``not_significant`` (the claimed way, but p >= alpha: inconclusive); or, without
        a test (inconclusive), the test's reason: ``too_small``, ``boundary``,
        ``no_fit``.

    Examples
    --------
    >>> w = pd.DataFrame({"TRT01A": ["A"], "favoured_rate": [0.9], "other_rate": [0.2], "odds_ratio": [36.0],
    ...                   "ci_low": [3.4], "ci_high": [380.0], "p_val": [0.003], "reason": ["tested"]})
    >>> claim_verdict(w, pd.DataFrame(), "TRT01A", ["A"], None, 0.05)[["design", "verdict", "reason", "holds"]]
       design    verdict       reason  holds
    0  within  supported  significant   True
    """
    if not 0 < alpha < 1:
        raise ValueError(f"claim_verdict: alpha must be between 0 and 1, got {alpha}")
    by_arm = {str(r[arm]): r for _, r in within.iterrows()}
    several = len(arms) > 1 and reference is not None
    rows = []
    if not several:
        for a in arms:
            w = by_arm[str(a)]
            est = {"estimate": w["odds_ratio"], "ci_low": w["ci_low"], "ci_high": w["ci_high"], "p_val": w["p_val"]}
            if w["reason"] != "tested":
                verdict, reason = "inconclusive", w["reason"]
            elif not w["favoured_rate"] > w["other_rate"] or not w["odds_ratio"] > 1:
                verdict, reason = "not_supported", "not_better"
            elif w["p_val"] < alpha:
                verdict, reason = "supported", "significant"
            else:
                verdict, reason = "inconclusive", "not_significant"
            rows.append({"arm": a, "reference": None, "design": "within", **est, "verdict": verdict, "reason": reason})
    else:
        for _, x in interaction.iterrows():
            w = by_arm[str(x["arm"])]
            est = {"estimate": x["ratio"], "ci_low": x["ci_low"], "ci_high": x["ci_high"], "p_val": x["p_val"]}
            if w["reason"] == "tested" and not (w["favoured_rate"] > w["other_rate"] and w["odds_ratio"] > 1):
                verdict, reason = "not_supported", "not_better"
            elif x["reason"] != "tested":
                verdict, reason = "inconclusive", x["reason"]
            elif not x["ratio"] > 1:
                verdict, reason = "not_supported", "not_better_than_reference"
            elif x["p_val"] < alpha:
                verdict, reason = "supported", "significant"
            else:
                verdict, reason = "inconclusive", "not_significant"
            rows.append({"arm": x["arm"], "reference": x["reference"], "design": "interaction", **est,
                         "verdict": verdict, "reason": reason})
    out = pd.DataFrame(rows, columns=["arm", "reference", "design", "estimate", "ci_low", "ci_high", "p_val", "verdict",
                                      "reason"])
    out["holds"] = out["verdict"] == "supported"
    return out


def claim_holds(verdicts: pd.DataFrame) -> bool:
    """Whether the claim is supported by every decision of :func:`claim_verdict` (and
    there is one).

    Examples
    --------
    >>> claim_holds(pd.DataFrame({"verdict": ["supported"]})), claim_holds(pd.DataFrame({"verdict": []}))
    (True, False)
    """
    return bool(len(verdicts)) and bool((verdicts["verdict"] == "supported").all())


# ---------------------------------------------------------------------------------------
# response by baseline manifestation


def response_by_subgroup(sri: pd.DataFrame, cohort: Cohort, week: int, confidence: float = 0.95) -> pd.DataFrame:
    """SRI response at ``week`` among subjects with each manifestation at baseline, per
    arm of the efficacy population (never pooled over arms).

    Parameters
    ----------
    sri : DataFrame
        From :func:`helpers.analyses.efficacy.sri_response` (non-responder imputation),
        with the efficacy population's arm variable.

    Returns
    -------
    DataFrame
        One row per arm and manifestation present in anyone of the arm at baseline: the
        arm, ``PARAMCD``, ``responders``, ``n``, ``rate``, ``ci_low``, ``ci_high``,
        ``method``, ``group``; the rows ``PARAMCD = "ALL"`` (``group = "all"``, every
        subject of the arm) first, then manifestations in definition order, arms in the
        config's order within each.
    """
    arm = cohort.config.population_arm("efficacy")
    cfg = cohort.config
    if arm not in sri:
        raise ValueError(f"response_by_subgroup: the SRI frame has no column {arm!r} (the efficacy population's arm)")
    at = sri.loc[(sri["AVISITN"] == week) & sri[arm].isin(list(cohort.arms)), ["USUBJID", arm, "AVAL"]]
    base = cohort["admanif"]
    present = base.loc[(base["AVISITN"] == cfg.baseline_week) & (base["AVAL"] == 1), ["USUBJID", "PARAMCD"]]
    sub = at.merge(present, on="USUBJID", how="inner")
    everyone = at.assign(PARAMCD=ALL_SUBJECTS)
    out = stats.summarize_response(pd.concat([everyone, sub], ignore_index=True), by=[arm, "PARAMCD"], confidence=confidence)
    out["group"] = out["PARAMCD"].astype("str").map({**GROUPS, ALL_SUBJECTS: "all"})
    return _in_order(out, arm, cohort.arms, {ALL_SUBJECTS: -1, **ORDER})


def subgroup_sizes(subgroups: pd.DataFrame, arm: str, arms: Sequence[str]) -> list[int]:
    """The number of subjects behind each subgroup estimate shown by arm (not the
    ``ALL`` rows).

    Parameters
    ----------
    subgroups : DataFrame
        From :func:`response_by_subgroup`.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01P": ["A", "B", "A", "B"], "PARAMCD": ["ALL", "ALL", "RASH", "RASH"], "n": [10, 8, 4, 3]})
    >>> subgroup_sizes(s, "TRT01P", ["A", "B"])
    [4, 3]
    """
    rows = subgroups[subgroups[arm].isin(list(arms)) & (subgroups["PARAMCD"].astype("str") != ALL_SUBJECTS)]
    return [int(n) for n in rows["n"]]


# ---------------------------------------------------------------------------------------
# subject by subject


def activity_matrix(cohort: Cohort, value: str = "descriptors") -> pd.DataFrame:
    """Subjects by visits: the number of active SLEDAI-2K descriptors (or the total),
    arm by arm.

    Parameters
    ----------
    value : {"descriptors", "total"}

    Returns
    -------
    DataFrame
        Index (arm, ``USUBJID``), the arm level named by the efficacy population's arm
        variable: arms in the config's order, within an arm subjects by decreasing
        baseline value; columns the scheduled weeks (``AVISITN``; missing visits as
        NaN); one row per efficacy subject.
    """
    cfg = cohort.config
    arm = cfg.population_arm("efficacy")
    s = cohort["adsledai"]
    subjects = cohort.population("efficacy")[["USUBJID", arm]]
    subjects = subjects[subjects[arm].isin(list(cohort.arms))]
    if value == "descriptors":
        per = s[s["AVAL"] == 1].groupby(["USUBJID", "AVISITN"], observed=True).size()
        visits = s[["USUBJID", "AVISITN"]].drop_duplicates().set_index(["USUBJID", "AVISITN"])
        per = per.reindex(visits.index, fill_value=0)
    elif value == "total":
        per = derive.derive_sledai_total(s).set_index(["USUBJID", "AVISITN"])["AVAL"]
    else:
        raise ValueError(f"value must be 'descriptors' or 'total', got {value!r}")
    wide = per.unstack("AVISITN").reindex(index=subjects["USUBJID"], columns=list(cfg.weeks))
    wide.columns = [int(w) for w in wide.columns]
    arm_order = {a: i for i, a in enumerate(cohort.arms)}
    key = pd.DataFrame({"arm": subjects[arm].astype("str").map(arm_order).to_numpy(),
                        "base": -wide[cfg.baseline_week].fillna(-1).to_numpy()}, index=wide.index)
    order = key.sort_values(["arm", "base"], kind="stable").index
    out = wide.loc[order].astype(float)
    out.index = pd.MultiIndex.from_arrays([subjects.set_index("USUBJID").loc[order, arm].astype("str").to_numpy(), order],
                                          names=[arm, "USUBJID"])
    return out


def check_resolution(summary: pd.DataFrame) -> None:
    """Checks a chapter runs on a resolution summary; raises ``ValueError``.

    Resolved never exceeds the number active at baseline, and rates lie in [0, 1].
    """
    if (summary["responders"] > summary["n"]).any() or not summary["rate"].dropna().between(0, 1).all():
        raise ValueError(f"resolution counts are inconsistent: {summary.to_dict('records')}")


def check_per_arm(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> None:
    """Checks a chapter runs on a per-arm summary; raises ``ValueError``.

    Every row is one of ``arms``: with several arms, no pooled (``Total``) row.

    Examples
    --------
    >>> check_per_arm(pd.DataFrame({"TRT01P": ["A", "B"]}), "TRT01P", ["A", "B"])
    """
    other = sorted(set(summary[arm].astype("str")) - {str(a) for a in arms})
    if other:
        raise ValueError(f"rows for {other} in column {arm!r}, which is none of the arms {list(arms)}: a pooled row?")


# ---------------------------------------------------------------------------------------
# manifestations by visit, in the layout of the randomized trial's Table 2
#
# Result names (the chapter adds ``@<arm>`` and ``@<arm>-vs-<reference>``) follow
# :mod:`helpers.analyses.paper_tables`: ``<code>_week<w>_<statistic>`` with the measure
# code ``manif_<descriptor in lower case>``: ``manif_rash_week12_n@IL-2`` (subjects with
# the manifestation), ``manif_rash_week12_subjects@IL-2`` (the arm's subjects, the
# denominator), ``manif_rash_week12_pct@IL-2`` (a percentage), after baseline
# ``manif_rash_week12_p_published@IL-2`` (Fisher's exact test on the two visits' counts
# as independent groups, as published) and ``manif_rash_week12_p_paired@IL-2`` (exact
# McNemar on the subjects seen at both visits); between arms
# ``manif_rash_week12_diff@IL-2-vs-Placebo`` with ``_diff_ci_low``, ``_diff_ci_high``,
# ``_diff_p`` (Miettinen-Nurminen).


def manifestation_code(descriptor: str) -> str:
    """The measure code of a Table 2 manifestation in result names.

    Examples
    --------
    >>> manifestation_code("RASH")
    'manif_rash'
    """
    return f"manif_{descriptor.lower()}"


def table2_manifestations(cohort: Cohort) -> list[str]:
    """The Table 2 manifestations (:data:`helpers.definitions.TABLE2_MANIFESTATIONS`)
    that the cohort's ``adsledai`` records, in the paper's order; empty without
    ``adsledai``."""
    if not cohort.has("adsledai"):
        return []
    have = set(cohort["adsledai"]["PARAMCD"].astype(str).unique())
    return [c for c in d.TABLE2_MANIFESTATIONS if c in have]


def manifestation_flags(cohort: Cohort, weeks: Sequence[int], missed: str = "N") -> pd.DataFrame:
    """Whether each subject of the efficacy population has each Table 2 manifestation at
    each week: the ``Y``/``N`` flags the layout of :mod:`helpers.analyses.paper_tables`
    takes.

    Parameters
    ----------
    cohort : Cohort
    weeks : sequence of int
        The visits shown (baseline first).
    missed : {"N", ""}
        The flag of a subject without the visit: ``"N"`` (not present: the paper's
        percentages are of every patient analysed, 29 and 30) or ``""`` (not
        evaluable: left out, as a paired test needs).

    Returns
    -------
    DataFrame
        One row per subject, manifestation and week: ``USUBJID``, the efficacy
        population's arm variable, ``PARAMCD`` (the descriptor), ``AVISITN``, ``FLAG``.

    Raises
    ------
    ValueError
        ``missed`` is neither ``"N"`` nor ``""``.
    """
    if missed not in ("N", ""):
        raise ValueError(f"manifestation_flags: missed must be 'N' or '', got {missed!r}")
    cfg = cohort.config
    arm = cfg.population_arm("efficacy")
    codes = table2_manifestations(cohort)
    subjects = cohort.population("efficacy")[["USUBJID", arm]].assign(USUBJID=lambda f: f["USUBJID"].astype(str))
    subjects = subjects[subjects[arm].isin(list(cohort.arms))]
    grid = pd.MultiIndex.from_product([subjects["USUBJID"], codes, [int(w) for w in weeks]],
                                      names=["USUBJID", "PARAMCD", "AVISITN"]).to_frame(index=False)
    sd = cohort["adsledai"]
    sd = sd[sd["PARAMCD"].astype(str).isin(codes) & sd["AVISITN"].isin(list(weeks))]
    seen = pd.DataFrame({"USUBJID": sd["USUBJID"].astype(str).to_numpy(), "PARAMCD": sd["PARAMCD"].astype(str).to_numpy(),
                         "AVISITN": sd["AVISITN"].astype(int).to_numpy(), "AVAL": sd["AVAL"].astype(float).to_numpy()})
    out = grid.merge(seen, on=["USUBJID", "PARAMCD", "AVISITN"], how="left").merge(subjects, on="USUBJID")
    out["FLAG"] = np.where(out["AVAL"].isna(), missed, np.where(out["AVAL"] == 1, "Y", "N"))
    return out[["USUBJID", arm, "PARAMCD", "AVISITN", "FLAG"]]


def _measures(flags: pd.DataFrame) -> list:
    from helpers.analyses.paper_tables import PaperMeasure

    return [PaperMeasure(manifestation_code(c), "binary", part, "FLAG")
            for c, part in flags.groupby("PARAMCD", sort=False)]


def manifestations_by_visit(cohort: Cohort, weeks: Sequence[int]) -> pd.DataFrame:
    """Table 2's manifestations per arm and week, n (%) of the arm's subjects, with the
    within-arm p-value against baseline as published beside the paired one.

    A thin wrapper of :func:`helpers.analyses.paper_tables.paper_table`: counts,
    percentages and the "as published" p-value (Fisher's exact test on the two visits'
    counts as independent groups) count a missed visit as the manifestation absent, the
    paper's denominators (every patient analysed); the paired test (exact McNemar) is on
    the subjects seen at both visits only (:func:`paper_tables.within_arm_tests` on
    the flags without missed visits), since imputing "absent" would make up pairs that
    improved.

    Returns
    -------
    DataFrame
        :func:`helpers.analyses.paper_tables.paper_table`'s columns (``PARAMCD`` is the
        measure code, :func:`manifestation_code`) plus ``descriptor`` (the SLEDAI-2K
        code); ``n_paired`` and ``p_paired`` from the subjects seen at both visits.
    """
    from helpers.analyses import paper_tables

    cfg = cohort.config
    arm = cfg.population_arm("efficacy")
    weeks = [int(w) for w in weeks]
    imputed = manifestation_flags(cohort, weeks, missed="N")
    table = paper_tables.paper_table(_measures(imputed), arm, cohort.arms, weeks, cfg.baseline_week)
    observed = manifestation_flags(cohort, weeks, missed="")
    paired = []
    for m in _measures(observed):
        t = paper_tables.within_arm_tests(m.data, "binary", arm, cohort.arms, weeks, cfg.baseline_week, "FLAG")
        paired.append(t.assign(PARAMCD=m.code)[["PARAMCD", "arm", "AVISITN", "n_paired", "p_paired"]])
    if paired:
        p = pd.concat(paired, ignore_index=True)
        table = table.drop(columns=["n_paired", "p_paired"]).merge(p, on=["PARAMCD", "arm", "AVISITN"], how="left")
        table["n_paired"] = table["n_paired"].astype("Int64")
    table["descriptor"] = table["PARAMCD"].str.removeprefix("manif_").str.upper()
    return table


def manifestation_differences(cohort: Cohort, weeks: Sequence[int], confidence: float = 0.95) -> pd.DataFrame:
    """Each arm against the reference arm, for every Table 2 manifestation and week: the
    difference in the share of subjects with it, with the Miettinen-Nurminen interval
    (:func:`helpers.analyses.paper_tables.paper_differences`; a missed visit counts as
    absent, as in :func:`manifestations_by_visit`). Empty with one arm."""
    from helpers.analyses import paper_tables

    cfg = cohort.config
    reference = cfg.reference_arm
    if reference is None or len(cohort.arms) < 2:
        return paper_tables.paper_differences([], cfg.population_arm("efficacy"), cohort.arms, "", weeks, confidence)
    flags = manifestation_flags(cohort, weeks, missed="N")
    return paper_tables.paper_differences(_measures(flags), cfg.population_arm("efficacy"), cohort.arms, reference,
                                          [int(w) for w in weeks], confidence)


def reported_weeks(config) -> list[int]:
    """The weeks a by-visit table reports: baseline, the primary week, the secondary
    weeks of the analysis plan, and (for renal remission) ``renal.week``, in order.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> reported_weeks(NS(baseline_week=0, primary_week=12, analysis=NS(secondary_weeks=(24,))))
    [0, 12, 24]
    """
    weeks = {config.baseline_week, config.primary_week, *config.analysis.secondary_weeks}
    return sorted(int(w) for w in weeks if w is not None)
