"""The notebook lint: every chapter has the same skeleton and stays thin.

The way well-kept Jupyter Books keep their notebooks honest (OpenMDAO's, for one): a
test reads each committed chapter and checks its shape, so that a chapter cannot grow
logic, outputs or hand-typed results unnoticed.

Each chapter
- is committed without outputs;
- opens with its parameters cell (tagged ``parameters``), declaring the parameters every
  chapter takes;
- imports nothing but this package, and defines no function or class;
- has no wrangling: no ``set_index``, ``.loc``/``.iloc``, sorting or label-keyed lookups;
  the chapter API and the analyses do that;
- marks optional content one way only: a ``needs-*`` tag (the build and
  ``papermill --engine helpers`` drop the cell), never an ``if`` guard on the cohort;
- ends with an "Answer" section, followed only by hidden check cells, of which there is
  at least one;
- types no result in its prose: every number in a markdown cell is glued, except
  numbers that are part of names and citations (IL-2, SRI-4, Th17, SLEDAI-2K, a year).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

#: Parameters every chapter declares (the build passes them).
COMMON_PARAMETERS = ("cohort_dir", "data_dir", "profile", "blind", "downloads_dir", "downloads_url")

#: Numbers allowed in prose: parts of names, citations and fixed definitions.
ALLOWED_NUMBERS = re.compile(
    r"IL-2|IL-17A|IL-4|SRI-\d|SRI-k|Th17|Th1|Th2|CD\d+|CXCR5|PD-1|Foxp3|SLEDAI-2K|BILAG-2004|SELENA-SLEDAI|"
    r"CTCAE(?: v?\d(?:\.\d+)?)?|24-hour|24 hours|g/24 ?h|10⁹/L|"
    r"\b(?:19|20)\d\d\b|NCT\d+|Table S\d|10\^9|ADaM|C3|C4|1 million IU|"
    r"\bgrades? [1-5](?: (?:to|or|and) [1-5])?\b|[1-5] or (?:more|higher)|"
    r"\(0 to 3\)|0 to 3|0-3|\bSRI-[4-6]\b|\bk\b"
)
#: What is stripped from markdown before looking for numbers.
MARKUP = re.compile(
    r"\{glue:[a-z]+\}`[^`]*`|\{cite(?::[a-z]+)?\}`[^`]*`|\{(?:ref|numref|doc|eq)\}`[^`]*`|`[^`]*`|"
    r"\$[^$]*\$|https?://\S+|\]\([^)]*\)|^:[a-z_-]+:.*$|^#+ |<[^>]+>",
    re.M,
)
WRANGLING = re.compile(r"\.set_index\(|\.loc\[|\.iloc\[|\.sort_values\(|\.groupby\(|\.pivot|\.query\(")
GUARD = re.compile(r"^if (?:not )?ch\.(?:cohort\.has|has|several_arms)", re.M)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def test_there_are_chapters():
    assert {p.stem for p in CHAPTERS} >= {"cohort", "sri", "organ", "labs", "immunology", "safety"}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    dirty = [i for i, c in enumerate(cells(path)) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"cells with outputs: {dirty}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_cell_has_a_unique_id(path: Path):
    # nbformat 4.5 cell ids: without them every build warns, and tools cannot address cells.
    ids = [c.get("id") for c in cells(path)]
    assert None not in ids, f"cells without an id: {[i for i, x in enumerate(ids) if x is None]}"
    assert len(set(ids)) == len(ids), "duplicate cell ids"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_parameters_cell_comes_first(path: Path):
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    assert code and "parameters" in tags(code[0]), "the first code cell is the parameters cell"
    assert sum("parameters" in tags(c) for c in code) == 1
    declared = {t.id for node in ast.parse(source(code[0])).body if isinstance(node, ast.Assign) for t in node.targets}
    missing = [p for p in COMMON_PARAMETERS if p not in declared]
    assert not missing, f"the parameters cell lacks {missing}"
    values = [node.value for node in ast.parse(source(code[0])).body if isinstance(node, ast.Assign)]
    assert all(isinstance(v, ast.Constant | ast.List | ast.Dict | ast.Tuple) for v in values), "parameters are literals"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_imports_only_the_package_and_defines_nothing(path: Path):
    problems = []
    for i, c in enumerate(cells(path)):
        if c["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse(source(c))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                problems += [f"cell {i}: imports {n}" for n in names if not (n or "").startswith("helpers")]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                problems.append(f"cell {i}: defines {getattr(node, 'name', 'a lambda')}")
    assert not problems, problems


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_wrangling_in_the_notebook(path: Path):
    found = [f"cell {i}: {m.group()}" for i, c in enumerate(cells(path)) if c["cell_type"] == "code"
             for m in WRANGLING.finditer(source(c))]
    assert not found, found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_optional_cells_are_tagged_not_guarded(path: Path):
    guarded = [i for i, c in enumerate(cells(path)) if c["cell_type"] == "code" and GUARD.search(source(c))]
    assert not guarded, f"cells guarded with `if` on the cohort (tag them needs-* instead): {guarded}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_ends_with_an_answer_then_hidden_checks(path: Path):
    cs = cells(path)
    answer = [i for i, c in enumerate(cs) if c["cell_type"] == "markdown" and re.search(r"^## Answer\b", source(c), re.M)]
    assert answer, "no '## Answer' section"
    after = cs[answer[-1] + 1:]
    # The answer may go on in markdown cells that apply to some cohorts only (tagged
    # needs-*); then come the hidden check cells, at least one.
    optional = 0
    while optional < len(after) and after[optional]["cell_type"] == "markdown" and any(
            t.startswith("needs-") for t in tags(after[optional])):
        optional += 1
    checks = after[optional:]
    assert checks, "no check cell after the answer"
    assert all(c["cell_type"] == "code" and "remove-cell" in tags(c) for c in checks), \
        "only tagged answer paragraphs, then hidden check cells, follow the answer"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_literal_result_in_prose(path: Path):
    found = []
    for i, c in enumerate(cells(path)):
        if c["cell_type"] != "markdown":
            continue
        text = ALLOWED_NUMBERS.sub(" ", MARKUP.sub(" ", source(c)))
        found += [f"cell {i}: {m.group()!r} in {text[max(0, m.start() - 30):m.end() + 30]!r}"
                  for m in re.finditer(r"\d+(?:\.\d+)?%?", text)]
    assert not found, "numbers typed in prose (glue them): " + "; ".join(found)
