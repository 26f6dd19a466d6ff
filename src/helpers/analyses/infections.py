"""Infections and adverse events of special interest by arm, in the layout of a paper's
adverse-event table (He et al., Ann Rheum Dis 2020;79:141, Table 3): n (%) of the
safety population of each arm, and each arm against the reference arm.

API (tidy frames keyed by codes; the words are in :mod:`helpers.present.safety` and
:mod:`helpers.present.prose.safety`):

- :func:`summarize_infections` (events, population, arm, arms, terms): subjects with any
  infection (MedDRA system organ class :data:`INFECTION_SOC`), a serious infection
  (``AESER`` = ``Y``), herpes zoster (:data:`HERPES_ZOSTER`, always a row), each other
  infection term the data hold and each term of interest of that class;
- :func:`summarize_terms_of_interest` (events, population, arm, arms, terms): subjects
  with each term of interest outside the infection class (fever, flu-like symptoms);
- :func:`summarize_serious_by_term` (events, population, arm, arms): subjects with a
  serious adverse event of each preferred term;
- :func:`summarize_events_of_interest`: the three, one frame (the table's rows);
- :func:`compare_infection_rates` (summary, arm, arms, reference): each row's difference
  in proportions, arm minus reference, with the Miettinen-Nurminen score interval and
  score test;
- :func:`infection_values` / :func:`infection_difference_values`: the same as one row per
  arm (per compared arm) with one column per result name, what ``Chapter.glue_columns``
  and ``Chapter.glue_comparisons`` glue.

Result names (:func:`result_name`): ``<measure>_<statistic>`` with the arm suffix the
chapter API adds. The measure is ``infection_any``, ``infection_serious``,
``infection_<term>`` (an infection preferred term), ``term_<term>`` (a term of interest
outside the infection class) or ``sae_<term>`` (a serious adverse event of that term),
``<term>`` the preferred term in lower case with every run of other characters as one
``_`` (:func:`term_code`); the statistic is ``n`` (subjects), ``rate`` (a fraction of the
arm's safety population), and between arms ``diff``, ``diff_ci_low``, ``diff_ci_high``,
``diff_p``. For example ``infection_any_n@IL-2``, ``infection_any_rate@Placebo``,
``infection_upper_respiratory_tract_infection_n@IL-2``, ``term_pyrexia_n@IL-2``,
``sae_herpes_zoster_n@Placebo``, ``infection_any_diff@IL-2-vs-Placebo``. The statistic
comes last so that the disclosure rules see ``..._n`` as a count.

Every function takes the events already joined to the safety population (``events``, as
:meth:`helpers.data.cohort.Cohort.with_population` returns them) and the population
(``population``), as :mod:`helpers.analyses.adverse_events` does; a flag counts only when
it is ``"Y"``, and only treatment-emergent events count (``teae_flag``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import pandas as pd

from helpers.analyses.adverse_events import (
    _flag,
    _text,
    arm_list,
    denominators,
    derive_teae,
)
from helpers.analyses.adverse_events import tally_subjects as _tally
from helpers.errors import require_columns
from helpers.stats.rates import score_interval, score_test

#: The MedDRA system organ class of infections.
INFECTION_SOC = "Infections and infestations"
#: The MedDRA preferred term of herpes zoster, a row of every infections table (an
#: infection of interest under immunomodulating treatment).
HERPES_ZOSTER = "Herpes zoster"
#: The measures of the infections summary, in the order of its rows (then one row per
#: infection term).
INFECTION_MEASURES: tuple[str, ...] = ("infection_any", "infection_serious")
#: The method of the between-arm interval and test.
DIFFERENCE_METHOD = "Miettinen-Nurminen score interval and score test"

_COLUMNS = ["measure", "term", "arm", "n_subjects", "n", "rate"]


def term_code(term: str) -> str:
    """A preferred term as a result-name part: lower case, every run of other characters
    than letters and digits one ``_``.

    Raises
    ------
    ValueError
        The term has no letter or digit.

    Examples
    --------
    >>> term_code("Upper respiratory tract infection"), term_code("Influenza-like illness ")
    ('upper_respiratory_tract_infection', 'influenza_like_illness')
    """
    code = re.sub(r"[^a-z0-9]+", "_", str(term).lower()).strip("_")
    if not code:
        raise ValueError(f"term_code: the preferred term {term!r} has no letter or digit")
    return code


def result_name(measure: str, statistic: str) -> str:
    """The result name of a measure's statistic, without the arm suffix.

    Examples
    --------
    >>> result_name("infection_any", "n"), result_name("term_pyrexia", "diff_ci_low")
    ('infection_any_n', 'term_pyrexia_diff_ci_low')
    """
    return f"{measure}_{statistic}"


def _prepared(events: pd.DataFrame, population: pd.DataFrame, arm: str, arms: Sequence[str] | None,
              columns: Sequence[str], teae_flag: str | None, what: str) -> tuple[pd.DataFrame, list[str], dict]:
    arms = arm_list(population, arm, arms, what)
    n = denominators(population, arm, arms, what)
    require_columns(events, ["USUBJID", arm, *columns], what, "adae")
    te = derive_teae(events, teae_flag)
    return te, arms, n


def _counted(te: pd.DataFrame, rows: pd.DataFrame, arm: str, arms: list[str], n: dict) -> pd.DataFrame:
    """Subjects per row and arm, without the total: ``measure``, ``term``, ``arm``,
    ``n_subjects``, ``n``, ``rate``."""
    out = _tally(te[["USUBJID", arm, "measure", "term"]], rows, arm, arms, n)
    out = out[out[arm].isin(arms)].rename(columns={arm: "arm"})
    out["rate"] = (out["n_subjects"] / out["n"].where(out["n"] > 0)).astype("float64")
    return out[_COLUMNS].reset_index(drop=True)


def summarize_infections(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    terms: Sequence[str] = (),
    soc: str = "AEBODSYS",
    term: str = "AEDECOD",
    serious: str = "AESER",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Subjects with an infection, a serious infection and each infection term, by arm.

    Parameters
    ----------
    events : DataFrame
        Adverse events of the safety population with ``USUBJID``, the arm, ``soc``,
        ``term``, ``serious`` (optional: without it the serious row is left out) and the
        treatment-emergent flag.
    population : DataFrame
        The safety population (``USUBJID`` and the arm): the denominators.
    arm : str
        The arm variable (safety: the treatment received, ``TRT01A``).
    arms : sequence of str, optional
        Arms in display order (default: as they first appear in ``population``).
    terms : sequence of str
        Preferred terms of interest (the cohort's ``terms_of_interest``): those coded to
        the infection class get a row even when no subject has them.
    soc, term, serious : str
        The system organ class, preferred term and seriousness columns of ``adae``.
    teae_flag : str or None
        Treatment-emergent flag; ``None`` counts every event.

    Returns
    -------
    DataFrame
        One row per measure and arm: ``measure`` (``infection_any``,
        ``infection_serious``, then ``infection_<term>`` for :data:`HERPES_ZOSTER`, the
        terms of interest known to be infections and every infection term of the data,
        by descending subjects over all arms, then by name), ``term`` (the preferred
        term as the data spell it, ``""`` in the first two rows), ``arm``,
        ``n_subjects`` (subjects with at least one such event), ``n`` (subjects of the
        arm) and ``rate`` (``n_subjects / n``, missing for an arm without subjects).

    Raises
    ------
    ValueError
        ``events`` lacks ``USUBJID``, the arm, ``soc``, ``term`` or the flag;
        ``population`` lacks ``USUBJID`` or the arm.

    Notes
    -----
    Infections are the events coded to the MedDRA system organ class "Infections and
    infestations" (compared without case); serious ones have ``AESER`` = ``Y``. A subject
    counts once per row, whatever the number of events. Herpes zoster always has a row:
    a reader looks for it under an immunomodulating treatment.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": list("abcd"), "TRT01A": ["X", "X", "Y", "Y"]})
    >>> ev = pd.DataFrame({"USUBJID": ["a", "a", "c"], "TRT01A": ["X", "X", "Y"], "TRTEMFL": "Y",
    ...                    "AEBODSYS": ["Infections and infestations", "Infections and infestations", "Nervous system disorders"],
    ...                    "AEDECOD": ["Pneumonia", "Herpes zoster", "Headache"], "AESER": ["Y", "N", "N"]})
    >>> summarize_infections(ev, pop)[["measure", "arm", "n_subjects", "rate"]]
                   measure arm  n_subjects  rate
    0        infection_any   X           1   0.5
    1        infection_any   Y           0   0.0
    2    infection_serious   X           1   0.5
    3    infection_serious   Y           0   0.0
    4  infection_herpes_zoster   X           1   0.5
    5  infection_herpes_zoster   Y           0   0.0
    6   infection_pneumonia   X           1   0.5
    7   infection_pneumonia   Y           0   0.0
    """
    what = "summarize_infections"
    te, arms, n = _prepared(events, population, arm, arms, [soc, term], teae_flag, what)
    inf = te[_text(te[soc]) == INFECTION_SOC.upper()]
    names = inf[term].astype("object").where(inf[term].notna(), "").astype("str").str.strip()
    inf = inf.assign(term=names.to_numpy())
    parts = [inf.assign(measure="infection_any", term="")]
    rows = [("infection_any", "")]
    if serious in te.columns:
        parts.append(inf[_flag(inf[serious])].assign(measure="infection_serious", term=""))
        rows.append(("infection_serious", ""))
    # Herpes zoster and the terms of interest the data code as infections (or that no
    # event codes at all, when they are infection terms by name: herpes zoster), then the
    # data's other infection terms by frequency.
    coded = {t.upper(): s for t, s in zip(_text(te[term]), _text(te[soc]), strict=True)}
    wanted = [HERPES_ZOSTER] + [t for t in terms if coded.get(str(t).strip().upper()) == INFECTION_SOC.upper()]
    spelled = {t.upper(): t for t in pd.unique(names[names != ""])}
    by_term = inf[inf["term"] != ""].assign(measure=lambda f: "infection_" + f["term"].map(term_code))
    if len(by_term):
        counts = by_term.groupby("term")["USUBJID"].nunique()
        order = sorted(counts.index, key=lambda t: (-counts[t], t.lower(), t))
    else:
        order = []
    listed: list[str] = []
    for t in [*wanted, *order]:
        shown = spelled.get(str(t).strip().upper(), str(t).strip())
        if shown.upper() not in {x.upper() for x in listed}:
            listed.append(shown)
    by_term = by_term.assign(term=by_term["term"].map(lambda t: spelled.get(t.upper(), t)))
    parts.append(by_term)
    rows += [(f"infection_{term_code(t)}", t) for t in listed]
    data = pd.concat([p[["USUBJID", arm, "measure", "term"]] for p in parts], ignore_index=True)
    return _counted(data, pd.DataFrame(rows, columns=["measure", "term"]), arm, arms, n)


def summarize_terms_of_interest(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    terms: Sequence[str] = (),
    soc: str = "AEBODSYS",
    term: str = "AEDECOD",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Subjects with each preferred term of interest outside the infection class, by arm.

    Parameters
    ----------
    events, population, arm, arms, soc, term, teae_flag
        As :func:`summarize_infections`.
    terms : sequence of str
        The preferred terms of interest (the cohort's ``terms_of_interest``); those the
        data code to :data:`INFECTION_SOC` are left out (they are rows of
        :func:`summarize_infections`).

    Returns
    -------
    DataFrame
        ``measure`` (``term_<term>``), ``term`` (as the data spell it, else as given),
        ``arm``, ``n_subjects``, ``n``, ``rate``: one row per term, in the order given,
        and arm; a term no subject has gets zeros.

    Raises
    ------
    ValueError
        ``events`` lacks ``USUBJID``, the arm, ``soc``, ``term`` or the flag.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": list("ab"), "TRT01A": ["X", "Y"]})
    >>> ev = pd.DataFrame({"USUBJID": ["a", "a"], "TRT01A": "X", "TRTEMFL": "Y",
    ...                    "AEBODSYS": ["General disorders", "Infections and infestations"],
    ...                    "AEDECOD": ["Pyrexia", "Pneumonia"]})
    >>> summarize_terms_of_interest(ev, pop, terms=["pyrexia", "Pneumonia", "Fatigue"])[["measure", "term", "arm", "n_subjects"]]
            measure     term arm  n_subjects
    0  term_pyrexia  Pyrexia   X           1
    1  term_pyrexia  Pyrexia   Y           0
    2  term_fatigue  Fatigue   X           0
    3  term_fatigue  Fatigue   Y           0
    """
    te, arms, n = _prepared(events, population, arm, arms, [soc, term], teae_flag, "summarize_terms_of_interest")
    upper = _text(te[term])
    coded = dict(zip(upper, _text(te[soc]), strict=True))
    spelled = dict(zip(upper, te[term].astype("str").str.strip(), strict=True))
    rows = []
    for t in terms:
        key = str(t).strip().upper()
        if coded.get(key) == INFECTION_SOC.upper() or any(r[1].upper() == key for r in rows):
            continue
        rows.append((f"term_{term_code(t)}", spelled.get(key, str(t).strip())))
    data = te.assign(term=te[term].astype("str").str.strip().map(lambda s: spelled.get(s.upper(), s)))
    data = data.assign(measure=data["term"].map({r[1]: r[0] for r in rows}))
    data = data[data["measure"].notna()]
    return _counted(data, pd.DataFrame(rows, columns=["measure", "term"]), arm, arms, n)


def summarize_serious_by_term(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    term: str = "AEDECOD",
    serious: str = "AESER",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """Subjects with a serious adverse event of each preferred term, by arm.

    Parameters
    ----------
    events, population, arm, arms, term, teae_flag
        As :func:`summarize_infections`.
    serious : str
        The seriousness flag (``AESER``).

    Returns
    -------
    DataFrame
        ``measure`` (``sae_<term>``), ``term``, ``arm``, ``n_subjects``, ``n``, ``rate``:
        one row per preferred term with a serious event (by descending subjects over all
        arms, then by name) and arm. Empty (with these columns) when no event is serious.

    Raises
    ------
    ValueError
        ``events`` lacks ``USUBJID``, the arm, ``term``, ``serious`` or the flag.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": list("abc"), "TRT01A": ["X", "Y", "Y"]})
    >>> ev = pd.DataFrame({"USUBJID": ["b", "c", "a"], "TRT01A": ["Y", "Y", "X"], "TRTEMFL": "Y",
    ...                    "AEDECOD": ["Pneumonia", "Pneumonia", "Headache"], "AESER": ["Y", "Y", "N"]})
    >>> summarize_serious_by_term(ev, pop)[["measure", "arm", "n_subjects", "n", "rate"]]
             measure arm  n_subjects  n  rate
    0  sae_pneumonia   X           0  1   0.0
    1  sae_pneumonia   Y           2  2   1.0
    """
    te, arms, n = _prepared(events, population, arm, arms, [term, serious], teae_flag, "summarize_serious_by_term")
    ser = te[_flag(te[serious])]
    ser = ser.assign(term=ser[term].astype("str").str.strip())
    ser = ser[ser["term"] != ""]
    ser = ser.assign(measure="sae_" + ser["term"].map(term_code))
    if not len(ser):
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "rate" else "object") for c in _COLUMNS})
    counts = ser.groupby("term")["USUBJID"].nunique()
    order = sorted(counts.index, key=lambda t: (-counts[t], t.lower(), t))
    rows = pd.DataFrame({"measure": [f"sae_{term_code(t)}" for t in order], "term": order})
    return _counted(ser, rows, arm, arms, n)


def summarize_events_of_interest(
    events: pd.DataFrame,
    population: pd.DataFrame,
    arm: str = "TRT01A",
    arms: Sequence[str] | None = None,
    terms: Sequence[str] = (),
    soc: str = "AEBODSYS",
    term: str = "AEDECOD",
    serious: str = "AESER",
    teae_flag: str | None = "TRTEMFL",
) -> pd.DataFrame:
    """The rows of the infections table: :func:`summarize_infections`, then
    :func:`summarize_terms_of_interest` and, when ``adae`` has ``serious``,
    :func:`summarize_serious_by_term`, one frame.

    Parameters and Returns are those of :func:`summarize_infections`.

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["a", "b"], "TRT01A": "X"})
    >>> ev = pd.DataFrame({"USUBJID": ["a"], "TRT01A": "X", "TRTEMFL": "Y", "AEBODSYS": "General disorders",
    ...                    "AEDECOD": "Pyrexia", "AESER": "Y"})
    >>> summarize_events_of_interest(ev, pop, terms=["Pyrexia"])[["measure", "n_subjects", "rate"]]
                       measure  n_subjects  rate
    0            infection_any           0   0.0
    1        infection_serious           0   0.0
    2  infection_herpes_zoster           0   0.0
    3             term_pyrexia           1   0.5
    4              sae_pyrexia           1   0.5
    """
    parts = [summarize_infections(events, population, arm, arms, terms, soc, term, serious, teae_flag),
             summarize_terms_of_interest(events, population, arm, arms, terms, soc, term, teae_flag)]
    if serious in events.columns:
        parts.append(summarize_serious_by_term(events, population, arm, arms, term, serious, teae_flag))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True)[_COLUMNS]


def compare_infection_rates(
    summary: pd.DataFrame,
    arms: Sequence[str],
    reference: str,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each arm against the reference arm, for every measure of a summary.

    Parameters
    ----------
    summary : DataFrame
        ``measure``, ``arm``, ``n_subjects`` and ``n`` (:func:`summarize_infections`,
        :func:`summarize_terms_of_interest`, :func:`summarize_serious_by_term`, or
        several of them concatenated).
    arms : sequence of str
        The arms, the reference among them.
    reference : str
        The comparator arm.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        One row per measure and compared arm: ``measure``, ``arm``, ``reference``,
        ``n_subjects``, ``n``, ``ref_subjects``, ``ref_n``, ``estimate`` (difference in
        proportions, arm minus reference, as a fraction), ``ci_low``, ``ci_high``,
        ``p_val`` (the score test the interval inverts), ``confidence`` and ``method``.
        An arm or reference without subjects gives missing values.

    Raises
    ------
    ValueError
        ``reference`` is not one of ``arms``; ``confidence`` is not between 0 and 1.

    Notes
    -----
    Miettinen-Nurminen score interval and score test of p1 - p0
    (:func:`helpers.stats.rates.score_interval`, :func:`~helpers.stats.rates.score_test`;
    Miettinen and Nurminen, Stat Med 1985;4:213-26; R ``PropCIs::diffscoreci``). The
    interval never disagrees with the test, and it stays informative with zero events
    in an arm, where a Wald interval collapses.

    Examples
    --------
    >>> s = pd.DataFrame({"measure": "infection_any", "arm": ["IL-2", "Placebo"], "n_subjects": [2, 6], "n": [29, 30]})
    >>> compare_infection_rates(s, ["IL-2", "Placebo"], "Placebo")[["arm", "estimate", "ci_low", "ci_high", "p_val"]].round(4)
        arm  estimate  ci_low  ci_high   p_val
    0  IL-2    -0.131 -0.3189   0.0521  0.1451
    """
    if reference not in arms:
        raise ValueError(f"compare_infection_rates: reference arm {reference!r} is not one of {list(arms)}")
    if not 0 < confidence < 1:
        raise ValueError(f"compare_infection_rates: confidence must be between 0 and 1, got {confidence}")
    require_columns(summary, ["measure", "arm", "n_subjects", "n"], "compare_infection_rates", "summary")
    columns = ["measure", "arm", "reference", "n_subjects", "n", "ref_subjects", "ref_n", "estimate", "ci_low",
               "ci_high", "p_val", "confidence", "method"]
    rows = []
    for measure in pd.unique(summary["measure"]):
        g = {r["arm"]: r for r in summary[summary["measure"] == measure].to_dict("records")}
        if reference not in g:
            continue
        x0, n0 = int(g[reference]["n_subjects"]), int(g[reference]["n"])
        for a in arms:
            if a == reference or a not in g:
                continue
            x1, n1 = int(g[a]["n_subjects"]), int(g[a]["n"])
            row = {"measure": measure, "arm": a, "reference": reference, "n_subjects": x1, "n": n1,
                   "ref_subjects": x0, "ref_n": n0, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                   "p_val": math.nan, "confidence": confidence, "method": DIFFERENCE_METHOD}
            if n1 > 0 and n0 > 0:
                lo, hi = score_interval(x1, n1, x0, n0, confidence)
                row.update(estimate=x1 / n1 - x0 / n0, ci_low=lo, ci_high=hi, p_val=score_test(x1, n1, x0, n0))
            rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def infection_values(summary: pd.DataFrame) -> pd.DataFrame:
    """A summary as one row per arm with a column per result name (``<measure>_n``,
    ``<measure>_rate``), for ``Chapter.glue_columns``.

    Examples
    --------
    >>> s = pd.DataFrame({"measure": "infection_any", "arm": ["X", "Y"], "n_subjects": [1, 0], "n": 2,
    ...                   "rate": [0.5, 0.0]})
    >>> infection_values(s)
      arm  infection_any_n  infection_any_rate
    0   X                1                 0.5
    1   Y                0                 0.0
    """
    require_columns(summary, ["measure", "arm", "n_subjects", "rate"], "infection_values", "summary")
    arms = list(pd.unique(summary["arm"]))
    out = pd.DataFrame({"arm": arms})
    for measure in pd.unique(summary["measure"]):
        g = summary[summary["measure"] == measure].set_index("arm")
        out[result_name(measure, "n")] = [int(g.loc[a, "n_subjects"]) for a in arms]
        out[result_name(measure, "rate")] = [float(g.loc[a, "rate"]) for a in arms]
    return out


def infection_difference_values(comparisons: pd.DataFrame) -> pd.DataFrame:
    """Comparisons (:func:`compare_infection_rates`) as one row per compared arm with a
    column per result name (``<measure>_diff``, ``_diff_ci_low``, ``_diff_ci_high``,
    ``_diff_p``) and ``reference``, for ``Chapter.glue_comparisons``.

    Examples
    --------
    >>> c = pd.DataFrame({"measure": "infection_any", "arm": ["X"], "reference": "Y", "estimate": [0.5],
    ...                   "ci_low": [-0.2], "ci_high": [0.9], "p_val": [0.3]})
    >>> infection_difference_values(c).to_dict("records")[0]["infection_any_diff_ci_low"]
    -0.2
    >>> list(infection_difference_values(c).columns[2:])
    ['infection_any_diff', 'infection_any_diff_ci_low', 'infection_any_diff_ci_high', 'infection_any_diff_p']
    """
    require_columns(comparisons, ["measure", "arm", "reference", "estimate", "ci_low", "ci_high", "p_val"],
                    "infection_difference_values", "comparisons")
    pairs = comparisons[["arm", "reference"]].drop_duplicates().reset_index(drop=True)
    out = pairs.copy()
    for measure in pd.unique(comparisons["measure"]):
        g = comparisons[comparisons["measure"] == measure].set_index(["arm", "reference"])
        for column, statistic in (("estimate", "diff"), ("ci_low", "diff_ci_low"), ("ci_high", "diff_ci_high"),
                                  ("p_val", "diff_p")):
            out[result_name(measure, statistic)] = [
                float(g.loc[(a, r), column]) if (a, r) in g.index else math.nan
                for a, r in zip(pairs["arm"], pairs["reference"], strict=True)
            ]
    return out
