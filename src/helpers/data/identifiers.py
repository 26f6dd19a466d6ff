"""Direct identifiers: column names on HIPAA Safe Harbor's list and e-mail addresses,
telephone numbers or birth dates in free text; values are never shown in messages.
"""


import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.data import contract as ct
from helpers.data.contract import find_table_files  # noqa: F401  (part of this module's API)
from helpers.errors import Problem, one_based_rows

# ---------------------------------------------------------------------------------------
# checks

#: Text columns the identifier scan skips: the trial's own codes for the study, the
#: subject and the site, which look like telephone numbers ("01-701-1015") and which the
#: contract checks otherwise.
_KEY_COLUMNS: tuple[str, ...] = ("STUDYID", "USUBJID", "SUBJID", "SITEID")
_ANY_IDENTIFIER = "|".join(f"(?:{p})" for p in ct.IDENTIFIER_PATTERNS.values())
_IDENTIFIER_RES = {what: re.compile(p, re.IGNORECASE) for what, p in ct.IDENTIFIER_PATTERNS.items()}


def mask_value(value, quote: bool = True) -> str:
    """A value for a message: its repr (or text), unless it looks like a direct identifier,
    which no message shows (a telephone number in a column of allowed values, say)."""
    text = str(value)
    for what, rx in _IDENTIFIER_RES.items():
        if rx.search(text):
            return f"<{what}, not shown>"
    return repr(value) if quote else text


def _reviewed(column: str, table: ct.Table | None, reviewed: Iterable[str]) -> bool:
    """Whether ``reviewed_columns`` names this column ("table.COLUMN" or "COLUMN")."""
    name = table.name.lower() if table is not None else ""
    for entry in reviewed:
        t, _, c = str(entry).rpartition(".")
        if c.upper() == str(column).upper() and (not t or t.lower() == name):
            return True
    return False


def _review_hint(column: str, table: ct.Table | None) -> str:
    entry = f"{table.name}.{column}" if table is not None else str(column)
    return f"if a person has checked this column, list it under reviewed_columns in cohort.yml (as {entry})"


def check_identifier_columns(
    columns: Iterable[str], file: str, table: ct.Table | None = None, reviewed: Iterable[str] = ()
) -> list[Problem]:
    """Columns whose names suggest a direct identifier (:func:`helpers.data.contract.identifier_kind`).

    Parameters
    ----------
    columns : iterable of str
        Column names (a header: the table need not be read).
    file : str
        The file, for the messages.
    table : Table, optional
        The contract table (for ``reviewed_columns`` entries written ``table.COLUMN``).
    reviewed : iterable of str
        ``reviewed_columns`` of ``cohort.yml``: columns a person has checked, exempt.

    Returns
    -------
    list of Problem
        One per refused column, with no rows.

    Examples
    --------
    >>> [p.column for p in check_identifier_columns(["USUBJID", "BRTHDAT", "E_MAIL", "TRTSDT"], "adsl.csv")]
    ['BRTHDAT', 'E_MAIL']
    >>> check_identifier_columns(["BRTHDAT"], "adsl.csv", reviewed=["BRTHDAT"])
    []
    """
    reviewed = tuple(reviewed)
    problems = []
    for col in columns:
        kind = ct.identifier_kind(col)
        if kind is None or _reviewed(col, table, reviewed):
            continue
        problems.append(Problem(
            file, str(col), (),
            f"the column name looks like a direct identifier ({kind}); remove the column before the "
            f"data reach the book (USUBJID is the only subject key allowed), or, {_review_hint(col, table)}",
        ))
    return problems


def _free_text_columns(df: pd.DataFrame, table: ct.Table | None) -> list[str]:
    """Text columns without a list of allowed values (all text columns of an unknown table)."""
    known = {c.name: c for c in table.columns} if table is not None else {}
    out = []
    for col in df.columns:
        s = df[col]
        is_text = isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype)
        if not is_text or str(col).upper() in _KEY_COLUMNS:
            continue
        c = known.get(col)
        if c is None or (c.kind == "str" and c.allowed is None):
            out.append(col)
    return out


def check_identifier_values(
    df: pd.DataFrame, file: str, table: ct.Table | None = None, reviewed: Iterable[str] = ()
) -> list[Problem]:
    """Free text that holds an e-mail address, a telephone number or a birth date.

    The free-text columns are the text columns without a list of allowed values
    (``AETERM``, ``DCSREAS``, any text column the contract does not know), except the
    study, subject and site codes. Each distinct value is matched once against
    :data:`helpers.data.contract.IDENTIFIER_PATTERNS` (the categories of a categorical column),
    so a table of millions of rows costs what its distinct texts cost.

    Parameters
    ----------
    df : DataFrame
        A table as read (:func:`read_table`).
    file : str
        The file, for the messages.
    table : Table, optional
        Its contract table; None scans every text column.
    reviewed : iterable of str
        ``reviewed_columns`` of ``cohort.yml``: columns a person has checked, not scanned.

    Returns
    -------
    list of Problem
        One per column and kind of finding, with its 1-based rows. A message never
        shows the value it found.

    Examples
    --------
    >>> ae = pd.DataFrame({"AETERM": ["headache", "call +44 20 7946 0018", "rash"]})
    >>> [(p.column, p.rows) for p in check_identifier_values(ae, "adae.csv", ct.ADAE)]
    [('AETERM', (2,))]
    """
    reviewed = tuple(reviewed)
    problems = []
    for col in _free_text_columns(df, table):
        if _reviewed(col, table, reviewed):
            continue
        s = df[col]
        values = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else pd.unique(s.dropna())
        # object dtype: Python's regular expressions (pyarrow's have no look-arounds)
        text = pd.Series(np.asarray(values, dtype=object)).astype("str").astype(object)
        found = text[text.str.contains(_ANY_IDENTIFIER, flags=re.IGNORECASE, regex=True, na=False)]
        for what, pattern in ct.IDENTIFIER_PATTERNS.items():
            hits = found[found.str.contains(pattern, flags=re.IGNORECASE, regex=True, na=False)]
            if hits.empty:
                continue
            rows = s.index[s.isin(hits.tolist())]
            if len(rows):
                problems.append(Problem(
                    file, str(col), one_based_rows(rows),
                    f"free text holds {what} (not shown here); remove it before the data reach the book, "
                    f"or, {_review_hint(col, table)}",
                ))
    return problems


def check_identifiers(
    df: pd.DataFrame, file: str, table: ct.Table | None = None, reviewed: Iterable[str] = ()
) -> list[Problem]:
    """Direct identifiers in a table: column names (:func:`check_identifier_columns`),
    then free text (:func:`check_identifier_values`) in the columns not refused by name."""
    named = check_identifier_columns(df.columns, file, table, reviewed)
    refused = [p.column for p in named]
    return named + check_identifier_values(df.drop(columns=refused), file, table, reviewed)


