"""Reading one table file strictly, in the format its extension names, with every way a
file can be unreadable turned into a :class:`~helpers.errors.Problem` that names the file,
column and rows and says what to do.

- ``.csv``: comma-separated text, parsed by pyarrow;
- ``.xpt``: SAS transport (XPORT version 5), read by pandas;
- ``.json`` and ``.ndjson``: CDISC Dataset-JSON v1.1, as one JSON document or as
  newline-delimited JSON (the metadata object on the first line, then one row array a
  line), checked against CDISC's JSON schemas (shipped in ``helpers/data/schemas``) and
  converted by each column's ``dataType``, ``targetDataType`` and ``displayFormat``;
- ``.parquet``: Apache Parquet, read by pyarrow with the types it stores.

Every format comes back as the same kind of frame, so that one validation follows: numbers
as float64, text as text (categoricals for ``USUBJID`` and the long per-item tables), dates
as ISO 8601 text or as SAS day counts (both of which :func:`~helpers.data.validation.coerce_columns`
turns into dates).
"""


import codecs
import csv
import functools
import json
import re
import warnings
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
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
        A ``.csv``, ``.xpt``, ``.json``, ``.ndjson`` or ``.parquet`` file (the extension
        in any case).
    encoding : str, optional
        The text encoding (``encoding:`` of ``cohort.yml``) of CSV and SAS transport
        files; by default UTF-8 for CSV (with or without a byte-order mark) and latin-1 for
        SAS transport files. Dataset-JSON is always UTF-8 (as the standard and RFC 8259
        require) and Parquet stores UTF-8, so neither reads the key.

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
        file is truncated or corrupt; a Dataset-JSON file is not valid JSON or UTF-8, or
        its metadata (the NDJSON file's first line) breaks CDISC's schema (each violation
        with its JSON path); a Parquet file is truncated or corrupt.
    """
    path = Path(path)
    file = str(path)
    why = ct.file_problem(path)
    if why:
        raise _fail([Problem(file, "", (), why)])
    kind = path.suffix.lower()
    if kind in (".json", ".ndjson"):
        columns = [c["name"] for c in _dataset_json_metadata(path)["columns"]]
    elif kind == ".parquet":
        columns = _parquet_columns(path)
    elif kind == ".xpt":
        columns = list(_read_xpt(path, _codec(path, encoding), encoding, header_only=True).columns)
    else:
        columns = _csv_header(path, _codec(path, encoding), encoding)
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
    (5.397605e-79, see :data:`XPT_ZERO`) become exactly 0. Dataset-JSON files
    (``.json``, ``.ndjson``) are checked against CDISC's schemas and converted column by
    column as their metadata declares (see :func:`convert_dataset_json_column`). Parquet
    files are read by pyarrow with their own types: numbers become float64, text (also
    dictionary-encoded text) is encoded as the CSV reader encodes it. ``USUBJID`` and the
    text of the long per-item tables come back as categoricals, whatever the format.

    The file is read strictly: only when pyarrow refuses a file is it read again, row by
    row, to say which rows are wrong, so a valid file costs no more than before.

    Parameters
    ----------
    path : Path
        A ``.csv``, ``.xpt``, ``.json``, ``.ndjson`` or ``.parquet`` file.
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
        For Dataset-JSON: a ``records`` count other than the rows found (a truncated
        file), a row that is not an array or has more or fewer values than the columns,
        a line of an NDJSON file that is not JSON, values whose JSON type the column's
        ``dataType`` does not allow (by column and rows). For Parquet: a truncated or
        corrupt file, a column of a type a table cannot hold (lists, structs, bytes).
    """
    import pyarrow as pa_

    path = Path(path)
    header = read_header(path, encoding)
    kind = path.suffix.lower()
    if kind in (".json", ".ndjson"):
        return _read_dataset_json(path, table, exclude)
    if kind == ".parquet":
        return _read_parquet(path, header, table, exclude)
    codec = _codec(path, encoding)
    if kind == ".xpt":
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
    return _arrow_frame(arrow, table)


def _arrow_frame(arrow, table: ct.Table) -> pd.DataFrame:
    """A pyarrow table as the frame every format returns: text dictionary-encoded (in
    order of first appearance, as the CSV reader has always made it), then
    :func:`_as_table_dtypes`. Dates come back as datetime64, not as Python dates."""
    import pyarrow as pa_

    arrow = pa_.table([c.dictionary_encode() if pa_.types.is_string(c.type) else c for c in arrow.columns],
                      names=arrow.column_names)
    return _as_table_dtypes(arrow.to_pandas(date_as_object=False), table)


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




# ---------------------------------------------------------------------------------------
# CDISC Dataset-JSON v1.1 (.json, .ndjson)

#: CDISC's JSON schemas of Dataset-JSON v1.1, shipped with the package (see the README there).
SCHEMA_DIR = Path(__file__).with_name("schemas")
_SCHEMA_FILES = {".json": "dataset.schema.json", ".ndjson": "dataset-ndjson-schema.json"}

#: SAS display formats that make a number a date, a datetime or a time (the name without
#: its width and decimals: ``DATE9.`` is ``DATE``), for ``targetDataType: integer``.
_DATE_FORMATS = frozenset({
    "DATE", "E8601DA", "IS8601DA", "B8601DA", "YYMMDD", "YYMMDDN", "YYMMDDD", "YYMMDDS", "YYMMDDP",
    "MMDDYY", "MMDDYYN", "DDMMYY", "DDMMYYN", "WORDDATE", "WORDDATX", "WEEKDATE", "MONYY", "YYMON",
    "JULIAN", "NLDATE", "EURDFDE",
})
_DATETIME_FORMATS = frozenset({"DATETIME", "E8601DT", "IS8601DT", "B8601DT", "E8601DZ", "IS8601DZ", "DATEAMPM", "NLDATM"})
_TIME_FORMATS = frozenset({"TIME", "TOD", "HHMM", "E8601TM", "IS8601TM", "B8601TM", "NLTIME"})

#: ISO 8601 text a temporal column may hold when it is converted to SAS numbers (complete
#: values only: a partial date such as "2014-03" names no day to count).
_ISO_TEXT = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "datetime": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?"),
}
_ISO_FORM = {"date": "YYYY-MM-DD", "datetime": "YYYY-MM-DDThh:mm:ss", "time": "hh:mm:ss"}
#: Decimal text (Dataset-JSON: "." separates decimals; "," may only group thousands).
_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS_TEXT = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")

_SAS_EPOCH = pd.Timestamp("1960-01-01")
_NONE = type(None)
#: What a message calls the Python type of a parsed JSON value.
_JSON_KINDS = {str: "text", int: "numbers", float: "numbers", bool: "true/false", list: "arrays",
               dict: "objects"}
#: Per dataType: the Python types of the JSON values it allows (besides null), and how a
#: message says so.
_JSON_VALUES: dict[str, tuple[frozenset, str]] = {
    "string": (frozenset({str}), "text (JSON strings)"),
    "URI": (frozenset({str}), "text (JSON strings)"),
    "date": (frozenset({str}), "ISO 8601 text"),
    "datetime": (frozenset({str}), "ISO 8601 text"),
    "time": (frozenset({str}), "ISO 8601 text"),
    "integer": (frozenset({int, float}), "whole numbers"),
    "decimal": (frozenset({str, int, float}), "decimal numbers (numbers, or text with '.' before the decimals)"),
    "float": (frozenset({int, float}), "numbers"),
    "double": (frozenset({int, float}), "numbers"),
    "boolean": (frozenset({bool}), "true or false"),
}


@functools.cache
def _schema_validator(kind: str):
    """The jsonschema validator of CDISC's schema for ``.json`` or ``.ndjson`` metadata.

    The published NDJSON schema refers to ``#/$defs/Column``, ``#/$defs/DataTypesEnum`` and
    ``#/$defs/SourceSystem`` but leaves those definitions nested where they are used;
    they are copied into ``$defs`` here, unchanged (see ``schemas/README.md``), so that the
    references resolve.
    """
    import jsonschema

    schema = json.loads((SCHEMA_DIR / _SCHEMA_FILES[kind]).read_bytes())  # the NDJSON one is UTF-16
    defs = schema.setdefault("$defs", {})
    wanted = {m.group(1) for m in re.finditer(r'"#/\$defs/([^"]+)"', json.dumps(schema))} - set(defs)

    found: dict = {}

    def find(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in wanted and isinstance(value, dict):
                    found.setdefault(key, value)
                find(value)
        elif isinstance(node, list):
            for value in node:
                find(value)

    find(schema)
    defs.update(found)
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


def _json_kind(value) -> str:
    return "null" if value is None else _JSON_KINDS.get(type(value), type(value).__name__)


def _schema_message(error) -> str:
    """A jsonschema error in words, without echoing long values (a row or a regex)."""
    field = error.path[-1] if error.path else ""
    if error.validator == "pattern":
        form = {"datasetJSONVersion": "1.1 or 1.1.n", "datasetJSONCreationDateTime": "YYYY-MM-DDThh:mm:ss",
                "dbLastModifiedDateTime": "YYYY-MM-DDThh:mm:ss"}.get(str(field), "the schema's pattern")
        return f"{error.instance!r} is not in the form {form}"
    if error.validator == "type":
        return f"found {_json_kind(error.instance)}, expected {error.validator_value}"
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."


def _check_dataset_metadata(path: Path, meta, kind: str) -> None:
    """Raise a Problem per violation of CDISC's schema by a Dataset-JSON file's metadata
    (the document without its rows, or an NDJSON file's first line), with its JSON path."""
    file = str(path)
    where = "line 1, " if kind == ".ndjson" else ""
    schema = _SCHEMA_FILES[kind]
    if isinstance(meta, dict) and "rows" in meta and kind == ".json":
        # The rows are checked by _ragged_rows, row by row (the schema only asks for an
        # array of arrays); validating millions of rows with jsonschema would cost seconds.
        meta = {**meta, "rows": [] if isinstance(meta["rows"], list) else meta["rows"]}
    errors = sorted(_schema_validator(kind).iter_errors(meta), key=lambda e: [str(p) for p in e.absolute_path])
    problems = []
    for error in errors:
        column = ""
        at = list(error.absolute_path)
        if len(at) >= 2 and at[0] == "columns" and isinstance(at[1], int):
            named = meta["columns"][at[1]]
            column = named.get("name", "") if isinstance(named, dict) and isinstance(named.get("name"), str) else ""
        problems.append(Problem(file, column, (), f"{where}{error.json_path}: {_schema_message(error)} (CDISC's "
                                                  f"Dataset-JSON v1.1 schema, {schema}); correct the metadata or "
                                                  "export the file again with a Dataset-JSON v1.1 writer"))
    if problems:
        raise _fail(problems)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value (a missing number is null)")


_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _decode_utf8(path: Path, data: bytes, final: bool = True) -> str:
    """``data`` as text (a leading byte-order mark dropped), or a Problem naming the line;
    ``final=False``: ``data`` is the start of a file, perhaps cut inside a character."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _fail([Problem(str(path), "", (), f"line {line} is not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                                                "Dataset-JSON is UTF-8: export the file again as UTF-8")]) from None


def _not_json(path: Path, exc: ValueError) -> Problem:
    if isinstance(exc, json.JSONDecodeError):
        at = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    else:
        at = str(exc)
    return Problem(str(path), "", (), f"is not valid JSON ({at}); the file looks truncated or corrupt: export it again")


def _top_level(text: str) -> dict | None:
    """The members of a JSON object before its ``rows`` (once the members the schema
    requires are known), each parsed on its own: a file's metadata without parsing its
    data. None when ``text`` is not such an object (or is cut before the members needed)."""
    required = set(_schema_validator(".json").schema.get("required", ("columns",)))
    out: dict = {}
    try:
        i = _WHITESPACE.match(text, 0).end()
        if text[i:i + 1] != "{":
            return None
        i = _WHITESPACE.match(text, i + 1).end()
        if text[i:i + 1] == "}":
            return out
        while True:
            key, i = _JSON_DECODER.raw_decode(text, i)
            i = _WHITESPACE.match(text, i).end()
            if not isinstance(key, str) or text[i:i + 1] != ":":
                return None
            i = _WHITESPACE.match(text, i + 1).end()
            if key == "rows" and required <= set(out):
                return out
            out[key], i = _JSON_DECODER.raw_decode(text, i)
            i = _WHITESPACE.match(text, i).end()
            if text[i:i + 1] == "}":
                return out
            if text[i:i + 1] != ",":
                return None
            i = _WHITESPACE.match(text, i + 1).end()
    except ValueError:  # JSONDecodeError, a NaN constant, or cut short
        return None


#: How much of a Dataset-JSON file :func:`read_header` reads first for the metadata (which
#: the standard puts before the rows).
_HEADER_BYTES = 1 << 20


def _dataset_json_metadata(path: Path) -> dict:
    """The metadata of a ``.json`` (the members before ``rows``) or ``.ndjson`` file (its
    first line), checked against CDISC's schema. Reads no more of the file than it must."""
    kind = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            if kind == ".ndjson":
                raw = f.readline()
                while raw and not raw.strip():
                    raw = f.readline()
                complete = True
            else:
                raw = f.read(_HEADER_BYTES)
                complete = len(raw) < _HEADER_BYTES
    except OSError as exc:
        raise _fail([Problem(str(path), "", (), f"cannot be opened ({exc.strerror}); check the file's permissions")]) from None
    if not raw.strip():
        raise _fail([Problem(str(path), "", (), "cannot be read: the file is empty; export the table again as Dataset-JSON")])
    text = _decode_utf8(path, raw, final=complete)
    if kind == ".ndjson":
        try:
            meta = _JSON_DECODER.decode(text)
        except ValueError as exc:
            raise _fail([_not_json(path, exc)]) from None
    else:
        meta = _top_level(text)
        if meta is None and not complete:
            meta = _top_level(_decode_utf8(path, path.read_bytes()))
        if meta is None:
            meta = _load_json(path)
            meta = {k: v for k, v in meta.items() if k != "rows"} if isinstance(meta, dict) else meta
    _check_dataset_metadata(path, meta, kind)
    return meta


def _json_line(line: str):
    """One line of an NDJSON file, parsed (as json.loads does, without the regular
    expressions it runs around each value: measurably faster on short lines)."""
    line = line.strip(" \t\r\n")
    value, end = _JSON_DECODER.raw_decode(line)
    if end != len(line):
        raise json.JSONDecodeError("Extra data", line, end)
    return value


def _load_json(path: Path):
    try:
        return _JSON_DECODER.decode(_decode_utf8(path, path.read_bytes()))
    except ValueError as exc:
        raise _fail([_not_json(path, exc)]) from None


def _read_dataset_json(path: Path, table: ct.Table, exclude: Collection[str]) -> pd.DataFrame:
    """A ``.json`` (one document, read with the json module) or ``.ndjson`` file (read line
    by line) as a frame; see :func:`read_table`."""
    file = str(path)
    problems: list[Problem] = []
    if path.suffix.lower() == ".json":
        doc = _load_json(path)
        _check_dataset_metadata(path, doc, ".json")
        rows = doc.get("rows", [])

        def at(row: int) -> str:
            return f"$.rows[{row - 1}]"
    else:
        doc, rows, lines = None, [], []
        with open(path, "rb") as f:
            for line_no, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue  # blank lines are neither rows nor counted, as in a CSV file
                if doc is None:  # the metadata, checked before any row is read
                    try:
                        doc = _JSON_DECODER.decode(_decode_utf8(path, raw))
                    except ValueError as exc:
                        raise _fail([_not_json(path, exc)]) from None
                    _check_dataset_metadata(path, doc, ".ndjson")
                    continue
                lines.append(line_no)
                try:
                    rows.append(_json_line(raw.decode("utf-8")))
                except UnicodeDecodeError as exc:
                    rows.append(None)
                    problems.append(Problem(file, "", (len(rows),), f"line {line_no} is not valid UTF-8 (byte "
                                                                    f"0x{raw[exc.start]:02x}); Dataset-JSON is UTF-8: "
                                                                    "export the file again as UTF-8"))
                except ValueError as exc:
                    rows.append(None)
                    problems.append(Problem(file, "", (len(rows),), f"line {line_no} is not valid JSON ({exc}); "
                                                                    "each line after the first is one row, a JSON "
                                                                    "array: the file looks truncated or corrupt, "
                                                                    "export it again"))
        if doc is None:
            raise _fail([Problem(file, "", (), "cannot be read: the file is empty; export the table again as Dataset-JSON")])

        def at(row: int) -> str:
            return f"line {lines[row - 1]}"
    columns, records = doc["columns"], doc["records"]
    if records != len(rows):
        problems.insert(0, Problem(file, "", (), f"records says {records} rows but the file holds {len(rows)}: it "
                                                 "looks truncated (or records is wrong); export it again"))
    problems += _ragged_rows(file, rows, len(columns), at, skip={p.rows[0] for p in problems if p.rows})
    if problems:
        raise _fail(problems)
    return _dataset_frame(file, columns, rows, table, exclude)


def _ragged_rows(file: str, rows: list, n: int, at, skip: set[int]) -> list[Problem]:
    """Rows that are not arrays, or hold more or fewer values than the ``n`` columns
    (``at``: where a 1-based row is in the file, for a message; ``skip``: rows already
    reported as unreadable)."""
    if set(map(type, rows)) <= {list} and set(map(len, rows)) <= {n}:
        return []
    problems, more, fewer = [], [], []
    for i, row in enumerate(rows, start=1):
        if i in skip:
            continue
        if not isinstance(row, list):
            problems.append(Problem(file, "", (i,), f"{at(i)}: found {_json_kind(row)}, expected an array (a row is "
                                                    "an array of values, one per column); export the file again"))
        elif len(row) != n:
            (more if len(row) > n else fewer).append(i)
    if more:
        problems.append(Problem(file, "", tuple(more), f"more values than the {n} columns; every row needs one value "
                                                       "per column"))
    if fewer:
        problems.append(Problem(file, "", tuple(fewer), f"fewer values than the {n} columns; every row needs one "
                                                        "value per column (null for a missing value)"))
    return problems


def _dataset_frame(file: str, columns: list[dict], rows: list[list], table: ct.Table,
                   exclude: Collection[str]) -> pd.DataFrame:
    import pyarrow as pa_

    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    skip = set(exclude)
    kinds = {c.name: c.kind for c in table.columns}
    arrays, names, problems = [], [], []
    for meta, col in zip(columns, values, strict=True):
        name = meta["name"]
        if name in skip:
            continue
        array, found = convert_dataset_json_column(col, meta, kinds.get(name))
        problems += [Problem(file, name, rows_, message) for rows_, message in found]
        arrays.append(array)
        names.append(name)
    if problems:
        raise _fail(problems)
    return _arrow_frame(pa_.table(arrays, names=names), table)


def _temporal(meta: dict) -> str | None:
    """Whether a column holds dates, datetimes or times (by its ``dataType``, or by a SAS
    date format with ``targetDataType: integer``), and which."""
    data_type = meta["dataType"]
    if data_type in ("date", "datetime", "time"):
        return data_type
    if meta.get("targetDataType") == "integer" or data_type == "integer":
        name = re.sub(r"\d*\.\d*$|\d+$", "", str(meta.get("displayFormat", "")).strip().upper())
        for kind, formats in (("date", _DATE_FORMATS), ("datetime", _DATETIME_FORMATS), ("time", _TIME_FORMATS)):
            if name in formats:
                return kind
    return None


def _wrong_type_rows(values: Sequence, allowed: frozenset) -> tuple[tuple[int, ...], str]:
    rows, kinds = [], set()
    for i, v in enumerate(values, start=1):
        if v is not None and type(v) not in allowed:
            rows.append(i)
            kinds.add(_json_kind(v))
    return tuple(rows), ", ".join(sorted(kinds))


_DECIMAL_WORDS = "a decimal number ('.' before the decimals, ',' only between thousands)"


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    """The 1-based rows where ``mask`` is true."""
    return tuple(int(i) + 1 for i in np.flatnonzero(mask))


def _numbers(values: Sequence):
    """JSON numbers (and nulls) as a float64 array."""
    import pyarrow as pa_

    try:
        return pa_.array(values, type=pa_.float64())
    except (pa_.ArrowInvalid, OverflowError):  # an integer beyond int64
        return pa_.array([None if v is None else float(v) for v in values], type=pa_.float64())


def _parse_text(values: Sequence, pattern: re.Pattern, parse) -> tuple[np.ndarray, np.ndarray]:
    """Text values that ``pattern`` matches in full, parsed by ``parse`` (a vectorised
    function of a Series of text to float, NaN where a value does not parse, such as
    2014-02-30); returns the floats and which values failed (blank text and null are
    missing, not failures)."""
    s = pd.Series(values, dtype=object)
    text = s.where(s.notna(), "").astype("str").str.strip()
    ok = text.str.fullmatch(pattern.pattern).to_numpy()
    out = np.full(len(s), np.nan)
    if ok.any():
        out[ok] = parse(text[ok]).to_numpy(dtype="float64", na_value=np.nan)
    bad = (text != "").to_numpy() & np.isnan(out)
    return out, bad


def _sas_numbers(text: pd.Series, kind: str) -> pd.Series:
    """ISO 8601 text as SAS numbers: days since 1960-01-01 (dates), seconds since
    1960-01-01T00:00:00 (datetimes), seconds since midnight (times)."""
    if kind == "time":
        text = text.where(text.str.len() != 5, text + ":00")  # hh:mm
        return pd.to_timedelta(text, errors="coerce") / pd.Timedelta(seconds=1)
    if kind == "date":
        return (pd.to_datetime(text, format="%Y-%m-%d", errors="coerce") - _SAS_EPOCH) / pd.Timedelta(days=1)
    return (pd.to_datetime(text, format="ISO8601", errors="coerce") - _SAS_EPOCH) / pd.Timedelta(seconds=1)


def _decimal_text(values: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Decimal text as floats ("." before the decimals, "," only between thousands:
    "1,234.5"), and which values are text that is not such a number."""
    plain, bad_plain = _parse_text(values, _DECIMAL_TEXT, pd.to_numeric)
    grouped, bad_grouped = _parse_text(values, _THOUSANDS_TEXT,
                                       lambda s: pd.to_numeric(s.str.replace(",", "", regex=False)))
    return np.where(np.isnan(plain), grouped, plain), bad_plain & bad_grouped


def convert_dataset_json_column(values: Sequence, meta: dict, kind: str | None = None):
    """One column of a Dataset-JSON file as a pyarrow array, as its metadata declares.

    Parameters
    ----------
    values : sequence
        The column's values as the json module parsed them (None for null), in row order.
    meta : dict
        The column's metadata (``dataType``, optional ``targetDataType`` and
        ``displayFormat``), already checked against the schema.
    kind : str, optional
        The contract's type of the column (``Col.kind``), if the contract has it.

    Returns
    -------
    array : pyarrow.Array
        float64 for numbers (``integer``, ``float``, ``double``, ``decimal``, and text
        with ``targetDataType`` ``integer`` or ``decimal``); text for ``string``, ``URI``
        and ISO 8601 dates, datetimes and times (null text as ""); booleans for
        ``boolean``; SAS numbers (float64 days since 1960-01-01 for dates, seconds for
        datetimes and times) for a temporal column given as numbers, or with
        ``targetDataType: integer`` (ISO text is converted), as SAS transport files
        give them. A datetime in a contract date column becomes days.
    problems : list of (rows, message)
        1-based rows of values of a JSON type the ``dataType`` does not allow, or text
        that does not parse as the number or date it should be.

    Notes
    -----
    A temporal column is one with ``dataType`` ``date``, ``datetime`` or ``time``, or
    ``targetDataType: integer`` (or ``dataType: integer``) with a SAS date, datetime or
    time ``displayFormat`` (``DATE9.``, ``E8601DA.``, ``DATETIME20.``, ...). Dataset-JSON
    v1.1 sends ADaM dates as ISO text with ``targetDataType: integer``; exports made from
    SAS transport files often send the SAS numbers themselves. Both are read.

    Examples
    --------
    >>> meta = {"name": "TRTSDT", "dataType": "date", "targetDataType": "integer"}
    >>> array, problems = convert_dataset_json_column(["1960-01-02", 19782, None], meta)
    >>> array.to_pylist(), problems
    ([1.0, 19782.0, None], [])
    >>> convert_dataset_json_column(["1", 2.5], {"name": "AVAL", "dataType": "double"})[1]
    [((1,), "dataType 'double' needs numbers or null; found text")]
    """
    import pyarrow as pa_
    import pyarrow.compute as pc

    data_type, target = meta["dataType"], meta.get("targetDataType")
    present = set(map(type, values)) - {_NONE}
    temporal = _temporal(meta)

    if temporal and present and (target == "integer" or present <= {int, float}):
        allowed = frozenset({str, int, float})
        rows, found = _wrong_type_rows(values, allowed) if not present <= allowed else ((), "")
        if rows:
            return None, [(rows, f"a {temporal} column (dataType {data_type!r}) needs ISO 8601 text, SAS numbers "
                                 f"or null; found {found}")]
        numbers = np.array([np.nan if v is None or isinstance(v, str) else float(v) for v in values])
        if str in present:
            parsed, bad = _parse_text([v if isinstance(v, str) else None for v in values], _ISO_TEXT[temporal],
                                      functools.partial(_sas_numbers, kind=temporal))
            if bad.any():
                return None, [(_rows(bad), f"not an ISO 8601 {temporal} ({_ISO_FORM[temporal]}); correct the values")]
            numbers = np.where(np.isnan(numbers), parsed, numbers)
        if kind == "date" and temporal == "datetime":
            numbers = numbers / 86400.0  # SAS seconds to days
        return pa_.array(numbers, type=pa_.float64(), from_pandas=True), []

    allowed, expected = _JSON_VALUES[data_type]
    if not present <= allowed:
        rows, found = _wrong_type_rows(values, allowed)
        return None, [(rows, f"dataType {data_type!r} needs {expected} or null; found {found}")]
    if data_type in ("string", "URI", "date", "datetime", "time"):
        if target in ("integer", "decimal"):
            if target == "integer":
                parsed, bad = _parse_text(values, _INTEGER_TEXT, pd.to_numeric)
            else:
                parsed, bad = _decimal_text(values)
            if bad.any():
                what = "a whole number" if target == "integer" else _DECIMAL_WORDS
                return None, [(_rows(bad), f"targetDataType {target!r}: text that is not {what}; correct the values")]
            return pa_.array(parsed, type=pa_.float64(), from_pandas=True), []
        return pc.fill_null(pa_.array(values, type=pa_.string()), ""), []
    if data_type == "boolean":
        return pa_.array(values, type=pa_.bool_()), []
    if data_type == "decimal" and str in present:
        parsed, bad = _decimal_text([v if isinstance(v, str) else None for v in values])
        if bad.any():
            return None, [(_rows(bad), f"dataType 'decimal': text that is not {_DECIMAL_WORDS}; correct the values")]
        numbers = np.array([float(v) if isinstance(v, int | float) else np.nan for v in values])
        return pa_.array(np.where(np.isnan(numbers), parsed, numbers), type=pa_.float64(), from_pandas=True), []
    array = _numbers(values)
    if data_type == "integer" and float in present:
        numbers = array.to_numpy(zero_copy_only=False)
        frac = ~np.isnan(numbers) & (numbers != np.round(numbers))
        if frac.any():
            return None, [(_rows(frac), "dataType 'integer': not a whole number")]
    return array, []


# ---------------------------------------------------------------------------------------
# Apache Parquet (.parquet)


def _parquet_problem(path: Path, exc: Exception) -> DataContractError:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _fail([Problem(str(path), "", (), f"cannot be read as Parquet ({first_line}); the file looks truncated "
                                             "or corrupt: export it again")])


def _parquet_columns(path: Path) -> list[str]:
    """The data columns of a Parquet file (a pandas index stored as a column left out)."""
    import pyarrow as pa_
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa_.ArrowException, OSError, ValueError) as exc:
        raise _parquet_problem(path, exc) from None
    index = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
    return [n for n in schema.names if n not in index]


def _read_parquet(path: Path, header: list[str], table: ct.Table, exclude: Collection[str]) -> pd.DataFrame:
    import pyarrow as pa_
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    file = str(path)
    skip = set(exclude)
    keep = [c for c in header if c not in skip]
    try:
        arrow = pq.read_table(path, columns=keep, use_pandas_metadata=False)
    except (pa_.ArrowException, OSError, ValueError) as exc:
        raise _parquet_problem(path, exc) from None
    numeric = set(_numeric_columns(table))
    columns, names, problems = [], [], []
    for name, col in zip(arrow.column_names, arrow.columns, strict=True):
        t = col.type
        if pa_.types.is_dictionary(t):  # categoricals: decoded, then encoded as the CSV reader does
            col, t = col.cast(t.value_type), t.value_type
        if pa_.types.is_string(t) or pa_.types.is_large_string(t) or pa_.types.is_string_view(t):
            col = pc.fill_null(col.cast(pa_.string()), "")
        elif pa_.types.is_integer(t) or pa_.types.is_floating(t) or pa_.types.is_decimal(t):
            col = col.cast(pa_.float64())
        elif pa_.types.is_null(t):  # a column of nulls only
            col = pa_.nulls(len(col), pa_.float64()) if name in numeric else pa_.array([""] * len(col), pa_.string())
        elif not (pa_.types.is_boolean(t) or pa_.types.is_temporal(t)):
            problems.append(Problem(file, name, (), f"a column of Parquet type {t}, which a table cannot hold; "
                                                    "store it as text, numbers, booleans or dates"))
            continue
        columns.append(col)
        names.append(name)
    if problems:
        raise _fail(problems)
    return _arrow_frame(pa_.table(columns, names=names), table)
