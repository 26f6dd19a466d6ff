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
from helpers.analyses.markers import MEASURES, compute_direction, order_rows, significant_codes
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


def difference_unit(code: str) -> str:
    """The unit of a difference in a marker, as a sentence says it (percentages differ in
    percentage points; a ratio has none).

    Examples
    --------
    >>> difference_unit("C3"), difference_unit("TREG"), difference_unit("TREGTH17"), difference_unit("XYZ")
    ('g/L', 'percentage points', '', '')
    """
    m = MEASURES.get(code)
    if m is None or m.unit == "ratio":
        return ""
    return "percentage points" if m.unit.startswith("%") else DISPLAY_UNITS.get(m.unit, m.unit)


@dataclass(frozen=True)
class MarkerGlue:
    """Values to glue with :meth:`helpers.chapter.Chapter.glue_frame` (one row per arm,
    ``total=False``: never a pooled value) or :meth:`helpers.chapter.Chapter.glue_comparisons`
    (one row per compared arm): ``ch.glue_frame(g.frame, g.names, by=arm, total=False,
    p_values=g.p_values)``.

    Attributes
    ----------
    frame : DataFrame
        One row per arm: the arm column, then one column per glue name (object dtype:
        integers stay integers; a missing value is None).
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


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    return None if (isinstance(value, float) and np.isnan(value)) else value


def glue_by_marker(
    frame: pd.DataFrame, arm: str, arms: Sequence[str], columns: Mapping[str, str], prefix: str = "",
    week: int | None = None, codes: Sequence[str] | None = None, p_values: Sequence[str] = (),
    value_words: Mapping[str, Mapping[str, str]] | None = None,
) -> MarkerGlue:
    """Per-marker values of a tidy frame, one row per arm, under their glue names.

    Parameters
    ----------
    frame : DataFrame
        ``PARAMCD``, ``arm`` and the columns; ``AVISITN`` too when ``week`` is given.
    arms : sequence of str
        The rows of the output: the arms (for per-arm values) or the compared arms (for
        a frame of comparisons, from :func:`helpers.analyses.markers.compare_arms`).
        Rows of ``frame`` for other values of ``arm`` (a pooled row) are left out.
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
    >>> t = pd.DataFrame({"TRT01A": ["A", "B"], "PARAMCD": "TREG", "AVISITN": 10,
    ...                   "median_chg": [0.5, 0.0], "p_adj": [0.01, 0.9]})
    >>> g = glue_by_marker(t, "TRT01A", ["A", "B"], {"median_change": "median_chg", "p": "p_adj"},
    ...                    week=10, p_values=["p"])
    >>> g.frame
      TRT01A treg_median_change treg_p
    0      A                0.5   0.01
    1      B                0.0    0.9
    >>> g.p_values
    ('treg_p',)
    """
    require_columns(frame, ["PARAMCD", arm, *columns.values(), *(["AVISITN"] if week is not None else [])],
                    "glue_by_marker", "frame")
    unknown = [s for s in p_values if s not in columns]
    if unknown:
        raise ValueError(f"glue_by_marker: p_values {unknown} are not keys of columns ({list(columns)})")
    sel, codes = _select(frame, week, codes, value_words)
    rows: dict[str, dict[str, object]] = {a: {arm: a} for a in arms}
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
                row[name] = _plain(by_arm[a][column]) if a in by_arm else None
    out = pd.DataFrame(list(rows.values()), columns=[arm, *names], dtype=object)
    return MarkerGlue(out, names, tuple(p_names))


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


def glue_estimates_by_arm(frame: pd.DataFrame, codes: Sequence[str], arm: str, arms: Sequence[str],
                          confidence: float, suffix: str, week: int | None = None, prefix: str = "",
                          estimate: str = "estimate", p: str = "p_adj") -> dict[str, str]:
    """Each marker's estimate with its interval and p in every arm as one phrase, under
    ``<prefix><stem>_<suffix>`` (:func:`helpers.present.prose.markers.format_estimates_by_arm`):
    mixed-model estimates, correlations.

    Parameters
    ----------
    frame : DataFrame
        ``PARAMCD`` (or one marker: give ``codes`` as that marker and no ``PARAMCD``),
        ``arm``, ``estimate``, ``ci_low``, ``ci_high``, ``p``; ``AVISITN`` with ``week``;
        ``scale`` (``ratio`` or ``difference``) when present decides the digits and sign.

    Examples
    --------
    >>> m = pd.DataFrame({"TRT01A": ["A", "B"], "PARAMCD": "C3", "AVISITN": 10, "estimate": [0.25, 0.01],
    ...                   "ci_low": [0.1, -0.1], "ci_high": [0.4, 0.12], "p_adj": [0.001, 0.9], "scale": "difference"})
    >>> glue_estimates_by_arm(m, ["C3"], "TRT01A", ["A", "B"], 0.95, "mm_by_arm", week=10)
    {'c3_mm_by_arm': '+0.25 (95% CI +0.10 to +0.40, p = 0.001) with A and +0.01 (95% CI -0.10 to +0.12, p = 0.900) with B'}
    """
    require_columns(frame, [arm, estimate, "ci_low", "ci_high", p, *(["AVISITN"] if week is not None else [])],
                    "glue_estimates_by_arm", "frame")
    at = frame if week is None else frame[frame["AVISITN"] == week]
    out = {}
    for code in codes:
        sel = at[at["PARAMCD"] == code] if "PARAMCD" in at else at
        values, scale = [], None
        for a in arms:
            r = sel[sel[arm] == a]
            if r.empty:
                values.append((a, None, None, None, None))
                continue
            r = r.iloc[0]
            scale = r.get("scale", scale)
            values.append((a, r[estimate], r["ci_low"], r["ci_high"], r[p]))
        digits = _digits(code, scale) if scale else 2
        out[glue_name(code, suffix, prefix)] = words.format_estimates_by_arm(values, digits, confidence,
                                                                            signed=scale == "difference")
    return out


def glue_counts_by_arm(summary: pd.DataFrame, codes: Sequence[str], arm: str, arms: Sequence[str], prefix: str,
                       suffix: str = "by_arm") -> dict[str, str]:
    """Each criterion's count among the eligible in every arm as one phrase, under
    ``<prefix><stem>_<suffix>`` (normalisation, from
    :func:`helpers.analyses.markers.summarize_normalisation`).

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": ["A", "B"], "PARAMCD": "C3", "responders": [3, 0], "n": [6, 0]})
    >>> glue_counts_by_arm(s, ["C3"], "TRT01A", ["A", "B"], "labs_norm_")
    {'labs_norm_c3_by_arm': '3 of 6 (50%) with A and none eligible with B'}
    """
    require_columns(summary, [arm, "PARAMCD", "responders", "n"], "glue_counts_by_arm", "summary")
    out = {}
    for code in codes:
        sel = summary[summary["PARAMCD"] == code]
        values = []
        for a in arms:
            r = sel[sel[arm] == a]
            values.append((a, 0, 0) if r.empty else (a, int(r["responders"].iloc[0]), int(r["n"].iloc[0])))
        out[glue_name(code, suffix, prefix)] = words.format_counts_by_arm(values)
    return out


def glue_significant(significant: Mapping[str, Sequence[str]], arm: str, name: str) -> MarkerGlue:
    """Markers found significant in each arm (from
    :func:`helpers.analyses.markers.significant_codes`) by their short names, one row per
    arm, under ``name``.

    Examples
    --------
    >>> glue_significant({"A": ["TH17", "NK"], "B": []}, "TRT01A", "immuno_resp_significant").frame.values.tolist()
    [['A', 'Th17 and NK cells'], ['B', 'none']]
    """
    rows = [{arm: a, name: format_significant(codes)} for a, codes in significant.items()]
    return MarkerGlue(pd.DataFrame(rows, columns=[arm, name], dtype=object), {name: name}, ())


def format_significant(codes: Sequence[str]) -> str:
    """Markers by their short names, as a list in words, or ``"none"``.

    Examples
    --------
    >>> format_significant(["TH17", "NK"]), format_significant([])
    ('Th17 and NK cells', 'none')
    """
    return words.format_list_or_none([format_label(c, unit=False) for c in codes])


def comparison_sentences(comparison: pd.DataFrame, codes: Sequence[str], arm: str, arms: Sequence[str],
                         confidence: float, padjust: str) -> str:
    """The between-arm comparisons of ``codes`` in words, one sentence per compared arm
    (:func:`helpers.present.prose.markers.format_comparison_sentence`); empty without a
    comparison.

    Parameters
    ----------
    comparison : DataFrame
        From :func:`helpers.analyses.markers.derive_comparison_direction`.

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": ["C3"], "TRT01A": "A", "reference": "P", "estimate": [0.25], "ci_low": [0.1],
    ...                   "ci_high": [0.4], "p_val": [0.00001], "p_adj": [0.0001], "scale": "difference", "direction": "up"})
    >>> comparison_sentences(c, ["C3"], "TRT01A", ["P", "A"], 0.95, "holm")  # doctest: +NORMALIZE_WHITESPACE
    'Adjusted for baseline, with A against P, C3 ended higher (difference +0.25 g/L, 95% CI +0.10 to +0.40,
    p < 0.001; Holm-adjusted p < 0.001).'
    """
    require_columns(comparison, ["PARAMCD", arm, "reference", "estimate", "ci_low", "ci_high", "p_val", "p_adj", "scale",
                                 "direction"], "comparison_sentences", "comparison")
    sentences = []
    for a in arms:
        sel = comparison[comparison[arm] == a]
        if sel.empty:
            continue
        items = []
        for code in codes:
            r = sel[sel["PARAMCD"] == code]
            if r.empty:
                continue
            r = r.iloc[0]
            items.append({"code": code, "direction": r["direction"], "scale": r["scale"], "estimate": r["estimate"],
                          "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_raw": r["p_val"], "p": r["p_adj"],
                          "digits": _digits(code, r["scale"]), "unit": difference_unit(code)})
        if items:
            sentences.append(words.format_comparison_sentence(a, str(sel["reference"].iloc[0]), items, confidence,
                                                              padjust))
    return " ".join(sentences)


# ---------------------------------------------------------------------------------------
# tables


def _family_note(frame: pd.DataFrame, by: Sequence[str], padjust: str, within: str, across: str) -> str:
    sizes = frame.drop_duplicates(list(by))["family_size"] if "family_size" in frame and len(frame) else []
    return words.format_family(padjust, within, across, sizes)


def marker_visit_table(
    levels: pd.DataFrame, tests: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str],
    name: str, title: str, codes: Sequence[str] | None = None, notes: Sequence[str] = (),
) -> ResultTable:
    """Median [IQR] of each marker at every visit and, after baseline, its median change
    [IQR] with the adjusted p value, one column per arm (never pooled).

    Parameters
    ----------
    levels : DataFrame
        From :func:`helpers.analyses.markers.summarize_levels`.
    tests : DataFrame
        From :func:`helpers.analyses.markers.change_tests`.

    Returns
    -------
    ResultTable
        Rows grouped by marker, one per visit; a column per arm. The CSV holds every
        number, unrounded, one row per arm, marker and visit. The first note names the
        multiple-comparison family and its size.
    """
    keys = [arm, "PARAMCD", "AVISITN"]
    keep = [c for c in ["n", "median_chg", "q1_chg", "q3_chg", "w_val", "p_val", "p_adj", "padjust", "family_size"] if c in tests]
    merged = levels.merge(tests[keys + keep].rename(columns={"n": "n_paired"}), on=keys, how="left")
    codes = list(codes) if codes is not None else list(pd.unique(merged["PARAMCD"]))
    merged = order_rows(merged[merged["PARAMCD"].isin(codes) & merged[arm].isin(list(arms))], arm, arms, codes)
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
    family = _family_note(tests, [arm, "PARAMCD"], padjust, "marker and arm", "the post-baseline visits")
    all_notes = [
        "Each cell: median [interquartile range] of the values at the visit; after baseline, the median change "
        "from baseline [interquartile range] among subjects with both values, and the p value of the Wilcoxon "
        f"signed-rank test against baseline, {family}.",
        "The CSV download adds the number of subjects, the unadjusted p values and the test statistics.",
        *notes,
    ]
    return ResultTable(name, title, display, merged, all_notes, groupname="Marker")


def model_table(models: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str], name: str,
                title: str, codes: Sequence[str] | None = None, confidence: float = 0.95, notes: Sequence[str] = ()) -> ResultTable:
    """Mixed-model estimates against baseline by visit: ratio (log scale) or difference,
    with the confidence interval and the adjusted p value, one column per arm.

    Parameters
    ----------
    models : DataFrame
        From :func:`helpers.analyses.markers.summarize_models`.
    """
    codes = list(codes) if codes is not None else list(pd.unique(models["PARAMCD"]))
    m = order_rows(models[models["PARAMCD"].isin(codes) & models[arm].isin(list(arms))], arm, arms, codes)
    cells = []
    for r in m.itertuples(index=False):
        flag = "" if r.converged else " (did not converge)"
        cells.append(f"{format_estimate_ci(r.estimate, r.ci_low, r.ci_high, _digits(r.PARAMCD, r.scale))}, "
                     f"{p_text(r.p_adj)}{flag}")
    shown = m.assign(cell=cells, Visit=m["AVISITN"].map(visit_labels),
                     Marker=[f"{format_label(c)}: {MODEL_SCALES[s]}" for c, s in zip(m["PARAMCD"], m["scale"], strict=True)])
    display = spread_by_arm(shown, ["Marker", "Visit"], arm, "cell", arms)
    padjust = str(m["padjust"].iloc[0]) if len(m) else "holm"
    family = _family_note(m, [arm, "PARAMCD"], padjust, "marker and arm", "the post-baseline visits")
    all_notes = [
        f"Linear mixed model per marker and column: value by visit with a random intercept per subject (REML). "
        f"Estimate ({100 * confidence:g}% confidence interval, unadjusted) against baseline: for markers on the log "
        f"scale the ratio of geometric means, otherwise the difference in means; p of the visit term, {family}.",
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
    ``reference``. The first note names the multiple-comparison family and its size.
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
    sizes = rows.drop_duplicates(arm)["family_size"] if "family_size" in rows and len(rows) else \
        rows.groupby(arm)["p_val"].count()
    family = words.format_family(padjust, "compared arm", "the markers of the table", sizes)
    all_notes = [
        "ANCOVA: change from baseline adjusted for the baseline value, by least squares; on the log scale for "
        f"skewed markers (estimate: ratio). Adjusted p: {family}. The interval is unadjusted: it excludes "
        "no effect exactly when the unadjusted p is below the significance level.",
        *notes,
    ]
    return ResultTable(name, title, display, data, all_notes)


def normalisation_table(summary: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str,
                        confidence: float = 0.95) -> ResultTable:
    """Normalisation rates (from :func:`helpers.analyses.markers.summarize_normalisation`),
    criteria by arm (never pooled).

    The CSV holds the summary with ``criterion`` (:data:`NORMALISATION_LABELS`) after
    ``PARAMCD``.
    """
    require_columns(summary, [arm, "PARAMCD", "responders", "n", "ci_low", "ci_high"], "normalisation_table", "summary")
    data = summary[summary[arm].isin(list(arms))].copy()
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


def _verdict_cell(verdict: str, imposed: bool | None) -> str:
    label = words.format_words([verdict], words.VERDICT_LABELS)[0]
    return f"{label}; direction imposed by the simulation" if imposed else label


def claims_table(claims: pd.DataFrame, arm: str, week_label: str, name: str, title: str, adjusted: str,
                 imposed: Sequence[str] | None = None, notes: Sequence[str] = ()) -> ResultTable:
    """Published claims against the data (from :func:`helpers.analyses.markers.summarize_claims`):
    one row per claim (and treated arm), with the change in the treated arm, the change in
    the reference arm and the comparison that decides (several arms), the equivalence
    interval and margin of a claim of no change, and the verdict.

    Parameters
    ----------
    adjusted : str
        The adjective of the within-arm p values (:func:`helpers.present.prose.markers.format_adjusted`).
    imposed : sequence of str, optional
        On simulated data, the markers whose direction the generator imposed
        (:func:`helpers.present.prose.markers.imposed_sentences` per marker): their
        verdicts say so. None: real data.

    Returns
    -------
    ResultTable
        The CSV holds the claims with the directions and the verdict in words and
        ``imposed`` (on simulated data).
    """
    require_columns(claims, [arm, "PARAMCD", "claimed", "citation", "basis", "n", "median_chg", "p_adj", "verdict",
                             "eq_ci_low", "eq_ci_high", "margin", "confidence"], "claims_table", "claims")
    several = bool(len(claims)) and (claims["basis"] == "comparison").any()
    rows = []
    for r in claims.itertuples(index=False):
        code, k = r.PARAMCD, DIGITS.get(r.PARAMCD, 2)
        own = f"{format_signed(r.median_chg, k)}, {p_text(r.p_adj)}" if r.n else "no data"
        row = {"Marker": format_label(code),
               "Published": f"{words.format_words([r.claimed], words.CLAIMED_LABELS)[0]} ({r.citation})"}
        a = getattr(r, arm)
        if several:
            row[f"Change with {a}"] = own
            row[f"Change with {r.reference}"] = (f"{format_signed(r.ref_median_chg, k)}, {p_text(r.ref_p_adj)}"
                                                 if r.ref_n else "no data")
            row["Comparison (decides)"] = ("-" if pd.isna(r.effect) else
                                           f"{format_estimate_ci(r.effect, r.effect_ci_low, r.effect_ci_high, _digits(code, r.scale))}"
                                           f", {p_text(r.effect_p_unadjusted)}; adjusted {p_text(r.effect_p)}")
        else:
            row["Change (decides)"] = own
        if r.claimed == "none":
            eq = ("-" if pd.isna(r.eq_ci_low) else
                  f"{100 * r.eq_confidence:g}% CI {format_signed(r.eq_ci_low, _digits(code, 'difference'))} to "
                  f"{format_signed(r.eq_ci_high, _digits(code, 'difference'))}")
            margin = "none stated" if pd.isna(r.margin) else f"\u00b1{r.margin:g}"
            row["Equivalence"] = f"{eq}; margin {margin}"
        else:
            row["Equivalence"] = ""
        row["Verdict"] = _verdict_cell(r.verdict, None if imposed is None else code in imposed)
        rows.append(row)
    display = pd.DataFrame(rows)
    if len(display) and not (claims["claimed"] == "none").any():
        display = display.drop(columns="Equivalence")
    data = words.derive_words(claims, {"direction": words.CHANGE_WORDS, "verdict": words.VERDICT_LABELS})
    if imposed is not None:
        data["imposed"] = data["PARAMCD"].isin(list(imposed))
    decides = ("the comparison with the reference arm: ANCOVA of the change adjusted for baseline, its estimate "
               "with the unadjusted interval and p (which agree), then the p adjusted across the markers of the "
               "comparison table, which decides" if several else
               f"the change within the arm: median change from baseline and {adjusted} p of the Wilcoxon "
               "signed-rank test (the families of the change table)")
    all_notes = [
        f"At {week_label}. A published rise or fall is judged by {decides}: supported when significant in the "
        "published direction, contradicted when significant the other way, otherwise not supported.",
        "A published absence of change is judged by equivalence (two one-sided tests): supported only when the "
        "interval of the change (1 - 2 alpha; Hodges-Lehmann within an arm, ANCOVA between arms) lies inside "
        "a margin stated in advance (cohort.yml, analysis.equivalence_margins); without a margin it is "
        "inconclusive, because a change that is not significant is not evidence of no change.",
        *[n for n in notes if n],
    ]
    return ResultTable(name, title, display, data, all_notes, groupname=None)


def responder_table(comp: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str, confidence: float = 0.95,
                    name: str = "immunology-responders", notes: Sequence[str] = (), sri_k: int = 4,
                    min_group_size: int = 5) -> ResultTable:
    """Responders against non-responders (from :func:`helpers.analyses.markers.compare_responders`);
    responders by SRI-``sri_k`` with non-responder imputation. A marker with a group below
    ``min_group_size`` shows its sizes and medians and "not tested"."""
    value = VALUE_LABELS.get(str(comp["value"].iloc[0]), str(comp["value"].iloc[0])) if len(comp) else "value"
    padjust = str(comp["padjust"].iloc[0]) if len(comp) and "padjust" in comp else "holm"
    shift = f"Shift, R - NR ({100 * confidence:g}% CI)"
    rows = []
    for a, r in zip(comp[arm], comp.itertuples(index=False), strict=True):
        if a not in arms:
            continue
        k = DIGITS.get(r.PARAMCD, 2)
        rows.append({
            "Arm": a, "Subset": format_label(r.PARAMCD),
            "n (R / NR)": f"{r.n1} / {r.n2}",
            "Median, responders": format_number(r.median1, k),
            "Median, non-responders": format_number(r.median2, k),
            shift: (format_estimate_ci(r.estimate, r.ci_low, r.ci_high, k) if r.tested
                    else f"{format_number(r.estimate, k)} (not tested)"),
            "Rank-biserial r": format_number(r.rbc, 2),
            "p": format_p(r.p_val) if r.tested else "not tested", "Adjusted p": format_p(r.p_adj) if r.tested else "-",
        })
    display = pd.DataFrame(rows)
    if len(arms) == 1 and len(display):
        display = display.drop(columns="Arm")
    family = _family_note(comp, [arm], padjust, "arm", "the tested subsets")
    return ResultTable(
        name, f"Lymphocyte subsets in SRI-{sri_k} responders and non-responders at {week_label}", display, comp,
        [f"Compared: {value} at {week_label}. Mann-Whitney U test (exact without ties and with fewer than 50 per "
         "group, otherwise the normal approximation with continuity and tie corrections); adjusted p: "
         f"{family}. Shift: the Hodges-Lehmann estimate of responders minus non-responders with the interval "
         "that inverts the same test, so it excludes zero exactly when the unadjusted p is below the level. "
         "Rank-biserial r is positive when responders have higher values.",
         f"R: responders, NR: non-responders (SRI-{sri_k}, non-responder imputation). A subset with fewer than "
         f"{min_group_size} subjects in a group is described, not tested.", *notes],
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
    (Hodges-Lehmann shift, responders minus non-responders), ``ci_low``, ``ci_high`` (the
    interval inverting the Mann-Whitney test; missing when not tested), ``group`` (arm),
    ``note`` (unadjusted p, or "not tested"), in marker order with arms adjacent; only
    the given arms (never a pooled row).

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "IL-2", "PARAMCD": ["TREG", "TH17"], "estimate": [0.5, -0.2],
    ...                   "ci_low": [0.1, None], "ci_high": [0.8, None], "p_val": [0.02, None],
    ...                   "tested": [True, False], "n2": [12, 3]})
    >>> effect_size_rows(c, "TRT01A", ["IL-2"])[["label", "estimate", "note"]]
      label  estimate                 note
    0  Treg       0.5            p = 0.020
    1  Th17      -0.2  not tested (n = 3)
    """
    require_columns(comp, [arm, "PARAMCD", "estimate", "ci_low", "ci_high", "p_val", "tested"], "effect_size_rows",
                    "comp")
    c = comp[comp[arm].isin(arms)]
    codes = list(pd.unique(c["PARAMCD"]))
    c = c.assign(_c=c["PARAMCD"].map({k: i for i, k in enumerate(codes)}), _a=c[arm].map({a: i for i, a in enumerate(arms)}))
    c = c.sort_values(["_c", "_a"], kind="stable")
    several = len(arms) > 1
    smallest = c[["n1", "n2"]].min(axis=1) if {"n1", "n2"} <= set(c.columns) else c.get("n2", pd.Series(0, c.index))
    return pd.DataFrame({
        "label": [format_label(k, unit=False) + (f" ({a})" if several else "") for k, a in zip(c["PARAMCD"], c[arm], strict=True)],
        "estimate": c["estimate"].to_numpy(float), "ci_low": c["ci_low"].to_numpy(float),
        "ci_high": c["ci_high"].to_numpy(float), "group": c[arm].astype(str).to_numpy(),
        "note": [p_text(p) if t else f"not tested (n = {int(n)})" for p, t, n in zip(c["p_val"], c["tested"], smallest,
                                                                                     strict=True)],
    })


def effect_size_figure(comp: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95):
    """Forest plot of the Hodges-Lehmann shift of responders against non-responders, per
    subset and arm, with the interval that inverts the Mann-Whitney test and the
    unadjusted p at the right (a subset not tested shows its estimate alone)."""
    from helpers.present import figures

    rows = effect_size_rows(comp, arm, arms)
    rows = rows.assign(ci_low=rows["ci_low"].fillna(rows["estimate"]), ci_high=rows["ci_high"].fillna(rows["estimate"]))
    return figures.forest_figure(
        rows, "label", "estimate",
        xlabel=f"Shift, responders minus non-responders, percentage points ({100 * confidence:g}% CI)", percent=False,
        reference=0, group="group" if len(arms) > 1 else None, annotate="note")


# ---------------------------------------------------------------------------------------
# answers and the simulation's imposed directions


def _imposed(config) -> list[str]:
    return [str(s) for s in (config.simulation or {}).get("imposed", ())] if config.simulated else []


def imposed_codes(config, codes: Sequence[str]) -> list[str] | None:
    """The markers whose direction a simulated cohort's generator imposed (a sentence of
    ``simulation.imposed`` in ``cohort.yml`` names them); None for real data.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> cfg = SimpleNamespace(simulated=True, simulation={"imposed": ["Treg rise; Th1 shows no change."]})
    >>> imposed_codes(cfg, ["TREG", "TH17", "TH1"]), imposed_codes(SimpleNamespace(simulated=False), ["TREG"])
    (['TREG', 'TH1'], None)
    """
    if not config.simulated:
        return None
    sentences = _imposed(config)
    return [c for c in codes if words.imposed_sentences(sentences, [c])]


def simulation_note(config, codes: Sequence[str]) -> str:
    """The note a verdict on simulated data carries
    (:func:`helpers.present.prose.markers.format_simulation_note`), quoting what the
    generator imposed on these markers; empty for real data.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> simulation_note(SimpleNamespace(simulated=False), ["TREG"])
    ''
    """
    if not config.simulated:
        return ""
    return words.format_simulation_note(True, words.imposed_sentences(_imposed(config), codes))


def normalisation_answer(summary: pd.DataFrame, arm: str, arms: Sequence[str], codes: Sequence[str],
                         week_label: str) -> str:
    """The normalisation sentence of the labs answer, per arm
    (:func:`helpers.present.prose.markers.format_normalisation_answer`).

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["COMP", "DSDNA"], "responders": [12, 10], "n": [30, 35]})
    >>> normalisation_answer(s, "TRT01A", ["A"], ["COMP", "DSDNA"], "Week 10")  # doctest: +NORMALIZE_WHITESPACE
    'Among subjects abnormal at baseline, by Week 10 low C3 or C4 had returned to normal in 12 of 30 (40%) and
    positive anti-dsDNA had become negative in 10 of 35 (29%).'
    """
    require_columns(summary, [arm, "PARAMCD", "responders", "n"], "normalisation_answer", "summary")
    values = []
    for a in arms:
        items = []
        for code in codes:
            r = summary[(summary[arm] == a) & (summary["PARAMCD"] == code)]
            items.append((code, 0, 0) if r.empty else (code, int(r["responders"].iloc[0]), int(r["n"].iloc[0])))
        values.append((a, items))
    return words.format_normalisation_answer(values, week_label)


def correlation_answer(corr: pd.DataFrame, arm: str, arms: Sequence[str], alpha: float, x: str, y: str) -> str:
    """The correlation sentence of the immunology answer, per arm
    (:func:`helpers.present.prose.markers.format_correlation_answer`).

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": ["A"], "r": [-0.33], "p_val": [0.038]})
    >>> correlation_answer(c, "TRT01A", ["A"], 0.05, "Treg", "SLEDAI-2K")
    'The correlation between the change in Treg and the change in SLEDAI-2K was negative (Spearman r = -0.33, p = 0.038).'
    """
    require_columns(corr, [arm, "r", "p_val"], "correlation_answer", "corr")
    values = []
    for a in arms:
        r = corr[corr[arm] == a]
        if len(r):
            values.append((a, compute_direction(r["r"].iloc[0], r["p_val"].iloc[0], alpha), r["r"].iloc[0],
                           r["p_val"].iloc[0]))
    return words.format_correlation_answer(values, x, y)


def responders_answer(comp: pd.DataFrame, arm: str, arms: Sequence[str], alpha: float, padjust: str,
                      min_group_size: int) -> str:
    """The responders sentence of the immunology answer, per arm
    (:func:`helpers.present.prose.markers.format_responders_answer`): the subsets whose
    adjusted p is below ``alpha``, or that no test was made.

    Examples
    --------
    >>> c = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["TREG", "TH17"], "n1": 36, "n2": 3, "tested": False,
    ...                   "p_adj": [None, None]})
    >>> responders_answer(c, "TRT01A", ["A"], 0.05, "holm", 5)  # doctest: +NORMALIZE_WHITESPACE
    'Responders and non-responders were described but not compared: the smaller group had 3 subjects, fewer than
    the 5 the analysis plan requires for a test.'
    """
    require_columns(comp, [arm, "PARAMCD", "n1", "n2", "tested", "p_adj"], "responders_answer", "comp")
    significant = significant_codes(comp, arm, arms, alpha)
    values = []
    for a in arms:
        c = comp[comp[arm] == a]
        smallest = int(c[["n1", "n2"]].min(axis=1).min()) if len(c) else 0
        values.append((a, bool(c["tested"].any()), [format_label(k, unit=False) for k in significant[a]], smallest))
    return words.format_responders_answer(values, padjust, min_group_size)
