"""The data contract: which tables a cohort holds and what each column may contain.

The contract is written once, here, as data. ``helpers.data`` turns it into pandera
schemas to validate a cohort, and ``python -m helpers data contract`` renders it as the
tables of ``data/README.md`` (a test keeps the two in step).

Two levels:
- ``sle``: the full lupus contract every table below follows;
- ``adam``: the generic ADaM core (``adsl`` and ``adae`` only, lupus columns optional), so
  the generic chapters run on any trial's export.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from helpers import definitions as d
from helpers.errors import Problem

FLAG_VALUES: tuple[str, ...] = ("Y", "N", "")


@dataclass(frozen=True)
class Col:
    """One column of the contract.

    ``kind`` is one of ``str``, ``int``, ``float``, ``date``, ``flag`` (``Y``/``N``/blank).
    ``required`` lists the contract levels that require the column; a column is checked
    whenever it is present.
    """

    name: str
    kind: str
    label: str
    unit: str = ""
    allowed: tuple | None = None
    low: float | None = None
    high: float | None = None
    nullable: bool = False
    required: tuple[str, ...] = ("sle",)

    def describe_allowed(self) -> str:
        if self.allowed is not None:
            shown = [repr(a) if a == "" else str(a) for a in self.allowed]
            return ", ".join(shown)
        if self.low is not None or self.high is not None:
            lo = "" if self.low is None else f"{self.low:g}"
            hi = "" if self.high is None else f"{self.high:g}"
            return f"{lo} to {hi}".strip()
        return ""


@dataclass(frozen=True)
class Table:
    """One table of the contract."""

    name: str
    label: str
    structure: str
    key: tuple[str, ...]
    columns: tuple[Col, ...]
    required: tuple[str, ...] = ("sle",)
    #: For BDS tables: PARAMCD -> unit (or "" when unitless); None when not a BDS table.
    #: Every visit recorded holds every one of these codes.
    params: dict[str, str] | None = None
    #: Codes a BDS table may also hold, at any visits (PARAMCD -> unit): the optional
    #: renal and serology tests of ``adlb``. Analyses that need them run only when present.
    optional_params: dict[str, str] | None = None
    #: Whether a file with a header and no rows is a valid table. Event tables may be
    #: empty (a trial without adverse events has a header-only ``adae``); the
    #: subject-level table and the per-visit tables must hold rows, since an empty one
    #: means a failed export rather than a trial without subjects or visits.
    may_be_empty: bool = False
    #: Whether every visit recorded must hold every code of ``params`` (SLEDAI-2K and
    #: BILAG-2004 items: a total cannot be computed from part of a visit). ``adlb`` is a
    #: generic lab table: an incomplete visit is shown, not refused.
    complete_visits: bool = True

    @property
    def units(self) -> dict[str, str]:
        """The unit of every code the table may hold, required or optional."""
        return {**(self.params or {}), **(self.optional_params or {})}

    def column(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _visit_cols() -> tuple[Col, ...]:
    return (
        Col("USUBJID", "str", "Unique subject identifier", required=("sle", "adam")),
        Col("AVISIT", "str", "Analysis visit label, as in the cohort's schedule"),
        Col("AVISITN", "int", "Analysis visit: study week", unit="week", low=0, high=520),
    )


ANY = ("sle", "adam")

ADSL = Table(
    "adsl",
    "Subject-level analysis dataset",
    "one row per subject",
    key=("USUBJID",),
    required=ANY,
    columns=(
        Col("STUDYID", "str", "Study identifier", required=()),
        Col("USUBJID", "str", "Unique subject identifier", required=ANY),
        Col("SITEID", "str", "Study site identifier"),
        Col("AGE", "float", "Age at enrolment", unit="years", low=0, high=120, required=ANY),
        Col("SEX", "str", "Sex", allowed=("F", "M", "U"), required=ANY),
        Col("RACE", "str", "Race", required=(), nullable=True),
        Col("TRT01P", "str", "Planned treatment", required=(), nullable=True),
        Col("TRT01A", "str", "Actual treatment (the arm; blank for a subject randomized but never treated)",
            required=ANY, nullable=True),
        Col("RANDFL", "flag", "Randomized population flag", allowed=FLAG_VALUES, required=()),
        # Population flags are required as cohort.yml's populations name them.
        Col("SAFFL", "flag", "Safety population flag", allowed=FLAG_VALUES, required=()),
        Col("ITTFL", "flag", "Intention-to-treat population flag", allowed=FLAG_VALUES, required=()),
        Col("TRTSDT", "date", "Date of first dose", nullable=True),
        Col("TRTEDT", "date", "Date of last dose", nullable=True, required=()),
        Col(
            "EOSSTT",
            "str",
            "End-of-study status",
            allowed=("COMPLETED", "DISCONTINUED", "ONGOING"),
        ),
        Col("DCSREAS", "str", "Reason for discontinuation (blank unless DISCONTINUED)", nullable=True),
        Col("WEIGHTBL", "float", "Weight at baseline", unit="kg", low=20, high=250),
        Col("HEIGHTBL", "float", "Height at baseline", unit="cm", low=100, high=230),
        Col("BSABL", "float", "Body surface area at baseline (Mosteller)", unit="m2", low=0.5, high=3.5, required=()),
        Col("DURDIS", "float", "Duration of disease at enrolment", unit="months", low=0, high=1200),
        Col("PREDBL", "float", "Prednisone-equivalent daily dose at baseline", unit="mg/day", low=0, high=200),
    )
    + tuple(
        Col(flag, "flag", f"On {drug.lower()} at enrolment", allowed=FLAG_VALUES)
        for flag, drug in d.CONCOMITANT_DRUGS.items()
    )
    + tuple(
        Col(flag, "flag", f"On {drug.lower()} at enrolment", allowed=FLAG_VALUES, required=())
        for flag, drug in d.OPTIONAL_CONCOMITANT_DRUGS.items()
    ),
)

ADSLEDAI = Table(
    "adsledai",
    "SLEDAI-2K descriptors",
    "one row per subject, visit and SLEDAI-2K descriptor (all 24 at every visit recorded)",
    key=("USUBJID", "AVISITN", "PARAMCD"),
    params={x.code: "" for x in d.SLEDAI_DESCRIPTORS},
    columns=_visit_cols()
    + (
        Col("PARAMCD", "str", "Descriptor code", allowed=tuple(d.SLEDAI_WEIGHTS)),
        Col("AVAL", "int", "Descriptor present in the previous 10 days (1) or absent (0)", allowed=(0, 1)),
    ),
)

ADBILAG = Table(
    "adbilag",
    "BILAG-2004 domain grades",
    "one row per subject, visit and BILAG-2004 domain (all 9 at every visit recorded)",
    key=("USUBJID", "AVISITN", "PARAMCD"),
    params={k: "" for k in d.BILAG_DOMAINS},
    columns=_visit_cols()
    + (
        Col("PARAMCD", "str", "BILAG-2004 domain code", allowed=tuple(d.BILAG_DOMAINS)),
        Col("AVALC", "str", "Grade, A (severe) to E (never affected)", allowed=d.BILAG_GRADES),
    ),
)

ADPGA = Table(
    "adpga",
    "Physician's Global Assessment",
    "one row per subject and visit",
    key=("USUBJID", "AVISITN", "PARAMCD"),
    params={"PGA": ""},
    columns=_visit_cols()
    + (
        Col("PARAMCD", "str", "Parameter code", allowed=("PGA",)),
        Col("AVAL", "float", "PGA, 0 (none) to 3 (severe)", low=0, high=3),
    ),
)

ADLB = Table(
    "adlb",
    "Laboratory tests",
    "one row per subject, visit and lab test",
    key=("USUBJID", "AVISITN", "PARAMCD"),
    params={m.code: m.unit for m in d.LAB_TESTS},
    optional_params={m.code: m.unit for m in d.OPTIONAL_LAB_TESTS},
    # A generic BDS lab table: any code, visits as recorded (an incomplete visit is shown,
    # not refused); the lupus codes below are required by the lupus contract only.
    complete_visits=False,
    columns=_visit_cols()
    + (
        Col(
            "PARAMCD", "str",
            "Lab test code: any (a generic ADaM BDS table); the lupus contract requires the codes below, and "
            "accepts these optional ones at any visits: "
            + ", ".join(f"{m.code} ({m.label.lower()}, `{m.unit}`)" for m in d.OPTIONAL_LAB_TESTS),
        ),
        Col("PARAM", "str", "Lab test name", required=()),
        Col("PARAMTYP", "str", "`DERIVED` for a derived criterion (a 0/1 flag such as Hy's law), else blank",
            required=(), nullable=True),
        Col("AVAL", "float", "Result (blank: not done, shown as missing)", low=0, nullable=True),
        Col("AVALU", "str", "Unit (exactly as listed per test below; synonyms and conversions in `mapping`)"),
        Col("BASE", "float", "Baseline value (derived from the baseline visit when absent)", required=(), nullable=True),
        Col("CHG", "float", "Change from baseline (derived as AVAL - BASE when absent)", required=(), nullable=True),
        Col("ANRLO", "float", "Lower limit of normal", nullable=True, low=0),
        Col("ANRHI", "float", "Upper limit of normal", nullable=True, low=0),
        Col("A1LO", "float", "Lower limit of the analysis range (used when ANRLO is absent)", required=(),
            nullable=True, low=0),
        Col("A1HI", "float", "Upper limit of the analysis range (used when ANRHI is absent)", required=(),
            nullable=True, low=0),
        Col("ANRIND", "str", "Reference range indicator (LOW, NORMAL, HIGH; derived from the limits when absent)",
            required=(), nullable=True),
        Col("BNRIND", "str", "Baseline reference range indicator", required=(), nullable=True),
        Col("ATOXGR", "str", "CTCAE grade of the value", required=(), nullable=True),
        Col("BTOXGR", "str", "CTCAE grade at baseline", required=(), nullable=True),
    ),
)

#: ADaM names of a laboratory BDS table other than ``adlb`` (chemistry, haematology,
#: urinalysis, Hy's law): a data folder without ``adlb`` that holds exactly one of them
#: reads it as ``adlb`` (the CDISC pilot's ``adlbhy.xpt``). With several, none is taken:
#: which one is meant is not ours to guess.
LAB_TABLE_ALIASES: tuple[str, ...] = ("adlbc", "adlbh", "adlbhy", "adlbu")

ADCYTO = Table(
    "adcyto",
    "Lymphocyte subsets (flow cytometry)",
    "one row per subject, visit and lymphocyte subset",
    key=("USUBJID", "AVISITN", "PARAMCD"),
    params={m.code: m.unit for m in d.CYTO_SUBSETS},
    columns=_visit_cols()
    + (
        Col("PARAMCD", "str", "Subset code", allowed=tuple(m.code for m in d.CYTO_SUBSETS)),
        Col("PARAM", "str", "Subset name", required=()),
        Col("AVAL", "float", "Percentage", unit="%", low=0, high=100),
        Col("AVALU", "str", "Unit (exactly as listed per subset below)"),
    ),
)

ADMANIF = Table(
    "admanif",
    "Clinical manifestations",
    "one row per subject, visit and clinical manifestation",
    key=("USUBJID", "AVISITN", "PARAMCD"),
    params={m.code: "" for m in d.MANIFESTATIONS},
    columns=_visit_cols()
    + (
        Col("PARAMCD", "str", "Manifestation code", allowed=tuple(m.code for m in d.MANIFESTATIONS)),
        Col("PARAM", "str", "Manifestation", required=()),
        Col("PARCAT1", "str", "Organ group", allowed=d.MANIFESTATION_GROUPS, required=()),
        Col("AVAL", "int", "Present (1) or absent (0)", allowed=(0, 1)),
    ),
)

ADCM = Table(
    "adcm",
    "Glucocorticoid dose",
    "one row per subject and visit",
    key=("USUBJID", "AVISITN", "PARAMCD"),
    params={"PREDDOSE": "mg/day"},
    columns=_visit_cols()
    + (
        Col("PARAMCD", "str", "Parameter code", allowed=("PREDDOSE",)),
        Col("AVAL", "float", "Prednisone-equivalent daily dose", unit="mg/day", low=0, high=1000),
    ),
)

ADEX = Table(
    "adex",
    "Exposure: study drug doses",
    "one row per dose given",
    key=("USUBJID", "ASTDY"),
    columns=(
        Col("USUBJID", "str", "Unique subject identifier"),
        Col("EXTRT", "str", "Treatment given"),
        Col("EXDOSE", "float", "Dose", low=0),
        Col("EXDOSU", "str", "Dose unit"),
        Col("ASTDY", "int", "Study day of the dose (day 1 = first dose)", unit="day", low=1),
        Col("APERIOD", "int", "Treatment course", low=1, high=99),
    ),
)

ADAE = Table(
    "adae",
    "Adverse events",
    "one row per adverse event",
    key=(),
    required=ANY,
    may_be_empty=True,
    columns=(
        Col("USUBJID", "str", "Unique subject identifier", required=ANY),
        Col("AETERM", "str", "Reported term", required=ANY),
        Col("AEDECOD", "str", "MedDRA preferred term", required=ANY),
        Col("AEBODSYS", "str", "MedDRA system organ class", required=ANY),
        Col("AETOXGR", "int", "CTCAE grade", allowed=(1, 2, 3, 4, 5)),
        Col("AESEV", "str", "Severity (used when AETOXGR is absent)", allowed=("MILD", "MODERATE", "SEVERE"), required=(), nullable=True),
        Col("AESER", "flag", "Serious", allowed=FLAG_VALUES, required=ANY),
        Col("AEREL", "str", "Relationship to study drug", required=ANY, nullable=True),
        Col("AEACN", "str", "Action taken with study drug", required=(), nullable=True),
        Col("AEOUT", "str", "Outcome", required=(), nullable=True),
        Col("ASTDY", "int", "Study day of onset", unit="day", nullable=True, required=ANY),
        Col("TRTEMFL", "flag", "Treatment-emergent flag", allowed=FLAG_VALUES, required=ANY),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (ADSL, ADSLEDAI, ADBILAG, ADPGA, ADLB, ADCYTO, ADMANIF, ADCM, ADEX, ADAE)
}

#: Column names that identify a person directly, by kind, after the 18 identifiers of
#: HIPAA's Safe Harbor method (45 CFR 164.514(b)(2)(i)): (A) names; (B) geographic
#: subdivisions smaller than a state (street address, city, county, ZIP code); (C) all
#: elements of dates except the year for dates directly related to an individual (here:
#: the birth date); (D) telephone and (E) fax numbers; (F) e-mail addresses; (G) social
#: security, (H) medical record, (I) health plan beneficiary and (J) account numbers;
#: (K) certificate and licence numbers; (L) vehicle and (M) device identifiers and
#: serial numbers; (N) URLs; (O) IP addresses; (P) biometric identifiers; (Q) full-face
#: photographs; (R) any other unique identifying number (national identity, NHS and CHI
#: numbers, passports).
#:
#: Each kind maps to ``(names, fragments)``: a column is refused when its normalised name
#: (upper case, letters and digits only: ``E_mail`` is ``EMAIL``, ``Date of birth`` is
#: ``DATEOFBIRTH``) equals one of the names or contains one of the fragments. The
#: fragments are chosen not to occur in the variables of CDISC ADaM and SDTM (``TRTSDT``,
#: ``ASTDT``, ``RFSTDTC``, ``AGE``, ``SITEID``, ``SUBJID``, ``DCSREAS``, ...): the study
#: dates of a trial are analysis data and stay, as do the trial's own keys. Short names
#: that occur inside ordinary words (``CITY`` in ``ETHNICITY``, ``URL`` in ``HOURLY``,
#: ``UDI`` in ``AUDIT``, ``SSN`` in ``CLASSNUM``, ``VIN`` in ``VINCRISTINE``) are matched
#: whole only. Dates of death, admission and discharge, which Safe Harbor also lists, are
#: trial data here (ADaM's ``DTHDT``) and are not refused; a year of birth is refused
#: because Safe Harbor would also require ages over 89 to be grouped.
IDENTIFIER_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "an e-mail address": (("EMAIL", "EMAILADDR", "EMAILADDRESS"), ("EMAIL",)),
    "a URL or IP address": (
        ("URL", "WEBSITE", "WEBPAGE", "HOMEPAGE", "IPADDR", "IPADDRESS", "IPV4", "IPV6"),
        ("WEBSITE", "WEBPAGE", "HOMEPAGE", "IPADDR"),
    ),
    "a name or initials": (
        ("NAME", "FNAME", "LNAME", "MNAME", "FULLNAME", "FIRSTNAME", "LASTNAME", "MIDDLENAME",
         "SURNAME", "FORENAME", "GIVENNAME", "FAMILYNAME", "MAIDENNAME", "PATNAME", "PTNAME",
         "SUBJNAME", "INIT", "INITS", "INITIALS", "SUBJINIT", "PATINIT", "PTINIT"),
        ("NAME", "INITIAL", "SUBJINIT", "PATINIT", "PTINIT"),
    ),
    "a birth date": (
        ("DOB", "BRTHDTC", "BRTHDT", "BRTHDAT", "BRTHDTM", "BIRTHDATE", "BIRTHDT", "BIRTHDTC",
         "DATEOFBIRTH", "DTOFBIRTH", "BIRTHYR", "BRTHYR", "YOB"),
        ("BIRTH", "BRTH", "DOB"),
    ),
    "a telephone or fax number": (
        ("PHONE", "TEL", "TELNO", "TELNUM", "TELEPHONE", "MOBILE", "MOBILENO", "CELLPHONE",
         "PHONENO", "PHONENUM", "FAX", "FAXNO", "FAXNUM"),
        ("PHONE", "TELNO", "TELNUM", "MOBILENO", "FAXNO", "FAXNUM"),
    ),
    "an address or a place smaller than a state": (
        ("ADDRESS", "ADDR", "ADDR1", "ADDR2", "STREET", "CITY", "TOWN", "COUNTY", "ZIP",
         "ZIPCODE", "POSTCODE", "POSTALCODE", "LATITUDE", "LONGITUDE", "GPS"),
        ("ADDRESS", "ADDR", "STREET", "ZIP", "POSTCODE", "POSTALCODE", "LATITUDE", "LONGITUDE"),
    ),
    "a record, insurance, account, licence or identity number": (
        ("SSN", "SOCSECNO", "NINO", "NHSNO", "NHSNUM", "NHSNUMBER", "CHINO", "CHINUM", "MRN",
         "MEDRECNO", "MEDRECNUM", "HOSPNO", "HOSPNUM", "NATID", "NATIONALID", "IDCARD",
         "PASSPORT", "PASSPORTNO", "LICENSENO", "LICENCENO", "DRIVERLICENSE", "INSURANCENO",
         "INSURANCEID", "POLICYNO", "MEMBERID", "MEDICAREID", "MEDICAIDID", "HICN", "MBI",
         "ACCOUNTNO", "ACCTNO", "ACCTNUM", "BANKACCT", "IBAN", "CREDITCARD", "CERTNO"),
        ("SOCSEC", "NHSNO", "NHSNUM", "MEDREC", "HOSPNO", "HOSPNUM", "NATIONALID", "IDCARD",
         "PASSPORT", "LICENSE", "LICENCE", "INSURANCE", "BENEFICIARY", "HEALTHPLAN", "ACCOUNT",
         "ACCTNO", "ACCTNUM", "CREDITCARD", "CERTIFICATENO"),
    ),
    "a vehicle or device identifier": (
        ("VIN", "LICENSEPLATE", "PLATENO", "SERIALNO", "SERIALNUM", "SERIALNUMBER", "DEVICEID",
         "IMEI", "UDI", "MACADDR"),
        ("VEHICLE", "LICENSEPLATE", "SERIALNO", "SERIALNUM", "DEVICEID", "IMEI", "MACADDR"),
    ),
    "a biometric identifier or a photograph": (
        ("PHOTO", "PHOTOGRAPH", "PHOTOID", "PORTRAIT", "FACEIMAGE", "FINGERPRINT", "RETINASCAN",
         "IRISSCAN", "VOICEPRINT", "BIOMETRIC"),
        ("PHOTOGRAPH", "FACEPHOTO", "FACEIMAGE", "FINGERPRINT", "VOICEPRINT", "RETINASCAN",
         "IRISSCAN", "BIOMETRIC"),
    ),
}
#: Every refused name, and every refused fragment, of :data:`IDENTIFIER_KINDS`.
IDENTIFIER_NAMES: tuple[str, ...] = tuple(n for names, _ in IDENTIFIER_KINDS.values() for n in names)
IDENTIFIER_FRAGMENTS: tuple[str, ...] = tuple(f for _, frags in IDENTIFIER_KINDS.values() for f in frags)
#: Names that contain a fragment but name things, not people.
IDENTIFIER_ALLOWED: tuple[str, ...] = (
    "STUDYNAME", "SITENAME", "PARAMNAME", "ARMNAME", "TRTNAME", "DRUGNAME", "TESTNAME",
    "LABNAME", "VISITNAME", "SPONSORNAME", "FILENAME", "DATASETNAME", "VARNAME", "DOMAINNAME",
)


# Direct identifiers inside free text (AETERM, DCSREAS, any text column without a list of
# allowed values). Each pattern is written to match what identifies someone and not the
# numbers a clinical table is full of: lab values and ranges ("150-400", "3.5",
# "10^9/L"), dates ("2014-03-01", "01.03.2014"), MedDRA codes ("10012345") and subject
# codes ("01-701-1015", 9 digits). Matching ignores case.
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_PHONE = (
    r"(?<![\w+./\-])"  # not glued to a word, a sign, a decimal point or a code
    r"(?:"
    # +CC and 7 to 15 digits in all: +44 20 7946 0018, +1 (555) 123-4567
    r"\+(?=(?:[ .\-()]{0,2}\d){7,15}(?![ .\-]?\d))\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){2,6}"
    # an area code in brackets: (555) 123-4567, (020) 7946 0018
    r"|\(\d{2,5}\)[ .\-]?\d{3,4}[ .\-]?\d{4}"
    # 10 to 15 digits in groups, not a date: 020 7946 0018, 555-123-4567, 07700 900123
    r"|(?!\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}(?!\d))(?!\d{1,2}[.\-/]\d{1,2}[.\-/]\d{2,4}(?!\d))"
    r"(?=(?:[ .\-]?\d){10,15}(?![ .\-]?\d))"
    r"(?:0\d{1,4}(?:[ .\-]\d{2,8}){1,4}|\d{2,5}(?:[ .\-]\d{2,5}){2,4})"
    r")"
    r"(?![\w/\-]|\.\d)"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}"
    r"|\d{1,2}[\-/.]\d{1,2}[\-/.]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \-]?{_MONTH}[ \-,]*\d{{2,4}}"
    rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{2,4}})"
)
# A full date (a year alone is allowed) next to a word that makes it a birth date:
# "born 3 March 1980", "DOB: 12/03/1980", "date of birth 1980-03-12", "1980-03-12 (DOB)".
_BIRTH = (
    rf"\b(?:born|birth(?:day|date)?|d\.?o\.?b\.?|date of birth)\W{{0,3}}(?:(?:on|is|was|of|date)\W{{1,3}}){{0,3}}{_DATE}"
    rf"|{_DATE}\W{{0,3}}\(?\s*(?:dob|d\.o\.b\.?|born|date of birth)\b"
)
#: Patterns of direct identifiers in free text (regular expressions, matched ignoring
#: case), by what a message calls the finding.
IDENTIFIER_PATTERNS: dict[str, str] = {
    "an e-mail address": _EMAIL,
    "a telephone number": _PHONE,
    "a birth date": _BIRTH,
}

def identifier_kind(column: str) -> str | None:
    """The kind of direct identifier a column name suggests, or None.

    >>> identifier_kind("E_mail"), identifier_kind("BRTHDAT"), identifier_kind("TRTSDT")
    ('an e-mail address', 'a birth date', None)
    """
    norm = "".join(ch for ch in str(column).upper() if ch.isascii() and ch.isalnum())
    if norm in ("USUBJID", *IDENTIFIER_ALLOWED):
        return None
    for kind, (names, fragments) in IDENTIFIER_KINDS.items():
        if norm in names or any(f in norm for f in fragments):
            return kind
    return None


def file_problem(path: Path) -> str:
    """Why ``path`` cannot be read as a table file ("" when it is a regular file).

    Checked with ``os.stat`` before anything opens the file: opening a named pipe waits
    for a writer, which would hang the build.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "not found (a link to a file that is not there?); put the table's file here"
    except OSError as exc:
        return f"cannot be opened ({exc.strerror}); check the file's permissions"
    if stat.S_ISREG(st.st_mode):
        return ""
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, not a file; put the table's file (.csv, .xpt, .json, .ndjson or .parquet) here instead"
    if stat.S_ISFIFO(st.st_mode):
        return "is a named pipe (FIFO), not a file, and reading it could wait forever; put the table's file here instead"
    return "is not a regular file (a device or a socket); put the table's file here instead"


#: The file formats of a table, by extension (matched ignoring case): CSV, SAS transport
#: (XPT v5), CDISC Dataset-JSON v1.1 as JSON and as NDJSON, and Apache Parquet.
TABLE_EXTENSIONS: tuple[str, ...] = (".csv", ".xpt", ".json", ".ndjson", ".parquet")


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Map each contract table to its file in ``folder``: ``<table>`` with one of the
    extensions of :data:`TABLE_EXTENSIONS` (``.csv``, ``.xpt``, ``.json``, ``.ndjson``,
    ``.parquet``); without ``adlb``, the one laboratory table of another ADaM name
    (:data:`LAB_TABLE_ALIASES`, e.g. ``adlbhy``) is ``adlb``.

    File names match case-insensitively (SAS exports are often upper case). A table
    present in two formats (or twice in one, ``adsl.csv`` and ``ADSL.CSV``) is a problem:
    which one is meant is not ours to guess. So is a folder, a named pipe or a device where
    the file should be (see :func:`file_problem`); such an entry is reported and left out
    of the returned files.
    """
    found: dict[str, list[Path]] = {}
    aliases: dict[str, list[Path]] = {}
    problems: list[Problem] = []
    if not folder.is_dir():
        return {}, [Problem(str(folder), "", (), "data folder not found")]
    for entry in sorted(folder.iterdir()):
        stem, ext = entry.stem.lower(), entry.suffix.lower()
        if ext in TABLE_EXTENSIONS and stem in TABLES:
            found.setdefault(stem, []).append(entry)
        elif ext in TABLE_EXTENSIONS and stem in LAB_TABLE_ALIASES:
            aliases.setdefault(stem, []).append(entry)
    if "adlb" not in found and len(aliases) == 1:
        found["adlb"] = next(iter(aliases.values()))
    files = {}
    for table, paths in found.items():
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            problems.append(Problem(names, "", (), f"table {table} is given twice; keep one file"))
            continue
        why = file_problem(paths[0])
        if why:
            problems.append(Problem(str(paths[0]), "", (), why))
        else:
            files[table] = paths[0]
    return files, problems
