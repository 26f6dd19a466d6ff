"""An export as it comes, mapped to the data contract by ``cohort.yml``: never by hand.

A real ADaM export differs from the contract in small ways: R writes ``NA`` for a
missing value, columns and parameter codes have other names, units other spellings,
visits are numbered rather than given as study weeks, screen failures sit in ``adsl``.
The ``mapping:`` block of ``cohort.yml`` says what differs; this module applies it to
each table as read, before validation, and never writes a file. The provenance page
shows the mapping, so a reader sees every change between the export and the analysis.

Units. Spellings of the same unit are unified as a table is read
(:data:`UNIT_SYNONYMS`: ``GI/L``, ``10E9/L`` and ``x10^9/L`` are ``10^9/L``). A lab test
recorded in another unit is converted only when ``cohort.yml`` says so (``mapping:
units: {mg/dL: umol/L}``), test by test (:func:`convert_units`): dimensional factors
computed by pint (``mg/dL`` to ``g/L``, ``g/dL`` to ``g/L``, ``mg/24h`` to ``g/24h``),
and the analyte-specific factors of :data:`CONVERSIONS`, which need a molar mass
(creatinine ``mg/dL`` to ``umol/L``), each with its source. ``AVAL`` and every limit and
baseline column (``ANRLO``, ``ANRHI``, ``A1LO``, ``A1HI``, ``BASE``, ``CHG``) are
converted alike. A unit left unconverted is reported by validation with the
``cohort.yml`` key that would fix it.

Keys of ``mapping:`` (all optional):

- ``missing_values``: spellings of a missing value in text (default ``["", "NA", "."]``);
- ``rename``: ``{table: {EXPORT_COLUMN: CONTRACT_COLUMN}}``;
- ``paramcd``: ``{table: {EXPORT_CODE: CONTRACT_CODE}}``;
- ``units``: ``{EXPORT_UNIT: CONTRACT_UNIT}`` synonyms of the same unit, beyond those
  of :data:`UNIT_SYNONYMS` (``GI/L`` is ``10^9/L`` without any key);
- ``visits``: how a visit becomes a study week: ``{from: AVISITN | AVISIT, weeks:
  {visit: week}}``; visits not listed are left out of the analysis (unscheduled ones);
  or from the study day, ``{from: ADY, windows: [{week, low, high, label}]}``: a record whose
  day lies in a window (inclusive) belongs to that week, the one nearest the week's
  target day (``7 * week + 1``) when a subject has several (:func:`assign_windows`);
- ``exclude``: subjects left out of every analysis, each ``{column, values, reason}`` on
  ``adsl`` (screen failures: shown in the participant flow as not randomized).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from helpers.data.contract import TABLES

#: Spellings of one unit, as exports write them, and the contract's spelling (matched
#: exactly; a cohort adds its own under ``mapping: units``). ``GI/L`` is giga per litre,
#: SI's 10^9/L (never read ``G/L``, which could be grams).
UNIT_SYNONYMS: dict[str, str] = {
    "GI/L": "10^9/L", "Gi/L": "10^9/L", "10E9/L": "10^9/L", "10e9/L": "10^9/L", "x10^9/L": "10^9/L",
    "X10^9/L": "10^9/L", "x10E9/L": "10^9/L", "10*9/L": "10^9/L", "10**9/L": "10^9/L", "10^9 /L": "10^9/L",
    "×10⁹/L": "10^9/L", "10⁹/L": "10^9/L",
    "µmol/L": "umol/L", "μmol/L": "umol/L", "UMOL/L": "umol/L", "umol/l": "umol/L",
    "G/L": None,  # ambiguous (grams or giga): never mapped, see the note above
    "g/l": "g/L", "IU/ml": "IU/mL", "iu/mL": "IU/mL", "g/24 h": "g/24h", "g/day": "g/24h", "g/d": "g/24h",
    "mL/min/1.73 m2": "mL/min/1.73m2", "mL/min/1.73m^2": "mL/min/1.73m2", "mL/min/1.73m²": "mL/min/1.73m2",
}
UNIT_SYNONYMS = {k: v for k, v in UNIT_SYNONYMS.items() if v is not None}

#: Analyte-specific conversions (they need the analyte's molar mass), by ``(PARAMCD,
#: from, to)``: ``(factor, source)``; the value in ``to`` is the value in ``from`` times
#: the factor. Sources: the SI conversion factors of Young DS, Implementation of SI units
#: for clinical laboratory data, Ann Intern Med 1987;106:114-29 (creatinine 113.12 g/mol:
#: 1 mg/dL = 88.4 umol/L; bilirubin 584.66 g/mol: 1 mg/dL = 17.1 umol/L), and for the
#: urine protein-to-creatinine ratio the KDIGO 2024 CKD guideline (Kidney Int
#: 2024;105(4S):S117-S314, table 5: 1 mg/mmol = 8.84 mg/g).
CONVERSIONS: dict[tuple[str | None, str, str], tuple[float, str]] = {
    ("CREAT", "mg/dL", "umol/L"): (88.42, "Young 1987 (creatinine, 113.12 g/mol)"),
    ("BILI", "mg/dL", "umol/L"): (17.104, "Young 1987 (bilirubin, 584.66 g/mol)"),
    ("UPCR", "mg/mmol", "mg/g"): (8.84, "KDIGO 2024, table 5 (creatinine, 113.12 g/mol)"),
    ("UPCR", "g/g", "mg/g"): (1000.0, "dimensional"),
}

#: Contract spellings pint cannot parse, and pint's (``24h`` reads as a scaling factor).
_PINT_SPELLING: dict[str, str] = {"g/24h": "g/day", "mg/24h": "mg/day", "mL/min/1.73m2": "mL/min"}

#: Columns converted with ``AVAL`` when a unit changes.
VALUE_COLUMNS: tuple[str, ...] = ("AVAL", "BASE", "CHG", "ANRLO", "ANRHI", "A1LO", "A1HI")


def compute_unit_factor(code: str, source: str, target: str) -> float | None:
    """The factor that turns a value of lab test ``code`` in unit ``source`` into unit
    ``target``: 1 for the same unit or a synonym, an analyte-specific factor of
    :data:`CONVERSIONS`, a dimensional factor from pint (mass per volume, per day), or
    None when there is none.

    Notes
    -----
    Dimensional factors are pint's (``pint.UnitRegistry().Quantity(1, source).to(target)``);
    molar ones need a molar mass and come from the cited table, never from pint. Counts
    (``10^9/L``), titres and enzyme units (``U/L``, which pint would read as atomic mass
    units) are never converted dimensionally.

    Examples
    --------
    >>> compute_unit_factor("CREAT", "mg/dL", "umol/L")
    88.42
    >>> round(compute_unit_factor("C3", "mg/dL", "g/L"), 6)
    0.01
    >>> compute_unit_factor("WBC", "GI/L", "10^9/L")
    1.0
    >>> compute_unit_factor("ALT", "U/L", "ukat/L") is None
    True
    """
    source = UNIT_SYNONYMS.get(source, source)
    if source == target:
        return 1.0
    for key in ((code, source, target), (None, source, target)):
        if key in CONVERSIONS:
            return CONVERSIONS[key][0]
    if any(u in (source + target) for u in ("10^9", "U/", "IU", "titre", "kat", "1.73")):
        return None
    return _pint_factor(_PINT_SPELLING.get(source, source), _PINT_SPELLING.get(target, target))


def _pint_factor(source: str, target: str) -> float | None:
    import pint  # only a conversion needs it (its registry takes a moment to build)

    global _UREG
    if _UREG is None:
        _UREG = pint.UnitRegistry()
    try:
        return float(_UREG.Quantity(1.0, source).to(target).magnitude)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError):
        return None


_UREG = None


def convert_units(df: pd.DataFrame, declared: Mapping[str, str], units: Mapping[str, str] | None = None
                  ) -> pd.DataFrame:
    """A BDS table with the units ``cohort.yml`` declares (``mapping: units``, export
    unit to the unit wanted) applied test by test: a synonym is renamed; a unit pint
    or :data:`CONVERSIONS` converts has ``AVAL`` and the columns of
    :data:`VALUE_COLUMNS` multiplied by :func:`compute_unit_factor`. A test whose
    contract unit (``units``, ``PARAMCD`` to unit) is not the declared target, and a
    pair of units pint knows to measure different things with no factor for the test
    (``mg/dL`` to ``umol/L`` without a molar mass), are left as they are: validation
    reports them. The input is not modified.

    Examples
    --------
    >>> lb = pd.DataFrame({"PARAMCD": ["CREAT", "CREAT", "ANUA"], "AVALU": ["mg/dL", "umol/L", "mg/dL"],
    ...                    "AVAL": [1.0, 80.0, 30.0]})
    >>> convert_units(lb, {"mg/dL": "umol/L"}, {"CREAT": "umol/L", "ANUA": "IU/mL"})[["AVALU", "AVAL"]]
        AVALU   AVAL
    0  umol/L  88.42
    1  umol/L  80.00
    2   mg/dL  30.00
    """
    if not {"PARAMCD", "AVALU"} <= set(df.columns) or not declared:
        return df
    units = units or {}
    pairs = df[["PARAMCD", "AVALU"]].astype("str").drop_duplicates()
    out = df
    for code, unit in pairs.itertuples(index=False):
        target = declared.get(unit)
        if target is None or unit == target or (code in units and units[code] != target):
            continue
        factor = compute_unit_factor(code, unit, target)
        if factor is None and _incompatible(unit, target):
            continue
        if out is df:
            out = df.copy()
            out["AVALU"] = out["AVALU"].astype("object")
        hit = (out["PARAMCD"].astype("str") == code) & (out["AVALU"].astype("str") == unit)
        if factor not in (None, 1.0):
            for col in VALUE_COLUMNS:
                if col in out:
                    out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
                    out.loc[hit, col] = out.loc[hit, col] * factor
        out.loc[hit, "AVALU"] = target
    return out


def _incompatible(source: str, target: str) -> bool:
    """Whether pint reads both units and finds them of different dimensions."""
    import pint

    global _UREG
    if _UREG is None:
        _UREG = pint.UnitRegistry()
    try:
        a = _UREG.parse_units(_PINT_SPELLING.get(source, source))
        b = _UREG.parse_units(_PINT_SPELLING.get(target, target))
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, AssertionError):
        return False
    return a.dimensionality != b.dimensionality


#: Spellings of a missing value in an export's text, unless the config says otherwise:
#: blank, R's ``NA`` and SAS's ``.``.
DEFAULT_MISSING: tuple[str, ...] = ("", "NA", ".")


@dataclass(frozen=True)
class ExportMapping:
    """The ``mapping:`` block of ``cohort.yml``, read (see the module docstring)."""

    missing_values: tuple[str, ...] = DEFAULT_MISSING
    rename: dict[str, dict[str, str]] = field(default_factory=dict)
    paramcd: dict[str, dict[str, str]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    visits: dict = field(default_factory=dict)
    exclude: tuple[dict, ...] = ()

    @classmethod
    def from_config(cls, raw: Mapping | None) -> ExportMapping:
        raw = dict(raw or {})
        return cls(
            missing_values=tuple(str(v) for v in raw.get("missing_values", DEFAULT_MISSING)),
            rename={t: dict(m) for t, m in (raw.get("rename") or {}).items()},
            paramcd={t: dict(m) for t, m in (raw.get("paramcd") or {}).items()},
            units=dict(raw.get("units") or {}),
            visits=dict(raw.get("visits") or {}),
            exclude=tuple(dict(e) for e in raw.get("exclude") or ()),
        )

    @property
    def empty(self) -> bool:
        return self == ExportMapping()


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype) or df[c].dtype == object
            or pd.api.types.is_string_dtype(df[c].dtype)]


def blank_missing(df: pd.DataFrame, spellings: tuple[str, ...]) -> pd.DataFrame:
    """Text cells holding a missing-value spelling (``NA``, ``.``) as blank, the
    contract's missing value; the input is not modified.

    Examples
    --------
    >>> blank_missing(pd.DataFrame({"SAFFL": ["Y", "NA", "."], "AGE": [1.0, 2.0, 3.0]}), ("", "NA", "."))["SAFFL"].tolist()
    ['Y', '', '']
    """
    others = [s for s in spellings if s != ""]
    if not others:
        return df
    out = df.copy(deep=False)
    for col in _text_columns(out):
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            hit = [c for c in s.cat.categories if str(c).strip() in others]
            if hit:
                out[col] = s.astype("object").where(~s.isin(hit), "").astype("category")
        else:
            stripped = s.astype("str").str.strip()
            out[col] = s.where(~stripped.isin(others) | s.isna(), "")
    return out


def map_values(s: pd.Series, mapping: Mapping[str, str]) -> pd.Series:
    """Values renamed by ``mapping`` (others kept), categoricals kept categorical."""
    if not mapping:
        return s
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype("object").map(lambda v: mapping.get(v, v)).astype("category")
    return s.map(lambda v: mapping.get(v, v))


def apply_mapping(df: pd.DataFrame, table: str, mapping: ExportMapping) -> pd.DataFrame:
    """One table of an export, mapped to the contract: missing values blanked, columns
    and parameter codes renamed, unit synonyms unified, visits turned into study weeks
    (rows of visits the mapping does not list are dropped). Row labels are kept, so a
    problem found later still names the row of the file.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1", "1"], "AVISITN": [1.0, 99.0], "PARAMCD": ["ALT", "ALT"],
    ...                    "AVALU": ["U/L", "U/L"], "A1LO": [7.0, 7.0]})
    >>> m = ExportMapping(rename={"adlb": {"A1LO": "ANRLO"}}, visits={"from": "AVISITN", "weeks": {1: 0}})
    >>> apply_mapping(lb, "adlb", m)[["AVISITN", "ANRLO"]]
       AVISITN  ANRLO
    0        0    7.0
    """
    out = blank_missing(df, mapping.missing_values)
    renames = mapping.rename.get(table, {})
    if renames:
        out = out.drop(columns=[new for old, new in renames.items() if new in out.columns and old in out.columns])
        out = out.rename(columns=renames)
    if "PARAMCD" in out and mapping.paramcd.get(table):
        out["PARAMCD"] = map_values(out["PARAMCD"], mapping.paramcd[table])
    if "AVALU" in out:
        out["AVALU"] = map_values(out["AVALU"], UNIT_SYNONYMS)
        if mapping.units:
            out = convert_units(out, mapping.units, TABLES[table].units if table in TABLES else {})
    if "EXDOSU" in out and mapping.units:
        out["EXDOSU"] = map_values(out["EXDOSU"], mapping.units)
    if mapping.visits.get("from") == "ADY" and "ADY" in out and table != "adsl":
        out = assign_windows(out, mapping.visits.get("windows") or [])
    elif mapping.visits and "AVISITN" in out and table != "adsl":
        source = mapping.visits.get("from", "AVISITN")
        weeks = {_key(k): int(v) for k, v in (mapping.visits.get("weeks") or {}).items()}
        if source in out:
            week = out[source].map(lambda v: weeks.get(_key(v)))
            out = out[week.notna()].copy()
            out["AVISITN"] = week[week.notna()].astype("int64")
    return out


def assign_windows(df: pd.DataFrame, windows: list[Mapping], day: str = "ADY") -> pd.DataFrame:
    """Analysis visits from the study day: each record whose ``day`` lies in a window
    ``{week, low, high}`` (days, inclusive) gets that week as ``AVISITN`` (and the
    window's ``label``, when it has one, as ``AVISIT``); where a
    subject (and parameter) has several records in a window, the one nearest the week's
    target day ``7 * week + 1`` is kept (the earlier one on a tie), as ADaM's analysis
    windows do. Records in no window (unscheduled) are left out; row labels are kept.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["1"] * 4, "PARAMCD": "ALT", "ADY": [-3.0, 1.0, 13.0, 18.0],
    ...                    "AVAL": [10.0, 11.0, 12.0, 13.0]})
    >>> assign_windows(lb, [{"week": 0, "low": -14, "high": 1}, {"week": 2, "low": 8, "high": 21}])[["ADY", "AVISITN"]]
        ADY  AVISITN
    1   1.0        0
    2  13.0        2
    """
    if day not in df:
        return df
    days = pd.to_numeric(df[day], errors="coerce")
    week = pd.Series(pd.NA, index=df.index, dtype="Int64")
    for w in sorted(windows, key=lambda x: int(x["week"])):
        inside = days.between(float(w["low"]), float(w["high"])) & week.isna()
        week[inside] = int(w["week"])
    out = df[week.notna()].copy()
    out["AVISITN"] = week[week.notna()].astype("int64")
    labels = {int(w["week"]): str(w["label"]) for w in windows if w.get("label")}
    if labels:  # the visit is derived anew, so is its label
        out["AVISIT"] = out["AVISITN"].map(labels).fillna(out.get("AVISIT", "")).astype("object")
    distance = (days[out.index] - (7 * out["AVISITN"] + 1)).abs()
    keys = ["USUBJID"] + (["PARAMCD"] if "PARAMCD" in out else []) + ["AVISITN"]
    order = out.assign(_distance=distance.to_numpy(), _day=days[out.index].to_numpy()).sort_values(
        keys + ["_distance", "_day"], kind="mergesort")
    kept = order.drop_duplicates(keys, keep="first").index
    return out.loc[out.index.isin(kept)]


def _key(value: object) -> object:
    """A visit as a mapping key: a whole number when it is one (``1.0`` and ``1`` alike),
    else its text."""
    try:
        f = float(value)
        return int(f) if f.is_integer() else f
    except (TypeError, ValueError):
        return str(value).strip()


def excluded_subjects(adsl: pd.DataFrame, mapping: ExportMapping) -> pd.DataFrame:
    """Subjects the mapping leaves out of every analysis, with the reason: ``USUBJID``,
    ``reason`` (one row a subject, the first rule that matches).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "ARM": ["Screen Failure", "Placebo"]})
    >>> excluded_subjects(adsl, ExportMapping(exclude=({"column": "ARM", "values": ["Screen Failure"], "reason": "screen failure"},)))
      USUBJID          reason
    0       1  screen failure
    """
    rows = []
    for rule in mapping.exclude:
        col = rule["column"]
        if col not in adsl:
            continue
        hit = adsl[col].astype("str").str.strip().isin([str(v) for v in rule["values"]])
        rows += [(u, rule["reason"]) for u in adsl.loc[hit, "USUBJID"].astype("str")]
    out = pd.DataFrame(rows, columns=["USUBJID", "reason"])
    return out.drop_duplicates("USUBJID").reset_index(drop=True)
