"""Tables as a page shows them: tidy data for the CSV download, great_tables for the page.

Builders here take the tidy frames of ``helpers.stats`` and friends and return a
:class:`ResultTable`: the data a reader downloads (numbers unrounded where they are
numbers) and a ``great_tables.GT`` that the chapter numbers and captions. Formatting
helpers (``format_*``) make the display strings; rounding happens only there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.present.format import (
    format_estimate_ci,
    format_median_iqr,
    format_n_pct,
    format_number,
    format_p,
    format_rate_ci,
)


@dataclass
class ResultTable:
    """A table for a page.

    Attributes
    ----------
    name : str
        Stable identifier: the CSV file name and the HTML anchor (``tab-...``).
    title : str
        Caption text; the chapter puts ``Table n.k.`` in front.
    display : DataFrame
        What the page shows (strings, already formatted).
    data : DataFrame
        What the CSV download holds (defaults to ``display``).
    notes : list of str
        Footnotes: methods, abbreviations, populations.
    rowname, groupname : str, optional
        Columns of ``display`` used as row labels and row groups.
    spanners : dict, optional
        Spanner label -> columns under it.
    """

    name: str
    title: str
    display: pd.DataFrame
    data: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    rowname: str | None = None
    groupname: str | None = None
    spanners: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        if self.data is None:
            self.data = self.display

    def gt(self, title: str | None = None):
        """The ``great_tables.GT`` of this table."""
        from great_tables import GT

        gt = GT(self.display, rowname_col=self.rowname, groupname_col=self.groupname, id=self.name)
        if title:
            gt = gt.tab_header(title=title)
        for label, cols in self.spanners.items():
            gt = gt.tab_spanner(label=label, columns=cols)
        for note in self.notes:
            gt = gt.tab_source_note(note)
        gt = gt.tab_options(table_font_size="14px", heading_align="left", table_width="100%")
        return gt

    def to_html(self, title: str | None = None) -> str:
        return self.gt(title).as_raw_html()


def write_table_csv(table: ResultTable, folder: Path) -> Path:
    """Write a table's data as ``<folder>/<name>.csv`` (atomically) and return the path.

    Text that a spreadsheet would run as a formula is neutralised first
    (:func:`neutralise_formulas`): the downloads hold terms and labels from the data.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table.name}.csv"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    neutralise_formulas(table.data).to_csv(tmp, index=False, lineterminator="\n")
    os.replace(tmp, path)
    return path


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _neutralised(x: object) -> object:
    """``x`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if not isinstance(x, str) or not x.startswith(FORMULA_TRIGGERS) or _PLAIN_NUMBER.fullmatch(x):
        return x
    return "'" + x


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cannot run as a formula when the CSV is opened in
    a spreadsheet.

    Parameters
    ----------
    frame : DataFrame
        Any table; it is not modified.

    Returns
    -------
    DataFrame
        The same index, column order and dtypes. Every text cell (in object, string or
        categorical columns: for a categorical, its category, in the same order) and
        every text column name that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
        carriage return gets a single quote in front, unless it is a plain number such
        as ``"-1.5"`` or ``"+0.5"``. Numbers (numeric columns, and numbers in object
        columns), missing values and other text are unchanged.

    Notes
    -----
    A spreadsheet opening a CSV runs a cell that starts with one of those characters
    as a formula (``=HYPERLINK(...)`` in an adverse-event term becomes a link, other
    formulas can fetch data or run commands). The leading quote makes it text; this is
    the mitigation OWASP advises. The page's HTML tables need no such step: their text
    is escaped.

    References
    ----------
    OWASP Foundation, "CSV Injection",
    https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> df = pd.DataFrame({"term": ["=1+2", "@SUM(A1)", "-1.5", "Fatigue", None],
    ...                    "change": [-1.5, 0.5, 1.0, 2.0, None]})
    >>> out = neutralise_formulas(df)
    >>> out["term"].tolist()
    ["'=1+2", "'@SUM(A1)", '-1.5', 'Fatigue', nan]
    >>> out["change"].tolist()
    [-1.5, 0.5, 1.0, 2.0, nan]
    """
    out = frame.copy()
    for i, (_, s) in enumerate(frame.items()):
        if isinstance(s.dtype, pd.CategoricalDtype):
            new = [_neutralised(c) for c in s.cat.categories]
            if new != list(s.cat.categories):
                if len(set(new)) == len(new):
                    out.isetitem(i, s.cat.rename_categories(new))
                else:  # a neutralised category equals another one: merge them
                    out.isetitem(i, pd.Categorical(s.astype("object").map(_neutralised)))
        elif pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            # only the cells that change are set: every other value (None, NaN, NA) stays as it is
            hit = [j for j, x in enumerate(s) if _neutralised(x) is not x]
            if hit:
                column = s.copy()
                column.iloc[hit] = [_neutralised(s.iloc[j]) for j in hit]
                out.isetitem(i, column)
    names = [_neutralised(c) for c in frame.columns]
    if names != list(frame.columns):
        out.columns = names
    return out


# ---------------------------------------------------------------------------------------
# by-arm layout


def arm_columns(arms: Sequence[str], total: bool = True) -> list[str]:
    """Column order for by-arm tables: the arms, then ``Total`` when there are several."""
    cols = list(arms)
    if total and len(arms) > 1:
        cols.append("Total")
    return cols


def with_total(df: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Stack a copy of ``df`` labelled ``Total`` under it when there are several arms, so
    any per-arm summary computed with ``by=arm`` also yields the total column.

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": ["A", "B"], "x": [1, 2]})
    >>> with_total(df, "TRT01A", ["A", "B"])["TRT01A"].tolist()
    ['A', 'B', 'Total', 'Total']
    """
    if len(arms) <= 1:
        return df
    return pd.concat([df, df.assign(**{arm: "Total"})], ignore_index=True)


def spread_by_arm(
    tidy: pd.DataFrame, index: Sequence[str], arm: str, value: str, arms: Sequence[str], fill: str = "-"
) -> pd.DataFrame:
    """Pivot a tidy frame to one column per arm (plus Total), in the config's arm order.

    Empty cells show ``fill`` explicitly rather than disappearing.

    Examples
    --------
    >>> t = pd.DataFrame({"row": ["a", "a", "b"], "TRT01A": ["A", "B", "A"], "v": ["1", "2", "3"]})
    >>> spread_by_arm(t, ["row"], "TRT01A", "v", ["A", "B"])
      row  A  B
    0   a  1  2
    1   b  3  -
    """
    index = list(index)
    cols = [c for c in arm_columns(arms) if c in set(tidy[arm]) or c in arms]
    order = tidy[index].drop_duplicates()
    wide = tidy.pivot_table(index=index, columns=arm, values=value, aggfunc="first", observed=True, sort=False)
    wide = wide.reindex(columns=cols).astype(object)
    out = order.merge(wide.reset_index(), on=index, how="left")
    out.columns.name = None
    return out.fillna({c: fill for c in cols})


# ---------------------------------------------------------------------------------------
# baseline characteristics


@dataclass(frozen=True)
class Variable:
    """A row block of a baseline table: a column, its label, and how to summarise it."""

    column: str
    label: str
    kind: str = "continuous"  # or "categorical"
    unit: str = ""
    digits: int = 1
    levels: tuple | None = None  # categorical: order (and labels via ``level_labels``)
    level_labels: Mapping | None = None
    only_level: object = None  # categorical: show only this level (e.g. "Y" for a flag)
    group: str | None = None  # show under this heading, the label as the row (flags)


def is_normal(x: pd.Series, alpha: float = 0.05) -> bool:
    """Whether normality is not rejected at level ``alpha`` (True for fewer than 3 values).

    Shapiro-Wilk up to 5,000 values, where its p value is accurate; D'Agostino and
    Pearson's K-squared test (scipy ``normaltest``) for larger samples.

    Examples
    --------
    >>> import numpy as np
    >>> bool(is_normal(pd.Series(np.random.default_rng(1).normal(size=60))))
    True
    >>> bool(is_normal(pd.Series(np.random.default_rng(1).exponential(size=60))))
    False
    >>> bool(is_normal(pd.Series(np.random.default_rng(1).exponential(size=20_000))))
    False
    """
    from scipy.stats import normaltest, shapiro

    v = pd.Series(x).dropna().astype(float)
    if len(v) < 3 or v.nunique() < 3:
        return True
    test = shapiro if len(v) <= 5000 else normaltest
    return bool(test(v).pvalue >= alpha)


def summarize_baseline(
    df: pd.DataFrame,
    variables: Sequence[Variable],
    arm: str,
    arms: Sequence[str],
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Table 1: each variable summarised by arm and in total.

    Parameters
    ----------
    df : DataFrame
        One row per subject with ``arm`` and every variable's column.
    variables : sequence of Variable
    arm : str
    arms : sequence of str
        Arm order.
    alpha : float
        Level of the Shapiro-Wilk test that chooses the summary of a continuous
        variable: mean (SD) when normality is not rejected over all subjects, median
        [IQR] with the range otherwise. The same statistic is used in every arm.

    Returns
    -------
    DataFrame
        ``variable``, ``row`` (the statistic or category), one column per arm, ``Total``
        when there are several arms, and for continuous variables ``statistic``.

    Examples
    --------
    >>> df = pd.DataFrame({"TRT01A": ["A"] * 4, "AGE": [20.0, 30.0, 40.0, 50.0], "SEX": ["F", "F", "M", "F"]})
    >>> v = [Variable("AGE", "Age", unit="years"), Variable("SEX", "Sex", "categorical", levels=("F", "M"))]
    >>> summarize_baseline(df, v, "TRT01A", ["A"])[["variable", "row", "A"]]
          variable        row            A
    0  Age, years  Mean (SD)  35.0 (12.9)
    1          Sex          F     3 (75.0%)
    2          Sex          M     1 (25.0%)
    """
    stacked = with_total(df, arm, arms)
    cols = arm_columns(arms)
    rows: list[dict] = []
    for v in variables:
        if v.column not in df:
            continue
        label = f"{v.label}, {v.unit}" if v.unit else v.label
        groups = {a: stacked.loc[stacked[arm] == a, v.column] for a in cols}
        if v.kind == "continuous":
            values = pd.to_numeric(df[v.column], errors="coerce")
            normal = is_normal(values, alpha)
            if normal:
                r = {"variable": label, "row": "Mean (SD)", "statistic": "mean (SD)"}
                for a, s in groups.items():
                    s = pd.to_numeric(s, errors="coerce").dropna()
                    r[a] = f"{s.mean():.{v.digits}f} ({s.std():.{v.digits}f})" if len(s) > 1 else format_number(s.mean() if len(s) else np.nan, v.digits)
                rows.append(r)
            else:
                r1 = {"variable": label, "row": "Median [IQR]", "statistic": "median [IQR]"}
                r2 = {"variable": label, "row": "Range", "statistic": "min to max"}
                for a, s in groups.items():
                    s = pd.to_numeric(s, errors="coerce").dropna()
                    r1[a] = format_median_iqr(s.median(), s.quantile(0.25), s.quantile(0.75), v.digits) if len(s) else "-"
                    r2[a] = f"{s.min():.{v.digits}f} to {s.max():.{v.digits}f}" if len(s) else "-"
                rows += [r1, r2]
            n_missing = {a: int(pd.to_numeric(s, errors="coerce").isna().sum()) for a, s in groups.items()}
            if any(n_missing.values()):
                rows.append({"variable": label, "row": "Missing", "statistic": "n", **{a: str(n) for a, n in n_missing.items()}})
        else:
            levels = list(v.levels) if v.levels is not None else sorted(df[v.column].dropna().unique().tolist())
            if v.only_level is not None:
                levels = [v.only_level]
            heading = v.group or label
            for level in levels:
                if v.only_level is None:
                    shown = (v.level_labels or {}).get(level, str(level))
                else:
                    shown = v.label if v.group else "n (%)"
                r = {"variable": heading, "row": shown, "statistic": "n (%)"}
                for a, s in groups.items():
                    r[a] = format_n_pct(int((s == level).sum()), int(len(s)))
                rows.append(r)
    out = pd.DataFrame(rows, columns=["variable", "row", "statistic", *cols])
    return out.fillna({c: "-" for c in cols})


def flow_table(flow: pd.DataFrame, arms: Sequence[str]) -> ResultTable:
    """The participant-flow counts as a table (steps by arm, reasons in a last column).

    Parameters
    ----------
    flow : DataFrame
        From :func:`helpers.analyses.population.participant_flow`.
    """
    rows = []
    for step in pd.unique(flow["step"]):
        g = flow[flow["step"] == step]
        row = {"Step": step}
        if set(g["arm"]) == {"All"}:
            for a in arm_columns(arms):
                row[a] = str(int(g["n"].iloc[0])) if a == "Total" or len(arms) == 1 else ""
        else:
            for a in arms:
                row[a] = str(int(g.loc[g["arm"] == a, "n"].sum()))
            if len(arms) > 1:
                row["Total"] = str(int(g["n"].sum()))
        details = [f"{a}: {t}" if len(arms) > 1 else t for a, t in zip(g["arm"], g["detail"], strict=True) if t]
        row["Details"] = "; ".join(details)
        rows.append(row)
    display = pd.DataFrame(rows)
    return ResultTable("participant-flow", "Participant flow: subjects at each step, by arm", display, flow,
                       notes=["Counts are subjects. Details give discontinuation reasons."])


def baseline_table(summary: pd.DataFrame, arms: Sequence[str], alpha: float, population: str) -> ResultTable:
    """Table 1 from :func:`summarize_baseline`."""
    cols = arm_columns(arms)
    display = summary[["variable", "row", *cols]].rename(columns={"row": ""})
    notes = [
        f"Population: {population}. Categories: n (%).",
        f"Continuous variables: mean (SD) where a test of normality over all subjects (Shapiro-Wilk; "
        f"D'Agostino-Pearson above 5,000 subjects) does not reject it at the {alpha:g} level, otherwise "
        f"median [interquartile range] and range.",
    ]
    return ResultTable("baseline-characteristics", "Baseline characteristics", display, summary, notes,
                       rowname="", groupname="variable")


def descriptor_table(active: pd.DataFrame) -> ResultTable:
    """SLEDAI-2K descriptors active at a visit (from ``population.active_descriptors``)."""
    display = pd.DataFrame({
        "Domain": active["domain"].str.capitalize(),
        "Descriptor": active["descriptor"],
        "Weight": active["weight"].astype(str),
        "Subjects, n (%)": [format_n_pct(int(a), int(n)) for a, n in zip(active["n_active"], active["n"], strict=True)],
    })
    return ResultTable("descriptors-baseline", "SLEDAI-2K descriptors active at baseline", display, active,
                       notes=["All 24 descriptors of the SLEDAI-2K; weight is the score a descriptor adds when present."],
                       groupname="Domain")


def response_table(
    summary: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str],
    name: str, title: str, notes: Sequence[str] = (), row: str = "AVISITN", row_label: str = "Visit",
) -> ResultTable:
    """Responders by visit (rows) and arm (columns), ``x/n (%) [95% CI]``.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.stats.summarize_response` with ``by=[arm, row]``; include a
        ``Total`` arm (see :func:`with_total`) for the total column.
    """
    s = summary.copy()
    s["cell"] = [format_rate_ci(int(r), int(n), lo, hi) for r, n, lo, hi in
                 zip(s["responders"], s["n"], s["ci_low"], s["ci_high"], strict=True)]
    if row == "AVISITN":
        s = s.sort_values(row, kind="stable")
        s[row_label] = s[row].map(visit_labels)
    else:  # rows keep the order they come in (definition order, analysis order)
        s[row_label] = s[row]
    display = spread_by_arm(s, [row_label], arm, "cell", arms)
    method = s["method"].iloc[0] if len(s) else ""
    all_notes = [f"Responders/subjects (%) [{method} 95% confidence interval]."] + list(notes)
    return ResultTable(name, title, display, summary, all_notes)


def change_table(
    tests: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str], name: str, title: str,
    digits: int = 1, notes: Sequence[str] = (), group: str | None = None, group_labels: Mapping | None = None,
) -> ResultTable:
    """Median value and median change from baseline by visit, with the paired test.

    Parameters
    ----------
    tests : DataFrame
        From :func:`helpers.stats.paired_tests_by_visit` with ``by=[arm]`` (or
        ``[group, arm]``).
    group : str, optional
        A column of ``tests`` (e.g. ``PARAMCD``) that makes row groups.
    """
    t = tests.copy()
    t["Visit"] = t["AVISITN"].map(visit_labels)
    t["cell"] = [
        f"{m:.{digits}f}; change {c:+.{digits}f} [{q1:+.{digits}f}, {q3:+.{digits}f}]; p = {format_p(p)} (adj. {format_p(pa)}); n = {n}"
        for m, c, q1, q3, p, pa, n in zip(t["median"], t["median_chg"], t["q1_chg"], t["q3_chg"], t["p_val"], t["p_adj"], t["n"], strict=True)
    ]
    index = ["Visit"] if group is None else ["Parameter", "Visit"]
    if group is not None:
        t["Parameter"] = t[group].map(group_labels) if group_labels else t[group]
    display = spread_by_arm(t.sort_values([*([group] if group else []), "AVISITN"], kind="stable"), index, arm, "cell", arms)
    padj = t["padjust"].iloc[0] if len(t) else "holm"
    all_notes = [
        "Each cell: median at the visit; median change from baseline [interquartile range]; Wilcoxon "
        f"signed-rank test against baseline, p and {padj.capitalize()}-adjusted p; subjects with both values.",
        *notes,
    ]
    return ResultTable(name, title, display, tests, all_notes, groupname="Parameter" if group else None)


def comparison_table(rows: pd.DataFrame, name: str, title: str, notes: Sequence[str] = (),
                     confidence: float = 0.95) -> ResultTable:
    """Between-arm comparisons: one row per analysis with estimate, CI and p.

    Parameters
    ----------
    rows : DataFrame
        ``analysis``, ``comparison``, ``estimate``, ``ci_low``, ``ci_high``, ``p_val``,
        ``method`` and optionally ``scale`` (``"percent"`` shows estimates in %).
    """
    disp = []
    for r in rows.itertuples(index=False):
        k = 100 if getattr(r, "scale", "") == "percent" else 1
        disp.append({
            "Analysis": r.analysis, "Comparison": r.comparison,
            f"Estimate ({100 * confidence:g}% CI)": format_estimate_ci(k * r.estimate, k * r.ci_low, k * r.ci_high, 1 if k == 100 else 2),
            "p": format_p(r.p_val), "Method": r.method,
        })
    return ResultTable(name, title, pd.DataFrame(disp), rows, list(notes))


def components_table(failed: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str) -> ResultTable:
    """Which SRI criteria non-responders failed (from ``efficacy.failed_components``)."""
    f = failed.copy()
    f["cell"] = [format_n_pct(int(n), int(t)) for n, t in zip(f["n"], f["n_nonresponders"], strict=True)]
    f["Criterion failed"] = f["reason"]
    display = spread_by_arm(f, ["Criterion failed"], arm, "cell", arms)
    return ResultTable("sri-components", f"SRI-4 criteria failed by non-responders at {week_label}", display, failed,
                       ["Non-responders (non-responder imputation) n (% of non-responders); a subject can fail several criteria."])
