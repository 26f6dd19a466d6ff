"""Load a cohort folder and check it against the data contract.

``load_cohort`` reads every table of a cohort (CSV or SAS transport) strictly (a folder
or a named pipe in place of a file, another delimiter, duplicate column names, ragged
rows, text not in the declared encoding, a truncated SAS transport file and an empty
table are all problems), refuses direct identifiers in column names and in free text,
converts each column to its contract type, validates each table with a pandera schema
and the tables against each other, and either returns typed frames or raises one
:class:`~helpers.errors.DataContractError` that lists every problem found, each with its
file, column and rows (an :class:`~helpers.errors.IdentifierError` when an identifier is
among them). It only ever reads the files.
"""


import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.data import contract as ct
from helpers.data.config import CohortConfig, read_cohort_config
from helpers.data.contract import find_table_files  # noqa: F401  (part of this module's API)
from helpers.data.identifiers import check_identifier_columns, check_identifier_values
from helpers.data.mapping import apply_mapping, excluded_subjects
from helpers.data.reading import read_header, read_table
from helpers.data.validation import (
    check_adsl,
    check_baseline_present,
    check_complete_visits,
    check_subjects,
    check_visits,
    find_lab_descriptor_queries,
    validate_table,
)
from helpers.errors import DataContractError, IdentifierError, Problem


@dataclass(frozen=True)
class Cohort:
    """A validated cohort: its config, its typed tables and the files they came from.

    Attributes
    ----------
    config : CohortConfig
    tables : dict of str to DataFrame
        Every table found, by contract name (``"adsl"``, ``"adsledai"``, ...).
    files : dict of str to Path
        The file each table was read from.
    queries : DataFrame
        Data queries (lab-based SLEDAI-2K descriptors that disagree with ``adlb``) when
        the config lists them in an appendix instead of refusing the data. Columns
        ``file``, ``USUBJID``, ``AVISITN``, ``PARAMCD``, ``AVAL``, ``expected``, ``rule``.
    """

    config: CohortConfig
    tables: Mapping[str, pd.DataFrame]
    files: dict[str, Path]
    queries: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Subjects the config's mapping left out of every analysis (``USUBJID``, ``reason``;
    #: screen failures, say), for the participant flow.
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["USUBJID", "reason"]))
    #: Tables present in the data folder that no chapter of the cohort reads: listed, not
    #: validated.
    unused: tuple[str, ...] = ()
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def derived(self, name: str, compute) -> pd.DataFrame:
        """A derived frame computed once per loaded cohort (e.g. SLEDAI-2K totals, which
        several analyses and chapters in one kernel need) and shared by the copies
        :func:`load_cohort` hands out. ``compute(cohort)`` must depend on the data only."""
        if name not in self._derived:
            self._derived[name] = compute(self)
        return self._derived[name].copy(deep=False)

    def __getitem__(self, table: str) -> pd.DataFrame:
        try:
            return self.tables[table]
        except KeyError:
            raise KeyError(
                f"cohort {self.config.name!r} has no table {table!r} "
                f"(it has {sorted(self.tables)})"
            ) from None

    def has(self, *tables: str) -> bool:
        """Whether every named table is present."""
        return all(t in self.tables for t in tables)

    @property
    def arm_var(self) -> str:
        return self.config.arm_var

    @property
    def arms(self) -> tuple[str, ...]:
        """Arms in the config's order, else in order of first appearance in ``adsl``."""
        if self.config.arms:
            return self.config.arms
        return tuple(pd.unique(self.tables["adsl"][self.config.arm_var].dropna()))

    def with_population(self, frame: pd.DataFrame, kind: str = "efficacy", arm_var: str | None = None) -> pd.DataFrame:
        """``frame`` restricted to the subjects of a population, with their arm: the one
        merge of a per-subject or per-visit table with ``adsl`` that analyses use.

        ``kind`` is a population of the config (``efficacy``, ``safety``); the arm column
        is ``arm_var`` (default: the arm variable the config names for that population,
        e.g. the randomized arm for intention to treat, else the cohort's), replacing any
        column of that name.
        """
        arm = arm_var or self.config.population_arm(kind)
        subjects = self.population(kind)[["USUBJID", arm]]
        return frame.drop(columns=[arm], errors="ignore").merge(subjects, on="USUBJID", how="inner")

    def population(self, kind: str = "efficacy") -> pd.DataFrame:
        """``adsl`` restricted to a population (``efficacy`` or ``safety``)."""
        flag = self.config.populations[kind]
        adsl = self.tables["adsl"]
        return adsl[adsl[flag] == "Y"]


# ---------------------------------------------------------------------------------------
# the loader

_MEMO: dict[tuple, Cohort] = {}


def _signature(config_path: Path, files: dict[str, Path]) -> tuple:
    stats = []
    for p in [config_path, *files.values()]:
        st = os.stat(p)
        stats.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(stats)


def _share(cohort: Cohort) -> Cohort:
    # Shallow copies are enough: under pandas copy-on-write, a caller that changes a
    # returned frame changes its own copy, never the memoised one.
    tables = cohort.tables if isinstance(cohort.tables, TableStore) else {
        k: v.copy(deep=False) for k, v in cohort.tables.items()}
    return Cohort(cohort.config, tables, dict(cohort.files), cohort.queries.copy(deep=False), cohort.excluded,
                  cohort.unused, cohort._derived)


#: A folder of validated tables this process reads instead of validating again (see
#: :func:`use_validated_cache`).
_VALIDATED_CACHE: Path | None = None


def use_validated_cache(folder: str | Path | None) -> None:
    """Read cohorts from the validated tables in ``folder`` (written by
    :func:`write_validated_cache`) when its manifest matches the files, table by table
    as a chapter asks for them, instead of reading and validating them again. The build
    calls this in each kernel it starts; ``None`` turns it off."""
    global _VALIDATED_CACHE
    _VALIDATED_CACHE = Path(folder) if folder is not None else None


class TableStore(Mapping):
    """A cohort's validated tables, each read from the cache on first use.

    A chapter that only needs ``adsl`` and ``adae`` never holds the SLEDAI-2K table in
    memory, which matters for a registry-sized cohort.
    """

    def __init__(self, folder: Path, names: list[str]):
        self.folder = Path(folder)
        self._names = list(names)
        self._loaded: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._loaded:
            self._loaded[name] = pd.read_pickle(self.folder / f"{name}.pkl")
        return self._loaded[name].copy(deep=False)

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


def _manifest(config: CohortConfig, files: dict[str, Path]) -> dict:
    return {"signature": [list(x) for x in _signature(config.config_path, files)], "config": repr(config)}


def write_validated_cache(cohort: Cohort, folder: Path) -> None:
    """Write a validated cohort's tables to ``folder`` (one pickle per table and a
    manifest of the files they came from), for :func:`load_cohort` in other processes."""
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)  # invalid while being written
    for name in cohort.tables:
        cohort.tables[name].to_pickle(folder / f"{name}.pkl")
    cohort.queries.to_pickle(folder / "queries.pkl")
    cohort.excluded.to_pickle(folder / "excluded.pkl")
    manifest = {**_manifest(cohort.config, cohort.files), "tables": list(cohort.tables), "unused": list(cohort.unused),
                "files": {k: str(v) for k, v in cohort.files.items()}}
    tmp = folder / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest))
    os.replace(tmp, folder / "manifest.json")


def read_validated_cache(config: CohortConfig, files: dict[str, Path], folder: Path) -> Cohort | None:
    """The cohort from a validated cache when its manifest matches these files, else None."""
    import json

    path = Path(folder) / "manifest.json"
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text())
    if manifest.get("signature") != _manifest(config, files)["signature"] or manifest.get("config") != repr(config):
        return None
    return Cohort(config, TableStore(Path(folder), manifest["tables"]), {k: Path(v) for k, v in manifest["files"].items()},
                  pd.read_pickle(Path(folder) / "queries.pkl"), pd.read_pickle(Path(folder) / "excluded.pkl"),
                  tuple(manifest.get("unused", ())))


def load_cohort(cohort: str | Path | CohortConfig, data_dir: str | Path | None = None) -> Cohort:
    """Load and validate every table of a cohort.

    Parameters
    ----------
    cohort : str, Path or CohortConfig
        The cohort folder (holding ``cohort.yml``), the config file, or a config read
        already.
    data_dir : str or Path, optional
        Read the tables from here instead of the folder the config names.

    Returns
    -------
    Cohort
        Typed tables. Loading the same unchanged files again in the same process returns
        the frames validated the first time (a chapter kernel loads the cohort once).

    Raises
    ------
    IdentifierError
        A column whose name suggests a direct identifier, or free text holding an e-mail
        address, a telephone number or a birth date (columns listed under
        ``reviewed_columns`` of ``cohort.yml`` are exempt). It lists every other problem
        too, after the identifiers.
    DataContractError
        Anything else wrong with the data, every problem at once, each naming the file,
        column and rows: files that are not files, cannot be decoded or parsed (ragged
        rows, another delimiter, duplicate column names, a truncated SAS transport file),
        empty tables, then the contract's checks.
    """
    config = cohort if isinstance(cohort, CohortConfig) else read_cohort_config(cohort)
    if data_dir is not None:
        config = config.with_data_dir(data_dir)
    folder = config.data_dir
    files, problems = find_table_files(folder)
    present = {e.stem.lower() for e in folder.iterdir() if e.suffix.lower() in ct.TABLE_EXTENSIONS} if folder.is_dir() else set()
    if config.blinded:
        from dataclasses import replace

        return blinded(load_cohort(replace(config, blinded=False)))
    key = (_signature(config.config_path, files), str(folder), repr(config))
    if key in _MEMO and not problems:
        return _share(_MEMO[key])
    if _VALIDATED_CACHE is not None and not problems:
        cached = read_validated_cache(config, files, _VALIDATED_CACHE)
        if cached is not None:
            _MEMO.clear()
            _MEMO[key] = cached
            return _share(cached)

    level = config.contract
    for name, table in ct.TABLES.items():
        if level in table.required and name not in present:
            problems.append(Problem(str(folder / f"{name}.csv"), "", (), f"required table {name} ({table.label}) not found (as {name}.csv, .xpt, .json, .ndjson or .parquet)"))

    # Table by table: the header first, so that a column refused as a direct identifier
    # is never read; then the table, its free text, its types and values. Only the typed
    # frame is kept. Identifier problems are reported with every other problem.
    labels = {name: str(path) for name, path in files.items()}
    reviewed = config.reviewed_columns
    identifiers: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    used = tables_used(config)
    unused = tuple(n for n in ct.TABLES if n in files and n not in used)
    excluded = pd.DataFrame(columns=["USUBJID", "reason"])
    for name in [n for n in ct.TABLES if n in files and n in used]:
        table = ct.TABLES[name]
        try:
            header = read_header(files[name], config.encoding)
            named = check_identifier_columns(header, labels[name], table, reviewed)
            identifiers += named
            df = read_table(files[name], table, config.encoding, exclude={p.column for p in named})
        except DataContractError as exc:
            problems += exc.problems
            continue
        except Exception as exc:  # noqa: BLE001 - a failure no check foresaw, reported like every other problem
            problems.append(Problem(labels[name], "", (), f"cannot be read: {exc}"))
            continue
        identifiers += check_identifier_values(df, labels[name], table, reviewed)
        df = apply_mapping(df, name, config.mapping)
        if name == "adsl" and config.mapping.exclude and "USUBJID" in df:
            excluded = excluded_subjects(df, config.mapping)
        if len(excluded) and "USUBJID" in df:
            df = df[~df["USUBJID"].astype("str").isin(excluded["USUBJID"])]
        extra: set[str] = set()
        if name == "adsl":
            extra = {config.arm_var, *config.populations.values()}
        typed, found = validate_table(df, table, labels[name], level, extra)
        del df
        problems += found
        problems += check_complete_visits(typed, table, labels[name])
        tables[name] = typed

    problems += check_subjects(tables, labels)
    problems += check_visits(tables, labels, config)
    if "adsl" in tables:
        problems += check_adsl(tables["adsl"], labels["adsl"], config)
    problems += check_baseline_present(tables, labels, config)

    queries = pd.DataFrame()
    if {"adsledai", "adlb"} <= set(tables) and not problems and not identifiers:
        queries = find_lab_descriptor_queries(tables["adsledai"], tables["adlb"], config.instrument)
        queries.insert(0, "file", labels["adsledai"])
        if len(queries) and config.data_queries == "error":
            for (code, rule), grp in queries.groupby(["PARAMCD", "rule"], sort=False):
                problems.append(
                    Problem(
                        labels["adsledai"] + " / " + labels["adlb"],
                        "AVAL",
                        tuple(grp["row"]),
                        f"descriptor {code} disagrees with adlb ({rule}) at "
                        + "; ".join(f"{u} week {w}" for u, w in grp[["USUBJID", "AVISITN"]].head(5).itertuples(index=False))
                        + (f" and {len(grp) - 5} more" if len(grp) > 5 else "")
                        + " (data queries; set data_queries: appendix in cohort.yml to list them instead)",
                    )
                )
    if identifiers:
        raise IdentifierError(identifiers + problems, str(folder))
    if problems:
        raise DataContractError(problems, str(folder))
    result = Cohort(config, share_subject_categories(tables), {k: v for k, v in files.items() if k in used}, queries,
                    excluded, unused)
    _MEMO.clear()  # one cohort at a time is what a chapter kernel needs
    _MEMO[key] = result
    return _share(result)


#: The dummy arm labels of a blinded build, in the config's arm order.
DUMMY_ARMS: tuple[str, ...] = tuple(f"Arm {chr(ord('A') + i)}" for i in range(26))


def blind_arms(adsl: pd.DataFrame, arm_vars: Sequence[str], arms: Sequence[str], seed: int) -> pd.DataFrame:
    """``adsl`` with a dummy randomization: the subjects' arm assignments shuffled by a
    seeded permutation (arm sizes kept) and the arms renamed "Arm A", "Arm B", ... (in
    the order of ``arms``), in every arm variable alike, so that a book can be finished
    before unblinding without showing a real comparison.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": list("abcd"), "TRT01P": ["IL-2", "IL-2", "Placebo", "Placebo"]})
    >>> out = blind_arms(adsl, ["TRT01P"], ["IL-2", "Placebo"], seed=1)
    >>> sorted(out["TRT01P"]), adsl["TRT01P"].tolist()[0]
    (['Arm A', 'Arm A', 'Arm B', 'Arm B'], 'IL-2')
    """
    import numpy as np

    rename = {arm: DUMMY_ARMS[i] for i, arm in enumerate(arms)}
    order = np.random.default_rng(seed).permutation(len(adsl))
    out = adsl.copy()
    for var in dict.fromkeys(arm_vars):
        if var in out:
            values = out[var].astype("object").to_numpy()[order]
            out[var] = pd.Series(values, index=out.index).map(lambda v: rename.get(v, v))
    return out


def blinded(cohort: Cohort) -> Cohort:
    """The cohort with a dummy randomization (see :func:`blind_arms`), seeded by the
    cohort's name so that every build of it shows the same dummy arms."""
    import hashlib
    from dataclasses import replace

    config = cohort.config
    arms = cohort.arms
    seed = int(hashlib.sha256(config.name.encode()).hexdigest()[:8], 16)
    arm_vars = [config.arm_var, *config.population_arms.values(), "TRT01P", "TRT01A", "ARM", "ACTARM"]
    adsl = blind_arms(cohort.tables["adsl"], arm_vars, arms, seed)
    dummy = tuple(DUMMY_ARMS[i] for i in range(len(arms)))
    reference = DUMMY_ARMS[arms.index(config.reference_arm)] if config.reference_arm in arms else None
    tables = {name: (adsl if name == "adsl" else cohort.tables[name]) for name in cohort.tables}
    return Cohort(replace(config, arms=dummy, reference_arm=reference, blinded=True), tables, dict(cohort.files),
                  cohort.queries, cohort.excluded, cohort.unused)


#: The tables each chapter reads (those it needs and those it shows when present).
CHAPTER_TABLES: dict[str, tuple[str, ...]] = {
    "cohort": ("adsl", "adsledai", "adbilag", "adpga", "admanif", "adex"),
    "sri": ("adsl", "adsledai", "adbilag", "adpga", "adcm"),
    "organ": ("adsl", "adsledai", "adbilag", "adpga", "admanif"),
    "labs": ("adsl", "adlb"),
    "immunology": ("adsl", "adcyto", "adsledai", "adbilag", "adpga"),
    "safety": ("adsl", "adae", "adex", "adlb"),
}


def tables_used(config: CohortConfig) -> set[str]:
    """The tables the cohort's chapters read: only these are validated (another table in
    the folder is listed as present, not used)."""
    return {t for chapter in config.chapters for t in CHAPTER_TABLES.get(chapter, ())} | {"adsl"}


def forget_loaded() -> None:
    """Forget the cohort this process loaded last (a kernel that runs several chapters
    calls it before each, so that each chapter holds only the tables it reads)."""
    _MEMO.clear()


def share_subject_categories(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Give ``USUBJID`` one categorical type across tables (``adsl``'s subjects, in
    order), so that joins between tables work on integer codes."""
    if "adsl" not in tables or "USUBJID" not in tables["adsl"]:
        return tables
    subjects = pd.Index(tables["adsl"]["USUBJID"].astype("str").unique())
    dtype = pd.CategoricalDtype(subjects)
    out = {}
    for name, df in tables.items():
        if "USUBJID" in df:
            df = df.copy(deep=False)
            df["USUBJID"] = df["USUBJID"].astype("str").astype(dtype) if not isinstance(df["USUBJID"].dtype, pd.CategoricalDtype) else df["USUBJID"].cat.set_categories(subjects)
        out[name] = df
    return out
