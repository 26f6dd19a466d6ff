"""An export as it comes, mapped to the data contract by ``cohort.yml``: never by hand.

A real ADaM export differs from the contract in small ways: R writes ``NA`` for a
missing value, columns and parameter codes have other names, units other spellings,
visits are numbered rather than given as study weeks, screen failures sit in ``adsl``.
The ``mapping:`` block of ``cohort.yml`` says what differs; this module applies it to
each table as read, before validation, and never writes a file. The provenance page
shows the mapping, so a reader sees every change between the export and the analysis.

Keys of ``mapping:`` (all optional):

- ``missing_values``: spellings of a missing value in text (default ``["", "NA", "."]``);
- ``rename``: ``{table: {EXPORT_COLUMN: CONTRACT_COLUMN}}``;
- ``paramcd``: ``{table: {EXPORT_CODE: CONTRACT_CODE}}``;
- ``units``: ``{EXPORT_UNIT: CONTRACT_UNIT}`` synonyms of the same unit (``GI/L`` is
  ``10^9/L``);
- ``visits``: how a visit becomes a study week: ``{from: AVISITN | AVISIT, weeks:
  {visit: week}}``; visits not listed are left out of the analysis (unscheduled ones);
- ``exclude``: subjects left out of every analysis, each ``{column, values, reason}`` on
  ``adsl`` (screen failures: shown in the participant flow as not randomized).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

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
    for unit_col in ("AVALU", "EXDOSU"):
        if unit_col in out and mapping.units:
            out[unit_col] = map_values(out[unit_col], mapping.units)
    if mapping.visits and "AVISITN" in out and table != "adsl":
        source = mapping.visits.get("from", "AVISITN")
        weeks = {_key(k): int(v) for k, v in (mapping.visits.get("weeks") or {}).items()}
        if source in out:
            week = out[source].map(lambda v: weeks.get(_key(v)))
            out = out[week.notna()].copy()
            out["AVISITN"] = week[week.notna()].astype("int64")
    return out


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
