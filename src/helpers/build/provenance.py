"""The provenance appendix and the data-queries appendix, as MyST Markdown."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml

from helpers.config import CohortConfig

DATE_PLACEHOLDER = "@@BUILD_DATE@@"


def git_commit(root: Path) -> str:
    """The checked-out commit, marked ``(with local changes)`` when the tree is dirty."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return sha + (" (with local changes)" if dirty else "")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def esc(x: object) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def provenance_page(
    config: CohortConfig,
    root: Path,
    files: Mapping[str, str],
    sizes: Mapping[str, int],
    chapters: Mapping[str, Mapping],
    keys: Mapping[str, str],
    versions: Mapping[str, str],
    commit: str,
) -> str:
    """The provenance appendix. The build date is left as a placeholder; the build puts
    the date in when it renders, so an unchanged book has an unchanged page."""
    try:
        cfg_name = str(config.config_path.relative_to(root))
    except ValueError:
        cfg_name = str(config.config_path)
    out = [
        "# Provenance",
        "",
        "What this site was built from, so that any number in it can be traced to its inputs "
        "and reproduced.",
        "",
        _md_table(
            ["", ""],
            [
                ["Cohort", f"`{config.name}`: {config.title}"],
                ["Data", "simulated (see the banner)" if config.simulated else "as exported by the trial team"],
                ["Build date (UTC)", DATE_PLACEHOLDER],
                ["Git commit", f"`{commit}`"],
                ["Cohort config", f"`{cfg_name}`"],
            ],
        ),
        "",
        "## Input files",
        "",
        _md_table(
            ["File", "Bytes", "SHA-256"],
            [[f"`{name}`", f"{sizes.get(name, 0):,}", f"`{digest}`"] for name, digest in files.items()],
        ),
        "",
        "## Cohort configuration",
        "",
        "```yaml",
        config.config_path.read_text(encoding="utf-8").rstrip(),
        "```",
        "",
        "## Chapters and their parameters",
        "",
    ]
    for name, params in chapters.items():
        out += [f"### `{name}`", "", f"Content hash of its inputs: `{keys[name][:16]}`.", "", "```yaml", yaml.safe_dump(dict(params), sort_keys=True).rstrip(), "```", ""]
    out += [
        "## Software",
        "",
        _md_table(["Package", "Version"], [[k, v] for k, v in versions.items()]),
        "",
    ]
    return "\n".join(out)


def data_queries_page(queries) -> str:
    """The data-queries appendix: lab-based descriptors that disagree with the labs."""
    out = [
        "# Data queries",
        "",
        "Lab-based SLEDAI-2K descriptors that disagree with the laboratory value recorded at "
        "the same visit. The analysis uses the descriptors as recorded; each row needs an "
        "answer from the trial team.",
        "",
    ]
    if len(queries) == 0:
        out.append("No data queries.")
        return "\n".join(out) + "\n"
    rows = [
        [r.USUBJID, r.AVISITN, r.PARAMCD, int(r.AVAL), int(r.expected), r.rule, r.row]
        for r in queries.itertuples(index=False)
    ]
    out.append(_md_table(["USUBJID", "Week", "Descriptor", "Recorded", "Expected from labs", "Rule", "Row in adsledai"], rows))
    return "\n".join(out) + "\n"
