"""Compare two builds' results: every result added, removed or changed beyond a tolerance.

One engine, :func:`compare_results`, serves ``python -m helpers compare``, the build's
``--baseline`` appendix page ("Changes since <baseline>") and any page or server that
shows what changed. It works on plain values, the content of ``results.json`` and
``results-meta.json`` (see :mod:`helpers.publish.manifest`), never on files:
:func:`read_results` and the ``write_*`` functions are the file side.

The tolerance rule
------------------
- Integers, booleans, strings, ``None`` and lists are compared exactly (``1`` is not
  ``True``, ``"3"`` is not ``3``).
- Two numbers of which at least one is a float are equal when they agree at the digits
  the pages show: rounded to the decimals (or significant digits) of the finest format
  spec citing the result on either side (``results-meta.json``; ``.1%`` shows a fraction
  with 3 decimals, ``.2f`` with 2); exactly when a page shows the value in full
  (``{glue:text}`name``` with no spec, or ``s``/``d``). ``digits=N`` (``--digits N``)
  replaces this with N decimals for every float.
- A float no page cites, or compared without any ``results-meta.json``, is equal when
  both agree at 6 significant digits (what ``format(x, ".5e")`` shows). Values near zero
  (a difference of ``0.0`` against ``1e-17``) differ by this rule: give ``--digits``.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from helpers.errors import HelpersError

#: Statuses of a compared result, in the order reports list them.
STATUSES: tuple[str, ...] = ("changed", "added", "removed", "equal")
#: Columns of :func:`compare_results`.
COLUMNS: tuple[str, ...] = ("name", "chapter", "status", "a", "b", "absolute", "relative", "tolerance")
#: Significant digits two floats must agree at when no page says how they are shown.
DEFAULT_SIGNIFICANT = 6
#: The group of results no chapter is known to have glued.
NO_CHAPTER = "Other results"
#: The rule, in words, for pages and reports.
TOLERANCE_RULE = (
    "Integers, booleans and text are compared exactly; numbers with decimals are equal when they agree "
    "at the digits the pages show (from results-meta.json of either build), or at 6 significant digits "
    "for a number no page shows."
)


class CompareInputError(HelpersError, ValueError):
    """A build to compare cannot be read: missing, not JSON, or not results. Exit status 2."""

    exit_status = 2


# ---------------------------------------------------------------------------------------
# the engine


def compare_results(
    a: Mapping[str, object],
    b: Mapping[str, object],
    meta_a: Mapping | None = None,
    meta_b: Mapping | None = None,
    digits: int | None = None,
) -> pd.DataFrame:
    """Every result of two builds, compared: added, removed, changed or equal.

    Parameters
    ----------
    a, b : mapping
        Results by name, the content of two ``results.json`` files: ``a`` the earlier
        (the baseline), ``b`` the later.
    meta_a, meta_b : mapping, optional
        The content of each build's ``results-meta.json``
        (:func:`helpers.publish.manifest.results_meta`): the chapter of each result and
        the digits its pages show. A file from an independent program has none.
    digits : int, optional
        Compare every float at this many decimals instead of the digits shown.

    Returns
    -------
    DataFrame
        One row per name in ``a`` or ``b``, by chapter (in the book's order, the results
        of no known chapter last) then name:

        - ``name``: the result's name.
        - ``chapter``: the chapter that glued it (``b``'s metadata first, then ``a``'s),
          or ``None``.
        - ``status``: ``"added"`` (only in ``b``), ``"removed"`` (only in ``a``),
          ``"changed"`` (differs beyond the tolerance) or ``"equal"``.
        - ``a``, ``b``: the values (``None`` on the side that lacks the name, which the
          status tells apart from a value that is ``None``).
        - ``absolute``: ``b - a`` when both are numbers (booleans are not), else NaN.
        - ``relative``: ``(b - a) / |a|`` when both are numbers and ``a`` is not zero,
          else NaN.
        - ``tolerance``: how the pair was compared: ``"exact"``, ``"as shown: 3 decimals"``,
          ``"given: 2 decimals"`` (``digits``), ``"default: 6 significant digits"``;
          ``None`` for an added or removed result.

    Raises
    ------
    TypeError
        ``a`` or ``b`` is not a mapping of names, or a metadata argument is not the
        content of a ``results-meta.json``.
    ValueError
        ``digits`` is negative.

    Notes
    -----
    Floats ``x`` and ``y`` agree at ``d`` decimals when ``round(x, d) == round(y, d)``,
    at ``s`` significant digits when ``format(x, f".{s-1}e")`` and ``format(y, ...)``
    are the same number. A result cited with several format specs (on either side) is
    compared at the finest; one shown in full anywhere is compared exactly. See the
    module's docstring for the whole rule.

    Examples
    --------
    >>> meta = {"results": {"rate": {"chapter": "sri", "formats": [".1%"], "digits": 3, "significant": None}}}
    >>> frame = compare_results({"rate": 0.4521, "n": 40, "old": "x"}, {"rate": 0.45214, "n": 41, "new": True}, meta, meta)
    >>> frame[["name", "chapter", "status", "absolute", "tolerance"]]
       name chapter   status  absolute             tolerance
    0  rate     sri    equal   0.00004  as shown: 3 decimals
    1     n    None  changed   1.00000                 exact
    2   new    None    added       NaN                  None
    3   old    None  removed       NaN                  None
    """
    _check_results(a, "a")
    _check_results(b, "b")
    entries_a, order_a = _meta_entries(meta_a, "meta_a")
    entries_b, order_b = _meta_entries(meta_b, "meta_b")
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int)):
        raise TypeError(f"digits: expected an integer number of decimals, got {digits!r}")
    if digits is not None and digits < 0:
        raise ValueError(f"digits: expected 0 or more decimals, got {digits}")
    rows = []
    for name in set(a) | set(b):
        ea, eb = entries_a.get(name, {}), entries_b.get(name, {})
        chapter = eb.get("chapter") or ea.get("chapter")
        x, y = a.get(name), b.get(name)
        if name not in a:
            status, tolerance = "added", None
        elif name not in b:
            status, tolerance = "removed", None
        else:
            same, tolerance = _agree(x, y, ea, eb, digits)
            status = "equal" if same else "changed"
        absolute, relative = _change(x, y) if status not in ("added", "removed") else (math.nan, math.nan)
        rows.append((name, chapter, status, x, y, absolute, relative, tolerance))
    order = list(dict.fromkeys([*order_b, *order_a]))
    rank = {c: i for i, c in enumerate(order)}

    def key(row):
        chapter = row[1]
        return (chapter is None, rank.get(chapter, len(rank)), chapter or "", row[0])

    rows.sort(key=key)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    return pd.DataFrame({
        c: pd.Series(list(v), dtype=float if c in ("absolute", "relative") else object)
        for c, v in zip(COLUMNS, columns, strict=True)
    })


def differences(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison (:func:`compare_results`) that are not ``equal``."""
    return frame[frame["status"] != "equal"].reset_index(drop=True)


def _check_results(results: object, argument: str) -> None:
    if not isinstance(results, Mapping):
        raise TypeError(f"{argument}: expected results by name (the content of results.json), got {type(results).__name__}")
    bad = [k for k in results if not isinstance(k, str)]
    if bad:
        raise TypeError(f"{argument}: result names must be strings, got {bad[:3]!r}")


def _meta_entries(meta: Mapping | None, argument: str) -> tuple[dict, list]:
    """The per-result entries and the chapter order of a ``results-meta.json`` content."""
    if meta is None:
        return {}, []
    entries = meta.get("results") if isinstance(meta, Mapping) else None
    if not isinstance(entries, Mapping) or not all(isinstance(e, Mapping) for e in entries.values()):
        raise TypeError(f"{argument}: expected the content of a results-meta.json (a mapping whose 'results' "
                        "maps each name to a mapping)")
    order = meta.get("chapters") or []
    if not isinstance(order, list):
        raise TypeError(f"{argument}: 'chapters' must be a list of chapter names, got {type(order).__name__}")
    return dict(entries), [str(c) for c in order]


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _precision(entries: tuple[Mapping, ...]) -> tuple[int | None, int | None] | None:
    """The finest precision the pages show a result with, from the metadata of both
    sides: ``(decimals, significant)``; ``(None, None)`` when a page shows it in full;
    ``None`` when no page cites it (or there is no metadata)."""
    decimals: list[int] = []
    significant: list[int] = []
    cited = False
    for entry in entries:
        if not entry.get("formats"):
            continue
        cited = True
        d, s = entry.get("digits"), entry.get("significant")
        if d is None and s is None:
            return None, None
        if isinstance(d, int):
            decimals.append(d)
        if isinstance(s, int):
            significant.append(s)
    if not cited:
        return None
    return max(decimals, default=None), max(significant, default=None)


def _precision_text(decimals: int | None, significant: int | None) -> str:
    parts = ([f"{decimals} decimal" + ("s" if decimals != 1 else "")] if decimals is not None else []) + \
        ([f"{significant} significant digit" + ("s" if significant != 1 else "")] if significant is not None else [])
    return " and ".join(parts)


def _rounded(x: float, decimals: int | None, significant: int | None) -> tuple:
    if math.isnan(x):
        return ("nan",)
    out: tuple = ()
    if decimals is not None:
        out += (round(float(x), decimals),)
    if significant is not None:
        out += (float(format(float(x), f".{max(significant, 1) - 1}e")),)
    return out


def _exactly(x: object, y: object) -> bool:
    """Equal as JSON values, types included (``1`` is not ``True``, ``[1]`` not ``[1.0]``)."""
    if _is_number(x) and _is_number(y):
        return x == y or (math.isnan(x) and math.isnan(y))
    return json.dumps(x, sort_keys=True, default=repr) == json.dumps(y, sort_keys=True, default=repr)


def _agree(x: object, y: object, ea: Mapping, eb: Mapping, digits: int | None) -> tuple[bool, str]:
    """Whether two values of one name are equal under the tolerance rule, and the rule used."""
    if not (_is_number(x) and _is_number(y) and (isinstance(x, float) or isinstance(y, float))):
        return _exactly(x, y), "exact"
    if digits is not None:
        decimals, significant, source = digits, None, "given"
    else:
        shown = _precision((ea, eb))
        if shown is None:
            decimals, significant, source = None, DEFAULT_SIGNIFICANT, "default"
        elif shown == (None, None):
            return _exactly(x, y), "exact"
        else:
            (decimals, significant), source = shown, "as shown"
    same = _rounded(x, decimals, significant) == _rounded(y, decimals, significant)
    return same, f"{source}: {_precision_text(decimals, significant)}"


def _change(x: object, y: object) -> tuple[float, float]:
    if not (_is_number(x) and _is_number(y)):
        return math.nan, math.nan
    try:
        absolute = float(y) - float(x)
    except OverflowError:
        return math.nan, math.nan
    relative = absolute / abs(float(x)) if x != 0 and math.isfinite(float(x)) else math.nan
    return absolute, relative


# ---------------------------------------------------------------------------------------
# what a report shows


def format_value(value: object) -> str:
    """A result as a report shows it: as JSON writes it (strings quoted, ``null``).

    Examples
    --------
    >>> [format_value(v) for v in (0.1, 3, "IL-2", None, True, [1, 2])]
    ['0.1', '3', '"IL-2"', 'null', 'true', '[1, 2]']
    """
    return json.dumps(value, ensure_ascii=False, default=repr)


def format_change(absolute: float, relative: float) -> tuple[str, str]:
    """The absolute and relative change as a report shows them (``""`` when undefined).

    Examples
    --------
    >>> format_change(3.0, 1.0), format_change(-0.0109, -0.0241), format_change(float("nan"), float("nan"))
    (('+3', '+100%'), ('-0.0109', '-2.41%'), ('', ''))
    """
    a = "" if math.isnan(absolute) else f"{absolute:+.6g}"
    r = "" if math.isnan(relative) else f"{100 * relative:+.3g}%"
    return a, r


def format_summary(frame: pd.DataFrame) -> str:
    """One line: how many results differ beyond tolerance, how, and how many are equal.

    Examples
    --------
    >>> frame = pd.DataFrame({"status": ["changed", "added", "equal", "equal"]})
    >>> format_summary(frame)
    '2 differences beyond tolerance (1 changed, 1 added); 2 results equal.'
    >>> format_summary(frame[frame["status"] == "equal"])
    'No differences beyond tolerance; 2 results equal.'
    """
    counts = frame["status"].value_counts()
    n = {s: int(counts.get(s, 0)) for s in STATUSES}
    different = n["changed"] + n["added"] + n["removed"]
    equal = f"{n['equal']:,} result{'s' if n['equal'] != 1 else ''} equal."
    if not different:
        return f"No differences beyond tolerance; {equal}"
    parts = ", ".join(f"{n[s]:,} {s}" for s in STATUSES[:3] if n[s])
    return f"{different:,} difference{'s' if different != 1 else ''} beyond tolerance ({parts}); {equal}"


def _groups(frame: pd.DataFrame):
    """``(chapter label, rows)`` of the differences, in the comparison's order."""
    diff = differences(frame)
    labels = diff["chapter"].map(lambda c: NO_CHAPTER if c is None else str(c))
    for label in dict.fromkeys(labels):
        yield label, diff[labels == label]


def format_report(frame: pd.DataFrame, label_a: str, label_b: str) -> str:
    """The comparison as text for a terminal: the two builds, the summary, then every
    difference grouped by chapter, one line each."""
    lines = [f"A: {label_a}", f"B: {label_b}", format_summary(frame)]
    for label, rows in _groups(frame):
        lines += ["", label]
        for row in rows.itertuples(index=False):
            what = {"added": format_value(row.b), "removed": format_value(row.a)}.get(row.status)
            if what is None:
                absolute, relative = format_change(row.absolute, row.relative)
                change = ", ".join(x for x in (absolute, relative) if x)
                what = f"{format_value(row.a)} -> {format_value(row.b)} ({change + '; ' if change else ''}{row.tolerance})"
            lines.append(f"  {row.status:<8} {row.name}: {what}")
    return "\n".join(lines)


def _esc(value: object) -> str:
    """Text escaped for HTML, backticks included (a page may hold the HTML in a fence)."""
    return html.escape(str(value)).replace("`", "&#96;")


def comparison_tables_html(frame: pd.DataFrame, headers: tuple[str, str] = ("A", "B"),
                           headings: bool = True) -> list[str]:
    """The differences as HTML tables, one per chapter, each with a caption and column
    and row headers; every name and value escaped. With ``headings``, each table is
    preceded by an ``<h2>`` naming its chapter. Returns one string per chapter."""
    out = []
    for label, rows in _groups(frame):
        n = len(rows)
        cols = ["Result", "Status", headers[0], headers[1], "Absolute change", "Relative change", "Tolerance"]
        head = "".join(f'<th scope="col">{_esc(c)}</th>' for c in cols)
        body = []
        for row in rows.itertuples(index=False):
            absolute, relative = format_change(row.absolute, row.relative)
            a = "" if row.status == "added" else format_value(row.a)
            b = "" if row.status == "removed" else format_value(row.b)
            cells = [row.status, a, b, absolute, relative, row.tolerance or ""]
            body.append(f'<tr><th scope="row"><code>{_esc(row.name)}</code></th>'
                        + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
        caption = f"{label}: {n} difference{'s' if n != 1 else ''}"
        table = (f'<table class="table comparison"><caption>{_esc(caption)}</caption>'
                 f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
        out.append((f"<h2>{_esc(label)}</h2>\n" if headings else "") + table)
    return out


_PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 1rem 0 2rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #999; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8eef5; }
code { overflow-wrap: anywhere; }
""".strip()


def comparison_html(frame: pd.DataFrame, label_a: str, label_b: str) -> str:
    """The comparison as a standalone HTML page: no script, no request to anything, every
    name and value escaped, one table per chapter with a caption and headers."""
    tables = comparison_tables_html(frame)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Results compared: {_esc(label_a)} and {_esc(label_b)}</title>",
        f"<style>\n{_PAGE_STYLE}\n</style>", "</head>", "<body>", "<main>",
        "<h1>Results compared</h1>",
        f"<dl><dt>A</dt><dd><code>{_esc(label_a)}</code></dd><dt>B</dt><dd><code>{_esc(label_b)}</code></dd></dl>",
        f"<p>{_esc(format_summary(frame))}</p>", f"<p>{_esc(TOLERANCE_RULE)}</p>",
        *tables, "</main>", "</body>", "</html>",
    ]
    return "\n".join(parts) + "\n"


def changes_page(frame: pd.DataFrame, baseline: str) -> str:
    """The build's appendix page "Changes since <baseline>", as MyST Markdown: the
    summary, the rule, then the differences by chapter (the tables of
    :func:`comparison_tables_html`, as raw HTML)."""
    from helpers.publish.provenance import md_fence, md_text

    lines = [f"# Changes since {md_text(baseline)}", "", md_text(format_summary(frame)), "",
             md_text(f"Every result of this build compared with {baseline}. {TOLERANCE_RULE}"), ""]
    labels = [label for label, _ in _groups(frame)]
    for label, table in zip(labels, comparison_tables_html(frame, ("Baseline", "This build"), headings=False),
                            strict=True):
        lines += [f"## {md_text(label)}", "", *md_fence(table, "{raw} html"), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# files


@dataclass(frozen=True)
class BuildResults:
    """The results of one build as read from disk (:func:`read_results`)."""

    results: dict
    meta: dict | None
    label: str
    path: Path


def _duplicates_refused(path: Path):
    def hook(pairs):
        seen: dict = {}
        for k, v in pairs:
            if k in seen:
                raise CompareInputError(f"{path}: the name {k!r} is given twice")
            seen[k] = v
        return seen

    return hook


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CompareInputError(f"{path}: not UTF-8 text, so not a JSON results file") from None
    except OSError as exc:
        raise CompareInputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return json.loads(text, object_pairs_hook=_duplicates_refused(path))
    except json.JSONDecodeError as exc:
        raise CompareInputError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def read_results(path: str | Path) -> BuildResults:
    """Read a build to compare: a built site (a folder holding ``results.json`` and,
    from this version of the build on, ``results-meta.json``) or a ``results.json`` file
    (from an independent program: no metadata, unless a ``results-meta.json`` lies
    beside a file named ``results.json``).

    Raises
    ------
    CompareInputError
        Naming the file: missing, unreadable, not JSON, not an object of results by
        name, or a metadata file that is not one.
    """
    given = Path(path)
    if given.is_dir():
        file = given / "results.json"
        if not file.is_file():
            raise CompareInputError(f"{given}: no results.json in this folder (expected a built site or a results.json file)")
    elif given.is_file():
        file = given
    elif not given.exists():
        raise CompareInputError(f"{given}: no such file or folder")
    else:
        raise CompareInputError(f"{given}: not a file or a folder")
    results = _read_json(file)
    if not isinstance(results, dict):
        raise CompareInputError(f"{file}: expected a JSON object of results by name, found {_json_kind(results)}")
    meta = None
    meta_file = file.with_name("results-meta.json")
    if file.name == "results.json" and meta_file.is_file():
        meta = _read_json(meta_file)
        try:
            _meta_entries(meta, "meta")
        except TypeError:
            raise CompareInputError(f"{meta_file}: not a results-meta.json (expected an object whose \"results\" "
                                    "maps each name to an object)") from None
    return BuildResults(results, meta, str(path), file)


def _json_kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _write_text(path: Path, text: str) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_comparison_html(frame: pd.DataFrame, path: str | Path, label_a: str, label_b: str) -> Path:
    """Write :func:`comparison_html` to ``path`` (replacing it atomically); returns the path."""
    return _write_text(Path(path), comparison_html(frame, label_a, label_b))


def write_comparison_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write the differences of a comparison as CSV, the columns of
    :func:`compare_results`; values as :func:`format_value` writes them but text
    unquoted (empty on the side that lacks the result), and text a spreadsheet would
    run as a formula neutralised (:func:`helpers.present.tables.neutralise_formulas`)."""
    from helpers.present.tables import neutralise_formulas

    diff = differences(frame).copy()

    def cell(value: object, absent: bool) -> str:
        if absent:
            return ""
        return value if isinstance(value, str) else format_value(value)

    diff["a"] = [cell(v, s == "added") for v, s in zip(diff["a"], diff["status"], strict=True)]
    diff["b"] = [cell(v, s == "removed") for v, s in zip(diff["b"], diff["status"], strict=True)]
    return _write_text(Path(path), neutralise_formulas(diff).to_csv(index=False, lineterminator="\n"))


# ---------------------------------------------------------------------------------------
# a published figure, at the rounding it was published with

#: How a published figure was rounded (``published.yml`` ``rounding``, see
#: :mod:`helpers.publish.reproduce`): printed in full (a count), to a number of
#: decimals, as a percentage of a fraction, or as a p-value.
PUBLISHED_ROUNDINGS: tuple[str, ...] = ("exact", "decimals", "percent", "p_value")
#: The bounds a paper may print instead of a value ("p < 0.001").
PUBLISHED_BOUNDS: tuple[str, ...] = ("<", ">")


def compare_published(
    computed: object,
    published: float,
    rounding: str = "exact",
    decimals: int | None = None,
    bound: str | None = None,
) -> tuple[bool, str]:
    """Whether a computed result gives a published figure at the rounding it was
    published with.

    The same engine as :func:`compare_results` (this module), for the other question a
    build answers: not "did the results change?" but "does the data reproduce the
    paper?" (:mod:`helpers.publish.reproduce`).

    Parameters
    ----------
    computed : number
        The book's value: a fraction (0.5517) when the paper printed a percentage.
    published : number
        The figure as printed: ``55.17`` for "55.17%", ``0.052`` for "p = 0.052",
        ``0.001`` for "p < 0.001" (with ``bound="<"``).
    rounding : {"exact", "decimals", "percent", "p_value"}
        ``exact``: printed in full (a count); ``decimals``: rounded to ``decimals``;
        ``percent``: the computed fraction times 100, rounded to ``decimals``;
        ``p_value``: a p-value rounded to ``decimals``.
    decimals : int
        The decimals printed (required unless ``exact``).
    bound : {"<", ">"}, optional
        The paper printed a bound, not a value: the computed value (as a percentage
        for ``percent``) must lie strictly beyond it.

    Returns
    -------
    tuple of (bool, str)
        Whether the computed value gives the published figure, and the rule used in
        words (``"p-value, 3 decimals: rounded half up or half to even"``). A computed value that is not a
        number (``None``, text, a boolean, NaN) never agrees with a number.

    Raises
    ------
    ValueError
        An unknown ``rounding`` or ``bound``, or ``decimals`` missing or negative when
        the rounding needs them.
    TypeError
        ``published`` is not a number.

    Notes
    -----
    A figure printed with ``d`` decimals stands for every value that rounds to it: the
    computed ``x`` (``100 x`` for a percentage), written as its shortest decimal
    (``repr``), agrees with the printed ``v`` when rounding it to ``d`` decimals gives
    ``v``, halves rounded up (SAS, SPSS, Excel) or to even (R, Python), whichever the
    paper used: ``0.0525`` gives ``0.052`` or ``0.053``, ``1.5`` gives ``2`` only.
    ``exact`` compares numbers for equality (``16 == 16.0``). A bound ``"< v"`` holds
    when ``x < v``.

    Examples
    --------
    >>> compare_published(16 / 29, 55.17, "percent", 2)
    (True, 'percent, 2 decimals: rounded half up or half to even')
    >>> compare_published(0.0524, 0.052, "p_value", 3)[0], compare_published(0.0504, 0.052, "p_value", 3)[0]
    (True, False)
    >>> compare_published(1.5, 1, "decimals", 0)[0], compare_published(1.5, 2, "decimals", 0)[0]
    (False, True)
    >>> compare_published(0.0003, 0.001, "p_value", 3, bound="<")
    (True, 'p-value, 3 decimals: below 0.001')
    >>> compare_published(16, 16)
    (True, 'exact')
    """
    if rounding not in PUBLISHED_ROUNDINGS:
        raise ValueError(f"rounding: expected one of {list(PUBLISHED_ROUNDINGS)}, got {rounding!r}")
    if bound is not None and bound not in PUBLISHED_BOUNDS:
        raise ValueError(f"bound: expected one of {list(PUBLISHED_BOUNDS)} or None, got {bound!r}")
    if not _is_number(published) or math.isnan(published):
        raise TypeError(f"published: expected the printed figure as a number, got {published!r}")
    if rounding != "exact" and (isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0):
        raise ValueError(f"decimals: rounding {rounding!r} needs the number of decimals printed (0 or more), "
                         f"got {decimals!r}")
    words = {"exact": "exact", "decimals": "", "percent": "percent, ", "p_value": "p-value, "}[rounding]
    if rounding != "exact":
        words += f"{decimals} decimal" + ("s" if decimals != 1 else "")
    if not _is_number(computed) or math.isnan(computed):
        return False, words
    x = 100 * float(computed) if rounding == "percent" else float(computed)
    if bound is not None:
        shown = f"{published:.{decimals}f}" if rounding != "exact" else format_value(published)
        return (x < published if bound == "<" else x > published), \
            f"{words}: {'below' if bound == '<' else 'above'} {shown}"
    if rounding == "exact":
        return x == float(published), words
    step = Decimal(1).scaleb(-decimals)
    try:
        # the shortest decimal that is the float (repr), so that 0.0525 is 0.0525
        shown = {Decimal(repr(x)).quantize(step, mode) for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN)}
        same = Decimal(repr(float(published))).quantize(step, ROUND_HALF_EVEN) in shown
    except InvalidOperation:  # beyond Decimal's 28 digits: no paper prints such a figure
        same = False
    return same, f"{words}: rounded half up or half to even"
