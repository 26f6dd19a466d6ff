"""Does the data reproduce the publication? ``published.yml`` and its appendix page.

A cohort folder may hold ``published.yml`` beside ``cohort.yml``: every figure the
trial's publications print, each with its source (paper, table, row, column), the value
as printed, the rounding it was printed with and the ``results.json`` name that should
reproduce it (for a p-value, the tests tried: the book's result for each test it
computes, or the value a test gives on the published figures). The build compares
each figure with the book's result and adds an appendix page, "Does the data reproduce
the publication?", and two counts to ``results.json`` (``published_n``,
``reproduced_n``).

The steps, each a function:

1. :func:`read_published` reads and checks the file: a YAML loader that refuses
   duplicate keys and remembers lines (:mod:`helpers.data.config`'s), the JSON Schema
   :data:`PUBLISHED_SCHEMA`, then what a schema cannot say (a paper that is listed, a
   figure given once, a value with no more decimals than its rounding, tests for a
   p-value and only for one). Every problem at once, each naming the file, the line and
   the key, as ``cohort.yml``'s messages do.
2. :func:`reproduce_published` compares every figure with the build's results, through
   :func:`helpers.publish.compare.compare_published` (the one comparison engine): a
   tidy frame, one row per figure, mismatches first.
3. :func:`reproduction_results` gives the counts ``results.json`` carries, and
   :func:`reproduction_page` the page (every text from a file escaped).
4. :func:`stage_reproduction` does all three for the build.

On simulated data the agreement is by construction (the generator was calibrated to the
same publications, ``cohort.yml`` ``simulation.imposed``), and the page says so; on a
real export it is the check a trial team runs before release and a reviewer asks for.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from helpers.data.config import CohortConfig, _describe, _line_of, _load_yaml, _Problem
from helpers.errors import ConfigError
from helpers.publish.compare import compare_published, format_value
from helpers.publish.provenance import _md_table, md_code, md_text

#: The file a cohort folder may hold, beside ``cohort.yml``.
PUBLISHED_FILE = "published.yml"

#: Statuses of a published figure, in the order the page lists them: the problems
#: first. ``mismatch``: the book's value does not give the published figure;
#: ``missing``: the result named is not in ``results.json``; ``not_reproduced``: a
#: p-value no test tried reproduces; ``reproduced``; ``not_computed``: the book does
#: not compute the figure yet.
STATUSES: tuple[str, ...] = ("mismatch", "missing", "not_reproduced", "reproduced", "not_computed")

#: Each status in words (the page's headings).
STATUS_LABELS: dict[str, str] = {
    "mismatch": "Does not match",
    "missing": "Not in results.json",
    "not_reproduced": "Not reproduced by any test tried",
    "reproduced": "Reproduced",
    "not_computed": "Not computed by the book yet",
}

#: Columns of :func:`reproduce_published`.
COLUMNS: tuple[str, ...] = (
    "paper", "table", "row", "column", "published", "value", "bound", "rounding", "decimals",
    "result", "denominator", "computed", "computed_text", "status", "test", "tests", "note", "line",
)

#: The page's title.
PAGE_TITLE = "Does the data reproduce the publication?"

#: Most decimals a figure may be printed with.
MAX_DECIMALS = 6

_ROUNDING_KEYS = ("decimals", "percent", "p_value")
_BOUND = r"^[<>] ?[0-9]*\.?[0-9]+$"
_KEY = r"^[A-Za-z][A-Za-z0-9_]*$"


class PublishedError(ConfigError):
    """A ``published.yml`` is missing, malformed or inconsistent (every problem listed)."""


# ---------------------------------------------------------------------------------------
# the schema


def _text(expected: str) -> dict:
    return {"type": "string", "pattern": r"\S", "x-expected": expected}


def _name(expected: str) -> dict:
    return {"type": ["string", "null"], "pattern": r"^\S+$", "x-expected": expected}


_DECIMALS = {"type": "integer", "minimum": 0, "maximum": MAX_DECIMALS,
             "x-expected": f"a whole number of decimals from 0 to {MAX_DECIMALS}"}

#: The JSON Schema (draft 2020-12) of ``published.yml``; each subschema's
#: ``x-expected`` is what a message says was expected. What the schema cannot say is
#: checked after it by :func:`read_published`.
PUBLISHED_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": PUBLISHED_FILE,
    "description": "The figures a trial's publications print, and the results.json names that should reproduce them.",
    "type": "object",
    "x-expected": "a mapping with the keys publications and figures",
    "required": ["publications", "figures"],
    "additionalProperties": False,
    "properties": {
        "publications": {
            "type": "object",
            "x-expected": "a mapping of publication keys to their citations",
            "minProperties": 1,
            "propertyNames": {"pattern": _KEY, "x-expected": "a publication key (a letter, then letters, digits or _)"},
            "additionalProperties": _text("a citation (a non-empty string)"),
        },
        "figures": {
            "type": "array",
            "x-expected": "a list of published figures",
            "minItems": 1,
            "items": {
                "type": "object",
                "x-expected": "a mapping with source, value, rounding and result (or tests, for a p-value)",
                "required": ["source", "value", "rounding"],
                "additionalProperties": False,
                "properties": {
                    "source": {
                        "type": "object",
                        "x-expected": "a mapping with paper, table, row and optionally column",
                        "required": ["paper", "table", "row"],
                        "additionalProperties": False,
                        "properties": {
                            "paper": _text("a key of publications"),
                            "table": _text("where in the paper (\"Table 2\", \"Abstract\")"),
                            "row": _text("the row (or the sentence) printing the figure"),
                            "column": _text("the column (an arm, a visit)"),
                        },
                    },
                    "value": {
                        "x-expected": "the figure as printed: a number, or a bound such as '< 0.001'",
                        "anyOf": [{"type": "number"}, {"type": "string", "pattern": _BOUND}],
                    },
                    "rounding": {
                        "x-expected": "exact, or a mapping with one of decimals, percent or p_value "
                                      "(the decimals printed), e.g. {percent: 2}",
                        "anyOf": [
                            {"const": "exact"},
                            {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                             "properties": {k: _DECIMALS for k in _ROUNDING_KEYS}},
                        ],
                    },
                    "result": _name("a results.json name, or null when the book does not compute the figure yet"),
                    "denominator": _name("a results.json name the result is divided by"),
                    "tests": {
                        "type": "array",
                        "x-expected": "a list of the tests tried, each a mapping with test, result and on_published",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "x-expected": "a mapping with test, and optionally result and on_published",
                            "required": ["test"],
                            "additionalProperties": False,
                            "properties": {
                                "test": _text("the test, in words"),
                                "result": _name("the results.json name of the book's p-value by this test, or null"),
                                "on_published": {
                                    "type": "number", "minimum": 0, "maximum": 1,
                                    "x-expected": "the p-value this test gives on the published figures (0 to 1)",
                                },
                            },
                        },
                    },
                    "note": _text("a sentence"),
                },
            },
        },
    },
}


@functools.cache
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(PUBLISHED_SCHEMA)


def _suggest(word: object, choices: Iterable[object]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _schema_problems(raw: dict) -> list[_Problem]:
    """Every schema violation, one problem each (lines filled in later)."""
    problems = []
    for error in _validator().iter_errors(raw):
        path = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        expected = schema.get("x-expected", "a valid value")
        if "propertyNames" in error.schema_path:
            problems.append(_Problem(path + (error.instance,), None, f"{error.instance!r} is not {expected}"))
        elif error.validator == "required":
            problems += [_Problem(path, None, f"missing required key {key!r}")
                         for key in error.validator_value if key not in error.instance]
        elif error.validator == "additionalProperties" and "properties" in schema:
            known = sorted(schema["properties"])
            problems += [_Problem(path + (key,), None, f"unknown key{_suggest(key, known)}; known keys are {known}")
                         for key in error.instance if key not in known]
        else:
            problems.append(_Problem(path, None, f"expected {expected}, got {_shown(error.instance)}"))
    return problems


def _decimals_of(rounding: object) -> tuple[str, int | None]:
    """``("percent", 2)`` from ``{percent: 2}``; ``("exact", None)``."""
    if isinstance(rounding, Mapping):
        (kind, decimals), = rounding.items()
        return kind, decimals
    return "exact", None


def _parse_value(value: object) -> tuple[float | int, str | None]:
    """The printed figure as a number and its bound: ``"< 0.001"`` -> ``(0.001, "<")``."""
    if isinstance(value, str):
        text = value.strip()
        return float(text[1:]), text[0]
    return value, None


def _cross_problems(raw: dict, broken: set[tuple]) -> list[_Problem]:
    """What the schema cannot say; only figures that passed the schema are looked at."""
    problems: list[_Problem] = []
    papers = raw.get("publications") if isinstance(raw.get("publications"), dict) else {}
    seen: dict[tuple, int] = {}
    figures = raw.get("figures") if isinstance(raw.get("figures"), list) else []
    for i, figure in enumerate(figures):
        if any(p[:2] == ("figures", i) for p in broken):
            continue
        at = ("figures", i)
        source = figure["source"]
        if papers and source["paper"] not in papers:
            problems.append(_Problem(at + ("source", "paper"), None,
                                     f"{source['paper']!r} is not a key of publications "
                                     f"{sorted(papers)}{_suggest(source['paper'], papers)}"))
        key = (source["paper"], source["table"], source["row"], source.get("column"))
        if key in seen:
            problems.append(_Problem(at + ("source",), None, f"this figure is given twice (also figures[{seen[key]}])"))
        seen.setdefault(key, i)
        kind, decimals = _decimals_of(figure["rounding"])
        value, bound = _parse_value(figure["value"])
        if decimals is not None and abs(round(value, decimals) - value) > 1e-9:
            problems.append(_Problem(at + ("value",), None,
                                     f"{value!r} has more decimals than its rounding ({kind}: {decimals})"))
        if kind == "percent" and not 0 <= value <= 100:
            problems.append(_Problem(at + ("value",), None, f"a percentage is from 0 to 100, got {value!r}"))
        if kind == "p_value" and not 0 <= value <= 1:
            problems.append(_Problem(at + ("value",), None, f"a p-value is from 0 to 1, got {value!r}"))
        if bound is not None and kind == "exact":
            problems.append(_Problem(at + ("rounding",), None,
                                     f"a bound ({figure['value']!r}) needs the decimals it was printed with, "
                                     "e.g. {p_value: 3}"))
        if kind == "p_value":
            if "tests" not in figure:
                problems.append(_Problem(at, None, "a p-value lists the tests tried: tests: [{test: ..., result: ...}]"))
            for extra in ("result", "denominator"):
                if extra in figure:
                    problems.append(_Problem(at + (extra,), None,
                                             f"a p-value names its results under tests, not {extra}"))
        else:
            if "tests" in figure:
                problems.append(_Problem(at + ("tests",), None, "tests are for a p-value (rounding {p_value: n})"))
            if "result" not in figure:
                problems.append(_Problem(at, None, "missing required key 'result' (null when the book does not "
                                                   "compute the figure yet)"))
            elif figure.get("denominator") is not None and figure["result"] is None:
                problems.append(_Problem(at + ("denominator",), None, "a denominator needs a result to divide"))
    return problems


# ---------------------------------------------------------------------------------------
# the file, read


class Tried(NamedTuple):
    """One test tried for a published p-value: its name, the book's result by it (or
    ``None``), and the p-value it gives on the published figures (or ``None``)."""

    test: str
    result: str | None
    on_published: float | None


@dataclass(frozen=True)
class Figure:
    """One published figure of ``published.yml`` (see :data:`PUBLISHED_SCHEMA`)."""

    paper: str
    table: str
    row: str
    column: str | None
    value: float | int
    bound: str | None
    rounding: str
    decimals: int | None
    result: str | None
    denominator: str | None
    tests: tuple[Tried, ...]
    note: str | None
    line: int | None

    @property
    def printed(self) -> str:
        """The figure as the paper prints it: ``55.17%``, ``< 0.001``, ``16``."""
        return format_printed(self.value, self.rounding, self.decimals, self.bound)


@dataclass(frozen=True)
class Published:
    """A cohort's ``published.yml``: the publications by key and every figure, in order."""

    path: Path
    publications: dict[str, str]
    figures: tuple[Figure, ...]


def format_printed(value: float, rounding: str, decimals: int | None = None, bound: str | None = None) -> str:
    """A figure as a paper prints it.

    Examples
    --------
    >>> format_printed(55.17, "percent", 2), format_printed(0.001, "p_value", 3, "<"), format_printed(16, "exact")
    ('55.17%', '< 0.001', '16')
    """
    text = format_value(value) if rounding == "exact" else f"{value:.{decimals}f}"
    text += "%" if rounding == "percent" else ""
    return f"{bound} {text}" if bound else text


def published_file(folder: str | Path) -> Path | None:
    """The ``published.yml`` of a cohort folder, or ``None`` when it has none."""
    path = Path(folder) / PUBLISHED_FILE
    return path if path.is_file() else None


def read_published(path: str | Path) -> Published:
    """Read and check a ``published.yml``.

    Parameters
    ----------
    path : str or Path
        The file, or the cohort folder holding it.

    Returns
    -------
    Published

    Raises
    ------
    PublishedError
        Listing every problem at once, one line each, as
        ``<file>, line <n>, key <key path>: <what was expected, and what was found>``:
        not YAML, a key given twice, a value :data:`PUBLISHED_SCHEMA` refuses, an
        unknown key (with the closest known key), a paper not under ``publications``,
        a figure given twice (same paper, table, row and column), a value with more
        decimals than its rounding, a percentage outside 0-100 or a p-value outside
        0-1, a bound without decimals, a p-value without ``tests`` or a figure with
        ``tests`` that is not a p-value, a figure without ``result``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "published.yml").write_text(
    ...         "publications: {he2020: 'He J et al., Ann Rheum Dis 2020;79:141-149'}\\n"
    ...         "figures:\\n"
    ...         "  - source: {paper: he2020, table: Abstract, row: SRI-4 at week 12, column: IL-2}\\n"
    ...         "    value: 55.17\\n"
    ...         "    rounding: {percent: 2}\\n"
    ...         "    result: primary_rate@IL-2\\n")
    ...     figure = read_published(folder).figures[0]
    >>> figure.printed, figure.result, figure.line
    ('55.17%', 'primary_rate@IL-2', 3)
    """
    path = Path(path)
    if path.is_dir():
        path = path / PUBLISHED_FILE
    if not path.is_file():
        raise PublishedError(f"{path}: no such file (expected a {PUBLISHED_FILE})")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PublishedError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        raw, lines, problems = _load_yaml(text, str(path))
    except ConfigError as exc:
        raise PublishedError(str(exc)) from exc
    if not isinstance(raw, dict):
        raise PublishedError(f"{path}: the top level must be a mapping with publications and figures, "
                             f"got {type(raw).__name__ if raw is not None else 'nothing'}")
    problems += _schema_problems(raw)
    problems += _cross_problems(raw, {p.path for p in problems})
    if problems:
        located = [p._replace(line=p.line or _line_of(lines, p.path)) for p in problems]
        located.sort(key=lambda p: p.line or 0)
        raise PublishedError("\n".join(dict.fromkeys(_describe(path, p) for p in located)))
    figures = []
    for i, f in enumerate(raw["figures"]):
        kind, decimals = _decimals_of(f["rounding"])
        value, bound = _parse_value(f["value"])
        tests = tuple(Tried(t["test"], t.get("result"), t.get("on_published")) for t in f.get("tests") or ())
        source = f["source"]
        figures.append(Figure(source["paper"], source["table"], source["row"], source.get("column"), value, bound,
                              kind, decimals, f.get("result"), f.get("denominator"), tests, f.get("note"),
                              lines.get(("figures", i))))
    return Published(path, dict(raw["publications"]), tuple(figures))


# ---------------------------------------------------------------------------------------
# the comparison


class TriedOutcome(NamedTuple):
    """A test for a p-value, as compared: where its value comes from (``"book"``: the
    result named; ``"published"``: the published figures; ``"untried"``: neither, a test
    named that could not be tried here), the value (``None`` when the result is not in
    ``results.json``, or untried), whether it gives the figure, and whether the book's
    result is in ``results.json`` (``True`` for the others)."""

    test: str
    result: str | None
    source: str
    value: float | None
    agrees: bool
    found: bool = True


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def format_computed(value: float | None, rounding: str, decimals: int | None) -> str:
    """The book's value as the paper would print it (``null`` when it has none); a
    p-value below the smallest printed is ``< 0.001``.

    Examples
    --------
    >>> format_computed(16 / 29, "percent", 2), format_computed(0.00031, "p_value", 3), format_computed(12.0, "decimals", 0)
    ('55.17%', '< 0.001', '12')
    """
    if value is None:
        return "null"
    if rounding == "p_value" and value < 10.0 ** -decimals:
        return f"< {10.0 ** -decimals:.{decimals}f}"
    if rounding == "exact":
        return format_value(int(value) if float(value).is_integer() else value)
    shown = 100 * value if rounding == "percent" else value
    return f"{shown:.{decimals}f}" + ("%" if rounding == "percent" else "")


def _compare(value: object, figure: Figure) -> bool:
    return compare_published(value, figure.value, figure.rounding, figure.decimals, figure.bound)[0]


def _p_value(figure: Figure, results: Mapping[str, object]) -> dict:
    """A p-value's status: reproduced by a test the book computes, else not matched by
    the book's tests, else (the book computes none) reproduced on the published figures
    by a test the book does not compute yet, or by no test tried."""
    outcomes = []
    for t in figure.tests:
        if t.result is not None:
            value = _number(results.get(t.result)) if t.result in results else None
            outcomes.append(TriedOutcome(t.test, t.result, "book", value,
                                         t.result in results and _compare(results[t.result], figure),
                                         t.result in results))
        if t.on_published is not None:
            outcomes.append(TriedOutcome(t.test, None, "published", t.on_published, _compare(t.on_published, figure)))
        if t.result is None and t.on_published is None:
            outcomes.append(TriedOutcome(t.test, None, "untried", None, False))
    book = [o for o in outcomes if o.source == "book"]
    on_published = [o for o in outcomes if o.source == "published"]
    present = [o for o in book if o.found]
    agreeing = [o for o in present if o.agrees]
    chosen = agreeing[0] if agreeing else present[0] if present else None
    if agreeing:
        status = "reproduced"
    elif present:
        status = "mismatch"
    elif book:
        status = "missing"
    elif any(o.agrees for o in on_published) or not on_published:
        status = "not_computed"
    else:
        status = "not_reproduced"
    return {"status": status, "result": chosen.result if chosen else (book[0].result if book else None),
            "computed": chosen.value if chosen else None, "test": agreeing[0].test if agreeing else None,
            "tests": tuple(outcomes)}


def _single(figure: Figure, results: Mapping[str, object]) -> dict:
    """A figure that is not a p-value: the book's result (over its denominator)."""
    out = {"result": figure.result, "computed": None, "test": None, "tests": ()}
    if figure.result is None:
        return {**out, "status": "not_computed"}
    names = [n for n in (figure.result, figure.denominator) if n is not None]
    if any(n not in results for n in names):
        return {**out, "status": "missing"}
    value: object = results[figure.result]
    if figure.denominator is not None:
        top, bottom = _number(value), _number(results[figure.denominator])
        value = top / bottom if top is not None and bottom else None
    return {**out, "computed": _number(value), "status": "reproduced" if _compare(value, figure) else "mismatch"}


def reproduce_published(published: Published, results: Mapping[str, object]) -> pd.DataFrame:
    """Every published figure compared with the build's results, at its published rounding.

    Parameters
    ----------
    published : Published
        From :func:`read_published`.
    results : mapping
        The build's results by name (the content of ``results.json``).

    Returns
    -------
    DataFrame
        One row per figure, by status in the order of :data:`STATUSES` (mismatches
        first), then in the file's order:

        - ``paper``, ``table``, ``row``, ``column``: the source (``column`` may be
          ``None``).
        - ``published``: the figure as printed (``"55.17%"``, ``"< 0.001"``);
          ``value`` the number and ``bound`` ``"<"``, ``">"`` or ``None``.
        - ``rounding`` (``exact``, ``decimals``, ``percent``, ``p_value``) and
          ``decimals`` (``None`` for exact).
        - ``result``: the name compared (for a p-value, the book's test that reproduced
          it, else its first test present in the results); ``denominator``.
        - ``computed``: the book's value (a fraction for a percentage; ``None`` when
          there is none); ``computed_text`` as the paper would print it.
        - ``status``: a code of :data:`STATUSES`.
        - ``test``: for a reproduced p-value, the test that reproduced it.
        - ``tests``: for a p-value, a tuple of :class:`TriedOutcome`, every test tried.
        - ``note``: the note of ``published.yml``; ``line``: the figure's line there.

    Notes
    -----
    A figure agrees when the book's value, rounded as the paper rounded it, gives the
    printed figure (:func:`helpers.publish.compare.compare_published`). A p-value is
    ``reproduced`` when a test the book computes gives it, ``mismatch`` when the book's
    tests are in the results and none does, ``missing`` when none of them is; when the
    book computes none, ``not_computed`` if a test on the published figures gives it (or
    none was tried) and ``not_reproduced`` if none of those does.

    Examples
    --------
    >>> published = Published(Path("published.yml"), {"p": "A paper"}, (
    ...     Figure("p", "Table 1", "Responders", "IL-2", 16, None, "exact", None, "resp@IL-2", None, (), None, 3),
    ...     Figure("p", "Table 1", "Rate", "IL-2", 55.2, None, "percent", 1, "resp@IL-2", "n@IL-2", (), None, 7),
    ...     Figure("p", "Table 1", "Weight", "IL-2", 54.8, None, "decimals", 1, None, None, (), None, 11)))
    >>> frame = reproduce_published(published, {"resp@IL-2": 16, "n@IL-2": 30})
    >>> frame[["row", "published", "computed_text", "status"]]
             row published computed_text        status
    0       Rate     55.2%         53.3%      mismatch
    1  Responders        16            16    reproduced
    2     Weight      54.8          null  not_computed
    """
    if not isinstance(results, Mapping):
        raise TypeError(f"results: expected results by name (the content of results.json), got {type(results).__name__}")
    rows = []
    for figure in published.figures:
        compared = _p_value(figure, results) if figure.rounding == "p_value" else _single(figure, results)
        rows.append({
            "paper": figure.paper, "table": figure.table, "row": figure.row, "column": figure.column,
            "published": figure.printed, "value": figure.value, "bound": figure.bound, "rounding": figure.rounding,
            "decimals": figure.decimals, "result": compared["result"], "denominator": figure.denominator,
            "computed": compared["computed"],
            "computed_text": format_computed(compared["computed"], figure.rounding, figure.decimals),
            "status": compared["status"], "test": compared["test"], "tests": compared["tests"],
            "note": figure.note, "line": figure.line,
        })
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in COLUMNS})
    rank = frame["status"].map({s: i for i, s in enumerate(STATUSES)})
    return frame.iloc[rank.argsort(kind="stable")].reset_index(drop=True)


def reproduction_results(frame: pd.DataFrame) -> dict[str, int]:
    """What ``results.json`` says of the reproduction: the published figures listed
    (``published_n``) and those the data reproduce (``reproduced_n``).

    Examples
    --------
    >>> reproduction_results(pd.DataFrame({"status": ["mismatch", "reproduced", "not_computed"]}))
    {'published_n': 3, 'reproduced_n': 1}
    """
    return {"published_n": len(frame), "reproduced_n": int((frame["status"] == "reproduced").sum())}


# ---------------------------------------------------------------------------------------
# the page


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def summary_text(frame: pd.DataFrame) -> str:
    """The page's first sentence: the counts of every status.

    Examples
    --------
    >>> summary_text(pd.DataFrame({"status": ["mismatch", "reproduced", "reproduced", "not_computed"]}))
    'Of the 4 published figures, 2 are reproduced by the data; 1 does not match; 1 is not computed by the book yet.'
    """
    n = {s: int((frame["status"] == s).sum()) for s in STATUSES}
    total, done = len(frame), n["reproduced"]
    head = f"Of the {_plural(total, 'published figure')}, {done:,} {'is' if done == 1 else 'are'} reproduced by the data"
    verbs = {
        "mismatch": ("does not match", "do not match"),
        "missing": ("names a result missing from results.json", "name a result missing from results.json"),
        "not_reproduced": ("is a p-value no test tried reproduces", "are p-values no test tried reproduces"),
        "not_computed": ("is not computed by the book yet", "are not computed by the book yet"),
    }
    parts = [f"{n[s]:,} {verbs[s][0] if n[s] == 1 else verbs[s][1]}" for s in verbs if n[s]]
    return "; ".join([head, *parts]) + "."


#: What each section of the page holds.
_SECTION_TEXT = {
    "mismatch": "The book computes these figures, and its value, rounded as the paper rounded it, does not give "
                "the published figure.",
    "missing": "published.yml names a result this build's results.json does not hold: a misspelt name, or a "
               "chapter this cohort does not build.",
    "not_reproduced": "p-values that none of the tests tried gives: neither a test the book computes nor a "
                      "standard test applied to the published figures. The paper does not say how they were "
                      "computed, and they are not reproduced here.",
    "reproduced": "The book's value, rounded as the paper rounded it, gives the published figure.",
    "not_computed": "Figures the book does not compute yet, or does not yet write to results.json. For a "
                    "p-value, a test that gives it on the published figures is named.",
}


def _figure_cell(row) -> str:
    return md_text(row.row + (f", {row.column}" if row.column else ""))


def _computed_cell(row) -> str:
    """The book's value as printed, and unrounded (6 significant digits) when that differs."""
    if row.computed is None:
        return md_text(row.computed_text) if row.status != "not_computed" else ""
    full = float(f"{row.computed:.6g}")
    shown = row.computed_text.removeprefix("< ").removesuffix("%")
    scale = 100 if row.rounding == "percent" else 1
    same = not row.computed_text.startswith("<") and math.isclose(float(shown), scale * full, abs_tol=1e-12)
    return md_text(row.computed_text + ("" if same else f" ({format_value(full)})"))


def _result_cell(row) -> str:
    if row.result is None:
        return ""
    return md_code(row.result) + (f" / {md_code(row.denominator)}" if row.denominator else "")


def _p_text(value: float | None) -> str:
    if value is None:
        return "null"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _notes_cell(row, results_names: Sequence[str]) -> str:
    def absent(name: str) -> str:
        return f"{md_code(name)}: not in results\\.json{md_text(_suggest(name, results_names))}"

    parts = []
    for o in row.tests:
        if o.source == "untried":
            parts.append(f"{md_text(o.test)}: not tried")
        elif not o.found:
            parts.append(f"{md_text(o.test)}, the book's {absent(o.result)}")
        else:
            where = f"the book's {md_code(o.result)}" if o.source == "book" else "on the published figures"
            verdict = "reproduces it" if o.agrees else "does not reproduce it"
            parts.append(f"{md_text(o.test)}, {where}: {md_text(_p_text(o.value))} ({verdict})")
    if row.status == "missing" and not row.tests:
        parts += [absent(n) for n in (row.result, row.denominator) if n is not None and n not in results_names]
    if row.note:
        parts.append(md_text(row.note))
    return "; ".join(parts)


def _table(rows: pd.DataFrame, status: str, results_names: Sequence[str]) -> str:
    computed = status in ("mismatch", "missing", "reproduced")
    header = ["Source", "Figure", "Published", *(["Computed", "Result"] if computed else []), "Tests and notes"]
    body = []
    for row in rows.itertuples(index=False):
        cells = [md_text(f"{row.paper}, {row.table}"), _figure_cell(row), md_text(row.published)]
        if computed:
            cells += [_computed_cell(row), _result_cell(row)]
        cells.append(_notes_cell(row, results_names))
        body.append(cells)
    return _md_table(header, body)


def reproduction_page(
    frame: pd.DataFrame,
    publications: Mapping[str, str],
    simulated: bool = False,
    simulation: Mapping[str, object] | None = None,
    results_names: Iterable[str] = (),
) -> str:
    """The appendix page "Does the data reproduce the publication?", as MyST Markdown.

    Parameters
    ----------
    frame : DataFrame
        From :func:`reproduce_published`.
    publications : mapping
        Publication key -> citation (``published.yml``).
    simulated : bool
        The cohort's data are simulated: the page says the agreement is by construction.
    simulation : mapping, optional
        ``cohort.yml``'s ``simulation`` (``calibrated_to``, ``imposed``), quoted.
    results_names : iterable of str
        The names ``results.json`` holds, to suggest one for a misspelt name.

    Returns
    -------
    str
        The summary counts first, then what the comparison means on these data and how
        it is made, the publications, then one table per status, mismatches first.
        Every text from a file is escaped (:func:`helpers.publish.provenance.md_text`).
    """
    simulation = simulation or {}
    names = sorted(results_names)
    out = [f"# {PAGE_TITLE}", "", f"**{md_text(summary_text(frame))}**", ""]
    if simulated:
        out += ["The data are simulated. Their generator was calibrated to these publications"
                + (f" ({md_text(simulation['calibrated_to'].strip().rstrip('.'))})" if simulation.get("calibrated_to") else "")
                + ", so a figure reproduced here is reproduced by construction: it shows that the book's "
                "derivations and tests compute what the paper reports, not that patients' data give it. "
                "A figure that does not match is one the simulation does not impose, or one the paper "
                "contradicts itself on. The generator imposed:", ""]
        out += [f"- {md_text(item)}" for item in simulation.get("imposed") or []] or ["- (the cohort config lists nothing)"]
        out.append("")
    else:
        out += ["These are the book's results, computed from this data export, against the figures the trial's "
                "publications print: the check a trial team runs before the book is released, and the first a "
                "reviewer asks for. Every figure is either reproduced or its difference is shown.", ""]
    out += ["Each figure is compared at the rounding it was published with: the book's value, rounded as the paper "
            "rounded it, must give the printed figure (halves rounded up or to even, whichever the paper "
            "used; a percentage is the book's fraction times 100; a printed bound such as \"\\< 0.001\" must hold). "
            "Counts are compared exactly. For a p-value every test listed is tried: a test the book computes through its "
            "result in results.json, a test it does not compute through the p-value it gives on the published "
            "figures (counts, or means and standard deviations). results.json carries the counts "
            "(`published_n`, `reproduced_n`); the figures are listed in the cohort's published.yml.", "",
            "## Publications", ""]
    out += [f"- {md_code(key)}: {md_text(citation)}" for key, citation in publications.items()]
    out.append("")
    for status in STATUSES:
        rows = frame[frame["status"] == status]
        if rows.empty:
            continue
        out += [f"## {STATUS_LABELS[status]} ({len(rows):,})", "", md_text(_SECTION_TEXT[status]), "",
                _table(rows, status, names), ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# the build


def stage_reproduction(config: CohortConfig, results: Mapping[str, object]) -> tuple[str | None, dict[str, int]]:
    """What the build adds for a cohort's ``published.yml``: the page (``None`` when the
    cohort folder has no ``published.yml``) and the counts merged into ``results.json``
    (empty without one).

    Raises
    ------
    PublishedError
        The cohort's ``published.yml`` has problems (every one listed).
    """
    path = published_file(config.folder)
    if path is None:
        return None, {}
    published = read_published(path)
    frame = reproduce_published(published, results)
    page = reproduction_page(frame, published.publications, config.simulated, config.simulation, results)
    return page, reproduction_results(frame)
