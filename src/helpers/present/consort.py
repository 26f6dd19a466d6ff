"""The CONSORT diagram of a trial's participant flow, drawn as SVG by the package.

The layout is CONSORT 2010's flow diagram (Schulz, Altman and Moher 2010, figure 1):
four stages from top to bottom, enrolment, allocation, follow-up and analysis; the
subjects excluded before enrolment (``cohort.excluded``, from the mapping's ``exclude``
rules) and, per arm, those who discontinued, each with their reasons, in boxes to the
side of the main chain; after allocation one column per arm, subjects counted in the
arm allocated (:func:`helpers.analyses.population.allocation_arm`); at the end the
subjects analysed in each population (its flag).

Every number comes from the frames of :mod:`helpers.analyses.population`
(:func:`~helpers.analyses.population.participant_flow`,
:func:`~helpers.analyses.population.discontinuation_reasons`) and the excluded subjects;
the words of the steps are :mod:`helpers.present.prose.efficacy`'s, as the flow table
shows them. The SVG is written directly (no plotting library and no system package):
text stays text (searchable, selectable, read back by the tests), coordinates are
rounded, nothing random or dated is written, so the same flow gives the same bytes.
In the page the diagram is an inline ``<svg role="img">`` with a title and a
description, followed by the same content as a description list (the text alternative).

References
----------
Schulz KF, Altman DG, Moher D, for the CONSORT Group. CONSORT 2010 Statement: updated
guidelines for reporting parallel group randomised trials. BMJ 2010;340:c332.
"""

from __future__ import annotations

import html
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.analyses.population import ALL
from helpers.present.disclosure import mask_count
from helpers.present.prose import efficacy as words

#: The stages of the diagram, top to bottom, and their names on it.
STAGES: dict[str, str] = {"enrolment": "Enrolment", "allocation": "Allocation", "follow_up": "Follow-up",
                          "analysis": "Analysis"}
#: The boxes, top to bottom: (code, stage, to the side of the main chain).
BOXES: tuple[tuple[str, str, bool], ...] = (
    ("assessed", "enrolment", False), ("excluded", "enrolment", True), ("enrolled", "enrolment", False),
    ("allocated", "allocation", False), ("follow_up", "follow_up", False), ("discontinued", "follow_up", True),
    ("analysed", "analysis", False),
)
#: Steps whose line heads its box (drawn bold).
HEADS: frozenset[str] = frozenset({"assessed", "excluded", "enrolled", "allocated", "discontinued"})
#: Words of the steps the participant flow does not name.
LABELS: dict[str, str] = {"assessed": "Assessed for eligibility", "excluded": "Excluded",
                          "allocated": "Allocated to {arm}"}
#: The columns of :func:`consort_lines`.
LINE_COLUMNS: tuple[str, ...] = ("stage", "box", "side", "arm", "step", "course", "flag", "reason", "n", "shown", "text")
#: The caption under the diagram on the page.
CAPTION = ("Participant flow (CONSORT diagram): the number of subjects at each step from enrolment to analysis, "
           "by the arm allocated, with the reasons for exclusion and discontinuation to the side.")

# Geometry, in SVG user units (a pixel at 100%).
_FONT = 12
_LINE = 16
_PAD = 8
_MAIN_W = 220
_SIDE_W = 200
_SIDE_GAP = 26
_COLUMN_GAP = 30
_ROW_GAP = 22
_STAGE_H = 22
_MARGIN = 10
#: Average width of a character as a share of the font size (DejaVu Sans, Helvetica):
#: how many characters a line of a box holds.
_CHAR_W = 0.56
_STROKE = "#4a6785"
_FILL = "#eef3f8"
_STAGE_FILL = "#dbe6f1"


def consort_lines(
    flow: pd.DataFrame,
    reasons: pd.DataFrame | None = None,
    excluded: pd.DataFrame | None = None,
    min_cell_count: int | None = None,
) -> pd.DataFrame:
    """The lines of a CONSORT diagram, box by box, with their counts.

    Parameters
    ----------
    flow : DataFrame
        From :func:`helpers.analyses.population.participant_flow`: ``step``, ``course``,
        ``flag``, ``arm`` (:data:`~helpers.analyses.population.ALL` for enrolment), ``n``.
    reasons : DataFrame, optional
        From :func:`helpers.analyses.population.discontinuation_reasons`: ``arm``,
        ``reason``, ``n``.
    excluded : DataFrame, optional
        Subjects left out before enrolment (``cohort.excluded``): ``USUBJID``, ``reason``.
        With none, the diagram opens with the subjects enrolled.
    min_cell_count : int, optional
        The public profile's threshold: counts from 1 to ``min_cell_count - 1`` are
        shown as ``"< min_cell_count"`` (:func:`helpers.present.disclosure.mask_count`).

    Returns
    -------
    DataFrame
        One row per line, in the order drawn: ``stage`` (a key of :data:`STAGES`),
        ``box`` (a code of :data:`BOXES`), ``side`` (the box is beside the main chain),
        ``arm`` (``All`` before allocation), ``step`` (the flow's step code, or
        ``assessed``, ``excluded``, ``excluded_reason``, ``discontinued_reason``),
        ``course``, ``flag`` (the population flag on ``efficacy`` and ``safety``
        lines), ``reason`` (on reason lines), ``n``, ``shown`` (the count as shown) and
        ``text`` (the line in words). Boxes: ``assessed`` (enrolled plus excluded) and
        ``excluded`` with a line per reason (most frequent first, then alphabetically),
        only when some subject was excluded; ``enrolled``; per arm ``allocated`` (its
        count, then treated and not treated), ``follow_up`` (courses received,
        completed, ongoing), ``discontinued`` with a line per reason, ``analysed`` (each
        population).

    Raises
    ------
    ValueError
        ``flow`` lacks a column or the ``enrolled`` step; ``reasons`` or ``excluded``
        lack a column.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "treated", "completed", "discontinued", "efficacy", "safety"],
    ...                      "course": pd.NA, "flag": ["", "", "", "", "ITTFL", "SAFFL"],
    ...                      "arm": ["All", "A", "A", "A", "A", "A"], "n": [3, 3, 2, 1, 3, 3]})
    >>> reasons = pd.DataFrame({"arm": ["A"], "reason": ["Adverse event"], "n": [1]})
    >>> consort_lines(flow, reasons)[["box", "side", "text"]]
                box   side                             text
    0      enrolled  False                 Enrolled (n = 3)
    1     allocated  False           Allocated to A (n = 3)
    2     allocated  False                  Treated (n = 3)
    3     follow_up  False      Completed the study (n = 2)
    4  discontinued   True             Discontinued (n = 1)
    5  discontinued   True            Adverse event (n = 1)
    6      analysed  False  Analysed for efficacy (ITTFL; n = 3)
    7      analysed  False    Analysed for safety (SAFFL; n = 3)
    """
    _require(flow, ["step", "arm", "n"], "flow")
    if reasons is not None:
        _require(reasons, ["arm", "reason", "n"], "reasons")
    if excluded is not None:
        _require(excluded, ["USUBJID", "reason"], "excluded")
    enrolled = flow.loc[flow["step"] == "enrolled", "n"]
    if enrolled.empty:
        raise ValueError("consort_lines: flow has no 'enrolled' step (expected participant_flow's frame)")
    rows: list[dict] = []

    def add(box: str, arm: str, step: str, n: int, label: str, course=pd.NA, flag: str = "", reason: str = "") -> None:
        stage, side = next((s, side) for code, s, side in BOXES if code == box)
        shown = mask_count(int(n), min_cell_count) if min_cell_count else int(n)
        rows.append({"stage": stage, "box": box, "side": side, "arm": arm, "step": step, "course": course,
                     "flag": flag, "reason": reason, "n": int(n), "shown": str(shown), "text": _with_count(label, shown)})

    n_enrolled = int(enrolled.iloc[0])
    if excluded is not None and len(excluded):
        add("assessed", ALL, "assessed", n_enrolled + len(excluded), LABELS["assessed"])
        add("excluded", ALL, "excluded", len(excluded), LABELS["excluded"])
        counts = excluded["reason"].fillna("").astype(str).value_counts()
        for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            add("excluded", ALL, "excluded_reason", n, reason or words.REASON_NOT_GIVEN, reason=reason)
    add("enrolled", ALL, "enrolled", n_enrolled, words.flow_step_label("enrolled"))
    arms = [a for a in pd.unique(flow["arm"]) if a != ALL]
    by_arm = {a: flow[flow["arm"] == a] for a in arms}
    for a in arms:
        g = by_arm[a]
        allocated = g.loc[g["step"] == "allocated", "n"]
        add("allocated", a, "allocated", int(allocated.iloc[0]) if len(allocated) else n_enrolled,
            LABELS["allocated"].format(arm=a))
        for r in g[g["step"].isin(["treated", "not_treated"])].itertuples(index=False):
            add("allocated", a, r.step, r.n, words.flow_step_label(r.step))
        for r in g[g["step"].isin(["course", "completed", "ongoing"])].itertuples(index=False):
            course = getattr(r, "course", pd.NA)
            course = pd.NA if pd.isna(course) else int(course)
            add("follow_up", a, r.step, r.n, words.flow_step_label(r.step, course), course=course)
        for r in g[g["step"] == "discontinued"].itertuples(index=False):
            add("discontinued", a, "discontinued", r.n, words.flow_step_label("discontinued"))
            for why in (reasons[reasons["arm"] == a].itertuples(index=False) if reasons is not None else []):
                add("discontinued", a, "discontinued_reason", why.n, why.reason or words.REASON_NOT_GIVEN,
                    reason=why.reason)
        for r in g[g["step"].isin(["efficacy", "safety"])].itertuples(index=False):
            flag = str(getattr(r, "flag", ""))
            add("analysed", a, r.step, r.n, words.flow_step_label(r.step, flag=flag), flag=flag)
    out = pd.DataFrame(rows, columns=list(LINE_COLUMNS))
    # in the order drawn: box by box down the page, arms left to right within a row
    box_order = {code: i for i, (code, _, _) in enumerate(BOXES)}
    arm_order = {a: i for i, a in enumerate([ALL, *arms])}
    order = sorted(range(len(out)), key=lambda i: (box_order[out.at[i, "box"]], arm_order[out.at[i, "arm"]], i))
    out = out.iloc[order].reset_index(drop=True)
    out["course"] = out["course"].astype("Int64")
    return out


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"consort_lines: {name} lacks columns {missing} (it has {list(frame.columns)})")


def _with_count(label: str, shown: object) -> str:
    """``Enrolled (n = 40)``; a label ending in a parenthesis takes the count inside it:
    ``Analysed for efficacy (ITTFL; n = 40)``; a masked count reads ``(n < 5)``."""
    count = f"n {shown}" if str(shown).startswith("<") else f"n = {shown}"  # "n < 5" when masked
    if label.endswith(")"):
        return f"{label[:-1]}; {count})"
    return f"{label} ({count})"


# ---------------------------------------------------------------------------------------
# drawing


@dataclass(frozen=True)
class _Box:
    box: str
    arm: str
    side: bool
    lines: tuple[tuple[str, bool], ...]  # (text, bold), wrapped
    x: float = 0.0
    y: float = 0.0

    @property
    def width(self) -> float:
        return _SIDE_W if self.side else _MAIN_W

    @property
    def height(self) -> float:
        return 2 * _PAD + _LINE * len(self.lines)


def _wrap(text: str, width: float) -> list[str]:
    """A line of a box in rows that fit its width; a count (``n = 40``) is never split."""
    chars = max(8, int((width - 2 * _PAD) / (_FONT * _CHAR_W)))
    kept = text.replace("n = ", "n\u00a0=\u00a0")
    rows = textwrap.wrap(kept, chars, break_long_words=True, break_on_hyphens=False) or [""]
    return [r.replace("\u00a0", " ") for r in rows]


def _num(x: float) -> str:
    """A coordinate as the SVG writes it: rounded to a tenth, no trailing zeros."""
    return f"{round(x, 1):g}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def consort_svg(lines: pd.DataFrame, arms: Sequence[str], name: str = "consort", title: str | None = None,
                description: str | None = None) -> str:
    """Draw the diagram of :func:`consort_lines` as an SVG document.

    Parameters
    ----------
    lines : DataFrame
        From :func:`consort_lines`.
    arms : sequence of str
        The arms, in the order of the columns (the config's order).
    name : str
        Prefix of the ids in the SVG (``<name>-title``, ``<name>-desc``,
        ``<name>-arrow``): unique within a page.
    title, description : str, optional
        The SVG's ``<title>`` and ``<desc>`` (its accessible name and description);
        default :data:`CAPTION`'s first words and :func:`consort_alt`.

    Returns
    -------
    str
        An ``<svg>`` element (no XML declaration): ``viewBox`` and ``width``/``height``
        in user units, ``role="img"`` labelled by its title and description; each box
        a ``<g class="consort-box">`` with ``data-box`` and ``data-arm``; each line a
        ``<text>`` with ``data-step`` and ``data-n`` (the count as shown), wrapped lines
        as ``<tspan>``. Deterministic: the same lines give the same text.

    Raises
    ------
    ValueError
        An arm of ``lines`` is not in ``arms``.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "treated", "efficacy", "safety"], "course": pd.NA,
    ...                      "flag": ["", "", "ITTFL", "SAFFL"], "arm": ["All", "A", "A", "A"], "n": [3, 3, 3, 3]})
    >>> svg = consort_svg(consort_lines(flow), ["A"])
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.count('class="consort-box"')
    (True, 3)
    """
    arms = list(arms)
    unknown = sorted(set(lines["arm"]) - {ALL} - set(arms))
    if unknown:
        raise ValueError(f"consort_svg: lines hold arms {unknown} that are not in arms {arms}")
    title = title or "Participant flow (CONSORT diagram)"
    description = description or consort_alt(lines, arms)
    ncol = max(len(arms), 1)
    column_w = _MAIN_W + _SIDE_GAP + _SIDE_W
    width = 2 * _MARGIN + ncol * column_w + (ncol - 1) * _COLUMN_GAP
    main_cx = {a: _MARGIN + j * (column_w + _COLUMN_GAP) + _MAIN_W / 2 for j, a in enumerate(arms)}
    main_cx[ALL] = sum(main_cx[a] for a in arms) / len(arms) if arms else _MARGIN + _MAIN_W / 2

    # boxes, row by row
    rows: list[list[_Box]] = []
    stages: list[tuple[str, int]] = []  # (stage, index of its first row)
    for code, stage, side in BOXES:
        row = []
        for arm in [ALL, *arms]:
            box_lines = lines[(lines["box"] == code) & (lines["arm"] == arm)]
            if box_lines.empty:
                continue
            width_box = _SIDE_W if side else _MAIN_W
            wrapped = tuple((t, r.step in HEADS) for r in box_lines.itertuples(index=False)
                            for t in _wrap(r.text, width_box))
            row.append(_Box(code, arm, side, wrapped))
        if row:
            if not stages or stages[-1][0] != stage:
                stages.append((stage, len(rows)))
            rows.append(row)

    parts: list[str] = []
    y = _MARGIN
    placed: list[list[_Box]] = []
    band_y: dict[int, float] = {}
    stage_rows = {i: s for s, i in stages}
    for i, row in enumerate(rows):
        if i in stage_rows:
            band_y[i] = y
            y += _STAGE_H + _ROW_GAP * 0.6
        height = max(b.height for b in row)
        out_row = []
        for b in row:
            x = main_cx[b.arm] + _MAIN_W / 2 + _SIDE_GAP if b.side else main_cx[b.arm] - _MAIN_W / 2
            out_row.append(_Box(b.box, b.arm, b.side, b.lines, x, y + (height - b.height) / 2))
        placed.append(out_row)
        y += height + _ROW_GAP
    height_total = y - _ROW_GAP + _MARGIN

    # stage bands
    for i, top in band_y.items():
        parts.append(f'<g class="consort-stage"><rect x="{_num(_MARGIN)}" y="{_num(top)}" width="{_num(width - 2 * _MARGIN)}" '
                     f'height="{_STAGE_H}" rx="3" fill="{_STAGE_FILL}"/><text x="{_num(_MARGIN + 6)}" '
                     f'y="{_num(top + _STAGE_H / 2 + _FONT * 0.35)}" font-weight="bold">{_esc(STAGES[stage_rows[i]])}</text></g>')

    # connectors: the main chain of each column, and a branch to each side box
    mains = [(i, b) for i, row in enumerate(placed) for b in row if not b.side]
    arrow = f' marker-end="url(#{_esc(name)}-arrow)"'
    line_style = f'stroke="{_STROKE}" stroke-width="1.2" fill="none"'
    for column in [ALL, *arms]:
        chain = [(i, b) for i, b in mains if b.arm == column]
        for (_, upper), (_, lower) in zip(chain, chain[1:], strict=False):
            cx = main_cx[column]
            parts.append(f'<path d="M{_num(cx)} {_num(upper.y + upper.height)}V{_num(lower.y)}" {line_style}{arrow}/>')
    all_mains = [b for _, b in mains if b.arm == ALL]
    first_arm_row = next((row for row in placed if any(not b.side and b.arm != ALL for b in row)), [])
    if all_mains and first_arm_row:
        top = all_mains[-1]
        x0, y0 = main_cx[ALL], top.y + top.height
        targets = [b for b in first_arm_row if not b.side]
        # with several arms the chain splits above the allocation band
        below = min([band_y[i] for i, row in enumerate(placed) if row is first_arm_row and i in band_y]
                    or [min(b.y for b in targets)])
        y_split = (y0 + below) / 2 if len(targets) > 1 else None
        for b in targets:
            cx = main_cx[b.arm]
            if y_split is None:
                parts.append(f'<path d="M{_num(x0)} {_num(y0)}V{_num(b.y)}" {line_style}{arrow}/>')
            else:
                parts.append(f'<path d="M{_num(x0)} {_num(y0)}V{_num(y_split)}H{_num(cx)}V{_num(b.y)}" '
                             f'{line_style}{arrow}/>')
    for row in placed:
        for b in row:
            if b.side:
                cy = b.y + b.height / 2
                parts.append(f'<path d="M{_num(main_cx[b.arm])} {_num(cy)}H{_num(b.x)}" {line_style}{arrow}/>')

    # boxes and their text
    for row in placed:
        for b in row:
            parts.append(_box_svg(b, lines))

    defs = (f'<defs><marker id="{_esc(name)}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{_STROKE}"/></marker></defs>')
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height_total)}" '
            f'width="{_num(width)}" height="{_num(height_total)}" role="img" '
            f'aria-labelledby="{_esc(name)}-title {_esc(name)}-desc" class="consort-diagram" '
            f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="{_FONT}" fill="#1a1a1a">'
            f'<title id="{_esc(name)}-title">{_esc(title)}</title><desc id="{_esc(name)}-desc">{_esc(description)}</desc>')
    return head + defs + f'<rect width="{_num(width)}" height="{_num(height_total)}" fill="#fff"/>' + "".join(parts) + "</svg>"


def _box_svg(b: _Box, lines: pd.DataFrame) -> str:
    """One box: its rectangle, then a ``<text>`` per line of :func:`consort_lines`
    (wrapped into ``<tspan>`` rows)."""
    out = [f'<g class="consort-box" data-box="{_esc(b.box)}" data-arm="{_esc(b.arm)}">'
           f'<rect x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.width)}" height="{_num(b.height)}" rx="4" '
           f'fill="{_FILL}" stroke="{_STROKE}" stroke-width="1.2"/>']
    source = lines[(lines["box"] == b.box) & (lines["arm"] == b.arm)]
    row = 0
    for r in source.itertuples(index=False):
        wrapped = _wrap(r.text, b.width)
        x = b.x + _PAD
        y = b.y + _PAD + _LINE * row + _FONT
        bold = ' font-weight="bold"' if r.step in HEADS else ""
        spans = "".join(
            f'<tspan x="{_num(x)}" y="{_num(y + _LINE * k)}">{_esc(t)}{" " if k < len(wrapped) - 1 else ""}</tspan>'
            for k, t in enumerate(wrapped))
        out.append(f'<text data-step="{_esc(r.step)}" data-n="{_esc(r.shown)}"{bold}>{spans}</text>')
        row += len(wrapped)
    out.append("</g>")
    return "".join(out)


# ---------------------------------------------------------------------------------------
# the text alternative


def consort_alt(lines: pd.DataFrame, arms: Sequence[str]) -> str:
    """The diagram's short text alternative (its ``<desc>``): what it shows, the numbers
    of the first and last boxes, and where the full list is.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "treated", "efficacy", "safety"], "course": pd.NA,
    ...                      "flag": ["", "", "ITTFL", "SAFFL"], "arm": ["All", "A", "A", "A"], "n": [3, 3, 3, 3]})
    >>> consort_alt(consort_lines(flow), ["A"])  # doctest: +NORMALIZE_WHITESPACE
    'CONSORT flow diagram in boxes from enrolment to analysis, one column per arm (1 arm: A):
    Enrolled (n = 3). The diagram is listed in full as text under it.'
    """
    arms = list(arms)
    first = lines.loc[lines["box"].isin(["assessed", "enrolled"]), "text"].tolist()
    arms_text = f"{len(arms)} arm{'s' if len(arms) != 1 else ''}: {', '.join(arms)}"
    return (f"CONSORT flow diagram in boxes from enrolment to analysis, one column per arm ({arms_text}): "
            f"{'; '.join(first)}. The diagram is listed in full as text under it.")


def consort_description(lines: pd.DataFrame, arms: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The diagram as a list: one term per box (its stage, and its arm after allocation),
    the box's lines as the description.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "treated", "efficacy", "safety"], "course": pd.NA,
    ...                      "flag": ["", "", "ITTFL", "SAFFL"], "arm": ["All", "A", "A", "A"], "n": [3, 3, 3, 3]})
    >>> consort_description(consort_lines(flow), ["A"])[:2]
    [('Enrolment', ['Enrolled (n = 3)']), ('Allocation, A', ['Allocated to A (n = 3)', 'Treated (n = 3)'])]
    """
    out: list[tuple[str, list[str]]] = []
    for code, stage, _ in BOXES:
        for arm in [ALL, *arms]:
            g = lines[(lines["box"] == code) & (lines["arm"] == arm)]
            if g.empty:
                continue
            term = STAGES[stage] if arm == ALL else f"{STAGES[stage]}, {arm}"
            out.append((term, g["text"].tolist()))
    return out


def description_html(items: Sequence[tuple[str, Sequence[str]]]) -> str:
    """A description list (``<dl>``) of :func:`consort_description`, text escaped.

    Examples
    --------
    >>> description_html([("Enrolment", ["Enrolled (n = 3)"]), ("Allocation, A&B", ["x", "y"])])
    '<dl class="consort-text"><dt>Enrolment</dt><dd>Enrolled (n = 3)</dd><dt>Allocation, A&amp;B</dt><dd>x; y</dd></dl>'
    """
    body = "".join(f"<dt>{_esc(term)}</dt><dd>{_esc('; '.join(lines))}</dd>" for term, lines in items)
    return f'<dl class="consort-text">{body}</dl>'


# ---------------------------------------------------------------------------------------
# the diagram, on the page and as a file


@dataclass(frozen=True)
class ConsortDiagram:
    """A cohort's CONSORT diagram: its lines (:func:`consort_lines`), arms, the SVG, its
    text alternative (``alt``), the description list and the name of its file."""

    name: str
    lines: pd.DataFrame
    arms: tuple[str, ...]
    svg: str
    alt: str
    description: tuple[tuple[str, tuple[str, ...]], ...]

    def to_html(self, download_url: str | None = None, caption: str = CAPTION) -> str:
        """The figure for a page: the inline SVG, its description list under a summary,
        the caption and, with ``download_url`` (the SVG file's URL), a download line."""
        from helpers.present.export import format_figure_downloads

        download = ""
        if download_url:
            folder, _, filename = download_url.rpartition("/")
            download = " " + format_figure_downloads(f"{folder}/" if folder else "", {"svg": filename})
        return (f'<figure class="consort" id="{_esc(self.name)}">{self.svg}'
                f'<details class="consort-details"><summary>The diagram as text</summary>'
                f"{description_html(self.description)}</details>"
                f"<figcaption><p>{_esc(caption)}{download}</p></figcaption></figure>")

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass(frozen=True)
class ConsortFigure:
    """A diagram with the URL of its file: what a chapter shows (its ``_repr_html_`` is
    the figure, :meth:`ConsortDiagram.to_html`)."""

    diagram: ConsortDiagram
    download_url: str | None = None

    def _repr_html_(self) -> str:
        return self.diagram.to_html(self.download_url)


def consort_diagram(
    flow: pd.DataFrame,
    arms: Sequence[str],
    reasons: pd.DataFrame | None = None,
    excluded: pd.DataFrame | None = None,
    profile: str = "full",
    min_cell_count: int = 5,
    name: str = "consort",
) -> ConsortDiagram:
    """A cohort's CONSORT diagram from its participant flow.

    Parameters
    ----------
    flow, reasons, excluded
        As for :func:`consort_lines`.
    arms : sequence of str
        The arms in the config's order (one column each).
    profile : {"full", "public"}
        The build's profile: ``public`` shows counts from 1 to ``min_cell_count - 1``
        as ``"< min_cell_count"`` (:mod:`helpers.present.disclosure`).
    min_cell_count : int
        The config's ``min_cell_count``.
    name : str
        The file's stem and the prefix of the ids in the SVG.

    Returns
    -------
    ConsortDiagram

    Raises
    ------
    ValueError
        An unknown ``profile``, or as :func:`consort_lines` and :func:`consort_svg`.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "allocated", "allocated", "efficacy", "efficacy"],
    ...                      "course": pd.NA, "flag": ["", "", "", "ITTFL", "ITTFL"],
    ...                      "arm": ["All", "A", "B", "A", "B"], "n": [5, 3, 2, 3, 1]})
    >>> d = consort_diagram(flow, ["A", "B"], excluded=pd.DataFrame({"USUBJID": ["9"], "reason": ["screen failure"]}))
    >>> [text for text, _ in d.description]
    ['Enrolment', 'Enrolment', 'Enrolment', 'Allocation, A', 'Allocation, B', 'Analysis, A', 'Analysis, B']
    >>> d.description[1]
    ('Enrolment', ('Excluded (n = 1)', 'screen failure (n = 1)'))
    """
    if profile not in ("full", "public"):
        raise ValueError(f"consort_diagram: profile must be 'full' or 'public', got {profile!r}")
    lines = consort_lines(flow, reasons, excluded, min_cell_count if profile == "public" else None)
    alt = consort_alt(lines, arms)
    svg = consort_svg(lines, arms, name=name, description=alt)
    description = tuple((term, tuple(items)) for term, items in consort_description(lines, arms))
    return ConsortDiagram(name, lines, tuple(arms), svg, alt, description)


def consort_svg_document(diagram: ConsortDiagram) -> str:
    """The diagram as a standalone SVG file: an XML declaration, the ``<svg>``, a newline.

    Examples
    --------
    >>> flow = pd.DataFrame({"step": ["enrolled", "treated", "efficacy", "safety"], "course": pd.NA,
    ...                      "flag": ["", "", "ITTFL", "SAFFL"], "arm": ["All", "A", "A", "A"], "n": [3, 3, 3, 3]})
    >>> consort_svg_document(consort_diagram(flow, ["A"])).splitlines()[0]
    '<?xml version="1.0" encoding="UTF-8"?>'
    """
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{diagram.svg}\n'


def write_consort_svg(diagram: ConsortDiagram, folder: Path) -> Path:
    """Write the diagram as ``<folder>/<name>.svg`` (:func:`consort_svg_document`),
    atomically; return the path. The same diagram gives the same bytes."""
    path = Path(folder) / f"{diagram.name}.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(consort_svg_document(diagram).encode("utf-8"))
    os.replace(tmp, path)
    return path


def write_consort_figure(diagram: ConsortDiagram, folder: Path, url: str) -> ConsortFigure:
    """Write the diagram's SVG file into a chapter's downloads folder and return the
    figure a chapter shows (the last expression of a cell displays it), linking the file.

    Parameters
    ----------
    diagram : ConsortDiagram
    folder : Path
        The chapter's downloads folder (``Chapter.downloads_dir``).
    url : str
        The folder's URL from the page (``Chapter.downloads_url``, ending with ``/``).
    """
    path = write_consort_svg(diagram, folder)
    return ConsortFigure(diagram, f"{url}{path.name}")
