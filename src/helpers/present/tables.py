"""Tables as a page shows them: tidy data for the CSV download, great_tables for the page.

Builders here take the tidy frames of ``helpers.stats`` and ``helpers.analyses`` and
return a :class:`ResultTable`: the data a reader downloads (numbers unrounded where they
are numbers) and a ``great_tables.GT`` that the chapter numbers and captions. The
display strings come from :mod:`helpers.present.format` (the one place that rounds) and
the words for codes from :mod:`helpers.present.prose`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from helpers import definitions as d
from helpers.analyses.arms import TOTAL, arms_and_total
from helpers.present.format import (
    format_estimate_ci,
    format_median_iqr,
    format_n_pct,
    format_number,
    format_p,
    format_rate_ci,
)
from helpers.present.prose import efficacy as words
from helpers.present.prose import percent


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
    cols = [c for c in arms_and_total(arms) if c in set(tidy[arm]) or c in arms]
    order = tidy[index].drop_duplicates()
    wide = tidy.pivot_table(index=index, columns=arm, values=value, aggfunc="first", observed=True, sort=False)
    wide = wide.reindex(columns=cols).astype(object)
    out = order.merge(wide.reset_index(), on=index, how="left")
    out.columns.name = None
    return out.fillna({c: fill for c in cols})


def _with_label(frame: pd.DataFrame, label: str = "label", after: str = "method") -> pd.DataFrame:
    """``frame`` with the words for its ``PARAMCD`` codes in a column ``label`` placed
    after ``after``."""
    out = frame.copy()
    out.insert(list(out.columns).index(after) + 1, label, out["PARAMCD"].astype("str").map(words.item_label))
    return out


# ---------------------------------------------------------------------------------------
# participants and baseline characteristics


def label_flow(flow: pd.DataFrame, reasons: pd.DataFrame | None = None) -> pd.DataFrame:
    """The participant flow in words: what :func:`flow_table` and
    :func:`helpers.present.figures.flow_figure` show.

    Parameters
    ----------
    flow : DataFrame
        From :func:`helpers.analyses.population.participant_flow`.
    reasons : DataFrame, optional
        From :func:`helpers.analyses.population.discontinuation_reasons`.

    Returns
    -------
    DataFrame
        ``step`` (its words), ``arm``, ``n``, ``detail`` (the discontinuation reasons
        with their counts on ``discontinued`` rows, else ``""``).

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "course", "discontinued"], "course": [None, 1, None],
    ...                      "flag": "", "arm": ["All", "A", "A"], "n": [3, 3, 1]})
    >>> reasons = pd.DataFrame({"arm": ["A"], "reason": [""], "n": [1]})
    >>> label_flow(flow, reasons).values.tolist()
    [['Enrolled', 'All', 3, ''], ['Received course 1', 'A', 3, ''], ['Discontinued', 'A', 1, 'reason not given: 1']]
    """
    by_arm: dict[str, list[tuple[str, int]]] = {}
    if reasons is not None:
        for r in reasons.itertuples(index=False):
            by_arm.setdefault(r.arm, []).append((r.reason, int(r.n)))
    rows = []
    for r in flow.itertuples(index=False):
        course = None if pd.isna(r.course) else int(r.course)
        detail = words.reasons_text(by_arm.get(r.arm, [])) if r.step == "discontinued" else ""
        rows.append({"step": words.flow_step_label(r.step, course, r.flag), "arm": r.arm, "n": int(r.n), "detail": detail})
    return pd.DataFrame(rows, columns=["step", "arm", "n", "detail"])


def flow_table(flow: pd.DataFrame, arms: Sequence[str]) -> ResultTable:
    """The participant-flow counts as a table (steps by arm, reasons in a last column).

    Parameters
    ----------
    flow : DataFrame
        From :func:`label_flow`.
    """
    rows = []
    for step in pd.unique(flow["step"]):
        g = flow[flow["step"] == step]
        row = {"Step": step}
        if set(g["arm"]) == {"All"}:
            for a in arms_and_total(arms):
                row[a] = str(int(g["n"].iloc[0])) if a == TOTAL or len(arms) == 1 else ""
        else:
            for a in arms:
                row[a] = str(int(g.loc[g["arm"] == a, "n"].sum()))
            if len(arms) > 1:
                row[TOTAL] = str(int(g["n"].sum()))
        details = [f"{a}: {t}" if len(arms) > 1 else t for a, t in zip(g["arm"], g["detail"], strict=True) if t]
        row["Details"] = "; ".join(details)
        rows.append(row)
    display = pd.DataFrame(rows)
    return ResultTable("participant-flow", "Participant flow: subjects at each step, by arm", display, flow,
                       notes=["Counts are subjects. Details give discontinuation reasons."])


def format_baseline(summary: pd.DataFrame, variables: Sequence, arms: Sequence[str]) -> pd.DataFrame:
    """Table 1 in display strings, from the statistics of
    :func:`helpers.analyses.population.summarize_baseline`.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.population.summarize_baseline`.
    variables : sequence of helpers.analyses.population.Variable
        Their labels, units, digits and level labels; in the table's order.
    arms : sequence of str

    Returns
    -------
    DataFrame
        ``variable`` (label, with the unit), ``row`` (the statistic or category),
        ``statistic``, one column per arm and ``Total`` with several arms. Continuous
        variables: ``Mean (SD)`` when normality was not rejected, else ``Median [IQR]``
        and ``Range``, and a ``Missing`` row when a value is missing; categorical: one
        row per level, ``n (%)``. A cell with nothing to show is ``-``.
    """
    cols = arms_and_total(arms)
    rows: list[dict] = []
    for v in variables:
        s = summary[summary["variable"] == v.column]
        if s.empty:
            continue
        label = f"{v.label}, {v.unit}" if v.unit else v.label
        if v.kind == "continuous":
            by = {r["arm"]: r for _, r in s.iterrows()}
            if bool(s["normal"].iloc[0]):
                r = {"variable": label, "row": "Mean (SD)", "statistic": "mean (SD)"}
                for a, x in by.items():
                    mean = format_number(x["mean"], v.digits)
                    r[a] = f"{mean} ({format_number(x['sd'], v.digits)})" if x["n"] > 1 else mean
                rows.append(r)
            else:
                r1 = {"variable": label, "row": "Median [IQR]", "statistic": "median [IQR]"}
                r2 = {"variable": label, "row": "Range", "statistic": "min to max"}
                for a, x in by.items():
                    some = x["n"] > 0
                    r1[a] = format_median_iqr(x["median"], x["q1"], x["q3"], v.digits) if some else "-"
                    r2[a] = f"{format_number(x['min'], v.digits)} to {format_number(x['max'], v.digits)}" if some else "-"
                rows += [r1, r2]
            if (s["n_missing"] > 0).any():
                rows.append({"variable": label, "row": "Missing", "statistic": "n",
                             **{a: str(int(x["n_missing"])) for a, x in by.items()}})
        else:
            heading = v.group or label
            for level in pd.unique(s["level"]):
                at = s[s["level"] == level]
                if v.only_level is None:
                    shown = (v.level_labels or {}).get(level, str(level))
                else:
                    shown = v.label if v.group else "n (%)"
                r = {"variable": heading, "row": shown, "statistic": "n (%)"}
                r.update({x["arm"]: format_n_pct(int(x["count"]), int(x["n"])) for _, x in at.iterrows()})
                rows.append(r)
    out = pd.DataFrame(rows, columns=["variable", "row", "statistic", *cols])
    return out.fillna({c: "-" for c in cols})


def baseline_table(summary: pd.DataFrame, variables: Sequence, arms: Sequence[str], alpha: float,
                   population: str) -> ResultTable:
    """Table 1 from :func:`helpers.analyses.population.summarize_baseline` (the CSV holds
    the cells as shown, see :func:`format_baseline`)."""
    shown = format_baseline(summary, variables, arms)
    display = shown[["variable", "row", *arms_and_total(arms)]].rename(columns={"row": ""})
    notes = [
        f"Population: {population}. Categories: n (%).",
        f"Continuous variables: mean (SD) where a test of normality over all subjects (Shapiro-Wilk; "
        f"D'Agostino-Pearson above 5,000 subjects) does not reject it at the {alpha:g} level, otherwise "
        f"median [interquartile range] and range.",
    ]
    return ResultTable("baseline-characteristics", "Baseline characteristics", display, shown, notes,
                       rowname="", groupname="variable")


def descriptor_table(active: pd.DataFrame) -> ResultTable:
    """SLEDAI-2K descriptors active at a visit (from ``population.active_descriptors``)."""
    data = active.copy()
    data.insert(list(data.columns).index("PARAMCD") + 1, "descriptor", data["PARAMCD"].map(words.descriptor_label))
    display = pd.DataFrame({
        "Domain": data["domain"].str.capitalize(),
        "Descriptor": data["descriptor"],
        "Weight": data["weight"].astype(str),
        "Subjects, n (%)": [format_n_pct(int(a), int(n)) for a, n in zip(data["n_active"], data["n"], strict=True)],
    })
    return ResultTable("descriptors-baseline", "SLEDAI-2K descriptors active at baseline", display, data,
                       notes=[f"All {len(d.SLEDAI_DESCRIPTORS)} descriptors of the SLEDAI-2K; weight is the score a "
                              "descriptor adds when present."],
                       groupname="Domain")


# ---------------------------------------------------------------------------------------
# response and change


def response_table(
    summary: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str],
    name: str, title: str, notes: Sequence[str] = (), row: str = "AVISITN", row_label: str = "Visit",
    confidence: float = 0.95,
) -> ResultTable:
    """Responders by visit (rows) and arm (columns), ``x/n (%) [CI]``.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.stats.summarize_response` with ``by=[arm, row]``; include a
        ``Total`` arm (see :func:`helpers.analyses.arms.with_total`) for the total column.
    confidence : float
        The level of the intervals in ``summary``, which the note states.
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
    all_notes = [f"Responders/subjects (%) [{method} {percent(confidence)} confidence interval]."] + list(notes)
    return ResultTable(name, title, display, summary, all_notes)


def resolution_table(
    summary: pd.DataFrame, arm: str, arms: Sequence[str], name: str, title: str, notes: Sequence[str] = (),
    row_label: str = "Item", confidence: float = 0.95,
) -> ResultTable:
    """Resolution (or response) of each item by arm: one row per domain, manifestation or
    subgroup, named in words (:func:`helpers.present.prose.efficacy.item_label`).

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.organ.summarize_resolution` or
        :func:`helpers.analyses.organ.response_by_subgroup`; the CSV holds it with a
        ``label`` column after ``method``.
    """
    return response_table(_with_label(summary), arm, arms, {}, name, title, notes, row="label", row_label=row_label,
                          confidence=confidence)


def sensitivity_table(sens: pd.DataFrame, arm: str, arms: Sequence[str], name: str, title: str,
                      notes: Sequence[str] = (), confidence: float = 0.95) -> ResultTable:
    """The primary end point and its sensitivity analyses by arm, one row per analysis.

    Parameters
    ----------
    sens : DataFrame
        From :func:`helpers.analyses.efficacy.sri_sensitivity`; the CSV names each analysis
        in words (``analysis``) instead of its codes.
    """
    data = sens.drop(columns=["k", "imputation", "primary"])
    data.insert(0, "analysis", [words.sensitivity_label(k, i, p) for k, i, p in
                                zip(sens["k"], sens["imputation"], sens["primary"], strict=True)])
    return response_table(data, arm, arms, {}, name, title, notes, row="analysis", row_label="Analysis",
                          confidence=confidence)


def components_table(failed: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str) -> ResultTable:
    """Which SRI criteria non-responders failed (from ``efficacy.failed_components``); the
    CSV names each criterion in words (``reason``)."""
    data = failed.rename(columns={"criterion": "reason"})
    data["reason"] = data["reason"].map(words.criterion_label)
    f = data.copy()
    f["cell"] = [format_n_pct(int(n), int(t)) for n, t in zip(f["n"], f["n_nonresponders"], strict=True)]
    f["Criterion failed"] = f["reason"]
    display = spread_by_arm(f, ["Criterion failed"], arm, "cell", arms)
    return ResultTable("sri-components", f"SRI-4 criteria failed by non-responders at {week_label}", display, data,
                       ["Non-responders (non-responder imputation) n (% of non-responders); a subject can fail several criteria."])


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


# ---------------------------------------------------------------------------------------
# comparisons between arms


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


def _comparison(arm: str, reference: str, scale: str) -> str:
    """``IL-2 - Placebo`` for a difference, ``IL-2 vs Placebo`` for a ratio."""
    return f"{arm} vs {reference}" if scale == "ratio" else f"{arm} - {reference}"


def _labelled(rows: pd.DataFrame, analysis: Sequence[str]) -> pd.DataFrame:
    """Efficacy comparison rows with ``analysis`` in words and a ``comparison`` column,
    the columns a :func:`comparison_table` reads first."""
    out = rows.copy()
    out["analysis"] = list(analysis)
    out.insert(0, "comparison", [_comparison(a, ref, s) for a, ref, s in
                                 zip(out["arm"], out["reference"], out["scale"], strict=True)])
    first = ["analysis", "comparison"]
    return out[first + [c for c in out.columns if c not in first]]


def _method_cell(r) -> str:
    """The Method cell of an efficacy comparison: the interval and the test named by the
    row (``test``), the other rate test's p, and a model that did not converge."""
    if r["analysis"] == "rate_difference":
        other = "fisher" if r["test"] == "chisq" else "chisq"
        return f"{r['method']}; {words.RATE_TEST_SHORT[other]} p = {format_p(r['p_' + other])}"
    return r["method"] + ("" if r.get("converged", True) else " (did not converge)")


def response_comparison_table(rows: pd.DataFrame, name: str, title: str, notes: Sequence[str] = (),
                              confidence: float = 0.95) -> ResultTable:
    """The rate difference and the adjusted odds ratio of each arm against the reference.

    Parameters
    ----------
    rows : DataFrame
        From :func:`helpers.analyses.efficacy.response_comparisons`. The page's Method
        names the interval and the test of ``p`` (from ``test``) and gives the other rate
        test's p; the CSV holds every p (``p_val``, ``p_chisq``, ``p_fisher``) and ``test``.
    """
    analysis = [
        f"{words.endpoint_label(e)} rate difference" if a == "rate_difference" else
        f"{words.endpoint_label(e)} odds ratio, adjusted for {words.COVARIATES.get(c, c)}"
        for e, a, c in zip(rows["endpoint"], rows["analysis"], rows["covariate"], strict=True)
    ]
    data = _labelled(rows, analysis)
    shown = data.assign(method=[_method_cell(r) for _, r in rows.iterrows()])
    return replace(comparison_table(shown, name, title, notes, confidence), data=data)


def difference_by_visit_table(rows: pd.DataFrame, visit_labels: Mapping[int, str], name: str, title: str,
                              notes: Sequence[str] = (), confidence: float = 0.95) -> ResultTable:
    """The difference in response rate against the reference arm at every visit (rows
    named by visit), from :func:`helpers.analyses.efficacy.rate_differences_by_week`."""
    return comparison_table(_labelled(rows, [visit_labels.get(int(w), str(w)) for w in rows["AVISITN"]]),
                            name, title, notes, confidence)


def change_comparison_table(rows: pd.DataFrame, name: str, title: str, notes: Sequence[str] = (),
                            confidence: float = 0.95) -> ResultTable:
    """The ANCOVA of the change from baseline of each measure, each arm against the
    reference, from :func:`helpers.analyses.efficacy.change_comparisons`."""
    analysis = [f"{words.measure_label(m)}: change from baseline" for m in rows["measure"]]
    return comparison_table(_labelled(rows, analysis), name, title, notes, confidence)
