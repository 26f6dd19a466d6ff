"""Reading one table file strictly: CSV (pyarrow) or SAS transport (pandas), with
every way a file can be unreadable turned into a :class:`~helpers.errors.Problem`
that names the file, column and rows and says what to do.
"""


import codecs
import csv
import re
import warnings
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from helpers.data import contract as ct
from helpers.data.contract import find_table_files  # noqa: F401  (part of this module's API)
from helpers.errors import DataContractError, Problem, one_based_rows

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
            problems.append(Problem(str(path), str(col), one_based_rows(s.index[s.isin(bad)]), _not_decoded(path, encoding, byte)))
    return problems


