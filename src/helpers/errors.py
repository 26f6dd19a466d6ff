"""The package's own error types, so callers can tell bad input from a bug."""

from __future__ import annotations

from dataclasses import dataclass


class HelpersError(Exception):
    """Base class for errors this package raises on purpose."""


def one_based_rows(index) -> tuple[int, ...]:
    """Row labels of a frame read from a file (0-based) as the 1-based data row numbers a
    message names (the header not counted)."""
    return tuple(int(i) + 1 for i in index)


def require_columns(frame, columns, where: str, table: str = "the frame") -> None:
    """Raise a ValueError naming the function, the table and the columns ``frame`` lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"USUBJID": []}), ["USUBJID", "AVAL"], "derive_chg", "adlb")
    Traceback (most recent call last):
    ...
    ValueError: derive_chg: adlb lacks columns ['AVAL'] (it has ['USUBJID'])
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: {table} lacks columns {missing} (it has {list(frame.columns)})")


class ConfigError(HelpersError, ValueError):
    """A cohort config (``cohort.yml``) is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Problem:
    """One violation of the data contract.

    Attributes
    ----------
    file : str
        The file the problem is in (or several, joined by ``" / "``, for a cross-table check).
    column : str
        The column concerned, or ``""`` when the problem is about the whole table.
    rows : tuple of int
        1-based data row numbers in the file (the header is not counted); empty when the
        problem is not about particular rows.
    message : str
        What was found and what was expected.
    """

    file: str
    column: str
    rows: tuple[int, ...]
    message: str

    def describe(self, max_rows: int = 10) -> str:
        where = self.file + (f", column {self.column}" if self.column else "")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:max_rows])
            more = f" and {len(self.rows) - max_rows} more" if len(self.rows) > max_rows else ""
            where += f", rows {shown}{more}"
        return f"{where}: {self.message}"


class DataContractError(HelpersError, ValueError):
    """A cohort's tables break the data contract. Lists every problem found.

    Attributes
    ----------
    problems : list of Problem
    """

    def __init__(self, problems: list[Problem], folder: str = ""):
        self.problems = list(problems)
        self.folder = folder
        head = f"{len(self.problems)} problem(s) in the cohort data"
        head += f" at {folder}" if folder else ""
        lines = [head + ":"] + [f"  - {p.describe()}" for p in self.problems]
        super().__init__("\n".join(lines))


class IdentifierError(DataContractError):
    """A table carries a column that could identify a person directly."""
