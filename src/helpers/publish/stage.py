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
