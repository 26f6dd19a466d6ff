"""The provenance appendix and the data-queries appendix, as MyST Markdown."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml

from helpers.data.config import CohortConfig

DATE_PLACEHOLDER = "@@BUILD_DATE@@"


def git_commit(root: Path) -> str:
    """The checked-out commit, marked ``(with local changes)`` when the tree is dirty."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        # --no-optional-locks: a build must never take .git/index.lock (a user's commit
        # running meanwhile would fail).
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return sha + (" (with local changes)" if dirty else "")


def md_text(value: object) -> str:
    r"""``value`` as literal Markdown text: every ASCII punctuation character is
    backslash-escaped (CommonMark), so that nothing in it is read as markup, HTML, a role
    or a table cell boundary, and line breaks become spaces.

    Examples
    --------
    >>> md_text("T <img src=x> | `a`")
    'T \\<img src\\=x\\> \\| \\`a\\`'
    """
    text = " ".join(str(value).splitlines())
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def md_code(value: object) -> str:
    """``value`` as a Markdown code span that no backtick in it can close."""
    text = " ".join(str(value).splitlines()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(text: str, info: str = "") -> list[str]:
    """Lines of a fenced code block holding ``text`` verbatim: the fence is longer than
    any run of backticks in it, so the text can never close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", text.rstrip(), fence]


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of cells that are Markdown already (see :func:`md_text`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _mapping(config: CohortConfig) -> list[str]:
    """What the ``mapping:`` of cohort.yml changed between the export and the analysis,
    and the tables present that no chapter reads."""
    from helpers.data.cohort import tables_used
    from helpers.data.contract import find_table_files

    m = config.mapping
    out: list[str] = []
    if not m.empty:
        out += ["## Mapping from the export", "",
                "The files are analysed as exported; these differences are applied as they are read:", ""]
        out.append(f"- missing values: {', '.join(md_code(v) if v else 'blank' for v in m.missing_values)}")
        for table, renames in m.rename.items():
            out.append(f"- {md_code(table)} columns renamed: "
                       + ", ".join(f"{md_code(a)} as {md_code(b)}" for a, b in renames.items()))
        for table, codes in m.paramcd.items():
            out.append(f"- {md_code(table)} parameter codes: " + ", ".join(f"{md_code(a)} as {md_code(b)}" for a, b in codes.items()))
        if m.units:
            out.append("- units: " + ", ".join(f"{md_code(a)} is {md_code(b)}" for a, b in m.units.items()))
        if m.visits:
            out.append(f"- visits to study weeks, from {md_code(m.visits.get('from', 'AVISITN'))}: "
                       + ", ".join(f"{md_text(k)} as week {v}" for k, v in m.visits.get("weeks", {}).items())
                       + "; other visits left out")
        for rule in m.exclude:
            out.append(f"- left out of every analysis ({md_text(rule['reason'])}): {md_code(rule['column'])} in "
                       + ", ".join(md_code(v) for v in rule["values"]))
        out.append("")
    files, _ = find_table_files(config.data_dir)
    unused = sorted(set(files) - tables_used(config))
    if unused:
        out += ["## Tables present, not used", "",
                "No chapter of this cohort reads these tables, so they were not validated: "
                + ", ".join(md_code(files[t].name) for t in unused) + ".", ""]
    return out


def _imposed(config: CohortConfig) -> list[str]:
    """What a simulated cohort's generator imposed (``simulation.imposed``): a claim
    that "holds" on such data shows that the analysis runs, not that it is true."""
    imposed = config.simulation.get("imposed") or []
    if not config.simulated:
        return []
    out = ["## What the simulation imposed", "",
           "The data are simulated. The generator made the following true by construction, so a "
           "result below that agrees with one of them shows that the analysis runs, not that the "
           "claim is true of patients:", ""]
    out += [f"- {md_text(item)}" for item in imposed] or ["- (the cohort config lists nothing)"]
    return [*out, ""]


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
                ["Cohort", f"{md_code(config.name)}: {md_text(config.title)}"],
                ["Data", "simulated (see the banner)" if config.simulated else
                 ("as exported, mapped to the contract by cohort.yml (below)" if not config.mapping.empty else "as exported")],
                ["Build profile", "public: no subject-level listings or notebook sources; counts from 1 to "
                 f"{config.min_cell_count - 1} shown as \"< {config.min_cell_count}\"" if config.profile == "public"
                 else "full: every table and listing"],
                ["Analysis plan", f"hash {md_code(config.analysis_hash()[:16])}"
                 + (f"; at the database lock {md_code(config.locked_analysis_hash[:16])}"
                    + (": **changed since**" if config.plan_changed_after_lock() else ": unchanged")
                    if config.locked_analysis_hash else "; no hash recorded at the database lock")],
                ["Data cut-off", md_text(config.data_cutoff or "not stated")],
                ["Database lock", md_text(config.database_lock or "not stated")],
                ["Randomization", "dummy (arms shuffled and relabelled)" if config.blinded else "as recorded"],
                ["Build date (UTC)", DATE_PLACEHOLDER],
                ["Git commit", md_code(commit)],
                ["Cohort config", md_code(cfg_name)],
            ],
        ),
        "",
        *_imposed(config),
        *_mapping(config),
        "## Input files",
        "",
        _md_table(
            ["File", "Bytes", "SHA-256"],
            [[md_code(name), f"{sizes.get(name, 0):,}", md_code(digest)] for name, digest in files.items()],
        ),
        "",
        "## Cohort configuration",
        "",
        *md_fence(config.config_path.read_text(encoding="utf-8"), "yaml"),
        "",
        "## Chapters and their parameters",
        "",
    ]
    for name, params in chapters.items():
        out += [f"### {md_code(name)}", "", f"Content hash of its inputs: `{keys[name][:16]}`.", "",
                *md_fence(yaml.safe_dump(dict(params), sort_keys=True), "yaml"), ""]
    out += [
        "## Software",
        "",
        _md_table(["Package", "Version"], [[md_text(k), md_text(v)] for k, v in versions.items()]),
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
        [md_text(r.USUBJID), r.AVISITN, md_text(r.PARAMCD), int(r.AVAL), int(r.expected), md_text(r.rule), r.row]
        for r in queries.itertuples(index=False)
    ]
    out.append(_md_table(["USUBJID", "Week", "Descriptor", "Recorded", "Expected from labs", "Rule", "Row in adsledai"], rows))
    return "\n".join(out) + "\n"
