"""Which cells of a chapter apply to a cohort: the one mechanism for optional content.

A cell tagged ``needs-<table>`` applies only when the cohort has that table;
``needs-several-arms`` and ``needs-one-arm`` only to cohorts with several arms or one;
``needs-renal`` only when the lab table holds a proteinuria and a kidney-function
measure, ``needs-liver`` only when it holds ALT or AST and total bilirubin
(:func:`content_facts`: facts of the data's content, not of a file's presence).
This lets one chapter serve a lupus cohort and a generic ADaM export, or a single-arm and
a randomized trial, with no prose citing a value the cohort cannot have, and no code
cell guarded by an ``if`` as well.

The build drops the cells that do not apply before it runs a chapter; a chapter run by
hand with papermill honours the same tags through this package's papermill engine
(``papermill --engine helpers ...``, registered as an entry point), which looks at the
cohort the ``cohort_dir`` and ``data_dir`` parameters name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from helpers.data.config import CohortConfig


def applies(cell: dict, tables: set[str], n_arms: int) -> bool:
    """Whether a notebook cell applies to a cohort with these tables and arms.

    Examples
    --------
    >>> applies({"metadata": {"tags": ["needs-adcm"]}}, {"adsl", "adcm"}, 1)
    True
    >>> applies({"metadata": {"tags": ["needs-several-arms"]}}, {"adsl"}, 1)
    False
    """
    for tag in cell.get("metadata", {}).get("tags", []):
        if not tag.startswith("needs-"):
            continue
        need = tag[len("needs-"):]
        if need == "several-arms":
            ok = n_arms > 1
        elif need == "one-arm":
            ok = n_arms == 1
        else:
            ok = need in tables
        if not ok:
            return False
    return True


def applicable_notebook(source: Path, tables: set[str], n_arms: int) -> bytes:
    """The chapter notebook without the cells that do not apply to this cohort.

    A cell tagged ``needs-<table>`` is dropped when the cohort has no such table;
    ``needs-several-arms`` and ``needs-one-arm`` keep a cell only for cohorts with
    several arms or with one. This lets one chapter serve a lupus cohort and a generic
    ADaM export, or a single-arm and a randomized trial, with no prose that cites a value
    the cohort cannot have. (The notebook is handled as the JSON it is: this runs on
    every build, including those with nothing to do.)
    """
    nb = json.loads(source.read_text(encoding="utf-8"))
    nb["cells"] = [c for c in nb["cells"] if applies(c, tables, n_arms)]
    return (json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def count_arms(config: CohortConfig, files: list[Path]) -> int:
    """The number of arms: the config's list, else the distinct values of the arm
    variable in ``adsl`` (one when there is no ``adsl``)."""
    if config.arms:
        return len(config.arms)
    from helpers.data import read_table
    from helpers.data.contract import TABLES

    adsl = next((f for f in files if f.stem.lower() == "adsl"), None)
    if adsl is None:
        return 1
    return int(read_table(adsl, TABLES["adsl"], encoding=config.encoding)[config.arm_var].nunique())


def content_facts(config: CohortConfig, files: list[Path], hashes: Mapping[str, str] | None = None,
                  memo: Path | None = None) -> set[str]:
    """Facts a chapter's cells may need that are read from a table's content, not from
    its presence: ``renal`` when ``adlb`` (mapped as ``cohort.yml`` says) holds a
    proteinuria and a kidney-function measure (:func:`helpers.analyses.renal.renal_available`),
    ``liver`` when it holds ALT or AST and total bilirubin
    (:func:`helpers.analyses.labs.liver_available`).

    The lab table is read only when it changed: with ``hashes`` (file -> SHA-256, as the
    build has them) and a ``memo`` file, the facts of an unchanged table are taken from
    the memo, so a rebuild with nothing changed reads no data.
    """
    adlb = next((f for f in files if f.stem.lower() == "adlb" and f != config.config_path), None)
    if adlb is None:
        return set()
    key = (hashes or {}).get(str(adlb))
    if memo is not None and key:
        try:
            kept = json.loads(memo.read_text(encoding="utf-8"))
            if kept.get("key") == key and kept.get("mapping") == repr(config.mapping):
                return set(kept["facts"])
        except (OSError, ValueError, KeyError):
            pass
    from helpers.analyses.labs import liver_available
    from helpers.analyses.renal import renal_available
    from helpers.data import read_table
    from helpers.data.contract import TABLES
    from helpers.data.mapping import apply_mapping

    lab = apply_mapping(read_table(adlb, TABLES["adlb"], encoding=config.encoding), "adlb", config.mapping)
    facts = {fact for fact, present in (("renal", renal_available), ("liver", liver_available))
             if "PARAMCD" in lab and present(lab)}
    if memo is not None and key:
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(json.dumps({"key": key, "mapping": repr(config.mapping), "facts": sorted(facts)}),
                        encoding="utf-8")
    return facts


def cohort_facts(cohort_dir: str | Path, data_dir: str | Path | None = None) -> tuple[set[str], int]:
    """The tables a cohort folder holds and its number of arms, for :func:`applies`."""
    from helpers.data.config import read_cohort_config
    from helpers.data.contract import find_table_files
    from helpers.paths import resolve_path

    config = read_cohort_config(resolve_path(cohort_dir))
    if data_dir:
        config = config.with_data_dir(resolve_path(data_dir))
    files, _ = find_table_files(config.data_dir)
    paths = [config.config_path, *sorted(files.values())]
    return set(files) | content_facts(config, paths), count_arms(config, paths)
