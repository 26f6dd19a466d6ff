"""Validating a cohort for the build, in a child process (see
:func:`helpers.publish.book._validate`)."""

from __future__ import annotations

from pathlib import Path

from helpers.data import CohortConfig, load_cohort, write_validated_cache
from helpers.errors import HelpersError


def validate_into_cache(config: CohortConfig, folder: Path) -> str:
    """Load and validate the cohort and write its validated tables to ``folder``.

    Returns ``""`` on success, else the message of the error (every problem found), so
    that the parent process gets plain text rather than an exception object to unpickle.
    """
    from dataclasses import replace

    try:
        # The real data are cached; a blinded build shuffles the arms when a chapter loads them.
        cohort = load_cohort(replace(config, blinded=False))
    except HelpersError as exc:
        return str(exc)
    write_validated_cache(cohort, Path(folder))
    return ""
