"""A real export end to end: the CDISC pilot's ADaM files (``../shared/external/
cdiscpilot01``: adsl, adae and the BDS lab table adlbhy, never committed) build the cohort
and safety chapters through a ``cohort.yml`` alone, and the book's counts equal plain
pandas counts on the same files.

Four builds, one per variant, each once for the module:

- ``pilot``: the XPT files as published, read in place (``data_dir``);
- ``quirky``: the same tables as another team's R pipeline might write them, made here
  at run time (no edited copy is committed): CSV with R's ``NA`` for every missing value
  (flags, dates, numbers), three screen failures in ``adsl`` (``TRT01A`` "Screen
  Failure", no population flag), a table no chapter reads (``adxyz``), and a lab table
  whose ``AVISITN`` is a visit number, not the study week; its ``cohort.yml`` is the one
  ``rerunning.md`` writes (``mapping: exclude`` and ``visits``);
- ``json`` and ``parquet``: the quirky folder converted to CDISC Dataset-JSON and to
  Parquet, which must give the same ``results.json``.

Skipped when the pilot files are absent (as in CI).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PILOT = ROOT.parent / "shared" / "external" / "cdiscpilot01"
ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]

pytestmark = pytest.mark.skipif(not (PILOT / "adsl.xpt").is_file(),
                                reason="the CDISC pilot XPT files are not at ../shared/external/cdiscpilot01")

#: The cohort.yml of rerunning.md's worked example (the files read where they are).
PILOT_YML = """\
title: "CDISC pilot study: cohort, safety and laboratory tests"
label: "CDISC pilot 01"
disease: Alzheimer's disease
drug: xanomeline
route: transdermal patch
simulated: false
data_dir: {data_dir}
contract: adam
arm_var: TRT01A
arms: ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
reference_arm: Placebo
populations:
  efficacy: ITTFL
  safety: SAFFL
chapters: [cohort, safety, labs]
parameters:
  safety:
    grade_var: AESEV
    min_term_pct: 5
    planned_doses_per_course: null
  labs:
    population: safety
    range_low: A1LO
    range_high: A1HI
"""

#: What the quirky export needs besides: its screen failures and its visit numbers.
QUIRKY_MAPPING = """\
mapping:
  missing_values: ["", "NA", "."]
  exclude:
    - {column: TRT01A, values: ["Screen Failure"], reason: "screen failure (never randomized)"}
  visits:
    from: AVISIT
    weeks: {Baseline: 0, "Week 2": 2, "Week 4": 4, "Week 6": 6, "Week 8": 8, "Week 12": 12, "Week 16": 16,
            "Week 20": 20, "Week 24": 24}
"""

SCREEN_FAILURES = 3
#: The site of each build, by the name of its output folder (pilot0, quirky-out0, ...).
SITES: dict[str, Path] = {}


# ---------------------------------------------------------------------------------------
# the exports


def read_xpt(name: str) -> pd.DataFrame:
    return pd.read_sas(PILOT / f"{name}.xpt", format="xport", encoding="latin-1")


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """SAS dates (days from 1960-01-01) of the ``*DT`` columns as timestamps."""
    out = frame.copy()
    for c in out.columns:
        if c.endswith("DT") and pd.api.types.is_numeric_dtype(out[c]):
            out[c] = pd.to_datetime(out[c], unit="D", origin="1960-01-01")
    return out


def quirky_tables() -> dict[str, pd.DataFrame]:
    """The pilot's tables with the quirks of another pipeline (dates as timestamps)."""
    sl = _with_dates(read_xpt("adsl"))
    sf = sl.head(SCREEN_FAILURES).copy()
    sf["USUBJID"] = [f"01-SF-{i}" for i in range(1, SCREEN_FAILURES + 1)]
    sf["SUBJID"] = [f"SF{i}" for i in range(1, SCREEN_FAILURES + 1)]
    for c in ("ARM", "TRT01P", "TRT01A"):
        sf[c] = "Screen Failure"
    for c in ("SAFFL", "ITTFL", "EFFFL", "COMP8FL", "COMP16FL", "COMP24FL", "TRTSDT", "TRTEDT", "TRT01PN",
              "TRT01AN", "TRTDURD", "AVGDD", "CUMDOSE"):
        sf[c] = np.nan if c not in ("TRTSDT", "TRTEDT") else pd.NaT
    lb = _with_dates(read_xpt("adlbhy"))
    visits = {"Baseline": 1, "Week 2": 2, "Week 4": 3, "Week 6": 4, "Week 8": 5, "Week 12": 6, "Week 16": 7,
              "Week 20": 8, "Week 24": 9}
    lb["AVISITN"] = lb["AVISIT"].map(visits).astype("float64")  # a visit number, not the week
    extra = pd.DataFrame({"USUBJID": sl["USUBJID"], "PARAMCD": "X", "AVAL": 1.0})
    return {"adsl": pd.concat([sl, sf], ignore_index=True), "adae": _with_dates(read_xpt("adae")),
            "adlbhy": lb, "adxyz": extra}


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """As R's ``write.csv(na = "NA")`` writes them: every missing value, text, number or
    date, as ``NA``; dates as YYYY-MM-DD."""
    for name, frame in tables.items():
        out = frame.copy()
        for c in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[c]):
                out[c] = out[c].dt.strftime("%Y-%m-%d")
        out.replace("", np.nan).to_csv(folder / f"{name}.csv", index=False, na_rep="NA")


def write_dataset_json(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """CDISC Dataset-JSON v1.1 (dates as ISO text with ``dataType: date``), written with
    the writer of ``tests/test_formats.py``."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_formats import dataset_json, write_json

    for name, frame in tables.items():
        out = frame.copy()
        dates = [c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c])]
        for c in dates:
            out[c] = out[c].dt.strftime("%Y-%m-%d").astype("object").where(out[c].notna(), None)
        for c in out.columns:
            if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
                out[c] = out[c].astype("object").where(out[c].notna() & (out[c].astype("str") != ""), None)
        write_json(folder / f"{name}.json", dataset_json(out, name, {c: {"dataType": "date"} for c in dates}))


def write_parquet(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Parquet, dates as date32, text as the export has it (blank text as null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, frame in tables.items():
        out = frame.copy()
        for c in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[c]):
                out[c] = out[c].dt.date
            elif out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
                out[c] = out[c].astype("object").where(out[c].notna() & (out[c].astype("str") != ""), None)
        pq.write_table(pa.Table.from_pandas(out, preserve_index=False), folder / f"{name}.parquet")


# ---------------------------------------------------------------------------------------
# the builds (one per variant)


def build(folder: Path, config: str, out: Path) -> dict:
    from helpers.publish import build_book

    (folder / "cohort.yml").write_text(config, encoding="utf-8")
    build_book(folder, root=ROOT, output=out / "site", work_dir=out / "work", workers=2, log=lambda *_: None)
    SITES[out.name] = out / "site"
    return json.loads((out / "site" / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pilot(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("pilot")
    folder = base / "cdiscpilot"
    folder.mkdir()
    return build(folder, PILOT_YML.format(data_dir=json.dumps(str(PILOT))), base)


@pytest.fixture(scope="module")
def quirky_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("quirky") / "quirky"
    folder.mkdir()
    write_csv(quirky_tables(), folder)
    return folder


@pytest.fixture(scope="module")
def quirky(quirky_folder, tmp_path_factory) -> dict:
    return build(quirky_folder, PILOT_YML.format(data_dir=".") + QUIRKY_MAPPING, tmp_path_factory.mktemp("quirky-out"))


def _converted(kind: str, tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp(kind)
    folder = base / "quirky"  # the same cohort name, so that results.json can be the same
    folder.mkdir()
    tables = quirky_tables()
    (write_dataset_json if kind == "json" else write_parquet)(tables, folder)
    return build(folder, PILOT_YML.format(data_dir=".") + QUIRKY_MAPPING, base)


@pytest.fixture(scope="module")
def as_json(tmp_path_factory) -> dict:
    return _converted("json", tmp_path_factory)


@pytest.fixture(scope="module")
def as_parquet(tmp_path_factory) -> dict:
    return _converted("parquet", tmp_path_factory)


# ---------------------------------------------------------------------------------------
# plain pandas on the same files


def expected_counts() -> dict[str, object]:
    """The counts the book must give, computed with pandas alone from the XPT files."""
    sl, ae = read_xpt("adsl"), read_xpt("adae")
    safety = sl[sl["SAFFL"] == "Y"][["USUBJID", "TRT01A"]]
    te = ae[ae["TRTEMFL"] == "Y"].drop(columns=["TRTA"], errors="ignore").merge(safety, on="USUBJID")
    out: dict[str, object] = {}
    for arm in ARMS:
        mine = te[te["TRT01A"] == arm]
        out[f"safety_n@{arm}"] = int((safety["TRT01A"] == arm).sum())
        out[f"teae_subjects@{arm}"] = int(mine["USUBJID"].nunique())
        out[f"sae_subjects@{arm}"] = int(mine.loc[mine["AESER"] == "Y", "USUBJID"].nunique())
        by_term = mine.groupby("AEDECOD")["USUBJID"].nunique().reset_index()
        top = by_term.sort_values(["USUBJID", "AEDECOD"], ascending=[False, True]).iloc[0]
        out[f"arm_top_term@{arm}"] = top["AEDECOD"]
        out[f"arm_top_term_subjects@{arm}"] = int(top["USUBJID"])
        inf = mine[mine["AEBODSYS"].str.upper() == "INFECTIONS AND INFESTATIONS"]
        out[f"infection_any_n@{arm}"] = int(inf["USUBJID"].nunique())
    out["n_treated"] = int(len(safety))
    return out


QUIRKY_VISITS = ("Baseline", "Week 2", "Week 4", "Week 6", "Week 8", "Week 12", "Week 16", "Week 20", "Week 24")


def expected_lab_counts(visits: tuple[str, ...] | None = None) -> dict[str, int]:
    """Subjects of the safety population with a value of each test, per arm, and the
    number of derived criteria, from adlbhy.xpt with pandas alone (``visits``: only the
    visits a mapping keeps)."""
    sl, lb = read_xpt("adsl"), read_xpt("adlbhy")
    safety = sl[sl["SAFFL"] == "Y"][["USUBJID", "TRT01A"]]
    lb = lb.drop(columns=["TRT01A", "TRTA"], errors="ignore").merge(safety, on="USUBJID")
    if visits is not None:
        lb = lb[lb["AVISIT"].isin(visits)]
    lb = lb[lb["AVAL"].notna()]
    out = {f"labs_subjects_{code.lower()}@{arm}": int(g[g["TRT01A"] == arm]["USUBJID"].nunique())
           for code, g in lb.groupby("PARAMCD") for arm in ARMS}
    out["labs_n_criteria"] = int(lb.loc[lb["PARAMTYP"] == "DERIVED", "PARAMCD"].nunique())
    return out


def test_pilot_counts_equal_plain_pandas(pilot):
    expected = expected_counts()
    assert {k: pilot.get(k) for k in expected} == expected


def test_pilot_safety_wording_is_the_patch_not_an_injection(pilot):
    assert pilot["site_reaction_label"] == "application-site reaction"
    assert "transdermal patch" in pilot["site_reaction_route_text"]
    assert "lupus" not in pilot["baseline_counts_text"] if "baseline_counts_text" in pilot else True


def test_quirky_export_gives_the_same_counts(quirky):
    expected = expected_counts()
    assert {k: quirky.get(k) for k in expected} == expected


def test_pilot_and_quirky_lab_counts_equal_plain_pandas(pilot, quirky):
    for results, visits in ((pilot, None), (quirky, QUIRKY_VISITS)):
        expected = expected_lab_counts(visits)
        assert len(expected) > 10
        assert {k: results.get(k) for k in expected} == expected


def test_quirky_screen_failures_are_never_an_arm(quirky):
    assert not [k for k in quirky if "Screen Failure" in k]
    assert not [k for k, v in quirky.items() if isinstance(v, str) and "Screen Failure:" in v]
    assert quirky["n_enrolled"] == len(read_xpt("adsl"))  # the screen failures are not enrolled


def test_quirky_screen_failures_shown_as_not_randomized(quirky):
    site = next(p for name, p in SITES.items() if name.startswith("quirky-out"))
    page = (site / "chapters" / "cohort.html").read_text(encoding="utf-8")
    assert f"screen failure (never randomized; n = {SCREEN_FAILURES})" in page
    assert "Screen Failure (N =" not in page  # never a column of an arm


def test_dataset_json_gives_the_same_results(quirky, as_json):
    assert as_json == quirky


def test_parquet_gives_the_same_results(quirky, as_parquet):
    assert as_parquet == quirky
