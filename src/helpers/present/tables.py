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
from helpers.present.prose import join_words, percent


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


#: The rows a continuous baseline variable shows for each choice of statistics
#: (``population.CONTINUOUS_STATISTICS``): (row label, statistic named in the CSV).
BASELINE_ROWS: dict[str, tuple[tuple[str, str], ...]] = {
    "csr": (("n", "n"), ("Mean (SD)", "mean (SD)"), ("Median", "median"), ("Min, max", "min, max")),
    "mean_sd": (("Mean (SD)", "mean (SD)"),),
    "median_range": (("Median (range)", "median (min to max)"),),
    "median_iqr": (("Median [IQR]", "median [IQR]"),),
}

#: The tests of Table 1's p values, as its footnote names them
#: (``population.BASELINE_TESTS``).
BASELINE_TEST_NAMES: dict[str, str] = {"welch": "Welch's t-test", "wilcoxon": "the Wilcoxon rank-sum test",
                                       "fisher": "Fisher's exact test"}

#: What each choice of statistics shows, for Table 1's footnote.
BASELINE_STATISTIC_NAMES: dict[str, str] = {"csr": "n, mean (SD), median, minimum and maximum",
                                            "mean_sd": "mean (SD)", "median_range": "median (range)",
                                            "median_iqr": "median [interquartile range]", "n_pct": "n (%)"}


def _baseline_cell(statistic: str, x, digits: int) -> str:
    """One cell of a continuous baseline row."""
    if x["n"] == 0:
        return "0" if statistic == "n" else "-"
    if statistic == "n":
        return str(int(x["n"]))
    if statistic == "mean (SD)":  # one decimal more than the values, as clinical study reports show them
        mean = format_number(x["mean"], digits + 1)
        return f"{mean} ({format_number(x['sd'], digits + 1)})" if x["n"] > 1 else mean
    if statistic == "median":
        return format_number(x["median"], digits)
    if statistic == "min, max":
        return f"{format_number(x['min'], digits)}, {format_number(x['max'], digits)}"
    if statistic == "median (min to max)":
        return f"{format_number(x['median'], digits)} ({format_number(x['min'], digits)} to {format_number(x['max'], digits)})"
    return format_median_iqr(x["median"], x["q1"], x["q3"], digits)


def format_baseline(summary: pd.DataFrame, variables: Sequence, arms: Sequence[str],
                    tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1 in display strings, from the statistics of
    :func:`helpers.analyses.population.summarize_baseline`, each variable as its
    pre-specified ``statistics`` say.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.population.summarize_baseline`.
    variables : sequence of helpers.analyses.population.Variable
        Their labels, units, digits and level labels; in the table's order.
    arms : sequence of str
    tests : DataFrame, optional
        From :func:`helpers.analyses.population.baseline_tests`: adds a ``p`` column,
        filled on each variable's first row.

    Returns
    -------
    DataFrame
        ``variable`` (label, with the unit), ``row`` (the statistic or category),
        ``statistic``, one column per arm and ``Total`` with several arms (then ``p``
        with tests). Continuous variables (the mean and SD with one decimal more than
        the variable's ``digits``): ``csr`` gives n, Mean (SD), Median and Min, max rows; ``mean_sd`` Mean (SD); ``median_range`` Median (range);
        ``median_iqr`` Median [IQR]; a ``Missing`` row when a value is missing.
        Categorical: one row per level, ``n (%)``. A cell with nothing to show is ``-``.
    """
    cols = arms_and_total(arms)
    with_p = tests is not None and len(tests) > 0
    p_of = dict(zip(tests["variable"], tests["p_val"], strict=True)) if with_p else {}
    rows: list[dict] = []
    for v in variables:
        s = summary[summary["variable"] == v.column]
        if s.empty:
            continue
        label = f"{v.label}, {v.unit}" if v.unit else v.label
        first = len(rows)
        if v.kind == "continuous":
            by = {r["arm"]: r for _, r in s.iterrows()}
            for shown, statistic in BASELINE_ROWS[str(s["statistics"].iloc[0])]:
                rows.append({"variable": label, "row": shown, "statistic": statistic,
                             **{a: _baseline_cell(statistic, x, v.digits) for a, x in by.items()}})
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
        if with_p:
            for i, r in enumerate(rows[first:]):
                r["p"] = format_p(p_of.get(v.column, float("nan"))) if i == 0 else ""
    out = pd.DataFrame(rows, columns=["variable", "row", "statistic", *cols, *(["p"] if with_p else [])])
    return out.fillna({c: "-" for c in cols})


def baseline_table(summary: pd.DataFrame, variables: Sequence, arms: Sequence[str], population: str,
                   tests: pd.DataFrame | None = None, requested: bool = False) -> ResultTable:
    """Table 1 from :func:`helpers.analyses.population.summarize_baseline` (the CSV holds
    the cells as shown, see :func:`format_baseline`).

    Parameters
    ----------
    population : str
        Who the table describes, and by which arm.
    tests : DataFrame, optional
        From :func:`helpers.analyses.population.baseline_tests`.
    requested : bool
        Whether the analysis plan asked for p values (``analysis.baseline_tests``): a
        note says why none are shown when they could not be computed.
    """
    shown = format_baseline(summary, variables, arms, tests)
    display = shown[["variable", "row", *arms_and_total(arms), *(["p"] if "p" in shown else [])]].rename(columns={"row": ""})
    used = list(dict.fromkeys(summary["statistics"]))
    notes = [
        f"Population: {population}. The statistics of each variable are pre-specified in the analysis plan "
        f"(cohort.yml analysis.baseline_statistics), not chosen from the data: "
        f"{'; '.join(BASELINE_STATISTIC_NAMES[u] for u in used)}.",
    ]
    if "p" in shown:
        named = join_words(dict.fromkeys(BASELINE_TEST_NAMES[t] for t in tests["test"]))
        notes.append(f"p: {named} between the two arms, as the analysis plan asks (analysis.baseline_tests). "
                     "CONSORT discourages such tests: in a randomized trial any baseline difference is by chance "
                     "(Moher et al., BMJ 2010;340:c869).")
    elif requested:
        notes.append("The analysis plan asks for between-arm p values, which need exactly two arms: none are shown.")
    return ResultTable("baseline-characteristics", "Baseline characteristics", display, shown, notes,
                       rowname="", groupname="variable")


def descriptor_table(active: pd.DataFrame, instrument: str = "SLEDAI-2K") -> ResultTable:
    """The instrument's descriptors active at a visit (from ``population.active_descriptors``)."""
    data = active.copy()
    data.insert(list(data.columns).index("PARAMCD") + 1, "descriptor", data["PARAMCD"].map(words.descriptor_label))
    display = pd.DataFrame({
        "Domain": data["domain"].str.capitalize(),
        "Descriptor": data["descriptor"],
        "Weight": data["weight"].astype(str),
        "Subjects, n (%)": [format_n_pct(int(a), int(n)) for a, n in zip(data["n_active"], data["n"], strict=True)],
    })
    return ResultTable("descriptors-baseline", f"{instrument} descriptors active at baseline", display, data,
                       notes=[f"All {len(d.SLEDAI_DESCRIPTORS)} descriptors of the {instrument}; weight is the score a "
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


def sensitivity_table(sens: pd.DataFrame, arm: str, arms: Sequence[str], name: str, title: str,
                      notes: Sequence[str] = (), confidence: float = 0.95) -> ResultTable:
    """The primary end point and its sensitivity analyses by arm, one row per analysis.

    Parameters
    ----------
    sens : DataFrame
        From :func:`helpers.analyses.efficacy.sri_sensitivity`; the CSV names each analysis
        in words (``analysis``) instead of its codes.
    """
    data = sens.drop(columns=[c for c in ("analysis", "k", "imputation", "primary") if c in sens])
    labels = [words.analysis_label(a, k, p) for a, k, p in
              zip(sens.get("analysis", ["primary"] * len(sens)), sens["k"], sens["primary"], strict=True)]
    data.insert(0, "analysis", labels)
    return response_table(data, arm, arms, {}, name, title, notes, row="analysis", row_label="Analysis",
                          confidence=confidence)


def components_table(failed: pd.DataFrame, arm: str, arms: Sequence[str], week_label: str,
                     instrument: str = "SLEDAI-2K") -> ResultTable:
    """Which SRI criteria non-responders failed (from ``efficacy.failed_components``); the
    CSV names each criterion in words (``reason``)."""
    data = failed.rename(columns={"criterion": "reason"})
    data["reason"] = data["reason"].map(lambda c: words.criterion_label(c, instrument))
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
    family = words.family_text_of(t, len(arms) > 1)
    all_notes = [
        "Each cell: median at the visit; median change from baseline [interquartile range]; Wilcoxon "
        f"signed-rank test against baseline, p and adjusted p ({family}); subjects with both values.",
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
    return f"{arm} vs {reference}" if scale in ("ratio", "odds_ratio") else f"{arm} - {reference}"


def _labelled(rows: pd.DataFrame, analysis: Sequence[str]) -> pd.DataFrame:
    """Efficacy comparison rows with ``analysis`` in words and a ``comparison`` column,
    the columns a :func:`comparison_table` reads first."""
    out = rows.copy()
    out["analysis"] = list(analysis)
    out.insert(0, "comparison", [_comparison(a, ref, s) for a, ref, s in
                                 zip(out["arm"], out["reference"], out["scale"], strict=True)])
    first = ["analysis", "comparison"]
    return out[first + [c for c in out.columns if c not in first]]


def _rate_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`helpers.stats.compare_response` as :func:`comparison_table` shows
    them: a rate difference in percentage points (``scale`` ``percent``), an odds ratio
    as a ratio."""
    return rows.assign(scale=rows["scale"].map({"difference": "percent", "odds_ratio": "ratio"}))


def _method_cell(r) -> str:
    """The Method cell of a response comparison: the test and the interval that inverts
    it, and a model that did not converge."""
    return r["method"] + ("" if r.get("converged", True) else " (did not converge)")


#: The roles of a comparison, as its table row says.
ROLE_LABELS: dict[str, str] = {"primary": "primary, pre-specified", "supportive": "supportive",
                               "secondary": "secondary", "exploratory": "exploratory"}


def response_comparison_table(rows: pd.DataFrame, name: str, title: str, notes: Sequence[str] = (),
                              confidence: float = 0.95, instrument: str = "SLEDAI-2K") -> ResultTable:
    """The pre-specified comparison of the response rate of each arm against the
    reference, and the supportive adjusted odds ratio.

    Parameters
    ----------
    rows : DataFrame
        From :func:`helpers.analyses.efficacy.response_comparisons`. The page's Method
        names the test and the interval that inverts it; the CSV holds every column.
    """
    covariates = {"SLEDAIBL": f"baseline {instrument}"}
    analysis = []
    for e, role, scale, cov in zip(rows["endpoint"], rows["role"], rows["scale"], rows["covariates"], strict=True):
        what = "rate difference" if scale == "difference" else "odds ratio"
        if cov:
            what += f", adjusted for {join_words(covariates.get(c.strip(), c.strip()) for c in cov.split(','))}"
        analysis.append(f"{words.endpoint_label(e)} {what} ({ROLE_LABELS[role]})")
    data = _labelled(rows, analysis)
    methods = []
    for _, r in rows.iterrows():
        m = _method_cell(r)
        for code, label in covariates.items():
            m = m.replace(f"adjusted for {code}", f"adjusted for {label}")
        methods.append(m)
    shown = _rate_rows(data).assign(method=methods)
    return replace(comparison_table(shown, name, title, notes, confidence), data=data)


def difference_by_visit_table(rows: pd.DataFrame, visit_labels: Mapping[int, str], name: str, title: str,
                              notes: Sequence[str] = (), confidence: float = 0.95) -> ResultTable:
    """The response compared with the reference arm at every visit by the primary test
    (rows named by visit and role: primary, secondary, exploratory), from
    :func:`helpers.analyses.efficacy.rate_differences_by_week`; a secondary row's p is
    the adjusted one when the plan adjusts."""
    analysis = [f"{visit_labels.get(int(w), str(w))} ({ROLE_LABELS.get(r, r)})"
                for w, r in zip(rows["AVISITN"], rows["role"], strict=True)]
    data = _labelled(rows, analysis)
    shown = _rate_rows(data)
    adjusted = (shown["adjustment"].fillna("") != "") & (shown["adjustment"] != "none")
    shown = shown.assign(p_val=shown["p_adj"].where(adjusted, shown["p_val"]),
                         method=[m + (f"; {words.ADJUSTMENTS[a]}-adjusted p" if adj else "")
                                 for m, a, adj in zip(shown["method"], shown["adjustment"], adjusted, strict=True)])
    return replace(comparison_table(shown, name, title, notes, confidence), data=data)


def sensitivity_comparison_table(rows: pd.DataFrame, name: str, title: str, notes: Sequence[str] = (),
                                 confidence: float = 0.95) -> ResultTable:
    """Each sensitivity analysis compared between arms by the primary test, with whether
    it reaches the primary analysis' conclusion, from
    :func:`helpers.analyses.efficacy.sensitivity_comparisons`."""
    analysis = [words.analysis_label(a, int(k), bool(p)) for a, k, p in
                zip(rows["analysis"], rows["k"], rows["primary"], strict=True)]
    data = _labelled(rows, analysis)
    verdict = {True: "conclusion unchanged", False: "conclusion changes", None: "not assessed"}
    shown = _rate_rows(data).assign(method=[
        m if p else f"{m}; {verdict[None if pd.isna(u) else bool(u)]}"
        for m, p, u in zip(data["method"], data["primary"], data["unchanged"], strict=True)])
    return replace(comparison_table(shown, name, title, notes, confidence), data=data)


def change_comparison_table(rows: pd.DataFrame, name: str, title: str, notes: Sequence[str] = (),
                            confidence: float = 0.95, instrument: str | None = None) -> ResultTable:
    """The ANCOVA of the change from baseline of each measure, each arm against the
    reference, from :func:`helpers.analyses.efficacy.change_comparisons`."""
    analysis = [f"{words.measure_label(m, instrument)}: change from baseline" for m in rows["measure"]]
    return comparison_table(_labelled(rows, analysis), name, title, notes, confidence)


# ---------------------------------------------------------------------------------------
# BILAG flares (helpers.analyses.bilag)


def flare_table(summary: pd.DataFrame, arms: Sequence[str], name: str, title: str, notes: Sequence[str] = (),
                flare_free: pd.DataFrame | None = None) -> ResultTable:
    """BILAG flares per arm: subjects assessed, with any, severe and moderate flares,
    flare episodes, the week of the first flare and, when given, the Kaplan-Meier share
    free of flares through the last week with its interval.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.bilag.summarize_flares`.
    flare_free : DataFrame, optional
        From :func:`helpers.analyses.bilag.summarize_flare_free`.

    Examples
    --------
    >>> s = pd.DataFrame({"arm": ["A"], "subjects": [30], "any_n": [2], "severe_n": [2], "moderate_n": [0],
    ...                   "any_pct": [6.67], "episodes": [2], "first_week_median": [11.0], "first_week_min": [10.0],
    ...                   "first_week_max": [12.0]})
    >>> flare_table(s, ["A"], "f", "F").display.values.tolist()[1:3]
    [['Any flare, n (%)', '2 (6.7%)'], ['Severe (a new A), n (%)', '2 (6.7%)']]
    """
    rows = {r["arm"]: r for _, r in summary.iterrows()}
    labels = ["Subjects assessed after baseline", "Any flare, n (%)", "Severe (a new A), n (%)",
              "Moderate (two or more new B), n (%)", "Flare episodes", "Week of the first flare, median (range)"]
    display = pd.DataFrame({"": labels})
    for a in arms:
        r = rows[a]
        n = int(r["subjects"])
        first = ("-" if pd.isna(r["first_week_median"]) else
                 f"{format_number(r['first_week_median'], 0)} ({format_number(r['first_week_min'], 0)}-"
                 f"{format_number(r['first_week_max'], 0)})")
        display[a] = [str(n), format_n_pct(int(r["any_n"]), n), format_n_pct(int(r["severe_n"]), n),
                      format_n_pct(int(r["moderate_n"]), n), str(int(r["episodes"])), first]
    if flare_free is not None and len(flare_free):
        free = {r["arm"]: r for _, r in flare_free.iterrows()}
        row = {"": f"Free of flares through week {int(flare_free['week'].iloc[0])}, Kaplan-Meier % "
                   f"({percent(flare_free['confidence'].iloc[0])} CI)"}
        for a in arms:
            r = free[a]
            row[a] = ("-" if pd.isna(r["estimate"]) else format_number(100 * r["estimate"], 1)
                      + ("" if pd.isna(r["ci_low"]) else
                         f" ({format_number(100 * r['ci_low'], 1)} to {format_number(100 * r['ci_high'], 1)})"))
        display = pd.concat([display, pd.DataFrame([row])], ignore_index=True)
    return ResultTable(name, title, display, summary, list(notes))


def with_notes(table: ResultTable, notes: Sequence[str]) -> ResultTable:
    """A copy of ``table`` with more footnotes.

    Examples
    --------
    >>> with_notes(ResultTable("t", "T", pd.DataFrame({"a": [1]}), notes=["x"]), ["y"]).notes
    ['x', 'y']
    """
    return replace(table, notes=[*table.notes, *notes])
