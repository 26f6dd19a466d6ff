"""Shared fixtures: a tiny, hand-made lupus cohort that satisfies every check of the
``sle`` data contract, written to ``tmp_path`` as CSV files plus a ``cohort.yml``.

The cohort (arms "IL-2" and "Placebo", visits at weeks 0 and 2):

========  =======  =================================  ==========================
subject   arm      SLEDAI-2K descriptors (week 0/2)   other
========  =======  =================================  ==========================
S01       IL-2     ARTHRIT RASH PROTEIN LOWCOMP        completed; PGA 2.0 -> 1.0
                   DNABIND = 14  ->  RASH = 2          SRI-4 responder at week 2
S02       IL-2     ARTHRIT RASH LOWCOMP = 8 -> 8       completed; PGA 1.5 -> 1.5
S03       Placebo  ARTHRIT DNABIND LEUKOP THROMBO = 8  discontinued (withdrawal),
                   (no week 2)                         no week-2 visit
========  =======  =================================  ==========================

The lab values in ``adlb`` agree with the lab-based descriptors (UPROT > 0.5 g/24h,
C3 or C4 below ANRLO, anti-dsDNA above ANRHI, platelets < 100, white cells < 3).

Row layout of the per-visit tables, so tests can name 1-based rows literally: subjects in
order S01, S02, S03; within a subject week 0 then week 2; within a visit the codes in the
contract's order. So in ``adsledai`` (24 codes a visit) S01 week 0 is rows 1-24, S01
week 2 rows 25-48, S02 week 0 rows 49-72, S02 week 2 rows 73-96, S03 week 0 rows 97-120;
in ``adpga`` and ``adcm`` (one code) rows 1-5 are S01/0, S01/2, S02/0, S02/2, S03/0.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import data as data_module
from helpers import definitions as d

ARMS = {"S01": "IL-2", "S02": "IL-2", "S03": "Placebo"}
#: (subject, week) pairs that were recorded, in file order.
VISITS = [("S01", 0), ("S01", 2), ("S02", 0), ("S02", 2), ("S03", 0)]
LABELS = {0: "Baseline", 2: "Week 2"}

#: Active SLEDAI-2K descriptors per recorded visit (all others 0).
ACTIVE = {
    ("S01", 0): {"ARTHRIT", "RASH", "PROTEIN", "LOWCOMP", "DNABIND"},  # 4+2+4+2+2 = 14
    ("S01", 2): {"RASH"},  # 2
    ("S02", 0): {"ARTHRIT", "RASH", "LOWCOMP"},  # 4+2+2 = 8
    ("S02", 2): {"ARTHRIT", "RASH", "LOWCOMP"},  # 8
    ("S03", 0): {"ARTHRIT", "DNABIND", "LEUKOP", "THROMBO"},  # 4+2+1+1 = 8
}

#: Labs per visit: code -> value. Normal ranges in LAB_RANGES.
LABS = {
    ("S01", 0): {"DSDNA": 80.0, "C3": 0.5, "C4": 0.2, "UPROT": 1.2, "WBC": 5.0, "LYMPH": 1.2, "PLAT": 200.0, "HGB": 120.0},
    ("S01", 2): {"DSDNA": 20.0, "C3": 1.0, "C4": 0.2, "UPROT": 0.2, "WBC": 5.5, "LYMPH": 1.5, "PLAT": 210.0, "HGB": 125.0},
    ("S02", 0): {"DSDNA": 10.0, "C3": 0.7, "C4": 0.15, "UPROT": 0.1, "WBC": 6.0, "LYMPH": 1.1, "PLAT": 180.0, "HGB": 118.0},
    ("S02", 2): {"DSDNA": 12.0, "C3": 0.7, "C4": 0.15, "UPROT": 0.1, "WBC": 6.1, "LYMPH": 1.0, "PLAT": 175.0, "HGB": 117.0},
    ("S03", 0): {"DSDNA": 50.0, "C3": 1.1, "C4": 0.3, "UPROT": 0.1, "WBC": 2.5, "LYMPH": 0.7, "PLAT": 90.0, "HGB": 95.0},
}
#: code -> (ANRLO, ANRHI); None is a blank cell (the contract allows blank limits).
LAB_RANGES = {
    "DSDNA": (None, 30.0), "C3": (0.9, 1.8), "C4": (0.1, 0.4), "UPROT": (None, 0.15),
    "WBC": (4.0, 10.0), "LYMPH": (1.0, 3.3), "PLAT": (125.0, 350.0), "HGB": (115.0, 150.0),
}

#: BILAG-2004 grades that are not E, per visit.
BILAG = {
    ("S01", 0): {"MUCO": "B", "MUSK": "B", "RENAL": "B"},
    ("S01", 2): {"MUCO": "C", "MUSK": "D", "RENAL": "C"},
    ("S02", 0): {"MUCO": "C", "MUSK": "B"},
    ("S02", 2): {"MUCO": "C", "MUSK": "B"},
    ("S03", 0): {"MUSK": "B", "HAEM": "C"},
}
PGA = {("S01", 0): 2.0, ("S01", 2): 1.0, ("S02", 0): 1.5, ("S02", 2): 1.5, ("S03", 0): 2.0}
PRED = {("S01", 0): 20.0, ("S01", 2): 15.0, ("S02", 0): 10.0, ("S02", 2): 10.0, ("S03", 0): 30.0}
MANIF = {
    ("S01", 0): {"RASH", "ARTHRIT", "NEPHRIT"},
    ("S01", 2): {"RASH"},
    ("S02", 0): {"RASH", "ARTHRIT"},
    ("S02", 2): {"RASH", "ARTHRIT"},
    ("S03", 0): {"ARTHRIT", "LEUKOP", "THROMBO"},
}


def _per_visit(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def sle_tables() -> dict[str, pd.DataFrame]:
    """The ten tables of the valid cohort, as the CSV files hold them."""
    adsl = pd.DataFrame(
        {
            "STUDYID": "TEST01",
            "USUBJID": ["S01", "S02", "S03"],
            "SITEID": "01",
            "AGE": [30.0, 45.0, 52.0],
            "SEX": ["F", "F", "M"],
            "TRT01A": ["IL-2", "IL-2", "Placebo"],
            "SAFFL": "Y",
            "ITTFL": "Y",
            "TRTSDT": ["2014-03-01", "2014-03-08", "2014-03-15"],
            "EOSSTT": ["COMPLETED", "COMPLETED", "DISCONTINUED"],
            "DCSREAS": ["", "", "Withdrawal by subject"],
            "WEIGHTBL": [60.0, 55.0, 70.0],
            "HEIGHTBL": [165.0, 160.0, 175.0],
            "DURDIS": [24.0, 60.0, 6.0],
            "PREDBL": [20.0, 10.0, 30.0],
        }
    )
    for i, flag in enumerate(d.CONCOMITANT_DRUGS):
        adsl[flag] = ["Y", "N", "N"] if i == 0 else "N"

    sledai, bilag, pga, lb, cyto, manif, cm = [], [], [], [], [], [], []
    for subj, week in VISITS:
        visit = {"USUBJID": subj, "AVISIT": LABELS[week], "AVISITN": week}
        for x in d.SLEDAI_DESCRIPTORS:
            sledai.append({**visit, "PARAMCD": x.code, "AVAL": int(x.code in ACTIVE[(subj, week)])})
        for code in d.BILAG_DOMAINS:
            bilag.append({**visit, "PARAMCD": code, "AVALC": BILAG[(subj, week)].get(code, "E")})
        pga.append({**visit, "PARAMCD": "PGA", "AVAL": PGA[(subj, week)]})
        for m in d.LAB_TESTS:
            lo, hi = LAB_RANGES[m.code]
            lb.append({**visit, "PARAMCD": m.code, "PARAM": m.label, "AVAL": LABS[(subj, week)][m.code],
                       "AVALU": m.unit, "ANRLO": lo, "ANRHI": hi})
        for j, m in enumerate(d.CYTO_SUBSETS):
            cyto.append({**visit, "PARAMCD": m.code, "PARAM": m.label, "AVAL": 2.0 + j + week / 2, "AVALU": m.unit})
        for m in d.MANIFESTATIONS:
            manif.append({**visit, "PARAMCD": m.code, "AVAL": int(m.code in MANIF[(subj, week)])})
        cm.append({**visit, "PARAMCD": "PREDDOSE", "AVAL": PRED[(subj, week)]})

    adex = pd.DataFrame(
        {
            "USUBJID": ["S01", "S01", "S01", "S02", "S02", "S03"],
            "EXTRT": ["IL-2", "IL-2", "IL-2", "IL-2", "IL-2", "Placebo"],
            "EXDOSE": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
            "EXDOSU": "MIU",
            "ASTDY": [1, 3, 29, 1, 3, 1],
            "APERIOD": [1, 1, 2, 1, 1, 1],
        }
    )
    adae = pd.DataFrame(
        {
            "USUBJID": ["S01", "S03"],
            "AETERM": ["redness at injection site", "fever"],
            "AEDECOD": ["Injection site reaction", "Pyrexia"],
            "AEBODSYS": ["General disorders and administration site conditions", "General disorders and administration site conditions"],
            "AETOXGR": [1, 2],
            "AESER": ["N", "N"],
            "AEREL": ["RELATED", ""],
            "ASTDY": [2, 5],
            "TRTEMFL": ["Y", "Y"],
        }
    )
    return {
        "adsl": adsl,
        "adsledai": _per_visit(sledai),
        "adbilag": _per_visit(bilag),
        "adpga": _per_visit(pga),
        "adlb": _per_visit(lb),
        "adcyto": _per_visit(cyto),
        "admanif": _per_visit(manif),
        "adcm": _per_visit(cm),
        "adex": adex,
        "adae": adae,
    }


def sle_config() -> dict:
    """The cohort.yml of the valid cohort, as a mapping."""
    return {
        "title": "Test cohort",
        "label": "TEST01 (two arms, three subjects)",
        "contract": "sle",
        "arm_var": "TRT01A",
        "arms": ["IL-2", "Placebo"],
        "reference_arm": "Placebo",
        "populations": {"efficacy": "ITTFL", "safety": "SAFFL"},
        "visits": [{"week": w, "label": lab} for w, lab in LABELS.items()],
        "primary_week": 2,
        "courses": [{"number": 1, "start_day": 1, "end_day": 28}, {"number": 2, "start_day": 29, "end_day": 56}],
        # every chapter, so that every table is read and validated
        "chapters": ["cohort", "sri", "organ", "labs", "immunology", "safety"],
    }


class CohortBuilder:
    """A valid cohort to break: edit ``tables`` / ``config``, then ``write()``.

    ``write`` puts ``cohort.yml`` and one CSV per table into ``folder`` and returns the
    folder. Tables set to ``None`` are not written.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.tables: dict[str, pd.DataFrame | None] = sle_tables()
        self.config: dict = sle_config()

    def set(self, table: str, rows: int | list[int], column: str, value) -> None:
        """Set ``column`` on 1-based file ``rows`` of ``table`` (the column becomes text
        when needed, so that any value can be written)."""
        df = self.tables[table]
        index = [r - 1 for r in ([rows] if isinstance(rows, int) else rows)]
        try:
            df.loc[index, column] = value
        except (TypeError, ValueError):  # e.g. text into a float column
            df[column] = df[column].astype(object)
            df.loc[index, column] = value

    def drop(self, table: str, rows: list[int]) -> None:
        """Remove 1-based file ``rows`` of ``table``."""
        df = self.tables[table]
        self.tables[table] = df.drop(index=[r - 1 for r in rows]).reset_index(drop=True)

    def path(self, table: str) -> str:
        """The file name a problem message names for a table written as CSV."""
        return str(self.folder / f"{table}.csv")

    def write(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "cohort.yml").write_text(yaml.safe_dump(self.config, sort_keys=False), encoding="utf-8")
        for name, df in self.tables.items():
            if df is not None:
                df.to_csv(self.folder / f"{name}.csv", index=False, lineterminator="\n")
        return self.folder


@pytest.fixture
def cohort_builder(tmp_path) -> CohortBuilder:
    """A fresh valid ``sle`` cohort (not yet written) in ``tmp_path / "cohort"``."""
    return CohortBuilder(tmp_path / "cohort")


@pytest.fixture
def cohort_dir(cohort_builder) -> Path:
    """The valid cohort, written."""
    return cohort_builder.write()


def folder_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file in a folder (to show that loading never writes)."""
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).iterdir()) if p.is_file()}


@pytest.fixture
def digest():
    return folder_digest


@pytest.fixture(autouse=True)
def _fresh_memo():
    """Each test starts with an empty in-process cohort memo."""
    data_module.forget_loaded()
    yield
    data_module.forget_loaded()


@pytest.fixture
def write_yaml(tmp_path):
    """Write a mapping (or raw text) as ``<tmp>/<name>/cohort.yml``; return the file."""

    def _write(content, name: str = "cohort") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "cohort.yml"
        text = content if isinstance(content, str) else yaml.safe_dump(copy.deepcopy(content), sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


# ---------------------------------------------------------------------------------------
# built sites, shared by the end-to-end and browser tests

ROOT = Path(__file__).resolve().parents[1]


#: Where the tests keep the build's work (executed notebooks, caches): never the user's
#: own ``_build/.work`` or ``_build/html``, but kept between runs so that a second
#: ``make test`` reuses the executed chapters.
TEST_WORK = ROOT / "_build" / ".test-work"


def build_site(cohort: str, sites: Path) -> Path:
    """Build a cohort's site into ``sites/<cohort>`` (a temporary folder of the session),
    with its work folder under :data:`TEST_WORK`."""
    from helpers.publish import build_book

    report = build_book(cohort, root=ROOT, output=sites / cohort, work_dir=TEST_WORK / cohort,
                        log=lambda line: print(line, flush=True))
    return report.output


@pytest.fixture(scope="session")
def sites(tmp_path_factory) -> Path:
    """The session's folder of built sites."""
    return tmp_path_factory.mktemp("sites")


@pytest.fixture(scope="session")
def default_site(sites: Path) -> Path:
    """The default cohort's site, freshly built (in a temporary folder)."""
    return build_site("nct02084238", sites)


@pytest.fixture(scope="session")
def followup_site(sites: Path) -> Path:
    """The randomized follow-up cohort's site."""
    return build_site("nct02465580", sites)


@pytest.fixture(scope="session")
def pilot_site(sites: Path) -> Path:
    """The CDISC pilot export's site (skipped when its files are not beside the repo)."""
    if not (ROOT.parent / "shared" / "external" / "cdiscpilot01" / "adsl.xpt").is_file():
        pytest.skip("the CDISC pilot XPT files are not at ../shared/external/cdiscpilot01")
    return build_site("cdiscpilot01", sites)
