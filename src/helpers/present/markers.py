"""What the labs and immunology chapters show: marker labels and units, the values a
page cites (by glue name), the tables and the figures.

The frames come from :mod:`helpers.analyses.markers`, keyed by the arm and ``PARAMCD``
with codes for directions and verdicts; the words come from
:mod:`helpers.present.prose.markers`; numbers are rounded by :mod:`helpers.present.format`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.analyses.arms import arms_and_total
from helpers.analyses.markers import MEASURES, order_rows
from helpers.errors import require_columns
from helpers.present.format import (
    format_estimate_ci,
    format_median_iqr,
    format_number,
    format_p,
    format_rate_ci,
    format_signed,
)
from helpers.present.prose import markers as words
from helpers.present.prose import p_text
from helpers.present.tables import ResultTable, spread_by_arm

#: Short names for panel titles and table rows.
SHORT_LABELS: dict[str, str] = {
    "DSDNA": "Anti-dsDNA", "C3": "C3", "C4": "C4", "UPROT": "24-hour urine protein",
    "WBC": "White cells", "LYMPH": "Lymphocytes", "PLAT": "Platelets", "HGB": "Haemoglobin",
    "TREG": "Treg", "TH17": "Th17", "TFH": "Tfh", "TH1": "Th1", "TH2": "Th2", "NK": "NK cells",
    "TREGTH17": "Treg/Th17 ratio",
}
#: Units as a page shows them.
DISPLAY_UNITS: dict[str, str] = {
    "IU/mL": "IU/mL", "g/L": "g/L", "g/24h": "g/24 h", "10^9/L": "10\u2079/L",
    "% of CD4+ T cells": "% of CD4+", "% of lymphocytes": "% of lymphocytes", "ratio": "",
}
#: The stem of each marker's glue names (``<stem>_median_change`` ...).
GLUE_STEMS: dict[str, str] = {
    "DSDNA": "antidsdna", "C3": "c3", "C4": "c4", "UPROT": "proteinuria", "WBC": "wbc",
    "LYMPH": "lymphocytes", "PLAT": "platelets", "HGB": "haemoglobin", "TREG": "treg",
    "TH17": "th17", "TFH": "tfh", "TH1": "th1", "TH2": "th2", "NK": "nk", "TREGTH17": "tregth17",
    "COMP": "complement",
}
#: Decimals each marker is shown with (as recorded).
DIGITS: dict[str, int] = {
    "DSDNA": 1, "C3": 2, "C4": 2, "UPROT": 2, "WBC": 2, "LYMPH": 2, "PLAT": 0, "HGB": 0,
    "TREG": 2, "TH17": 2, "TFH": 2, "TH1": 2, "TH2": 2, "NK": 2, "TREGTH17": 2,
}
#: What a value column means, for notes and prose.
VALUE_LABELS: dict[str, str] = {"CHG": "change from baseline", "AVAL": "value", "BASE": "baseline value"}
#: The normalisation criteria of :data:`helpers.analyses.markers.NORMALISATION`, as a table names them.
NORMALISATION_LABELS: dict[str, str] = {
    "C3": "Low C3 became normal",
    "C4": "Low C4 became normal",
    "COMP": "Low C3 or C4: every low one became normal",
    "DSDNA": "Positive anti-dsDNA became negative",
    "UPROT": f"Proteinuria above {d.PROTEINURIA_THRESHOLD:g} g/24 h fell to {d.PROTEINURIA_THRESHOLD:g} or below",
}
#: The scale of a model or comparison estimate (``scale`` column).
MODEL_SCALES: dict[str, str] = {"ratio": "ratio to baseline", "difference": "difference from baseline"}
COMPARISON_SCALES: dict[str, str] = {"ratio": "ratio of geometric mean ratios", "difference": "difference in mean change"}


def format_label(code: str, unit: bool = True) -> str:
    """A marker's short name, with its unit in parentheses.

    Examples
    --------
    >>> format_label("PLAT"), format_label("TREGTH17"), format_label("C3", unit=False)
    ('Platelets (10⁹/L)', 'Treg/Th17 ratio', 'C3')
    """
    name = SHORT_LABELS.get(code, code)
    m = MEASURES.get(code)
    shown = DISPLAY_UNITS.get(m.unit, m.unit) if (unit and m is not None) else ""
    return f"{name} ({shown})" if shown else name


def panels(codes: Sequence[str], log: bool = True) -> list[tuple[str, str, bool]]:
    """``(PARAMCD, label, log scale)`` for each code, for the grid figures.

    Examples
    --------
    >>> panels(["DSDNA", "C3"])
    [('DSDNA', 'Anti-dsDNA (IU/mL)', True), ('C3', 'C3 (g/L)', False)]
    """
    return [(c, format_label(c), bool(log and c in MEASURES and MEASURES[c].log_scale)) for c in codes]


def _digits(code: str, scale: str | None = None) -> int:
    """Decimals of a marker's value; an estimate on the ratio scale has two, and a
    difference at least one."""
    if scale == "ratio":
        return 2
    k = DIGITS.get(code, 2)
    return max(k, 1) if scale == "difference" else k


# ---------------------------------------------------------------------------------------
# the values a page cites


@dataclass(frozen=True)
class MarkerGlue:
    """Values to glue with :meth:`helpers.chapter.Chapter.glue_frame`, one per marker and
    column: ``ch.glue_frame(g.frame, g.names, p_values=g.p_values)``.

    Attributes
    ----------
    frame : DataFrame
        One row per arm (and the total with several arms): the arm column, then one
        column per glue name (object dtype: integers stay integers; a missing value is
        None).
    names : dict
        Glue name -> column of ``frame`` (the same name).
    p_values : tuple of str
        The glue names that hold p values (each is also glued as ``<name>_text``).
    """

    frame: pd.DataFrame
    names: dict[str, str]
    p_values: tuple[str, ...]


def glue_name(code: str, suffix: str = "", prefix: str = "") -> str:
    """A marker's glue name: ``<prefix><stem>_<suffix>``, the stem from :data:`GLUE_STEMS`.

    Examples
    --------
    >>> glue_name("DSDNA", "median_change"), glue_name("C3", prefix="labs_norm_"), glue_name("XYZ", "n")
    ('antidsdna_median_change', 'labs_norm_c3', 'xyz_n')
    """
    stem = GLUE_STEMS.get(code, code.lower())
    return f"{prefix}{stem}_{suffix}" if suffix else f"{prefix}{stem}"


def _select(frame: pd.DataFrame, week: int | None, codes: Sequence[str] | None,
            value_words: Mapping[str, Mapping[str, str]] | None) -> tuple[pd.DataFrame, list[str]]:
    sel = frame if week is None else frame[frame["AVISITN"] == week]
    if value_words:
        sel = words.derive_words(sel, value_words)
    return sel, (list(codes) if codes is not None else list(pd.unique(sel["PARAMCD"])))


def glue_by_marker(
    frame: pd.DataFrame, arm: str, arms: Sequence[str], columns: Mapping[str, str], prefix: str = "",
    week: int | None = None, codes: Sequence[str] | None = None, p_values: Sequence[str] = (),
    value_words: Mapping[str, Mapping[str, str]] | None = None,
) -> MarkerGlue:
    """Per-marker values of a tidy frame, one row per arm, under their glue names.

    Parameters
    ----------
    frame : DataFrame
        ``PARAMCD``, ``arm`` (with the total row when there are several arms) and the
        columns; ``AVISITN`` too when ``week`` is given.
    columns : mapping
        Name suffix -> column, e.g. ``{"median_change": "median_chg"}``; the glue name
        is :func:`glue_name` (an empty suffix gives ``<prefix><stem>``).
    week : int, optional
        Keep only the rows of this week.
    codes : sequence of str, optional
        Markers to glue (default: those of ``frame``, in order); a marker without rows
        is left out.
    p_values : sequence of str
        Suffixes (keys of ``columns``) whose values are p values.
    value_words : mapping, optional
        ``{column: {code: word}}``: columns of codes glued as words
        (:mod:`helpers.present.prose.markers`).

    Returns
    -------
    MarkerGlue
        An arm without a row for a marker gets None.

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": ["A", "B", "Total"], "PARAMCD": "TREG", "AVISITN": 10,
    ...                   "median_chg": [0.5, 0.0, 0.2], "p_adj": [0.01, 0.9, 0.04]})
    >>> g = glue_by_marker(t, "TRT01A", ["A", "B"], {"median_change": "median_chg", "p": "p_adj"},
    ...                    week=10, p_values=["p"])
    >>> g.frame
      TRT01A treg_median_change treg_p
    0      A                0.5   0.01
    1      B                0.0    0.9
    2  Total                0.2   0.04
    >>> g.p_values
    ('treg_p',)
    """
    require_columns(frame, ["PARAMCD", arm, *columns.values(), *(["AVISITN"] if week is not None else [])],
                    "glue_by_marker", "frame")
    unknown = [s for s in p_values if s not in columns]
    if unknown:
        raise ValueError(f"glue_by_marker: p_values {unknown} are not keys of columns ({list(columns)})")
    sel, codes = _select(frame, week, codes, value_words)
    rows: dict[str, dict[str, object]] = {a: {arm: a} for a in arms_and_total(arms)}
    names, p_names = {}, []
    for code in codes:
        g = sel[sel["PARAMCD"] == code].drop_duplicates(arm)
        if g.empty:
            continue
        by_arm = dict(zip(g[arm], g.to_dict("records"), strict=True))
        for suffix, column in columns.items():
            name = glue_name(code, suffix, prefix)
            names[name] = name
            p_names += [name] if suffix in p_values else []
            for a, row in rows.items():
                row[name] = by_arm[a][column] if a in by_arm else None
    out = pd.DataFrame(list(rows.values()), columns=[arm, *names], dtype=object)
    return MarkerGlue(out, names, tuple(p_names))


def glue_comparison(
    comparison: pd.DataFrame, arm: str, columns: Mapping[str, str], prefix: str = "",
    codes: Sequence[str] | None = None, p_values: Sequence[str] = (),
    value_words: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, object]:
    """Per-marker values of a between-arm comparison, for the first compared arm, as
    ``{glue name: value}`` for :meth:`helpers.chapter.Chapter.glue_values`.

    Names as in :func:`glue_by_marker`; each p value (``p_values``: suffixes) also
    under ``<name>_text`` (:func:`helpers.present.prose.p_text`). Empty without a
    comparison (a single-arm cohort).

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": ["C3", "C3", "C4"], "TRT01A": ["A", "B", "A"], "estimate": [0.2, 0.1, 0.05],
    ...                   "p_adj": [0.01, 0.2, 0.5]})
    >>> glue_comparison(c, "TRT01A", {"arm_estimate": "estimate", "arm_p": "p_adj"}, p_values=["arm_p"])
    {'c3_arm_estimate': 0.2, 'c3_arm_p': 0.01, 'c3_arm_p_text': 'p = 0.010', 'c4_arm_estimate': 0.05, 'c4_arm_p': 0.5, 'c4_arm_p_text': 'p = 0.500'}
    >>> glue_comparison(c.iloc[:0], "TRT01A", {"arm_estimate": "estimate"})
    {}
    """
    require_columns(comparison, ["PARAMCD", arm, *columns.values()], "glue_comparison", "comparison")
    if comparison.empty:
        return {}
    first = comparison[arm].iloc[0]
    sel, codes = _select(comparison[comparison[arm] == first], None, codes, value_words)
    out: dict[str, object] = {}
    for code in codes:
        g = sel[sel["PARAMCD"] == code]
        if g.empty:
            continue
        row = g.iloc[0]
        for suffix, column in columns.items():
            name = glue_name(code, suffix, prefix)
            value = row[column]
            out[name] = value.item() if isinstance(value, np.generic) else value
            if suffix in p_values:
                out[f"{name}_text"] = p_text(value)
    return out


def glue_by_arm(tests: pd.DataFrame, codes: Sequence[str], arm: str, arms: Sequence[str], week: int,
                value: str = "median_chg", p: str = "p_adj") -> dict[str, str]:
    """Each marker's change at ``week`` in every arm as one phrase, under
    ``<stem>_by_arm`` (:func:`helpers.present.prose.markers.format_by_arm`).

    Examples
    --------
    >>> t = pd.DataFrame({"TRT01A": ["A", "B"], "PARAMCD": "C3", "AVISITN": 10, "median_chg": [0.12, -0.01],
    ...                   "p_adj": [0.004, 0.8]})
    >>> glue_by_arm(t, ["C3"], "TRT01A", ["A", "B"], 10)
    {'c3_by_arm': '+0.12 with A (p = 0.004) and -0.01 with B (p = 0.800)'}
    """
    require_columns(tests, ["PARAMCD", "AVISITN", arm, value, p], "glue_by_arm", "tests")
    at = tests[tests["AVISITN"] == week]
    out = {}
    for code in codes:
        sel = at[at["PARAMCD"] == code]
        values = []
        for a in arms:
            r = sel[sel[arm] == a]
            values.append((a, None, None) if r.empty else (a, r[value].iloc[0], r[p].iloc[0]))
        out[glue_name(code, "by_arm")] = words.format_by_arm(values, DIGITS.get(code, 2))
    return out


def format_significant(codes: Sequence[str]) -> str:
    """Markers (e.g. from :func:`helpers.analyses.markers.significant_codes`) by their
    short names, as a list in words, or ``"none"``.

    Examples
    --------
    >>> format_significant(["TH17", "NK"]), format_significant([])
    ('Th17 and NK cells', 'none')
    """
    return words.format_list_or_none([format_label(c, unit=False) for c in codes])


# ---------------------------------------------------------------------------------------
# tables


def marker_visit_table(
    levels: pd.DataFrame, tests: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str],
    name: str, title: str, codes: Sequence[str] | None = None, notes: Sequence[str] = (),
) -> ResultTable:
    """Median [IQR] of each marker at every visit and, after baseline, its median change
    [IQR] with the adjusted p value, by arm (and in total).

    Parameters
    ----------
    levels : DataFrame
        From :func:`helpers.analyses.markers.summarize_levels`.
    tests : DataFrame
        From :func:`helpers.analyses.markers.change_tests`.

    Returns
    -------
    ResultTable
        Rows grouped by marker, one per visit; a column per arm (and ``Total``). The CSV
        holds every number, unrounded, one row per arm, marker and visit.
    """
    keys = [arm, "PARAMCD", "AVISITN"]
    keep = [c for c in ["n", "median_chg", "q1_chg", "q3_chg", "w_val", "p_val", "p_adj", "padjust", "family_size"] if c in tests]
    merged = levels.merge(tests[keys + keep].rename(columns={"n": "n_paired"}), on=keys, how="left")
    codes = list(codes) if codes is not None else list(pd.unique(merged["PARAMCD"]))
    merged = order_rows(merged[merged["PARAMCD"].isin(codes)], arm, arms, codes)
    cells = []
    for r in merged.itertuples(index=False):
        k = DIGITS.get(r.PARAMCD, 2)
        cell = format_median_iqr(r.median, r.q1, r.q3, k)
        if not pd.isna(r.median_chg):
            cell += (f"; change {format_signed(r.median_chg, k)} [{format_signed(r.q1_chg, k)}, "
                     f"{format_signed(r.q3_chg, k)}], {p_text(r.p_adj)}")
        cells.append(cell)
    shown = merged.assign(cell=cells, Marker=[format_label(c) for c in merged["PARAMCD"]],
                          Visit=merged["AVISITN"].map(visit_labels))
    display = spread_by_arm(shown, ["Marker", "Visit"], arm, "cell", arms)
    padjust = str(tests["padjust"].iloc[0]) if len(tests) and "padjust" in tests else "holm"
    family = "all markers \u00d7 visits of the table" if len(codes) > 1 else "all visits"
    all_notes = [
        "Each cell: median [interquartile range] of the values at the visit; after baseline, the median change "
        "from baseline [interquartile range] among subjects with both values, and the p value of the Wilcoxon "
        f"signed-rank test against baseline, {words.format_adjusted(padjust)} within each column ({family}).",
        "The CSV download adds the number of subjects, the unadjusted p values and the test statistics.",
        *notes,
    ]
    return ResultTable(name, title, display, merged, all_notes, groupname="Marker")


def model_table(models: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str], name: str,
                title: str, codes: Sequence[str] | None = None, confidence: float = 0.95, notes: Sequence[str] = ()) -> ResultTable:
    """Mixed-model estimates against baseline by visit: ratio (log scale) or difference,
    with the confidence interval and the adjusted p value, by arm.

    Parameters
    ----------
    models : DataFrame
        From :func:`helpers.analyses.markers.summarize_models`.
    """
    codes = list(codes) if codes is not None else list(pd.unique(models["PARAMCD"]))
    m = order_rows(models[models["PARAMCD"].isin(codes)], arm, arms, codes)
    cells = []
    for r in m.itertuples(index=False):
        flag = "" if r.converged else " (did not converge)"
        cells.append(f"{format_estimate_ci(r.estimate, r.ci_low, r.ci_high, _digits(r.PARAMCD, r.scale))}, "
                     f"{p_text(r.p_adj)}{flag}")
    shown = m.assign(cell=cells, Visit=m["AVISITN"].map(visit_labels),
                     Marker=[f"{format_label(c)}: {MODEL_SCALES[s]}" for c, s in zip(m["PARAMCD"], m["scale"], strict=True)])
    display = spread_by_arm(shown, ["Marker", "Visit"], arm, "cell", arms)
    padjust = str(m["padjust"].iloc[0]) if len(m) else "holm"
    all_notes = [
        f"Linear mixed model per marker and column: value by visit with a random intercept per subject (REML). "
        f"Estimate ({100 * confidence:g}% confidence interval) against baseline: for markers on the log scale the "
        "ratio of geometric means, otherwise the difference in means; p of the visit term, "
        f"{words.format_adjusted(padjust)} within each column across markers and visits.",
        *notes,
    ]
    return ResultTable(name, title, display, m, all_notes, groupname="Marker")


def format_comparison(compared: str, reference: str, scale: str) -> str:
    """The name of a between-arm contrast: ``A vs P`` for a ratio, ``A - P`` for a
    difference.

    Examples
    --------
    >>> format_comparison("IL-2", "Placebo", "ratio"), format_comparison("IL-2", "Placebo", "difference")
    ('IL-2 vs Placebo', 'IL-2 - Placebo')
    """
    return f"{compared} vs {reference}" if scale == "ratio" else f"{compared} - {reference}"


def arm_comparison_table(rows: pd.DataFrame, arm: str, name: str, title: str, confidence: float = 0.95,
                         notes: Sequence[str] = (), padjust: str = "holm") -> ResultTable:
    """Between-arm comparisons of the change from baseline (from
    :func:`helpers.analyses.markers.compare_arms`).

    The CSV holds the rows with ``comparison`` (:func:`format_comparison`) in place of
    ``reference``.
    """
    require_columns(rows, ["PARAMCD", arm, "reference", "estimate", "ci_low", "ci_high", "p_val", "p_adj", "scale"],
                    "arm_comparison_table", "rows")
    comparison = [format_comparison(a, ref, s) for a, ref, s in zip(rows[arm], rows["reference"], rows["scale"], strict=True)]
    data = rows.copy()
    data.insert(data.columns.get_loc("reference"), "comparison", comparison)
    data = data.drop(columns="reference")
    ci = f"Estimate ({100 * confidence:g}% CI)"
    display = pd.DataFrame({
        "Marker": [format_label(c) for c in rows["PARAMCD"]], "Comparison": comparison,
        "Scale": [COMPARISON_SCALES[s] for s in rows["scale"]],
        ci: [format_estimate_ci(e, lo, hi, _digits(c, s)) for c, e, lo, hi, s in
             zip(rows["PARAMCD"], rows["estimate"], rows["ci_low"], rows["ci_high"], rows["scale"], strict=True)],
        "p": [format_p(p) for p in rows["p_val"]], "Adjusted p": [format_p(p) for p in rows["p_adj"]],
    }, columns=["Marker", "Comparison", "Scale", ci, "p", "Adjusted p"])
    all_notes = [
        "ANCOVA: change from baseline adjusted for the baseline value, by least squares; on the log scale for "
        f"skewed markers (estimate: ratio). Adjusted p: {words.format_padjust(padjust)} across the markers of the "
        "table.",
        *notes,
    ]
    return ResultTable(name, title, display, data, all_notes)


def normalisation_table(summary: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str,
                        confidence: float = 0.95) -> ResultTable:
    """Normalisation rates (from :func:`helpers.analyses.markers.summarize_normalisation`),
    criteria by arm.

    The CSV holds the summary with ``criterion`` (:data:`NORMALISATION_LABELS`) after
    ``PARAMCD``.
    """
    require_columns(summary, [arm, "PARAMCD", "responders", "n", "ci_low", "ci_high"], "normalisation_table", "summary")
    data = summary.copy()
    data.insert(data.columns.get_loc("PARAMCD") + 1, "criterion", data["PARAMCD"].map(NORMALISATION_LABELS))
    s = data.assign(
        cell=[format_rate_ci(int(x), int(n), lo, hi) if n else "0/0" for x, n, lo, hi in
              zip(data["responders"], data["n"], data["ci_low"], data["ci_high"], strict=True)],
        Criterion=data["criterion"],
    )
    display = spread_by_arm(s, ["Criterion"], arm, "cell", arms)
    method = s["method"].iloc[0] if len(s) and "method" in s else "Clopper-Pearson"
    return ResultTable(
        "labs-normalisation", f"Laboratory normalisation at {week_label}", display, data,
        [f"Normalised/abnormal at baseline (%) [{method} {100 * confidence:g}% confidence interval]. Abnormal: "
         "C3 or C4 below the lower limit of normal, anti-dsDNA above the upper limit, 24-hour urine protein above "
         f"{d.PROTEINURIA_THRESHOLD:g} g; a subject without a value at the visit counts as not normalised."],
    )


def claims_table(claims: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str, name: str, title: str,
                 notes: Sequence[str] = ()) -> ResultTable:
    """Published claims against the data (from :func:`helpers.analyses.markers.summarize_claims`).

    The CSV holds the claims with the direction (:data:`helpers.present.prose.markers.CHANGE_WORDS`)
    and the verdict (:data:`helpers.present.prose.markers.VERDICT_VERBS`) in words.
    """
    require_columns(claims, [arm, "PARAMCD", "claimed", "reference", "median_chg", "p_adj", "direction", "verdict"],
                    "claims_table", "claims")
    c = claims.assign(
        cell=[f"{format_signed(x, DIGITS.get(code, 2))}, {p_text(p)}: {label}" for x, p, label, code in
              zip(claims["median_chg"], claims["p_adj"], words.format_words(claims["verdict"], words.VERDICT_LABELS),
                  claims["PARAMCD"], strict=True)],
        Marker=[format_label(x) for x in claims["PARAMCD"]],
        Published=[f"{claimed} ({ref})" for claimed, ref in
                   zip(words.format_words(claims["claimed"], words.CLAIMED_LABELS), claims["reference"], strict=True)],
    )
    display = spread_by_arm(c, ["Marker", "Published"], arm, "cell", arms)
    data = words.derive_words(claims, {"direction": words.CHANGE_WORDS, "verdict": words.VERDICT_VERBS})
    all_notes = [
        f"Each cell: median change from baseline at {week_label}, adjusted p of the Wilcoxon signed-rank test "
        "(the family of the change table), and whether the data support the published direction. A claim of no "
        "change counts as supported when the change is not significant, which does not prove there was none.",
        *notes,
    ]
    return ResultTable(name, title, display, data, all_notes)


def responder_table(comp: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str, confidence: float = 0.95,
                    name: str = "immunology-responders", notes: Sequence[str] = (), sri_k: int = 4) -> ResultTable:
    """Responders against non-responders (from :func:`helpers.analyses.markers.compare_responders`);
    responders by SRI-``sri_k`` with non-responder imputation."""
    value = VALUE_LABELS.get(str(comp["value"].iloc[0]), str(comp["value"].iloc[0])) if len(comp) else "value"
    padjust = str(comp["padjust"].iloc[0]) if len(comp) and "padjust" in comp else "holm"
    rows = []
    for a, r in zip(comp[arm], comp.itertuples(index=False), strict=True):
        k = DIGITS.get(r.PARAMCD, 2)
        rows.append({
            "Arm": a, "Subset": format_label(r.PARAMCD),
            "n (R / NR)": f"{r.n1} / {r.n2}",
            "Median, responders": format_number(r.median1, k),
            "Median, non-responders": format_number(r.median2, k),
            f"Rank-biserial r ({100 * confidence:g}% CI)": format_estimate_ci(r.rbc, r.rbc_ci_low, r.rbc_ci_high),
            "CLES": format_number(r.cles, 2),
            "p": format_p(r.p_val), "Adjusted p": format_p(r.p_adj),
        })
    display = pd.DataFrame(rows)
    if len(arms) == 1 and len(display):
        display = display.drop(columns="Arm")
    return ResultTable(
        name, f"Lymphocyte subsets in SRI-{sri_k} responders and non-responders at {week_label}", display, comp,
        [f"Compared: {value} at {week_label}. Mann-Whitney U test; {words.format_adjusted(padjust)} across the "
         "subsets (within each arm). Rank-biserial r is positive when responders have higher values; CLES is the "
         "probability that a responder's value exceeds a non-responder's (ties count half). Interval: "
         "Hanley-McNeil.",
         f"R: responders, NR: non-responders (SRI-{sri_k}, non-responder imputation).", *notes],
        groupname="Arm" if len(arms) > 1 else None,
    )


def correlation_table(corr: pd.DataFrame, arm: str, x_label: str, y_label: str, week_label: str,
                      name: str = "immunology-correlation") -> ResultTable:
    """Spearman correlations (from :func:`helpers.analyses.markers.summarize_correlation`),
    one row per arm."""
    display = pd.DataFrame({
        "Arm": corr[arm].astype(str), "n": corr["n"].astype(int).astype(str),
        "Spearman r (95% CI)": [format_estimate_ci(r, lo, hi) for r, lo, hi in zip(corr["r"], corr["ci_low"], corr["ci_high"], strict=True)],
        "p": [format_p(p) for p in corr["p_val"]],
    })
    return ResultTable(name, f"Correlation of the change in {x_label} with the change in {y_label} at {week_label}",
                       display, corr, ["Spearman rank correlation; subjects with both changes. Interval: Fisher z "
                                       "transformation."])


# ---------------------------------------------------------------------------------------
# figures


def paired_arms_figure(
    df: pd.DataFrame, panels: Sequence[tuple[str, str, bool]], arm: str, arms: Sequence[str], base: str = "BASE",
    value: str = "AVAL", first_label: str = "Baseline", second_label: str = "Week", ncols: int = 4,
    individual_max: int = 200, week: int | None = None,
):
    """Baseline against a later visit, one line per subject, per marker; with several
    arms, each arm's pair of boxes side by side in every panel.

    :func:`helpers.present.figures.paired_figure` with the arms.

    Parameters
    ----------
    df : DataFrame
        ``PARAMCD``, ``base``, ``value``, ``arm``: one row per subject and marker at the
        later visit, or ``AVISITN`` too and ``week``.
    panels : sequence of (PARAMCD, label, log)
    week : int, optional
        The later visit: only the rows of ``df`` at that ``AVISITN`` are drawn.
    """
    from helpers.present import figures

    at = df if week is None else df[df["AVISITN"] == week]
    return figures.paired_figure(at, panels, base, value, first_label, second_label, individual_max, ncols,
                                 arm=arm, arms=arms)


def scatter_figure(df: pd.DataFrame, x: str, y: str, arm: str, arms: Sequence[str], xlabel: str, ylabel: str):
    """One point per subject, marker and colour by arm, with zero lines (for changes)."""
    import matplotlib.pyplot as plt

    from helpers.present import figures

    styles = figures.arm_styles(arms)
    with figures.style():
        fig, ax = plt.subplots(figsize=(6, 4.2))
        for a in arms:
            g = df[df[arm] == a]
            if g.empty:
                continue
            st = styles[a]
            ax.scatter(g[x], g[y], color=st["color"], marker=st["marker"], alpha=0.75, s=28, label=f"{a} (n={len(g)})")
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.axvline(0, color="0.4", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return fig


def effect_size_rows(comp: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Rows for :func:`helpers.present.figures.forest_figure` from
    :func:`helpers.analyses.markers.compare_responders`: ``label``, ``estimate``
    (rank-biserial r), ``ci_low``, ``ci_high``, ``group`` (arm), ``note`` (adjusted p),
    in marker order with arms adjacent.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["TREG"], "rbc": [0.5], "rbc_ci_low": [0.1],
    ...                   "rbc_ci_high": [0.8], "p_adj": [0.02]})
    >>> effect_size_rows(c, "TRT01A", ["IL-2"])[["label", "estimate", "note"]]
      label  estimate       note
    0  Treg       0.5  p = 0.020
    """
    c = comp[comp[arm].isin(arms)]
    codes = list(pd.unique(c["PARAMCD"]))
    c = c.assign(_c=c["PARAMCD"].map({k: i for i, k in enumerate(codes)}), _a=c[arm].map({a: i for i, a in enumerate(arms)}))
    c = c.sort_values(["_c", "_a"], kind="stable")
    several = len(arms) > 1
    return pd.DataFrame({
        "label": [format_label(k, unit=False) + (f" ({a})" if several else "") for k, a in zip(c["PARAMCD"], c[arm], strict=True)],
        "estimate": c["rbc"].to_numpy(float), "ci_low": c["rbc_ci_low"].to_numpy(float),
        "ci_high": c["rbc_ci_high"].to_numpy(float), "group": c[arm].astype(str).to_numpy(),
        "note": [p_text(p) for p in c["p_adj"]],
    })


def effect_size_figure(comp: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95):
    """Forest plot of the rank-biserial correlation of responders against non-responders,
    per subset and arm (and the total with several arms), the adjusted p at the right."""
    from helpers.present import figures

    shown = arms_and_total(arms)
    return figures.forest_figure(
        effect_size_rows(comp, arm, shown), "label", "estimate",
        xlabel=f"Rank-biserial correlation, responders vs non-responders ({100 * confidence:g}% CI)", percent=False,
        reference=0, group="group" if len(arms) > 1 else None, annotate="note")
