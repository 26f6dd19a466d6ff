"""Figures as a page shows them. Each function returns a matplotlib ``Figure``.

Figures stay readable and cheap at any cohort size: above ``individual_max`` subjects
per arm, trajectories show bands (median, quartiles, 10th-90th centiles) instead of one
line per subject, and heatmaps bin subjects into at most ``max_rows`` rows. Colours are
the colour-blind-safe seaborn palette, one per arm, in the config's arm order; nothing
is conveyed by colour alone (arms also differ in marker and line style).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from helpers.present.prose import efficacy as words

MARKERS = ("o", "s", "^", "D", "v", "P")
LINESTYLES = ("-", "--", "-.", ":")


@contextmanager
def style():
    """The house style for a figure: seaborn's white grid, a readable base size."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    with sns.axes_style("whitegrid"), plt.rc_context({"figure.dpi": 110, "savefig.dpi": 110, "font.size": 10}):
        yield


def arm_styles(arms: Sequence[str]) -> dict[str, dict]:
    """Colour, marker and line style for each arm (stable for a given arm order)."""
    import seaborn as sns

    colors = sns.color_palette("colorblind", max(3, len(arms)))
    return {
        a: {"color": colors[i % len(colors)], "marker": MARKERS[i % len(MARKERS)], "linestyle": LINESTYLES[i % len(LINESTYLES)]}
        for i, a in enumerate(arms)
    }


def _weeks_axis(ax, weeks: Sequence[int], label: str = "Week") -> None:
    ax.set_xticks(list(weeks))
    ax.set_xlabel(label)


def response_figure(
    summary: pd.DataFrame, arm: str, arms: Sequence[str], x: str = "AVISITN", ylabel: str = "Responders, % (95% CI)",
    title: str | None = None, primary: int | None = None,
):
    """Response rate by visit with confidence intervals, one line per arm.

    Parameters
    ----------
    summary : DataFrame
        From :func:`helpers.stats.summarize_response` with ``by=[arm, x]``.
    primary : int, optional
        The primary week, marked with a vertical line.
    """
    import matplotlib.pyplot as plt

    styles = arm_styles(arms)
    with style():
        fig, ax = plt.subplots(figsize=(7, 4))
        offsets = np.linspace(-0.15, 0.15, len(arms)) if len(arms) > 1 else [0.0]
        for off, a in zip(offsets, arms, strict=True):
            s = summary[summary[arm] == a].sort_values(x)
            if s.empty:
                continue
            st = styles[a]
            y = 100 * s["rate"].to_numpy(float)
            err = np.vstack([y - 100 * s["ci_low"].to_numpy(float), 100 * s["ci_high"].to_numpy(float) - y])
            ax.errorbar(s[x] + off, y, yerr=err, label=a, capsize=3, color=st["color"], marker=st["marker"], linestyle=st["linestyle"])
        if primary is not None:
            ax.axvline(primary, color="0.4", linewidth=1, linestyle=":")
            ax.annotate("primary", (primary, 2), rotation=90, va="bottom", ha="right", fontsize=8, color="0.3")
        ax.set_ylim(0, 100)
        ax.set_ylabel(ylabel)
        _weeks_axis(ax, sorted(summary[x].unique()))
        if len(arms) > 1:
            ax.legend(title=None, frameon=False)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return fig


def trajectory_figure(
    bds: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    value: str = "AVAL",
    ylabel: str = "",
    individual_max: int = 60,
    log: bool = False,
    reference: float | None = None,
    ax=None,
):
    """Individual trajectories with the median and interquartile band, by arm.

    Parameters
    ----------
    bds : DataFrame
        ``USUBJID``, ``AVISITN``, ``value`` and ``arm``.
    individual_max : int
        Above this many subjects in an arm, individual lines are replaced by a 10th-90th
        centile band, which stays readable (and fast) for any size.
    log : bool
        Logarithmic y axis (for skewed values such as anti-dsDNA).
    reference : float, optional
        A horizontal reference line (e.g. 0 for a change from baseline).
    """
    import matplotlib.pyplot as plt

    styles = arm_styles(arms)
    data = bds.dropna(subset=[value])
    with style():
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        for a in arms:
            d = data[data[arm] == a]
            if d.empty:
                continue
            st = styles[a]
            n_subj = d["USUBJID"].nunique()
            if n_subj <= individual_max:
                wide = d.pivot_table(index="AVISITN", columns="USUBJID", values=value, aggfunc="first", observed=True)
                ax.plot(wide.index, wide.to_numpy(), color=st["color"], alpha=0.18, linewidth=0.8)
            q = d.groupby("AVISITN", observed=True)[value].quantile([0.1, 0.25, 0.5, 0.75, 0.9]).unstack()
            if n_subj > individual_max:
                ax.fill_between(q.index, q[0.1], q[0.9], color=st["color"], alpha=0.12, linewidth=0)
            ax.fill_between(q.index, q[0.25], q[0.75], color=st["color"], alpha=0.25, linewidth=0)
            ax.plot(q.index, q[0.5], color=st["color"], marker=st["marker"], linestyle=st["linestyle"], linewidth=2,
                    label=f"{a}: median (n={n_subj})")
        if reference is not None:
            ax.axhline(reference, color="0.3", linewidth=0.8)
        if log:
            ax.set_yscale("log")
        ax.set_ylabel(ylabel or value)
        _weeks_axis(ax, sorted(data["AVISITN"].unique()))
        if ax.get_legend_handles_labels()[0]:  # a panel without data has nothing to name
            ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return fig


def trajectory_grid(
    bds: pd.DataFrame, panels: Sequence[tuple[str, str, bool]], arm: str, arms: Sequence[str], value: str = "AVAL",
    ncols: int = 2, individual_max: int = 60, reference: float | None = None,
):
    """Several :func:`trajectory_figure` panels, one per ``(PARAMCD, label, log)``."""
    import matplotlib.pyplot as plt

    n = len(panels)
    nrows = int(np.ceil(n / ncols))
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.9 * nrows), squeeze=False)
        for ax, (code, label, log) in zip(axes.flat, panels, strict=False):
            trajectory_figure(bds[bds["PARAMCD"] == code], arm, arms, value, label, individual_max, log, reference, ax=ax)
            ax.set_title(label, fontsize=10)
            ax.set_ylabel("")
            ax.get_legend().remove() if ax.get_legend() else None
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, fontsize=8)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def forest_figure(
    df: pd.DataFrame, label: str, estimate: str = "rate", ci_low: str = "ci_low", ci_high: str = "ci_high",
    xlabel: str = "Resolved, % (95% CI)", percent: bool = True, reference: float | None = None,
    group: str | None = None, annotate: str | None = None,
):
    """A forest plot: one row per item, the estimate and its interval.

    Parameters
    ----------
    df : DataFrame
        One row per item, in the order to show (top to bottom).
    label : str
        Column with the row labels.
    group : str, optional
        Column whose value changes the marker (e.g. favoured vs other organ groups).
    annotate : str, optional
        Column of text printed at the right of each row (e.g. ``"9/10"``).
    """
    import matplotlib.pyplot as plt

    k = 100 if percent else 1
    n = len(df)
    with style():
        fig, ax = plt.subplots(figsize=(7, 0.42 * n + 1.2))
        y = np.arange(n)[::-1]
        groups = list(pd.unique(df[group])) if group else [None]
        styles = arm_styles([str(g) for g in groups])
        for g in groups:
            sel = (df[group] == g).to_numpy() if group else np.ones(n, bool)
            st = styles[str(g)]
            est = k * df.loc[sel, estimate].to_numpy(float)
            lo = k * df.loc[sel, ci_low].to_numpy(float)
            hi = k * df.loc[sel, ci_high].to_numpy(float)
            ax.errorbar(est, y[sel], xerr=np.vstack([est - lo, hi - est]), fmt=st["marker"], color=st["color"],
                        capsize=3, label=str(g) if group else None)
        if reference is not None:
            ax.axvline(k * reference if percent else reference, color="0.4", linestyle=":", linewidth=1)
        ax.set_yticks(y)
        ax.set_yticklabels(df[label].astype(str))
        ax.set_xlabel(xlabel)
        if percent:
            ax.set_xlim(0, 100)
        if annotate:
            for yi, text in zip(y, df[annotate].astype(str), strict=True):
                ax.annotate(text, (1.01, yi), xycoords=("axes fraction", "data"), va="center", fontsize=8)
        if group:
            ax.legend(frameon=False, fontsize=8, loc="lower left")
        fig.tight_layout()
    return fig


def paired_figure(
    df: pd.DataFrame, panels: Sequence[tuple[str, str, bool]], base: str = "BASE", value: str = "AVAL",
    first_label: str = "Baseline", second_label: str = "Week", individual_max: int = 200, ncols: int = 4,
    arm: str | None = None, arms: Sequence[str] = (),
):
    """Baseline against a later visit, one line per subject (box plots only at scale).

    Parameters
    ----------
    df : DataFrame
        One row per subject and parameter: ``PARAMCD``, ``base``, ``value`` (and ``arm``).
    panels : sequence of (PARAMCD, label, log)
    arm, arms : optional
        With several arms, each arm's pair of boxes stands side by side in every panel,
        its lines in the arm's colour; with one (or none), rising lines are solid blue and
        falling ones dashed orange.
    """
    import matplotlib.pyplot as plt

    groups = list(arms) if arm and len(arms) > 1 else [None]
    styles = arm_styles([g for g in groups if g is not None]) if groups != [None] else {}
    n = len(panels)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    width = 2.4 if groups == [None] else 1.6 * len(groups)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, 2.8 * nrows), squeeze=False)
        for ax, (code, label, log) in zip(axes.flat, panels, strict=False):
            d = df[df["PARAMCD"] == code].dropna(subset=[base, value])
            ticks, names = [], []
            for i, g in enumerate(groups):
                pts = (d if g is None else d[d[arm] == g])[[base, value]].to_numpy(float)
                x0, x1 = 2.6 * i, 2.6 * i + 1
                if 0 < len(pts) <= individual_max:
                    for row in pts:
                        rising = row[1] > row[0]
                        color = styles[g]["color"] if g is not None else ("#0173b2" if rising else "#de8f05")
                        ax.plot([x0, x1], row, color=color, alpha=0.5, linewidth=0.8, linestyle="-" if rising else "--")
                if len(pts):
                    ax.boxplot([pts[:, 0], pts[:, 1]], positions=[x0, x1], widths=0.3, showfliers=False)
                ticks += [x0, x1]
                names += [first_label, second_label] if g is None else [f"{g}\n{first_label}", f"{g}\n{second_label}"]
            ax.set_xticks(ticks, names, fontsize=8 if groups == [None] else 7)
            ax.set_title(label, fontsize=9)
            if log:
                ax.set_yscale("log")
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.tight_layout()
    return fig


def bar_figure(
    df: pd.DataFrame, label: str, value: str, xlabel: str, hue: str | None = None,
    hue_order: Sequence[str] | None = None, empty_text: str = "No data to show.",
):
    """Horizontal bars, one per row of ``df`` (top to bottom in the given order).

    Without rows, a small figure that says ``empty_text`` instead of empty axes; when
    every value is 0, the axis runs from 0 (no bars, rather than an axis around 0).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if df.empty:
        with style():
            fig, ax = plt.subplots(figsize=(7, 1.2))
            ax.axis("off")
            ax.text(0.5, 0.5, empty_text, ha="center", va="center", transform=ax.transAxes)
        return fig
    with style():
        n = df[label].nunique()
        fig, ax = plt.subplots(figsize=(7, 0.32 * n + 1.2))
        palette = [s["color"] for s in arm_styles(hue_order).values()] if hue_order else None
        sns.barplot(df, y=label, x=value, hue=hue, hue_order=hue_order, ax=ax, orient="h",
                    palette=palette if hue else None, color=None if hue else "#0173b2")
        if not (pd.to_numeric(df[value], errors="coerce").fillna(0) != 0).any():
            ax.set_xlim(0, 1)  # every bar is 0: an axis from 0, not one centred on 0
        ax.set_xlabel(xlabel)
        ax.set_ylabel("")
        if hue:
            ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return fig


def histogram_figure(df: pd.DataFrame, value: str, arm: str, arms: Sequence[str], xlabel: str, binwidth: float = 1):
    """Distribution of a value by arm (stacked counts)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    styles = arm_styles(arms)
    with style():
        fig, ax = plt.subplots(figsize=(7, 3.5))
        sns.histplot(df, x=value, hue=arm if len(arms) > 1 else None, hue_order=list(arms) if len(arms) > 1 else None,
                     multiple="stack", binwidth=binwidth, ax=ax,
                     palette=[styles[a]["color"] for a in arms] if len(arms) > 1 else None,
                     color=None if len(arms) > 1 else styles[arms[0]]["color"])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Subjects")
        fig.tight_layout()
    return fig


def flow_figure(flow: pd.DataFrame, arms: Sequence[str], max_reasons: int = 3):
    """A CONSORT-style participant-flow diagram.

    Parameters
    ----------
    flow : DataFrame
        From :func:`helpers.present.tables.label_flow`: ``step`` (in order), ``arm``
        (``"All"`` for steps before allocation), ``n``, ``detail`` (text under the count,
        e.g. discontinuation reasons; may be empty).
    max_reasons : int
        Reasons listed in a box; the rest are counted and left to the flow table.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    steps = list(pd.unique(flow["step"]))
    columns = ["All"] + [a for a in arms if a != "All"]
    ncol = len(arms)
    width = 3.0 * max(ncol, 1)
    lines = [1 + min(len(str(x).split("; ")), max_reasons + 1) for x in flow["detail"] if x]
    row_h = 1.05 + 0.17 * max([0, *lines])
    with style():
        fig, ax = plt.subplots(figsize=(max(5.0, 2.6 * ncol), 0.62 * row_h * len(steps) + 0.3))
        ax.set_xlim(0, width)
        ax.set_ylim(0, row_h * len(steps))
        ax.axis("off")
        prev: dict[str, tuple[float, float]] = {}
        for i, step in enumerate(steps):
            y = row_h * (len(steps) - i - 0.5)
            rows = flow[flow["step"] == step]
            shared = set(rows["arm"]) == {"All"}
            cells = [("All", width / 2)] if shared else [(a, 3.0 * j + 1.5) for j, a in enumerate(a for a in columns if a != "All")]
            for a, x in cells:
                r = rows[rows["arm"] == a]
                if r.empty:
                    continue
                r = r.iloc[0]
                text = f"{step}\nn = {int(r['n'])}"
                detail = r.get("detail")
                if isinstance(detail, str) and detail:
                    reasons = detail.split("; ")
                    shown = reasons[:max_reasons]
                    if len(reasons) > max_reasons:
                        shown.append(f"and {len(reasons) - max_reasons} more (see the table)")
                    text += "\n" + "\n".join(textwrap.shorten(x, 34, placeholder="...") for x in shown)
                box_w = min(width - 0.2, 2.8) if not shared else min(width - 0.2, 4.2)
                box_h = row_h - 0.3
                ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0.02",
                                            facecolor="#eef3f8", edgecolor="#4a6785", linewidth=1))
                ax.text(x, y, text, ha="center", va="center", fontsize=8.5)
                for src_x, src_y in [prev.get(a, prev.get("All", (None, None)))]:
                    if src_x is not None:
                        ax.annotate("", xy=(x, y + box_h / 2), xytext=(src_x, src_y - box_h / 2),
                                    arrowprops={"arrowstyle": "->", "color": "#4a6785"})
            prev = {a: (x, y) for a, x in cells}
            if shared:
                prev = {a: (width / 2, y) for a in ["All", *arms]}
        fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------
# efficacy figures: rows in words from the analyses' codes


def descriptors_figure(active: pd.DataFrame, xlabel: str = "Subjects with the descriptor active at baseline, %"):
    """The share of subjects with each SLEDAI-2K descriptor active, for the descriptors
    active in anyone (bars in the instrument's order).

    Parameters
    ----------
    active : DataFrame
        From :func:`helpers.analyses.population.active_descriptors`.
    """
    shown = active[active["n_active"] > 0].assign(descriptor=lambda f: f["PARAMCD"].map(words.descriptor_label))
    return bar_figure(shown, "descriptor", "pct", xlabel)
