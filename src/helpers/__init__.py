"""Tested logic behind the low-dose IL-2 lupus trial book.

Modules by domain: ``config`` (cohort.yml), ``contract`` and ``data`` (the data contract,
loading and validation), ``definitions`` (published clinical definitions), ``derive``
(SLEDAI-2K, BILAG, PGA, SRI-k and other derivations), ``stats`` (intervals, tests,
models), ``safety`` (adverse-event summaries), ``tables`` and ``figures`` (what a page
shows), ``chapter`` (what a notebook calls), ``simulate`` (the simulated cohorts) and
``build`` (executes the chapters and renders the site).

Importing the package is cheap; each module imports what it needs.
"""

__version__ = "0.1.0"
