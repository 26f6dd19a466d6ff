"""The generic labs chapter's tables, listing, figure and glued values.

Builders take the tidy frames of :mod:`helpers.analyses.labs` and return
:class:`~helpers.present.tables.ResultTable` objects (the display strings from
:mod:`helpers.present.format`, the only rounding) and a matplotlib figure (the eDISH plot
of Hy's law). Every column of a table is one arm, in the config's order: nothing is
pooled across arms.

Glue names (``results.json``; the chapter adds ``@<arm>`` per arm):

- ``labs_n_tests``, ``labs_n_criteria``: tests measured and derived criteria in the table;
- ``labs_subjects_<code>``: subjects with a result of a test (code in lower case);
- ``labs_abnormal_<code>``: subjects whose worst post-baseline category is outside the
  normal range (``LOW``, ``HIGH`` or both);
- ``labs_criterion_<code>``: subjects meeting a derived criterion after baseline, and
  ``labs_criterion_<code>_n`` those assessed;
- ``labs_hys_law``: subjects in the Hy's law quadrant of the eDISH plot, and
  ``labs_hys_law_n`` those with both peaks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from helpers.analyses.labs import HYS_LAW_BILIRUBIN, HYS_LAW_TRANSAMINASE, MISSING
from helpers.errors import require_columns
from helpers.present.format import format_n_pct, format_number
from helpers.present.tables import ResultTable, spread_by_arm

#: Row labels of the normal-range categories.
CATEGORY_LABELS: dict[str, str] = {"LOW": "Low", "NORMAL": "Normal", "HIGH": "High", "LOW and HIGH": "Low and high",
                                   MISSING: "Missing"}


def _digits(values: pd.Series) -> int:
    """Decimals for a test's values: enough to tell its typical values apart."""
    v = values.dropna().abs()
    if not len(v):
        return 1
    med = float(v.median())
    return 0 if med >= 100 else 1 if med >= 10 else 2 if med >= 0.1 else 3


def summary_table(summary: pd.DataFrame, arm: str, arms: Sequence[str], visit_labels: Mapping[int, str],
                  name: str = "labs-summary", title: str = "Laboratory tests: values and change from baseline by visit",
                  notes: Sequence[str] = ()) -> ResultTable:
    """Mean (SD), median [Q1, Q3] and the change from baseline of each test by visit and
    arm (from :func:`helpers.analyses.labs.summarize_lab_by_visit`); rows grouped by test.

    Examples
    --------
    >>> s = pd.DataFrame({"PARAMCD": "ALT", "PARAM": "ALT (U/L)", "AVISITN": [0, 2], "ARM": "A", "n": [2, 2],
    ...                   "mean": [15.0, 22.0], "sd": [7.07, 11.3], "median": [15.0, 22.0], "q1": [12.5, 18.0],
    ...                   "q3": [17.5, 26.0], "chg_n": [None, 2], "chg_mean": [None, 7.0], "chg_sd": [None, 4.2]})
    >>> summary_table(s, "ARM", ["A"], {0: "Baseline", 2: "Week 2"}).display["A"].tolist()
    ['n = 2; 15.0 (7.1); 15.0 [12.5, 17.5]', 'n = 2; 22.0 (11.3); 22.0 [18.0, 26.0]; change 7.0 (4.2), n = 2']
    """
    require_columns(summary, ["PARAMCD", "PARAM", "AVISITN", arm, "n", "mean", "sd", "median", "q1", "q3"],
                    "summary_table", "summary")
    rows = []
    for _code, grp in summary.groupby("PARAMCD", sort=False):
        k = _digits(grp["median"])
        for r in grp.to_dict("records"):
            cell = (f"n = {int(r['n'])}; {format_number(r['mean'], k)} ({format_number(r['sd'], k)}); "
                    f"{format_number(r['median'], k)} [{format_number(r['q1'], k)}, {format_number(r['q3'], k)}]")
            chg_n = r.get("chg_n")
            if chg_n is not None and pd.notna(chg_n) and chg_n > 0:
                cell += f"; change {format_number(r['chg_mean'], k)} ({format_number(r['chg_sd'], k)}), n = {int(chg_n)}"
            rows.append({"Test": r["PARAM"], "Visit": visit_labels.get(r["AVISITN"], f"Week {r['AVISITN']}"),
                         arm: r[arm], "cell": cell})
    tidy = pd.DataFrame(rows, columns=["Test", "Visit", arm, "cell"])
    display = spread_by_arm(tidy, ["Test", "Visit"], arm, "cell", arms)
    return ResultTable(name, title, display, summary.reset_index(drop=True),
                       ["n; mean (SD); median [Q1, Q3] of the value; after baseline, the mean (SD) change from "
                        "baseline in the subjects with both values. A subject missing a test at a visit is left out "
                        "of that visit's summary only.", *notes], rowname="Visit", groupname="Test")


def shift_table(shift: pd.DataFrame, arm: str, arms: Sequence[str], name: str = "labs-shift",
                title: str = "Shift from the baseline normal-range category to the worst after baseline",
                notes: Sequence[str] = ()) -> ResultTable:
    """Subjects by baseline category (rows) and worst post-baseline category (columns
    within each arm), per test (from :func:`helpers.analyses.labs.summarize_shift`); cells
    are n (% of the arm's subjects with the test), zeros shown.

    Examples
    --------
    >>> s = pd.DataFrame({"PARAMCD": "ALT", "PARAM": "ALT", "ARM": "A", "base_cat": "NORMAL",
    ...                   "worst_cat": ["NORMAL", "HIGH"], "n": [3, 1], "n_arm": 4})
    >>> shift_table(s, "ARM", ["A"]).display.columns.tolist()
    ['Test', 'Baseline', 'A: Normal', 'A: High']
    """
    require_columns(shift, ["PARAMCD", "PARAM", arm, "base_cat", "worst_cat", "n", "n_arm"], "shift_table", "shift")
    x = shift[shift[arm].isin(list(arms))].copy()
    x["column"] = x[arm].astype("str") + ": " + x["worst_cat"].map(CATEGORY_LABELS)
    x["cell"] = [format_n_pct(int(n), int(t)) for n, t in zip(x["n"], x["n_arm"], strict=True)]
    x["Baseline"] = x["base_cat"].map(CATEGORY_LABELS)
    x["Test"] = x["PARAM"]
    columns = list(dict.fromkeys(x["column"]))
    wide = x.pivot_table(index=["Test", "Baseline"], columns="column", values="cell", aggfunc="first", sort=False)
    order = x[["Test", "Baseline"]].drop_duplicates()
    display = order.merge(wide.reindex(columns=columns).reset_index(), on=["Test", "Baseline"], how="left")
    display.columns.name = None
    spanners = {a: [c for c in columns if c.startswith(f"{a}: ")] for a in arms}
    return ResultTable(name, title, display.fillna("0"), shift.reset_index(drop=True),
                       ["Worst after baseline: low or high at any post-baseline visit (both: low and high); normal "
                        "when every value was within range; missing without a categorised value. Percentages of "
                        "the arm's subjects with the test.", *notes],
                       rowname="Baseline", groupname="Test", spanners={k: v for k, v in spanners.items() if v})


def grade_shift_table(shift: pd.DataFrame, arm: str, arms: Sequence[str], name: str = "labs-grade-shift",
                      title: str = "Shift from the baseline CTCAE grade to the worst grade after baseline",
                      notes: Sequence[str] = ()) -> ResultTable:
    """Subjects by baseline grade and worst post-baseline grade, per test and arm (from
    :func:`helpers.analyses.labs.summarize_grade_shift`)."""
    require_columns(shift, ["PARAMCD", "PARAM", arm, "base_grade", "worst_grade", "n"], "grade_shift_table", "shift")
    if not len(shift):
        return ResultTable(name, title, pd.DataFrame(), shift.iloc[:0], list(notes))
    x = shift[shift[arm].isin(list(arms))].copy()
    x["column"] = x[arm].astype("str") + ": grade " + x["worst_grade"].astype("str")
    x["Baseline"] = "Grade " + x["base_grade"].astype("str")
    x["Test"] = x["PARAM"]
    x["cell"] = x["n"].astype(int).astype("str")
    columns = list(dict.fromkeys(x["column"]))
    wide = x.pivot_table(index=["Test", "Baseline"], columns="column", values="cell", aggfunc="first", sort=False)
    order = x[["Test", "Baseline"]].drop_duplicates()
    display = order.merge(wide.reindex(columns=columns).reset_index(), on=["Test", "Baseline"], how="left")
    display.columns.name = None
    return ResultTable(name, title, display.fillna("0"), shift.reset_index(drop=True),
                       ["Worst grade: the highest CTCAE grade after baseline; subjects.", *notes],
                       rowname="Baseline", groupname="Test")


def criteria_table(criteria: pd.DataFrame, arm: str, arms: Sequence[str], name: str = "labs-criteria",
                   title: str = "Derived criteria: subjects meeting each", notes: Sequence[str] = ()) -> ResultTable:
    """Derived 0/1 criteria as n (%) of the subjects assessed, at baseline and at any
    visit after it (from :func:`helpers.analyses.labs.summarize_criteria`).

    Examples
    --------
    >>> c = pd.DataFrame({"PARAMCD": "HYLAW", "PARAM": "Hy's law", "ARM": "A", "period": ["baseline", "post"],
    ...                   "n": [2, 2], "n_met": [0, 1], "pct": [0.0, 50.0]})
    >>> criteria_table(c, "ARM", ["A"]).display.to_dict("list")
    {'Criterion': ["Hy's law", "Hy's law"], 'When': ['Baseline', 'Any visit after baseline'], 'A': ['0 (0.0%)', '1 (50.0%)']}
    """
    require_columns(criteria, ["PARAM", arm, "period", "n", "n_met"], "criteria_table", "criteria")
    if not len(criteria):
        return ResultTable(name, title, pd.DataFrame(), criteria.iloc[:0], list(notes))
    x = criteria[criteria[arm].isin(list(arms))].copy()
    x["Criterion"] = x["PARAM"]
    x["When"] = x["period"].map({"baseline": "Baseline", "post": "Any visit after baseline"})
    x["cell"] = [format_n_pct(int(m), int(n)) for m, n in zip(x["n_met"], x["n"], strict=True)]
    display = spread_by_arm(x, ["Criterion", "When"], arm, "cell", arms)
    return ResultTable(name, title, display, criteria.reset_index(drop=True),
                       ["Subjects meeting the criterion at least once (% of those assessed); a derived criterion "
                        "(PARAMTYP = DERIVED) is a flag, counted, never averaged.", *notes])


def quadrant_table(quadrants: pd.DataFrame, arm: str, arms: Sequence[str], name: str = "labs-hys-law",
                   title: str = "Peak transaminase and bilirubin after baseline (eDISH quadrants)",
                   notes: Sequence[str] = ()) -> ResultTable:
    """Subjects per eDISH quadrant and arm (from
    :func:`helpers.analyses.labs.count_liver_quadrants`)."""
    require_columns(quadrants, ["quadrant", arm, "n", "n_arm"], "quadrant_table", "quadrants")
    if int(quadrants['n'].sum()) == 0:
        return ResultTable(name, title, pd.DataFrame(), quadrants.iloc[:0], list(notes))
    x = quadrants[quadrants[arm].isin(list(arms))].copy()
    x["Quadrant"] = x["quadrant"].map(QUADRANT_LABELS)
    x["cell"] = [format_n_pct(int(n), int(t)) for n, t in zip(x["n"], x["n_arm"], strict=True)]
    display = spread_by_arm(x, ["Quadrant"], arm, "cell", arms)
    return ResultTable(name, title, display, quadrants.reset_index(drop=True),
                       [f"Peak ALT or AST after baseline above {HYS_LAW_TRANSAMINASE:g} x ULN and peak total "
                        f"bilirubin above {HYS_LAW_BILIRUBIN:g} x ULN (FDA 2009 guidance on drug-induced liver "
                        "injury); the peaks need not be on the same day. Subjects with both tests after baseline.",
                        *notes])


#: Labels of the eDISH quadrants.
QUADRANT_LABELS: dict[str, str] = {
    "normal": f"Neither above its limit (transaminase up to {HYS_LAW_TRANSAMINASE:g} x ULN, bilirubin up to "
              f"{HYS_LAW_BILIRUBIN:g} x ULN)",
    "hyperbilirubinaemia": f"Bilirubin above {HYS_LAW_BILIRUBIN:g} x ULN only",
    "Temple's corollary": f"Transaminase above {HYS_LAW_TRANSAMINASE:g} x ULN only (Temple's corollary)",
    "Hy's law": "Both (potential Hy's law)",
}


def abnormal_listing(listing: pd.DataFrame, arm: str, visit_labels: Mapping[int, str],
                     name: str = "labs-abnormal", title: str = "Values outside the normal range after baseline"
                     ) -> ResultTable:
    """The subject-level listing of abnormal values (from
    :func:`helpers.analyses.labs.list_abnormal`), for :meth:`helpers.chapter.Chapter.listing`;
    each test's values and baseline with the decimals its own values need.

    Examples
    --------
    >>> x = pd.DataFrame({"USUBJID": ["1", "2"], "ARM": "A", "PARAM": ["ALT (U/L)", "BILI (mg/dL)"],
    ...                   "AVISITN": [2, 2], "AVAL": [150.0, 2.345], "LBLO": [7.0, 0.1], "LBHI": [40.0, 1.2],
    ...                   "ANRIND": "HIGH", "BASE": [30.0, 0.8]})
    >>> abnormal_listing(x, "ARM", {2: "Week 2"}).display[["Value", "Baseline"]].values.tolist()
    [['150', '30'], ['2.35', '0.80']]
    """
    require_columns(listing, ["USUBJID", arm, "PARAM", "AVISITN", "AVAL", "LBLO", "LBHI", "ANRIND", "BASE"],
                    "abnormal_listing", "listing")
    # Each test's decimals from its own values, found once per test (not once per row).
    digits = listing["PARAM"].astype("str").map(
        {test: _digits(values) for test, values in listing.groupby(listing["PARAM"].astype("str"))["AVAL"]})
    display = pd.DataFrame({
        "Subject": listing["USUBJID"].astype("str"), "Arm": listing[arm].astype("str"),
        "Test": listing["PARAM"].astype("str"),
        "Visit": listing["AVISITN"].map(lambda w: visit_labels.get(w, f"Week {w}")),
        "Value": [format_number(v, k) for v, k in zip(listing["AVAL"], digits, strict=True)],
        "Normal range": [f"{format_number(lo, 1)} to {format_number(hi, 1)}" for lo, hi in
                         zip(listing["LBLO"], listing["LBHI"], strict=True)],
        "Category": listing["ANRIND"].map(CATEGORY_LABELS),
        "Baseline": [format_number(v, k) for v, k in zip(listing["BASE"], digits, strict=True)],
    })
    return ResultTable(name, title, display, listing.reset_index(drop=True))


def hys_law_figure(peaks: pd.DataFrame, arm: str, arms: Sequence[str]):
    """The eDISH plot: each subject's peak total bilirubin against peak ALT or AST after
    baseline, both as multiples of the ULN on log axes, with the Hy's law limits (one
    panel per arm, never pooled; an arm without both tests says so in its panel)."""
    import textwrap

    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from helpers.present.figures import arm_styles, style

    styles = arm_styles(arms)
    values = peaks[["transaminase_xuln", "bili_xuln"]].to_numpy().ravel() if len(peaks) else []
    top = max([10.0, *(1.5 * float(v) for v in values if v == v)])
    ticks = [t for t in (0.1, 0.3, 1, 3, 10, 30, 100) if t <= top]
    with style():
        fig, axes = plt.subplots(1, len(arms), figsize=(2.6 * len(arms) + 0.6, 3.0), sharex=True, sharey=True,
                                 squeeze=False)
        for ax, a in zip(axes[0], arms, strict=True):
            sub = peaks[peaks[arm] == a]
            if len(sub):
                sns.scatterplot(data=sub, x="transaminase_xuln", y="bili_xuln", ax=ax, color=styles[a]["color"],
                                marker=styles[a]["marker"], s=14, edgecolor="none", alpha=0.7)
            else:
                ax.text(0.5, 0.5, "no ALT or AST with\ntotal bilirubin", transform=ax.transAxes, ha="center",
                        va="center", fontsize=8, color="0.3")
            ax.axvline(HYS_LAW_TRANSAMINASE, color="0.4", linestyle="--", linewidth=0.8)
            ax.axhline(HYS_LAW_BILIRUBIN, color="0.4", linestyle="--", linewidth=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(0.05, top)
            ax.set_ylim(0.05, top)
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_locator(FixedLocator(ticks))
                axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                axis.set_minor_locator(NullLocator())
            ax.set_title("\n".join([*textwrap.wrap(str(a), 24), f"(n = {len(sub)})"]), fontsize=8)
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.tick_params(labelsize=7)
        fig.supxlabel("Peak ALT or AST after baseline, x ULN", fontsize=8)
        fig.supylabel("Peak total bilirubin, x ULN", fontsize=8)
        fig.tight_layout()
    return fig


def glue_names(counts: pd.DataFrame, shift: pd.DataFrame, criteria: pd.DataFrame, quadrants: pd.DataFrame,
               arm: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per arm with the chapter's glued counts (see the module docstring), and the
    glue names (name -> column), for :meth:`helpers.chapter.Chapter.glue_frame` (``by=arm``:
    each value is glued as ``<name>@<arm>``).

    Examples
    --------
    >>> counts = pd.DataFrame({"PARAMCD": ["ALT"], "criterion": [False], "ARM": ["A"], "n_subjects": [3]})
    >>> shift = pd.DataFrame({"PARAMCD": "ALT", "ARM": "A", "worst_cat": ["NORMAL", "HIGH"], "n": [2, 1]})
    >>> empty = pd.DataFrame(columns=["PARAMCD", "ARM", "period", "n", "n_met"])
    >>> frame, names = glue_names(counts, shift, empty, pd.DataFrame(columns=["quadrant", "ARM", "n", "n_arm"]), "ARM")
    >>> frame.to_dict("records"), names
    ([{'ARM': 'A', 'subjects_alt': 3, 'abnormal_alt': 1}], {'labs_subjects_alt': 'subjects_alt', 'labs_abnormal_alt': 'abnormal_alt'})
    """
    parts = []
    sub = counts.assign(col="subjects_" + counts["PARAMCD"].str.lower())
    parts.append(sub.pivot_table(index=arm, columns="col", values="n_subjects", aggfunc="first", sort=False))
    measured = set(counts.loc[~counts["criterion"].astype(bool), "PARAMCD"])
    ab = shift[shift["PARAMCD"].isin(measured) & shift["worst_cat"].isin(["LOW", "HIGH", "LOW and HIGH"])]
    if len(ab):
        ab = ab.groupby(["PARAMCD", arm], sort=False)["n"].sum().reset_index()
        ab["col"] = "abnormal_" + ab["PARAMCD"].str.lower()
        parts.append(ab.pivot_table(index=arm, columns="col", values="n", aggfunc="first", sort=False))
    post = criteria[criteria["period"] == "post"] if len(criteria) else criteria
    if len(post):
        met = post.assign(col="criterion_" + post["PARAMCD"].str.lower())
        parts.append(met.pivot_table(index=arm, columns="col", values="n_met", aggfunc="first", sort=False))
        parts.append(met.assign(col=met["col"] + "_n").pivot_table(index=arm, columns="col", values="n",
                                                                   aggfunc="first", sort=False))
    if len(quadrants) and int(quadrants["n"].sum()) > 0:
        hy = quadrants[quadrants["quadrant"] == "Hy's law"].set_index(arm)
        parts.append(pd.DataFrame({"hys_law": hy["n"], "hys_law_n": hy["n_arm"]}))
    frame = pd.concat(parts, axis=1)
    frame.index.name = arm
    frame = frame.reset_index()
    frame.columns.name = None
    for c in frame.columns[1:]:
        frame[c] = frame[c].astype(int)
    return frame, {f"labs_{c}": c for c in frame.columns if c != arm}


def visit_names(labs: pd.DataFrame, labels: Mapping[int, str], baseline_week: int = 0) -> dict[int, str]:
    """A label for every visit of the lab table: the schedule's (``cohort.yml``), else
    ``AVISIT`` as the export writes it, else "Baseline" and "Week <n>".

    Examples
    --------
    >>> visit_names(pd.DataFrame({"AVISITN": [0, 2]}), {})
    {0: 'Baseline', 2: 'Week 2'}
    >>> visit_names(pd.DataFrame({"AVISITN": [0, 2], "AVISIT": ["Day 1", "Week 2"]}), {0: "Week 0"})
    {0: 'Week 0', 2: 'Week 2'}
    """
    out = {}
    pairs = labs[["AVISITN", "AVISIT"]].drop_duplicates("AVISITN") if "AVISIT" in labs else labs[["AVISITN"]].drop_duplicates()
    for r in pairs.to_dict("records"):
        w = int(r["AVISITN"])
        given = str(r.get("AVISIT") or "").strip()
        out[w] = labels.get(w) or given or ("Baseline" if w == baseline_week else f"Week {w}")
    return dict(sorted(out.items()))


def tables_present(*tables: ResultTable) -> list[ResultTable]:
    """The tables that hold a row of data, for a chapter to show in a loop: a section
    whose data the export does not carry (no derived criteria, no CTCAE grades, no liver
    tests) shows no empty table.

    Examples
    --------
    >>> full = ResultTable("a", "A", pd.DataFrame({"x": [1]}))
    >>> empty = ResultTable("b", "B", pd.DataFrame({"x": []}))
    >>> [t.name for t in tables_present(full, empty)]
    ['a']
    """
    return [t for t in tables if t is not None and len(t.data)]


def population_name(config, kind: str) -> str:
    """A population's name on the page: its ``label`` in ``cohort.yml``, else its key
    (``safety``, ``efficacy``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> population_name(SimpleNamespace(population_labels={"efficacy": "intention-to-treat"}), "efficacy")
    'intention-to-treat'
    >>> population_name(SimpleNamespace(population_labels={}), "safety")
    'safety'
    """
    return config.population_labels.get(kind) or kind
