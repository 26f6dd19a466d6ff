"""Tests for the direct-identifier checks (issue #11, item 6): column names
(``helpers.data.contract.identifier_kind``, ``helpers.data.check_identifier_columns``), free
text (``check_identifier_values``) and how ``load_cohort`` reports them: every finding a
``Problem`` beside every other problem, in one ``IdentifierError``, values never shown,
and ``reviewed_columns`` of ``cohort.yml`` exempting a column a person has checked.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.data import (
    check_identifier_columns,
    check_identifier_values,
    check_identifiers,
    load_cohort,
)
from helpers.data import contract as ct
from helpers.errors import DataContractError, IdentifierError

#: Column names of the CDISC pilot's adsl.xpt, adae.xpt and adlbhy.xpt (R Consortium
#: submissions-pilot1-to-fda), read once from the files and written out here: real
#: ADaM variables, none of which is a direct identifier.
CDISC_PILOT_COLUMNS = (
    # adsl
    "STUDYID", "USUBJID", "SUBJID", "SITEID", "SITEGR1", "ARM", "TRT01P", "TRT01PN", "TRT01A",
    "TRT01AN", "TRTSDT", "TRTEDT", "TRTDURD", "AVGDD", "CUMDOSE", "AGE", "AGEGR1", "AGEGR1N",
    "AGEU", "RACE", "RACEN", "SEX", "ETHNIC", "SAFFL", "ITTFL", "EFFFL", "COMP8FL", "COMP16FL",
    "COMP24FL", "DISCONFL", "DSRAEFL", "DTHFL", "BMIBL", "BMIBLGR1", "HEIGHTBL", "WEIGHTBL",
    "EDUCLVL", "DISONSDT", "DURDIS", "DURDSGR1", "VISIT1DT", "RFSTDTC", "RFENDTC", "VISNUMEN",
    "RFENDT", "DCDECOD", "EOSSTT", "DCSREAS", "MMSETOT",
    # adae
    "TRTA", "TRTAN", "ASTDT", "ASTDTF", "ASTDY", "AENDT", "AENDY", "ADURN", "ADURU", "AETERM",
    "AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD",
    "AEBODSYS", "AESOC", "AESOCCD", "AESEV", "AESER", "AESCAN", "AESCONG", "AESDISAB", "AESDTH",
    "AESHOSP", "AESLIFE", "AESOD", "AEREL", "AEACN", "AEOUT", "AESEQ", "TRTEMFL", "AOCCFL",
    "AOCCSFL", "AOCCPFL", "AOCC02FL", "AOCC03FL", "AOCC04FL", "CQ01NAM", "AOCC01FL",
    # adlbhy
    "TRTP", "TRTPN", "AVISIT", "AVISITN", "ADY", "ADT", "VISIT", "VISITNUM", "PARAMTYP", "PARAM",
    "PARAMCD", "PARAMN", "PARCAT1", "AVAL", "BASE", "A1LO", "A1HI", "R2A1LO", "R2A1HI", "BR2A1LO",
    "BR2A1HI", "ABLFL", "SHIFT1", "SHIFT1N", "CRIT1", "CRIT1FL", "CRIT1FN",
)

#: Other ADaM and SDTM variables that must pass, and names that contain a refused
#: fragment but name things.
OTHER_ANALYSIS_COLUMNS = (
    "DTHDT", "RFICDTC", "RFXSTDTC", "COUNTRY", "ARMCD", "ACTARMCD", "INVID", "ADTM", "AVALC",
    "CHG", "PCHG", "ANL01FL", "ONTRTFL", "ETHNICITY", "HOURLY", "AUDITFL", "VINCRIST", "CLASSNUM",
    "STUDYNAME", "SITENAME", "PARAMNAME", "ARMNAME", "DRUGNAME", "TESTNAME",
)

#: Names that must be refused, with the kind the message names.
FLAGGED = {
    "BRTHDAT": "a birth date", "BRTHDTC": "a birth date", "DOB": "a birth date",
    "Date of birth": "a birth date", "BIRTHYR": "a birth date",
    "SUBJINIT": "a name or initials", "INITIALS": "a name or initials", "PatName": "a name or initials",
    "first_name": "a name or initials", "Surname": "a name or initials", "NAME": "a name or initials",
    "E_MAIL": "an e-mail address", "subject_email": "an e-mail address",
    "TELNO": "a telephone or fax number", "PHONE": "a telephone or fax number",
    "Mobile": "a telephone or fax number", "FAX": "a telephone or fax number",
    "ADDRESS": "an address or a place smaller than a state", "Street": "an address or a place smaller than a state",
    "CITY": "an address or a place smaller than a state", "ZIP": "an address or a place smaller than a state",
    "Post code": "an address or a place smaller than a state",
    "NHSNO": "a record, insurance, account, licence or identity number",
    "SSN": "a record, insurance, account, licence or identity number",
    "MRN": "a record, insurance, account, licence or identity number",
    "MEDRECNO": "a record, insurance, account, licence or identity number",
    "INSURANCE_ID": "a record, insurance, account, licence or identity number",
    "ACCOUNT_NO": "a record, insurance, account, licence or identity number",
    "DRIVER_LICENSE": "a record, insurance, account, licence or identity number",
    "PASSPORT": "a record, insurance, account, licence or identity number",
    "VIN": "a vehicle or device identifier", "DEVICE_SERIAL_NO": "a vehicle or device identifier",
    "URL": "a URL or IP address", "IP_ADDRESS": "a URL or IP address",
    "FINGERPRINT": "a biometric identifier or a photograph", "PHOTO": "a biometric identifier or a photograph",
}


# ---------------------------------------------------------------------------------------
# column names


@pytest.mark.parametrize(("name", "kind"), FLAGGED.items())
def test_identifier_kind_flags(name, kind):
    assert ct.identifier_kind(name) == kind


@pytest.mark.parametrize("name", CDISC_PILOT_COLUMNS + OTHER_ANALYSIS_COLUMNS)
def test_identifier_kind_passes_analysis_variables(name):
    assert ct.identifier_kind(name) is None


def test_identifier_kind_passes_every_contract_column():
    names = {c.name for t in ct.TABLES.values() for c in t.columns}
    assert [n for n in sorted(names) if ct.identifier_kind(n)] == []


def test_identifier_names_cover_the_old_list():
    # the list before issue #11 is still refused
    old = ("NAME", "FNAME", "LNAME", "PATNAME", "INITIALS", "INIT", "BRTHDTC", "BRTHDT", "DOB", "BIRTHDATE",
           "ADDRESS", "ADDR", "STREET", "PHONE", "TELEPHONE", "TEL", "MOBILE", "EMAIL", "MRN", "MEDRECNO",
           "SSN", "NATID", "IDCARD", "POSTCODE", "ZIPCODE")
    assert [n for n in old if ct.identifier_kind(n) is None] == []
    assert set(old) <= set(ct.IDENTIFIER_NAMES)


def test_check_identifier_columns_message():
    problems = check_identifier_columns(["USUBJID", "BRTHDAT", "AGE"], "adsl.csv", ct.ADSL)
    assert [p.describe() for p in problems] == [
        "adsl.csv, column BRTHDAT: the column name looks like a direct identifier (a birth date); remove the column "
        "before the data reach the book (USUBJID is the only subject key allowed), or, if a person has checked this "
        "column, list it under reviewed_columns in cohort.yml (as adsl.BRTHDAT)"]


def test_check_identifier_columns_reviewed():
    cols = ["SUBJINIT", "TELNO", "E_MAIL"]
    reviewed = ["adsl.subjinit", "TELNO", "adae.E_MAIL"]  # any case; a bare name for every table
    assert [p.column for p in check_identifier_columns(cols, "adsl.csv", ct.ADSL, reviewed)] == ["E_MAIL"]
    assert [p.column for p in check_identifier_columns(cols, "adae.csv", ct.ADAE, reviewed)] == ["SUBJINIT"]
    assert [p.column for p in check_identifier_columns(cols, "x.csv", None, reviewed)] == ["SUBJINIT", "E_MAIL"]


def test_check_identifier_columns_unknown_table_hint():
    (p,) = check_identifier_columns(["PHONE"], "x.csv")
    assert p.message.endswith("list it under reviewed_columns in cohort.yml (as PHONE)")


# ---------------------------------------------------------------------------------------
# free text


def _ae(*terms: str) -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [f"S{i:02d}" for i in range(1, len(terms) + 1)], "AETERM": list(terms),
                         "AESEV": ["MILD"] * len(terms)})


@pytest.mark.parametrize(
    ("term", "what"),
    [
        ("patient wrote to jane.doe@example.org", "an e-mail address"),
        ("J.DOE@NHS.NET asked", "an e-mail address"),
        ("call +44 20 7946 0018 if worse", "a telephone number"),
        ("GP on (555) 123-4567", "a telephone number"),
        ("tel 020 7946 0018", "a telephone number"),
        ("son 555-123-4567", "a telephone number"),
        ("mobile 07700 900123", "a telephone number"),
        ("+33 1 23 45 67 89", "a telephone number"),
        ("fell, born 3 March 1980", "a birth date"),
        ("DOB: 12/03/1980", "a birth date"),
        ("date of birth 1980-03-12", "a birth date"),
        ("1980-03-12 (DOB)", "a birth date"),
        ("born on 12JAN1980", "a birth date"),
    ],
)
def test_check_identifier_values_finds(term, what):
    problems = check_identifier_values(_ae("headache", term, "rash"), "adae.csv", ct.ADAE)
    assert [(p.column, p.rows) for p in problems] == [("AETERM", (2,))]
    assert problems[0].message == (f"free text holds {what} (not shown here); remove it before the data reach the "
                                   "book, or, if a person has checked this column, list it under reviewed_columns "
                                   "in cohort.yml (as adae.AETERM)")


@pytest.mark.parametrize(
    "term",
    [
        "10^9/L", "platelets 150-400 x10^9/L", "2014-03-01", "01.03.2014", "2014-03-01T10:20:30",
        "onset 2014-03-01, resolved 2014-03-09", "3.5-10.5", "10012345", "01-701-1015",
        "CDISCPILOT01-01-701-1015", "CD4+ 1200", "+1.5 from baseline", "born in 1980", "birth control pill",
        "birth weight 3.2 kg", "1,234,567", "12345.67890", "0.5 1.0 2.0", "SLEDAI-2K 10", "IL-2 1.0 MIU",
        "% of CD4+ T cells", "g/24h", "Week 24", "DOBUTAMINE 2014-01-01", "visit 1980-03-12",
        "APPLICATION SITE ERYTHEMA",
    ],
)
def test_check_identifier_values_passes_clinical_text(term):
    assert check_identifier_values(_ae(term), "adae.csv", ct.ADAE) == []


def test_check_identifier_values_rows_and_kinds():
    ae = _ae("x@example.org", "headache", "y@example.org", "ring 020 7946 0018", "x@example.org")
    problems = check_identifier_values(ae, "adae.csv", ct.ADAE)
    assert [(p.column, p.rows, p.message.split(" (")[0]) for p in problems] == [
        ("AETERM", (1, 3, 5), "free text holds an e-mail address"),
        ("AETERM", (4,), "free text holds a telephone number"),
    ]
    assert not any("example.org" in p.describe() or "7946" in p.describe() for p in problems)


def test_check_identifier_values_categorical():
    ae = _ae("fever", "x@example.org", "fever")
    ae["AETERM"] = ae["AETERM"].astype("category").cat.add_categories(["unused@example.org"])
    problems = check_identifier_values(ae, "adae.csv", ct.ADAE)
    assert [(p.column, p.rows) for p in problems] == [("AETERM", (2,))]  # an unused category is no row


def test_check_identifier_values_missing_values():
    ae = _ae("fever", "x@example.org", "rash")
    ae.loc[0, "AETERM"] = None
    assert [p.rows for p in check_identifier_values(ae, "adae.csv", ct.ADAE)] == [(2,)]


def test_check_identifier_values_which_columns():
    # scanned: text without allowed values (AETERM, DCSREAS, any unknown column);
    # not scanned: columns with allowed values (AESEV), numbers, the trial's own codes
    df = pd.DataFrame({
        "USUBJID": ["020-7946-0018"], "SUBJID": ["020 7946 0018"], "AESEV": ["x@example.org"],
        "AETERM": ["x@example.org"], "NOTE": ["+44 20 7946 0018"], "ASTDY": [5],
    })
    assert [p.column for p in check_identifier_values(df, "adae.csv", ct.ADAE)] == ["AETERM", "NOTE"]
    # without a contract table every text column but the codes is free text
    assert [p.column for p in check_identifier_values(df, "x.csv")] == ["AESEV", "AETERM", "NOTE"]


def test_check_identifier_values_reviewed():
    df = pd.DataFrame({"AETERM": ["x@example.org"], "NOTE": ["x@example.org"]})
    assert [p.column for p in check_identifier_values(df, "adae.csv", ct.ADAE, ["adae.AETERM"])] == ["NOTE"]
    assert [p.column for p in check_identifier_values(df, "adae.csv", ct.ADAE, ["adsl.AETERM", "note"])] == ["AETERM"]


def test_check_identifier_values_empty_table():
    assert check_identifier_values(_ae().iloc[:0], "adae.csv", ct.ADAE) == []


def test_check_identifiers_names_then_text_of_the_other_columns():
    df = pd.DataFrame({"EMAIL": ["x@example.org"], "AETERM": ["y@example.org"]})
    problems = check_identifiers(df, "adae.csv", ct.ADAE)
    assert [(p.column, p.message.split(" (")[0]) for p in problems] == [
        ("EMAIL", "the column name looks like a direct identifier"),
        ("AETERM", "free text holds an e-mail address"),
    ]


# ---------------------------------------------------------------------------------------
# load_cohort


def test_load_cohort_refuses_name_variants_and_reports_everything(cohort_builder):
    b = cohort_builder
    b.tables["adsl"]["BRTHDAT"] = "1980-01-01"
    b.tables["adsl"]["SUBJINIT"] = ["JD", "AB", "CD"]
    b.tables["adae"]["E_MAIL"] = "x@example.org"
    b.tables["adae"]["TELNO"] = "020 7946 0018"
    b.tables["adex"]["NHSNO"] = "485 777 3456"
    b.set("adsl", 2, "AGE", 150.0)
    b.set("adsl", 3, "SEX", "X")
    b.set("adpga", 4, "AVAL", "high")
    b.set("adae", 2, "USUBJID", "S99")
    with pytest.raises(IdentifierError) as info:
        load_cohort(b.write())
    found = [(Path(p.file).name, p.column, p.rows) for p in info.value.problems]
    assert found == [
        ("adsl.csv", "BRTHDAT", ()), ("adsl.csv", "SUBJINIT", ()),
        ("adex.csv", "NHSNO", ()),
        ("adae.csv", "E_MAIL", ()), ("adae.csv", "TELNO", ()),
        # then every other problem
        ("adsl.csv", "AGE", (2,)), ("adsl.csv", "SEX", (3,)), ("adpga.csv", "AVAL", (4,)), ("adae.csv", "USUBJID", (2,)),
    ]
    assert str(info.value).startswith("9 problem(s) in the cohort data")


def test_load_cohort_identifiers_in_free_text(cohort_builder):
    b = cohort_builder
    b.set("adae", 2, "AETERM", "fever; wife's number +44 20 7946 0018")
    b.set("adsl", 3, "DCSREAS", "moved away, write to jane.doe@example.org")
    b.set("adsl", 1, "SEX", "Q")
    with pytest.raises(IdentifierError) as info:
        load_cohort(b.write())
    text = str(info.value)
    assert [(Path(p.file).name, p.column, p.rows) for p in info.value.problems] == [
        ("adsl.csv", "DCSREAS", (3,)), ("adae.csv", "AETERM", (2,)), ("adsl.csv", "SEX", (1,))]
    assert "adae.csv, column AETERM, rows 2: free text holds a telephone number (not shown here)" in text
    assert "adsl.csv, column DCSREAS, rows 3: free text holds an e-mail address (not shown here)" in text
    assert "7946" not in text and "jane" not in text


def test_load_cohort_refused_column_is_not_read(cohort_builder):
    # the column refused by its name is left out of the read: its text is not scanned
    # (one problem, not two) and its values are in no message
    cohort_builder.tables["adae"]["PATNAME"] = ["jane.doe@example.org", "John Smith"]
    with pytest.raises(IdentifierError) as info:
        load_cohort(cohort_builder.write())
    assert [(p.column, p.rows) for p in info.value.problems] == [("PATNAME", ())]
    assert "jane" not in str(info.value) and "Smith" not in str(info.value)


def test_load_cohort_identifier_value_never_shown_in_other_messages(cohort_builder):
    # a telephone number where an allowed value is expected is refused by the contract,
    # and the message does not repeat it
    cohort_builder.set("adae", 1, "TRTEMFL", "020 7946 0018")
    with pytest.raises(DataContractError) as info:
        load_cohort(cohort_builder.write())
    assert "adae.csv, column TRTEMFL, rows 1: expected one of Y, N, ''; found <a telephone number, not shown>" in str(info.value)
    assert "7946" not in str(info.value)


def test_load_cohort_reviewed_columns_exempt(cohort_builder):
    b = cohort_builder
    b.tables["adsl"]["SITENAME_CITY"] = "Beijing"  # a site's city: checked, not the subject's
    b.tables["adsl"]["CITY"] = "Beijing"
    b.set("adae", 1, "AETERM", "reaction, reported on 010 1234 5678 hotline")
    b.config["reviewed_columns"] = ["adsl.CITY", "SITENAME_CITY", "adae.AETERM"]
    cohort = load_cohort(b.write())
    assert cohort["adsl"]["CITY"].tolist() == ["Beijing"] * 3
    assert cohort["adae"]["AETERM"].iloc[0] == "reaction, reported on 010 1234 5678 hotline"


def test_load_cohort_reviewed_column_of_another_table_does_not_exempt(cohort_builder):
    b = cohort_builder
    b.set("adae", 1, "AETERM", "x@example.org")
    b.config["reviewed_columns"] = ["adsl.AETERM"]
    with pytest.raises(IdentifierError, match=r"adae.csv, column AETERM, rows 1: free text holds an e-mail address"):
        load_cohort(b.write())


def test_load_cohort_identifiers_write_nothing(cohort_builder, digest):
    cohort_builder.set("adae", 1, "AETERM", "x@example.org")
    folder = cohort_builder.write()
    before = digest(folder)
    with pytest.raises(IdentifierError):
        load_cohort(folder)
    assert digest(folder) == before


def test_load_cohort_without_identifiers_raises_the_plain_error(cohort_builder):
    cohort_builder.set("adsl", 1, "SEX", "Q")
    with pytest.raises(DataContractError) as info:
        load_cohort(cohort_builder.write())
    assert not isinstance(info.value, IdentifierError)
