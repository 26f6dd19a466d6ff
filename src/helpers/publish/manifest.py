"""``results.json``: every plain value the chapters glued, by name; and
``results-meta.json``: what is known of each.

Chapters glue each number their prose cites with ``myst_nb.glue`` (through
``helpers.chapter``). The glued value travels in the executed notebook as a display
output whose metadata names it; this module reads those outputs back, keeps the plain
ones (numbers, strings, booleans, lists of them) and writes them as one JSON object.
Figures and tables are glued too but are not plain values, so they are left out.

``results-meta.json`` describes each result, in the spirit of CDISC's Analysis Results
Standard: the chapter that glued it, the group its name says (``name@<arm>``), and the
digits the pages show, read from the format specs of the glue roles citing it
(``{glue:text}`name:.1%``` shows a fraction with 3 decimals). Population, N, method and
unit are written as ``null``: nothing in a glued value states them, and they are not
guessed. ``helpers.publish.compare`` compares floats at those digits.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

GLUE_PREFIX = "application/papermill.record/"
_RICH = ("image/", "text/html", "application/vnd", "text/latex", "text/markdown")


class ManifestError(ValueError):
    """Two chapters glued the same name, or a value cannot be written as JSON."""


def glued_outputs(notebook: nbformat.NotebookNode) -> dict[str, dict]:
    """Every glued output of a notebook: name -> mime bundle (prefix removed)."""
    out: dict[str, dict] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            bundle = {k[len(prefix):]: v for k, v in output.get("data", {}).items() if k.startswith(prefix)}
            out[meta["name"]] = bundle
    return out


def plain_value(bundle: dict) -> tuple[bool, object]:
    """The Python value of a glued output when it is a plain value.

    Returns ``(True, value)`` for numbers, strings, booleans, ``None`` and lists or dicts
    of those; ``(False, None)`` for figures, tables and anything else rich.
    """
    if any(k.startswith(_RICH) for k in bundle):
        return False, None
    text = bundle.get("text/plain")
    if text is None:
        return False, None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False, None
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    return True, value


@dataclass
class GlueIndex:
    """What the executed chapters glued and how their prose cites it.

    Attributes
    ----------
    results : dict
        Plain glued values by name, sorted by name (what ``results.json`` holds).
    chapters : dict
        Name -> the chapter (notebook stem) that glued it.
    citations : dict
        Name -> the format specs the chapters' markdown cites it with (see
        :func:`glue_citations`), in the order met.
    order : list
        The chapters, in the order given.
    """

    results: dict[str, object] = field(default_factory=dict)
    chapters: dict[str, str] = field(default_factory=dict)
    citations: dict[str, list[str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)


def collect_glue(notebooks: Iterable[Path]) -> GlueIndex:
    """Plain glued values of every notebook, by name, with the chapter that glued each
    and the format specs the notebooks' markdown cites it with (one read of each file).

    Raises
    ------
    ManifestError
        When two notebooks glue the same name: a name must mean one thing in the book.
    """
    index = GlueIndex()
    origin: dict[str, str] = {}
    for path in notebooks:
        path = Path(path)
        nb = nbformat.read(path, as_version=4)
        index.order.append(path.stem)
        for name, bundle in glued_outputs(nb).items():
            ok, value = plain_value(bundle)
            if not ok:
                continue
            if name in index.results and origin[name] != path.name:
                raise ManifestError(f"glue name {name!r} is used by both {origin[name]} and {path.name}")
            index.results[name] = value
            index.chapters[name] = path.stem
            origin[name] = path.name
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for name, spec in glue_citations(cell.source):
                    index.citations.setdefault(name, []).append(spec)
    index.results = dict(sorted(index.results.items()))
    return index


def collect_results(notebooks: Iterable[Path]) -> dict[str, object]:
    """Plain glued values of every notebook, by name (see :func:`collect_glue`).

    Raises
    ------
    ManifestError
        When two notebooks glue the same name: a name must mean one thing in the book.
    """
    return collect_glue(notebooks).results


def results_json(results: dict[str, object]) -> str:
    """The text of ``results.json``: sorted keys, numbers as numbers, no NaN."""
    try:
        text = json.dumps(results, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ManifestError(f"results cannot be written as JSON: {exc}") from exc
    return text + "\n"


# ---------------------------------------------------------------------------------------
# results-meta.json

#: The ``schema`` of ``results-meta.json`` this module writes.
META_SCHEMA = "helpers/results-meta/1"

# A glue role: {glue}, {glue:}, {glue:any} show the value's text in full; {glue:text}
# takes a format spec after the last colon (myst_nb.ext.glue.roles.PasteTextRole).
_GLUE_ROLE = re.compile(r"\{glue(?::(text|any|))?\}`([^`]+)`")
# Python's format-spec mini-language (string module documentation).
_FORMAT_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?:\d+)?[,_]?(?:\.(?P<precision>\d+))?(?P<type>[bcdeEfFgGnosxX%])?"
)


def glue_citations(markdown: str) -> list[tuple[str, str]]:
    """``(name, format spec)`` for every glue role in a page's markdown, in order.

    The spec is the one myst-nb formats the value with: what follows the last colon of a
    ``{glue:text}`` role (``"s"`` when there is none, as myst-nb assumes), ``""`` for
    ``{glue}`` and ``{glue:any}``, which show the value's text as it is. A ``doc::``
    prefix (a value glued in another document) is dropped from the name.

    Examples
    --------
    >>> glue_citations("{glue:text}`chapters/sri.ipynb::rate@IL-2:.1%` of {glue:text}`n` ({glue}`p`)")
    [('rate@IL-2', '.1%'), ('n', 's'), ('p', '')]
    """
    out = []
    for role, text in _GLUE_ROLE.findall(markdown):
        if role == "text":
            key, colon, spec = text.rpartition(":")
            key, spec = (key, spec) if colon else (text, "s")
        else:
            key, spec = text, ""
        out.append((key.split("::", 1)[-1].strip(), spec))
    return out


def digits_shown(spec: str) -> tuple[int | None, int | None]:
    """The precision a glue format spec shows a number with: ``(decimals, significant)``.

    ``f``/``F`` show ``precision`` decimals, ``%`` shows the fraction with ``precision + 2``
    decimals, ``e``/``E`` ``precision + 1`` significant digits and ``g``/``G``/``n`` (or no
    type with a precision) ``precision`` significant digits. A spec that shows the value
    exactly (none, ``s``, ``d`` and the other integer types), or that cannot be read, gives
    ``(None, None)``. Python's defaults apply when there is no precision (6).

    Examples
    --------
    >>> [digits_shown(s) for s in (".1%", ".2f", "+.3f", ".0%", ".3g", ".2e", "d", "s", "")]
    [(3, None), (2, None), (3, None), (2, None), (None, 3), (None, 3), (None, None), (None, None), (None, None)]
    """
    m = _FORMAT_SPEC.fullmatch(spec)
    if not m:
        return None, None
    kind, precision = m["type"], m["precision"]
    p = int(precision) if precision is not None else None
    if kind in ("f", "F"):
        return (6 if p is None else p), None
    if kind == "%":
        return (6 if p is None else p) + 2, None
    if kind in ("e", "E"):
        return None, (6 if p is None else p) + 1
    if kind in ("g", "G", "n") or (kind is None and p is not None):
        return None, max(1, 6 if p is None else p)
    return None, None


def combined_digits(specs: Iterable[str]) -> tuple[int | None, int | None]:
    """The finest precision among the format specs a value is cited with: a value shown
    exactly anywhere is exact ``(None, None)``; otherwise the most decimals and the most
    significant digits any page shows (either may be ``None``)."""
    decimals: list[int] = []
    significant: list[int] = []
    for spec in specs:
        d, s = digits_shown(spec)
        if d is None and s is None:
            return None, None
        if d is not None:
            decimals.append(d)
        if s is not None:
            significant.append(s)
    return max(decimals, default=None), max(significant, default=None)


def results_meta(
    results: Mapping[str, object],
    chapters: Mapping[str, str],
    citations: Mapping[str, Iterable[str]],
    order: Iterable[str] = (),
    cohort: str | None = None,
) -> dict:
    """The content of ``results-meta.json``: one entry per result.

    Parameters
    ----------
    results : mapping
        Every result of ``results.json``, by name.
    chapters : mapping
        Name -> the chapter that glued it (a name without one, such as the analysis
        plan's hash, gets ``null``).
    citations : mapping
        Name -> the glue format specs the pages cite it with (:func:`glue_citations`).
    order : iterable of str
        The chapters in the book's order (comparisons list them so).
    cohort : str, optional
        The cohort the build is of.

    Returns
    -------
    dict
        ``{"schema", "cohort", "chapters", "results"}``; ``results`` maps each name to
        ``chapter``, ``group`` (what follows ``@`` in the name: an arm, or
        ``<arm>-vs-<reference>``; else ``null``), ``population``, ``n``, ``method``,
        ``unit`` (``null``: not stated by a glued value), ``formats`` (the distinct
        format specs citing it, sorted; ``[]`` when no page cites it), ``digits`` and
        ``significant`` (:func:`combined_digits`: the decimals or significant digits
        shown; both ``null`` when it is cited and shown exactly, or not cited).

    Examples
    --------
    >>> meta = results_meta({"rate@IL-2": 0.4521, "n": 40}, {"rate@IL-2": "sri", "n": "cohort"},
    ...                     {"rate@IL-2": [".1%", ".1%"], "n": ["d"]}, ["cohort", "sri"])
    >>> meta["results"]["rate@IL-2"]
    {'chapter': 'sri', 'group': 'IL-2', 'population': None, 'n': None, 'method': None, 'unit': None, 'formats': ['.1%'], 'digits': 3, 'significant': None}
    >>> meta["results"]["n"]["formats"], meta["results"]["n"]["digits"]
    (['d'], None)
    """
    entries = {}
    for name in sorted(results):
        specs = sorted(set(citations.get(name, ())))
        decimals, significant = combined_digits(specs)
        entries[name] = {
            "chapter": chapters.get(name), "group": name.partition("@")[2] or None,
            "population": None, "n": None, "method": None, "unit": None,
            "formats": specs, "digits": decimals, "significant": significant,
        }
    return {"schema": META_SCHEMA, "cohort": cohort, "chapters": list(order), "results": entries}


def results_meta_json(meta: Mapping) -> str:
    """The text of ``results-meta.json``: one line per result (entries in the order
    built, by name), so that two builds' files compare line by line.

    Examples
    --------
    >>> print(results_meta_json(results_meta({"n": 3}, {"n": "cohort"}, {"n": ["d"]}, ["cohort"], "tiny")))
    {
     "schema": "helpers/results-meta/1",
     "cohort": "tiny",
     "chapters": ["cohort"],
     "results": {
      "n": {"chapter": "cohort", "group": null, "population": null, "n": null, "method": null, "unit": null, "formats": ["d"], "digits": null, "significant": null}
     }
    }
    """

    def dumps(value: object) -> str:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)

    try:
        head = [f" {dumps(k)}: {dumps(v)}" for k, v in meta.items() if k != "results"]
        entries = [f"  {dumps(k)}: {dumps(v)}" for k, v in meta.get("results", {}).items()]
    except (TypeError, ValueError) as exc:
        raise ManifestError(f"results metadata cannot be written as JSON: {exc}") from exc
    body = ' "results": {' + ("\n" + ",\n".join(entries) + "\n }" if entries else "}")
    return "{\n" + ",\n".join([*head, body]) + "\n}\n"
