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
    params: dict[str, str] | None = None

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
        Col("TRT01A", "str", "Actual treatment (the arm)", required=ANY),
        Col("SAFFL", "flag", "Safety population flag", allowed=FLAG_VALUES, required=ANY),
        Col("ITTFL", "flag", "Intention-to-treat population flag", allowed=FLAG_VALUES, required=ANY),
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
    columns=_visit_cols()
    + (
        Col("PARAMCD", "str", "Lab test code", allowed=tuple(m.code for m in d.LAB_TESTS)),
        Col("PARAM", "str", "Lab test name", required=()),
        Col("AVAL", "float", "Result", low=0),
        Col("AVALU", "str", "Unit (exactly as listed per test below)"),
        Col("ANRLO", "float", "Lower limit of normal", nullable=True, low=0),
        Col("ANRHI", "float", "Upper limit of normal", nullable=True, low=0),
    ),
)

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

#: Column names that identify a person directly. A table holding any of them (any case,
#: anywhere in the name for the longer ones) is refused.
IDENTIFIER_NAMES: tuple[str, ...] = (
    "NAME", "FNAME", "LNAME", "PATNAME", "INITIALS", "INIT", "BRTHDTC", "BRTHDT", "DOB",
    "BIRTHDATE", "ADDRESS", "ADDR", "STREET", "PHONE", "TELEPHONE", "TEL", "MOBILE",
    "EMAIL", "MRN", "MEDRECNO", "SSN", "NATID", "IDCARD", "POSTCODE", "ZIPCODE",
)
IDENTIFIER_FRAGMENTS: tuple[str, ...] = (
    "NAME", "BIRTH", "ADDRESS", "PHONE", "EMAIL", "MEDREC", "INITIAL",
)
#: Columns that end in NAME but name things, not people (e.g. CDISC's ``CQ01NAM`` is
#: short already; these are full names seen in real exports).
IDENTIFIER_ALLOWED: tuple[str, ...] = ("STUDYNAME", "SITENAME", "PARAMNAME", "ARMNAME")


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Map each contract table to its file in ``folder`` (``<table>.csv`` or ``.xpt``).

    File names match case-insensitively (SAS exports are often upper case). A table
    present both as CSV and XPT is a problem: which one is meant is not ours to guess.
    """
    found: dict[str, list[Path]] = {}
    problems: list[Problem] = []
    if not folder.is_dir():
        return {}, [Problem(str(folder), "", (), "data folder not found")]
    for entry in sorted(folder.iterdir()):
        stem, ext = entry.stem.lower(), entry.suffix.lower()
        if ext in (".csv", ".xpt") and stem in TABLES:
            found.setdefault(stem, []).append(entry)
    files = {}
    for table, paths in found.items():
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            problems.append(Problem(names, "", (), f"table {table} is given twice; keep one file"))
        else:
            files[table] = paths[0]
    return files, problems
