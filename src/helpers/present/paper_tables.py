"""A table in a publication's layout: rows = measure, columns = visits per arm, then the
between-arm difference at each visit.

Takes the tidy frames of :mod:`helpers.analyses.paper_tables` (``paper_table`` and
``paper_differences``) and returns a :class:`helpers.present.tables.ResultTable`. Each
measure is a row group of three rows: its cells ("median (range)" or "n (%)"), the
within-arm p versus baseline as published (descriptive) and the paired one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from helpers.present.format import format_estimate_ci, format_number, format_p
from helpers.present.prose import paper_tables as words
from helpers.present.prose import percent
from helpers.present.tables import ResultTable


def format_median_range(median: float, low: float, high: float, digits: int = 1) -> str:
    """``median (low-high)``, the way papers print a median and range; ``-`` when missing.

    Examples
    --------
    >>> format_median_range(12, 8, 27, 0), format_median_range(2.25, 1.5, 2.75, 2)
    ('12 (8-27)', '2.25 (1.50-2.75)')
    >>> format_median_range(float("nan"), 0, 0)
    '-'
    """
    if pd.isna(median):
        return "-"
    return f"{format_number(median, digits)} ({format_number(low, digits)}-{format_number(high, digits)})"


def format_count_pct(n: int, total: int, digits: int = 2) -> str:
    """``n (pct)`` as papers print it (no % sign); ``-`` without a denominator.

    Examples
    --------
    >>> format_count_pct(21, 30), format_count_pct(0, 29), format_count_pct(0, 0)
    ('21 (70.00)', '0 (0.00)', '-')
    """
    if not total:
        return "-"
    return f"{int(n)} ({100 * n / total:.{digits}f})"


def _cell(r, digits: int, pct_digits: int) -> str:
    if r["kind"] == "binary":
        return format_count_pct(r["n"], r["subjects"], pct_digits)
    return format_median_range(r["median"], r["min"], r["max"], digits)


def _column(arm: str, week: int, visit_labels: Mapping[int, str]) -> str:
    return f"{arm}, {visit_labels.get(int(week), f'week {int(week)}')}"


def paper_layout_table(table: pd.DataFrame, differences: pd.DataFrame | None, arms: Sequence[str],
                       visit_labels: Mapping[int, str], labels: Mapping[str, str], name: str, title: str,
                       digits: Mapping[str, int] | None = None, pct_digits: int = 2,
                       notes: Sequence[str] = ()) -> ResultTable:
    """The rows of :func:`helpers.analyses.paper_tables.paper_table` in the paper's layout.

    Parameters
    ----------
    table : DataFrame
        From :func:`helpers.analyses.paper_tables.paper_table`.
    differences : DataFrame or None
        From :func:`helpers.analyses.paper_tables.paper_differences` (None or empty with
        one arm: no difference columns).
    arms : sequence of str
        The arms, in the config's order.
    visit_labels : mapping
        AVISITN -> label (``Baseline``, ``Week 12``).
    labels : mapping
        Measure code -> its label (``SLEDAI-2K``).
    name, title : str
    digits : mapping, optional
        Measure code -> decimals of its median and range (default 1).
    pct_digits : int
        Decimals of a percentage (the paper prints 2).
    notes : sequence of str
        Further footnotes.

    Returns
    -------
    ResultTable
        ``display``: a ``Measure`` group column, a ``Row`` label column and one column
        per arm and visit, then one per visit for each arm's difference from the
        reference (its confidence level read from ``differences``); ``data``: the tidy
        rows with the differences stacked under them (``row``: arm or difference).

    Raises
    ------
    ValueError
        A measure in ``table`` without a label.

    Examples
    --------
    >>> t = pd.DataFrame({"PARAMCD": "s", "kind": "continuous", "arm": "X", "AVISITN": [0, 12], "n": [3, 3],
    ...                   "median": [12.0, 6.0], "min": [8.0, 0.0], "max": [27.0, 16.0],
    ...                   "published_test": "mann_whitney_independent", "p_published": [None, 0.004],
    ...                   "paired_test": "wilcoxon_signed_rank", "p_paired": [None, 0.25]})
    >>> r = paper_layout_table(t, None, ["X"], {0: "Baseline", 12: "Week 12"}, {"s": "SLEDAI"}, "t", "T",
    ...                        digits={"s": 0})
    >>> r.display.values.tolist()[0]
    ['SLEDAI', 'median (range)', '12 (8-27)', '6 (0-16)']
    """
    missing = sorted(set(table["PARAMCD"]) - set(labels))
    if missing:
        raise ValueError(f"paper_layout_table: no label for measures {missing}")
    digits = dict(digits or {})
    weeks = list(dict.fromkeys(int(w) for w in table["AVISITN"]))
    diffs = differences if differences is not None and len(differences) else None
    columns = [_column(a, w, visit_labels) for a in arms for w in weeks]
    compared = [] if diffs is None else list(dict.fromkeys(zip(diffs["arm"], diffs["reference"], strict=True)))
    diff_columns = {(a, ref, w): f"{a} - {ref}, {visit_labels.get(w, f'week {w}')}"
                    for a, ref in compared for w in weeks}
    rows = []
    published, paired = [], []
    for code in dict.fromkeys(table["PARAMCD"]):
        part = table[table["PARAMCD"] == code]
        kind = part["kind"].iloc[0]
        cell_row = {"Measure": labels[code], "Row": words.CELL_WORDS[kind]}
        for _, r in part.iterrows():
            cell_row[_column(r["arm"], r["AVISITN"], visit_labels)] = _cell(r, digits.get(code, 1), pct_digits)
        if diffs is not None:
            for _, dr in diffs[diffs["PARAMCD"] == code].iterrows():
                k = 100 if kind == "binary" else 1
                shown = format_estimate_ci(k * dr["estimate"], k * dr["ci_low"], k * dr["ci_high"],
                                           1 if kind == "binary" else digits.get(code, 1))
                cell_row[diff_columns[(dr["arm"], dr["reference"], int(dr["AVISITN"]))]] = shown
        rows.append(cell_row)
        post = part[part["p_published"].notna() | part["p_paired"].notna()]
        pub_tests = list(dict.fromkeys(part["published_test"].dropna()))
        par_tests = list(dict.fromkeys(part["paired_test"].dropna()))
        published.extend(pub_tests)
        paired.extend(par_tests)
        p_rows = [("published", pub_tests, "p_published"), ("paired", par_tests, "p_paired")]
        if pub_tests == par_tests:  # the paper used the paired test: one row
            p_rows = [("both", par_tests, "p_paired")]
        for which, tests, p_col in p_rows:
            if not tests:
                continue
            p_row = {"Measure": labels[code], "Row": words.p_row_label(which, tests[0])}
            for _, r in post.iterrows():
                p_row[_column(r["arm"], r["AVISITN"], visit_labels)] = format_p(r[p_col])
            rows.append(p_row)
    display = pd.DataFrame(rows, columns=["Measure", "Row", *columns, *diff_columns.values()]).fillna("")
    spanners = {a: [_column(a, w, visit_labels) for w in weeks] for a in arms}
    for a, ref in compared:
        level = diffs.loc[(diffs["arm"] == a) & (diffs["reference"] == ref), "confidence"].iloc[0]
        spanners[f"{a} - {ref} ({percent(level)} CI)"] = [diff_columns[(a, ref, w)] for w in weeks]
    all_notes = [words.p_values_note(published, paired)]
    if diffs is not None:
        all_notes.append("Between arms: " + "; ".join(words.DIFFERENCE_WORDS.get(m, m)
                                                       for m in dict.fromkeys(diffs["method"])) + ".")
    all_notes.extend(notes)
    data = table if diffs is None else pd.concat([table.assign(row="arm"), diffs.assign(row="difference")],
                                                 ignore_index=True)
    return ResultTable(name, title, display, data, all_notes, rowname="Row", groupname="Measure", spanners=spanners)
