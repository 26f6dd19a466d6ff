"""Tests for the table formats beyond CSV and SAS transport (issue #15, item 6): CDISC
Dataset-JSON v1.1 as JSON and NDJSON, and Parquet, read by ``helpers.data.read_table`` and
``read_header`` and found by ``helpers.data.contract.find_table_files``.

The files are written here, from the tiny cohort of ``conftest.py`` (no fixture files are
committed): :func:`dataset_json` makes a Dataset-JSON document that CDISC's schema accepts
(itemOIDs, labels, dataTypes), :func:`write_ndjson` writes it as NDJSON, and pyarrow writes
Parquet. Loading the same cohort from CSV and from each format gives equal frames, so the
whole validation downstream is the same. Every way a file can be refused is tested with the
message it gives.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.data import contract as ct
from helpers.data import load_cohort, read_header, read_table
from helpers.data import reading as reading_module
from helpers.errors import DataContractError

PILOT = Path(__file__).resolve().parents[2] / "shared" / "external" / "cdiscpilot01"  # beside the repository, never committed
needs_pilot = pytest.mark.skipif(not (PILOT / "adsl.xpt").is_file(), reason="CDISC pilot XPT files not available")


# ---------------------------------------------------------------------------------------
# writing the formats


def dataset_json(frame: pd.DataFrame, name: str, columns: dict[str, dict] | None = None) -> dict:
    """``frame`` as a Dataset-JSON v1.1 document that CDISC's schema accepts.

    Each column's metadata is ``{itemOID, name, label, dataType}`` with the dataType from
    its dtype (whole-number columns ``integer``, other numbers ``double``, booleans
    ``boolean``, anything else ``string``); ``columns`` overrides or extends a column's
    metadata (``{"TRTSDT": {"dataType": "date"}}``). NaN and None are written as null;
    values of a column given ``convert`` (a function) in ``columns`` are passed through it.
    """
    columns = columns or {}
    metas, converters = [], []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s):
            data_type = "boolean"
        elif pd.api.types.is_numeric_dtype(s):
            whole = s.dropna()
            data_type = "integer" if len(whole) and (whole == np.round(whole)).all() else "double"
        else:
            data_type = "string"
        meta = {"itemOID": f"IT.{name.upper()}.{col}", "name": col, "label": f"{col} label", "dataType": data_type}
        extra = dict(columns.get(col, {}))
        convert = extra.pop("convert", None)
        meta.update(extra)
        if meta["dataType"] == "integer" and convert is None:
            convert = int
        metas.append(meta)
        converters.append(convert)
    rows = []
    for record in frame.itertuples(index=False):
        row = []
        for value, convert in zip(record, converters, strict=True):
            missing = value is None or (isinstance(value, float) and np.isnan(value))
            if missing:
                row.append(None)
            else:
                value = value.item() if isinstance(value, np.generic) else value
                row.append(convert(value) if convert else value)
        rows.append(row)
    return {
        "datasetJSONCreationDateTime": "2024-05-01T10:00:00",
        "datasetJSONVersion": "1.1.0",
        "fileOID": f"www.example.org.{name}",
        "originator": "tests/test_formats.py",
        "sourceSystem": {"name": "pandas", "version": pd.__version__},
        "studyOID": "TEST01",
        "metaDataVersionOID": "MDV.1",
        "itemGroupOID": f"IG.{name.upper()}",
        "records": len(rows),
        "name": name.upper(),
        "label": f"{name} table",
        "columns": metas,
        "rows": rows,
    }


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def write_ndjson(path: Path, doc: dict) -> Path:
    """``doc`` as Dataset-JSON NDJSON: the metadata on the first line, then a row a line."""
    meta = {k: v for k, v in doc.items() if k != "rows"}
    lines = [json.dumps(meta, ensure_ascii=False)] + [json.dumps(row, ensure_ascii=False) for row in doc.get("rows", [])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def sas_days(iso: str) -> int:
    return (pd.Timestamp(iso) - pd.Timestamp("1960-01-01")).days


#: How each format writes the cohort's tables, with the choices a real export makes:
#: Dataset-JSON dates as ISO text (``dataType: date``) or, in NDJSON, as SAS day counts with
#: ``targetDataType: integer`` and a DATE9. format; ages as decimal text; Parquet with
#: categoricals (dictionary columns), whole numbers as int64 and dates as date32.
def _json_columns(name: str) -> dict[str, dict]:
    if name == "adsl":
        return {"TRTSDT": {"dataType": "date"},
                "AGE": {"dataType": "decimal", "targetDataType": "decimal", "convert": repr}}
    if name == "adlb":
        return {"AVAL": {"dataType": "decimal", "targetDataType": "decimal", "convert": repr}}
    return {}


def _ndjson_columns(name: str) -> dict[str, dict]:
    if name == "adsl":
        return {"TRTSDT": {"dataType": "date", "targetDataType": "integer", "displayFormat": "DATE9.",
                           "convert": sas_days}}
    if name == "adsledai":
        return {"AVISITN": {"dataType": "string", "targetDataType": "integer", "convert": lambda v: str(int(v))}}
    return {}


def _parquet_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if name == "adsl":
        out["TRTSDT"] = pd.to_datetime(out["TRTSDT"]).dt.date  # date32
        out["SEX"] = out["SEX"].astype("category")
    if "PARAMCD" in out:
        out["PARAMCD"] = out["PARAMCD"].astype("category")  # dictionary-encoded
    return out


def write_cohort(builder, folder: Path, fmt: str) -> Path:
    """The builder's cohort written to ``folder`` in ``fmt`` (json, ndjson or parquet)."""
    folder.mkdir(parents=True)
    shutil.copy(builder.write() / "cohort.yml", folder / "cohort.yml")
    for name, frame in builder.tables.items():
        if fmt == "json":
            write_json(folder / f"{name}.json", dataset_json(frame, name, _json_columns(name)))
        elif fmt == "ndjson":
            write_ndjson(folder / f"{name}.ndjson", dataset_json(frame, name, _ndjson_columns(name)))
        else:
            write_parquet(folder / f"{name}.parquet", _parquet_frame(name, frame))
    return folder


# ---------------------------------------------------------------------------------------
# helpers


def problems_of(call) -> list:
    with pytest.raises(DataContractError) as info:
        call()
    return info.value.problems


def where(problems) -> set[tuple[str, str, tuple[int, ...]]]:
    return {(Path(p.file).name, p.column, p.rows) for p in problems}


ADAE = pd.DataFrame({
    "USUBJID": ["S01", "S03", "S03"],
    "AETERM": ["redness at injection site", "fever", "rash"],
    "AEDECOD": ["Injection site reaction", "Pyrexia", "Rash"],
    "AEBODSYS": ["General disorders", "General disorders", "Skin"],
    "AETOXGR": [1, 2, 1],
    "AESER": ["N", "N", "N"],
    "AEREL": ["RELATED", "", "NONE"],
    "ASTDY": [2.0, 5.0, None],
    "TRTEMFL": ["Y", "Y", "Y"],
})


def adae_doc() -> dict:
    return dataset_json(ADAE, "adae")


# ---------------------------------------------------------------------------------------
# the same cohort in every format


def test_write_dataset_json_is_schema_valid():
    # the writer of these tests, checked against CDISC's schemas (the NDJSON one as repaired)
    doc = dataset_json(ADAE, "adae")
    assert list(reading_module._schema_validator(".json").iter_errors(doc)) == []
    meta = {k: v for k, v in doc.items() if k != "rows"}
    assert list(reading_module._schema_validator(".ndjson").iter_errors(meta)) == []


@pytest.mark.parametrize("fmt", ["json", "ndjson", "parquet"])
def test_load_cohort_same_in_every_format(cohort_builder, tmp_path, fmt):
    expected = load_cohort(cohort_builder.write())
    other = load_cohort(write_cohort(cohort_builder, tmp_path / fmt, fmt))
    assert set(other.tables) == set(expected.tables) == set(ct.TABLES)
    for name in expected.tables:
        assert other.files[name].suffix == f".{fmt}"
        pd.testing.assert_frame_equal(other[name], expected[name], obj=f"{name} from {fmt}")


@pytest.mark.parametrize("fmt", ["json", "ndjson", "parquet"])
def test_read_table_same_in_every_format(cohort_builder, tmp_path, fmt):
    # before validation too: the frame the contract's checks start from
    csv = cohort_builder.write()
    folder = write_cohort(cohort_builder, tmp_path / fmt, fmt)
    for name in ("adsledai", "adpga", "adlb", "adae"):
        table = ct.TABLES[name]
        pd.testing.assert_frame_equal(read_table(folder / f"{name}.{fmt}", table), read_table(csv / f"{name}.csv", table))


@pytest.mark.parametrize("fmt", ["json", "ndjson", "parquet"])
def test_read_header_every_format(cohort_builder, tmp_path, fmt):
    folder = write_cohort(cohort_builder, tmp_path / fmt, fmt)
    assert read_header(folder / f"adae.{fmt}") == list(cohort_builder.tables["adae"].columns)


@pytest.mark.parametrize("fmt", ["json", "ndjson", "parquet"])
def test_load_cohort_identifier_column_never_read(cohort_builder, tmp_path, fmt):
    from helpers.errors import IdentifierError

    cohort_builder.tables["adsl"]["BRTHDT"] = "1980-03-12"
    folder = write_cohort(cohort_builder, tmp_path / fmt, fmt)
    with pytest.raises(IdentifierError) as info:
        load_cohort(folder)
    assert where(info.value.problems) == {(f"adsl.{fmt}", "BRTHDT", ())}


def test_load_cohort_contract_problem_by_row_in_json(cohort_builder, tmp_path):
    # the validation downstream names rows of a Dataset-JSON file as of a CSV file
    cohort_builder.set("adsl", 2, "SEX", "X")
    folder = write_cohort(cohort_builder, tmp_path / "json", "json")
    with pytest.raises(DataContractError) as info:
        load_cohort(folder)
    assert where(info.value.problems) == {("adsl.json", "SEX", (2,))}


def test_find_table_files_every_extension_any_case(cohort_builder, tmp_path):
    folder = write_cohort(cohort_builder, tmp_path / "mixed", "json")
    (folder / "adsl.json").rename(folder / "ADSL.JSON")
    (folder / "adae.json").unlink()
    write_ndjson(folder / "AdAe.NDJSON", adae_doc())
    (folder / "adpga.json").unlink()
    write_parquet(folder / "adpga.Parquet", cohort_builder.tables["adpga"])
    (folder / "adcm.json").unlink()
    cohort_builder.tables["adcm"].to_csv(folder / "adcm.CSV", index=False)
    files, problems = ct.find_table_files(folder)
    assert problems == []
    assert {files[t].name for t in ("adsl", "adae", "adpga", "adcm")} == {"ADSL.JSON", "AdAe.NDJSON", "adpga.Parquet", "adcm.CSV"}


@pytest.mark.parametrize("other", ["adsl.json", "adsl.ndjson", "adsl.parquet", "adsl.xpt"])
def test_find_table_files_two_formats_for_one_table(cohort_dir, other):
    shutil.copy(cohort_dir / "adsl.csv", cohort_dir / other)
    files, problems = ct.find_table_files(cohort_dir)
    assert "adsl" not in files
    assert [p.describe() for p in problems] == [
        f"{' and '.join(sorted(['adsl.csv', other]))}: table adsl is given twice; keep one file"]
    with pytest.raises(DataContractError, match=r"adsl\.(csv|json|ndjson|parquet|xpt) and adsl\.\w+: table adsl "
                                                r"is given twice; keep one file"):
        load_cohort(cohort_dir)


# ---------------------------------------------------------------------------------------
# Dataset-JSON: conversions by dataType and targetDataType


def test_read_table_dataset_json_types(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S01", "S02", "S03"], "N": [1, 2, None], "X": [0.5, 1.0, 2.25],
                          "D": ["12.5", "1,234.5", None], "FL": [True, False, None]})
    doc = dataset_json(frame, "adsl", {"N": {"dataType": "integer", "convert": int}, "FL": {"dataType": "boolean"},
                                       "D": {"dataType": "decimal", "targetDataType": "decimal"}})
    doc["columns"].append({"itemOID": "IT.ADSL.S", "name": "S", "label": "text to integer", "dataType": "string",
                           "targetDataType": "integer"})
    for row, value in zip(doc["rows"], ["7", "", None], strict=True):
        row.append(value)
    df = read_table(write_json(tmp_path / "adsl.json", doc), ct.ADSL)
    assert df["N"].tolist()[:2] == [1.0, 2.0] and np.isnan(df["N"].iloc[2])
    assert df["X"].tolist() == [0.5, 1.0, 2.25]
    assert df["D"].tolist()[:2] == [12.5, 1234.5] and np.isnan(df["D"].iloc[2])
    assert df["FL"].tolist() == [True, False, None]
    assert df["S"].tolist()[0] == 7.0 and df["S"].isna().tolist() == [False, True, True]
    assert df.dtypes[["N", "X", "D", "S"]].tolist() == ["float64"] * 4


def test_read_table_dataset_json_null_text_is_blank(tmp_path):
    doc = adae_doc()
    doc["rows"][1][6] = None  # AEREL
    df = read_table(write_json(tmp_path / "adae.json", doc), ct.ADAE)
    assert df["AEREL"].tolist() == ["RELATED", "", "NONE"]


@pytest.mark.parametrize("meta, values, expected", [
    # Dataset-JSON v1.1's ADaM dates: ISO text, targetDataType integer -> SAS days
    ({"dataType": "date", "targetDataType": "integer", "displayFormat": "E8601DA."},
     ["1960-01-01", "2014-02-28", None], [0.0, 19782.0, None]),
    # exports made from XPT: the SAS numbers themselves
    ({"dataType": "integer", "targetDataType": "integer", "displayFormat": "DATE9."}, [19782, 19789, None],
     [19782.0, 19789.0, None]),
    ({"dataType": "date"}, [19782, None, 0], [19782.0, None, 0.0]),
    ({"dataType": "string", "targetDataType": "integer", "displayFormat": "DATE9."}, ["2014-02-28", "", None],
     [19782.0, None, None]),
    # datetimes in SAS seconds; a time in seconds since midnight
    ({"dataType": "datetime", "targetDataType": "integer"}, ["1960-01-02T00:00:01", None, "1960-01-01T00:01"],
     [86401.0, None, 60.0]),
    ({"dataType": "integer", "targetDataType": "integer", "displayFormat": "DATETIME20."}, [86400, None, 1],
     [86400.0, None, 1.0]),
    ({"dataType": "time", "targetDataType": "integer"}, ["10:30:00", "00:01", None], [37800.0, 60.0, None]),
])
def test_convert_dataset_json_column_sas_dates(meta, values, expected):
    array, problems = reading_module.convert_dataset_json_column(values, {"name": "TRTSDT", **meta})
    assert problems == []
    assert array.to_pylist() == expected


def test_convert_dataset_json_column_iso_text_stays_text():
    # without targetDataType, ISO dates stay text, as in a CSV file (the contract parses them)
    array, problems = reading_module.convert_dataset_json_column(["2014-02-28", None], {"name": "D", "dataType": "date"})
    assert (array.to_pylist(), problems) == (["2014-02-28", ""], [])


def test_convert_dataset_json_column_datetime_in_a_contract_date_column():
    meta = {"name": "TRTSDT", "dataType": "datetime", "targetDataType": "integer"}
    array, _ = reading_module.convert_dataset_json_column(["1960-01-03T12:00:00"], meta, kind="date")
    assert array.to_pylist() == [2.5]


def test_load_cohort_sas_dates_in_json(cohort_builder, tmp_path):
    folder = write_cohort(cohort_builder, tmp_path / "json", "json")
    doc = dataset_json(cohort_builder.tables["adsl"], "adsl", {
        "TRTSDT": {"dataType": "integer", "targetDataType": "integer", "displayFormat": "DATE9.", "convert": sas_days}})
    write_json(folder / "adsl.json", doc)
    assert load_cohort(folder)["adsl"]["TRTSDT"].tolist() == [
        pd.Timestamp("2014-03-01"), pd.Timestamp("2014-03-08"), pd.Timestamp("2014-03-15")]


@pytest.mark.parametrize("meta, values, rows, message", [
    ({"dataType": "double"}, [1.5, "2.5", None, True], (2, 4), "dataType 'double' needs numbers or null; found text, true/false"),
    ({"dataType": "string"}, ["a", 1, [1]], (2, 3), r"dataType 'string' needs text \(JSON strings\) or null; found arrays, numbers"),
    ({"dataType": "integer"}, [1, 2.5, 3.0], (2,), "dataType 'integer': not a whole number"),
    ({"dataType": "integer"}, [1, "2"], (2,), "dataType 'integer' needs whole numbers or null; found text"),
    ({"dataType": "boolean"}, [True, 1], (2,), "dataType 'boolean' needs true or false or null; found numbers"),
    ({"dataType": "decimal"}, ["1.5", "1,5", "abc", "1,234.5"], (2, 3),
     r"dataType 'decimal': text that is not a decimal number \('\.' before the decimals, ',' only between thousands\)"),
    ({"dataType": "string", "targetDataType": "integer"}, ["1", "1.5", "x"], (2, 3),
     "targetDataType 'integer': text that is not a whole number; correct the values"),
    ({"dataType": "date", "targetDataType": "integer"}, ["2014-02-28", "2014-02", "28/02/2014", "2014-02-30"], (2, 3, 4),
     r"not an ISO 8601 date \(YYYY-MM-DD\); correct the values"),
    ({"dataType": "date", "targetDataType": "integer"}, [19782, {"d": 1}], (2,),
     "a date column .* needs ISO 8601 text, SAS numbers or null; found objects"),
    ({"dataType": "date"}, ["2014-02-28", 19782], (2,), r"dataType 'date' needs ISO 8601 text or null; found numbers"),
])
def test_convert_dataset_json_column_wrong_values(meta, values, rows, message):
    array, problems = reading_module.convert_dataset_json_column(values, {"name": "X", **meta})
    assert array is None
    assert [p[0] for p in problems] == [rows]
    assert re.match(message, problems[0][1]), problems


def test_read_table_dataset_json_wrong_type_by_column_and_rows(tmp_path):
    doc = adae_doc()
    doc["rows"][0][4] = "1"  # AETOXGR, an integer column
    doc["rows"][2][4] = "1"
    doc["rows"][1][1] = 7  # AETERM, text
    for fmt, write in (("json", write_json), ("ndjson", write_ndjson)):
        path = write(tmp_path / f"adae.{fmt}", doc)
        problems = problems_of(lambda path=path: read_table(path, ct.ADAE))
        assert [p.describe() for p in problems] == [
            f"{path}, column AETERM, rows 2: dataType 'string' needs text (JSON strings) or null; found numbers",
            f"{path}, column AETOXGR, rows 1, 3: dataType 'integer' needs whole numbers or null; found text",
        ]


# ---------------------------------------------------------------------------------------
# Dataset-JSON: files refused


def test_read_table_json_schema_violation(tmp_path):
    doc = adae_doc()
    del doc["columns"][1]["itemOID"]
    doc["columns"][2]["dataType"] = "text"
    doc["datasetJSONCreationDateTime"] = "2024-05-01 10:00"
    path = write_json(tmp_path / "adae.json", doc)
    problems = problems_of(lambda: read_header(path))
    assert [(p.column, p.message.split(" (CDISC")[0]) for p in problems] == [
        ("AETERM", "$.columns[1]: 'itemOID' is a required property"),
        ("AEDECOD", "$.columns[2].dataType: 'text' is not one of ['string', 'integer', 'decimal', 'float', 'double', "
                    "'boolean', 'datetime', 'date', 'time', 'URI']"),
        ("", "$.datasetJSONCreationDateTime: '2024-05-01 10:00' is not in the form YYYY-MM-DDThh:mm:ss"),
    ]
    with pytest.raises(DataContractError, match=r"adae\.json, column AETERM: \$\.columns\[1\]: 'itemOID' is a required "
                                                r"property \(CDISC's Dataset-JSON v1\.1 schema, dataset\.schema\.json\); "
                                                r"correct the metadata or export the file again with a Dataset-JSON "
                                                r"v1\.1 writer"):
        read_table(path, ct.ADAE)


def test_read_table_json_rows_not_arrays_by_schema(tmp_path):
    doc = adae_doc()
    doc["rows"] = {"0": doc["rows"][0]}
    with pytest.raises(DataContractError, match=r"\$\.rows: found objects, expected array"):
        read_table(write_json(tmp_path / "adae.json", doc), ct.ADAE)


def test_read_table_ndjson_schema_violation(tmp_path):
    # the published NDJSON schema's dangling references are repaired: columns are checked
    doc = adae_doc()
    del doc["columns"][0]["label"]
    doc["datasetJSONVersion"] = "1.0.0"
    doc["sourceSystem"] = {"name": "pandas"}
    path = write_ndjson(tmp_path / "adae.ndjson", doc)
    problems = problems_of(lambda: read_table(path, ct.ADAE))
    assert [(p.column, p.message.split(" (CDISC")[0]) for p in problems] == [
        ("USUBJID", "line 1, $.columns[0]: 'label' is a required property"),
        ("", "line 1, $.datasetJSONVersion: '1.0.0' is not in the form 1.1 or 1.1.n"),
        ("", "line 1, $.sourceSystem: 'version' is a required property"),
    ]
    assert problems[0].message.endswith("(CDISC's Dataset-JSON v1.1 schema, dataset-ndjson-schema.json); correct the "
                                        "metadata or export the file again with a Dataset-JSON v1.1 writer")


def test_schema_validator_ndjson_schema_as_published_is_unusable():
    # why the repair: jsonschema cannot resolve the published schema's references
    import jsonschema
    import referencing.exceptions

    schema = json.loads((reading_module.SCHEMA_DIR / "dataset-ndjson-schema.json").read_bytes())
    meta = {k: v for k, v in adae_doc().items() if k != "rows"}
    with pytest.raises(referencing.exceptions.Unresolvable):
        jsonschema.validate(meta, schema)


@pytest.mark.parametrize("fmt, write", [("json", write_json), ("ndjson", write_ndjson)])
def test_read_table_dataset_json_wrong_records_count(tmp_path, fmt, write):
    doc = adae_doc()
    doc["records"] = 5
    path = write(tmp_path / f"adae.{fmt}", doc)
    with pytest.raises(DataContractError, match=rf"adae\.{fmt}: records says 5 rows but the file holds 3: it looks "
                                                r"truncated \(or records is wrong\); export it again"):
        read_table(path, ct.ADAE)


def test_read_table_ndjson_truncated(tmp_path):
    path = write_ndjson(tmp_path / "adae.ndjson", adae_doc())
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 1], encoding="utf-8")  # the last row lost
    with pytest.raises(DataContractError, match=r"records says 3 rows but the file holds 2"):
        read_table(path, ct.ADAE)
    path.write_text(text[:-10], encoding="utf-8")  # cut inside the last row
    problems = problems_of(lambda: read_table(path, ct.ADAE))
    assert where(problems) == {("adae.ndjson", "", (3,))}
    assert problems[0].message.startswith("line 4 is not valid JSON (Expecting value: line 1 column 49")
    assert problems[0].message.endswith("each line after the first is one row, a JSON array: the file looks "
                                        "truncated or corrupt, export it again")


def test_read_table_json_truncated(tmp_path):
    path = write_json(tmp_path / "adae.json", adae_doc())
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataContractError, match=r"adae\.json: is not valid JSON \(line 1, column \d+: .*\); the file "
                                                r"looks truncated or corrupt: export it again"):
        read_table(path, ct.ADAE)


@pytest.mark.parametrize("fmt, write", [("json", write_json), ("ndjson", write_ndjson)])
def test_read_table_dataset_json_ragged_rows(tmp_path, fmt, write):
    doc = adae_doc()
    doc["rows"][0].append("extra")
    doc["rows"][2].pop()
    problems = problems_of(lambda: read_table(write(tmp_path / f"adae.{fmt}", doc), ct.ADAE))
    assert [p.describe() for p in problems] == [
        f"{tmp_path / f'adae.{fmt}'}, rows 1: more values than the 9 columns; every row needs one value per column",
        f"{tmp_path / f'adae.{fmt}'}, rows 3: fewer values than the 9 columns; every row needs one value per column "
        "(null for a missing value)",
    ]


@pytest.mark.parametrize("fmt, write, at", [("json", write_json, r"\$\.rows\[1\]"), ("ndjson", write_ndjson, "line 3")])
def test_read_table_dataset_json_row_not_an_array(tmp_path, fmt, write, at):
    doc = adae_doc()
    doc["rows"][1] = {"USUBJID": "S03"}
    with pytest.raises(DataContractError, match=rf"adae\.{fmt}, rows 2: {at}: found objects, expected an array \(a row "
                                                r"is an array of values, one per column\); export the file again"):
        read_table(write(tmp_path / f"adae.{fmt}", doc), ct.ADAE)


def test_read_table_ndjson_blank_lines_are_not_rows(tmp_path):
    # rows are counted without blank lines (as in a CSV file); messages give both
    doc = adae_doc()
    doc["rows"][2] = "S03"
    path = write_ndjson(tmp_path / "adae.ndjson", doc)
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(lines[:2] + ["", "  "] + lines[2:]) + "\n", encoding="utf-8")
    problems = problems_of(lambda: read_table(path, ct.ADAE))
    assert [p.describe() for p in problems] == [
        f"{path}, rows 3: line 6: found text, expected an array (a row is an array of values, one per column); "
        "export the file again"]


def test_read_table_dataset_json_not_utf8(tmp_path):
    doc = adae_doc()
    doc["rows"][1][1] = "fièvre"
    path = write_ndjson(tmp_path / "adae.ndjson", doc)
    path.write_bytes(path.read_bytes().replace("fièvre".encode(), "fièvre".encode("latin-1")))
    with pytest.raises(DataContractError, match=r"adae\.ndjson, rows 2: line 3 is not valid UTF-8 \(byte 0xe8\); "
                                                r"Dataset-JSON is UTF-8: export the file again as UTF-8"):
        read_table(path, ct.ADAE)
    json_path = write_json(tmp_path / "adae.json", doc)
    json_path.write_bytes(json_path.read_bytes().replace("fièvre".encode(), "fièvre".encode("latin-1")))
    with pytest.raises(DataContractError, match=r"adae\.json: line 1 is not valid UTF-8 \(byte 0xe8\)"):
        read_table(json_path, ct.ADAE)


def test_read_table_dataset_json_nan_is_not_json(tmp_path):
    path = write_json(tmp_path / "adae.json", adae_doc())
    path.write_text(path.read_text(encoding="utf-8").replace("null", "NaN"), encoding="utf-8")  # ASTDY of row 3
    with pytest.raises(DataContractError, match=r"is not valid JSON \(NaN is not a JSON value \(a missing number is "
                                                r"null\)\)"):
        read_table(path, ct.ADAE)


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_read_table_dataset_json_empty_file(tmp_path, content):
    for fmt in ("json", "ndjson"):
        path = tmp_path / f"adae.{fmt}"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(DataContractError, match=rf"adae\.{fmt}: cannot be read: the file is empty; export the "
                                                    "table again as Dataset-JSON"):
            read_header(path)


@pytest.mark.parametrize("fmt, write", [("json", write_json), ("ndjson", write_ndjson)])
def test_read_table_dataset_json_without_rows(tmp_path, fmt, write):
    doc = dataset_json(ADAE.iloc[:0], "adae")
    doc.pop("rows")
    df = read_table(write(tmp_path / f"adae.{fmt}", doc), ct.ADAE)
    assert len(df) == 0
    assert list(df.columns) == list(ADAE.columns)


def test_read_header_json_duplicate_column(tmp_path):
    doc = adae_doc()
    doc["columns"][2]["name"] = "AETERM"
    with pytest.raises(DataContractError, match=r"column AETERM: the column name appears 2 times in the header "
                                                r"\(columns 2, 3\); keep one column of each name"):
        read_header(write_json(tmp_path / "adae.json", doc))


def test_read_header_json_reads_the_metadata_only(tmp_path):
    # the header (and the identifier check) never parses the rows: broken rows after a
    # valid metadata block give a header, and the table's reading refuses them
    path = write_json(tmp_path / "adae.json", adae_doc())
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index('"rows"')] + '"rows": [["S01", oops]]}', encoding="utf-8")
    assert read_header(path) == list(ADAE.columns)
    with pytest.raises(DataContractError, match="is not valid JSON"):
        read_table(path, ct.ADAE)


@pytest.mark.parametrize("order", ["rows first", "records after rows"])
def test_read_header_json_metadata_beyond_the_first_block(tmp_path, monkeypatch, order):
    # metadata longer than the first block read, members in another order than the
    # standard's (rows last): still found, and still checked against the schema
    monkeypatch.setattr(reading_module, "_HEADER_BYTES", 64)
    doc = adae_doc()
    rows, records = doc.pop("rows"), doc.pop("records")
    doc = {"rows": rows, "records": records, **doc} if order == "rows first" else {**doc, "rows": rows, "records": records}
    path = write_json(tmp_path / "adae.json", doc)
    assert read_header(path) == list(ADAE.columns)
    assert read_table(path, ct.ADAE)["AETERM"].tolist() == ADAE["AETERM"].tolist()


# ---------------------------------------------------------------------------------------
# Parquet


def test_read_table_parquet_types(tmp_path):
    frame = pd.DataFrame({"USUBJID": pd.Categorical(["S01", "S02"]), "AVISITN": np.array([0, 2], dtype="int32"),
                          "PARAMCD": pd.Categorical(["PGA", "PGA"]), "AVAL": [1.5, None], "FL": [True, False],
                          "DT": pd.to_datetime(["2014-03-01", None]).date})
    df = read_table(write_parquet(tmp_path / "adpga.parquet", frame), ct.ADPGA)
    assert df["AVISITN"].dtype == "float64" and df["AVISITN"].tolist() == [0.0, 2.0]
    assert isinstance(df["PARAMCD"].dtype, pd.CategoricalDtype) and df["PARAMCD"].tolist() == ["PGA", "PGA"]
    assert df["FL"].tolist() == [True, False]
    assert df["DT"].dtype.kind == "M" and df["DT"].iloc[0] == pd.Timestamp("2014-03-01")


def test_read_table_parquet_pandas_index_left_out(tmp_path):
    frame = ADAE.set_index("USUBJID", drop=False).rename_axis("IDX")
    path = tmp_path / "adae.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=True), path)
    assert read_header(path) == list(ADAE.columns)
    assert read_table(path, ct.ADAE)["USUBJID"].tolist() == ["S01", "S03", "S03"]


@pytest.mark.parametrize("cut", [-40, 200, 8])
def test_read_table_parquet_truncated(tmp_path, cut):
    path = write_parquet(tmp_path / "adae.parquet", ADAE)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(DataContractError, match=r"adae\.parquet: cannot be read as Parquet \(.+\); the file looks "
                                                r"truncated or corrupt: export it again"):
        read_table(path, ct.ADAE)


def test_read_table_parquet_corrupt_data_pages(tmp_path):
    path = write_parquet(tmp_path / "adae.parquet", pd.concat([ADAE] * 200, ignore_index=True))
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    for i in range(4, len(data) - footer - 8):  # every byte before the footer
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataContractError, match=r"cannot be read as Parquet"):
        read_table(path, ct.ADAE)


def test_read_table_parquet_column_of_lists(tmp_path):
    path = tmp_path / "adae.parquet"
    pq.write_table(pa.table({"USUBJID": ["S01"], "AETERM": [["a", "b"]]}), path)
    with pytest.raises(DataContractError, match=r"adae\.parquet, column AETERM: a column of Parquet type list<element: "
                                                r"string>, which a table cannot hold; store it as text, numbers, "
                                                r"booleans or dates"):
        read_table(path, ct.ADAE)


def test_read_table_parquet_null_columns(tmp_path):
    path = tmp_path / "adae.parquet"
    pq.write_table(pa.table({"USUBJID": ["S01", "S02"], "AEREL": pa.nulls(2), "ASTDY": pa.nulls(2)}), path)
    df = read_table(path, ct.ADAE)
    assert df["AEREL"].tolist() == ["", ""]
    assert df["ASTDY"].dtype == "float64" and df["ASTDY"].isna().all()


# ---------------------------------------------------------------------------------------
# the CDISC pilot's adsl, from XPT to Dataset-JSON and Parquet


def _pilot_metadata(path: Path) -> dict[str, dict]:
    """Per column of an XPT file: Dataset-JSON metadata for its type and SAS format."""
    reader = pd.read_sas(path, format="xport", encoding="latin-1", iterator=True)
    out = {}
    for name, field in zip(reader.columns, reader.fields, strict=True):
        fmt = field["nform"].decode().strip()
        meta = {"label": field["label"].decode("latin-1").strip() or name}
        if field["ntype"] == "numeric" and fmt == "DATE":
            # Dataset-JSON v1.1's ADaM dates: ISO text, targetDataType integer
            meta.update(dataType="date", targetDataType="integer", displayFormat=f"DATE{field['nfl']}.",
                        convert=lambda v: (pd.Timestamp("1960-01-01") + pd.Timedelta(days=v)).strftime("%Y-%m-%d"))
        elif field["ntype"] == "numeric":
            meta.update(dataType="double")  # float, not integer: whole-number columns stay doubles as in SAS
        else:
            meta.update(dataType="string", length=field["field_length"])
        out[name] = meta
    reader.close()
    return out


@needs_pilot
def test_cdisc_pilot_adsl_in_every_format(tmp_path):
    expected = read_table(PILOT / "adsl.xpt", ct.ADSL)
    meta = _pilot_metadata(PILOT / "adsl.xpt")
    doc = dataset_json(expected, "adsl", meta)
    assert list(reading_module._schema_validator(".json").iter_errors(doc)) == []
    numbers = {c: {**m, "dataType": "integer", "targetDataType": "integer", "convert": int}
               for c, m in meta.items() if m.get("targetDataType") == "integer"}
    paths = [write_json(tmp_path / "adsl.json", doc),
             write_ndjson(tmp_path / "adsl.ndjson", dataset_json(expected, "adsl", {**meta, **numbers})),
             write_parquet(tmp_path / "adsl.parquet", expected)]
    for path in paths:
        assert read_header(path) == list(expected.columns)
        pd.testing.assert_frame_equal(read_table(path, ct.ADSL), expected, obj=path.name)
    assert expected["TRTSDT"].notna().sum() == 254  # the dates went through the conversion
