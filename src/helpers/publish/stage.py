"""Stage a cohort's book for Jupyter Book: sources, executed chapters, generated pages.

The staging folder persists between builds so that Sphinx can rebuild incrementally;
every file is written only when its content changed, so an unchanged page keeps its
time stamp and is not read again.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from helpers.data.config import CohortConfig
from helpers.publish.provenance import md_code, md_text

#: Top-level sources copied into every staged book (when present).
BOOK_SOURCES: tuple[str, ...] = ("references.bib", "references.md", "rerunning.md", "_static")


def write_if_changed(path: Path, content: bytes | str) -> bool:
    """Write ``content`` unless the file already holds exactly that. Returns whether it wrote."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def remove_stale(folder: Path, keep: Iterable[Path]) -> list[Path]:
    """Delete files under ``folder`` that are not in ``keep`` (chapters no longer built).

    A folder in ``keep`` keeps everything under it (Sphinx's output and saved
    environment, which make the next render incremental).
    """
    keep = {Path(k).resolve() for k in keep}
    kept_dirs = [k for k in keep if k.is_dir()]
    removed = []
    if folder.is_dir():
        for f in sorted(folder.rglob("*")):
            r = f.resolve()
            if f.is_file() and r not in keep and not any(r.is_relative_to(d) for d in kept_dirs):
                f.unlink()
                removed.append(f)
    return removed


def banner_text(config: CohortConfig) -> str:
    """The announcement shown at the top of every page, as HTML (the theme inserts it as
    markup, so the text taken from ``cohort.yml`` is escaped here): simulated data, a
    dummy randomization, an analysis plan changed after the database lock."""
    parts = []
    if config.blinded:
        parts.append("Dummy randomization: the arms are shuffled and relabelled; no comparison in this book is the trial's.")
    if config.plan_changed_after_lock():
        parts.append(f"The analysis plan changed after the database lock ({html.escape(str(config.database_lock))}): "
                     "see the provenance page.")
    if config.simulated:
        parts.append(
            "Simulated data: every number in this book is computed from a simulated cohort "
            f"calibrated to the published results of {html.escape(config.registry or config.label)}, "
            "not from the trial's patient records."
        )
    return " ".join(parts)


def book_config(base: Mapping, config: CohortConfig) -> dict:
    """The staged ``_config.yml``: the top-level one, adapted to the cohort."""
    cfg = yaml.safe_load(yaml.safe_dump(dict(base)))  # deep copy of plain data
    # Sphinx escapes the title where its own templates show it; the theme's logo title
    # and search page do not, so the logo text is given to the theme escaped (and the
    # search page's title is escaped by helpers.publish.sphinx_ext).
    cfg["title"] = config.title
    cfg.setdefault("sphinx", {}).setdefault("config", {}).setdefault("html_theme_options", {}).setdefault(
        "logo", {})["text"] = html.escape(config.title)
    cfg.setdefault("execute", {})["execute_notebooks"] = "off"
    cfg["only_build_toc_files"] = True
    # Values a landing page can cite as {{ data_cutoff }}, {{ analysis_plan_hash }}, ...
    cfg.setdefault("parse", {})["myst_substitutions"] = {
        "data_cutoff": config.data_cutoff or "not stated", "database_lock": config.database_lock or "not stated",
        "analysis_plan_hash": config.analysis_hash()[:16], "confidence_level": f"{round(100 * (1 - config.alpha), 6):g}%",
    }
    html_options = cfg.setdefault("html", {})
    html_options["announcement"] = banner_text(config)
    sphinx = cfg.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["html_extra_path"] = ["_extra"]
    if config.profile == "public":
        # No executed notebooks in the site: they hold every output, listings included.
        sphinx["html_copy_source"] = False
        html_options["use_download_button"] = False
        sphinx.setdefault("html_theme_options", {})["use_download_button"] = False
    # Theme options given under sphinx.config replace the ones Jupyter Book derives from
    # html.*, so the banner must be set there too.
    if "html_theme_options" in sphinx:
        sphinx["html_theme_options"]["announcement"] = html_options["announcement"]
    return cfg


def book_toc(base: Mapping, chapters: Iterable[str], appendix: Iterable[str]) -> dict:
    """The staged ``_toc.yml``: the top-level one keeping only this cohort's chapters,
    with the generated appendix pages added to the last part."""
    toc = yaml.safe_load(yaml.safe_dump(dict(base)))
    wanted = {f"chapters/{c}" for c in chapters}
    for part in toc.get("parts", []):
        part["chapters"] = [
            e for e in part.get("chapters", [])
            if not str(e.get("file", "")).startswith("chapters/") or e["file"] in wanted
        ]
    toc["parts"] = [p for p in toc.get("parts", []) if p.get("chapters")]
    last = toc["parts"][-1]
    for page in appendix:
        if not any(e.get("file") == page for e in last["chapters"]):
            last["chapters"].append({"file": page})
    return toc


# ---------------------------------------------------------------------------------------
# the default landing page (a cohort whose cohort.yml names no ``landing:``)

#: What each chapter answers, for the default landing page's list of chapters.
CHAPTER_SUMMARIES: dict[str, str] = {
    "cohort": "participant flow, populations and baseline characteristics",
    "sri": "the primary end point (SRI-4), its sensitivity analyses and disease activity over time",
    "organ": "response by organ domain and clinical manifestation",
    "labs": "laboratory values by visit and arm",
    "immunology": "regulatory and effector T-cell subsets",
    "safety": "treatment-emergent adverse events, infections and events of interest, reactions where the "
              "treatment is given, and a listing of every adverse event",
}

#: The key results the default landing page may show: ``(chapter, arms, question,
#: answer)``, the question and answer templates whose ``{name}`` or ``{name:spec}``
#: fields are result names of that chapter; ``arms`` is ``"one"`` (a single-arm cohort
#: only: a value over all subjects is never shown pooled across arms), ``"several"`` or
#: ``"any"``. A row appears only when its chapter is built and glued every name, so the
#: page never cites a result that was not computed.
KEY_RESULTS: tuple[tuple[str, str, str, str], ...] = (
    ("cohort", "any", "Who took part?", "{n_enrolled} subjects enrolled, {n_treated} treated"),
    ("cohort", "several", "Treated, by arm", "{treated_by_arm_text}"),
    ("sri", "one", "Primary end point at week {primary_week}",
     "{primary_responders} of {primary_n} responders ({primary_rate:.1%})"),
    ("sri", "several", "Primary end point at week {primary_week}", "{primary_comparison_text}"),
    ("labs", "any", "Laboratory markers", "{labs_claims_answer}"),
    ("immunology", "any", "Immunology", "{immuno_claims_answer}"),
    ("safety", "one", "Treatment-emergent adverse events", "{teae_subjects} of {safety_n} subjects ({teae_rate:.1%})"),
    ("safety", "several", "Treatment-emergent adverse events, by arm", "{teae_by_arm}"),
    ("safety", "one", "Serious adverse events", "{sae_subjects} subjects"),
    ("safety", "several", "Serious adverse events, by arm", "{sae_by_arm}"),
    ("safety", "any", "Infections", "{infections_text}"),
)


def _fields(template: str) -> list[tuple[str, str]]:
    """``[(name, spec)]`` of a template's fields (spec ``s`` when none is given)."""
    import string

    return [(name, spec or "s") for _, name, spec, _ in string.Formatter().parse(template) if name]


def _cite(template: str, chapter: str) -> str:
    """A template with each field as a glue reference to the chapter's result."""
    import string

    out = []
    for text, name, spec, _ in string.Formatter().parse(template):
        out.append(text)
        if name:
            out.append(f"{{glue:text}}`chapters/{chapter}.ipynb::{name}:{spec or 's'}`")
    return "".join(out)


def _chapter_title(root: Path, chapter: str) -> str:
    """The chapter's title: the first ``# `` heading of its notebook (its name if none)."""
    import json

    try:
        cells = json.loads((root / "chapters" / f"{chapter}.ipynb").read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return chapter
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return chapter


def _design(config: CohortConfig) -> str:
    """The design paragraph: arms, randomized or not, the populations."""
    # Every text from cohort.yml is literal Markdown here (md_text, md_code): a title or an
    # arm holding markup must show as written, never run as HTML in the page or its links.
    arms = [md_text(a) for a in config.arms]
    randomized = any(a == "TRT01P" for a in config.population_arms.values()) or "randomized" in config.populations
    what = [f"Disease: {md_text(config.disease)}"] if config.disease else []
    if config.drug:
        what.append(f"{'treatment' if what else 'Treatment'}: {md_text(config.drug)}"
                    + (f" ({md_text(config.route)})" if config.route else ""))
    if len(arms) > 1:
        design = (f"{'A randomized' if randomized else 'A'} trial of {len(arms)} arms "
                  f"({', '.join(arms)}); each arm is compared with the reference arm, {md_text(config.reference_arm)}.")
    elif arms:
        design = f"A single-arm trial ({arms[0]}), without a control arm."
    else:
        design = "The arms are those of the data."
    populations = [
        f"{md_text(config.population_labels.get(name, name))} ({md_code(flag)}, by {md_code(config.population_arm(name))})"
        for name, flag in config.populations.items()
    ]
    lines = [design]
    if what:
        lines.append("; ".join(what) + ".")
    if populations:
        lines.append("Populations: " + "; ".join(populations) + ".")
    return " ".join(lines)


def default_landing(config: CohortConfig, root: Path, glued: Mapping[str, str]) -> str:
    """The landing page of a cohort whose ``cohort.yml`` names no ``landing:``.

    Parameters
    ----------
    config : CohortConfig
    root : Path
        The repository (the chapters' titles are read from ``chapters/*.ipynb``).
    glued : mapping
        Result name -> the chapter that glued it (the build's
        :attr:`helpers.publish.manifest.GlueIndex.chapters`).

    Returns
    -------
    str
        Markdown: the title, the description, the design (arms, randomized or not,
        populations, disease, treatment and route from the config), the simulated-data
        note when the data are simulated, the key results of the chapters the cohort
        builds (:data:`KEY_RESULTS`, each cited from its chapter and shown only when
        that chapter glued every name it needs), the list of chapters and the appendix.
    """
    parts = [f"# {md_text(config.title)}", ""]
    if config.description:
        parts += [md_text(config.description), ""]
    parts += ["## Design", "", _design(config), ""]
    if config.simulated:
        calibrated = " ".join(str(config.simulation.get("calibrated_to", "")).split()).rstrip(".")
        parts += [
            "The data are a **simulated cohort** generated by `helpers.simulate`"
            + (f", calibrated to {md_text(calibrated)}" if calibrated else "")
            + "; they are not the trial's patient records. The same analysis runs unchanged on a real export in the "
            "same format. Where the simulation imposed a published figure, reproducing it shows that the analysis "
            "runs, not that the result is true.",
            "",
        ]
    built = [c for c in config.chapters if (root / "chapters" / f"{c}.ipynb").is_file()]
    rows = []
    several = len(config.arms) > 1
    for chapter, arms, question, answer in KEY_RESULTS:
        if chapter not in built or arms == ("one" if several else "several"):
            continue
        names = [n for n, _ in _fields(question) + _fields(answer)]
        if not all(glued.get(n) == chapter for n in names):
            continue
        rows.append(f"* - {_cite(question, chapter)}\n  - {_cite(answer, chapter)}")
    if rows:
        parts += ["## Key results", "", "```{list-table}", ":header-rows: 1", ":class: key-results", "",
                  "* - Question\n  - Result", *rows, "```", ""]
    parts += ["## Chapters", ""]
    for i, chapter in enumerate(built, 1):
        summary = CHAPTER_SUMMARIES.get(chapter, "")
        parts.append(f"{i}. [{_chapter_title(root, chapter)}](chapters/{chapter}.ipynb)" + (f": {summary}." if summary else "."))
    rerun = ("explains how to [rerun the book on another export](rerunning.md) and "
             if (root / "rerunning.md").is_file() else "")
    parts += ["", f"The appendix {rerun}lists the [provenance](appendix/provenance.md) of this site: the input files, "
              "parameters and software it was built from. The [downloads](appendix/downloads.md) page has every table "
              "and figure as a file and every result as JSON. {{ book_pdf }}", ""]
    return "\n".join(parts)
