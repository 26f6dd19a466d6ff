"""The organ chapter's tables and figures, from the tidy frames of
:mod:`helpers.analyses.organ`.

Every display is per arm: one column (or one marker, one panel) per arm of the efficacy
population, never a pooled Total; with several arms a table adds each arm's difference
from the reference arm where both have enough subjects. Row labels and notes come from
:mod:`helpers.present.prose.organ` and :mod:`helpers.present.prose.efficacy`, numbers
from :mod:`helpers.present.format`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.present.figures import forest_figure, style
from helpers.present.format import format_estimate_ci, format_number, format_p, format_rate_ci
from helpers.present.prose import efficacy as words
from helpers.present.prose import organ as organ_words
from helpers.present.prose import percent
from helpers.present.tables import ResultTable, spread_by_arm

# ---------------------------------------------------------------------------------------
# tables


def _difference_column(arm: str, reference: str) -> str:
    return f"{arm} - {reference}"


def resolution_table(
    summary: pd.DataFrame, arm: str, arms: Sequence[str], name: str, title: str, notes: Sequence[str] = (),
    row_label: str = "Item", confidence: float = 0.95, comparisons: pd.DataFrame | None = None,
    by_group: bool = False,
) -> ResultTable:
    """Resolution (or response) of each item per arm, ``x/n (%) [CI]``, and with several
    arms each arm's difference from the reference, in percentage points.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.organ.summarize_resolution` or
        :func:`helpers.analyses.organ.response_by_subgroup`: the arm, ``PARAMCD``,
        ``responders``, ``n``, ``ci_low``, ``ci_high``, ``method``. Rows of other arms
        (a pooled ``Total``) are left out.
    comparisons : DataFrame, optional
        From :func:`helpers.analyses.organ.compare_items`: one column per compared arm,
        ``estimate (low to high)`` in points, ``-`` for an item not compared.
    by_group : bool
        Rows grouped by organ group (``group`` of ``summary``), the favoured ones marked.

    Returns
    -------
    ResultTable
        The page: one row per item (named in words), one column per arm (an item no
        subject of an arm had shows ``0/0``), then the differences. The CSV: the
        per-arm rows with their ``label`` (``statistic = "rate"``), then, with
        comparisons, their rows (``statistic = "difference"``: ``arm`` the compared arm,
        ``reference``, ``ref_responders``, ``ref_n``, ``diff``, ``diff_ci_low``,
        ``diff_ci_high``, ``tested``, ``diff_method``).

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01P": ["A", "B", "Total"], "PARAMCD": "RASH", "responders": [1, 2, 3], "n": [2, 4, 6],
    ...                   "ci_low": 0.1, "ci_high": 0.9, "method": "Clopper-Pearson"})
    >>> resolution_table(s, "TRT01P", ["A", "B"], "t", "T").display.columns.tolist()
    ['Item', 'A', 'B']
    """
    s = summary[summary[arm].astype("str").isin([str(a) for a in arms])].copy()
    s.insert(list(s.columns).index("method") + 1, "label", s["PARAMCD"].astype("str").map(words.item_label))
    s["cell"] = [format_rate_ci(int(r), int(n), lo, hi) for r, n, lo, hi in
                 zip(s["responders"], s["n"], s["ci_low"], s["ci_high"], strict=True)]
    index = ["label"]
    if by_group and "group" in s:
        s["Group"] = s["group"].astype("str").map(organ_words.group_label)
        index = ["Group", "label"]
    display = spread_by_arm(s, index, arm, "cell", arms, fill="0/0")
    data = s.drop(columns=["cell", *(["Group"] if "Group" in s else [])]).assign(statistic="rate")
    if comparisons is not None and len(comparisons):
        cmp = comparisons.copy()
        cmp["label"] = cmp["PARAMCD"].astype("str").map(words.item_label)
        cmp["cell"] = [format_estimate_ci(100 * e, 100 * lo, 100 * hi, 1) if t else organ_words.NOT_COMPARED
                       for e, lo, hi, t in zip(cmp["estimate"], cmp["ci_low"], cmp["ci_high"], cmp["tested"], strict=True)]
        for (a, ref), part in cmp.groupby(["arm", "reference"], sort=False):
            cells = dict(zip(part["label"], part["cell"], strict=True))
            display[_difference_column(a, ref)] = display["label"].map(cells).fillna(organ_words.NOT_COMPARED)
        cmp = cmp.drop(columns="cell").rename(columns={"estimate": "diff", "ci_low": "diff_ci_low",
                                                        "ci_high": "diff_ci_high", "method": "diff_method"})
        data = pd.concat([data, cmp.assign(statistic="difference")], ignore_index=True)
    display = display.rename(columns={"label": row_label})
    method = s["method"].iloc[0] if len(s) else ""
    all_notes = [f"Responders/subjects (%) [{method} {percent(confidence)} confidence interval], by arm; never pooled "
                 "over arms.", *[n for n in notes if n]]
    return ResultTable(name, title, display, data, all_notes, groupname="Group" if "Group" in display else None)


def claim_table(within: pd.DataFrame, interaction: pd.DataFrame, verdicts: pd.DataFrame, arm: str,
                arms: Sequence[str], name: str, title: str, notes: Sequence[str] = (),
                confidence: float = 0.95) -> ResultTable:
    """The test of the abstract's claim: each arm's favoured groups against the others,
    then (several arms) the treatment-by-group interaction; the row whose test decides
    carries the verdict.

    Parameters
    ----------
    within, interaction, verdicts : DataFrame
        From :func:`helpers.analyses.organ.favoured_groups_test`,
        :func:`~helpers.analyses.organ.group_interaction_test` (empty with one arm) and
        :func:`~helpers.analyses.organ.claim_verdict`.

    Returns
    -------
    ResultTable
        Columns ``Analysis``, ``Favoured groups``, ``Other groups`` (resolved/cases,
        %), ``Estimate (CI)`` (odds ratio; ratio of odds ratios for the interaction),
        ``p``, ``Verdict``. The CSV: one row per analysis with ``analysis``
        (``within`` or ``interaction``), the arm, ``reference`` and the numbers.

    Examples
    --------
    >>> w = pd.DataFrame({"TRT01A": ["A"], "favoured_resolved": [9], "favoured_n": [10], "other_resolved": [2],
    ...                   "other_n": [10], "odds_ratio": [36.0], "ci_low": [3.4], "ci_high": [380.2],
    ...                   "p_val": [0.003], "reason": ["tested"], "method": ["logistic GEE, exchangeable"]})
    >>> v = pd.DataFrame({"arm": ["A"], "reference": [None], "design": ["within"], "verdict": ["supported"]})
    >>> claim_table(w, pd.DataFrame(), v, "TRT01A", ["A"], "c", "C").display.iloc[0].tolist()
    ['A: favoured groups against the others', '9/10 (90.0%)', '2/10 (20.0%)', '36.00 (3.40 to 380.20)', '0.003', 'supported']
    """
    decided = {(str(r["arm"]), r["design"]): organ_words.VERDICTS[r["verdict"]] for _, r in verdicts.iterrows()}
    several = len(arms) > 1 and len(interaction) > 0

    def rate(x, n):
        return f"{int(x)}/{int(n)} ({words.percent_of(x / n)})" if n else "0/0"

    shown, data = [], []
    for a in arms:
        w = within[within[arm].astype("str") == str(a)].iloc[0]
        tested = w["reason"] == "tested"
        shown.append({
            "Analysis": f"{a}: favoured groups against the others",
            "Favoured groups": rate(w["favoured_resolved"], w["favoured_n"]),
            "Other groups": rate(w["other_resolved"], w["other_n"]),
            f"Estimate ({percent(confidence)} CI)": format_estimate_ci(w["odds_ratio"], w["ci_low"], w["ci_high"])
            if tested else "not tested",
            "p": format_p(w["p_val"]),
            "Verdict": "" if several else decided.get((str(a), "within"), ""),
        })
        data.append({"analysis": "within", "arm": a, "reference": None, **{k: w[k] for k in w.index if k != arm}})
    for _, x in (interaction.iterrows() if several else ()):
        tested = x["reason"] == "tested"
        shown.append({
            "Analysis": f"{x['arm']} against {x['reference']}: treatment-by-group interaction (ratio of odds ratios)",
            "Favoured groups": "", "Other groups": "",
            f"Estimate ({percent(confidence)} CI)": format_estimate_ci(x["ratio"], x["ci_low"], x["ci_high"])
            if tested else "not tested",
            "p": format_p(x["p_val"]),
            "Verdict": decided.get((str(x["arm"]), "interaction"), ""),
        })
        data.append({"analysis": "interaction", **x.to_dict()})
    method = ("Odds ratios: logistic GEE clustered on subject, exchangeable working correlation, robust standard "
              "errors; the interaction is the ratio of an arm's odds ratio to the reference arm's.")
    decides = ("The verdict is that of the treatment-by-group interaction: a pattern the reference arm shows as well "
               "is not the treatment's doing." if several else "The verdict is that of the within-arm test (one arm).")
    return ResultTable(name, title, pd.DataFrame(shown), pd.DataFrame(data), [method, decides, *[n for n in notes if n]])


# ---------------------------------------------------------------------------------------
# figures


def forest_rows(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """Rows for a forest plot from a by-arm summary of items (domains, manifestations,
    subgroups): one row per item and arm (the arm named in ``row`` only when there are
    several), ``series`` (the arm, or ``All``) and an ``x/n`` annotation ``annot``.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.organ.summarize_resolution` or
        :func:`helpers.analyses.organ.response_by_subgroup`: the arm, ``PARAMCD``,
        ``responders``, ``n``, the rate and its interval. Rows of other arms (a pooled
        total) are left out.

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": ["A", "B", "Total"], "PARAMCD": "RASH", "responders": [1, 2, 3], "n": [2, 4, 6]})
    >>> forest_rows(s, "TRT01A", ["A", "B"])[["row", "series", "annot"]].values.tolist()
    [['Malar or other lupus rash (A)', 'A', '1/2'], ['Malar or other lupus rash (B)', 'B', '2/4']]
    """
    rows = summary[summary[arm].isin(list(arms))].copy()
    several = len(arms) > 1
    label = rows["PARAMCD"].astype("str").map(words.item_label)
    rows["row"] = label + (" (" + rows[arm].astype("str") + ")" if several else "")
    rows["series"] = rows[arm] if several else "All"
    rows["annot"] = rows["responders"].astype(str) + "/" + rows["n"].astype(str)
    return rows.reset_index(drop=True)


def manifestation_forest_rows(summary: pd.DataFrame, arm: str, arms: Sequence[str]) -> pd.DataFrame:
    """:func:`forest_rows` for manifestations, with ``kind`` telling the groups the
    abstract singled out from the others (the marker of the forest plot).

    Examples
    --------
    >>> s = pd.DataFrame({"TRT01A": "A", "PARAMCD": ["RASH", "ALOPEC"], "responders": [1, 0], "n": [2, 1],
    ...                   "favoured": [True, False]})
    >>> manifestation_forest_rows(s, "TRT01A", ["A"])["kind"].tolist()
    ['skin, haematological, fever', 'other']
    """
    rows = forest_rows(summary, arm, arms)
    rows["kind"] = rows["favoured"].map({True: organ_words.FAVOURED_KIND, False: organ_words.OTHER_KIND})
    return rows


def manifestation_figure(summary: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95):
    """Resolution of each manifestation per arm, a forest plot whose markers tell the
    groups the abstract singled out from the others.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.analyses.organ.summarize_resolution` on manifestations.
    """
    return forest_figure(manifestation_forest_rows(summary, arm, arms), "row", group="kind", annotate="annot",
                         xlabel=f"Resolved, % ({percent(confidence)} CI)")


def subgroup_figure(subgroups: pd.DataFrame, arm: str, arms: Sequence[str], confidence: float = 0.95,
                    what: str = "SRI-4 responders"):
    """Response in all subjects and by subgroup, a forest plot (one marker per arm with
    several arms).

    Parameters
    ----------
    subgroups : DataFrame
        From :func:`helpers.analyses.organ.response_by_subgroup`.
    """
    return forest_figure(forest_rows(subgroups, arm, arms), "row", group="series" if len(arms) > 1 else None,
                         annotate="annot", xlabel=f"{what}, % ({percent(confidence)} CI)")


def _binned(matrix: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, bool]:
    """``matrix`` with consecutive rows averaged into ``max_rows`` bins when it has more."""
    if len(matrix) <= max_rows:
        return matrix, False
    bins = np.array_split(np.arange(len(matrix)), max_rows)
    return pd.DataFrame([matrix.iloc[b].mean() for b in bins], index=[f"{b[0] + 1}-{b[-1] + 1}" for b in bins]), True


def heatmap_figure(
    matrix: pd.DataFrame, xlabel: str = "Week", ylabel: str = "Subject", cbar_label: str = "", max_rows: int = 80,
    cmap: str = "rocket_r", column_labels: Mapping | None = None,
):
    """A heatmap of a subjects-by-visits matrix; more rows than ``max_rows`` are binned.

    Parameters
    ----------
    matrix : DataFrame
        Index subjects (in the order to show), columns visits, cells numbers.
    max_rows : int
        With more subjects, consecutive subjects (in the given order) are averaged into
        ``max_rows`` bins, and the y axis says so.
    column_labels : mapping, optional
        Column -> the label the x axis shows (e.g. week -> visit name).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if column_labels is not None:
        matrix = matrix.rename(columns=lambda c: column_labels.get(c, c))
    data, binned = _binned(matrix, max_rows)
    if binned:
        ylabel = f"{ylabel}s, binned ({len(matrix):,} in {max_rows} rows, mean)"
    with style():
        height = min(12, 0.16 * len(data) + 1.5)
        fig, ax = plt.subplots(figsize=(7, height))
        sns.heatmap(data, ax=ax, cmap=cmap, cbar_kws={"label": cbar_label}, yticklabels=len(data) <= 60, linewidths=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.tick_params(axis="y", labelsize=6)
        fig.tight_layout()
    return fig


def activity_figure(
    matrix: pd.DataFrame, arms: Sequence[str], xlabel: str = "Week", ylabel: str = "Subject", cbar_label: str = "",
    max_rows: int = 80, cmap: str = "rocket_r", column_labels: Mapping | None = None,
):
    """Subjects by visits, one heatmap panel per arm on one colour scale (one arm: as
    :func:`heatmap_figure`); an arm with more than ``max_rows`` subjects is binned on its
    own, never with another arm's subjects.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`helpers.analyses.organ.activity_matrix`: index (arm, ``USUBJID``),
        columns visits.
    arms : sequence of str
        The panels, left to right.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if len(arms) == 1:
        return heatmap_figure(matrix.droplevel(0), xlabel, ylabel, cbar_label, max_rows, cmap, column_labels)
    if column_labels is not None:
        matrix = matrix.rename(columns=lambda c: column_labels.get(c, c))
    values = matrix.to_numpy(float)
    vmin, vmax = (float(np.nanmin(values)), float(np.nanmax(values))) if np.isfinite(values).any() else (0.0, 1.0)
    panels = []
    for a in arms:
        part = matrix.xs(a, level=0) if a in matrix.index.get_level_values(0) else matrix.iloc[:0].droplevel(0)
        data, binned = _binned(part, max_rows)
        panels.append((a, part, data, binned))
    with style():
        height = min(12, 0.16 * max(len(p[2]) for p in panels) + 1.8)
        fig, axes = plt.subplots(1, len(arms), figsize=(4 * len(arms) + 1, height), squeeze=False)
        for i, (ax, (a, part, data, binned)) in enumerate(zip(axes[0], panels, strict=True)):
            last = i == len(panels) - 1
            if len(data):
                sns.heatmap(data, ax=ax, cmap=cmap, vmin=vmin, vmax=vmax, cbar=last,
                            cbar_kws={"label": cbar_label} if last else None, yticklabels=len(data) <= 60, linewidths=0)
            ax.set_title(f"{a} (n = {len(part)})", fontsize=10)
            ax.set_xlabel(xlabel)
            label = f"{ylabel}s, binned ({len(part):,} in {max_rows} rows, mean)" if binned else ylabel
            ax.set_ylabel(label if i == 0 or binned else "")
            ax.tick_params(axis="y", labelsize=6)
        fig.tight_layout()
    return fig



# ---------------------------------------------------------------------------------------
# lupus nephritis and manifestations by visit


def renal_table(subgroup: pd.DataFrame, summary: pd.DataFrame, comparison: pd.DataFrame, arm: str,
                arms: Sequence[str], visit_labels: Mapping[int, str], name: str, title: str,
                notes: Sequence[str] = (), confidence: float = 0.95, baseline_week: int = 0) -> ResultTable:
    """Lupus nephritis at baseline and renal remission at each reported week, per arm,
    with each arm's difference from the reference and the named test's p-value.

    Parameters
    ----------
    subgroup : DataFrame
        From :func:`helpers.analyses.renal.summarize_subgroup`.
    summary : DataFrame
        From :func:`helpers.analyses.renal.summarize_renal_response`.
    comparison : DataFrame
        From :func:`helpers.analyses.renal.renal_verdicts` (empty with one arm).
    visit_labels : mapping
        AVISITN -> label.

    Returns
    -------
    ResultTable
        Rows: the subgroup (``n/N (%)`` of the arm), then each week and response
        (``x/n (%) [CI]`` of the subgroup); columns: one per arm, then per compared arm
        the difference in percentage points with its interval and the p-value. The CSV:
        the tidy rows (``statistic`` ``subgroup``, ``rate`` or ``difference``).

    Examples
    --------
    >>> g = pd.DataFrame({"ARM": ["A", "B"], "n": [13, 12], "subjects": [29, 30], "rate": [0.45, 0.4]})
    >>> s = pd.DataFrame({"ARM": ["A", "B"], "AVISITN": 24, "response": "complete", "responders": [7, 2],
    ...                   "n": [13, 12], "rate": [7 / 13, 2 / 12], "ci_low": [0.25, 0.02], "ci_high": [0.81, 0.48],
    ...                   "method": "Clopper-Pearson"})
    >>> c = pd.DataFrame({"arm": ["A"], "reference": ["B"], "AVISITN": [24], "response": ["complete"],
    ...                   "estimate": [0.3718], "ci_low": [-0.013], "ci_high": [0.6611], "test": ["fisher"],
    ...                   "p_val": [0.0968], "method": ["Miettinen-Nurminen interval; Fisher's exact test"]})
    >>> renal_table(g, s, c, "ARM", ["A", "B"], {24: "Week 24"}, "t", "T").display.values.tolist()[1]
    ['Complete remission, Week 24', '7/13 (53.8%) [25.0-81.0]', '2/12 (16.7%) [2.0-48.0]', '37.2 (-1.3 to 66.1)', '0.097']
    """
    rows, data = [], []
    label0 = organ_words.renal_row_label("subgroup", visit_labels.get(baseline_week, ""))
    first = {"Row": label0}
    for _, r in subgroup.iterrows():
        first[str(r[arm])] = f"{int(r['n'])}/{int(r['subjects'])} ({format_number(100 * r['rate'], 1)}%)" \
            if r["subjects"] else "0/0"
        data.append({arm: r[arm], "statistic": "subgroup", "label": label0, "responders": int(r["n"]),
                     "n": int(r["subjects"]), "rate": r["rate"]})
    rows.append(first)
    compared = [] if comparison is None or not len(comparison) else \
        list(dict.fromkeys(zip(comparison["arm"], comparison["reference"], strict=True)))
    diff_col = {(a, ref): _difference_column(a, ref) for a, ref in compared}
    tests = [] if not compared else list(dict.fromkeys(comparison["test"]))
    p_col = {(a, ref): f"p, {a} vs {ref}" for a, ref in compared}
    for (w, code), part in summary.groupby(["AVISITN", "response"], sort=False):
        label = organ_words.renal_row_label(code, visit_labels.get(int(w), f"week {int(w)}"))
        row = {"Row": label}
        for _, r in part.iterrows():
            row[str(r[arm])] = format_rate_ci(int(r["responders"]), int(r["n"]), r["ci_low"], r["ci_high"]) \
                if r["n"] else "0/0"
            data.append({**{k: r[k] for k in part.columns}, "statistic": "rate", "label": label})
        if compared:
            here = comparison[(comparison["AVISITN"] == w) & (comparison["response"] == code)]
            for _, c in here.iterrows():
                key = (c["arm"], c["reference"])
                row[diff_col[key]] = format_estimate_ci(100 * c["estimate"], 100 * c["ci_low"], 100 * c["ci_high"], 1) \
                    if not pd.isna(c["estimate"]) else organ_words.NOT_COMPARED
                row[p_col[key]] = format_p(c["p_val"])
                data.append({**{k: c[k] for k in here.columns}, "statistic": "difference", "label": label})
        rows.append(row)
    columns = ["Row", *[str(a) for a in arms]]
    for key in compared:
        columns += [diff_col[key], p_col[key]]
    display = pd.DataFrame(rows, columns=columns).fillna("")
    method = summary["method"].iloc[0] if len(summary) else ""
    all_notes = [f"Subjects in remission/subjects with lupus nephritis at baseline (%) [{method} "
                 f"{percent(confidence)} confidence interval], by arm; a subject without the values needed at a week "
                 "counts as not in remission."]
    if compared:
        all_notes.append(organ_words.renal_comparison_note(tests, confidence))
    all_notes += [n for n in notes if n]
    return ResultTable(name, title, display.rename(columns={"Row": ""}), pd.DataFrame(data), all_notes)


def manifestation_table(table: pd.DataFrame, differences: pd.DataFrame | None, arms: Sequence[str],
                        visit_labels: Mapping[int, str], name: str, title: str,
                        notes: Sequence[str] = ()) -> ResultTable:
    """Table 2's manifestations by visit in the paper's layout: n (%) per arm and week,
    the within-arm p-values as published and paired, the between-arm differences
    (:func:`helpers.present.paper_tables.paper_layout_table`, with the manifestations'
    row names).

    Parameters
    ----------
    table : DataFrame
        From :func:`helpers.analyses.organ.manifestations_by_visit`.
    differences : DataFrame or None
        From :func:`helpers.analyses.organ.manifestation_differences`.

    Examples
    --------
    >>> t = pd.DataFrame({"PARAMCD": "manif_rash", "descriptor": "RASH", "kind": "binary", "arm": "X",
    ...                   "AVISITN": [0, 12], "n": [13, 2], "subjects": [29, 29], "pct": [44.8, 6.9],
    ...                   "published_test": [None, "fisher_independent"], "p_published": [None, 0.002],
    ...                   "paired_test": [None, "mcnemar_exact"], "p_paired": [None, 0.002]})
    >>> manifestation_table(t, None, ["X"], {0: "Baseline", 12: "Week 12"}, "m", "M").display.values.tolist()[0]
    ['Rash', 'n (%)', '13 (44.83)', '2 (6.90)']
    """
    from helpers.present.paper_tables import paper_layout_table

    labels = {code: organ_words.manifestation_label(desc)
              for code, desc in zip(table["PARAMCD"], table["descriptor"], strict=True)}
    return paper_layout_table(table, differences, arms, visit_labels, labels, name, title,
                              notes=[organ_words.manifestation_counting_note(), *[n for n in notes if n]])
