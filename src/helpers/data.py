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

from __future__ import annotations

import codecs
import csv
import os
import re
import warnings
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
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


#: Separators a mis-exported "CSV" file uses instead of commas, and their names.
_OTHER_DELIMITERS: dict[str, str] = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}

#: SAS transport stores zero as an IBM float that pandas turns into 5.397605e-79; numbers
#: of an XPT file closer to zero than this (and not zero) are read as exactly 0.
XPT_ZERO = 1e-78

#: What a message calls the default encodings.
_DEFAULT_ENCODING = {"csv": "UTF-8", "xpt": "latin-1"}

# pyarrow's error when a value does not convert to its column's type (as opposed to a
# parse error, which a quoted line break across two blocks of a large file can cause).
_CONVERSION_ERROR = "conversion error"
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes kept by errors="surrogateescape"


def _fail(problems: list[Problem]) -> DataContractError:
    return DataContractError(problems)


def _codec(path: Path, encoding: str | None) -> str:
    """The Python codec a table file is read with (``encoding``, else the format's default)."""
    kind = "xpt" if path.suffix.lower() == ".xpt" else "csv"
    name = encoding or _DEFAULT_ENCODING[kind]
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise _fail([Problem(str(path), "", (), f"Python knows no text encoding {name!r}; set encoding: in cohort.yml "
                                                 "to one it knows (e.g. utf-8, latin-1, cp1252)")]) from None


def _not_decoded(path: Path, encoding: str | None, byte: int | None) -> str:
    """The message for text that the declared (or default) encoding cannot decode."""
    at = f" (byte 0x{byte:02x})" if byte is not None else ""
    if encoding is None:
        default = _DEFAULT_ENCODING["xpt" if path.suffix.lower() == ".xpt" else "csv"]
        return (f"text is not valid {default}{at}, the default encoding; name the file's encoding "
                "with the encoding: key of cohort.yml (e.g. encoding: cp1252) or save the file as UTF-8")
    return (f"text is not valid {encoding}{at}, the encoding named by the encoding: key of cohort.yml; "
            "name the file's real encoding there or save the file as UTF-8")


def read_header(path: Path, encoding: str | None = None) -> list[str]:
    """The column names of a table file, checked before the table itself is read.

    Parameters
    ----------
    path : Path
        A ``.csv`` or ``.xpt`` file.
    encoding : str, optional
        The text encoding (``encoding:`` of ``cohort.yml``); by default UTF-8 for CSV
        (with or without a byte-order mark) and latin-1 for SAS transport files.

    Returns
    -------
    list of str
        The column names, in file order.

    Raises
    ------
    DataContractError
        The path is a folder, a named pipe or a device (checked with ``os.stat`` before
        anything opens it, so that a named pipe cannot hang the build); the file is empty;
        its header is not in the encoding; its fields are separated by semicolons, tabs or
        vertical bars instead of commas; a column name appears twice; a SAS transport
        file is truncated or corrupt.
    """
    path = Path(path)
    file = str(path)
    why = ct.file_problem(path)
    if why:
        raise _fail([Problem(file, "", (), why)])
    codec = _codec(path, encoding)
    if path.suffix.lower() == ".xpt":
        columns = list(_read_xpt(path, codec, encoding, header_only=True).columns)
    else:
        columns = _csv_header(path, codec, encoding)
    problems = []
    for name, n in Counter(columns).items():
        if n > 1:
            where = ", ".join(str(i + 1) for i, c in enumerate(columns) if c == name)
            problems.append(Problem(file, name, (), f"the column name appears {n} times in the header "
                                                    f"(columns {where}); keep one column of each name"))
    if problems:
        raise _fail(problems)
    return columns


def _csv_header(path: Path, codec: str, encoding: str | None) -> list[str]:
    file = str(path)
    try:
        # Undecodable bytes are kept (as surrogates) so that only the header's count here;
        # the rows' are reported by row and column if pyarrow refuses them.
        with open(path, encoding="utf-8-sig" if codec == "utf-8" else codec, errors="surrogateescape", newline="") as f:
            header = next((row for row in csv.reader(f) if row), None)
    except csv.Error as exc:
        raise _fail([Problem(file, "", (), f"the header row cannot be parsed as CSV ({exc}); export the table again as CSV")]) from None
    except OSError as exc:
        raise _fail([Problem(file, "", (), f"cannot be opened ({exc.strerror}); check the file's permissions")]) from None
    if header is None:
        raise _fail([Problem(file, "", (), "cannot be read: the file is empty (not even a header row); "
                                           "export the table again with its column names on the first line")])
    undecoded = _UNDECODED.search("".join(header))
    if undecoded:
        byte = ord(undecoded.group()) - 0xDC00
        raise _fail([Problem(file, "", (), "the header row: " + _not_decoded(path, encoding, byte))])
    if len(header) == 1:
        found = [d for d in _OTHER_DELIMITERS if d in header[0]]
        if found:
            sep = max(found, key=header[0].count)
            raise _fail([Problem(file, "", (), f"the fields are separated by {_OTHER_DELIMITERS[sep]} ({sep!r}), not commas: "
                                               "a CSV file must be comma-separated; export it again with ',' as the separator")])
    return header


def read_table(
    path: Path, table: ct.Table, encoding: str | None = None, exclude: Collection[str] = ()
) -> pd.DataFrame:
    """Read one table file as it is, with numbers as floats where they parse.

    CSV files are parsed by pyarrow: the columns the contract types as numbers are
    parsed as numbers when every value parses (the fast path); otherwise the file is read
    as text so that the bad rows can be reported. Text is dictionary-encoded while it is
    read. SAS transport files are read with pandas' own reader, and its zeros
    (5.397605e-79, see :data:`XPT_ZERO`) become exactly 0. ``USUBJID`` and the text of
    the long per-item tables come back as categoricals.

    The file is read strictly: only when pyarrow refuses a file is it read again, row by
    row, to say which rows are wrong, so a valid file costs no more than before.

    Parameters
    ----------
    path : Path
        A ``.csv`` or ``.xpt`` file.
    table : Table
        Its table in the contract (for the number columns and the text types).
    encoding : str, optional
        The text encoding; see :func:`read_header`.
    exclude : collection of str
        Columns not to read (a column refused as a direct identifier is never loaded).

    Raises
    ------
    DataContractError
        Every problem of :func:`read_header`; and rows with more or fewer fields than the
        header, text not in the encoding (by row and column), a SAS transport file that
        pandas warns about (truncated or corrupt), or a file pyarrow cannot parse at all.
    """
    import pyarrow as pa_

    path = Path(path)
    header = read_header(path, encoding)
    codec = _codec(path, encoding)
    if path.suffix.lower() == ".xpt":
        df = _read_xpt(path, codec, encoding)
        return _as_table_dtypes(df.drop(columns=[c for c in exclude if c in df.columns]), table)
    skip = set(exclude)
    keep = [c for c in header if c not in skip]
    numeric = set(_numeric_columns(table))
    typed = {c: (pa_.float64() if c in numeric else pa_.string()) for c in keep}
    text = dict.fromkeys(keep, pa_.string())
    arrow, error = None, None
    # Text is typed explicitly (a site "701" stays text), then dictionary-encoded column
    # by column. (Asking the CSV reader for dictionary columns directly is faster, but its
    # parallel conversion failed now and then under load: "a chunk failed converting".)
    # After a parse error, a second try allows quoted line breaks (pyarrow cuts a large
    # file into blocks at line breaks, which splits a quoted value that holds one); a
    # third reads every column as text (a number column holds text somewhere: reported
    # later, by row).
    for types, newlines in ((typed, False), (typed, True), (text, True)):
        if error is not None and types is typed and _CONVERSION_ERROR in str(error):
            continue
        try:
            arrow = _pyarrow_csv(path, codec, keep, types, newlines)
            break
        except (pa_.ArrowException, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            error = exc
        except OSError as exc:
            raise _fail([Problem(str(path), "", (), f"cannot be read ({exc}); check the file")]) from None
    if arrow is None:
        problems = _diagnose_csv(path, header, codec, encoding)
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _fail(problems or [Problem(str(path), "", (), f"cannot be read as CSV ({first_line}); export the table again")])
    arrow = pa_.table([c.dictionary_encode() if pa_.types.is_string(c.type) else c for c in arrow.columns],
                      names=arrow.column_names)
    return _as_table_dtypes(arrow.to_pandas(), table)


def _pyarrow_csv(path: Path, codec: str, columns: list[str], types: dict, newlines: bool):
    import pyarrow.csv as pcsv

    return pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(encoding="utf8" if codec == "utf-8" else codec),
        parse_options=pcsv.ParseOptions(newlines_in_values=newlines),
        convert_options=pcsv.ConvertOptions(column_types=types, include_columns=columns,
                                            strings_can_be_null=False, null_values=[""]),
    )


def _diagnose_csv(path: Path, header: list[str], codec: str, encoding: str | None) -> list[Problem]:
    """Why pyarrow refused a CSV file, row by row: rows with more or fewer fields than
    the header, and text the encoding cannot decode (by column). Slow, and only run when
    a file has been refused. Blank lines are skipped and not counted, as pyarrow does."""
    file = str(path)
    n = len(header)
    more, fewer, parse = [], [], []
    undecoded: dict[str, list[int]] = {}
    first_byte: dict[str, int] = {}
    row = 0
    with open(path, encoding="utf-8-sig" if codec == "utf-8" else codec, errors="surrogateescape", newline="") as f:
        records = csv.reader(f)
        try:
            next(r for r in records if r)  # the header, checked already
            for record in records:
                if not record:
                    continue
                row += 1
                if len(record) != n:
                    (more if len(record) > n else fewer).append(row)
                if _UNDECODED.search("\x00".join(record)):
                    for j, value in enumerate(record):
                        hit = _UNDECODED.search(value)
                        if hit:
                            column = header[j] if len(record) == n else ""
                            undecoded.setdefault(column, []).append(row)
                            first_byte.setdefault(column, ord(hit.group()) - 0xDC00)
        except csv.Error as exc:
            parse.append(Problem(file, "", (row + 1,), f"cannot be parsed as CSV ({exc}); export the table again"))
    problems = []
    if more:
        problems.append(Problem(file, "", tuple(more), f"more fields than the header's {n} columns; every row needs "
                                                       "one value per column (quote a value that holds a comma)"))
    if fewer:
        problems.append(Problem(file, "", tuple(fewer), f"fewer fields than the header's {n} columns; every row needs "
                                                        "one value per column (leave a missing value empty between commas)"))
    for column, rows in undecoded.items():
        problems.append(Problem(file, column, tuple(sorted(set(rows))), _not_decoded(path, encoding, first_byte[column])))
    return problems + parse


def _read_xpt(path: Path, codec: str, encoding: str | None, header_only: bool = False) -> pd.DataFrame:
    """A SAS transport file as pandas reads it, refused when pandas warns while reading
    (a truncated or corrupt file reads "successfully" with a warning and rows missing);
    ``header_only``: an empty frame with the file's columns."""
    file = str(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reader = pd.read_sas(path, format="xport", encoding=codec, iterator=True)
            try:
                if header_only or reader.nobs == 0:
                    df = pd.DataFrame({c: pd.Series(dtype="float64" if f["ntype"] == "numeric" else object)
                                       for c, f in zip(reader.columns, reader.fields, strict=True)})
                else:
                    df = reader.read()
            finally:
                reader.close()
        except UnicodeDecodeError as exc:
            raise _fail(_diagnose_xpt_text(path, codec, encoding) or [
                Problem(file, "", (), _not_decoded(path, encoding, exc.object[exc.start]))]) from None
        except Exception as exc:  # noqa: BLE001 - whatever pandas raises, the file is not a readable XPT
            raise _fail([Problem(file, "", (), f"cannot be read as a SAS transport (XPT) file ({exc}); "
                                               "export it again as SAS transport version 5")]) from None
    code_warnings = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
    for w in caught:  # about our code, not the data: passed on
        if issubclass(w.category, code_warnings):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    data_warnings = sorted({str(w.message) for w in caught if not issubclass(w.category, code_warnings)})
    if data_warnings:
        raise _fail([Problem(file, "", (), f"the SAS transport file looks truncated or corrupt (pandas: "
                                           f"{'; '.join(data_warnings)}); export it again")])
    df = df.reset_index(drop=True)
    for col in df.columns:
        s = df[col]
        if s.dtype.kind == "f":
            tiny = (s != 0) & (s.abs() < XPT_ZERO)
            if tiny.any():
                df[col] = s.mask(tiny, 0.0)
    return df


def _diagnose_xpt_text(path: Path, codec: str, encoding: str | None) -> list[Problem]:
    """The rows and columns of an XPT file whose text ``codec`` cannot decode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_sas(path, format="xport", encoding=None)
    problems = []
    for col in raw.columns:
        s = raw[col]
        if s.dtype != object:
            continue
        bad, byte = [], None
        for value in pd.unique(s):
            if isinstance(value, bytes):
                try:
                    value.decode(codec)
                except UnicodeDecodeError as exc:
                    bad.append(value)
                    byte = exc.object[exc.start] if byte is None else byte
        if bad:
            problems.append(Problem(str(path), str(col), _rows(s.index[s.isin(bad)]), _not_decoded(path, encoding, byte)))
    return problems


# ---------------------------------------------------------------------------------------
# checks

#: Text columns the identifier scan skips: the trial's own codes for the study, the
#: subject and the site, which look like telephone numbers ("01-701-1015") and which the
#: contract checks otherwise.
_KEY_COLUMNS: tuple[str, ...] = ("STUDYID", "USUBJID", "SUBJID", "SITEID")
_ANY_IDENTIFIER = "|".join(f"(?:{p})" for p in ct.IDENTIFIER_PATTERNS.values())
_IDENTIFIER_RES = {what: re.compile(p, re.IGNORECASE) for what, p in ct.IDENTIFIER_PATTERNS.items()}


def _mask(value, quote: bool = True) -> str:
    """A value for a message: its repr (or text), unless it looks like a direct identifier,
    which no message shows (a telephone number in a column of allowed values, say)."""
    text = str(value)
    for what, rx in _IDENTIFIER_RES.items():
        if rx.search(text):
            return f"<{what}, not shown>"
    return repr(value) if quote else text


def _reviewed(column: str, table: ct.Table | None, reviewed: Iterable[str]) -> bool:
    """Whether ``reviewed_columns`` names this column ("table.COLUMN" or "COLUMN")."""
    name = table.name.lower() if table is not None else ""
    for entry in reviewed:
        t, _, c = str(entry).rpartition(".")
        if c.upper() == str(column).upper() and (not t or t.lower() == name):
            return True
    return False


def _review_hint(column: str, table: ct.Table | None) -> str:
    entry = f"{table.name}.{column}" if table is not None else str(column)
    return f"if a person has checked this column, list it under reviewed_columns in cohort.yml (as {entry})"


def check_identifier_columns(
    columns: Iterable[str], file: str, table: ct.Table | None = None, reviewed: Iterable[str] = ()
) -> list[Problem]:
    """Columns whose names suggest a direct identifier (:func:`helpers.contract.identifier_kind`).

    Parameters
    ----------
    columns : iterable of str
        Column names (a header: the table need not be read).
    file : str
        The file, for the messages.
    table : Table, optional
        The contract table (for ``reviewed_columns`` entries written ``table.COLUMN``).
    reviewed : iterable of str
        ``reviewed_columns`` of ``cohort.yml``: columns a person has checked, exempt.

    Returns
    -------
    list of Problem
        One per refused column, with no rows.

    Examples
    --------
    >>> [p.column for p in check_identifier_columns(["USUBJID", "BRTHDAT", "E_MAIL", "TRTSDT"], "adsl.csv")]
    ['BRTHDAT', 'E_MAIL']
    >>> check_identifier_columns(["BRTHDAT"], "adsl.csv", reviewed=["BRTHDAT"])
    []
    """
    reviewed = tuple(reviewed)
    problems = []
    for col in columns:
        kind = ct.identifier_kind(col)
        if kind is None or _reviewed(col, table, reviewed):
            continue
        problems.append(Problem(
            file, str(col), (),
            f"the column name looks like a direct identifier ({kind}); remove the column before the "
            f"data reach the book (USUBJID is the only subject key allowed), or, {_review_hint(col, table)}",
        ))
    return problems


def _free_text_columns(df: pd.DataFrame, table: ct.Table | None) -> list[str]:
    """Text columns without a list of allowed values (all text columns of an unknown table)."""
    known = {c.name: c for c in table.columns} if table is not None else {}
    out = []
    for col in df.columns:
        s = df[col]
        is_text = isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype)
        if not is_text or str(col).upper() in _KEY_COLUMNS:
            continue
        c = known.get(col)
        if c is None or (c.kind == "str" and c.allowed is None):
            out.append(col)
    return out


def check_identifier_values(
    df: pd.DataFrame, file: str, table: ct.Table | None = None, reviewed: Iterable[str] = ()
) -> list[Problem]:
    """Free text that holds an e-mail address, a telephone number or a birth date.

    The free-text columns are the text columns without a list of allowed values
    (``AETERM``, ``DCSREAS``, any text column the contract does not know), except the
    study, subject and site codes. Each distinct value is matched once against
    :data:`helpers.contract.IDENTIFIER_PATTERNS` (the categories of a categorical column),
    so a table of millions of rows costs what its distinct texts cost.

    Parameters
    ----------
    df : DataFrame
        A table as read (:func:`read_table`).
    file : str
        The file, for the messages.
    table : Table, optional
        Its contract table; None scans every text column.
    reviewed : iterable of str
        ``reviewed_columns`` of ``cohort.yml``: columns a person has checked, not scanned.

    Returns
    -------
    list of Problem
        One per column and kind of finding, with its 1-based rows. A message never
        shows the value it found.

    Examples
    --------
    >>> ae = pd.DataFrame({"AETERM": ["headache", "call +44 20 7946 0018", "rash"]})
    >>> [(p.column, p.rows) for p in check_identifier_values(ae, "adae.csv", ct.ADAE)]
    [('AETERM', (2,))]
    """
    reviewed = tuple(reviewed)
    problems = []
    for col in _free_text_columns(df, table):
        if _reviewed(col, table, reviewed):
            continue
        s = df[col]
        values = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else pd.unique(s.dropna())
        # object dtype: Python's regular expressions (pyarrow's have no look-arounds)
        text = pd.Series(np.asarray(values, dtype=object)).astype("str").astype(object)
        found = text[text.str.contains(_ANY_IDENTIFIER, flags=re.IGNORECASE, regex=True, na=False)]
        for what, pattern in ct.IDENTIFIER_PATTERNS.items():
            hits = found[found.str.contains(pattern, flags=re.IGNORECASE, regex=True, na=False)]
            if hits.empty:
                continue
            rows = s.index[s.isin(hits.tolist())]
            if len(rows):
                problems.append(Problem(
                    file, str(col), _rows(rows),
                    f"free text holds {what} (not shown here); remove it before the data reach the book, "
                    f"or, {_review_hint(col, table)}",
                ))
    return problems


def check_identifiers(
    df: pd.DataFrame, file: str, table: ct.Table | None = None, reviewed: Iterable[str] = ()
) -> list[Problem]:
    """Direct identifiers in a table: column names (:func:`check_identifier_columns`),
    then free text (:func:`check_identifier_values`) in the columns not refused by name."""
    named = check_identifier_columns(df.columns, file, table, reviewed)
    refused = [p.column for p in named]
    return named + check_identifier_values(df.drop(columns=refused), file, table, reviewed)


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

    Returns the typed frame and the problems found (all of them, not the first). A
    table with no rows is a problem unless the contract says it may be empty
    (``Table.may_be_empty``: a trial may have no adverse events, not no subjects).
    """
    problems: list[Problem] = []
    if len(df) == 0 and not table.may_be_empty:
        may = " and ".join(n for n, t in ct.TABLES.items() if t.may_be_empty)
        problems.append(Problem(file, "", (), f"{table.name} has no rows (only a header); export the table "
                                              f"again with its data (only {may} may be empty)"))
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
            shown = ", ".join(sorted({_mask(v) for v in grp["failure_case"].head(5)}))
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
                f"[{', '.join(_mask(u) for u in sorted(units.unique().tolist()))}] (convert before loading)",
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
            shown = ", ".join(_mask(i, quote=False) for i in ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
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
                shown = "; ".join(f"week {w} labelled {_mask(lab)}, expected {labels[w]!r}" for w, lab in shown_pairs.itertuples(index=False))
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
                Problem(file, arm, _rows(adsl.index[bad]), f"arms [{', '.join(_mask(a) for a in found)}] are not among the config's arms {list(config.arms)}")
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

    # Table by table: the header first, so that a column refused as a direct identifier
    # is never read; then the table, its free text, its types and values. Only the typed
    # frame is kept. Identifier problems are reported with every other problem.
    labels = {name: str(path) for name, path in files.items()}
    reviewed = config.reviewed_columns
    identifiers: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for name in [n for n in ct.TABLES if n in files]:
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
    if identifiers:
        raise IdentifierError(identifiers + problems, str(folder))
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
