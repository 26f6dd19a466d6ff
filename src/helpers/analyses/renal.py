"""Lupus nephritis: the subgroup with renal involvement at baseline, complete and partial
renal remission at the reported weeks by arm, and the between-arm test the config names.

Compositions of :mod:`helpers.derive.renal` and :mod:`helpers.stats` on a validated
cohort, each returning a tidy frame keyed by codes (response codes
:data:`RESPONSES`, test codes :data:`TESTS`, verdict codes :data:`VERDICTS`) that a
table or a sentence of :mod:`helpers.present.prose.organ` turns into a page.

Estimands. The subgroup is the efficacy population's subjects with renal involvement at
baseline by ``cohort.yml``'s ``renal.subgroup`` (defaults: 24-hour proteinuria above
0.5 g, UPCR above 500 mg/g, or a renal BILAG A or B), counted in the efficacy
population's arm variable (the randomized arm for intention to treat). Remission is
judged by ``renal``'s criteria (defaults EULAR/ERA-EDTA 2019 and KDIGO 2024) at each
reported week; a subject of the subgroup without the values needed at a week counts as
not in remission (non-responder imputation), as the paper's denominators (13 and 12,
the whole subgroup) imply. Arms are compared with the reference arm, never pooled.

The section applies only when ``adlb`` holds a proteinuria and a kidney-function
measure (:func:`renal_available`).

Result names (the chapter adds ``@<arm>`` or ``@<arm>-vs-<reference>``), in the scheme
of :mod:`helpers.analyses.paper_tables` (``<code>_week<w>_<statistic>``, the statistic
last so that counts end in ``_n`` or ``_subjects``):

- ``ln_week<b>_n`` (subjects with lupus nephritis at baseline ``b``),
  ``ln_week<b>_subjects`` (subjects of the arm), ``ln_week<b>_rate`` (a fraction);
- ``ln_<r>_week<w>_n`` (in remission), ``ln_<r>_week<w>_subjects`` (the subgroup),
  ``ln_<r>_week<w>_rate``, ``ln_<r>_week<w>_ci_low``, ``ln_<r>_week<w>_ci_high``
  (Clopper-Pearson), for ``r`` in ``cr`` (complete) and ``pr`` (partial, not complete);
- between arms: ``ln_<r>_week<w>_diff``, ``_diff_ci_low``, ``_diff_ci_high``
  (Miettinen-Nurminen), ``_p`` (the config's test), ``_p_score``, ``_p_chisq``,
  ``_p_fisher``, ``_p_fisher_one_sided`` (every test, so that a page can say which gives
  a published p-value), ``_verdict`` (:data:`VERDICTS`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from scipy import stats as sps

from helpers import derive, stats
from helpers.data import Cohort
from helpers.stats.rates import score_interval, score_test

#: Renal responses: code -> the flag of :func:`helpers.derive.derive_renal_response`
#: (``partial`` is partial and not complete) and the short code of result names.
RESPONSES: dict[str, tuple[str, str]] = {"complete": ("CRFL", "cr"), "partial": ("PRFL", "pr")}

#: Tests of a rate between two arms computed for every comparison (the config's
#: ``renal.test`` picks the one of ``p_val``): the Miettinen-Nurminen score test,
#: Pearson's chi-square test without continuity correction, Fisher's exact test
#: (two-sided, R ``fisher.test``), and Fisher's exact test one-sided in the direction
#: observed.
TESTS: tuple[str, ...] = ("score", "chisq", "fisher", "fisher_one_sided")

#: The verdict of a between-arm comparison at the analysis plan's level:
#: ``significant``, ``not_significant``, or ``not_tested`` (an arm without subjects).
VERDICTS: tuple[str, ...] = ("significant", "not_significant", "not_tested")

_COMPARISON_COLUMNS = ["arm", "reference", "AVISITN", "response", "responders", "n", "ref_responders", "ref_n",
                       "estimate", "ci_low", "ci_high", "confidence", "test", "p_val", "p_score", "p_chisq",
                       "p_fisher", "p_fisher_one_sided", "method"]


def renal_available(adlb: pd.DataFrame) -> bool:
    """Whether ``adlb`` holds what renal remission needs: a proteinuria measure (``UPROT``
    or ``UPCR``) and a kidney-function measure (``EGFR`` or ``CREAT``) with values.

    Examples
    --------
    >>> renal_available(pd.DataFrame({"PARAMCD": ["UPROT", "EGFR"], "AVAL": [0.8, 90.0]}))
    True
    >>> renal_available(pd.DataFrame({"PARAMCD": ["UPROT", "C3"], "AVAL": [0.8, 0.9]}))
    False
    """
    found = derive.renal_measures(adlb)
    return found["proteinuria"] is not None and found["kidney"] is not None


def _check_available(cohort: Cohort, what: str) -> None:
    if not cohort.has("adlb") or not renal_available(cohort["adlb"]):
        raise ValueError(f"{what}: adlb holds no proteinuria and kidney-function measures "
                         f"(UPROT or UPCR, and EGFR or CREAT): no renal section for cohort {cohort.config.name!r}")


def lupus_nephritis_subgroup(cohort: Cohort) -> pd.DataFrame:
    """The efficacy population with the lupus nephritis flag at baseline.

    Returns
    -------
    DataFrame
        One row per subject of the efficacy population: ``USUBJID``, the population's
        arm variable, ``UPROTBL``, ``UPCRBL``, ``RENALBL`` (from
        :func:`helpers.derive.derive_renal_subgroup` with ``cohort.yml``'s
        ``renal.subgroup``), ``LNFL`` (``"Y"`` renal involvement at baseline, ``"N"``
        not, including subjects without any baseline value of a criterion).

    Raises
    ------
    ValueError
        ``adlb`` holds no renal measures (:func:`renal_available`).
    """
    _check_available(cohort, "lupus_nephritis_subgroup")
    cfg = cohort.config
    crit = cfg.renal
    grades = crit.bilag_grades if cohort.has("adbilag") else ()
    if not grades and crit.proteinuria_above is None and crit.upcr_above is None:
        raise ValueError("lupus_nephritis_subgroup: the renal subgroup is defined by BILAG grades only, "
                         f"and cohort {cfg.name!r} has no adbilag")
    sub = derive.derive_renal_subgroup(cohort["adlb"], cohort["adbilag"] if grades else None,
                                       proteinuria_above=crit.proteinuria_above, upcr_above=crit.upcr_above,
                                       bilag_grades=grades, baseline_week=cfg.baseline_week)
    arm = cfg.population_arm("efficacy")
    subjects = cohort.population("efficacy")[["USUBJID", arm]].assign(USUBJID=lambda f: f["USUBJID"].astype(str))
    out = subjects.merge(sub, on="USUBJID", how="left")
    out["RENALBL"] = out["RENALBL"].fillna("")
    out["LNFL"] = out["LNFL"].fillna("N")
    return out.reset_index(drop=True)


def summarize_subgroup(subgroup: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """How many subjects of each arm have lupus nephritis at baseline.

    Parameters
    ----------
    subgroup : DataFrame
        From :func:`lupus_nephritis_subgroup`: ``USUBJID``, ``arm``, ``LNFL``.
    arm : str
    arms : sequence of str
        The arms, in the config's order (an arm without subjects gets zeros).

    Returns
    -------
    DataFrame
        One row per arm: the arm, ``n`` (``LNFL = "Y"``), ``subjects`` (of the arm),
        ``rate`` (n / subjects; missing without subjects).

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": list("abcd"), "ARM": ["X", "X", "X", "Y"], "LNFL": ["Y", "N", "Y", "N"]})
    >>> summarize_subgroup(s, "ARM", ["X", "Y"])
      ARM  n  subjects      rate
    0   X  2         3  0.666667
    1   Y  0         1  0.000000
    """
    missing = [c for c in ("USUBJID", arm, "LNFL") if c not in subgroup]
    if missing:
        raise ValueError(f"summarize_subgroup: columns {missing} not in the subgroup frame")
    rows = []
    for a in arms:
        mine = subgroup[subgroup[arm].astype(str) == str(a)]
        n, total = int((mine["LNFL"] == "Y").sum()), int(mine["USUBJID"].nunique())
        rows.append({arm: a, "n": n, "subjects": total, "rate": n / total if total else math.nan})
    return pd.DataFrame(rows, columns=[arm, "n", "subjects", "rate"])


def renal_response(cohort: Cohort, weeks: Sequence[int]) -> pd.DataFrame:
    """Complete and partial renal remission of every subject of the subgroup at each week.

    Parameters
    ----------
    cohort : Cohort
    weeks : sequence of int
        The reported weeks (after baseline), e.g. the primary and secondary weeks and
        ``cohort.config.renal_week``.

    Returns
    -------
    DataFrame
        One row per subject with lupus nephritis at baseline, week and response
        (:data:`RESPONSES`): ``USUBJID``, the efficacy population's arm variable,
        ``AVISITN``, ``response``, ``AVAL`` (1 in remission, 0 not), ``EVALFL``
        (``"Y"`` the values needed were there, ``"N"`` not: counted as not in
        remission), ``BASE``, ``VALUE`` (proteinuria at baseline and at the week),
        ``KFSTBFL`` (kidney function stable).

    Raises
    ------
    ValueError
        No renal measures, or a week that is not a post-baseline visit of the config.

    Notes
    -----
    :func:`helpers.derive.derive_renal_response` with ``cohort.yml``'s ``renal``
    thresholds (:meth:`helpers.data.config.RenalCriteria.thresholds`). A missed visit
    or a missing value is not remission (non-responder imputation).
    """
    what = "renal_response"
    _check_available(cohort, what)
    cfg = cohort.config
    bad = [w for w in weeks if w not in cfg.post_baseline_weeks]
    if bad:
        raise ValueError(f"{what}: weeks {bad} are not post-baseline visits {list(cfg.post_baseline_weeks)}")
    arm = cfg.population_arm("efficacy")
    sub = lupus_nephritis_subgroup(cohort)
    sub = sub.loc[sub["LNFL"] == "Y", ["USUBJID", arm]]
    adlb = cohort["adlb"]
    found = derive.renal_measures(adlb)
    kwargs = cfg.renal.thresholds(found["proteinuria"])
    parts = []
    for w in weeks:
        resp = derive.derive_renal_response(adlb, week=int(w), baseline_week=cfg.baseline_week,
                                            proteinuria=found["proteinuria"], kidney=found["kidney"], **kwargs)
        resp = resp.assign(USUBJID=resp["USUBJID"].astype(str))
        at = sub.merge(resp, on="USUBJID", how="left")
        for code, (flag, _) in RESPONSES.items():
            value = at[flag].astype("object").fillna("")
            parts.append(pd.DataFrame({
                "USUBJID": at["USUBJID"], arm: at[arm], "AVISITN": int(w), "response": code,
                "AVAL": (value == "Y").astype(float), "EVALFL": np.where(value == "", "N", "Y"),
                "BASE": at["BASE"], "VALUE": at["AVAL"], "KFSTBFL": at["KFSTBFL"].astype("object").fillna(""),
            }))
    columns = ["USUBJID", arm, "AVISITN", "response", "AVAL", "EVALFL", "BASE", "VALUE", "KFSTBFL"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def summarize_renal_response(response: pd.DataFrame, arm: str, arms: Sequence[str],
                             confidence: float = 0.95) -> pd.DataFrame:
    """Subjects in remission of the subgroup, per arm, week and response, with the exact
    interval; never pooled over arms.

    Parameters
    ----------
    response : DataFrame
        From :func:`renal_response`: the arm, ``AVISITN``, ``response``, ``AVAL``.
    arm : str
    arms : sequence of str
        The arms in the config's order: an arm without a subject in the subgroup gets
        ``0/0`` (missing rate and interval).
    confidence : float

    Returns
    -------
    DataFrame
        One row per week (in order), response (:data:`RESPONSES` order, those in
        ``response``) and arm: the arm,
        ``AVISITN``, ``response``, ``responders``, ``n``, ``rate``, ``ci_low``,
        ``ci_high``, ``method`` (Clopper-Pearson, :func:`helpers.stats.proportion_ci`).

    Examples
    --------
    >>> r = pd.DataFrame({"ARM": ["X", "X", "Y"], "AVISITN": 24, "response": "complete", "AVAL": [1.0, 0.0, 1.0]})
    >>> summarize_renal_response(r, "ARM", ["X", "Y", "Z"])[["ARM", "responders", "n", "rate"]]
      ARM  responders  n  rate
    0   X           1  2   0.5
    1   Y           1  1   1.0
    2   Z           0  0   NaN
    """
    missing = [c for c in (arm, "AVISITN", "response", "AVAL") if c not in response]
    if missing:
        raise ValueError(f"summarize_renal_response: columns {missing} not in the response frame")
    rows = []
    weeks = sorted({int(w) for w in response["AVISITN"]})
    for w in weeks:
        for code in [c for c in RESPONSES if c in set(response["response"])]:
            for a in arms:
                v = response.loc[(response["AVISITN"] == w) & (response["response"] == code)
                                 & (response[arm].astype(str) == str(a)), "AVAL"].dropna()
                ci = stats.proportion_ci(int(v.sum()), len(v), confidence).iloc[0]
                rows.append({arm: a, "AVISITN": w, "response": code, "responders": int(v.sum()), "n": len(v),
                             "rate": ci["rate"], "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
                             "method": ci["method"]})
    return pd.DataFrame(rows, columns=[arm, "AVISITN", "response", "responders", "n", "rate", "ci_low", "ci_high",
                                       "method"])


def rate_tests(x1: int, n1: int, x0: int, n0: int) -> dict[str, float]:
    """Every test of :data:`TESTS` of x1/n1 against x0/n0: two-sided p-values, and the
    one-sided Fisher p in the direction observed.

    Notes
    -----
    ``score``: Miettinen-Nurminen (:func:`helpers.stats.rates.score_test`);
    ``chisq``: Pearson's chi-square without continuity correction (R ``prop.test(c(x1,
    x0), c(n1, n0), correct = FALSE)``); ``fisher``: R ``fisher.test`` (the tables no
    more likely than the one observed; scipy ``fisher_exact``); ``fisher_one_sided``:
    ``alternative = "greater"`` when x1/n1 >= x0/n0, else ``"less"``. Missing when an
    arm has no subject; chi-square is missing when every subject or none responded.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in rate_tests(7, 13, 2, 12).items()}  # He et al. 2020: p = 0.036
    {'score': 0.058, 'chisq': 0.053, 'fisher': 0.0968, 'fisher_one_sided': 0.0633}
    """
    if min(n1, n0) <= 0:
        return dict.fromkeys(TESTS, math.nan)
    table = [[x1, n1 - x1], [x0, n0 - x0]]
    both = x1 + x0
    chisq = (math.nan if both in (0, n1 + n0)
             else float(sps.chi2_contingency(np.array(table), correction=False)[1]))
    side = "greater" if x1 / n1 >= x0 / n0 else "less"
    return {"score": score_test(x1, n1, x0, n0), "chisq": chisq, "fisher": float(sps.fisher_exact(table).pvalue),
            "fisher_one_sided": float(sps.fisher_exact(table, alternative=side).pvalue)}


def compare_renal_response(summary: pd.DataFrame, arm: str, arms: Sequence[str], reference: str | None,
                           test: str = "fisher", confidence: float = 0.95) -> pd.DataFrame:
    """Remission in each arm against the reference arm: the difference with its
    Miettinen-Nurminen interval, the p-value of the named test, and every other test.

    Parameters
    ----------
    summary : DataFrame
        From :func:`summarize_renal_response`.
    arm : str
    arms : sequence of str
    reference : str or None
        The reference arm; None (a single arm) gives no rows.
    test : {"score", "chisq", "fisher"}
        The test of ``p_val`` (``cohort.yml`` ``renal.test``; default Fisher's exact).
    confidence : float

    Returns
    -------
    DataFrame
        One row per compared arm, week and response: ``arm``, ``reference``,
        ``AVISITN``, ``response``, ``responders``, ``n``, ``ref_responders``, ``ref_n``,
        ``estimate`` (rate - reference rate), ``ci_low``, ``ci_high``
        (Miettinen-Nurminen), ``confidence``, ``test``, ``p_val``, ``p_score``,
        ``p_chisq``, ``p_fisher``, ``p_fisher_one_sided`` (:func:`rate_tests`),
        ``method``. Missing estimate and p-values when an arm has no subject.

    Raises
    ------
    ValueError
        An unknown test, a reference not among the arms, a confidence outside (0, 1).

    Notes
    -----
    The interval is the Miettinen-Nurminen score interval of p1 - p0
    (:func:`helpers.stats.rates.score_interval`; Miettinen and Nurminen, Stat Med
    1985;4:213-26; R ``PropCIs::diffscoreci``); it inverts the score test, not Fisher's,
    so with ``test="fisher"`` the two may disagree near the level.

    Examples
    --------
    >>> s = pd.DataFrame({"ARM": ["IL-2", "Placebo"], "AVISITN": 24, "response": "complete",
    ...                   "responders": [7, 2], "n": [13, 12]})
    >>> c = compare_renal_response(s, "ARM", ["IL-2", "Placebo"], "Placebo")
    >>> c[["estimate", "ci_low", "ci_high", "p_val", "p_chisq"]].round(4).values.tolist()
    [[0.3718, -0.013, 0.6611, 0.0968, 0.053]]
    """
    what = "compare_renal_response"
    allowed = tuple(t for t in TESTS if t != "fisher_one_sided")
    if test not in allowed:
        raise ValueError(f"{what}: test must be one of {list(allowed)}, got {test!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"{what}: confidence must be between 0 and 1, got {confidence}")
    if reference is None or len(arms) < 2:
        return pd.DataFrame(columns=_COMPARISON_COLUMNS)
    if reference not in arms:
        raise ValueError(f"{what}: reference {reference!r} is not one of the arms {list(arms)}")
    methods = {"score": "Miettinen-Nurminen score test", "chisq": "Pearson chi-square test",
               "fisher": "Fisher's exact test"}
    rows = []
    keys = summary[["AVISITN", "response"]].drop_duplicates().itertuples(index=False)
    by = {(int(r["AVISITN"]), r["response"], str(r[arm])): r for _, r in summary.iterrows()}
    for w, code in keys:
        ref = by.get((int(w), code, str(reference)))
        for a in arms:
            if a == reference:
                continue
            one = by.get((int(w), code, str(a)))
            x1, n1 = (int(one["responders"]), int(one["n"])) if one is not None else (0, 0)
            x0, n0 = (int(ref["responders"]), int(ref["n"])) if ref is not None else (0, 0)
            p = rate_tests(x1, n1, x0, n0)
            lo = hi = est = math.nan
            if min(n1, n0) > 0:
                est = x1 / n1 - x0 / n0
                lo, hi = score_interval(x1, n1, x0, n0, confidence)
            rows.append({"arm": a, "reference": reference, "AVISITN": int(w), "response": code, "responders": x1,
                         "n": n1, "ref_responders": x0, "ref_n": n0, "estimate": est, "ci_low": lo, "ci_high": hi,
                         "confidence": confidence, "test": test, "p_val": p[test],
                         **{f"p_{k}": v for k, v in p.items()},
                         "method": f"Miettinen-Nurminen interval; {methods[test]}"})
    return pd.DataFrame(rows, columns=_COMPARISON_COLUMNS)


def renal_verdicts(comparison: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The verdict of each between-arm comparison at the two-sided level ``alpha``.

    Parameters
    ----------
    comparison : DataFrame
        From :func:`compare_renal_response`.
    alpha : float

    Returns
    -------
    DataFrame
        ``comparison`` with ``verdict`` (:data:`VERDICTS`): ``significant`` when
        ``p_val < alpha``, ``not_significant`` otherwise, ``not_tested`` without a
        p-value.

    Examples
    --------
    >>> renal_verdicts(pd.DataFrame({"p_val": [0.0968, 0.01, float("nan")]}), 0.05)["verdict"].tolist()
    ['not_significant', 'significant', 'not_tested']
    """
    if not 0 < alpha < 1:
        raise ValueError(f"renal_verdicts: alpha must be between 0 and 1, got {alpha}")
    p = comparison["p_val"].astype(float)
    verdict = np.where(p.isna(), "not_tested", np.where(p < alpha, "significant", "not_significant"))
    return comparison.assign(verdict=verdict)


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        return max(0, -int(text.split("e")[1]))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def reproducing_tests(row: pd.Series | dict, published: float) -> pd.DataFrame:
    """Which tests of :data:`TESTS` give a published p-value, rounded as it was printed.

    Parameters
    ----------
    row : Series or mapping
        One comparison of :func:`compare_renal_response` (``p_score``, ``p_chisq``,
        ``p_fisher``, ``p_fisher_one_sided``).
    published : float
        The p-value as printed (``0.036``): its decimals are the rounding.

    Returns
    -------
    DataFrame
        One row per test in :data:`TESTS` order: ``test``, ``p_val``, ``reproduces``
        (the p-value rounded to the published decimals, halves up or to even, gives the
        published figure: the rule of :func:`helpers.publish.compare.compare_published`).

    Examples
    --------
    >>> row = {"p_score": 0.058, "p_chisq": 0.0530, "p_fisher": 0.0968, "p_fisher_one_sided": 0.0633}
    >>> reproducing_tests(row, 0.036)["reproduces"].tolist(), reproducing_tests(row, 0.053)["reproduces"].tolist()
    ([False, False, False, False], [False, True, False, False])
    """
    if isinstance(published, bool) or not isinstance(published, int | float) or not 0 <= published <= 1:
        raise ValueError(f"reproducing_tests: published must be a p-value from 0 to 1, got {published!r}")
    step = Decimal(1).scaleb(-_decimals(published))
    target = Decimal(repr(float(published))).quantize(step, ROUND_HALF_EVEN)
    rows = []
    for t in TESTS:
        p = float(row[f"p_{t}"])
        ok = False
        if not math.isnan(p):
            ok = target in {Decimal(repr(p)).quantize(step, m) for m in (ROUND_HALF_UP, ROUND_HALF_EVEN)}
        rows.append({"test": t, "p_val": p, "reproduces": ok})
    return pd.DataFrame(rows, columns=["test", "p_val", "reproduces"])


def renal_values(summary: pd.DataFrame, arm: str, subgroup: pd.DataFrame | None = None,
                 baseline_week: int = 0) -> pd.DataFrame:
    """The per-arm cells as one row per arm and one column per result name (module
    docstring), what ``Chapter.glue_columns(frame, "{}", by=arm, total=False)`` glues.

    Parameters
    ----------
    summary : DataFrame
        From :func:`summarize_renal_response`.
    arm : str
    subgroup : DataFrame, optional
        From :func:`summarize_subgroup`: adds ``ln_week<b>_n``, ``_subjects``, ``_rate``.
    baseline_week : int

    Examples
    --------
    >>> s = pd.DataFrame({"ARM": ["X"], "AVISITN": [24], "response": ["complete"], "responders": [7], "n": [13],
    ...                   "rate": [7 / 13], "ci_low": [0.25], "ci_high": [0.81]})
    >>> renal_values(s, "ARM").columns.tolist()
    ['ARM', 'ln_cr_week24_n', 'ln_cr_week24_subjects', 'ln_cr_week24_rate', 'ln_cr_week24_ci_low', 'ln_cr_week24_ci_high']
    """
    rows: dict[str, dict[str, object]] = {}
    if subgroup is not None:
        for _, r in subgroup.iterrows():
            row = rows.setdefault(str(r[arm]), {arm: r[arm]})
            row[f"ln_week{int(baseline_week)}_n"] = int(r["n"])
            row[f"ln_week{int(baseline_week)}_subjects"] = int(r["subjects"])
            row[f"ln_week{int(baseline_week)}_rate"] = r["rate"]
    for _, r in summary.iterrows():
        row = rows.setdefault(str(r[arm]), {arm: r[arm]})
        stem = f"ln_{RESPONSES[r['response']][1]}_week{int(r['AVISITN'])}"
        row[f"{stem}_n"] = int(r["responders"])
        row[f"{stem}_subjects"] = int(r["n"])
        for s in ("rate", "ci_low", "ci_high"):
            row[f"{stem}_{s}"] = r[s]
    return pd.DataFrame(list(rows.values()))


def renal_comparison_values(comparison: pd.DataFrame) -> pd.DataFrame:
    """The between-arm cells as one row per compared arm (``arm``, ``reference``) and one
    column per result name (``ln_<r>_week<w>_diff``, ``_diff_ci_low``, ``_diff_ci_high``,
    ``_p``, ``_p_<test>``, and ``_verdict`` when ``comparison`` has verdicts), what
    ``Chapter.glue_comparisons`` glues.

    Examples
    --------
    >>> c = pd.DataFrame({"arm": ["X"], "reference": ["Y"], "AVISITN": [24], "response": ["complete"],
    ...                   "estimate": [0.37], "ci_low": [-0.01], "ci_high": [0.67], "p_val": [0.097], "p_score": [0.055],
    ...                   "p_chisq": [0.053], "p_fisher": [0.097], "p_fisher_one_sided": [0.063]})
    >>> renal_comparison_values(c).columns.tolist()[2:6]
    ['ln_cr_week24_diff', 'ln_cr_week24_diff_ci_low', 'ln_cr_week24_diff_ci_high', 'ln_cr_week24_p']
    """
    rows: dict[tuple, dict[str, object]] = {}
    for _, r in comparison.iterrows():
        row = rows.setdefault((r["arm"], r["reference"]), {"arm": r["arm"], "reference": r["reference"]})
        stem = f"ln_{RESPONSES[r['response']][1]}_week{int(r['AVISITN'])}"
        row[f"{stem}_diff"] = r["estimate"]
        row[f"{stem}_diff_ci_low"] = r["ci_low"]
        row[f"{stem}_diff_ci_high"] = r["ci_high"]
        row[f"{stem}_p"] = r["p_val"]
        for t in TESTS:
            row[f"{stem}_p_{t}"] = r[f"p_{t}"]
        if "verdict" in comparison.columns:
            row[f"{stem}_verdict"] = r["verdict"]
    return pd.DataFrame(list(rows.values()), columns=None if rows else ["arm", "reference"])


def check_renal(summary: pd.DataFrame, subgroup: pd.DataFrame) -> None:
    """Checks a chapter runs on the renal summaries; raises ``ValueError``.

    Remission never exceeds the subgroup; the subgroup never exceeds its arm; rates lie
    in [0, 1]; complete and partial remission never add up to more than the subgroup.
    """
    if (summary["responders"] > summary["n"]).any() or not summary["rate"].dropna().between(0, 1).all():
        raise ValueError(f"renal remission counts are inconsistent: {summary.to_dict('records')}")
    if (subgroup["n"] > subgroup["subjects"]).any():
        raise ValueError(f"lupus nephritis subgroup larger than its arm: {subgroup.to_dict('records')}")
    key = [c for c in summary.columns if c not in ("response", "responders", "rate", "ci_low", "ci_high", "method")]
    total = summary.groupby(key, sort=False, observed=True)["responders"].sum()
    n = summary.groupby(key, sort=False, observed=True)["n"].max()
    if (total > n).any():
        raise ValueError("complete and partial remission add up to more than the subgroup")


def renal_weeks(config) -> list[int]:
    """The weeks at which remission is reported: the primary week, the analysis plan's
    secondary weeks and ``renal.week`` (:attr:`CohortConfig.renal_week`), after
    baseline, in order.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> renal_weeks(NS(baseline_week=0, primary_week=12, analysis=NS(secondary_weeks=(24,)), renal_week=24))
    [12, 24]
    """
    weeks = {config.primary_week, *config.analysis.secondary_weeks, config.renal_week}
    return sorted(int(w) for w in weeks if w is not None and w != config.baseline_week)


def published_p_check(comparison: pd.DataFrame, week: int, published: float | None,
                      response: str = "complete") -> pd.DataFrame | None:
    """:func:`reproducing_tests` for the one comparison at ``week`` and ``response``;
    None when no published p-value is given or there is not exactly one comparison (a
    single arm, several compared arms).

    Examples
    --------
    >>> c = pd.DataFrame({"AVISITN": [24], "response": ["complete"], "p_score": [0.058], "p_chisq": [0.053],
    ...                   "p_fisher": [0.0968], "p_fisher_one_sided": [0.0633]})
    >>> bool(published_p_check(c, 24, 0.036)["reproduces"].any()), published_p_check(c, 24, None)
    (False, None)
    """
    if published is None or not len(comparison):
        return None
    row = comparison[(comparison["AVISITN"] == week) & (comparison["response"] == response)]
    if len(row) != 1:
        return None
    return reproducing_tests(row.iloc[0], published)


def measures(cohort: Cohort) -> dict[str, str | None]:
    """The renal measures the cohort's ``adlb`` holds (:func:`helpers.derive.renal_measures`);
    both None without ``adlb``."""
    if not cohort.has("adlb"):
        return {"proteinuria": None, "kidney": None}
    return derive.renal_measures(cohort["adlb"])
