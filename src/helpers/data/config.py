"""Cohort configuration: what ``data/<name>/cohort.yml`` says about a cohort.

A cohort is a folder holding ``cohort.yml`` and, unless the config points elsewhere,
the cohort's ADaM tables. The config is the single place that knows the arms, the visit
schedule, the primary week and which chapters apply; chapters and derivations receive
these values, they never hard-code them.

Reading a config takes four steps, and every problem found is reported at once, one
line each, naming the file, the line and the key (``visits[2].week``):

1. parse the YAML with a loader that refuses duplicate keys (PyYAML would silently keep
   the last) and remembers the line of every key and list item;
2. validate the result against :data:`COHORT_SCHEMA`, a JSON Schema (draft 2020-12) that
   gives every key its type, allowed values and range;
3. check what the schema cannot say: visit weeks increase, the primary week is a
   post-baseline visit, the reference arm is an arm, courses neither run backwards nor
   overlap, the encoding is one Python knows;
4. build the :class:`CohortConfig`.

:func:`check_parameter_value` checks one chapter parameter override (``--set`` or the
``parameters:`` key) against the type of the default the notebook declares.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from helpers import definitions as d
from helpers.data.mapping import ExportMapping
from helpers.errors import ConfigError

#: Every chapter the book knows, in reading order. A cohort picks a subset.
CHAPTERS: tuple[str, ...] = ("cohort", "sri", "organ", "labs", "immunology", "safety")

#: The data contracts a cohort can declare: the full lupus contract, or the generic ADaM
#: core that any trial's ``adsl``/``adae`` pair satisfies.
CONTRACTS: tuple[str, ...] = ("sle", "adam")

#: Build profiles: ``full`` publishes everything; ``public`` (for real data) leaves out
#: subject-level listings and notebook sources and shows small counts as "< n".
PROFILES: tuple[str, ...] = ("full", "public")

#: What ``data_queries`` may say: stop the build, or list the queries in an appendix.
DATA_QUERIES: tuple[str, ...] = ("error", "appendix")

#: Significance levels are refused from this value up (a 50% interval answers nothing).
#: The disease-activity instruments a cohort may be scored with (cohort.yml ``instrument``).
INSTRUMENTS: tuple[str, ...] = ("SLEDAI-2K", "SELENA-SLEDAI")

#: Tests of the primary end point (cohort.yml ``analysis.primary_test``): the
#: Miettinen-Nurminen score test (with the interval that inverts it), Pearson's
#: chi-square, Fisher's exact test, or a logistic regression on named covariates.
PRIMARY_TESTS: tuple[str, ...] = ("score", "chisq", "fisher", "logistic")

#: How secondary end points are adjusted for multiplicity (``analysis.multiplicity``):
#: none (each labelled nominal and unadjusted), Holm or Bonferroni across them.
MULTIPLICITY: tuple[str, ...] = ("none", "holm", "bonferroni")

#: Statistics a baseline-table row may show (``analysis.baseline_statistics``).
BASELINE_STATISTICS: tuple[str, ...] = ("csr", "mean_sd", "median_range", "median_iqr", "n_pct")

ALPHA_MAX = 0.5

#: Numeric codings of BILAG grades (cohort.yml ``bilag_coding``), see
#: ``helpers.definitions.BILAG_CODINGS``.
BILAG_CODINGS: tuple[str, ...] = tuple(d.BILAG_CODINGS)

#: Tests of a between-arm comparison of proportions other than the primary end point
#: (``renal.test``): the Miettinen-Nurminen score test, Pearson's chi-square or Fisher's
#: exact test.
PROPORTION_TESTS: tuple[str, ...] = ("score", "chisq", "fisher")

#: What a renal measure threshold may be (g/24 h, mg/g, a fraction).
RENAL_MAX_PROTEINURIA = 50.0
RENAL_MAX_UPCR = 50000.0

#: The last study week a visit schedule may name (ten years).
WEEK_MAX = 520

#: The widths a figure file may be made at, in millimetres (``figure_width_mm``): from a
#: narrow column to a full page.
FIGURE_WIDTH_MIN_MM = 30
FIGURE_WIDTH_MAX_MM = 300


# ---------------------------------------------------------------------------------------
# the schema


def _alternatives(values: Iterable[object]) -> str:
    """``'a'``, ``'a' or 'b'``, ``'a', 'b' or 'c'``."""
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _text(expected: str = "a string", *, blank: bool = True, null: bool = False) -> dict:
    schema: dict[str, Any] = {"type": ["string", "null"] if null else "string", "x-expected": expected}
    if not blank:
        schema["pattern"] = r"\S"
    return schema


def _whole(expected: str, minimum: int | None = None, maximum: int | None = None, null: bool = False) -> dict:
    schema: dict[str, Any] = {"type": ["integer", "null"] if null else "integer", "x-expected": expected}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _choice(values: Iterable[str]) -> dict:
    values = list(values)
    return {"enum": values, "x-expected": _alternatives(values) if len(values) < 3 else f"one of {_alternatives(values)}"}


def _amount(unit: str, maximum: float, null: bool = False) -> dict:
    expected = f"a number above 0 and at most {maximum:g} ({unit})" + (", or null" if null else "")
    return {"type": ["number", "null"] if null else "number", "exclusiveMinimum": 0, "maximum": maximum,
            "x-expected": expected}


_NAME = _text("a non-empty string", blank=False)
_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"

#: The JSON Schema (draft 2020-12) of ``cohort.yml``. Besides the standard keywords,
#: each subschema has an ``x-expected`` annotation: the words an error message uses
#: for what was expected ("a number between 0 and 0.5"). Cross-key rules (visit order,
#: overlapping courses, ...) are checked after the schema by :func:`read_cohort_config`.
COHORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "cohort.yml",
    "description": "A cohort's configuration; data/README.md explains every key.",
    "type": "object",
    "x-expected": "a mapping of keys to values",
    "required": ["title", "label"],
    "additionalProperties": False,
    "properties": {
        "title": {**_NAME, "description": "The site's title."},
        "label": {**_NAME, "description": "A short label for captions and the banner."},
        "description": {**_text(), "description": "A paragraph about the trial."},
        "source": {**_text(), "description": "Where real data came from."},
        "registry": {**_text(), "description": "Registry number, e.g. NCT02084238."},
        "disease": {
            **_text("the disease studied, in lower case (e.g. systemic lupus erythematosus), or null", blank=False,
                    null=True),
            "description": "The disease studied, as the pages name it; null: they say \"the disease\".",
        },
        "drug": {
            **_text("the treatment studied (e.g. low-dose IL-2), or null", blank=False, null=True),
            "description": "The treatment studied, as the pages name it; null: they say \"the study treatment\".",
        },
        "route": {
            **_text("the route of administration (e.g. subcutaneous, transdermal patch, oral), or null", blank=False,
                    null=True),
            "description": "How the treatment is given; it words the local (site) reactions of the safety chapter.",
        },
        "terms_of_interest": {
            "type": "array",
            "x-expected": "a list of MedDRA preferred terms (AEDECOD values)",
            "uniqueItems": True,
            "items": _text("a preferred term (a non-empty string)", blank=False),
            "description": "Adverse events of special interest: preferred terms counted by arm in the safety chapter.",
        },
        "simulated": {
            "type": "boolean",
            "x-expected": "true or false",
            "description": "true puts a banner on every page saying the data are simulated.",
        },
        "simulation": {
            "type": "object",
            "x-expected": "a mapping with generator, seed and calibrated_to",
            "additionalProperties": False,
            "properties": {
                "generator": _text("the name of a generator in helpers.simulate", blank=False),
                "seed": _whole("a whole number from 0 up", minimum=0),
                "calibrated_to": _text(),
                "imposed": {
                    "type": "array", "x-expected": "a list of what the generator imposed",
                    "items": _text("a sentence", blank=False),
                },
            },
        },
        "data_dir": {
            **_text("a folder, relative to cohort.yml", blank=False),
            "description": "Folder holding the tables, relative to cohort.yml.",
        },
        "contract": {**_choice(CONTRACTS), "description": "The data contract the tables satisfy."},
        "arm_var": {**_text("a column name of adsl", blank=False), "description": "The arm variable."},
        "arms": {
            "type": "array",
            "x-expected": "a list of arm names",
            "minItems": 1,
            "uniqueItems": True,
            "items": _text("an arm name (a non-empty string)", blank=False),
            "description": "Arm values in display order.",
        },
        "reference_arm": {
            **_text("an arm name, or null for the last arm", blank=False, null=True),
            "description": "The comparator of between-arm analyses.",
        },
        "populations": {
            "type": "object",
            "x-expected": "a mapping of populations (efficacy, safety) to flag columns of adsl",
            "propertyNames": {**_text("a population name", blank=False)},
            "additionalProperties": {
                "anyOf": [
                    _text("a flag column of adsl (e.g. ITTFL)", blank=False),
                    {
                        "type": "object",
                        "x-expected": "{flag, arm, label}",
                        "required": ["flag"],
                        "additionalProperties": False,
                        "properties": {
                            "flag": _text("a flag column of adsl (e.g. ITTFL)", blank=False),
                            "arm": _text("the arm variable this population is analysed by (e.g. TRT01P)", blank=False),
                            "label": _text("the population's name on the page", blank=False),
                        },
                    },
                ],
                "x-expected": "a flag column of adsl, or {flag, arm, label}",
            },
            "description": "Population flags (efficacy, safety, any other), each with the arm variable it is "
                           "analysed by: ITT by the randomized arm, safety by the treatment received.",
        },
        "instrument": {**_choice(INSTRUMENTS), "description": "The disease-activity instrument of adsledai."},
        "analysis": {
            "type": "object",
            "x-expected": "a mapping of the pre-specified analysis",
            "additionalProperties": False,
            "properties": {
                "primary_test": _choice(PRIMARY_TESTS),
                "covariates": {
                    "type": "array", "x-expected": "a list of adsl columns", "uniqueItems": True,
                    "items": _text("a column of adsl (or SLEDAIBL)", blank=False),
                },
                "secondary_weeks": {
                    "type": "array", "x-expected": "a list of weeks", "uniqueItems": True,
                    "items": _whole(f"a whole number of weeks from 0 to {WEEK_MAX}", 0, WEEK_MAX),
                },
                "multiplicity": _choice(MULTIPLICITY),
                "equivalence_margins": {
                    "type": "object",
                    "x-expected": "a mapping of PARAMCD to {margin, source}",
                    "additionalProperties": {
                        "type": "object",
                        "x-expected": "{margin, source}",
                        "required": ["margin", "source"],
                        "additionalProperties": False,
                        "properties": {
                            "margin": {"type": "number", "exclusiveMinimum": 0, "x-expected": "a positive number"},
                            "source": _text("where the margin comes from (a citation)", blank=False),
                        },
                    },
                },
                "min_group_size": _whole("a whole number from 1 up", minimum=1),
                "baseline_statistics": {
                    "type": "object",
                    "x-expected": "a mapping of baseline variables to statistics",
                    "additionalProperties": _choice(BASELINE_STATISTICS),
                },
                "baseline_tests": {"type": "boolean", "x-expected": "true or false"},
                "treatment_failure": {
                    "type": "object",
                    "x-expected": "{steroid_increase, steroid_margin, rescue_flag}",
                    "additionalProperties": False,
                    "properties": {
                        "steroid_increase": {"type": "boolean", "x-expected": "true or false"},
                        "steroid_margin": {"type": "number", "minimum": 0, "x-expected": "mg/day from 0 up"},
                        "rescue_flag": _text("a column of adsl flagging prohibited rescue therapy", blank=False, null=True),
                    },
                },
            },
            "description": "The pre-specified analysis: tests, end points, multiplicity, margins.",
        },
        "bilag_coding": {
            **_choice(BILAG_CODINGS),
            "description": "Numeric coding of BILAG grades for the global score: yee2010 (A 12, B 8, C 1; "
                           "Yee et al. 2010, the default) or classic (A 9, B 3, C 1; Stoll et al. 1996).",
        },
        "renal": {
            "type": "object",
            "x-expected": "a mapping {subgroup, week, complete, partial, kidney_margin, test, source}",
            "additionalProperties": False,
            "properties": {
                "subgroup": {
                    "type": "object",
                    "x-expected": "{proteinuria_above, upcr_above, bilag_grades}",
                    "additionalProperties": False,
                    "properties": {
                        "proteinuria_above": _amount("g/24 h", RENAL_MAX_PROTEINURIA, null=True),
                        "upcr_above": _amount("mg/g", RENAL_MAX_UPCR, null=True),
                        "bilag_grades": {
                            "type": "array", "x-expected": "a list of BILAG grades (e.g. [A, B])", "uniqueItems": True,
                            "items": _choice(d.BILAG_GRADES),
                        },
                    },
                },
                "week": {
                    **_whole(f"a whole number of weeks from 0 to {WEEK_MAX}, or null for the last visit", 0, WEEK_MAX,
                             null=True),
                },
                "complete": {
                    "type": "object",
                    "x-expected": "{proteinuria_below, upcr_below}",
                    "additionalProperties": False,
                    "properties": {
                        "proteinuria_below": _amount("g/24 h", RENAL_MAX_PROTEINURIA),
                        "upcr_below": _amount("mg/g", RENAL_MAX_UPCR),
                    },
                },
                "partial": {
                    "type": "object",
                    "x-expected": "{reduction, proteinuria_below, upcr_below}",
                    "additionalProperties": False,
                    "properties": {
                        "reduction": {
                            "type": "number", "exclusiveMinimum": 0, "maximum": 1,
                            "x-expected": "a fraction of the baseline proteinuria, above 0 and at most 1",
                        },
                        "proteinuria_below": _amount("g/24 h", RENAL_MAX_PROTEINURIA),
                        "upcr_below": _amount("mg/g", RENAL_MAX_UPCR),
                    },
                },
                "kidney_margin": {
                    "type": "number", "minimum": 0, "maximum": 1,
                    "x-expected": "a fraction from 0 to 1 (eGFR at most this far below baseline)",
                },
                "test": _choice(PROPORTION_TESTS),
                "source": _text("where the criteria come from (a citation)", blank=False),
            },
            "description": "Lupus nephritis: the subgroup with renal involvement at baseline, the visit and "
                           "criteria of complete and partial renal response, the between-arm test.",
        },
        "steroid_taper": {
            "type": "object",
            "x-expected": "a mapping {threshold, source}",
            "additionalProperties": False,
            "properties": {
                "threshold": {
                    "type": "number", "minimum": 0, "maximum": 100,
                    "x-expected": "a prednisone-equivalent dose in mg/day from 0 to 100",
                },
                "source": _text("where the threshold comes from (a citation)", blank=False),
            },
            "description": "Glucocorticoid taper: a dose at or below the threshold (mg/day) counts as tapered.",
        },
        "data_cutoff": {
            "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "x-expected": "a date, YYYY-MM-DD",
            "description": "The data cut-off date.",
        },
        "database_lock": {
            "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "x-expected": "a date, YYYY-MM-DD",
            "description": "The date the database was locked; the analysis keys are frozen from then on.",
        },
        "analysis_hash": {
            "type": "string", "pattern": "^[0-9a-f]{64}$", "x-expected": "the 64 hex digits `python -m helpers data plan-hash` prints",
            "description": "The hash of the analysis keys when the database was locked; a build whose keys differ says so.",
        },
        "mapping": {
            "type": "object",
            "x-expected": "a mapping of the export to the contract (see helpers.data.mapping)",
            "additionalProperties": False,
            "properties": {
                "missing_values": {"type": "array", "x-expected": "a list of spellings", "items": {"type": "string", "x-expected": "a spelling"}},
                "rename": {"type": "object", "x-expected": "{table: {EXPORT: CONTRACT}}",
                           "additionalProperties": {"type": "object", "x-expected": "{EXPORT: CONTRACT}",
                                                    "additionalProperties": _text("a column name", blank=False)}},
                "paramcd": {"type": "object", "x-expected": "{table: {EXPORT: CONTRACT}}",
                            "additionalProperties": {"type": "object", "x-expected": "{EXPORT: CONTRACT}",
                                                     "additionalProperties": _text("a parameter code", blank=False)}},
                "units": {"type": "object", "x-expected": "{EXPORT_UNIT: CONTRACT_UNIT}",
                          "additionalProperties": _text("a unit", blank=False)},
                "visits": {
                    "type": "object", "x-expected": "{from, weeks} or {from: ADY, windows}", "additionalProperties": False,
                    "properties": {
                        "from": {"enum": ["AVISITN", "AVISIT", "ADY"], "x-expected": "'AVISITN', 'AVISIT' or 'ADY'"},
                        "weeks": {"type": "object", "x-expected": "{visit: week}",
                                  "additionalProperties": _whole(f"a whole number of weeks from 0 to {WEEK_MAX}", 0, WEEK_MAX)},
                        "windows": {
                            "type": "array", "minItems": 1, "x-expected": "a list of {week, low, high, label} (study days)",
                            "items": {"type": "object", "x-expected": "{week, low, high, label}",
                                      "required": ["week", "low", "high"], "additionalProperties": False,
                                      "properties": {"label": _text("the visit's AVISIT label", blank=False),
                                                     "week": _whole(f"a whole number of weeks from 0 to {WEEK_MAX}", 0, WEEK_MAX),
                                                     "low": {"type": "integer", "x-expected": "a study day (a whole number)"},
                                                     "high": {"type": "integer", "x-expected": "a study day (a whole number)"}}},
                        },
                    },
                    "oneOf": [{"required": ["weeks"], "not": {"required": ["windows"]}},
                              {"required": ["windows"], "properties": {"from": {"const": "ADY"}}, "not": {"required": ["weeks"]}}],
                },
                "exclude": {
                    "type": "array", "x-expected": "a list of {column, values, reason}",
                    "items": {"type": "object", "x-expected": "{column, values, reason}", "required": ["column", "values", "reason"],
                              "additionalProperties": False,
                              "properties": {"column": _text("a column of adsl", blank=False),
                                             "values": {"type": "array", "x-expected": "a list of values", "minItems": 1},
                                             "reason": _text("why these subjects are left out", blank=False)}},
                },
            },
            "description": "What differs between the export and the contract, applied as the tables are read.",
        },
        "blinded": {
            "type": "boolean", "x-expected": "true or false",
            "description": "true: every build uses dummy arm labels (a dry run before unblinding).",
        },
        "visits": {
            "type": "array",
            "x-expected": "a list of visits {week, label}",
            "items": {
                "type": "object",
                "x-expected": "a visit {week, label}",
                "required": ["week", "label"],
                "additionalProperties": False,
                "properties": {
                    "week": _whole(f"a whole number of weeks from 0 to {WEEK_MAX}", 0, WEEK_MAX),
                    "label": _text("the visit's AVISIT label (a non-empty string)", blank=False),
                },
            },
            "description": "The visit schedule; the first visit is baseline.",
        },
        "primary_week": {
            **_whole(f"a whole number of weeks from 0 to {WEEK_MAX}, or null", 0, WEEK_MAX, null=True),
            "description": "Week of the primary end point, a post-baseline visit.",
        },
        "courses": {
            "type": "array",
            "x-expected": "a list of courses {number, start_day, end_day}",
            "items": {
                "type": "object",
                "x-expected": "a course {number, start_day, end_day}",
                "required": ["number", "start_day", "end_day"],
                "additionalProperties": False,
                "properties": {
                    "number": _whole("a whole number from 1 up", minimum=1),
                    "start_day": _whole("a study day from 1 up (day 1 is the first dose)", minimum=1),
                    "end_day": _whole("a study day from 1 up (day 1 is the first dose)", minimum=1),
                },
            },
            "description": "Treatment courses as study-day windows.",
        },
        "chapters": {
            "type": "array",
            "x-expected": "a list of chapters",
            "minItems": 1,
            "uniqueItems": True,
            "items": {**_choice(CHAPTERS), "x-expected": f"a chapter of the book: {_alternatives(CHAPTERS)}"},
            "description": "Which chapters to build.",
        },
        "parameters": {
            "type": "object",
            "x-expected": "a mapping of chapters (or all) to mappings of parameter overrides",
            "propertyNames": {
                "enum": [*CHAPTERS, "all"],
                "x-expected": f"a chapter of the book ({_alternatives(CHAPTERS)}) or 'all'",
            },
            "additionalProperties": {
                "type": "object",
                "x-expected": "a mapping of parameter names to values",
                "propertyNames": {
                    "type": "string",
                    "pattern": _IDENTIFIER,
                    "x-expected": "a parameter name (letters, digits and _)",
                },
            },
            "description": "Per-chapter parameter overrides; all: applies to every chapter.",
        },
        "data_queries": {**_choice(DATA_QUERIES), "description": "Stop the build on data queries, or list them."},
        "landing": {
            **_text("a Markdown file, relative to cohort.yml, or null", blank=False, null=True),
            "description": "A landing page for this cohort.",
        },
        "alpha": {
            "type": "number",
            "exclusiveMinimum": 0,
            "exclusiveMaximum": ALPHA_MAX,
            "x-expected": f"a number between 0 and {ALPHA_MAX}",
            "description": "Significance level; confidence intervals are at 1 - alpha.",
        },
        "encoding": {
            **_text("the name of a text encoding (e.g. utf-8, latin-1), or null", blank=False, null=True),
            "description": "Text encoding of the tables; null: UTF-8 for CSV, latin-1 for XPT.",
        },
        "reviewed_columns": {
            "type": "array",
            "x-expected": "a list of columns, as table.COLUMN or COLUMN",
            "uniqueItems": True,
            "items": {
                "type": "string",
                "pattern": r"^([A-Za-z0-9_]+\.)?[A-Za-z0-9_]+$",
                "x-expected": "a column, as table.COLUMN or COLUMN",
            },
            "description": "Columns reviewed and declared free of direct identifiers.",
        },
        "profile": {**_choice(PROFILES), "description": "full publishes everything; public hides small counts."},
        "min_cell_count": {
            **_whole("a whole number from 1 up", minimum=1),
            "description": "With the public profile, counts below this show as '< n'.",
        },
        "figure_width_mm": {
            "type": "number",
            "minimum": FIGURE_WIDTH_MIN_MM,
            "maximum": FIGURE_WIDTH_MAX_MM,
            "x-expected": f"a width in millimetres from {FIGURE_WIDTH_MIN_MM} to {FIGURE_WIDTH_MAX_MM}",
            "description": "Width of the figure files (SVG, PNG, PDF): a journal's column width.",
        },
    },
}

_KNOWN_KEYS = set(COHORT_SCHEMA["properties"])


@functools.cache
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(COHORT_SCHEMA)


# ---------------------------------------------------------------------------------------
# the configuration


@dataclass(frozen=True)
class Visit:
    """One scheduled visit: the study week (``AVISITN``) and its label (``AVISIT``)."""

    week: int
    label: str


@dataclass(frozen=True)
class Course:
    """One treatment course, as a window of study days (day 1 is the first dose)."""

    number: int
    start_day: int
    end_day: int


@dataclass(frozen=True)
class AnalysisPlan:
    """The pre-specified analysis of ``cohort.yml``'s ``analysis:`` block.

    Attributes
    ----------
    primary_test : str
        The primary end point's test, one of :data:`PRIMARY_TESTS`.
    covariates : tuple of str
        Covariates of the logistic regression (``primary_test: logistic``).
    secondary_weeks : tuple of int
        Weeks at which the primary end point is a secondary end point; other weeks are
        exploratory.
    multiplicity : str
        How the secondary end points are adjusted, one of :data:`MULTIPLICITY`.
    equivalence_margins : dict
        ``PARAMCD -> {"margin": float, "source": str}``: the margin inside which a change
        counts as none (a "not changed" claim without one is inconclusive).
    min_group_size : int
        Groups smaller than this are shown without a test, and not ranked.
    baseline_statistics : dict
        Baseline variable -> statistics (:data:`BASELINE_STATISTICS`); others get the
        CSR default (n, mean (SD), median, min-max).
    baseline_tests : bool
        Between-arm p-values in the baseline table (CONSORT advises against them).
    treatment_failure : dict
        ``steroid_increase`` (bool), ``steroid_margin`` (mg/day), ``rescue_flag`` (a
        column of adsl): subjects failing these are SRI non-responders from then on.
    """

    primary_test: str = "score"
    covariates: tuple[str, ...] = ()
    secondary_weeks: tuple[int, ...] = ()
    multiplicity: str = "none"
    equivalence_margins: dict[str, dict[str, Any]] = field(default_factory=dict)
    min_group_size: int = 5
    baseline_statistics: dict[str, str] = field(default_factory=dict)
    baseline_tests: bool = False
    treatment_failure: dict[str, Any] = field(default_factory=dict)

    def keys(self) -> dict[str, Any]:
        """The analysis keys as plain data (for the analysis-plan hash)."""
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class RenalCriteria:
    """Lupus nephritis in ``cohort.yml``'s ``renal:`` block (defaults in
    ``helpers.definitions.RENAL_DEFAULTS``).

    Attributes
    ----------
    proteinuria_above, upcr_above : float or None
        Renal involvement at baseline: 24-hour proteinuria above this (g/24 h), or UPCR
        above this (mg/g); None: that measure does not define the subgroup.
    bilag_grades : tuple of str
        Renal involvement at baseline: a renal BILAG grade among these (empty: BILAG
        does not define the subgroup).
    week : int or None
        The visit at which response is judged; None: the last scheduled visit.
    complete_proteinuria, complete_upcr : float
        Complete response: proteinuria below this (g/24 h; mg/g for UPCR).
    partial_reduction : float
        Partial response: proteinuria reduced by at least this fraction of baseline ...
    partial_proteinuria, partial_upcr : float
        ... and below this (g/24 h; mg/g).
    kidney_margin : float
        Both responses: kidney function stable, eGFR at most this fraction below
        baseline (serum creatinine at most this fraction above).
    test : str
        Between-arm test of the complete response, one of :data:`PROPORTION_TESTS`.
    source : str
        The citation of the criteria.
    """

    proteinuria_above: float | None = 0.5
    upcr_above: float | None = 500.0
    bilag_grades: tuple[str, ...] = ("A", "B")
    week: int | None = None
    complete_proteinuria: float = 0.5
    complete_upcr: float = 500.0
    partial_reduction: float = 0.5
    partial_proteinuria: float = 3.0
    partial_upcr: float = 3000.0
    kidney_margin: float = 0.10
    test: str = "fisher"
    source: str = str(d.RENAL_DEFAULTS["source"])

    def thresholds(self, proteinuria: str) -> dict[str, float]:
        """The keyword arguments of :func:`helpers.derive.derive_renal_response` for a
        proteinuria measure (``"UPROT"`` in g/24 h or ``"UPCR"`` in mg/g).

        Examples
        --------
        >>> RenalCriteria().thresholds("UPCR")
        {'complete_below': 500.0, 'partial_reduction': 0.5, 'partial_below': 3000.0, 'kidney_margin': 0.1}
        """
        if proteinuria not in ("UPROT", "UPCR"):
            raise ValueError(f"RenalCriteria.thresholds: proteinuria must be 'UPROT' or 'UPCR', got {proteinuria!r}")
        upcr = proteinuria == "UPCR"
        return {
            "complete_below": self.complete_upcr if upcr else self.complete_proteinuria,
            "partial_reduction": self.partial_reduction,
            "partial_below": self.partial_upcr if upcr else self.partial_proteinuria,
            "kidney_margin": self.kidney_margin,
        }

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None) -> RenalCriteria:
        """The criteria from the ``renal:`` mapping (already checked by the schema)."""
        raw = raw or {}
        sub, comp, part = raw.get("subgroup") or {}, raw.get("complete") or {}, raw.get("partial") or {}
        base = cls()
        return cls(
            proteinuria_above=sub.get("proteinuria_above", base.proteinuria_above),
            upcr_above=sub.get("upcr_above", base.upcr_above),
            bilag_grades=tuple(sub.get("bilag_grades", base.bilag_grades)),
            week=raw.get("week"),
            complete_proteinuria=float(comp.get("proteinuria_below", base.complete_proteinuria)),
            complete_upcr=float(comp.get("upcr_below", base.complete_upcr)),
            partial_reduction=float(part.get("reduction", base.partial_reduction)),
            partial_proteinuria=float(part.get("proteinuria_below", base.partial_proteinuria)),
            partial_upcr=float(part.get("upcr_below", base.partial_upcr)),
            kidney_margin=float(raw.get("kidney_margin", base.kidney_margin)),
            test=raw.get("test", base.test),
            source=raw.get("source", base.source),
        )


@dataclass(frozen=True)
class SteroidTaper:
    """The glucocorticoid taper of ``cohort.yml``'s ``steroid_taper:`` block.

    Attributes
    ----------
    threshold : float
        A prednisone-equivalent dose at or below this (mg/day) counts as tapered
        (default 7.5, EULAR 2019).
    source : str
    """

    threshold: float = d.STEROID_TAPER_THRESHOLD
    source: str = "EULAR 2019 SLE recommendations (Fanouriakis et al., Ann Rheum Dis 2019;78:736-45)"


@dataclass(frozen=True)
class CohortConfig:
    """A cohort's configuration, read and checked from ``cohort.yml``.

    Attributes mirror the YAML keys; see ``data/README.md`` for the meaning of each.
    ``key_lines`` (not shown, not compared) maps each key path of the file, as
    ``"parameters.sri.null_rate"`` or ``"visits[2].week"``, to its line; see
    :meth:`locate`.
    """

    name: str
    config_path: Path
    title: str
    label: str
    description: str = ""
    simulated: bool = False
    simulation: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    registry: str = ""
    #: The disease studied, the treatment and its route, as the pages name them (None:
    #: "the disease", "the study treatment", and no route-specific wording).
    disease: str | None = None
    drug: str | None = None
    route: str | None = None
    #: Preferred terms of special interest, counted by arm in the safety chapter.
    terms_of_interest: tuple[str, ...] = ()
    data_dir: Path = Path(".")
    contract: str = "sle"
    arm_var: str = "TRT01A"
    arms: tuple[str, ...] = ()
    reference_arm: str | None = None
    populations: dict[str, str] = field(
        default_factory=lambda: {"efficacy": "ITTFL", "safety": "SAFFL"}
    )
    visits: tuple[Visit, ...] = ()
    primary_week: int | None = None
    courses: tuple[Course, ...] = ()
    chapters: tuple[str, ...] = CHAPTERS
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    data_queries: str = "appendix"
    landing: Path | None = None
    alpha: float = 0.05
    #: Text encoding of the tables; None: UTF-8 for CSV, latin-1 for SAS transport files.
    encoding: str | None = None
    #: Columns a person has reviewed and declared free of direct identifiers, as
    #: ``"table.COLUMN"`` (or ``"COLUMN"`` for every table).
    reviewed_columns: tuple[str, ...] = ()
    profile: str = "full"
    #: With the public profile, counts from 1 to ``min_cell_count - 1`` show as "< n".
    min_cell_count: int = 5
    #: Width of the figure files (SVG, PNG at 300 dpi, PDF) in millimetres: a journal's
    #: column width; the height keeps each figure's aspect.
    figure_width_mm: float = 85.0
    #: Line of every key path in ``cohort.yml``, for messages; see :meth:`locate`.
    #: The arm variable each population is analysed by (default: ``arm_var``).
    population_arms: dict[str, str] = field(default_factory=dict)
    #: A population's name on the page, when the config gives one.
    population_labels: dict[str, str] = field(default_factory=dict)
    instrument: str = "SLEDAI-2K"
    analysis: AnalysisPlan = field(default_factory=lambda: AnalysisPlan())
    #: Numeric coding of BILAG grades (a key of ``helpers.definitions.BILAG_CODINGS``).
    bilag_coding: str = d.BILAG_CODING_DEFAULT
    #: Lupus nephritis subgroup and renal response criteria.
    renal: RenalCriteria = field(default_factory=lambda: RenalCriteria())
    #: Glucocorticoid taper threshold.
    steroid_taper: SteroidTaper = field(default_factory=lambda: SteroidTaper())
    data_cutoff: str | None = None
    database_lock: str | None = None
    blinded: bool = False
    #: What differs between the export and the contract (``mapping:``).
    mapping: ExportMapping = field(default_factory=lambda: ExportMapping())
    #: The analysis-plan hash recorded at database lock (see :meth:`analysis_hash`).
    locked_analysis_hash: str | None = None
    key_lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def folder(self) -> Path:
        """The folder holding ``cohort.yml``."""
        return self.config_path.parent

    def population_arm(self, kind: str) -> str:
        """The arm variable a population is analysed by: its ``arm`` in ``populations``,
        else the cohort's ``arm_var`` (ITT by the randomized arm, safety by the
        treatment received, when the config says so)."""
        return self.population_arms.get(kind, self.arm_var)

    def analysis_hash(self) -> str:
        """SHA-256 of the analysis keys (tests, populations, alpha, end points, margins):
        shown on the pages, so that a change of the plan cannot pass unseen."""
        import hashlib
        import json
        from dataclasses import asdict

        keys = {"analysis": self.analysis.keys(), "alpha": self.alpha, "primary_week": self.primary_week,
                "populations": self.populations, "population_arms": self.population_arms,
                "instrument": self.instrument, "reference_arm": self.reference_arm,
                "bilag_coding": self.bilag_coding, "renal": asdict(self.renal),
                "steroid_taper": asdict(self.steroid_taper)}
        return hashlib.sha256(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()

    def plan_changed_after_lock(self) -> bool:
        """Whether the analysis keys differ from those hashed at database lock (False when
        no hash was recorded)."""
        return self.locked_analysis_hash is not None and self.locked_analysis_hash != self.analysis_hash()

    @property
    def weeks(self) -> tuple[int, ...]:
        """Scheduled study weeks, in order."""
        return tuple(v.week for v in self.visits)

    @property
    def baseline_week(self) -> int:
        """The first scheduled week, which is baseline."""
        return self.visits[0].week if self.visits else 0

    @property
    def post_baseline_weeks(self) -> tuple[int, ...]:
        """Scheduled weeks after baseline."""
        return tuple(w for w in self.weeks if w != self.baseline_week)

    @property
    def renal_week(self) -> int | None:
        """The visit at which renal response is judged: ``renal.week``, else the last
        scheduled visit (None without visits)."""
        if self.renal.week is not None:
            return self.renal.week
        return self.weeks[-1] if self.weeks else None

    def visit_label(self, week: int) -> str:
        """The ``AVISIT`` label of a scheduled week."""
        for v in self.visits:
            if v.week == week:
                return v.label
        raise ConfigError(f"{self.config_path}: week {week} is not in the visit schedule")

    def locate(self, key: str) -> str:
        """Where a key is, for a message: ``"<file>, line 40, key parameters.sri.null_rate"``.

        ``key`` is a key path as in the config's error messages (``"alpha"``,
        ``"visits[2].week"``, ``"parameters.sri.null_rate"``). A key the file does not
        have (a default) gives ``"<file>, key <key>"``.
        """
        line = self.key_lines.get(key)
        return f"{self.config_path}, " + (f"line {line}, " if line else "") + f"key {key}"

    def with_data_dir(self, data_dir: str | Path) -> CohortConfig:
        """A copy whose tables are read from ``data_dir`` instead."""
        from dataclasses import replace

        return replace(self, data_dir=Path(data_dir).resolve())


# ---------------------------------------------------------------------------------------
# the YAML loader: no duplicate keys, and the line of every key


class _Map(dict):
    """A mapping as read: ``lines`` maps each key to its line, ``duplicates`` lists
    ``(key, line, first_line)`` for each key given again."""

    lines: dict
    duplicates: list


class _Seq(list):
    """A sequence as read: ``lines`` holds the line of each item."""

    lines: list


class _LineLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that notes duplicate keys (at any depth) instead of silently
    keeping the last, and the start line of every key and list item."""

    def construct_mapping(self, node, deep=False):
        first: dict[object, int] = {}
        duplicates = []
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # keys brought in by "<<: *anchor" may be overridden
            key = self.construct_object(key_node, deep=deep)
            try:
                seen = first.get(key)
            except TypeError:
                continue  # unhashable: the base class says so
            line = key_node.start_mark.line + 1
            if seen is None:
                first[key] = line
            else:
                duplicates.append((key, line, seen))
        mapping = _Map(super().construct_mapping(node, deep=deep))
        # After the base class flattened merge keys: own keys come last and win.
        mapping.lines = {}
        for key_node, _ in node.value:
            mapping.lines[self.construct_object(key_node, deep=deep)] = key_node.start_mark.line + 1
        mapping.duplicates = duplicates
        return mapping

    def construct_yaml_map(self, node):
        data = _Map()
        yield data
        value = self.construct_mapping(node)
        data.update(value)
        data.lines, data.duplicates = value.lines, value.duplicates

    def construct_yaml_seq(self, node):
        data = _Seq()
        yield data
        data.extend(self.construct_sequence(node))
        data.lines = [item.start_mark.line + 1 for item in node.value]


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_yaml_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_yaml_seq)


class _Problem(NamedTuple):
    """One problem of a config: the key path, its line (None: filled in later), what is wrong."""

    path: tuple
    line: int | None
    message: str


def _key_path(path: tuple) -> str:
    """``("visits", 2, "week")`` -> ``"visits[2].week"``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _plain(value: object, memo: dict | None = None) -> object:
    """The value with the loader's containers turned into plain dicts and lists
    (shared aliases stay shared; a recursive alias does not loop)."""
    memo = {} if memo is None else memo
    if isinstance(value, dt.date):  # YAML reads an unquoted 2019-06-30 as a date
        return value.isoformat()
    if not isinstance(value, (dict, list)):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, dict):
        out: dict | list = {}
        memo[id(value)] = out
        out.update((k, _plain(v, memo)) for k, v in value.items())
    else:
        out = []
        memo[id(value)] = out
        out.extend(_plain(v, memo) for v in value)
    return out


def _index(value: object, path: tuple, lines: dict, problems: list, active: set) -> None:
    """Record the line of every key path under ``value``, and each duplicate key."""
    if id(value) in active:
        return
    if isinstance(value, _Map):
        active.add(id(value))
        for key, line, first in value.duplicates:
            problems.append(_Problem(path + (key,), line, f"duplicate key (first given at line {first})"))
        for key, item in value.items():
            lines[path + (key,)] = value.lines.get(key)
            _index(item, path + (key,), lines, problems, active)
        active.discard(id(value))
    elif isinstance(value, _Seq):
        active.add(id(value))
        for i, (item, line) in enumerate(zip(value, value.lines, strict=False)):
            lines[path + (i,)] = line
            _index(item, path + (i,), lines, problems, active)
        active.discard(id(value))


def _load_yaml(text: str, where: str) -> tuple[object, dict[tuple, int], list[_Problem]]:
    """Parse YAML text: the plain value, the line of each key path, duplicate keys.

    Raises
    ------
    ConfigError
        The text is not YAML; the message starts with ``where``.
    """
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # a SafeLoader: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f", line {mark.line + 1}" if mark is not None else ""
        what = "; ".join(str(m) for m in (exc.context, exc.problem) if m)
        raise ConfigError(f"{where}{at}: not valid YAML: {what}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from exc
    lines: dict[tuple, int] = {(): 1}
    problems: list[_Problem] = []
    _index(raw, (), lines, problems, set())
    return _plain(raw), lines, problems


def parse_yaml_value(text: str, where: str) -> object:
    """One YAML literal, as given to ``--set`` (``0.4``, ``[a, b]``, ``{x: 1}``).

    Parameters
    ----------
    text : str
        The literal.
    where : str
        What to name in a message, e.g. ``"--set sri.null_rate"``.

    Returns
    -------
    object
        The value, with plain ``dict`` and ``list`` containers.

    Raises
    ------
    ConfigError
        The text is empty, not YAML, or a mapping in it repeats a key.

    Examples
    --------
    >>> parse_yaml_value("[a, 2]", "--set x.y")
    ['a', 2]
    """
    if not text.strip():
        raise ConfigError(f"{where}: no value (write null for None, '' for an empty string)")
    value, _, duplicates = _load_yaml(text, where)
    if duplicates:
        raise ConfigError(f"{where}: key {duplicates[0].path[-1]!r} is given twice")
    return value


# ---------------------------------------------------------------------------------------
# schema errors as messages


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _suggestion(word: object, choices: Iterable[object]) -> str:
    """`` (did you mean 'primary_week'?)`` when one choice is close to ``word``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _quoted_hint(types: set[str], value: object) -> str:
    """``; write false without quotes`` for a quoted boolean or number."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if "boolean" in types and text.lower() in ("true", "false"):
        return f"; write {text.lower()} without quotes"
    if types & {"number", "integer"}:
        try:
            float(text)
        except ValueError:
            return ""
        return f"; write {text} without quotes"
    return ""


def _schema_problems(raw: dict) -> list[_Problem]:
    """Every schema violation of ``raw``, one problem each (lines filled in later)."""
    problems = []
    for error in _validator().iter_errors(raw):
        path = tuple(error.absolute_path)
        schema = error.schema
        expected = schema.get("x-expected") if isinstance(schema, dict) else None
        kind = error.validator
        if "propertyNames" in error.schema_path:
            key = error.instance
            problems.append(_Problem(path + (key,), None, f"{key!r} is not {expected}{_suggestion(key, schema.get('enum', ()))}"))
        elif kind == "required":
            for key in error.validator_value:
                if key not in error.instance:
                    problems.append(_Problem(path, None, f"missing required key {key!r}"))
        elif kind == "additionalProperties":
            known = sorted(schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    problems.append(_Problem(
                        path + (key,), None,
                        f"unknown key{_suggestion(key, known)}; known keys are {known}",
                    ))
        elif kind == "uniqueItems":
            seen: list = []
            for i, item in enumerate(error.instance):
                if item in seen:
                    problems.append(_Problem(path + (i,), None, f"{item!r} is given twice"))
                    break
                seen.append(item)
        else:
            types = schema.get("type", [])
            types = {types} if isinstance(types, str) else set(types)
            hint = _quoted_hint(types, error.instance) if kind == "type" else ""
            if kind == "enum":
                hint = _suggestion(error.instance, error.validator_value)
            if expected:
                message = f"expected {expected}, got {_shown(error.instance)}{hint}"
            else:  # pragma: no cover - every subschema says what it expects
                message = error.message
            problems.append(_Problem(path, None, message))
    return problems


# ---------------------------------------------------------------------------------------
# cross-key checks


def _cross_problems(raw: dict, broken: set[tuple]) -> list[_Problem]:
    """What the schema cannot say. ``broken``: key paths with a schema problem; a check
    only looks at keys that passed the schema."""

    def ok(key: str) -> bool:
        return key in raw and not any(p[:1] == (key,) for p in broken)

    problems = []
    visits_broken = any(p[:1] == ("visits",) for p in broken)
    if raw.get("contract", "sle") == "sle" and not raw.get("visits") and not visits_broken:
        where = ("visits",) if "visits" in raw else ()
        problems.append(_Problem(
            where, None,
            "missing required key 'visits' (the visit schedule) for a cohort with the sle contract",
        ))

    weeks: list[int] | None = None
    if ok("visits"):
        weeks = [int(v["week"]) for v in raw["visits"]]
        for i in range(1, len(weeks)):
            if weeks[i] <= weeks[i - 1]:
                problems.append(_Problem(
                    ("visits", i, "week"), None, f"visit weeks must be strictly increasing, got {weeks}",
                ))
                break
    elif "visits" not in raw:
        weeks = []
    if ok("primary_week") and raw["primary_week"] is not None and weeks is not None:
        primary = int(raw["primary_week"])
        if primary not in weeks[1:]:
            problems.append(_Problem(
                ("primary_week",), None, f"primary_week {primary} is not a post-baseline visit week {weeks[1:]}",
            ))

    reference = raw.get("reference_arm")
    if ok("reference_arm") and ok("arms") and reference is not None and reference not in raw["arms"]:
        problems.append(_Problem(
            ("reference_arm",), None,
            f"reference_arm {reference!r} is not one of the arms {raw['arms']}{_suggestion(reference, raw['arms'])}",
        ))

    if ok("courses"):
        courses = [(i, int(c["number"]), int(c["start_day"]), int(c["end_day"])) for i, c in enumerate(raw["courses"])]
        numbers: dict[int, int] = {}
        for i, number, start, end in courses:
            if number in numbers:
                problems.append(_Problem(
                    ("courses", i, "number"), None, f"course number {number} is given twice (also courses[{numbers[number]}])",
                ))
            numbers.setdefault(number, i)
            if start > end:
                problems.append(_Problem(
                    ("courses", i), None, f"course {number} starts on day {start}, after it ends on day {end}",
                ))
        # In order of start day, each course must start after every earlier one ended.
        latest = None  # the course reaching furthest so far
        for i, number, start, end in sorted((c for c in courses if c[2] <= c[3]), key=lambda c: (c[2], c[0])):
            if latest is not None and start <= latest[3]:
                _, n1, s1, e1 = latest
                problems.append(_Problem(
                    ("courses", i), None, f"course {number} (days {start}-{end}) overlaps course {n1} (days {s1}-{e1})",
                ))
            if latest is None or end > latest[3]:
                latest = (i, number, start, end)

    if ok("parameters"):
        for chapter, overrides in raw["parameters"].items():
            for name, value in overrides.items():
                problem = _parameter_problem(name, value, None)
                if problem:
                    problems.append(_Problem(("parameters", chapter, name), None, problem[1]))

    if ok("analysis") and weeks is not None:
        for i, week in enumerate(raw["analysis"].get("secondary_weeks") or []):
            if int(week) not in weeks[1:]:
                problems.append(_Problem(
                    ("analysis", "secondary_weeks", i), None,
                    f"secondary week {week} is not a post-baseline visit week {weeks[1:]}",
                ))
    if ok("renal"):
        renal = raw["renal"]
        week = renal.get("week")
        if week is not None and weeks is not None and int(week) not in weeks[1:]:
            problems.append(_Problem(
                ("renal", "week"), None, f"renal week {week} is not a post-baseline visit week {weeks[1:]}",
            ))
        sub = renal.get("subgroup")
        if sub is not None:
            defaults = d.RENAL_DEFAULTS["subgroup"]
            given = {k: sub.get(k, defaults[k]) for k in ("proteinuria_above", "upcr_above", "bilag_grades")}
            if given["proteinuria_above"] is None and given["upcr_above"] is None and not given["bilag_grades"]:
                problems.append(_Problem(
                    ("renal", "subgroup"), None,
                    "defines no criterion: give proteinuria_above, upcr_above or bilag_grades",
                ))
    for key in ("data_cutoff", "database_lock"):
        if ok(key):
            try:
                dt.date.fromisoformat(raw[key])
            except ValueError:
                problems.append(_Problem((key,), None, f"{raw[key]!r} is not a date of the calendar"))
    if ok("data_cutoff") and ok("database_lock") and raw["database_lock"] < raw["data_cutoff"]:
        problems.append(_Problem(
            ("database_lock",), None,
            f"the database was locked ({raw['database_lock']}) before the data cut-off ({raw['data_cutoff']})",
        ))

    if ok("encoding") and raw["encoding"] is not None:
        try:
            codecs.lookup(raw["encoding"])
        except LookupError:
            problems.append(_Problem(
                ("encoding",), None,
                f"Python knows no text encoding {raw['encoding']!r} (e.g. 'utf-8', 'latin-1', 'cp1252')",
            ))
    return problems


def _describe(path: Path, problem: _Problem) -> str:
    if not problem.path and problem.line is None:
        return f"{path}: {problem.message}"
    at = f"line {problem.line}, " if problem.line else ""
    return f"{path}, {at}key {_key_path(problem.path)}: {problem.message}"


def _line_of(lines: dict[tuple, int], key: tuple) -> int | None:
    """The line of a key path, or of its nearest ancestor the file has."""
    while key:
        if lines.get(key):
            return lines[key]
        key = key[:-1]
    return None


# ---------------------------------------------------------------------------------------
# reading


def read_cohort_config(path: str | Path) -> CohortConfig:
    """Read and check a cohort config.

    Parameters
    ----------
    path : str or Path
        ``cohort.yml`` itself, or the cohort folder that holds it.

    Returns
    -------
    CohortConfig
        With ``data_dir`` resolved to an absolute path.

    Raises
    ------
    ConfigError
        Listing every problem found, one line each, as
        ``<file>, line <n>, key <key path>: <what was expected, and what was found>``
        (``<file>: <message>`` for a problem of the whole file, such as a missing
        required key). Problems are: a file that is not YAML or not a mapping, a key
        given twice at any depth, a value the schema (:data:`COHORT_SCHEMA`) refuses,
        an unknown key (with the closest known key), and the cross-key rules: visit
        weeks strictly increase, ``primary_week`` is a post-baseline visit,
        ``reference_arm`` is one of ``arms``, the sle contract has visits, each course
        starts on or before its end, courses do not overlap and have distinct numbers,
        and ``encoding`` is a codec Python knows.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "cohort.yml"
    if not path.is_file():
        raise ConfigError(f"{path}: no cohort config here (expected a cohort.yml)")
    path = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    raw, lines, problems = _load_yaml(text, str(path))
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values, got {type(raw).__name__}")
    problems += _schema_problems(raw)
    problems += _cross_problems(raw, {p.path for p in problems})
    if problems:
        located = [p._replace(line=p.line or _line_of(lines, p.path)) for p in problems]
        located.sort(key=lambda p: p.line or 0)  # stable: same line keeps the order found
        messages = list(dict.fromkeys(_describe(path, p) for p in located))
        raise ConfigError("\n".join(messages))
    return _build(path, raw, lines)


def _build(path: Path, raw: dict, lines: dict[tuple, int]) -> CohortConfig:
    """The config from a mapping that passed every check."""
    arms = tuple(raw.get("arms") or ())
    reference = raw.get("reference_arm")
    # The default populations, unless the config names its own (then only those are used,
    # and only their flags are required of adsl).
    populations = {} if raw.get("populations") else {"efficacy": "ITTFL", "safety": "SAFFL"}
    population_arms: dict[str, str] = {}
    population_labels: dict[str, str] = {}
    for name, value in (raw.get("populations") or {}).items():
        if isinstance(value, dict):
            populations[name] = value["flag"]
            if "arm" in value:
                population_arms[name] = value["arm"]
            if "label" in value:
                population_labels[name] = value["label"]
        else:
            populations[name] = value
    plan = raw.get("analysis") or {}
    primary = raw.get("primary_week")
    landing = raw.get("landing")
    return CohortConfig(
        name=path.parent.name,
        config_path=path,
        title=raw["title"],
        label=raw["label"],
        description=raw.get("description", "").strip(),
        simulated=raw.get("simulated", False),
        simulation=dict(raw.get("simulation") or {}),
        source=raw.get("source", "").strip(),
        registry=raw.get("registry", ""),
        disease=raw.get("disease"),
        drug=raw.get("drug"),
        route=raw.get("route"),
        terms_of_interest=tuple(raw.get("terms_of_interest") or ()),
        data_dir=(path.parent / raw.get("data_dir", ".")).resolve(),
        contract=raw.get("contract", "sle"),
        arm_var=raw.get("arm_var", "TRT01A"),
        arms=arms,
        reference_arm=reference if reference is not None else (arms[-1] if len(arms) > 1 else None),
        populations=populations,
        visits=tuple(Visit(int(v["week"]), v["label"]) for v in raw.get("visits") or ()),
        primary_week=int(primary) if primary is not None else None,
        courses=tuple(
            Course(int(c["number"]), int(c["start_day"]), int(c["end_day"])) for c in raw.get("courses") or ()
        ),
        chapters=tuple(raw.get("chapters", CHAPTERS)),
        parameters={k: dict(v) for k, v in (raw.get("parameters") or {}).items()},
        data_queries=raw.get("data_queries", "appendix"),
        landing=(path.parent / landing).resolve() if landing else None,
        alpha=float(raw.get("alpha", 0.05)),
        encoding=raw.get("encoding"),
        reviewed_columns=tuple(raw.get("reviewed_columns") or ()),
        profile=raw.get("profile", "full"),
        min_cell_count=int(raw.get("min_cell_count", 5)),
        figure_width_mm=float(raw.get("figure_width_mm", 85.0)),
        population_arms=population_arms,
        population_labels=population_labels,
        instrument=raw.get("instrument", "SLEDAI-2K"),
        analysis=AnalysisPlan(
            primary_test=plan.get("primary_test", "score"),
            covariates=tuple(plan.get("covariates") or ()),
            secondary_weeks=tuple(int(w) for w in plan.get("secondary_weeks") or ()),
            multiplicity=plan.get("multiplicity", "none"),
            equivalence_margins={k: dict(v) for k, v in (plan.get("equivalence_margins") or {}).items()},
            min_group_size=int(plan.get("min_group_size", 5)),
            baseline_statistics=dict(plan.get("baseline_statistics") or {}),
            baseline_tests=bool(plan.get("baseline_tests", False)),
            treatment_failure=dict(plan.get("treatment_failure") or {}),
        ),
        data_cutoff=raw.get("data_cutoff"),
        database_lock=raw.get("database_lock"),
        blinded=bool(raw.get("blinded", False)),
        locked_analysis_hash=raw.get("analysis_hash"),
        mapping=ExportMapping.from_config(raw.get("mapping")),
        bilag_coding=raw.get("bilag_coding", d.BILAG_CODING_DEFAULT),
        renal=RenalCriteria.from_config(raw.get("renal")),
        steroid_taper=SteroidTaper(**{k: raw["steroid_taper"][k] for k in ("threshold", "source")
                                      if k in (raw.get("steroid_taper") or {})}),
        key_lines={_key_path(k): v for k, v in lines.items() if k and v},
    )


# ---------------------------------------------------------------------------------------
# chapter parameters


def _is_probability(name: str) -> bool:
    return name == "alpha" or name.endswith("_rate")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_KINDS = {bool: ("true or false", "true/false values"), int: ("a whole number", "whole numbers"),
          float: ("a number", "numbers"), str: ("a string", "strings")}


def _element_type(default: object) -> type | None:
    """The one scalar type of every element of a list default, or None."""
    types = {type(v) for v in default} if isinstance(default, (list, tuple)) else set()
    return types.pop() if len(types) == 1 and next(iter(types)) in _KINDS else None


def _kind(value: object) -> str:
    """What a value is, in words: ``a number``, ``a list of strings``."""
    if type(value) in _KINDS:
        return _KINDS[type(value)][0]
    if isinstance(value, (list, tuple)):
        element = _element_type(value)
        return f"a list of {_KINDS[element][1]}" if element else "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def check_parameter_value(
    chapter: str,
    name: str,
    value: object,
    default: object,
    *,
    where: str | None = None,
) -> object:
    """Check a chapter parameter override against the default the notebook declares.

    An override comes from ``--set CHAPTER.NAME=VALUE`` or from the ``parameters:`` key
    of ``cohort.yml``; papermill would inject any value, so a mistyped one would only
    fail deep inside the chapter, or worse, run.

    Parameters
    ----------
    chapter : str
        The chapter (``"sri"``).
    name : str
        The parameter (``"null_rate"``).
    value : object
        The override, as parsed from YAML (plain ``int``, ``float``, ``bool``, ``str``,
        ``list``, ``dict`` or ``None``).
    default : object
        The notebook's declared default, as a value (``0.3``, not the source text
        ``"0.3"`` that ``papermill.inspect_notebook`` gives: pass it through
        ``ast.literal_eval`` first).
    where : str, optional
        What a message names; default ``"--set <chapter>.<name>"``. For an override
        from ``cohort.yml`` pass ``config.locate(f"parameters.{chapter}.{name}")``.

    Returns
    -------
    object
        The value to inject: ``value`` itself, except a whole float (``10.0``) for a
        whole-number default, which becomes an ``int``.

    Raises
    ------
    ConfigError
        ``<where>: expected <kind> (the notebook's default is <default>), got <value>``;
        ``<where>[i]: expected <kind> like the elements of the notebook's default ...``
        for an element of a list; ``<where>: expected a number from 0 to 1, got <value>``
        for a rate (``between 0 and 0.5`` for ``alpha``).

    Notes
    -----
    The type rules, by the default's type:

    - ``None``: any value (the notebook decides what it accepts);
    - ``bool``: ``true`` or ``false`` only;
    - ``int``: a whole number (not a bool; ``10.0`` is taken as 10);
    - ``float``: a number, whole or not (not a bool);
    - ``str``: a string;
    - ``list``: a list; when every element of the default has one scalar type
      (strings, say), every element of the value must have it too;
    - ``dict``: a mapping.

    A ``None`` value is always accepted: notebooks read None as "the cohort's" or
    "not shown". Whatever the default, a probability-like name (``alpha`` or one
    ending in ``_rate``) must be None or a number: ``alpha`` with
    0 < alpha < :data:`ALPHA_MAX` (the same rule as ``cohort.yml``), a rate between
    0 and 1 inclusive.

    Examples
    --------
    >>> check_parameter_value("sri", "null_rate", 0.4, 0.3)
    0.4
    >>> check_parameter_value("safety", "top_terms", 10.0, 15)
    10
    >>> check_parameter_value("sri", "null_rate", "abc", 0.3)
    Traceback (most recent call last):
    ...
    helpers.errors.ConfigError: --set sri.null_rate: expected a number from 0 to 1, got 'abc'
    >>> check_parameter_value("safety", "top_terms", "15", 15)
    Traceback (most recent call last):
    ...
    helpers.errors.ConfigError: --set safety.top_terms: expected a whole number (the notebook's default is 15), got '15'; write 15 without quotes
    """
    where = where or f"--set {chapter}.{name}"
    if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float) and value.is_integer():
        value = int(value)
    problem = _parameter_problem(name, value, default)
    if problem:
        raise ConfigError(f"{where}{problem[0]}: {problem[1]}")
    return value


def _parameter_problem(name: str, value: object, default: object) -> tuple[str, str] | None:
    """What is wrong with a parameter value, as (``"[i]"`` or ``""``, message), or None."""
    if value is None:
        return None
    if _is_probability(name):
        low, high, closed = (0, ALPHA_MAX, False) if name == "alpha" else (0, 1, True)
        inside = _is_number(value) and math.isfinite(value) and (
            low <= value <= high if closed else low < value < high
        )
        if not inside:
            between = f"from {low} to {high}" if closed else f"between {low} and {high}"
            return "", f"expected a number {between}, got {_shown(value)}{_quoted_hint({'number'}, value)}"
    if default is None:
        return None
    if isinstance(default, bool):
        fits = isinstance(value, bool)
    elif isinstance(default, int):
        fits = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        fits = _is_number(value)
    elif isinstance(default, (list, tuple)):
        fits = isinstance(value, (list, tuple))
        wanted = _element_type(default)
        for i, item in enumerate(value if fits and wanted else ()):
            if wanted is float:
                ok = _is_number(item)
            else:
                ok = isinstance(item, wanted) and (wanted is bool or not isinstance(item, bool))
            if not ok:
                return f"[{i}]", (
                    f"expected {_kind(default[0])} like the elements of the notebook's default "
                    f"{_shown(default)}, got {_shown(item)}"
                )
    elif isinstance(default, Mapping):
        fits = isinstance(value, Mapping)
    else:
        fits = isinstance(value, type(default))
    if fits:
        return None
    types = {"boolean"} if isinstance(default, bool) else {"number"} if _is_number(default) else set()
    return "", (
        f"expected {_kind(default)} (the notebook's default is {default!r}), "
        f"got {_shown(value)}{_quoted_hint(types, value)}"
    )


def resolve_cohort(cohort: str | Path, root: Path) -> Path:
    """A cohort name (``data/<name>``) or a folder holding ``cohort.yml``."""
    p = Path(cohort)
    if (p / "cohort.yml").is_file() or p.name == "cohort.yml":
        return (p if p.is_dir() else p.parent).resolve()
    by_name = root / "data" / str(cohort)
    if (by_name / "cohort.yml").is_file():
        return by_name
    known = sorted(d.name for d in (root / "data").iterdir() if (d / "cohort.yml").is_file())
    raise ConfigError(f"no cohort {str(cohort)!r}: expected data/{cohort}/cohort.yml (cohorts here: {known})")
