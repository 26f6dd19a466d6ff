"""Load a cohort folder and check it against the data contract.

``load_cohort`` reads every table of a cohort (CSV or SAS transport), refuses direct
identifiers, converts each column to its contract type, validates each table with a
pandera schema and the tables against each other, and either returns typed frames or
raises one :class:`~helpers.errors.DataContractError` that lists every problem found,
each with its file, column and rows. It only ever reads the files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import contract as ct
from helpers import definitions as d
from helpers.config import CohortConfig, read_cohort_config
from helpers.contract import find_table_files  # noqa: F401  (part of this module's API)
from helpers.errors import DataContractError, IdentifierError, Problem

SAS_EPOCH = pd.Timestamp("1960-01-01")


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

    def population(self, kind: str = "efficacy") -> pd.DataFrame:
        """``adsl`` restricted to a population (``efficacy`` or ``safety``)."""
        flag = self.config.populations[kind]
        adsl = self.tables["adsl"]
        return adsl[adsl[flag] == "Y"]


# ---------------------------------------------------------------------------------------
# finding and reading files


def _numeric_columns(table: ct.Table) -> list[str]:
    return [c.name for c in table.columns if c.kind in ("int", "float")]


def _categorical_text(table: ct.Table) -> bool:
    """Whether a table's text columns are kept as categoricals.

    The long per-item tables (SLEDAI descriptors, BILAG domains, labs, ...) repeat a few
    codes millions of times in a large cohort; categoricals hold them in a byte or two a
    row and make every comparison and grouping work on codes. The small subject-level and
    event tables keep plain text, which displays and concatenates as expected.
    """
    return table.params is not None


def _as_table_dtypes(df: pd.DataFrame, table: ct.Table) -> pd.DataFrame:
    out = df.copy(deep=False)
    keep_cat = _categorical_text(table)
    for col in out.columns:
        s = out[col]
        is_text = isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype)
        if not is_text:
            continue
        if keep_cat or col == "USUBJID":
            if not isinstance(s.dtype, pd.CategoricalDtype):
                out[col] = s.fillna("").astype("str").astype("category")
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype("str")
    return out


def read_table(path: Path, table: ct.Table) -> pd.DataFrame:
    """Read one table file as it is, with numbers as floats where they parse.

    CSV files are parsed by pyarrow: the columns the contract types as numbers are
    parsed as numbers when every value parses (the fast path); otherwise the file is read
    as text so that the bad rows can be reported. Text is dictionary-encoded while it is
    read. SAS transport files are read with pandas' own reader. ``USUBJID`` and the
    text of the long per-item tables come back as categoricals.
    """
    import pyarrow as pa_
    import pyarrow.csv as pcsv

    if path.suffix.lower() == ".xpt":
        df = pd.read_sas(path, format="xport", encoding="latin-1")
        return _as_table_dtypes(df.reset_index(drop=True), table)
    header = pd.read_csv(path, nrows=0).columns.tolist()
    numeric = [c for c in _numeric_columns(table) if c in header]
    # Text is typed explicitly (a site "701" stays text), then dictionary-encoded column
    # by column. (Asking the CSV reader for dictionary columns directly is faster, but its
    # parallel conversion failed now and then under load: "a chunk failed converting".)
    options = {"strings_can_be_null": False, "null_values": [""]}
    try:
        types = {c: (pa_.float64() if c in numeric else pa_.string()) for c in header}
        arrow = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types, **options))
    except pa_.ArrowInvalid:
        # A numeric column holds text somewhere: read everything as text, report later.
        arrow = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types={c: pa_.string() for c in header}, **options))
    arrow = pa_.table([c.dictionary_encode() if pa_.types.is_string(c.type) else c for c in arrow.columns],
                      names=arrow.column_names)
    return _as_table_dtypes(arrow.to_pandas(), table)


# ---------------------------------------------------------------------------------------
# checks


def check_identifiers(df: pd.DataFrame, file: str) -> list[Problem]:
    """Columns that could identify a person directly (names, birth dates, contacts)."""
    problems = []
    for col in df.columns:
        up = str(col).upper()
        if up == "USUBJID" or up in ct.IDENTIFIER_ALLOWED:
            continue
        if up in ct.IDENTIFIER_NAMES or any(f in up for f in ct.IDENTIFIER_FRAGMENTS):
            problems.append(
                Problem(
                    file,
                    str(col),
                    (),
                    "looks like a direct identifier (name, initials, birth date, address, "
                    "telephone, e-mail or record number); remove it before the data reach "
                    "the book: USUBJID is the only subject key allowed",
                )
            )
    return problems


def _rows(index) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in index)


def _blank(s: pd.Series) -> pd.Series:
    if s.dtype.kind in "fiu":
        return s.isna()
    if isinstance(s.dtype, pd.CategoricalDtype):
        blank_cats = [c for c in s.cat.categories if str(c).strip() == ""]
        return s.isna() | s.isin(blank_cats)
    return s.isna() | (s.astype("str").str.strip() == "")


def _strip_text(s: pd.Series) -> pd.Series:
    """Text without surrounding blanks, blanks as ""; categoricals stay categoricals
    (only their categories are touched, so this costs nothing per row)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories.astype("str")
        stripped = cats.str.strip()
        if stripped.is_unique and not s.isna().any():
            return s.cat.rename_categories(stripped) if (stripped != cats).any() else s
        return s.astype("str").fillna("").str.strip().astype("category")
    return s.fillna("").astype("str").str.strip()


def coerce_columns(
    df: pd.DataFrame, table: ct.Table, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert each contract column to its type; report values that do not convert.

    Returns a new frame (the input is not changed): text stripped, blanks as ``""`` in
    flags and text, numbers as float64 (int columns as Int64 once whole), dates as
    datetime64 (SAS dates counted from 1960-01-01).
    """
    out = df.copy(deep=False)  # copy-on-write: new columns never touch the caller's frame
    problems: list[Problem] = []
    for col in table.columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind in ("int", "float"):
            if s.dtype.kind in "fiu":
                num = s.astype("float64")
            else:
                num = pd.to_numeric(s.astype("str"), errors="coerce")
            bad = num.isna() & ~_blank(s)
            if bad.any():
                problems.append(Problem(file, col.name, _rows(s.index[bad]), "not a number"))
            if col.kind == "int":
                frac = num.notna() & (num != np.round(num))
                if frac.any():
                    problems.append(
                        Problem(file, col.name, _rows(s.index[frac]), "not a whole number")
                    )
                    num = num.where(~frac)
                num = num.astype("Int64") if num.isna().any() else num.astype("int64")
            out[col.name] = num
        elif col.kind == "date":
            if s.dtype.kind in "fiu":
                dt = SAS_EPOCH + pd.to_timedelta(s, unit="D")
            else:
                text = s.astype("str")
                dt = pd.to_datetime(text.where(~_blank(s)), format="ISO8601", errors="coerce")
            bad = dt.isna() & ~_blank(s)
            if bad.any():
                problems.append(
                    Problem(file, col.name, _rows(s.index[bad]), "not a date (expected YYYY-MM-DD)")
                )
            out[col.name] = dt
        else:
            out[col.name] = _strip_text(s)
    return out, problems


def _schema(table: ct.Table, level: str, present: set[str], required_extra: set[str]):
    import pandera.pandas as pa  # only validation needs pandera; kernels read validated tables

    columns = {}
    for col in table.columns:
        if col.name not in present:
            continue
        checks = []
        if col.allowed is not None:
            allowed = list(col.allowed)
            if (col.nullable or level not in col.required) and col.kind in ("str", "flag"):
                allowed.append("")
            checks.append(pa.Check.isin(allowed, error=f"one of {col.describe_allowed()}"))
        if col.low is not None or col.high is not None:
            lo = -np.inf if col.low is None else col.low
            hi = np.inf if col.high is None else col.high
            checks.append(pa.Check.in_range(lo, hi, error=f"between {col.describe_allowed()}"))
        # A column the contract level does not require may have gaps (a generic export
        # that happens to carry WEIGHTBL need not have it for everyone).
        nullable = col.nullable or level not in col.required
        if col.kind == "str" and not nullable and col.allowed is None:
            checks.append(pa.Check(lambda s: s != "", element_wise=False, error="not blank"))
        columns[col.name] = pa.Column(None, checks=checks, nullable=nullable, required=False)
    for name in required_extra:
        if name in present and name not in columns:
            columns[name] = pa.Column(None, nullable=False, required=False)
    unique = [k for k in table.key if k in present] if table.key else None
    return pa.DataFrameSchema(columns, unique=unique if unique and len(unique) == len(table.key) else None)


def _describe_check(check: str, column: str, table: ct.Table) -> str:
    if check == "multiple_fields_uniqueness" or check == "field_uniqueness":
        return f"duplicate key {'/'.join(table.key)}: one row per {table.structure.split('(')[0].replace('one row per ', '').strip()} expected"
    if check == "not_nullable":
        return "missing value"
    return f"expected {check}" if check else "invalid value"


def validate_table(
    df: pd.DataFrame, table: ct.Table, file: str, level: str, required_extra: set[str] = frozenset()
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table: required columns, types, allowed values, ranges, unique keys.

    Returns the typed frame and the problems found (all of them, not the first).
    """
    problems: list[Problem] = []
    present = set(df.columns)
    required = {c.name for c in table.columns if level in c.required} | set(required_extra)
    lower = {str(c).upper(): c for c in present}
    for name in sorted(required - present):
        hint = f" (found {lower[name]!r}: names are case-sensitive)" if name in lower else ""
        problems.append(Problem(file, name, (), f"required column is missing{hint}"))
    typed, coerce_problems = coerce_columns(df, table, file)
    problems += coerce_problems
    bad_cols = {p.column for p in coerce_problems}
    schema = _schema(table, level, present - bad_cols, set(required_extra))
    import pandera.errors

    try:
        # inplace: the schema only checks (it coerces nothing), so the copy pandera would
        # otherwise make of a multi-million-row table buys nothing.
        schema.validate(typed, lazy=True, inplace=True)
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()] if "index" in fc else fc
        key_checks = ("multiple_fields_uniqueness", "field_uniqueness")
        dup = fc[fc["check"].isin(key_checks)]
        if len(dup):
            rows = tuple(sorted({int(i) + 1 for i in dup["index"]}))
            problems.append(Problem(file, "/".join(table.key), rows, _describe_check("multiple_fields_uniqueness", "", table)))
            fc = fc[~fc["check"].isin(key_checks)]
        for (column, check), grp in fc.groupby(["column", "check"], sort=False, dropna=False):
            rows = tuple(sorted({int(i) + 1 for i in grp["index"]}))
            shown = ", ".join(sorted({repr(v) for v in grp["failure_case"].head(5)}))
            msg = _describe_check(str(check), str(column), table)
            if "uniqueness" not in str(check) and str(check) != "not_nullable":
                msg += f"; found {shown}"
            problems.append(Problem(file, "" if column is None or pd.isna(column) else str(column), rows, msg))
    if table.params and {"PARAMCD", "AVALU"} <= present:
        problems += _check_units(typed, table, file)
    return typed, problems


def _check_units(df: pd.DataFrame, table: ct.Table, file: str) -> list[Problem]:
    # The distinct (code, unit) pairs first; rows are looked up only for a wrong pair.
    pairs = df[["PARAMCD", "AVALU"]].drop_duplicates()
    expected = pairs["PARAMCD"].astype("str").map(table.params)
    wrong = pairs[expected.notna() & (pairs["AVALU"].astype("str") != expected)]
    problems = []
    for code in pd.unique(wrong["PARAMCD"].astype("str")):
        units = wrong.loc[wrong["PARAMCD"].astype("str") == code, "AVALU"].astype("str")
        rows = df.index[(df["PARAMCD"] == code) & df["AVALU"].isin(units.tolist())]
        problems.append(
            Problem(
                file,
                "AVALU",
                _rows(rows),
                f"{code} must be recorded in {table.params[code]!r}; found "
                f"{sorted(units.unique().tolist())} (convert before loading)",
            )
        )
    return problems


def check_complete_visits(df: pd.DataFrame, table: ct.Table, file: str) -> list[Problem]:
    """Every subject-visit recorded in a per-item table must hold every item.

    A SLEDAI-2K total or an SRI response cannot be computed from a partial visit.
    """
    if not table.params or not {"USUBJID", "AVISITN", "PARAMCD"} <= set(df.columns):
        return []
    # Counting rows is enough: duplicate keys are reported by the key check.
    n_items = df.groupby(["USUBJID", "AVISITN"], sort=False, observed=True)["PARAMCD"].transform("size")
    bad = n_items < len(table.params)
    if not bad.any():
        return []
    visits = df.loc[bad, ["USUBJID", "AVISITN"]].drop_duplicates()
    shown = "; ".join(f"{u} week {w}" for u, w in visits.head(5).itertuples(index=False))
    more = f" and {len(visits) - 5} more" if len(visits) > 5 else ""
    return [
        Problem(
            file,
            "PARAMCD",
            _rows(df.index[bad]),
            f"incomplete visits ({shown}{more}): every visit needs all {len(table.params)} "
            f"codes ({', '.join(table.params)})",
        )
    ]


def check_subjects(tables: dict[str, pd.DataFrame], files: dict[str, str]) -> list[Problem]:
    """Every subject of every table is in ``adsl``."""
    if "adsl" not in tables or "USUBJID" not in tables["adsl"]:
        return []
    known = pd.Index(tables["adsl"]["USUBJID"].unique())
    problems = []
    for name, df in tables.items():
        if name == "adsl" or "USUBJID" not in df:
            continue
        bad = ~df["USUBJID"].isin(known)
        if bad.any():
            ids = sorted(df.loc[bad, "USUBJID"].unique().tolist())
            shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            problems.append(
                Problem(files[name], "USUBJID", _rows(df.index[bad]), f"subjects not in adsl: {shown}")
            )
    return problems


def check_visits(tables: dict[str, pd.DataFrame], files: dict[str, str], config: CohortConfig) -> list[Problem]:
    """Visits are in the cohort's schedule, with the schedule's labels."""
    if not config.visits:
        return []
    labels = {v.week: v.label for v in config.visits}
    problems = []
    for name, df in tables.items():
        if "AVISITN" not in df:
            continue
        weeks = df["AVISITN"]
        bad = weeks.notna() & ~weeks.isin(list(labels))
        if bad.any():
            found = sorted(weeks[bad].dropna().unique().tolist())
            problems.append(
                Problem(
                    files[name],
                    "AVISITN",
                    _rows(df.index[bad]),
                    f"weeks {found} are not in the visit schedule {list(labels)} of {config.config_path.name}",
                )
            )
        if "AVISIT" in df:
            # Compare the distinct (week, label) pairs first; rows only when one is wrong.
            pairs = df[["AVISITN", "AVISIT"]].drop_duplicates()
            wrong = pairs["AVISITN"].map(labels).notna() & (pairs["AVISIT"].astype("str") != pairs["AVISITN"].map(labels))
            if wrong.any():
                expected = weeks.map(labels)
                mismatch = expected.notna() & (df["AVISIT"].astype("str") != expected)
                shown_pairs = pairs[wrong].head(3)
                shown = "; ".join(f"week {w} labelled {lab!r}, expected {labels[w]!r}" for w, lab in shown_pairs.itertuples(index=False))
                problems.append(Problem(files[name], "AVISIT", _rows(df.index[mismatch]), shown))
    return problems


def check_adsl(adsl: pd.DataFrame, file: str, config: CohortConfig) -> list[Problem]:
    """Subject-level consistency: arms from the config; a reason for every discontinuation."""
    problems = []
    arm = config.arm_var
    if config.arms and arm in adsl:
        bad = ~adsl[arm].isin(config.arms)
        if bad.any():
            found = sorted(adsl.loc[bad, arm].unique().tolist())
            problems.append(
                Problem(file, arm, _rows(adsl.index[bad]), f"arms {found} are not among the config's arms {list(config.arms)}")
            )
    if {"EOSSTT", "DCSREAS"} <= set(adsl.columns):
        missing = (adsl["EOSSTT"] == "DISCONTINUED") & (adsl["DCSREAS"] == "")
        if missing.any():
            problems.append(Problem(file, "DCSREAS", _rows(adsl.index[missing]), "discontinued without a reason"))
        stray = (adsl["EOSSTT"] != "DISCONTINUED") & (adsl["DCSREAS"] != "")
        if stray.any():
            problems.append(Problem(file, "DCSREAS", _rows(adsl.index[stray]), "a reason is given but EOSSTT is not DISCONTINUED"))
    return problems


def check_baseline_present(tables: dict[str, pd.DataFrame], files: dict[str, str], config: CohortConfig) -> list[Problem]:
    """Every subject in the efficacy population has a baseline SLEDAI-2K, BILAG and PGA."""
    flag = config.populations.get("efficacy", "ITTFL")
    adsl = tables.get("adsl")
    if adsl is None or flag not in adsl or "USUBJID" not in adsl:
        return []
    subjects = adsl.loc[adsl[flag] == "Y", "USUBJID"]
    problems = []
    for name in ("adsledai", "adbilag", "adpga"):
        df = tables.get(name)
        if df is None or not {"USUBJID", "AVISITN"} <= set(df.columns):
            continue
        have = df.loc[df["AVISITN"] == config.baseline_week, "USUBJID"].unique()
        lacking = sorted(set(subjects) - set(have))
        if lacking:
            shown = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
            problems.append(
                Problem(files[name], "AVISITN", (), f"no baseline (week {config.baseline_week}) for subjects in the efficacy population: {shown}")
            )
    return problems


def find_lab_descriptor_queries(adsledai: pd.DataFrame, adlb: pd.DataFrame) -> pd.DataFrame:
    """Lab-based SLEDAI-2K descriptors that disagree with ``adlb`` at the same visit.

    The rules are those of SLEDAI-2K (``helpers.definitions.LAB_DESCRIPTOR_RULES``).
    A disagreement is a data query: the descriptor may be right (a drug cause was
    excluded, say), but someone has to look.

    Returns
    -------
    DataFrame
        One row per disagreement: ``USUBJID``, ``AVISITN``, ``PARAMCD`` (descriptor),
        ``AVAL`` (recorded), ``expected`` (from the labs), ``rule``, ``row`` (1-based row
        in ``adsledai``).
    """
    lab = adlb.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="AVAL", aggfunc="first", observed=True)
    lo = adlb.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="ANRLO", aggfunc="first", observed=True)
    hi = adlb.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="ANRHI", aggfunc="first", observed=True)

    def col(frame, code):
        return frame[code] if code in frame else pd.Series(np.nan, index=frame.index)

    expected = pd.DataFrame(index=lab.index)
    expected["PROTEIN"] = np.where(col(lab, "UPROT").isna(), np.nan, col(lab, "UPROT") > d.PROTEINURIA_THRESHOLD)
    c3_low = col(lab, "C3") < col(lo, "C3")
    c4_low = col(lab, "C4") < col(lo, "C4")
    known = col(lab, "C3").notna() | col(lab, "C4").notna()
    expected["LOWCOMP"] = np.where(known, c3_low | c4_low, np.nan)
    expected["DNABIND"] = np.where(col(lab, "DSDNA").isna() | col(hi, "DSDNA").isna(), np.nan, col(lab, "DSDNA") > col(hi, "DSDNA"))
    expected["THROMBO"] = np.where(col(lab, "PLAT").isna(), np.nan, col(lab, "PLAT") < d.THROMBOCYTOPENIA_THRESHOLD)
    expected["LEUKOP"] = np.where(col(lab, "WBC").isna(), np.nan, col(lab, "WBC") < d.LEUKOPENIA_THRESHOLD)
    long = expected.stack(future_stack=True).rename("expected").reset_index().rename(columns={"level_2": "PARAMCD"})
    long = long.dropna(subset=["expected"])
    long["expected"] = long["expected"].astype(int)
    sub = adsledai.loc[adsledai["PARAMCD"].isin(list(d.LAB_DESCRIPTOR_RULES)), ["USUBJID", "AVISITN", "PARAMCD", "AVAL"]]
    sub = sub.assign(row=sub.index + 1)
    merged = sub.merge(long, on=["USUBJID", "AVISITN", "PARAMCD"], how="inner")
    out = merged[merged["AVAL"] != merged["expected"]].copy()
    out["rule"] = out["PARAMCD"].map(d.LAB_DESCRIPTOR_RULES)
    return out.sort_values(["USUBJID", "AVISITN", "PARAMCD"]).reset_index(drop=True)


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
    return Cohort(cohort.config, tables, dict(cohort.files), cohort.queries.copy(deep=False), cohort._derived)


#: Environment variable naming a folder of validated tables (set by the build for its
#: kernels): a cohort whose files match the folder's manifest is read from there, table
#: by table as a chapter asks for them, instead of being read and validated again.
VALIDATED_CACHE_ENV = "HELPERS_VALIDATED_CACHE"


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
    manifest = {**_manifest(cohort.config, cohort.files), "tables": list(cohort.tables),
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
                  pd.read_pickle(Path(folder) / "queries.pkl"))


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
        A table has a column that could identify a person directly.
    DataContractError
        Anything else wrong with the data, every problem at once, each naming the file,
        column and rows.
    """
    config = cohort if isinstance(cohort, CohortConfig) else read_cohort_config(cohort)
    if data_dir is not None:
        config = config.with_data_dir(data_dir)
    folder = config.data_dir
    files, problems = find_table_files(folder)
    present = {e.stem.lower() for e in folder.iterdir() if e.suffix.lower() in (".csv", ".xpt")} if folder.is_dir() else set()
    key = (_signature(config.config_path, files), str(folder), repr(config))
    if key in _MEMO and not problems:
        return _share(_MEMO[key])
    cache = os.environ.get(VALIDATED_CACHE_ENV)
    if cache and not problems:
        cached = read_validated_cache(config, files, Path(cache))
        if cached is not None:
            _MEMO.clear()
            _MEMO[key] = cached
            return _share(cached)

    level = config.contract
    for name, table in ct.TABLES.items():
        if level in table.required and name not in present:
            problems.append(Problem(str(folder / f"{name}.csv"), "", (), f"required table {name} ({table.label}) not found (as {name}.csv or {name}.xpt)"))

    # Identifiers first, from the headers alone: a refused table is never read in full.
    headers: dict[str, list[str]] = {}
    early: dict[str, pd.DataFrame] = {}
    for name, path in files.items():
        try:
            if path.suffix.lower() == ".csv":
                headers[name] = pd.read_csv(path, nrows=0).columns.tolist()
            else:
                early[name] = read_table(path, ct.TABLES[name])
                headers[name] = early[name].columns.tolist()
        except Exception as exc:  # a file that cannot be parsed at all
            problems.append(Problem(str(path), "", (), f"cannot be read: {exc}"))
    id_problems = [p for name, cols in headers.items() for p in check_identifiers(pd.DataFrame(columns=cols), str(files[name]))]
    if id_problems:
        raise IdentifierError(id_problems, str(folder))

    # One table at a time: read, type, validate; only the typed frame is kept.
    labels = {name: str(path) for name, path in files.items()}
    tables: dict[str, pd.DataFrame] = {}
    for name in [n for n in ct.TABLES if n in headers]:
        try:
            df = early.pop(name) if name in early else read_table(files[name], ct.TABLES[name])
        except Exception as exc:  # noqa: BLE001 - reported with the file, like every other problem
            problems.append(Problem(str(files[name]), "", (), f"cannot be read: {exc}"))
            continue
        extra: set[str] = set()
        if name == "adsl":
            extra = {config.arm_var, *config.populations.values()}
        typed, found = validate_table(df, ct.TABLES[name], labels[name], level, extra)
        del df
        problems += found
        problems += check_complete_visits(typed, ct.TABLES[name], labels[name])
        tables[name] = typed

    problems += check_subjects(tables, labels)
    problems += check_visits(tables, labels, config)
    if "adsl" in tables:
        problems += check_adsl(tables["adsl"], labels["adsl"], config)
    problems += check_baseline_present(tables, labels, config)

    queries = pd.DataFrame()
    if {"adsledai", "adlb"} <= set(tables) and not problems:
        queries = find_lab_descriptor_queries(tables["adsledai"], tables["adlb"])
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
    if problems:
        raise DataContractError(problems, str(folder))
    result = Cohort(config, share_subject_categories(tables), files, queries)
    _MEMO.clear()  # one cohort at a time is what a chapter kernel needs
    _MEMO[key] = result
    return _share(result)


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
