"""Deterministic CSV files for the simulated cohorts, and their regeneration.

The committed CSVs are a pure function of the code and the seed in ``cohort.yml``:
:func:`render_csv` fixes everything that could make two writes of the same frames
differ (row order, column order, float precision per column and parameter, date
format, line endings, encoding), :func:`write_cohort` writes atomically, and
:func:`regenerate` compares or rewrites a cohort folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.data import contract as ct
from helpers.data.config import read_cohort_config
from helpers.errors import ConfigError
from helpers.simulate.generate import generate_cohort, sort_rows
from helpers.simulate.measures import CYTO_DECIMALS, LAB_WRITE_DECIMALS
from helpers.simulate.spec import get_spec

#: Decimal places of each float column when written: an int, or a dict by PARAMCD.
DECIMALS: dict[tuple[str, str], int | dict[str, int]] = {
    ("adsl", "AGE"): 1,
    ("adsl", "WEIGHTBL"): 1,
    ("adsl", "HEIGHTBL"): 1,
    ("adsl", "BSABL"): 2,
    ("adsl", "DURDIS"): 1,
    ("adsl", "PREDBL"): 2,
    ("adpga", "AVAL"): 1,
    ("adlb", "AVAL"): LAB_WRITE_DECIMALS,
    ("adlb", "ANRLO"): 2,
    ("adlb", "ANRHI"): 2,
    ("adcyto", "AVAL"): CYTO_DECIMALS,
    ("adcm", "AVAL"): 2,
    ("adex", "EXDOSE"): 2,
}


def _round(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Float columns rounded to their recorded precision (other columns shared, not copied)."""
    out = df.copy(deep=False)
    for col in df.columns:
        if df[col].dtype.kind != "f":
            continue
        dec = DECIMALS.get((name, col), 6)
        vals = df[col].to_numpy(dtype=float)
        if isinstance(dec, dict):
            places = df["PARAMCD"].map(dec).fillna(6).to_numpy(dtype=int)
            rounded = vals.copy()
            for p in np.unique(places):
                sel = places == p
                rounded[sel] = np.round(vals[sel], p)
        else:
            rounded = np.round(vals, dec)
        out[col] = rounded
    return out


_LS = pa.large_string()
_NEEDS_QUOTES = '[,"\r\n]'


def _quote_text(text: pa.Array) -> pa.Array:
    """Quote the fields that hold a comma, a quote or a line break (RFC 4180)."""
    need = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(need).as_py():
        return text
    quote = pa.scalar('"', _LS)
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(text, '"', '""'), quote, pa.scalar("", _LS))
    return pc.if_else(need, quoted, text)


def _as_text(s: pd.Series) -> pa.Array:
    """One column as CSV field text (Arrow, no Python object per row)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        # Format the categories once, then index them by the codes.
        cats = _as_text(pd.Series(s.cat.categories))
        codes = s.cat.codes.to_numpy()
        text = cats.take(pa.array(codes, mask=codes < 0))
        return pc.fill_null(text, pa.scalar("", _LS))
    if s.dtype.kind == "M":
        arr = pc.strftime(pa.array(s, from_pandas=True), format="%Y-%m-%d")
    else:
        arr = pa.array(s, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    text = pc.fill_null(pc.cast(arr, _LS), pa.scalar("", _LS))
    if pa.types.is_large_string(arr.type) or pa.types.is_string(arr.type):
        text = _quote_text(text)
    return text


def _quote(name: str) -> str:
    return f'"{name}"' if any(ch in name for ch in ',"\r\n') else name


#: Rows rendered at a time: bounds the memory of a large table's text.
CHUNK_ROWS = 500_000


def iter_csv(name: str, df: pd.DataFrame, chunk_rows: int = CHUNK_ROWS):
    """The bytes of a table's CSV file, in pieces (the header, then blocks of rows).

    See :func:`render_csv` for the format; writing the pieces in order gives its bytes.
    """
    known = [c.name for c in ct.TABLES[name].columns if c.name in df.columns]
    extra = sorted(c for c in df.columns if c not in known)
    df = sort_rows(name, _round(name, df[known + extra]))
    yield (",".join(_quote(str(c)) for c in df.columns) + "\n").encode("utf-8")
    comma, newline, empty = pa.scalar(",", _LS), pa.scalar("\n", _LS), pa.scalar("", _LS)
    last = len(df.columns) - 1
    for start in range(0, len(df), chunk_rows):
        block = df.iloc[start:start + chunk_rows]
        parts: list = []
        for i, col in enumerate(block.columns):
            parts.append(_as_text(block[col]))
            parts.append(comma if i < last else newline)
        lines = pc.binary_join_element_wise(*parts, empty)
        # The data buffer of a fresh string array is the rows back to back.
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
        yield memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]


def render_csv(name: str, df: pd.DataFrame) -> bytes:
    """The exact bytes of a table's CSV file.

    Columns in the contract's order (extra columns after, alphabetically), rows in the
    table's fixed order (:func:`helpers.simulate.generate.sort_rows`), floats rounded to
    their recorded precision and written in their shortest round-trip form (``2.3``,
    ``66`` for 66.0), dates as ``YYYY-MM-DD``, missing values empty, text quoted only
    when it holds a comma, a quote or a line break, ``\n`` line endings, UTF-8, no
    index. Rows are assembled with Arrow compute kernels, a block at a time, so a
    40,000-subject cohort writes in seconds.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": ["B", "A"], "AVISITN": [0, 0], "PARAMCD": "PGA",
    ...                    "AVAL": [2.3000000001, 1.0], "AVISIT": "Baseline"})
    >>> print(render_csv("adpga", df).decode(), end="")
    USUBJID,AVISIT,AVISITN,PARAMCD,AVAL
    A,Baseline,0,PGA,1
    B,Baseline,0,PGA,2.3
    """
    return b"".join(bytes(part) for part in iter_csv(name, df))


def _atomic_write(path: Path, parts) -> None:
    """Write ``parts`` (bytes-like pieces) to ``path`` through a temporary file in the same
    folder and :func:`os.replace`, so readers never see a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for part in parts:
                fh.write(part)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a data file is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_cohort(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write each table to ``<folder>/<table>.csv``, atomically and byte-deterministically.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Tables by contract name.
    folder : Path
        Created if missing.

    Returns
    -------
    list of Path
        The files written, in the order of ``tables``.

    Notes
    -----
    Each file is written to a temporary file in the same folder and moved into place
    with :func:`os.replace`, so a failure never leaves a half-written table behind.
    Writing the same frames twice gives byte-identical files.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        path = folder / f"{name}.csv"
        _atomic_write(path, iter_csv(name, df))
        paths.append(path)
    return paths


def _check_config(config, spec) -> None:
    """The cohort.yml and the generator's spec must describe the same trial."""
    problems = []
    if tuple((v.week, v.label) for v in config.visits) != spec.visits:
        problems.append(f"visits {[(v.week, v.label) for v in config.visits]} differ from the generator's {list(spec.visits)}")
    if config.arms and tuple(config.arms) != tuple(a.name for a in spec.arms):
        problems.append(f"arms {list(config.arms)} differ from the generator's {[a.name for a in spec.arms]}")
    if config.courses and tuple((c.number, c.start_day, c.end_day) for c in config.courses) != spec.courses:
        problems.append("courses differ from the generator's")
    if config.primary_week is not None and config.primary_week != spec.primary_week:
        problems.append(f"primary_week {config.primary_week} differs from the generator's {spec.primary_week}")
    if config.registry and config.registry != spec.studyid:
        problems.append(f"registry {config.registry} differs from the generator's {spec.studyid}")
    if config.arm_var != "TRT01A":
        problems.append(f"arm_var {config.arm_var!r}: the generator writes TRT01A")
    if problems:
        raise ConfigError(f"{config.config_path}: " + "; ".join(problems))


def regenerate(cohort_dir: Path, check: bool = False) -> list[str]:
    """Regenerate a simulated cohort's CSV files from the seed in its ``cohort.yml``.

    Parameters
    ----------
    cohort_dir : Path
        The cohort folder (holding ``cohort.yml``; the tables go to its ``data_dir``).
    check : bool
        Write nothing; only report which files would change.

    Returns
    -------
    list of str
        File names (``"adsl.csv"``, ...) whose bytes differ from what is on disk (or are
        missing). With ``check=False`` these are the files rewritten; files already
        identical are left alone, so their modification times do not change.

    Raises
    ------
    ConfigError
        The config names no generator, or disagrees with the generator's schedule.
    CalibrationError
        The generated cohort misses a published target (nothing is written).
    """
    config = read_cohort_config(cohort_dir)
    sim = config.simulation or {}
    if "generator" not in sim:
        raise ConfigError(f"{config.config_path}: simulation.generator is missing")
    spec = get_spec(str(sim["generator"]))
    _check_config(config, spec)
    seed = int(sim.get("seed", spec.seed))
    tables = generate_cohort(spec.name, seed=seed)
    folder = Path(config.data_dir)
    rendered = {f"{name}.csv": render_csv(name, df) for name, df in tables.items()}
    stale = [f for f, data in rendered.items() if not (folder / f).is_file() or (folder / f).read_bytes() != data]
    if not check:
        folder.mkdir(parents=True, exist_ok=True)
        for f in stale:
            _atomic_write(folder / f, [rendered[f]])
    return stale
