"""A tiny book for the build tests: the repository's configuration, one chapter that
glues the number of subjects, and a three-subject generic cohort ``data/tiny``."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

CHAPTER_CELLS = [
    ("code", 'cohort_dir = "data/tiny"\ndata_dir = None\nscale = 1\ndownloads_dir = None\ndownloads_url = None', ["parameters", "remove-cell"]),
    ("code", "from helpers.chapter import Chapter\n"
             "ch = Chapter.open('cohort', cohort_dir, data_dir=data_dir, downloads_dir=downloads_dir, downloads_url=downloads_url)\n"
             "ch.glue('n_subjects', len(ch.cohort['adsl']) * scale)", ["remove-input"]),
    ("markdown", "# Tiny\n\nThere are {glue:text}`n_subjects` subjects.", []),
    ("markdown", "Only with adae: events are recorded.", ["needs-adae"]),
    ("markdown", "Only with adsledai: never shown here.", ["needs-adsledai"]),
]


def make_notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for kind, src, tags in cells:
        cell = nbformat.v4.new_code_cell(src) if kind == "code" else nbformat.v4.new_markdown_cell(src)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return nb


def make_book(root: Path) -> Path:
    """A minimal book root at ``root``: config, toc, landing page, one chapter, one
    generic cohort (``data/tiny``: three subjects, one adverse event)."""
    (root / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copytree(ROOT / "_static", root / "_static")
    shutil.copy(ROOT / "references.bib", root / "references.bib")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Results\n    chapters:\n      - file: chapters/cohort\n"
    )
    nbformat.write(make_notebook(CHAPTER_CELLS), root / "chapters" / "cohort.ipynb")
    data = root / "data" / "tiny"
    data.mkdir(parents=True)
    (data / "cohort.yml").write_text(
        "title: Tiny\nlabel: tiny\nsimulated: true\ncontract: adam\narms: [A]\nchapters: [cohort]\nlanding: intro.md\n"
    )
    (data / "intro.md").write_text("# Tiny book\n\n{glue:text}`chapters/cohort.ipynb::n_subjects:d` subjects.\n")
    (data / "adsl.csv").write_text(
        "USUBJID,AGE,SEX,TRT01A,SAFFL,ITTFL\nT-1,30,F,A,Y,Y\nT-2,40,M,A,Y,Y\nT-3,50,F,A,Y,Y\n"
    )
    (data / "adae.csv").write_text(
        "USUBJID,AETERM,AEDECOD,AEBODSYS,AESER,AEREL,ASTDY,TRTEMFL\nT-1,headache,Headache,Nervous system disorders,N,NOT RELATED,3,Y\n"
    )
    return root
