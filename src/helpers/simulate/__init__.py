"""Simulated cohorts: ADaM tables calibrated to the published results of the trials.

The trials' patient-level data are not public, so the book ships simulated tables made
here from a fixed seed and calibrated so that the published figures come out exactly
when computed through the book's own derivations (:mod:`helpers.derive`).

Public API
----------
generate_cohort(name, n_subjects=None, seed=None)
    The ten tables of a cohort, checked against its targets at the published size.
write_cohort(tables, folder)
    Deterministic, atomic CSV files.
regenerate(cohort_dir, check=False)
    Rebuild a cohort folder from its ``cohort.yml`` (or report which files would change).
check_calibration(tables, name)
    Every published target recomputed from the tables; a list of what is missed.

Modules: ``spec`` (targets as data), ``calibrate`` (bending samples onto targets),
``disease`` (descriptors, BILAG-2004, PGA), ``measures`` (labs, T cells,
manifestations), ``events`` (doses, adverse events, prednisone), ``tables`` (the
randomized trial's Tables 1 and 2: descriptors by integer programming, BILAG, doses,
serology), ``generate`` (the cohort and its frames), ``checks`` (the targets
recomputed), ``write`` (CSV files).
"""

from helpers.simulate.checks import check_calibration
from helpers.simulate.generate import CalibrationError, generate_cohort
from helpers.simulate.spec import SPECS, get_spec
from helpers.simulate.write import regenerate, render_csv, write_cohort

__all__ = [
    "SPECS",
    "CalibrationError",
    "check_calibration",
    "generate_cohort",
    "get_spec",
    "regenerate",
    "render_csv",
    "write_cohort",
]
