"""Tests for helpers.data.contract and helpers.data: the data contract and ``load_cohort``.

Every test starts from the valid three-subject cohort of ``conftest.py`` (see its
docstring for the row layout), breaks it in one or several ways, and checks that one
``DataContractError`` names every problem with its file, column and 1-based rows.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import data as data_module
from helpers.data import Cohort, load_cohort
from helpers.data import cohort as cohort_module
from helpers.data import contract as ct
from helpers.data.config import read_cohort_config
from helpers.errors import DataContractError, IdentifierError, Problem

ROOT = Path(__file__).resolve().parents[1]
PILOT = Path(__file__).resolve().parents[2] / "shared" / "external" / "cdiscpilot01"  # beside the repository, never committed
needs_pilot = pytest.mark.skipif(not (PILOT / "adsl.xpt").is_file(), reason="CDISC pilot XPT files not available")


def where(problems: list[Problem]) -> set[tuple[str, str, tuple[int, ...]]]:
    """(file name, column, rows) of each problem."""
    return {(Path(p.file.split(" / ")[0]).name, p.column, p.rows) for p in problems}


def load_error(folder) -> DataContractError:
    with pytest.raises(DataContractError) as info:
        load_cohort(folder)
    return info.value


# ---------------------------------------------------------------------------------------
# the contract as data


def test_contract_has_the_ten_tables():
    assert list(ct.TABLES) == ["adsl", "adsledai", "adbilag", "adpga", "adlb", "adcyto", "admanif", "adcm", "adex", "adae"]
    assert [t for t, table in ct.TABLES.items() if "adam" in table.required] == ["adsl", "adae"]


def test_contract_col_describe_allowed():
    assert ct.ADSL.column("SEX").describe_allowed() == "F, M, U"
    assert ct.ADSL.column("SAFFL").describe_allowed() == "Y, N, ''"
    assert ct.ADSL.column("AGE").describe_allowed() == "0 to 120"
    assert ct.ADLB.column("AVAL").describe_allowed() == "0 to"
    assert ct.ADSL.column("USUBJID").describe_allowed() == ""


def test_contract_table_column_unknown():
    with pytest.raises(KeyError, match="NOPE"):
        ct.ADSL.column("NOPE")


def test_contract_units_per_paramcd():
    assert ct.ADLB.params == {"DSDNA": "IU/mL", "C3": "g/L", "C4": "g/L", "UPROT": "g/24h", "WBC": "10^9/L",
                              "LYMPH": "10^9/L", "PLAT": "10^9/L", "HGB": "g/L"}
    assert len(ct.ADSLEDAI.params) == 24
    assert len(ct.ADBILAG.params) == 9


def test_problem_describe_shortens_long_row_lists():
    p = Problem("adsl.csv", "AGE", tuple(range(1, 14)), "not a number")
    assert p.describe() == "adsl.csv, column AGE, rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 3 more: not a number"
    assert Problem("adsl.csv", "", (), "empty").describe() == "adsl.csv: empty"


def test_data_contract_error_lists_every_problem():
    err = DataContractError([Problem("a.csv", "X", (1,), "bad"), Problem("b.csv", "", (), "missing")], "/data")
    assert str(err) == "2 problem(s) in the cohort data at /data:\n  - a.csv, column X, rows 1: bad\n  - b.csv: missing"
    assert isinstance(err, ValueError)
    assert issubclass(IdentifierError, DataContractError)


# ---------------------------------------------------------------------------------------
# a valid cohort


def test_load_cohort_valid(cohort_dir):
    cohort = load_cohort(cohort_dir)
    assert isinstance(cohort, Cohort)
    assert sorted(cohort.tables) == sorted(ct.TABLES)
    sizes = {name: len(df) for name, df in cohort.tables.items()}
    assert sizes == {"adsl": 3, "adsledai": 120, "adbilag": 45, "adpga": 5, "adlb": 40, "adcyto": 30,
                     "admanif": 65, "adcm": 5, "adex": 6, "adae": 2}
    assert cohort.arms == ("IL-2", "Placebo")
    assert cohort.arm_var == "TRT01A"
    assert len(cohort.queries) == 0
    assert cohort.files["adsl"] == cohort_dir / "adsl.csv"
    assert cohort.has("adsl", "adae")
    assert not cohort.has("adsl", "adfoo")


def test_load_cohort_types_columns(cohort_dir):
    cohort = load_cohort(cohort_dir)
    adsl = cohort["adsl"]
    assert adsl["AGE"].dtype == "float64"
    assert adsl["TRTSDT"].tolist() == [pd.Timestamp("2014-03-01"), pd.Timestamp("2014-03-08"), pd.Timestamp("2014-03-15")]
    assert adsl["DCSREAS"].tolist() == ["", "", "Withdrawal by subject"]
    assert cohort["adsledai"]["AVAL"].dtype == "int64"
    assert cohort["adsledai"]["AVISITN"].dtype == "int64"
    assert cohort["adex"]["ASTDY"].dtype == "int64"
    assert cohort["adae"]["AETOXGR"].tolist() == [1, 2]
    # a blank limit of normal is missing, not zero
    dsdna = cohort["adlb"].query("PARAMCD == 'DSDNA'")
    assert dsdna["ANRLO"].isna().all()


def test_load_cohort_population(cohort_builder):
    cohort_builder.set("adsl", 3, "ITTFL", "N")
    cohort = load_cohort(cohort_builder.write())
    assert cohort.population("efficacy")["USUBJID"].tolist() == ["S01", "S02"]
    assert cohort.population("safety")["USUBJID"].tolist() == ["S01", "S02", "S03"]


def test_load_cohort_unknown_table_name(cohort_dir):
    cohort = load_cohort(cohort_dir)
    with pytest.raises(KeyError, match=r"cohort 'cohort' has no table 'advs'"):
        cohort["advs"]


def test_load_cohort_config_object_and_data_dir(cohort_builder, tmp_path):
    cohort_builder.write()
    tables = tmp_path / "elsewhere"
    shutil.copytree(cohort_builder.folder, tables)
    for f in cohort_builder.folder.glob("*.csv"):
        f.unlink()
    cfg = read_cohort_config(cohort_builder.folder)
    cohort = load_cohort(cfg, data_dir=tables)
    assert cohort.files["adsl"] == tables.resolve() / "adsl.csv"
    assert cohort.config.data_dir == tables.resolve()


def test_load_cohort_upper_case_file_names(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adsl.csv").rename(folder / "ADSL.CSV")
    assert load_cohort(folder).files["adsl"].name == "ADSL.CSV"


def test_load_cohort_never_modifies_inputs(cohort_builder, digest):
    folder = cohort_builder.write()
    before = digest(folder)
    load_cohort(folder)
    assert digest(folder) == before
    # and not when the data are refused either
    cohort_builder.set("adsl", 1, "AGE", "old")
    cohort_builder.write()
    before = digest(folder)
    with pytest.raises(DataContractError):
        load_cohort(folder)
    assert digest(folder) == before


# ---------------------------------------------------------------------------------------
# every problem at once


def test_load_cohort_reports_every_problem_at_once(cohort_builder):
    b = cohort_builder
    b.set("adsl", 2, "AGE", 150.0)  # out of range
    b.set("adsl", 3, "SEX", "X")  # not an allowed value
    b.set("adpga", 4, "AVAL", "high")  # text in a number column
    b.set("adsledai", 1, "PARAMCD", "FOO")  # unknown SLEDAI-2K code
    b.set("adlb", 9, "AVALU", "mg/dL")  # wrong unit (S01 week 2 anti-dsDNA)
    b.set("adcm", 2, "AVISITN", 4)  # week not in the schedule
    b.set("adae", 2, "USUBJID", "S99")  # subject not in adsl
    err = load_error(b.write())
    assert where(err.problems) == {
        ("adsl.csv", "AGE", (2,)),
        ("adsl.csv", "SEX", (3,)),
        ("adpga.csv", "AVAL", (4,)),
        ("adsledai.csv", "PARAMCD", (1,)),
        ("adlb.csv", "AVALU", (9,)),
        ("adcm.csv", "AVISITN", (2,)),
        ("adae.csv", "USUBJID", (2,)),
    }
    text = str(err).replace(str(b.folder) + "/", "")
    assert text.startswith(f"7 problem(s) in the cohort data at {b.folder}:")
    assert "adsl.csv, column AGE, rows 2: expected between 0 to 120; found 150.0" in text
    assert "adsl.csv, column SEX, rows 3: expected one of F, M, U; found 'X'" in text
    assert "adpga.csv, column AVAL, rows 4: not a number" in text
    assert "adsledai.csv, column PARAMCD, rows 1: expected one of SEIZURE, PSYCHOS," in text
    assert "found 'FOO'" in text
    assert "adlb.csv, column AVALU, rows 9: DSDNA must be recorded in 'IU/mL'; found ['mg/dL']" in text
    assert "adcm.csv, column AVISITN, rows 2: weeks [4] are not in the visit schedule [0, 2] of cohort.yml" in text
    assert "adae.csv, column USUBJID, rows 2: subjects not in adsl: S99" in text


def test_load_cohort_text_in_numeric_column(cohort_builder):
    cohort_builder.set("adpga", [2, 5], "AVAL", "n/a")
    cohort_builder.set("adsl", 3, "WEIGHTBL", "70 kg")
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adpga.csv", "AVAL", (2, 5)), ("adsl.csv", "WEIGHTBL", (3,))}
    assert "adpga.csv, column AVAL, rows 2, 5: not a number" in str(err)


def test_load_cohort_not_a_whole_number(cohort_builder):
    cohort_builder.set("adsledai", 3, "AVAL", 0.5)
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsledai.csv", "AVAL", (3,))}
    assert "adsledai.csv, column AVAL, rows 3: not a whole number" in str(err)


def test_load_cohort_not_a_date(cohort_builder):
    cohort_builder.set("adsl", 2, "TRTSDT", "08/03/2014")
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsl.csv", "TRTSDT", (2,))}
    assert "not a date (expected YYYY-MM-DD)" in str(err)


def test_load_cohort_blank_and_flag_values(cohort_builder):
    cohort_builder.set("adsl", 2, "SITEID", "")
    cohort_builder.set("adsl", 2, "SAFFL", "y")
    cohort_builder.set("adsl", 3, "WEIGHTBL", float("nan"))
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsl.csv", "SITEID", (2,)), ("adsl.csv", "SAFFL", (2,)), ("adsl.csv", "WEIGHTBL", (3,))}
    text = str(err)
    assert "column SITEID, rows 2: expected not blank" in text
    assert "column SAFFL, rows 2: expected one of Y, N, ''; found 'y'" in text
    assert "column WEIGHTBL, rows 3: missing value" in text


def test_load_cohort_missing_required_column(cohort_builder):
    cohort_builder.tables["adsl"] = cohort_builder.tables["adsl"].drop(columns=["ITTFL", "EOSSTT"])
    err = load_error(cohort_builder.write())
    assert ("adsl.csv", "ITTFL", ()) in where(err.problems)
    assert ("adsl.csv", "EOSSTT", ()) in where(err.problems)
    assert "adsl.csv, column ITTFL: required column is missing" in str(err)


def test_load_cohort_population_flag_from_config_is_required(cohort_builder):
    cohort_builder.config["populations"] = {"efficacy": "FASFL"}
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsl.csv", "FASFL", ())}
    assert "column FASFL: required column is missing" in str(err)


def test_load_cohort_lowercase_column_names_hint(cohort_builder):
    cohort_builder.tables["adsl"] = cohort_builder.tables["adsl"].rename(columns={"AGE": "age", "SEX": "Sex"})
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsl.csv", "AGE", ()), ("adsl.csv", "SEX", ())}
    assert "column AGE: required column is missing (found 'age': names are case-sensitive)" in str(err)
    assert "column SEX: required column is missing (found 'Sex': names are case-sensitive)" in str(err)


@pytest.mark.parametrize("table", ["adsl", "adpga"])
def test_load_cohort_lowercase_usubjid_hint(cohort_builder, table):
    cohort_builder.tables[table] = cohort_builder.tables[table].rename(columns={"USUBJID": "usubjid"})
    err = load_error(cohort_builder.write())
    assert (f"{table}.csv", "USUBJID", ()) in where(err.problems)
    assert "found 'usubjid': names are case-sensitive" in str(err)


def test_load_cohort_unknown_sledai_codes(cohort_builder):
    cohort_builder.set("adsledai", [26, 98], "PARAMCD", ["FEVERS", "arthrit"])
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsledai.csv", "PARAMCD", (26, 98))}
    assert "found 'FEVERS', 'arthrit'" in str(err)


def test_load_cohort_incomplete_visit(cohort_builder):
    cohort_builder.drop("adsledai", [39])  # S01 week 2 (rows 25-48), RASH (15th code)
    cohort_builder.drop("adbilag", [45])  # S03 week 0, HAEM
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsledai.csv", "PARAMCD", tuple(range(25, 48))),
                                   ("adbilag.csv", "PARAMCD", tuple(range(37, 45)))}
    assert "incomplete visits (S01 week 2): every visit needs all 24 codes" in str(err)
    assert "incomplete visits (S03 week 0): every visit needs all 9 codes" in str(err)


def test_load_cohort_duplicate_key(cohort_builder):
    df = cohort_builder.tables["adpga"]
    cohort_builder.tables["adpga"] = pd.concat([df, df.iloc[[1]]], ignore_index=True)
    err = load_error(cohort_builder.write())
    assert {rows for _, _, rows in where(err.problems)} == {(2, 6)}
    assert "duplicate key USUBJID/AVISITN/PARAMCD: one row per subject and visit expected" in str(err)


def test_load_cohort_duplicate_key_reported_once(cohort_builder):
    df = cohort_builder.tables["adpga"]
    cohort_builder.tables["adpga"] = pd.concat([df, df.iloc[[1]]], ignore_index=True)
    err = load_error(cohort_builder.write())
    assert len(err.problems) == 1


def test_load_cohort_visit_label_mismatch(cohort_builder):
    cohort_builder.set("adpga", [2, 4], "AVISIT", "Wk 2")
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adpga.csv", "AVISIT", (2, 4))}
    assert "adpga.csv, column AVISIT, rows 2, 4: week 2 labelled 'Wk 2', expected 'Week 2'" in str(err)


def test_load_cohort_subject_not_in_adsl(cohort_builder):
    cohort_builder.set("adex", [5, 6], "USUBJID", ["S98", "S99"])
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adex.csv", "USUBJID", (5, 6))}
    assert "subjects not in adsl: S98, S99" in str(err)


def test_load_cohort_arm_not_in_config(cohort_builder):
    cohort_builder.set("adsl", 2, "TRT01A", "Low dose")
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsl.csv", "TRT01A", (2,))}
    assert "arms ['Low dose'] are not among the config's arms ['IL-2', 'Placebo']" in str(err)


def test_load_cohort_dcsreas_if_and_only_if_discontinued(cohort_builder):
    cohort_builder.set("adsl", 1, "EOSSTT", "DISCONTINUED")  # no reason
    cohort_builder.set("adsl", 2, "DCSREAS", "Adverse event")  # completed, with a reason
    cohort_builder.set("adsl", 3, "DCSREAS", "")  # discontinued, reason removed
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsl.csv", "DCSREAS", (1, 3)), ("adsl.csv", "DCSREAS", (2,))}
    assert "rows 1, 3: discontinued without a reason" in str(err)
    assert "rows 2: a reason is given but EOSSTT is not DISCONTINUED" in str(err)


def test_load_cohort_baseline_missing_for_efficacy_subject(cohort_builder):
    cohort_builder.drop("adpga", [3])  # S02 week 0
    cohort_builder.drop("adbilag", list(range(37, 46)))  # S03 week 0
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adpga.csv", "AVISITN", ()), ("adbilag.csv", "AVISITN", ())}
    assert "adpga.csv, column AVISITN: no baseline (week 0) for subjects in the efficacy population: S02" in str(err)
    assert "no baseline (week 0) for subjects in the efficacy population: S03" in str(err)


def test_load_cohort_baseline_not_needed_outside_efficacy_population(cohort_builder):
    cohort_builder.set("adsl", 2, "ITTFL", "N")
    cohort_builder.drop("adpga", [3])  # S02 week 0
    assert len(load_cohort(cohort_builder.write())["adpga"]) == 4


def test_load_cohort_units_per_paramcd(cohort_builder):
    cohort_builder.set("adlb", [8, 16], "AVALU", "g/dL")  # haemoglobin of S01
    cohort_builder.set("adcyto", 1, "AVALU", "%")
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adlb.csv", "AVALU", (8, 16)), ("adcyto.csv", "AVALU", (1,))}
    assert "HGB must be recorded in 'g/L'; found ['g/dL'] (convert before loading)" in str(err)
    assert "TREG must be recorded in '% of CD4+ T cells'; found ['%']" in str(err)


def test_load_cohort_missing_visits_are_allowed(cohort_builder):
    # S02 misses week 2 in every table: a missed visit is not a contract problem
    b = cohort_builder
    b.drop("adsledai", list(range(73, 97)))
    b.drop("adpga", [4])
    cohort = load_cohort(b.write())
    assert len(cohort["adsledai"]) == 96


# ---------------------------------------------------------------------------------------
# lab-based SLEDAI-2K descriptors against adlb


def _break_lab_descriptors(b):
    b.set("adsledai", 13, "AVAL", 0)  # S01 week 0 PROTEIN, though UPROT 1.2 g/24h
    b.set("adsledai", 119, "AVAL", 0)  # S03 week 0 THROMBO, though platelets 90
    b.set("adsledai", 68, "AVAL", 0)  # S02 week 0 LOWCOMP, though C3 0.7 < 0.9
    b.set("adsledai", 45, "AVAL", 1)  # S01 week 2 DNABIND, though anti-dsDNA 20 <= 30


def test_load_cohort_lab_descriptor_queries_are_errors(cohort_builder):
    cohort_builder.config["data_queries"] = "error"  # the opt-in; the appendix is the default
    _break_lab_descriptors(cohort_builder)
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adsledai.csv", "AVAL", (13,)), ("adsledai.csv", "AVAL", (119,)),
                                   ("adsledai.csv", "AVAL", (68,)), ("adsledai.csv", "AVAL", (45,))}
    assert all(p.file.endswith("adsledai.csv / " + cohort_builder.path("adlb")) for p in err.problems)
    text = str(err)
    assert "descriptor PROTEIN disagrees with adlb (UPROT > 0.5 g/24h) at S01 week 0" in text
    assert "descriptor THROMBO disagrees with adlb (platelets < 100 x10^9/L) at S03 week 0" in text
    assert "descriptor LOWCOMP disagrees with adlb (C3 or C4 below the lower limit of normal (ANRLO)) at S02 week 0" in text
    assert "descriptor DNABIND disagrees with adlb (anti-dsDNA above the upper limit of normal (ANRHI)) at S01 week 2" in text
    assert "set data_queries: appendix in cohort.yml" in text


def test_load_cohort_lab_descriptor_queries_listed_in_appendix(cohort_builder):
    _break_lab_descriptors(cohort_builder)
    cohort_builder.config["data_queries"] = "appendix"
    cohort = load_cohort(cohort_builder.write())
    q = cohort.queries
    assert q[["USUBJID", "AVISITN", "PARAMCD", "AVAL", "expected", "row"]].values.tolist() == [
        ["S01", 0, "PROTEIN", 0, 1, 13],
        ["S01", 2, "DNABIND", 1, 0, 45],
        ["S02", 0, "LOWCOMP", 0, 1, 68],
        ["S03", 0, "THROMBO", 0, 1, 119],
    ]
    assert set(q["file"]) == {cohort_builder.path("adsledai")}
    assert q["rule"].tolist()[0] == "UPROT > 0.5 g/24h"


def test_load_cohort_lab_descriptor_boundaries(cohort_builder):
    # exactly at the thresholds the descriptors are absent: UPROT 0.5 is not > 0.5,
    # platelets 100 not < 100, white cells 3.0 not < 3, C3 at ANRLO not below it,
    # anti-dsDNA at ANRHI not above it. S03 week 0 is adlb rows 33-40, adsledai 97-120.
    b = cohort_builder
    b.config["data_queries"] = "error"
    b.set("adlb", 36, "AVAL", 0.5)  # UPROT; PROTEIN (row 109) is 0: agrees
    b.set("adlb", 34, "AVAL", 0.9)  # C3 = ANRLO; LOWCOMP (row 116) is 0: agrees
    b.set("adlb", 33, "AVAL", 30.0)  # anti-dsDNA = ANRHI ...
    b.set("adsledai", 117, "AVAL", 0)  # ... and DNABIND 0: agrees
    b.set("adlb", 39, "AVAL", 100.0)  # platelets; THROMBO (row 119) still 1: disagrees
    b.set("adlb", 37, "AVAL", 3.0)  # white cells; LEUKOP (row 120) still 1: disagrees
    err = load_error(b.write())
    assert where(err.problems) == {("adsledai.csv", "AVAL", (119,)), ("adsledai.csv", "AVAL", (120,))}


# ---------------------------------------------------------------------------------------
# identifiers, files, tables


def test_load_cohort_refuses_identifiers(cohort_builder):
    cohort_builder.tables["adsl"]["PatName"] = "Jane Doe"
    cohort_builder.tables["adsl"]["BRTHDTC"] = "1980-01-01"
    cohort_builder.tables["adae"]["subject_email"] = "x@example.org"
    cohort_builder.set("adpga", 1, "AVAL", "text too")  # reported too, after the identifiers
    with pytest.raises(IdentifierError) as info:
        load_cohort(cohort_builder.write())
    assert where(info.value.problems) == {("adsl.csv", "PatName", ()), ("adsl.csv", "BRTHDTC", ()),
                                          ("adae.csv", "subject_email", ()), ("adpga.csv", "AVAL", (1,))}
    assert info.value.problems[-1].column == "AVAL"
    assert "looks like a direct identifier" in str(info.value)
    assert "USUBJID is the only subject key allowed" in str(info.value)


def test_load_cohort_allows_named_things(cohort_builder):
    cohort_builder.tables["adsl"]["SITENAME"] = "Peking University People's Hospital"
    cohort_builder.tables["adsl"]["STUDYNAME"] = "IL-2 in SLE"
    assert "SITENAME" in load_cohort(cohort_builder.write())["adsl"]


def test_load_cohort_missing_required_table(cohort_builder):
    cohort_builder.tables["adpga"] = None
    cohort_builder.tables["adcm"] = None
    err = load_error(cohort_builder.write())
    assert where(err.problems) == {("adpga.csv", "", ()), ("adcm.csv", "", ())}
    assert "required table adpga (Physician's Global Assessment) not found (as adpga.csv, .xpt, .json, .ndjson or .parquet)" in str(err)


def test_load_cohort_data_folder_not_found(cohort_builder, tmp_path):
    cohort_builder.config["data_dir"] = "../nowhere"
    err = load_error(cohort_builder.write())
    assert any(p.message == "data folder not found" and p.file == str((tmp_path / "nowhere").resolve()) for p in err.problems)


def test_load_cohort_unreadable_file(cohort_builder):
    folder = cohort_builder.write()
    (folder / "adcm.csv").write_text("", encoding="utf-8")
    err = load_error(folder)
    assert where(err.problems) == {("adcm.csv", "", ())}
    assert "adcm.csv: cannot be read" in str(err)


@needs_pilot
def test_load_cohort_table_given_as_csv_and_xpt(cohort_builder):
    folder = cohort_builder.write()
    shutil.copy(PILOT / "adae.xpt", folder / "adae.xpt")
    err = load_error(folder)
    assert any(p.file == "adae.csv and adae.xpt" and p.message == "table adae is given twice; keep one file"
               for p in err.problems)
    assert "adae.csv and adae.xpt: table adae is given twice; keep one file" in str(err)


@needs_pilot
def test_load_cohort_table_given_twice_not_also_missing(cohort_builder):
    folder = cohort_builder.write()
    shutil.copy(PILOT / "adae.xpt", folder / "adae.xpt")
    err = load_error(folder)
    assert [p.message for p in err.problems] == ["table adae is given twice; keep one file"]


def test_load_cohort_bad_visit_number_reported_once(cohort_builder):
    cohort_builder.set("adpga", 2, "AVISITN", "two")
    err = load_error(cohort_builder.write())
    assert [p.describe() for p in err.problems] == [f"{cohort_builder.path('adpga')}, column AVISITN, rows 2: not a number"]


# ---------------------------------------------------------------------------------------
# the adam contract and SAS transport files


@needs_pilot
def test_load_cohort_cdisc_pilot_xpt(digest):
    before = digest(PILOT)
    cohort = load_cohort(ROOT / "data" / "cdiscpilot01")
    assert digest(PILOT) == before
    assert sorted(cohort.tables) == ["adae", "adlb", "adsl"]  # adlbhy read as adlb (the only lab table)
    assert cohort.files["adsl"] == PILOT / "adsl.xpt"
    assert cohort.files["adlb"] == PILOT / "adlbhy.xpt"
    adsl = cohort["adsl"]
    assert len(adsl) == 254
    assert adsl["USUBJID"].is_unique
    assert adsl["TRT01A"].value_counts().to_dict() == {"Placebo": 86, "Xanomeline High Dose": 84, "Xanomeline Low Dose": 84}
    assert cohort.arms == ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
    assert adsl["TRTSDT"].dtype.kind == "M"  # SAS dates counted from 1960-01-01
    assert adsl["TRTSDT"].min() >= pd.Timestamp("2012-01-01")
    assert len(cohort["adae"]) == 1191
    assert cohort["adae"]["USUBJID"].isin(adsl["USUBJID"]).all()


@needs_pilot
def test_load_cohort_xpt_adam_missing_adae(tmp_path):
    data = tmp_path / "tables"
    data.mkdir()
    shutil.copy(PILOT / "adsl.xpt", data / "adsl.xpt")
    err = load_error_with(ROOT / "data" / "cdiscpilot01", data)
    assert where(err.problems) == {("adae.csv", "", ())}
    assert "required table adae (Adverse events) not found (as adae.csv, .xpt, .json, .ndjson or .parquet)" in str(err)


def load_error_with(folder, data_dir) -> DataContractError:
    with pytest.raises(DataContractError) as info:
        load_cohort(folder, data_dir=data_dir)
    return info.value


def test_load_cohort_adam_contract_csv(cohort_builder):
    b = cohort_builder
    b.config = {"title": "T", "label": "L", "contract": "adam", "arms": ["IL-2", "Placebo"]}
    for name in ("adsledai", "adbilag", "adpga", "adlb", "adcyto", "admanif", "adcm", "adex"):
        b.tables[name] = None
    b.tables["adsl"] = b.tables["adsl"][["USUBJID", "AGE", "SEX", "TRT01A", "SAFFL", "ITTFL"]]
    cohort = load_cohort(b.write())
    assert sorted(cohort.tables) == ["adae", "adsl"]


# ---------------------------------------------------------------------------------------
# the in-process memo


def test_load_cohort_memo_returns_equal_frames(cohort_dir, monkeypatch):
    first = load_cohort(cohort_dir)

    def no_reading(*args, **kwargs):
        raise AssertionError("the memoised cohort should not be read again")

    monkeypatch.setattr(cohort_module, "read_table", no_reading)
    second = load_cohort(cohort_dir)
    assert second is not first
    for name in first.tables:
        pd.testing.assert_frame_equal(second[name], first[name])


def test_load_cohort_memo_not_changed_by_callers(cohort_dir):
    first = load_cohort(cohort_dir)
    first["adsl"].loc[0, "AGE"] = 99.0
    first["adsl"]["NEW"] = 1
    first.tables["adpga"] = first["adpga"].iloc[:0]
    second = load_cohort(cohort_dir)
    assert second["adsl"]["AGE"].tolist() == [30.0, 45.0, 52.0]
    assert "NEW" not in second["adsl"]
    assert len(second["adpga"]) == 5


def test_load_cohort_memo_rereads_changed_files(cohort_builder):
    folder = cohort_builder.write()
    load_cohort(folder)
    cohort_builder.set("adsl", 1, "AGE", 130.0)
    cohort_builder.write()
    err = load_error(folder)
    assert where(err.problems) == {("adsl.csv", "AGE", (1,))}


def test_load_cohort_memo_respects_the_config(cohort_dir):
    cfg = read_cohort_config(cohort_dir)
    load_cohort(cfg)
    narrower = dataclasses.replace(cfg, arms=("IL-2",))
    with pytest.raises(DataContractError, match=r"arms \['Placebo'\] are not among the config's arms \['IL-2'\]"):
        load_cohort(narrower)


# ---------------------------------------------------------------------------------------
# reading one file


def test_read_table_keeps_text_when_a_number_column_has_text(cohort_builder):
    cohort_builder.set("adpga", 2, "AVAL", "high")
    folder = cohort_builder.write()
    df = data_module.read_table(folder / "adpga.csv", ct.ADPGA)
    assert df["AVAL"].tolist() == ["2.0", "high", "1.5", "1.5", "2.0"]


def test_read_table_parses_numbers_on_the_fast_path(cohort_dir):
    # regression: the fast path once passed a dict as na_values, which the pyarrow engine
    # refuses, so every CSV was re-read as text
    df = data_module.read_table(cohort_dir / "adpga.csv", ct.ADPGA)
    assert df["AVAL"].dtype == "float64"
    assert df["AVAL"].tolist() == [2.0, 1.0, 1.5, 1.5, 2.0]
    assert df["USUBJID"].tolist() == ["S01", "S01", "S02", "S02", "S03"]


def test_find_lab_descriptor_queries_selena_proteinuria():
    from helpers.data import find_lab_descriptor_queries

    # Subject P: persistent proteinuria 1.2 -> 1.2, scored at both visits. Subject N: new
    # (0.3 -> 1.0) and then up by 0.6 (1.0 -> 1.6), scored at the last two visits.
    lb = pd.DataFrame({"USUBJID": ["P", "P", "N", "N", "N"], "AVISITN": [0, 2, 0, 2, 4], "PARAMCD": "UPROT",
                       "AVAL": [1.2, 1.2, 0.3, 1.0, 1.6], "ANRLO": None, "ANRHI": 0.15})
    sd = pd.DataFrame({"USUBJID": ["P", "P", "N", "N", "N"], "AVISITN": [0, 2, 0, 2, 4], "PARAMCD": "PROTEIN",
                       "AVAL": [1, 1, 0, 1, 1]})
    assert find_lab_descriptor_queries(sd, lb).empty  # SLEDAI-2K: any proteinuria > 0.5 scores
    selena = find_lab_descriptor_queries(sd, lb, "SELENA-SLEDAI")
    # SELENA-SLEDAI: P's unchanged proteinuria at week 2 is not new, and not up by > 0.5
    assert selena[["USUBJID", "AVISITN", "AVAL", "expected"]].to_dict("records") == [
        {"USUBJID": "P", "AVISITN": 2, "AVAL": 1, "expected": 0}]
    assert selena["rule"].iloc[0].startswith("UPROT > 0.5 g/24h and new")


def test_load_cohort_optional_lab_codes_have_units_and_need_not_be_at_every_visit(cohort_builder):
    lb = cohort_builder.tables["adlb"]
    extra = lb.iloc[[0]].assign(PARAMCD="CREAT", PARAM="Serum creatinine", AVAL=70.0, AVALU="umol/L",
                                ANRLO=45.0, ANRHI=90.0)
    cohort_builder.tables["adlb"] = pd.concat([lb, extra], ignore_index=True)
    cohort = load_cohort(cohort_builder.write())  # creatinine at one visit only: fine
    assert "CREAT" in set(cohort["adlb"]["PARAMCD"].astype(str))
    cohort_builder.tables["adlb"].loc[len(lb), "AVALU"] = "mg/dL"
    err = load_error(cohort_builder.write())
    assert "rows 41: CREAT must be recorded in 'umol/L'; found ['mg/dL']" in str(err)
