"""Statistics: one function per question, tidy frames in and out.

Every function returns a DataFrame with snake_case columns shared across the package
(``n``, ``responders``, ``rate``, ``ci_low``, ``ci_high``, ``estimate``, ``p_val``,
``p_adj``, ``method``). Values are never rounded here; rounding is for display.
Inference choices are arguments and the output says which was used.

References are in ``references.bib``; each docstring names the independent reference
its test compares with.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

_CI_METHODS = {"exact": "beta", "wilson": "wilson"}


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")


def proportion_ci(successes: int, n: int, confidence: float = 0.95, method: str = "exact") -> pd.DataFrame:
    """A proportion with its confidence interval.

    Parameters
    ----------
    successes, n : int
        Responders and subjects (0 <= successes <= n).
    confidence : float
    method : {"exact", "wilson"}
        ``exact`` is Clopper-Pearson, the usual choice for small trials; ``wilson`` the
        score interval.

    Returns
    -------
    DataFrame
        One row: ``responders``, ``n``, ``rate`` (a fraction), ``ci_low``, ``ci_high``,
        ``method``. With ``n == 0`` the rate and interval are missing.

    Notes
    -----
    Clopper-Pearson: the interval is [B(a/2; x, n-x+1), B(1-a/2; x+1, n-x)] with B the
    beta quantile function (Clopper & Pearson, 1934).
    Checked against R ``binom.test(36, 40)$conf.int`` = 0.7633 to 0.9721.

    Examples
    --------
    >>> proportion_ci(36, 40).round(4)
       responders   n  rate  ci_low  ci_high          method
    0          36  40   0.9  0.7634   0.9721  Clopper-Pearson
    """
    from statsmodels.stats.proportion import proportion_confint

    _check_confidence(confidence)
    if method not in _CI_METHODS:
        raise ValueError(f"method must be one of {sorted(_CI_METHODS)}, got {method!r}")
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    label = "Clopper-Pearson" if method == "exact" else "Wilson"
    if n == 0:
        return pd.DataFrame([{"responders": 0, "n": 0, "rate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "method": label}])
    lo, hi = proportion_confint(successes, n, alpha=1 - confidence, method=_CI_METHODS[method])
    return pd.DataFrame(
        [{"responders": int(successes), "n": int(n), "rate": successes / n, "ci_low": float(lo), "ci_high": float(hi), "method": label}]
    )


def summarize_response(
    df: pd.DataFrame,
    by: Sequence[str] = ("TRT01A",),
    response: str = "AVAL",
    confidence: float = 0.95,
    method: str = "exact",
) -> pd.DataFrame:
    """Responders, rate and confidence interval per group.

    Parameters
    ----------
    df : DataFrame
        One row per subject (and visit, if ``by`` holds the visit); ``response`` is 1 for
        a responder, 0 for a non-responder; missing values are left out of ``n``.
    by : sequence of str
        Grouping columns (arm, visit, ...). Groups appear in order of first appearance
        (or category order).
    response : str
    confidence, method
        As for :func:`proportion_ci`.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``responders``, ``n``, ``rate``, ``ci_low``, ``ci_high``,
        ``method``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["A", "A", "A", "B"], "AVAL": [1, 0, 1, 0]})
    >>> summarize_response(df, by=["arm"])[["arm", "responders", "n", "rate"]]
      arm  responders  n      rate
    0   A           2  3  0.666667
    1   B           0  1  0.000000
    """
    by = list(by)
    missing = [c for c in by + [response] if c not in df]
    if missing:
        raise ValueError(f"summarize_response: columns {missing} not in the data")
    valid = df[df[response].notna()]
    if valid.empty:
        return pd.DataFrame(columns=[*by, "responders", "n", "rate", "ci_low", "ci_high", "method"])
    g = valid.groupby(by, sort=False, observed=True)[response]
    counts = pd.DataFrame({"responders": g.sum().astype(int), "n": g.size()}).reset_index()
    rows = [proportion_ci(int(r.responders), int(r.n), confidence, method).iloc[0] for r in counts.itertuples()]
    stats = pd.DataFrame(rows).drop(columns=["responders", "n"]).reset_index(drop=True)
    return pd.concat([counts.reset_index(drop=True), stats], axis=1)


def binomial_test(successes: int, n: int, null_rate: float, alternative: str = "two-sided") -> pd.DataFrame:
    """Exact binomial test of a response rate against a fixed rate.

    Parameters
    ----------
    successes, n : int
    null_rate : float
        The rate under the null hypothesis (0 < null_rate < 1).
    alternative : {"two-sided", "greater", "less"}

    Returns
    -------
    DataFrame
        One row: ``responders``, ``n``, ``rate``, ``null_rate``, ``alternative``,
        ``p_val``, ``method``.

    Notes
    -----
    P(X >= x) etc. under X ~ Binomial(n, null_rate); the two-sided p sums the
    probabilities of outcomes no more likely than the one observed (as R's
    ``binom.test``; scipy.stats.binomtest).

    Examples
    --------
    P(X >= 7) for X ~ Binomial(10, 0.5) is (120 + 45 + 10 + 1) / 1024:

    >>> binomial_test(7, 10, 0.5, alternative="greater")[["rate", "null_rate", "p_val"]]
       rate  null_rate     p_val
    0   0.7        0.5  0.171875
    """
    from scipy.stats import binomtest

    if not 0 < null_rate < 1:
        raise ValueError(f"null_rate must be between 0 and 1, got {null_rate}")
    res = binomtest(int(successes), int(n), null_rate, alternative=alternative)
    return pd.DataFrame(
        [{"responders": int(successes), "n": int(n), "rate": successes / n if n else np.nan, "null_rate": null_rate,
          "alternative": alternative, "p_val": float(res.pvalue), "method": "exact binomial test"}]
    )


#: Tests of a difference between two rates that :func:`compare_rates` computes.
RATE_TESTS: dict[str, str] = {"chisq": "Pearson chi-square test", "fisher": "Fisher's exact test"}


def compare_rates(
    successes: int, n: int, ref_successes: int, ref_n: int, confidence: float = 0.95, test: str = "chisq"
) -> pd.DataFrame:
    """Difference between two rates, with a confidence interval and tests.

    Parameters
    ----------
    successes, n : int
        The treated arm.
    ref_successes, ref_n : int
        The reference (control) arm.
    confidence : float
    test : {"chisq", "fisher"}
        The test whose p-value is ``p_val`` (both are always computed).

    Returns
    -------
    DataFrame
        One row: ``rate``, ``ref_rate``, ``estimate`` (rate - ref_rate), ``ci_low``,
        ``ci_high`` (Newcombe hybrid score interval), ``p_chisq`` (Pearson chi-square test
        without continuity correction), ``p_fisher`` (Fisher's exact test, two-sided),
        ``test`` (the key of the test chosen), ``p_val`` (its p-value), ``method`` (the
        interval and the test, in words).

    Notes
    -----
    Newcombe (1998), method 10; statsmodels ``confint_proportions_2indep(method="newcomb")``.
    Chi-square: R ``prop.test(c(16, 9), c(29, 30), correct = FALSE)`` gives p = 0.0504;
    Fisher: R ``fisher.test(matrix(c(16, 13, 9, 21), 2))`` gives p = 0.067.

    Examples
    --------
    >>> compare_rates(16, 29, 9, 30)[["estimate", "ci_low", "ci_high", "p_chisq", "p_fisher", "p_val"]].round(4)
       estimate  ci_low  ci_high  p_chisq  p_fisher   p_val
    0    0.2517  0.0007   0.4632   0.0504    0.0673  0.0504
    """
    from scipy.stats import chi2_contingency, fisher_exact
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check_confidence(confidence)
    if test not in RATE_TESTS:
        raise ValueError(f"compare_rates: test must be one of {list(RATE_TESTS)}, got {test!r}")
    if min(n, ref_n) <= 0:
        raise ValueError(f"compare_rates: both arms need subjects, got n={n}, ref_n={ref_n}")
    lo, hi = confint_proportions_2indep(successes, n, ref_successes, ref_n, method="newcomb", compare="diff", alpha=1 - confidence)
    table = np.array([[successes, n - successes], [ref_successes, ref_n - ref_successes]])
    if (table.sum(axis=0) == 0).any():
        p_chi = np.nan
    else:
        p_chi = float(chi2_contingency(table, correction=False)[1])
    p_fisher = float(fisher_exact(table)[1])
    return pd.DataFrame(
        [{"rate": successes / n, "ref_rate": ref_successes / ref_n, "estimate": successes / n - ref_successes / ref_n,
          "ci_low": float(lo), "ci_high": float(hi), "p_chisq": p_chi, "p_fisher": p_fisher, "test": test,
          "p_val": p_chi if test == "chisq" else p_fisher, "method": f"Newcombe interval; {RATE_TESTS[test]}"}]
    )


#: The tests of a response rate between two arms that :func:`compare_response` runs
#: (``cohort.yml`` ``analysis.primary_test``), each with the interval that inverts it.
RESPONSE_TESTS: tuple[str, ...] = ("score", "chisq", "fisher", "logistic")


def compare_response(
    df: pd.DataFrame,
    arm: str,
    treated: str,
    reference: str,
    test: str = "score",
    response: str = "AVAL",
    covariates: Sequence[str] = (),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """A response rate compared between two arms by a pre-specified test, with the
    confidence interval that inverts the same test (so that the two never disagree).

    Parameters
    ----------
    df : DataFrame
        One row per subject: ``arm``, ``response`` (1/0) and, for ``logistic``, the
        covariates. Subjects of other arms are left out.
    arm : str
    treated, reference : str
        The arm compared, and the arm it is compared with.
    test : {"score", "chisq", "fisher", "logistic"}
        ``score``: the rate difference with the Miettinen-Nurminen score test and
        interval; ``chisq``: the rate difference with Pearson's chi-square test (no
        continuity correction) and Mee's score interval, which inverts it; ``fisher``:
        the conditional maximum-likelihood odds ratio with Fisher's exact test and the
        exact conditional interval; ``logistic``: the odds ratio of a logistic
        regression on the arm and ``covariates``, with its Wald test and interval.
        Fisher's test is the central one (twice the smaller one-sided p), the test the
        exact conditional interval inverts; ``fisher.test``'s usual two-sided p (the
        tables no more likely than the one observed) can reject where that interval holds
        1, so it is not the one printed beside it.
    response : str
    covariates : sequence of str
        Numeric columns the logistic regression adjusts for (``logistic`` only).
    confidence : float

    Returns
    -------
    DataFrame
        One row: ``arm``, ``reference``, ``responders``, ``n``, ``rate``,
        ``ref_responders``, ``ref_n``, ``ref_rate``, ``diff`` (rate - ref_rate, always),
        ``estimate``, ``ci_low``, ``ci_high`` (the test's own scale), ``scale``
        (``difference`` or ``odds_ratio``), ``null`` (the estimate of no effect: 0 or 1),
        ``p_val`` (two-sided), ``test``, ``covariates`` (comma-separated), ``converged``,
        ``method``.

    Raises
    ------
    ValueError
        An unknown test, a missing column, an arm without subjects, covariates with a
        test other than ``logistic``, or a confidence outside (0, 1).

    Notes
    -----
    Miettinen O, Nurminen M, Stat Med 1985;4:213-26, and Mee RW, Biometrics
    1984;40:1175-6 (:mod:`helpers.stats.rates`). Fisher: scipy ``fisher_exact`` (one-sided)
    and ``contingency.odds_ratio(kind="conditional").confidence_interval()``, as R
    ``exact2x2::exact2x2(tsmethod = "central")``, whose p and interval match (Fay MP,
    Biostatistics 2010;11:373-4; the interval is R ``fisher.test``'s). Logistic: statsmodels ``Logit`` (:func:`logistic_regression`), as R
    ``glm(response ~ arm + covariates, family = binomial)`` with Wald intervals.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["IL-2"] * 29 + ["Placebo"] * 30,
    ...                    "AVAL": [1] * 16 + [0] * 13 + [1] * 9 + [0] * 21})
    >>> r = compare_response(df, "arm", "IL-2", "Placebo")
    >>> r[["diff", "ci_low", "ci_high", "p_val"]].round(4).values.tolist()
    [[0.2517, -0.0027, 0.4764, 0.0524]]
    >>> r = compare_response(df, "arm", "IL-2", "Placebo", test="fisher")
    >>> r[["estimate", "ci_low", "ci_high", "p_val"]].round(4).values.tolist()
    [[2.8186, 0.8727, 9.6469, 0.0897]]
    """
    from scipy.stats import fisher_exact
    from scipy.stats.contingency import odds_ratio

    from helpers.stats.rates import score_interval, score_test

    _check_confidence(confidence)
    if test not in RESPONSE_TESTS:
        raise ValueError(f"compare_response: test must be one of {list(RESPONSE_TESTS)}, got {test!r}")
    covariates = list(covariates)
    if covariates and test != "logistic":
        raise ValueError(f"compare_response: covariates {covariates} need test='logistic', got {test!r}")
    missing = [c for c in [arm, response, *covariates] if c not in df]
    if missing:
        raise ValueError(f"compare_response: columns {missing} not in the data")
    one, ref = df[df[arm] == treated], df[df[arm] == reference]
    x1, n1 = int(one[response].sum()), int(one[response].notna().sum())
    x0, n0 = int(ref[response].sum()), int(ref[response].notna().sum())
    if min(n1, n0) == 0:
        raise ValueError(f"compare_response: both arms need subjects, got {n1} in {treated!r} and {n0} in {reference!r}")
    row = {"arm": treated, "reference": reference, "responders": x1, "n": n1, "rate": x1 / n1,
           "ref_responders": x0, "ref_n": n0, "ref_rate": x0 / n0, "diff": x1 / n1 - x0 / n0}
    converged = True
    if test in ("score", "chisq"):
        correction = test == "score"
        lo, hi = score_interval(x1, n1, x0, n0, confidence, correction=correction)
        est, p, scale = row["diff"], score_test(x1, n1, x0, n0, correction=correction), "difference"
        method = ("Miettinen-Nurminen score test and interval" if correction
                  else "Pearson chi-square test and Mee's score interval")
    elif test == "fisher":
        table = np.array([[x1, n1 - x1], [x0, n0 - x0]])
        res = odds_ratio(table, kind="conditional")
        ci = res.confidence_interval(confidence_level=confidence)
        est, lo, hi, scale = float(res.statistic), float(ci.low), float(ci.high), "odds_ratio"
        one_sided = [float(fisher_exact(table, alternative=a)[1]) for a in ("greater", "less")]
        p = min(1.0, 2 * min(one_sided))
        method = "Fisher's exact test (central) and the exact interval of the conditional odds ratio"
    else:
        two = df[df[arm].isin([treated, reference])]
        fit = logistic_regression(two, response, arm, reference, covariates, confidence)
        r = fit.iloc[0] if len(fit) else pd.Series({"odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                                                    "p_val": np.nan, "converged": False})
        est, lo, hi, p, scale = r["odds_ratio"], r["ci_low"], r["ci_high"], r["p_val"], "odds_ratio"
        converged = bool(r["converged"])
        method = "logistic regression: Wald test and interval of the odds ratio" + (
            f", adjusted for {', '.join(covariates)}" if covariates else "")
    row.update(estimate=float(est), ci_low=float(lo), ci_high=float(hi), scale=scale,
               null=0.0 if scale == "difference" else 1.0, p_val=float(p), test=test,
               covariates=", ".join(covariates), converged=converged, method=method)
    return pd.DataFrame([row])


def compare_baseline(df: pd.DataFrame, column: str, arm: str, arms: Sequence[str], test: str,
                     level: object = None) -> pd.DataFrame:
    """A between-arm test of a baseline variable (Table 1, when the analysis plan asks).

    Parameters
    ----------
    df : DataFrame
        One row per subject with ``arm`` and ``column``.
    column, arm : str
    arms : sequence of str
        Exactly two arms.
    test : {"welch", "wilcoxon", "fisher"}
        ``welch``: Welch's t-test (scipy ``ttest_ind(equal_var=False)``, R
        ``t.test``); ``wilcoxon``: the Wilcoxon rank-sum test (scipy ``mannwhitneyu``,
        two-sided: exact for small samples without ties, else the normal approximation
        with continuity correction; R ``wilcox.test``, which is exact up to 49 per arm
        without ties); ``fisher``: Fisher's exact
        test of the arm by category table (scipy ``fisher_exact``, R ``fisher.test``),
        by ``level`` against every other value when one is given; a table larger than
        2 x 2 gets a Monte Carlo p value from 100,000 tables drawn with a fixed seed, so
        that a rebuild gives the same value.
    level : object, optional
        With ``fisher``: the one category shown (a flag's ``"Y"``).

    Returns
    -------
    DataFrame
        One row: ``variable``, ``test``, ``p_val``, ``method``.

    Raises
    ------
    ValueError
        An unknown test, or not exactly two arms.

    Examples
    --------
    Female/male 27/3 vs 29/1 (He et al. 2020, Table 1: p = 0.612):

    >>> df = pd.DataFrame({"arm": ["IL-2"] * 30 + ["Placebo"] * 30, "SEX": ["F"] * 27 + ["M"] * 3 + ["F"] * 29 + ["M"]})
    >>> round(compare_baseline(df, "SEX", "arm", ["IL-2", "Placebo"], "fisher")["p_val"].item(), 3)
    0.612
    """
    from scipy.stats import MonteCarloMethod, fisher_exact, mannwhitneyu, ttest_ind

    names = {"welch": "Welch t-test", "wilcoxon": "Wilcoxon rank-sum test", "fisher": "Fisher's exact test"}
    if test not in names:
        raise ValueError(f"compare_baseline: test must be one of {list(names)}, got {test!r}")
    if len(arms) != 2:
        raise ValueError(f"compare_baseline: a test needs exactly two arms, got {list(arms)}")
    groups = [df.loc[df[arm] == a, column] for a in arms]
    p = np.nan
    method = names[test]
    if test == "fisher":
        values = [g.dropna() for g in groups]
        if level is not None:
            values = [(v == level).map({True: "level", False: "other"}) for v in values]
        cats = sorted(set(values[0]) | set(values[1]), key=str)
        table = np.array([[int((v == c).sum()) for c in cats] for v in values])
        if table.shape[1] == 2 and (table.sum(axis=1) > 0).all():
            p = float(fisher_exact(table)[1])
        elif table.shape[1] > 2 and (table.sum(axis=1) > 0).all():
            method += " (Monte Carlo, 100,000 tables)"
            p = float(fisher_exact(table, method=MonteCarloMethod(n_resamples=100_000, rng=np.random.default_rng(0))).pvalue)
    else:
        x, y = (pd.to_numeric(g, errors="coerce").dropna().to_numpy(float) for g in groups)
        if test == "welch" and len(x) > 1 and len(y) > 1 and (x.std() > 0 or y.std() > 0):
            p = float(ttest_ind(x, y, equal_var=False).pvalue)
        elif test == "wilcoxon" and len(x) and len(y):
            p = float(mannwhitneyu(x, y, alternative="two-sided", use_continuity=True).pvalue)
    return pd.DataFrame([{"variable": column, "test": test, "p_val": p, "method": method}])


def _quiet_fit(fit, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit(*args, **kwargs)
    return result, [str(w.message) for w in caught]


def logistic_regression(
    df: pd.DataFrame, response: str, arm: str, reference: str, covariates: Sequence[str] = (), confidence: float = 0.95
) -> pd.DataFrame:
    """Odds ratio of response for each arm against a reference arm, adjusted for covariates.

    Parameters
    ----------
    df : DataFrame
        One row per subject: ``response`` (1/0), ``arm``, and the covariates.
    response, arm : str
    reference : str
        The reference arm (e.g. placebo).
    covariates : sequence of str
        Numeric covariates, e.g. baseline SLEDAI-2K.

    Returns
    -------
    DataFrame
        One row per non-reference arm: ``term``, ``odds_ratio``, ``ci_low``, ``ci_high``,
        ``p_val`` (Wald), ``n``, ``converged``, ``method``.

    Notes
    -----
    logit P(response) = b0 + b_arm + sum(b_j x_j); the odds ratio is exp(b_arm).
    statsmodels ``Logit``; compare R ``glm(response ~ arm + base, family = binomial)``.
    """
    import statsmodels.formula.api as smf

    cols = [response, arm, *covariates]
    data = df[cols].dropna().rename(columns={c: f"v{i}" for i, c in enumerate(cols)})
    formula = f"v0 ~ C(v1, Treatment(reference={reference!r}))" + "".join(f" + v{i + 2}" for i in range(len(covariates)))
    model = smf.logit(formula, data=data)
    try:
        fit, msgs = _quiet_fit(model.fit, disp=0, maxiter=200)
        converged = bool(fit.mle_retvals.get("converged", True)) and not any("separation" in m.lower() for m in msgs)
    except Exception:  # noqa: BLE001 - perfect separation and singular fits are reported, not raised
        arms = [a for a in pd.unique(df[arm]) if a != reference]
        return pd.DataFrame([{"term": a, "odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_val": np.nan,
                              "n": len(data), "converged": False, "method": "logistic regression (did not fit)"} for a in arms])
    ci = fit.conf_int(alpha=1 - confidence)
    rows = []
    for term in fit.params.index:
        if term.startswith("C(v1"):
            name = term.split("[T.", 1)[1].rstrip("]")
            rows.append({"term": name, "odds_ratio": float(np.exp(fit.params[term])), "ci_low": float(np.exp(ci.loc[term, 0])),
                         "ci_high": float(np.exp(ci.loc[term, 1])), "p_val": float(fit.pvalues[term]), "n": int(fit.nobs),
                         "converged": converged, "method": "logistic regression" + (f" adjusted for {', '.join(covariates)}" if covariates else "")})
    return pd.DataFrame(rows)


def describe_by_visit(
    bds: pd.DataFrame, value: str = "AVAL", by: Sequence[str] = ("PARAMCD", "AVISITN")
) -> pd.DataFrame:
    """n, median, quartiles, mean and SD of a value per group.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``n``, ``median``, ``q1``, ``q3``, ``mean``, ``sd``, ``min``,
        ``max``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"AVISITN": [0, 0, 0, 2], "AVAL": [1.0, 2.0, 4.0, 3.0]})
    >>> describe_by_visit(df, by=["AVISITN"])[["AVISITN", "n", "median", "q1", "q3"]]
       AVISITN  n  median   q1   q3
    0        0  3     2.0  1.5  3.0
    1        2  1     3.0  3.0  3.0
    """
    by = list(by)
    g = bds.dropna(subset=[value]).groupby(by, sort=True, observed=True)[value]
    out = pd.DataFrame({
        "n": g.size(), "median": g.median(), "q1": g.quantile(0.25), "q3": g.quantile(0.75),
        "mean": g.mean(), "sd": g.std(), "min": g.min(), "max": g.max(),
    })
    return out.reset_index()


def paired_tests_by_visit(
    bds: pd.DataFrame,
    by: Sequence[str] = ("PARAMCD",),
    baseline_week: int = 0,
    value: str = "AVAL",
    padjust: str = "holm",
    family: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Wilcoxon signed-rank test of each post-baseline visit against baseline.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``AVISITN``, ``value`` and the ``by`` columns (e.g. ``PARAMCD``, arm).
    by : sequence of str
        Series tested separately (each parameter, each arm).
    baseline_week : int
    value : str
    padjust : str
        Multiple-comparison correction within each family (``holm``, ``bonf``,
        ``fdr_bh``, ``none``), as ``pingouin.multicomp``.
    family : sequence of str, optional
        Columns of ``by`` whose values make one family of tests, adjusted together:
        ``by`` itself makes each series' visits a family ("within each measure and
        arm"), ``[arm]`` every measure and visit of an arm. None (the default): every
        test of the output is one family.

    Returns
    -------
    DataFrame
        One row per series and visit: the ``by`` columns, ``AVISITN``, ``n`` (subjects
        with both values), ``base_median``, ``median``, ``median_chg``, ``q1_chg``,
        ``q3_chg``, ``w_val``, ``p_val``, ``p_adj``, ``padjust``, ``family_size`` (the
        tests with a p value in the row's family), ``method``.

    Raises
    ------
    ValueError
        A column is missing, or ``family`` names a column that is not in ``by``.

    Notes
    -----
    Paired on subject; zero differences are dropped (Wilcoxon's method, scipy's
    ``zero_method="wilcox"``). The change is value - baseline, its median the median of
    the paired differences. Compare R ``wilcox.test(x, y, paired = TRUE)``. scipy's test
    is called directly: pingouin's wrapper also computes an effect size by comparing
    every pair of values, which needs memory in the square of the number of subjects.
    """
    from scipy.stats import wilcoxon

    by = list(by)
    key = ["USUBJID", *by]
    need = [*key, "AVISITN", value]
    missing = [c for c in need if c not in bds]
    if missing:
        raise ValueError(f"paired_tests_by_visit: columns {missing} not in the data")
    family = None if family is None else list(family)
    if family is not None and not set(family) <= set(by):
        raise ValueError(f"paired_tests_by_visit: family {family} must be columns of by {by}")
    data = bds[need].dropna(subset=[value])
    base = data[data["AVISITN"] == baseline_week].rename(columns={value: "_base"}).drop(columns="AVISITN")
    post = data[data["AVISITN"] != baseline_week].merge(base, on=key, how="inner")
    post["_chg"] = post[value] - post["_base"]
    rows = []
    for keys, grp in post.groupby([*by, "AVISITN"], sort=True, observed=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = dict(zip([*by, "AVISITN"], keys, strict=True))
        d = grp["_chg"].to_numpy(float)
        row.update(n=len(grp), base_median=float(np.median(grp["_base"])), median=float(np.median(grp[value])),
                   median_chg=float(np.median(d)), q1_chg=float(np.quantile(d, 0.25)), q3_chg=float(np.quantile(d, 0.75)))
        if np.count_nonzero(d) >= 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scipy warns on ties and tiny samples; the method is stated
                res = wilcoxon(d, zero_method="wilcox", alternative="two-sided")
            row.update(w_val=float(res.statistic), p_val=float(res.pvalue))
        else:
            row.update(w_val=np.nan, p_val=np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_adj"] = np.nan
    out["family_size"] = 0
    ids = out.groupby(family, sort=False, observed=True).ngroup() if family else pd.Series(0, index=out.index)
    for group in pd.unique(ids):
        index = out.index[ids == group]
        out.loc[index, "p_adj"] = adjust_pvalues(out.loc[index, "p_val"], padjust)
        out.loc[index, "family_size"] = int(out.loc[index, "p_val"].notna().sum())
    out["padjust"] = padjust
    out["method"] = "Wilcoxon signed-rank test against baseline"
    return out[[*by, "AVISITN", "n", "base_median", "median", "median_chg", "q1_chg", "q3_chg", "w_val", "p_val",
                "p_adj", "padjust", "family_size", "method"]]


def adjust_pvalues(p: pd.Series | Sequence[float], method: str = "holm") -> np.ndarray:
    """Adjust p values for multiple comparisons, leaving missing ones missing.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.02, float("nan"), 0.04]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    import pingouin as pg

    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if method == "none":
        return p.copy()
    if ok.any():
        out[ok] = pg.multicomp(p[ok], method=method)[1]
    return out


def mixed_model_by_visit(
    bds: pd.DataFrame, value: str = "AVAL", log: bool = False, baseline_week: int = 0, confidence: float = 0.95,
    engine: str = "auto",
) -> pd.DataFrame:
    """Linear mixed model of a value over visits with a random intercept per subject.

    Parameters
    ----------
    bds : DataFrame
        One parameter: ``USUBJID``, ``AVISITN``, ``value``.
    log : bool
        Model log(value) (values <= 0 are shifted by half the smallest positive value);
        estimates are then ratios to baseline.
    engine : {"auto", "statsmodels", "profile"}
        ``statsmodels``: ``MixedLM``. ``profile``: the same REML fit by profiling the
        likelihood over the variance ratio (:func:`random_intercept_reml`), whose cost
        grows linearly with the number of subjects (statsmodels loops over subjects in
        Python and takes minutes for tens of thousands). ``auto`` uses statsmodels up to
        2,000 subjects and the profile fit above. The two agree to numerical precision.

    Returns
    -------
    DataFrame
        One row per post-baseline visit: ``AVISITN``, ``estimate`` (difference from
        baseline, or ratio when ``log``), ``ci_low``, ``ci_high``, ``p_val``, ``scale``
        (``"difference"`` or ``"ratio"``), ``n_subjects``, ``n_obs``, ``converged``,
        ``method``.

    Notes
    -----
    value_ij = b0 + b_visit(j) + u_i + e_ij with u_i ~ N(0, s_u^2), fitted by REML;
    Wald intervals and z tests (compare R
    ``lme4::lmer(value ~ factor(visit) + (1 | id))``; Laird & Ware, 1982).
    """
    from scipy.stats import norm

    if engine not in ("auto", "statsmodels", "profile"):
        raise ValueError(f"engine must be 'auto', 'statsmodels' or 'profile', got {engine!r}")
    data = bds[["USUBJID", "AVISITN", value]].dropna()
    y = data[value].to_numpy(float)
    if log:
        positive = y[y > 0]
        shift = positive.min() / 2 if len(positive) and (y <= 0).any() else 0.0
        y = np.log(y + shift)
    weeks = sorted(int(w) for w in data["AVISITN"].unique())
    post = [w for w in weeks if w != baseline_week]
    visit = data["AVISITN"].to_numpy()
    X = np.column_stack([np.ones(len(y))] + [(visit == w).astype(float) for w in post])
    groups = data["USUBJID"].astype("str").to_numpy()
    n_subjects = len(pd.unique(groups))
    use_profile = engine == "profile" or (engine == "auto" and n_subjects > 2000)
    if use_profile:
        fit = random_intercept_reml(y, X, groups)
        beta, se, converged = fit["beta"], fit["se"], fit["converged"]
        engine_name = "REML profile fit"
    else:
        import statsmodels.api as sm

        model = sm.MixedLM(y, X, groups=groups)
        res, msgs = _quiet_fit(model.fit, reml=True)
        beta, se = np.asarray(res.fe_params), np.asarray(res.bse_fe)
        converged = bool(res.converged) and not any("converge" in m.lower() for m in msgs)
        engine_name = "statsmodels MixedLM"
    z = norm.ppf(0.5 + confidence / 2)
    rows = []
    for i, week in enumerate(post, start=1):
        est, lo, hi = beta[i], beta[i] - z * se[i], beta[i] + z * se[i]
        p = 2 * norm.sf(abs(beta[i] / se[i])) if se[i] > 0 else np.nan
        if log:
            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        rows.append({"AVISITN": week, "estimate": float(est), "ci_low": float(lo), "ci_high": float(hi),
                     "p_val": float(p), "scale": "ratio" if log else "difference",
                     "n_subjects": n_subjects, "n_obs": int(len(y)), "converged": converged,
                     "method": f"linear mixed model, random intercept per subject ({engine_name})" + (" (log scale)" if log else "")})
    return pd.DataFrame(rows)


def random_intercept_reml(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> dict:
    """REML fit of a linear model with a random intercept per group, in linear time.

    Parameters
    ----------
    y : array (n,)
    X : array (n, p)
        Fixed-effects design (with an intercept column).
    groups : array (n,)
        Group (subject) labels.

    Returns
    -------
    dict
        ``beta`` (p,), ``se`` (p,), ``sigma2_e``, ``sigma2_u``, ``converged``.

    Notes
    -----
    With lambda = s_u^2 / s_e^2 and n_i observations in group i, the GLS estimate is
    ordinary least squares after quasi-demeaning, y*_ij = y_ij - t_i mean_i(y) with
    t_i = 1 - (1 + n_i lambda)^(-1/2) (Fuller & Battese). The REML log-likelihood,
    profiled over s_e^2, is, up to a constant,
    -[(n - p) log s_e^2(lambda) + sum_i log(1 + n_i lambda) + log|X*'X*|] / 2,
    maximised over log lambda; Cov(beta) = s_e^2 (X*'X*)^-1. Checked against
    statsmodels ``MixedLM(reml=True)`` in the tests.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(50), 4)
    >>> x = np.tile([0.0, 1.0, 0.0, 1.0], 50)
    >>> y = 1 + 2 * x + rng.normal(size=50)[g] + rng.normal(scale=0.5, size=200)
    >>> fit = random_intercept_reml(y, np.column_stack([np.ones(200), x]), g)
    >>> [round(float(b), 1) for b in fit["beta"]]
    [1.1, 2.1]
    """
    from scipy.optimize import minimize_scalar

    y = np.asarray(y, float)
    X = np.asarray(X, float)
    codes, _ = pd.factorize(np.asarray(groups))
    n, p = X.shape
    counts = np.bincount(codes).astype(float)
    ybar = np.bincount(codes, weights=y) / counts
    xbar = np.column_stack([np.bincount(codes, weights=X[:, j]) / counts for j in range(p)])

    def transformed(lam: float):
        theta = 1 - 1 / np.sqrt(1 + counts * lam)
        t = theta[codes]
        return y - t * ybar[codes], X - t[:, None] * xbar[codes]

    def negative_reml(log_lam: float) -> float:
        lam = np.exp(log_lam)
        ys, xs = transformed(lam)
        xtx = xs.T @ xs
        beta = np.linalg.solve(xtx, xs.T @ ys)
        rss = float(np.sum((ys - xs @ beta) ** 2))
        sign, logdet = np.linalg.slogdet(xtx)
        return 0.5 * ((n - p) * np.log(rss / (n - p)) + np.sum(np.log1p(counts * lam)) + logdet)

    opt = minimize_scalar(negative_reml, bounds=(-20.0, 12.0), method="bounded", options={"xatol": 1e-9})
    lam = float(np.exp(opt.x))
    ys, xs = transformed(lam)
    xtx = xs.T @ xs
    beta = np.linalg.solve(xtx, xs.T @ ys)
    sigma2_e = float(np.sum((ys - xs @ beta) ** 2)) / (n - p)
    cov = sigma2_e * np.linalg.inv(xtx)
    return {"beta": beta, "se": np.sqrt(np.diag(cov)), "sigma2_e": sigma2_e, "sigma2_u": lam * sigma2_e,
            "converged": bool(opt.success)}


def compare_groups(
    df: pd.DataFrame, value: str, group: str, groups: Sequence[str] | None = None
) -> pd.DataFrame:
    """Mann-Whitney U test of a value between two groups, with effect sizes.

    Parameters
    ----------
    df : DataFrame
    value, group : str
    groups : pair of str, optional
        The two groups, first compared with second (default: order of appearance).

    Returns
    -------
    DataFrame
        One row: ``group1``, ``group2``, ``n1``, ``n2``, ``median1``, ``median2``,
        ``u_val``, ``p_val``, ``rbc`` (rank-biserial correlation), ``cles`` (common-
        language effect size: P(X1 > X2)), ``method``.

    Notes
    -----
    scipy ``mannwhitneyu`` (two-sided, continuity correction); compare R
    ``wilcox.test(x, y)``. With U1 the statistic of the first group,
    CLES = U1 / (n1 n2) (ties count one half) and the rank-biserial correlation is
    2 CLES - 1 (Kerby, 2014): the values pingouin's ``mwu`` gives, computed without its
    comparison of every pair, whose memory grows with n1 x n2.
    """
    from scipy.stats import mannwhitneyu

    data = df[[value, group]].dropna()
    names = list(groups) if groups is not None else list(pd.unique(data[group]))
    if len(names) != 2:
        raise ValueError(f"compare_groups: need exactly two groups, got {names}")
    x = data.loc[data[group] == names[0], value].to_numpy(float)
    y = data.loc[data[group] == names[1], value].to_numpy(float)
    row = {"group1": names[0], "group2": names[1], "n1": len(x), "n2": len(y),
           "median1": float(np.median(x)) if len(x) else np.nan, "median2": float(np.median(y)) if len(y) else np.nan,
           "method": "Mann-Whitney U test"}
    if len(x) and len(y):
        res = mannwhitneyu(x, y, alternative="two-sided", use_continuity=True)
        cles = float(res.statistic) / (len(x) * len(y))
        row.update(u_val=float(res.statistic), p_val=float(res.pvalue), rbc=2 * cles - 1, cles=cles)
    else:
        row.update(u_val=np.nan, p_val=np.nan, rbc=np.nan, cles=np.nan)
    return pd.DataFrame([row])


def spearman(x: Sequence[float], y: Sequence[float]) -> pd.DataFrame:
    """Spearman rank correlation with its 95% interval.

    Returns
    -------
    DataFrame
        One row: ``n``, ``r``, ``ci_low``, ``ci_high``, ``p_val``, ``method``.

    Notes
    -----
    pingouin ``corr(method="spearman")``; compare R ``cor.test(x, y, method = "spearman")``.
    """
    import pingouin as pg

    frame = pd.DataFrame({"x": np.asarray(x, float), "y": np.asarray(y, float)}).dropna()
    if len(frame) < 3:
        return pd.DataFrame([{"n": len(frame), "r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_val": np.nan, "method": "Spearman rank correlation"}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pingouin's power estimate for n <= 4
        res = pg.corr(frame["x"], frame["y"], method="spearman")
    from scipy.stats import norm

    r, n = float(res["r"].iloc[0]), int(res["n"].iloc[0])
    if n > 3 and abs(r) < 1:
        half = norm.ppf(0.975) / np.sqrt(n - 3)
        lo, hi = np.tanh(np.arctanh(r) - half), np.tanh(np.arctanh(r) + half)  # Fisher z, unrounded
    else:  # a perfect correlation or too few pairs: no interval
        lo = hi = np.nan
    return pd.DataFrame([{"n": int(res["n"].iloc[0]), "r": float(res["r"].iloc[0]), "ci_low": float(lo), "ci_high": float(hi),
                          "p_val": float(res["p_val"].iloc[0]), "method": "Spearman rank correlation"}])


def ancova_change(
    df: pd.DataFrame, arm: str, reference: str, value: str = "CHG", base: str = "BASE", confidence: float = 0.95
) -> pd.DataFrame:
    """Difference between arms in change from baseline, adjusted for baseline (ANCOVA).

    Returns
    -------
    DataFrame
        One row per non-reference arm: ``term``, ``estimate`` (adjusted difference in
        mean change), ``ci_low``, ``ci_high``, ``p_val``, ``n``, ``method``.

    Notes
    -----
    CHG = b0 + b_arm + b_base x BASE + e (ordinary least squares; statsmodels ``ols``;
    compare R ``lm(chg ~ arm + base)``).
    """
    import statsmodels.formula.api as smf

    data = df[[value, arm, base]].dropna().rename(columns={value: "y", arm: "a", base: "b"})
    fit = smf.ols(f"y ~ C(a, Treatment(reference={reference!r})) + b", data=data).fit()
    ci = fit.conf_int(alpha=1 - confidence)
    rows = []
    for term in fit.params.index:
        if term.startswith("C(a"):
            rows.append({"term": term.split("[T.", 1)[1].rstrip("]"), "estimate": float(fit.params[term]),
                         "ci_low": float(ci.loc[term, 0]), "ci_high": float(ci.loc[term, 1]),
                         "p_val": float(fit.pvalues[term]), "n": int(fit.nobs), "method": "ANCOVA on change, adjusted for baseline"})
    return pd.DataFrame(rows)


def gee_group_effect(
    df: pd.DataFrame, outcome: str, group: str, cluster: str = "USUBJID", confidence: float = 0.95
) -> pd.DataFrame:
    """Odds ratio of a binary outcome between two groups of items within subjects (GEE).

    Used where one subject contributes several items (manifestations), so the items are
    not independent: a logistic GEE with an exchangeable working correlation and robust
    standard errors accounts for that.

    Parameters
    ----------
    df : DataFrame
        One row per subject and item: ``outcome`` (1/0), ``group`` (boolean: the item
        belongs to the group of interest), ``cluster``.

    Returns
    -------
    DataFrame
        One row: ``odds_ratio`` (group vs the rest), ``ci_low``, ``ci_high``, ``p_val``,
        ``n_items``, ``n_subjects``, ``method``.

    Notes
    -----
    Liang & Zeger (1986); statsmodels ``GEE`` with ``Binomial`` family; compare R
    ``geepack::geeglm(y ~ g, id = id, family = binomial, corstr = "exchangeable")``.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    data = df[[outcome, group, cluster]].dropna().rename(columns={outcome: "y", group: "g", cluster: "c"})
    data["g"] = data["g"].astype(int)
    data = data.sort_values("c", kind="stable")
    empty = {"odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_val": np.nan,
             "n_items": len(data), "n_subjects": int(data["c"].nunique()), "method": "logistic GEE, exchangeable"}
    if data["g"].nunique() < 2 or data["y"].nunique() < 2:
        return pd.DataFrame([empty])
    model = smf.gee("y ~ g", groups="c", data=data, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable())
    fit, _ = _quiet_fit(model.fit)
    ci = fit.conf_int(alpha=1 - confidence)
    return pd.DataFrame([{**empty, "odds_ratio": float(np.exp(fit.params["g"])), "ci_low": float(np.exp(ci.loc["g", 0])),
                          "ci_high": float(np.exp(ci.loc["g", 1])), "p_val": float(fit.pvalues["g"])}])


def gee_interaction(df: pd.DataFrame, outcome: str, group: str, arm: str, reference: str, cluster: str = "USUBJID",
                    confidence: float = 0.95) -> pd.DataFrame:
    """The treatment-by-group interaction: how much more the group's odds of the outcome
    exceed the other items' odds in each arm than in the reference arm (logistic GEE).

    Parameters
    ----------
    df : DataFrame
        One row per subject and item: ``outcome`` (1/0), ``group`` (boolean), ``arm``,
        ``cluster`` (the subject; each subject in one arm).
    reference : str
        The reference arm.

    Returns
    -------
    DataFrame
        One row per other arm, in order of appearance: ``arm``, ``reference``, ``ratio``
        (the arm's group odds ratio divided by the reference arm's), ``ci_low``,
        ``ci_high``, ``p_val`` (Wald, robust), ``n_items``, ``n_subjects``, ``method``.

    Notes
    -----
    logit P(y = 1) = b0 + b1 g + sum_k (c_k t_k + e_k g t_k), with ``t_k`` the indicator
    of arm k; exp(e_k) is the ratio of odds ratios. Exchangeable working correlation
    within subject, robust (sandwich) standard errors (Liang & Zeger 1986); statsmodels
    ``GEE``, compare R ``geepack::geeglm(y ~ g * arm, id = id, family = binomial,
    corstr = "exchangeable")``. With every subject contributing one item of each kind
    the model is saturated and the estimates are the cells' log odds whatever the
    working correlation, so the ratio and its robust variance can be checked by hand
    (``tests/test_organ.py``).
    """
    import statsmodels.api as sm

    data = df[[outcome, group, arm, cluster]].dropna().sort_values(cluster, kind="stable")
    others = [a for a in pd.unique(data[arm].astype("str")) if a != reference]
    g = data[group].astype(float).to_numpy()
    columns = {"const": np.ones(len(data)), "g": g}
    for k, a in enumerate(others):
        t = (data[arm].astype("str") == a).astype(float).to_numpy()
        columns[f"t{k}"] = t
        columns[f"gt{k}"] = g * t
    exog = pd.DataFrame(columns)
    method = "logistic GEE, exchangeable: treatment-by-group interaction"
    empty = {"reference": reference, "ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_val": np.nan,
             "n_items": len(data), "n_subjects": int(data[cluster].nunique()), "method": method}
    if not others or data[outcome].nunique() < 2:
        return pd.DataFrame([{"arm": a, **empty} for a in others], columns=["arm", *empty])
    model = sm.GEE(data[outcome].astype(float).to_numpy(), exog, groups=data[cluster].astype("str").to_numpy(),
                   family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable())
    try:
        with warnings.catch_warnings():  # convergence and domain warnings: the estimate says enough
            warnings.simplefilter("ignore")
            fit = model.fit()
    except (np.linalg.LinAlgError, ValueError):  # a singular design: reported, not raised
        return pd.DataFrame([{"arm": a, **empty} for a in others])
    ci = fit.conf_int(alpha=1 - confidence)
    rows = []
    for k, a in enumerate(others):
        term = f"gt{k}"
        rows.append({"arm": a, **empty, "ratio": float(np.exp(fit.params[term])), "ci_low": float(np.exp(ci.loc[term, 0])),
                     "ci_high": float(np.exp(ci.loc[term, 1])), "p_val": float(fit.pvalues[term])})
    return pd.DataFrame(rows)
