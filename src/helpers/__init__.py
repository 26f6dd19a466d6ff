"""Tested logic behind the low-dose IL-2 lupus trial book, in layers.

Each layer imports only the layers below it (checked by import-linter in ``make test``):

- ``definitions``: the published clinical definitions (SLEDAI-2K, BILAG-2004, CTCAE),
  as data;
- ``data``: ``cohort.yml`` (``config``), the data contract, reading files strictly,
  refusing identifiers, validating, and the loaded :class:`~helpers.data.Cohort`;
- ``derive``: derivations from the published definitions (SLEDAI totals, BILAG flares,
  PGA worsening, SRI-k, resolution, CTCAE grades, treatment failure);
- ``stats``: intervals, tests and models (tidy frames in and out), with ``rates`` (the
  Miettinen-Nurminen score test and interval) and ``equivalence`` (Hodges-Lehmann, TOST);
- ``analyses``: one module per chapter's questions (``population``, ``efficacy``,
  ``organ``, ``markers``, ``adverse_events``, ``exposure``, ``lab_toxicity``, and
  ``arms`` for the total): tidy frames and plain values keyed by codes, no display code;
- ``present``: ``format`` (the only rounding), ``prose`` (every generated word),
  ``tables``, ``figures``, ``markers``, ``safety`` (what a page shows), ``disclosure``
  (small counts of the public profile);
- ``chapter``: the API a notebook calls (open the cohort, glue, show);
- ``publish`` (the build: execute, cache, render, publish atomically) and ``simulate``
  (the simulated cohorts), side by side; ``cli`` on top.

``errors`` and ``paths`` serve every layer. Importing the package is cheap; each module
imports what it needs.
"""

__version__ = "0.1.0"
