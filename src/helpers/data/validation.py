"""Checking typed tables against the data contract: types, allowed values, ranges,
unique keys, units, complete visits, and the checks across tables.
"""



import numpy as np
import pandas as pd

from helpers import definitions as d
from helpers.data import contract as ct
from helpers.data.config import CohortConfig
from helpers.data.contract import find_table_files  # noqa: F401  (part of this module's API)
from helpers.data.identifiers import mask_value
from helpers.errors import Problem, one_based_rows

SAS_EPOCH = pd.Timestamp("1960-01-01")
#: How far from a whole number a value of an integer column may be and still be read as
#: that number (floating-point noise of a SAS transport file, never a real fraction).
WHOLE_TOLERANCE = 1e-9

def _blank(s: pd.Series) -> pd.Series:
    if s.dtype.kind in "fiu":
        return s.isna()
    if isinstance(s.dtype, pd.CategoricalDtype):
        blank_cats = [c for c in s.cat.categories if str(c).strip() == ""]
        return s.isna() | s.isin(blank_cats)
    return s.isna() | (s.astype("str").str.strip() == "")


def _strip_text(s: pd.Series) -> pd.Series:
    """Text without surrounding blanks, blanks as ""; categoricals stay categoricals
    (only their categories are touched, so this costs nothing per row)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories.astype("str")
        stripped = cats.str.strip()
        if stripped.is_unique and not s.isna().any():
            return s.cat.rename_categories(stripped) if (stripped != cats).any() else s
        return s.astype("str").fillna("").str.strip().astype("category")
    return s.fillna("").astype("str").str.strip()


def coerce_columns(
    df: pd.DataFrame, table: ct.Table, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert each contract column to its type; report values that do not convert.

    Returns a new frame (the input is not changed): text stripped, blanks as ``""`` in
    flags and text, numbers as float64 (int columns as Int64 once whole), dates as
    datetime64 (SAS dates counted from 1960-01-01).
    """
    out = df.copy(deep=False)  # copy-on-write: new columns never touch the caller's frame
    problems: list[Problem] = []
    for col in table.columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind in ("int", "float"):
            if s.dtype.kind in "fiu":
                num = s.astype("float64")
            else:
                num = pd.to_numeric(s.astype("str"), errors="coerce")
            bad = num.isna() & ~_blank(s)
            if bad.any():
                problems.append(Problem(file, col.name, one_based_rows(s.index[bad]), "not a number"))
            if col.kind == "int":
                # Within floating-point noise of a whole number is that number: SAS
                # transport files can store a zero as 5.4e-79 (the CDISC pilot's
                # baseline AVISITN).
                near = num.notna() & (np.abs(num - np.round(num)) <= WHOLE_TOLERANCE)
                num = num.where(~near, np.round(num))
                frac = num.notna() & (num != np.round(num))
                if frac.any():
                    problems.append(
                        Problem(file, col.name, one_based_rows(s.index[frac]), "not a whole number")
                    )
                    num = num.where(~frac)
                num = num.astype("Int64") if num.isna().any() else num.astype("int64")
            out[col.name] = num
        elif col.kind == "date":
            if s.dtype.kind in "fiu":
                dt = SAS_EPOCH + pd.to_timedelta(s, unit="D")
            else:
                text = s.astype("str")
                dt = pd.to_datetime(text.where(~_blank(s)), format="ISO8601", errors="coerce")
            bad = dt.isna() & ~_blank(s)
            if bad.any():
                problems.append(
                    Problem(file, col.name, one_based_rows(s.index[bad]), "not a date (expected YYYY-MM-DD)")
                )
            out[col.name] = dt
        else:
            out[col.name] = _strip_text(s)
    return out, problems


def _schema(table: ct.Table, level: str, present: set[str], required_extra: set[str]):
    import pandera.pandas as pa  # only validation needs pandera; kernels read validated tables

    columns = {}
    for col in table.columns:
        if col.name not in present:
            continue
        checks = []
        if col.allowed is not None:
            allowed = list(col.allowed)
            if (col.nullable or level not in col.required) and col.kind in ("str", "flag"):
                allowed.append("")
            checks.append(pa.Check.isin(allowed, error=f"one of {col.describe_allowed()}"))
        if col.low is not None or col.high is not None:
            lo = -np.inf if col.low is None else col.low
            hi = np.inf if col.high is None else col.high
            checks.append(pa.Check.in_range(lo, hi, error=f"between {col.describe_allowed()}"))
        # A column the contract level does not require may have gaps (a generic export
        # that happens to carry WEIGHTBL need not have it for everyone).
        nullable = col.nullable or level not in col.required
        if col.kind == "str" and not nullable and col.allowed is None:
            checks.append(pa.Check(lambda s: s != "", element_wise=False, error="not blank"))
        columns[col.name] = pa.Column(None, checks=checks, nullable=nullable, required=False)
    for name in required_extra:
        if name in present and name not in columns:
            columns[name] = pa.Column(None, nullable=False, required=False)
    unique = [k for k in table.key if k in present] if table.key else None
    return pa.DataFrameSchema(columns, unique=unique if unique and len(unique) == len(table.key) else None)


def _describe_check(check: str, column: str, table: ct.Table) -> str:
    if check == "multiple_fields_uniqueness" or check == "field_uniqueness":
        return f"duplicate key {'/'.join(table.key)}: one row per {table.structure.split('(')[0].replace('one row per ', '').strip()} expected"
    if check == "not_nullable":
        return "missing value"
    return f"expected {check}" if check else "invalid value"


def validate_table(
    df: pd.DataFrame, table: ct.Table, file: str, level: str, required_extra: set[str] = frozenset()
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table: required columns, types, allowed values, ranges, unique keys.

    Returns the typed frame and the problems found (all of them, not the first). A
    table with no rows is a problem unless the contract says it may be empty
    (``Table.may_be_empty``: a trial may have no adverse events, not no subjects).
    """
    problems: list[Problem] = []
    if len(df) == 0 and not table.may_be_empty:
        may = " and ".join(n for n, t in ct.TABLES.items() if t.may_be_empty)
        problems.append(Problem(file, "", (), f"{table.name} has no rows (only a header); export the table "
                                              f"again with its data (only {may} may be empty)"))
    present = set(df.columns)
    required = {c.name for c in table.columns if level in c.required} | set(required_extra)
    lower = {str(c).upper(): c for c in present}
    for name in sorted(required - present):
        hint = f" (found {lower[name]!r}: names are case-sensitive)" if name in lower else ""
        problems.append(Problem(file, name, (), f"required column is missing{hint}"))
    typed, coerce_problems = coerce_columns(df, table, file)
    problems += coerce_problems
    bad_cols = {p.column for p in coerce_problems}
    schema = _schema(table, level, present - bad_cols, set(required_extra))
    import pandera.errors

    try:
        # inplace: the schema only checks (it coerces nothing), so the copy pandera would
        # otherwise make of a multi-million-row table buys nothing.
        schema.validate(typed, lazy=True, inplace=True)
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["index"].notna()] if "index" in fc else fc
        key_checks = ("multiple_fields_uniqueness", "field_uniqueness")
        dup = fc[fc["check"].isin(key_checks)]
        if len(dup):
            rows = tuple(sorted({int(i) + 1 for i in dup["index"]}))
            problems.append(Problem(file, "/".join(table.key), rows, _describe_check("multiple_fields_uniqueness", "", table)))
            fc = fc[~fc["check"].isin(key_checks)]
        for (column, check), grp in fc.groupby(["column", "check"], sort=False, dropna=False):
            rows = tuple(sorted({int(i) + 1 for i in grp["index"]}))
            shown = ", ".join(sorted({mask_value(v) for v in grp["failure_case"].head(5)}))
            msg = _describe_check(str(check), str(column), table)
            if "uniqueness" not in str(check) and str(check) != "not_nullable":
                msg += f"; found {shown}"
            problems.append(Problem(file, "" if column is None or pd.isna(column) else str(column), rows, msg))
    if table.params and {"PARAMCD", "AVALU"} <= present:
        problems += _check_units(typed, table, file)
    if table.params and not table.complete_visits and "PARAMCD" in present and level in table.column("PARAMCD").required:
        # A generic table (adlb) may miss a code at a visit, but the contract level's
        # codes must be there at all (the lupus analyses read them).
        held = set(typed["PARAMCD"].astype("str").unique())
        absent = [c for c in table.params if c not in held]
        if absent and len(typed):
            problems.append(Problem(file, "PARAMCD", (), f"codes {absent} are missing: the {level} contract needs "
                                                         f"{', '.join(table.params)} (at any visits); map other "
                                                         "names with `mapping: paramcd:` in cohort.yml"))
    return typed, problems


def _check_units(df: pd.DataFrame, table: ct.Table, file: str) -> list[Problem]:
    # The distinct (code, unit) pairs first; rows are looked up only for a wrong pair.
    pairs = df[["PARAMCD", "AVALU"]].drop_duplicates()
    expected = pairs["PARAMCD"].astype("str").map(table.units)
    wrong = pairs[expected.notna() & (pairs["AVALU"].astype("str") != expected)]
    problems = []
    for code in pd.unique(wrong["PARAMCD"].astype("str")):
        units = wrong.loc[wrong["PARAMCD"].astype("str") == code, "AVALU"].astype("str")
        rows = df.index[(df["PARAMCD"] == code) & df["AVALU"].isin(units.tolist())]
        problems.append(
            Problem(
                file,
                "AVALU",
                one_based_rows(rows),
                f"{code} must be recorded in {table.units[code]!r}; found "
                f"[{', '.join(mask_value(u) for u in sorted(units.unique().tolist()))}] {_unit_fix(code, units, table.units[code])}",
            )
        )
    return problems


def _unit_fix(code: str, found: pd.Series, expected: str) -> str:
    """What to do about a unit the contract does not take: the ``cohort.yml`` key that
    converts it (or renames a synonym), when there is one."""
    from helpers.data.mapping import compute_unit_factor

    first = str(sorted(found.astype("str").unique())[0])
    factor = compute_unit_factor(code, first, expected)
    key = f"`mapping: units: {{{first!r}: {expected!r}}}` in cohort.yml"
    if factor is None:
        return (f"(convert before loading); no conversion from {first!r} is known for {code}: if it is another "
                f"spelling of {expected!r}, declare it with {key}")
    return f"(convert before loading); or let {key} convert it (x {factor:g})"


def check_complete_visits(df: pd.DataFrame, table: ct.Table, file: str) -> list[Problem]:
    """Every subject-visit recorded in a per-item table must hold every item.

    A SLEDAI-2K total or an SRI response cannot be computed from a partial visit. A
    table whose visits may be incomplete (``Table.complete_visits`` false: ``adlb``, a
    generic lab table, shows a visit with some tests missing) is not checked.
    """
    if not table.complete_visits:
        return []
    if not table.params or not {"USUBJID", "AVISITN", "PARAMCD"} <= set(df.columns):
        return []
    # Counting rows is enough (duplicate keys and unknown codes are reported by their own
    # checks), leaving out the optional codes (renal measures, serology), which may come
    # at any visit.
    required = ~df["PARAMCD"].isin(list(table.optional_params or {}))
    n_items = required.groupby([df["USUBJID"], df["AVISITN"]], sort=False, observed=True).transform("sum")
    bad = n_items < len(table.params)
    if not bad.any():
        return []
    visits = df.loc[bad, ["USUBJID", "AVISITN"]].drop_duplicates()
    shown = "; ".join(f"{u} week {w}" for u, w in visits.head(5).itertuples(index=False))
    more = f" and {len(visits) - 5} more" if len(visits) > 5 else ""
    return [
        Problem(
            file,
            "PARAMCD",
            one_based_rows(df.index[bad]),
            f"incomplete visits ({shown}{more}): every visit needs all {len(table.params)} "
            f"codes ({', '.join(table.params)})",
        )
    ]


def check_subjects(tables: dict[str, pd.DataFrame], files: dict[str, str]) -> list[Problem]:
    """Every subject of every table is in ``adsl``."""
    if "adsl" not in tables or "USUBJID" not in tables["adsl"]:
        return []
    known = pd.Index(tables["adsl"]["USUBJID"].unique())
    problems = []
    for name, df in tables.items():
        if name == "adsl" or "USUBJID" not in df:
            continue
        bad = ~df["USUBJID"].isin(known)
        if bad.any():
            ids = sorted(df.loc[bad, "USUBJID"].unique().tolist())
            shown = ", ".join(mask_value(i, quote=False) for i in ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            problems.append(
                Problem(files[name], "USUBJID", one_based_rows(df.index[bad]), f"subjects not in adsl: {shown}")
            )
    return problems


def check_visits(tables: dict[str, pd.DataFrame], files: dict[str, str], config: CohortConfig) -> list[Problem]:
    """Visits are in the cohort's schedule, with the schedule's labels."""
    if not config.visits:
        return []
    labels = {v.week: v.label for v in config.visits}
    problems = []
    for name, df in tables.items():
        if "AVISITN" not in df:
            continue
        weeks = df["AVISITN"]
        bad = weeks.notna() & ~weeks.isin(list(labels))
        if bad.any():
            found = sorted(weeks[bad].dropna().unique().tolist())
            problems.append(
                Problem(
                    files[name],
                    "AVISITN",
                    one_based_rows(df.index[bad]),
                    f"weeks {found} are not in the visit schedule {list(labels)} of {config.config_path.name}",
                )
            )
        if "AVISIT" in df:
            # Compare the distinct (week, label) pairs first; rows only when one is wrong.
            pairs = df[["AVISITN", "AVISIT"]].drop_duplicates()
            wrong = pairs["AVISITN"].map(labels).notna() & (pairs["AVISIT"].astype("str") != pairs["AVISITN"].map(labels))
            if wrong.any():
                expected = weeks.map(labels)
                mismatch = expected.notna() & (df["AVISIT"].astype("str") != expected)
                shown_pairs = pairs[wrong].head(3)
                shown = "; ".join(f"week {w} labelled {mask_value(lab)}, expected {labels[w]!r}" for w, lab in shown_pairs.itertuples(index=False))
                problems.append(Problem(files[name], "AVISIT", one_based_rows(df.index[mismatch]), shown))
    return problems


def check_adsl(adsl: pd.DataFrame, file: str, config: CohortConfig) -> list[Problem]:
    """Subject-level consistency: arms from the config; a reason for every discontinuation."""
    problems = []
    arm_vars = dict.fromkeys([config.arm_var, *config.population_arms.values()])
    for arm in arm_vars:
        if not config.arms or arm not in adsl:
            continue
        # A blank arm is a subject without one (randomized but never treated, in TRT01A).
        bad = ~adsl[arm].isin(config.arms) & (adsl[arm].astype("str").str.strip() != "")
        if bad.any():
            found = sorted(adsl.loc[bad, arm].unique().tolist())
            problems.append(
                Problem(file, arm, one_based_rows(adsl.index[bad]), f"arms [{', '.join(mask_value(a) for a in found)}] are not among the config's arms {list(config.arms)}")
            )
    for kind, flag in config.populations.items():
        arm = config.population_arm(kind)
        if flag in adsl and arm in adsl:
            armless = (adsl[flag] == "Y") & (adsl[arm].astype("str").str.strip() == "")
            if armless.any():
                problems.append(Problem(file, arm, one_based_rows(adsl.index[armless]),
                                        f"subjects of the {kind} population ({flag} = Y) without an arm in {arm}, "
                                        f"by which that population is analysed"))
    if {"EOSSTT", "DCSREAS"} <= set(adsl.columns):
        missing = (adsl["EOSSTT"] == "DISCONTINUED") & (adsl["DCSREAS"] == "")
        if missing.any():
            problems.append(Problem(file, "DCSREAS", one_based_rows(adsl.index[missing]), "discontinued without a reason"))
        stray = (adsl["EOSSTT"] != "DISCONTINUED") & (adsl["DCSREAS"] != "")
        if stray.any():
            problems.append(Problem(file, "DCSREAS", one_based_rows(adsl.index[stray]), "a reason is given but EOSSTT is not DISCONTINUED"))
    return problems


def check_baseline_present(tables: dict[str, pd.DataFrame], files: dict[str, str], config: CohortConfig) -> list[Problem]:
    """Every subject in the efficacy population has a baseline SLEDAI-2K, BILAG and PGA."""
    flag = config.populations.get("efficacy", "ITTFL")
    adsl = tables.get("adsl")
    if adsl is None or flag not in adsl or "USUBJID" not in adsl:
        return []
    subjects = adsl.loc[adsl[flag] == "Y", "USUBJID"]
    problems = []
    for name in ("adsledai", "adbilag", "adpga"):
        df = tables.get(name)
        if df is None or not {"USUBJID", "AVISITN"} <= set(df.columns):
            continue
        have = df.loc[df["AVISITN"] == config.baseline_week, "USUBJID"].unique()
        lacking = sorted(set(subjects) - set(have))
        if lacking:
            shown = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
            problems.append(
                Problem(files[name], "AVISITN", (), f"no baseline (week {config.baseline_week}) for subjects in the efficacy population: {shown}")
            )
    return problems


def find_lab_descriptor_queries(adsledai: pd.DataFrame, adlb: pd.DataFrame, instrument: str = "SLEDAI-2K") -> pd.DataFrame:
    """Lab-based SLEDAI descriptors that disagree with ``adlb`` at the same visit.

    The rules are those of SLEDAI-2K (``helpers.definitions.LAB_DESCRIPTOR_RULES``);
    with ``instrument="SELENA-SLEDAI"`` proteinuria follows SELENA-SLEDAI's rule (scored
    only when new, the previous visit at or below 0.5 g/24 h, or up by more than
    0.5 g/24 h; at the first visit, any proteinuria above 0.5 g/24 h). A disagreement is
    a data query: the descriptor may be right (a drug cause was excluded, say), but
    someone has to look. The recorded descriptors are never re-scored.

    Returns
    -------
    DataFrame
        One row per disagreement: ``USUBJID``, ``AVISITN``, ``PARAMCD`` (descriptor),
        ``AVAL`` (recorded), ``expected`` (from the labs), ``rule``, ``row`` (1-based row
        in ``adsledai``).
    """
    lab = adlb.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="AVAL", aggfunc="first", observed=True)
    lo = adlb.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="ANRLO", aggfunc="first", observed=True)
    hi = adlb.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="ANRHI", aggfunc="first", observed=True)

    def col(frame, code):  # aligned on the visits of lab (limits may be blank everywhere)
        return frame[code].reindex(lab.index) if code in frame else pd.Series(np.nan, index=lab.index)

    expected = pd.DataFrame(index=lab.index)
    uprot = col(lab, "UPROT")
    above = uprot > d.PROTEINURIA_THRESHOLD
    if instrument == "SELENA-SLEDAI":
        previous = uprot.groupby(level="USUBJID", observed=True).shift(1)
        new_or_up = previous.isna() | (previous <= d.PROTEINURIA_THRESHOLD) | (uprot - previous > d.PROTEINURIA_THRESHOLD)
        above = above & new_or_up
    expected["PROTEIN"] = np.where(uprot.isna(), np.nan, above)
    c3_low = col(lab, "C3") < col(lo, "C3")
    c4_low = col(lab, "C4") < col(lo, "C4")
    known = col(lab, "C3").notna() | col(lab, "C4").notna()
    expected["LOWCOMP"] = np.where(known, c3_low | c4_low, np.nan)
    expected["DNABIND"] = np.where(col(lab, "DSDNA").isna() | col(hi, "DSDNA").isna(), np.nan, col(lab, "DSDNA") > col(hi, "DSDNA"))
    expected["THROMBO"] = np.where(col(lab, "PLAT").isna(), np.nan, col(lab, "PLAT") < d.THROMBOCYTOPENIA_THRESHOLD)
    expected["LEUKOP"] = np.where(col(lab, "WBC").isna(), np.nan, col(lab, "WBC") < d.LEUKOPENIA_THRESHOLD)
    long = expected.stack(future_stack=True).rename("expected").reset_index().rename(columns={"level_2": "PARAMCD"})
    long = long.dropna(subset=["expected"])
    long["expected"] = long["expected"].astype(int)
    sub = adsledai.loc[adsledai["PARAMCD"].isin(list(d.LAB_DESCRIPTOR_RULES)), ["USUBJID", "AVISITN", "PARAMCD", "AVAL"]]
    sub = sub.assign(row=sub.index + 1)
    merged = sub.merge(long, on=["USUBJID", "AVISITN", "PARAMCD"], how="inner")
    out = merged[merged["AVAL"] != merged["expected"]].copy()
    rules = dict(d.LAB_DESCRIPTOR_RULES)
    if instrument == "SELENA-SLEDAI":
        rules["PROTEIN"] = d.SELENA_PROTEINURIA_RULE
    out["rule"] = out["PARAMCD"].map(rules)
    return out.sort_values(["USUBJID", "AVISITN", "PARAMCD"]).reset_index(drop=True)


