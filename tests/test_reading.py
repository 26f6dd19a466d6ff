"""Tests for reading table files strictly: ``helpers.data.read_header``, ``read_table``,
``helpers.data.contract.find_table_files`` and what ``load_cohort`` makes of files that are not
what they claim (issue #11, item 3).

Every broken file becomes a ``Problem`` (file, column, 1-based data rows) with a message
saying what to do, all in one ``DataContractError``. SAS transport files are written here
by :func:`write_xpt`, a minimal writer of the format, so that the tests need no file from
outside the repository.
"""

from __future__ import annotations

import math
import os
import struct
import threading
from pathlib import Path

import pandas as pd
import pytest

from helpers.data import contract as ct
from helpers.data import load_cohort, read_header, read_table
from helpers.data import reading as reading_module
from helpers.errors import DataContractError, IdentifierError

PILOT = Path(__file__).resolve().parents[2] / "shared" / "external" / "cdiscpilot01"  # beside the repository, never committed
needs_pilot = pytest.mark.skipif(not (PILOT / "adsl.xpt").is_file(), reason="CDISC pilot XPT files not available")


# ---------------------------------------------------------------------------------------
# a minimal SAS transport (XPORT version 5) writer


def _ibm_float(x: float | None) -> bytes:
    """An IBM System/360 double, as SAS transport stores numbers. Zero is eight zero
    bytes (which pandas reads as 5.397605e-79); a missing value is "." and zeros."""
    if x is None or math.isnan(x):
        return b"." + bytes(7)
    if x == 0:
        return bytes(8)
    sign = 0x80 if x < 0 else 0
    frac, exp = abs(float(x)), 0
    while frac >= 1:
        frac, exp = frac / 16, exp + 1
    while frac < 1 / 16:
        frac, exp = frac * 16, exp - 1
    mantissa = round(frac * 2**56)
    if mantissa >= 2**56:
        mantissa, exp = mantissa >> 4, exp + 1
    return bytes([sign | (exp + 64)]) + mantissa.to_bytes(7, "big")


def write_xpt(path: Path, columns: dict[str, list], name: str = "TABLE", encoding: str = "latin-1") -> Path:
    """Write ``columns`` (name -> values; floats or None are numbers, str are text) as a
    one-member SAS transport file, following the layout of SAS's TS-140 note: library
    and member headers of 80-byte records, one 140-byte NAMESTR per variable, then the
    observations, padded with blanks to a multiple of 80 bytes.

    When a row is shorter than 80 bytes, pandas counts the rows by the blank 8-byte words
    of the last record, so the tables written here avoid text ending in 8 blanks."""

    def record(text: str) -> bytes:
        assert len(text) <= 80
        return text.ljust(80).encode("ascii")

    stamp = "01JAN24:00:00:00"
    names = list(columns)
    n_rows = len(next(iter(columns.values()))) if columns else 0
    kinds, widths = [], []
    for col in names:
        text = any(isinstance(v, str) for v in columns[col])
        kinds.append(2 if text else 1)
        widths.append(max([len(v.encode(encoding)) for v in columns[col]] + [1]) if text else 8)
    out = [
        record("HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000"),
        record("SAS     SAS     SASLIB  9.4     X64_7PRO" + " " * 24 + stamp),
        record(stamp),
        record("HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140"),
        record("HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000"),
        record("SAS     " + name.ljust(8) + "SASDATA 9.4     X64_7PRO" + " " * 24 + stamp),
        record(stamp + " " * 16 + name.ljust(40) + "DATA    "),
        record(f"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000{len(names):04d}00000000000000000000"),
    ]
    namestrs, position = b"", 0
    for i, (col, kind, width) in enumerate(zip(names, kinds, widths, strict=True)):
        namestrs += struct.pack(">hhhh8s40s8shhh2s8shhl52s", kind, 0, width, i + 1, col.encode().ljust(8),
                                col.encode().ljust(40), b" " * 8, 0, 0, 0, b"  ", b" " * 8, 0, 0, position, bytes(52))
        position += width
    out.append(namestrs + b" " * (-len(namestrs) % 80))
    out.append(record("HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000"))
    rows = b""
    for r in range(n_rows):
        for col, kind, width in zip(names, kinds, widths, strict=True):
            v = columns[col][r]
            rows += v.encode(encoding).ljust(width) if kind == 2 else _ibm_float(v)
    out.append(rows + b" " * (-len(rows) % 80))
    path.write_bytes(b"".join(out))
    return path


def test_write_xpt_round_trip(tmp_path):
    # the writer itself, read back by pandas: numbers, text, a missing value
    path = write_xpt(tmp_path / "t.xpt", {"USUBJID": ["S01", "S02"], "AGE": [30.5, None], "N": [-2.0, 1e6]})
    df = pd.read_sas(path, format="xport", encoding="latin-1")
    assert df["USUBJID"].tolist() == ["S01", "S02"]
    assert df["AGE"].iloc[0] == 30.5 and math.isnan(df["AGE"].iloc[1])
    assert df["N"].tolist() == [-2.0, 1e6]


# ---------------------------------------------------------------------------------------
# helpers


def problems_of(call) -> list:
    with pytest.raises(DataContractError) as info:
        call()
    return info.value.problems


def where(problems) -> set[tuple[str, str, tuple[int, ...]]]:
    return {(Path(p.file).name, p.column, p.rows) for p in problems}


def load_problems(folder) -> list:
    return problems_of(lambda: load_cohort(folder))


ADAE_HEADER = "USUBJID,AETERM,AEDECOD,AEBODSYS,AETOXGR,AESER,AEREL,ASTDY,TRTEMFL"


# ---------------------------------------------------------------------------------------
# folders, pipes and devices where a file should be


def test_find_table_files_folder_named_like_a_table(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adae.csv").unlink()
    (folder / "adae.csv").mkdir()
    files, problems = ct.find_table_files(folder)
    assert "adae" not in files
    assert [p.describe() for p in problems] == [
        f"{folder / 'adae.csv'}: is a folder, not a file; put the table's file (.csv, .xpt, .json, .ndjson or .parquet) here instead"]


def test_load_cohort_folder_named_like_a_table(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adae.csv").unlink()
    (folder / "adae.csv").mkdir()
    problems = load_problems(folder)
    assert where(problems) == {("adae.csv", "", ())}  # not also "required table adae not found"
    assert problems[0].message.startswith("is a folder, not a file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_load_cohort_named_pipe_does_not_hang(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adae.csv").unlink()
    os.mkfifo(folder / "adae.csv")
    result = {}

    def load():
        try:
            load_cohort(folder)
        except DataContractError as exc:
            result["problems"] = exc.problems

    thread = threading.Thread(target=load, daemon=True)  # a hang must not hold the test run
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "load_cohort opened the named pipe and waits for a writer"
    assert where(result["problems"]) == {("adae.csv", "", ())}
    assert "is a named pipe (FIFO), not a file, and reading it could wait forever" in result["problems"][0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_read_table_named_pipe(tmp_path):
    os.mkfifo(tmp_path / "adae.csv")
    with pytest.raises(DataContractError, match=r"adae.csv: is a named pipe \(FIFO\), not a file"):
        read_table(tmp_path / "adae.csv", ct.ADAE)


def test_read_table_device(tmp_path):
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    with pytest.raises(DataContractError, match=r"is not a regular file \(a device or a socket\)"):
        read_header(Path("/dev/null"))


def test_load_cohort_broken_link_named_like_a_table(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adae.csv").unlink()
    (folder / "adae.csv").symlink_to(folder / "nowhere.csv")
    problems = load_problems(folder)
    assert [p.describe() for p in problems] == [
        f"{folder / 'adae.csv'}: not found (a link to a file that is not there?); put the table's file here"]


def test_read_table_missing_file(tmp_path):
    with pytest.raises(DataContractError, match=r"adsl.csv: not found"):
        read_table(tmp_path / "adsl.csv", ct.ADSL)


# ---------------------------------------------------------------------------------------
# headers: empty files, other delimiters, duplicate names


def test_read_table_empty_file(tmp_path):
    (tmp_path / "adae.csv").write_bytes(b"")
    with pytest.raises(DataContractError, match=r"adae.csv: cannot be read: the file is empty \(not even a header row\); "
                                                r"export the table again with its column names on the first line"):
        read_table(tmp_path / "adae.csv", ct.ADAE)


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")])
def test_read_table_other_delimiter(tmp_path, sep, name):
    text = ADAE_HEADER.replace(",", sep) + "\n" + sep.join(["S01", "fever", "Pyrexia", "General", "1", "N", "", "2", "Y"]) + "\n"
    (tmp_path / "adae.csv").write_text(text, encoding="utf-8")
    problems = problems_of(lambda: read_table(tmp_path / "adae.csv", ct.ADAE))
    assert len(problems) == 1  # one problem, not a "missing column" for every column
    assert problems[0].message == (f"the fields are separated by {name} ({sep!r}), not commas: a CSV file must be "
                                   "comma-separated; export it again with ',' as the separator")


def test_load_cohort_semicolon_csv_is_one_problem(cohort_builder):
    folder = cohort_builder.write()
    cohort_builder.tables["adsl"].to_csv(folder / "adsl.csv", sep=";", index=False)
    problems = load_problems(folder)
    assert where(problems) == {("adsl.csv", "", ())}  # not 22 "required column is missing"
    assert problems[0].message.startswith("the fields are separated by semicolons (';'), not commas")


def test_read_table_duplicate_column_name(tmp_path):
    (tmp_path / "adpga.csv").write_text("USUBJID,AVISIT,AVISITN,PARAMCD,AVAL,AVAL\nS01,Baseline,0,PGA,2.0,1.0\n", encoding="utf-8")
    problems = problems_of(lambda: read_table(tmp_path / "adpga.csv", ct.ADPGA))
    assert where(problems) == {("adpga.csv", "AVAL", ())}
    assert problems[0].message == "the column name appears 2 times in the header (columns 5, 6); keep one column of each name"


# ---------------------------------------------------------------------------------------
# rows: ragged rows, quoted line breaks, line endings, byte-order marks


def test_read_table_ragged_rows(tmp_path):
    rows = [
        "S01,Baseline,0,PGA,2.0",
        "S01,Week 2,2,PGA,1.0,extra",  # row 2: one field too many
        "S02,Baseline,0,PGA",  # row 3: one too few
        "S02,Week 2,2,PGA,1.5",
        "S03,Baseline,0,PGA,2.0,,",  # row 5: two too many
    ]
    (tmp_path / "adpga.csv").write_text("USUBJID,AVISIT,AVISITN,PARAMCD,AVAL\n" + "\n".join(rows) + "\n", encoding="utf-8")
    problems = problems_of(lambda: read_table(tmp_path / "adpga.csv", ct.ADPGA))
    assert [p.describe() for p in problems] == [
        f"{tmp_path / 'adpga.csv'}, rows 2, 5: more fields than the header's 5 columns; every row needs one value per "
        "column (quote a value that holds a comma)",
        f"{tmp_path / 'adpga.csv'}, rows 3: fewer fields than the header's 5 columns; every row needs one value per "
        "column (leave a missing value empty between commas)",
    ]


def test_read_table_ragged_row_counts_records_not_lines(tmp_path):
    # a quoted line break does not start a new row, and blank lines are not rows
    text = ADAE_HEADER + '\nS01,"fever\nand chills",Pyrexia,General,1,N,,2,Y\n\nS03,rash,Rash,Skin,1,N,,5\n'
    (tmp_path / "adae.csv").write_text(text, encoding="utf-8")
    problems = problems_of(lambda: read_table(tmp_path / "adae.csv", ct.ADAE))
    assert where(problems) == {("adae.csv", "", (2,))}
    assert problems[0].message.startswith("fewer fields than the header's 9 columns")


def test_load_cohort_ragged_rows_reported_with_other_problems(cohort_builder):
    folder = cohort_builder.write()
    with open(folder / "adcm.csv", "a", encoding="utf-8") as f:
        f.write("S03,Week 2,2,PREDDOSE\n")  # row 6, one field short
    cohort_builder.set("adsl", 2, "AGE", 150.0)
    cohort_builder.tables["adcm"] = None  # keep the broken adcm.csv
    cohort_builder.write()
    problems = load_problems(folder)
    assert where(problems) == {("adcm.csv", "", (6,)), ("adsl.csv", "AGE", (2,))}


def test_read_table_quoted_line_breaks(tmp_path):
    text = ADAE_HEADER + '\nS01,"redness at\ninjection site",Injection site reaction,General,1,N,RELATED,2,Y\nS03,fever,Pyrexia,General,2,N,,5,Y\n'
    (tmp_path / "adae.csv").write_text(text, encoding="utf-8")
    df = read_table(tmp_path / "adae.csv", ct.ADAE)
    assert df["AETERM"].tolist() == ["redness at\ninjection site", "fever"]
    assert df["AETOXGR"].tolist() == [1.0, 2.0]


def test_read_table_quoted_line_breaks_in_a_large_file(tmp_path, monkeypatch):
    # pyarrow cuts a large file into blocks at line breaks; a quoted line break across a
    # block boundary needs the slower parser, which is tried before reporting anything
    monkeypatch.setattr(reading_module, "_diagnose_csv", lambda *a: pytest.fail("a valid file was diagnosed"))
    n = 40_000  # about 2.5 MB: several of pyarrow's 1 MB blocks
    rows = [f'S{i:05d},"line one\nline two of {i}",Pyrexia,General,1,N,,{i % 90 + 1},Y' for i in range(n)]
    (tmp_path / "adae.csv").write_text(ADAE_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    df = read_table(tmp_path / "adae.csv", ct.ADAE)
    assert len(df) == n
    assert df["AETERM"].iloc[-1] == f"line one\nline two of {n - 1}"
    assert df["ASTDY"].dtype == "float64"


def test_load_cohort_crlf_line_endings(cohort_builder):
    folder = cohort_builder.write()
    for name in ("adsl", "adae"):
        cohort_builder.tables[name].to_csv(folder / f"{name}.csv", index=False, lineterminator="\r\n")
    cohort = load_cohort(folder)
    assert cohort["adsl"]["DCSREAS"].tolist() == ["", "", "Withdrawal by subject"]
    assert cohort["adae"]["TRTEMFL"].tolist() == ["Y", "Y"]


def test_load_cohort_utf8_byte_order_mark(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adsl.csv").write_bytes(b"\xef\xbb\xbf" + (folder / "adsl.csv").read_bytes())
    assert read_header(folder / "adsl.csv")[:2] == ["STUDYID", "USUBJID"]
    cohort = load_cohort(folder)
    assert list(cohort["adsl"].columns[:2]) == ["STUDYID", "USUBJID"]


def test_read_table_valid_file_is_not_diagnosed(cohort_dir, monkeypatch):
    # the slow row-by-row reading is only for files pyarrow refuses
    monkeypatch.setattr(reading_module, "_diagnose_csv", lambda *a: pytest.fail("a valid file was diagnosed"))
    df = read_table(cohort_dir / "adlb.csv", ct.ADLB)
    assert df["AVAL"].dtype == "float64"
    assert len(df) == 40


# ---------------------------------------------------------------------------------------
# encodings


def _latin1_adae(folder: Path) -> Path:
    text = ADAE_HEADER + "\nS01,café au lait spots,Skin hyperpigmentation,Skin,1,N,,2,Y\nS03,fever,Pyrexia,General,2,N,,5,Y\n"
    path = folder / "adae.csv"
    path.write_bytes(text.encode("latin-1"))
    return path


def test_read_table_not_utf8(tmp_path):
    path = _latin1_adae(tmp_path)
    problems = problems_of(lambda: read_table(path, ct.ADAE))
    assert [p.describe() for p in problems] == [
        f"{path}, column AETERM, rows 1: text is not valid UTF-8 (byte 0xe9), the default encoding; name the file's "
        "encoding with the encoding: key of cohort.yml (e.g. encoding: cp1252) or save the file as UTF-8"]


def test_read_table_declared_encoding(tmp_path):
    df = read_table(_latin1_adae(tmp_path), ct.ADAE, encoding="latin-1")
    assert df["AETERM"].tolist() == ["café au lait spots", "fever"]


def test_read_table_not_the_declared_encoding(tmp_path):
    # 0x81 is not a character in Windows-1252
    path = tmp_path / "adae.csv"
    path.write_bytes((ADAE_HEADER + "\nS01,fever,Pyrexia,General,1,N,,2,Y\nS03,r\x81sh,Rash,Skin,2,N,,5,Y\n").encode("latin-1"))
    problems = problems_of(lambda: read_table(path, ct.ADAE, encoding="cp1252"))
    assert where(problems) == {("adae.csv", "AETERM", (2,))}
    assert problems[0].message == ("text is not valid cp1252 (byte 0x81), the encoding named by the encoding: key of "
                                   "cohort.yml; name the file's real encoding there or save the file as UTF-8")


def test_read_table_header_not_in_the_encoding(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes("USUBJID,AETERM,ÉTAT\nS01,fever,x\n".encode("latin-1"))
    with pytest.raises(DataContractError, match=r"adae.csv: the header row: text is not valid UTF-8 \(byte 0xc9\)"):
        read_header(path)


def test_read_table_unknown_encoding(tmp_path):
    path = _latin1_adae(tmp_path)
    with pytest.raises(DataContractError, match=r"Python knows no text encoding 'klingon'; set encoding: in cohort.yml"):
        read_table(path, ct.ADAE, encoding="klingon")


def test_load_cohort_encoding_from_cohort_yml(cohort_builder):
    cohort_builder.tables["adae"].loc[0, "AETERM"] = "érythème au point d'injection"
    folder = cohort_builder.write()
    (folder / "adae.csv").write_bytes((folder / "adae.csv").read_text(encoding="utf-8").encode("latin-1"))
    problems = load_problems(folder)
    assert where(problems) == {("adae.csv", "AETERM", (1,))}
    assert "the encoding: key of cohort.yml" in problems[0].message
    # the other files are plain ASCII, so latin-1 reads them all
    cohort_builder.config["encoding"] = "latin-1"
    cohort_builder.tables["adae"] = None
    cohort_builder.write()
    assert load_cohort(folder)["adae"]["AETERM"].iloc[0] == "érythème au point d'injection"


# ---------------------------------------------------------------------------------------
# empty tables


def test_load_cohort_header_only_adsl(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adsl.csv").write_text(",".join(cohort_builder.tables["adsl"].columns) + "\n", encoding="utf-8")
    problems = load_problems(folder)
    assert ("adsl.csv", "", ()) in where(problems)
    assert f"{folder / 'adsl.csv'}: adsl has no rows (only a header); export the table again with its data " \
           "(only adae may be empty)" in [p.describe() for p in problems]


def test_load_cohort_header_only_per_visit_table(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adpga.csv").write_text("USUBJID,AVISIT,AVISITN,PARAMCD,AVAL\n", encoding="utf-8")
    problems = load_problems(folder)
    assert ("adpga.csv", "", ()) in where(problems)
    assert any(p.message.startswith("adpga has no rows (only a header)") for p in problems)


def test_load_cohort_header_only_adae_is_a_trial_without_adverse_events(cohort_builder):
    cohort_builder.tables["adae"] = cohort_builder.tables["adae"].iloc[:0]
    cohort = load_cohort(cohort_builder.write())
    assert len(cohort["adae"]) == 0
    assert list(cohort["adae"].columns) == list(cohort_builder.tables["adae"].columns)


def test_contract_tables_that_may_be_empty():
    assert [name for name, t in ct.TABLES.items() if t.may_be_empty] == ["adae"]


# ---------------------------------------------------------------------------------------
# SAS transport files


ADSL_XPT = {
    "USUBJID": ["S01", "S02", "S03"],
    "AGE": [30.0, 0.0, 52.0],  # 0 as SAS stores it: pandas reads 5.397605e-79
    "SEX": ["F", "F", "M"],
    "TRT01A": ["IL-2", "IL-2", "Placebo"],
    "TRT01AN": [1.0, 1.0, 0.0],
    "SAFFL": ["Y", "Y", "Y"],
    "ITTFL": ["Y", "Y", "Y"],
    "TRTSDT": [19782.0, 19789.0, None],  # days since 1960-01-01: 2014-02-28, 2014-03-07, missing
}
ADAE_XPT = {
    "USUBJID": ["S01", "S03"],
    "AETERM": ["redness at injection site", "fever"],
    "AEDECOD": ["Injection site reaction", "Pyrexia"],
    "AEBODSYS": ["General disorders", "General disorders"],
    "AESER": ["N", "N"],
    "AEREL": ["RELATED", "NONE"],
    "ASTDY": [2.0, 5.0],
    "TRTEMFL": ["Y", "Y"],
}


def test_read_table_xpt_zero_is_exactly_zero(tmp_path):
    path = write_xpt(tmp_path / "adsl.xpt", ADSL_XPT)
    raw = pd.read_sas(path, format="xport", encoding="latin-1")
    assert 0 < raw["AGE"].iloc[1] < 1e-78  # the quirk this test is about
    df = read_table(path, ct.ADSL)
    assert df["AGE"].tolist() == [30.0, 0.0, 52.0]
    assert df["TRT01AN"].tolist() == [1.0, 1.0, 0.0]
    assert (df["TRT01AN"] == 0).sum() == 1


def test_load_cohort_xpt_written_here(tmp_path):
    folder = tmp_path / "pilotlike"
    folder.mkdir()
    (folder / "cohort.yml").write_text("title: T\nlabel: L\ncontract: adam\narms: [IL-2, Placebo]\n", encoding="utf-8")
    write_xpt(folder / "ADSL.XPT", ADSL_XPT)
    write_xpt(folder / "adae.xpt", ADAE_XPT)
    cohort = load_cohort(folder)
    adsl = cohort["adsl"]
    assert adsl["AGE"].tolist() == [30.0, 0.0, 52.0]
    assert adsl["TRTSDT"].tolist()[:2] == [pd.Timestamp("2014-02-28"), pd.Timestamp("2014-03-07")]
    assert pd.isna(adsl["TRTSDT"].iloc[2])
    assert cohort["adae"]["ASTDY"].tolist() == [2, 5]


def test_read_table_truncated_xpt(tmp_path):
    path = write_xpt(tmp_path / "adsl.xpt", ADSL_XPT)
    path.write_bytes(path.read_bytes()[:-40])  # cut inside the observations
    problems = problems_of(lambda: read_table(path, ct.ADSL))
    assert [p.describe() for p in problems] == [
        f"{path}: the SAS transport file looks truncated or corrupt (pandas: xport file may be corrupted.); export it again"]


def test_read_table_xpt_cut_in_its_header(tmp_path):
    path = write_xpt(tmp_path / "adsl.xpt", ADSL_XPT)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataContractError, match=r"adsl.xpt: cannot be read as a SAS transport \(XPT\) file \(.*\); "
                                                r"export it again as SAS transport version 5"):
        read_table(path, ct.ADSL)


def test_read_table_not_an_xpt(tmp_path):
    path = tmp_path / "adsl.xpt"
    path.write_text("USUBJID,AGE\nS01,30\n", encoding="utf-8")
    with pytest.raises(DataContractError, match=r"cannot be read as a SAS transport \(XPT\) file \(Header record is not an XPORT file.\)"):
        read_table(path, ct.ADSL)


def test_load_cohort_truncated_xpt_with_other_problems(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "cohort.yml").write_text("title: T\nlabel: L\ncontract: adam\narms: [IL-2, Placebo]\n", encoding="utf-8")
    path = write_xpt(folder / "adae.xpt", ADAE_XPT)
    path.write_bytes(path.read_bytes()[:-8])
    write_xpt(folder / "adsl.xpt", {**ADSL_XPT, "SEX": ["F", "X", "M"]})
    problems = load_problems(folder)
    assert where(problems) == {("adae.xpt", "", ()), ("adsl.xpt", "SEX", (2,))}


def test_read_table_xpt_without_rows(tmp_path):
    path = write_xpt(tmp_path / "adae.xpt", {k: [] for k in ADAE_XPT})
    df = read_table(path, ct.ADAE)
    assert len(df) == 0
    assert list(df.columns) == list(ADAE_XPT)


def test_read_table_xpt_not_in_the_declared_encoding(tmp_path):
    terms = ["érythème au point d'injection", "fever"]
    path = write_xpt(tmp_path / "adae.xpt", {**ADAE_XPT, "AETERM": terms}, encoding="latin-1")
    assert read_table(path, ct.ADAE)["AETERM"].tolist() == terms  # latin-1 by default
    problems = problems_of(lambda: read_table(path, ct.ADAE, encoding="utf-8"))
    assert where(problems) == {("adae.xpt", "AETERM", (1,))}
    assert problems[0].message.startswith("text is not valid utf-8 (byte 0xe9), the encoding named by the encoding: key")


def test_load_cohort_xpt_identifier_column_refused(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "cohort.yml").write_text("title: T\nlabel: L\ncontract: adam\narms: [IL-2, Placebo]\n", encoding="utf-8")
    write_xpt(folder / "adsl.xpt", {**ADSL_XPT, "BRTHDT": [7305.0, 7306.0, 7307.0]})
    write_xpt(folder / "adae.xpt", {**ADAE_XPT, "AETERM": ["redness at injection site", "fever, DOB 01/02/1980"]})
    with pytest.raises(IdentifierError) as info:
        load_cohort(folder)
    assert where(info.value.problems) == {("adsl.xpt", "BRTHDT", ()), ("adae.xpt", "AETERM", (2,))}


@needs_pilot
def test_read_table_cdisc_pilot_zeros_are_exact():
    adsl = read_table(PILOT / "adsl.xpt", ct.ADSL)
    placebo = adsl[adsl["TRT01A"] == "Placebo"]
    assert len(placebo) == 86
    assert (placebo["TRT01AN"] == 0).all()
    numbers = adsl.select_dtypes("number")
    assert not ((numbers != 0) & (numbers.abs() < 1e-78)).any().any()
