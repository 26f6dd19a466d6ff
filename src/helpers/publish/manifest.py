"""``results.json``: every plain value the chapters glued, by name.

Chapters glue each number their prose cites with ``myst_nb.glue`` (through
``helpers.chapter``). The glued value travels in the executed notebook as a display
output whose metadata names it; this module reads those outputs back, keeps the plain
ones (numbers, strings, booleans, lists of them) and writes them as one JSON object.
Figures and tables are glued too but are not plain values, so they are left out.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Iterable
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


def collect_results(notebooks: Iterable[Path]) -> dict[str, object]:
    """Plain glued values of every notebook, by name.

    Raises
    ------
    ManifestError
        When two notebooks glue the same name: a name must mean one thing in the book.
    """
    results: dict[str, object] = {}
    origin: dict[str, str] = {}
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for name, bundle in glued_outputs(nb).items():
            ok, value = plain_value(bundle)
            if not ok:
                continue
            if name in results and origin[name] != path.name:
                raise ManifestError(f"glue name {name!r} is used by both {origin[name]} and {path.name}")
            results[name] = value
            origin[name] = path.name
    return dict(sorted(results.items()))


def results_json(results: dict[str, object]) -> str:
    """The text of ``results.json``: sorted keys, numbers as numbers, no NaN."""
    try:
        text = json.dumps(results, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ManifestError(f"results cannot be written as JSON: {exc}") from exc
    return text + "\n"
