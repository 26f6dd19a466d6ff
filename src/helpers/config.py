"""Cohort configuration: what ``data/<name>/cohort.yml`` says about a cohort.

A cohort is a folder holding ``cohort.yml`` and, unless the config points elsewhere,
the cohort's ADaM tables. The config is the single place that knows the arms, the visit
schedule, the primary week and which chapters apply; chapters and derivations receive
these values, they never hard-code them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.errors import ConfigError

#: Every chapter the book knows, in reading order. A cohort picks a subset.
CHAPTERS: tuple[str, ...] = ("cohort", "sri", "organ", "labs", "immunology", "safety")

#: The data contracts a cohort can declare: the full lupus contract, or the generic ADaM
#: core that any trial's ``adsl``/``adae`` pair satisfies.
CONTRACTS: tuple[str, ...] = ("sle", "adam")

_KNOWN_KEYS = {
    "title",
    "label",
    "description",
    "simulated",
    "simulation",
    "source",
    "data_dir",
    "contract",
    "arm_var",
    "arms",
    "populations",
    "visits",
    "primary_week",
    "courses",
    "chapters",
    "parameters",
    "data_queries",
    "landing",
    "alpha",
    "registry",
    "reference_arm",
}


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
class CohortConfig:
    """A cohort's configuration, read and checked from ``cohort.yml``.

    Attributes mirror the YAML keys; see ``data/README.md`` for the meaning of each.
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
    data_queries: str = "error"
    landing: Path | None = None
    alpha: float = 0.05

    @property
    def folder(self) -> Path:
        """The folder holding ``cohort.yml``."""
        return self.config_path.parent

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

    def visit_label(self, week: int) -> str:
        """The ``AVISIT`` label of a scheduled week."""
        for v in self.visits:
            if v.week == week:
                return v.label
        raise ConfigError(f"{self.config_path}: week {week} is not in the visit schedule")

    def with_data_dir(self, data_dir: str | Path) -> CohortConfig:
        """A copy whose tables are read from ``data_dir`` instead."""
        from dataclasses import replace

        return replace(self, data_dir=Path(data_dir).resolve())


def _fail(path: Path, msg: str) -> ConfigError:
    return ConfigError(f"{path}: {msg}")


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
        Naming the file and the key that is missing or wrong.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "cohort.yml"
    if not path.is_file():
        raise ConfigError(f"{path}: no cohort config here (expected a cohort.yml)")
    path = path.resolve()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise _fail(path, "the top level must be a mapping of keys to values")
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise _fail(path, f"unknown keys {unknown}; known keys are {sorted(_KNOWN_KEYS)}")
    for key in ("title", "label"):
        if key not in raw:
            raise _fail(path, f"missing required key {key!r}")
    contract = raw.get("contract", "sle")
    if contract not in CONTRACTS:
        raise _fail(path, f"contract must be one of {list(CONTRACTS)}, got {contract!r}")
    if contract == "sle" and not raw.get("visits"):
        raise _fail(path, "missing required key 'visits' (the visit schedule) for a cohort with the sle contract")

    def whole(value, what: str) -> int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, f"{what} must be a whole number, got {value!r}")
        return value

    visits = []
    for i, v in enumerate(raw.get("visits") or []):
        if not isinstance(v, dict) or "week" not in v or "label" not in v:
            raise _fail(path, f"visits[{i}] must have 'week' and 'label'")
        visits.append(Visit(whole(v["week"], f"visits[{i}] week"), str(v["label"])))
    weeks = [v.week for v in visits]
    if weeks != sorted(set(weeks)):
        raise _fail(path, f"visit weeks must be strictly increasing, got {weeks}")

    primary = raw.get("primary_week")
    if primary is not None:
        primary = whole(primary, "primary_week")
    if primary is not None and int(primary) not in weeks[1:]:
        raise _fail(path, f"primary_week {primary} is not a post-baseline visit week {weeks[1:]}")

    chapters = tuple(raw.get("chapters", CHAPTERS))
    bad = [c for c in chapters if c not in CHAPTERS]
    if bad:
        raise _fail(path, f"unknown chapters {bad}; the book has {list(CHAPTERS)}")

    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict) or any(
        not isinstance(v, dict) for v in parameters.values()
    ):
        raise _fail(path, "parameters must map a chapter name to a mapping of overrides")
    bad = [c for c in parameters if c not in CHAPTERS and c != "all"]
    if bad:
        raise _fail(path, f"parameters for unknown chapters {bad}")

    courses = []
    for i, c in enumerate(raw.get("courses") or []):
        try:
            courses.append(Course(int(c["number"]), int(c["start_day"]), int(c["end_day"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise _fail(path, f"courses[{i}] needs number, start_day, end_day") from exc

    data_queries = raw.get("data_queries", "error")
    if data_queries not in ("error", "appendix"):
        raise _fail(path, f"data_queries must be 'error' or 'appendix', got {data_queries!r}")

    if "arms" in raw and not isinstance(raw["arms"], list):
        raise _fail(path, f"arms must be a list, got {raw['arms']!r}")
    arms = tuple(str(a) for a in raw.get("arms") or ())
    reference = raw.get("reference_arm")
    if reference is not None and arms and str(reference) not in arms:
        raise _fail(path, f"reference_arm {reference!r} is not one of the arms {list(arms)}")

    populations = {"efficacy": "ITTFL", "safety": "SAFFL"}
    populations.update(raw.get("populations") or {})

    landing = raw.get("landing")
    return CohortConfig(
        name=path.parent.name,
        config_path=path,
        title=str(raw["title"]),
        label=str(raw["label"]),
        description=str(raw.get("description", "")).strip(),
        simulated=bool(raw.get("simulated", False)),
        simulation=dict(raw.get("simulation") or {}),
        source=str(raw.get("source", "")).strip(),
        registry=str(raw.get("registry", "")),
        data_dir=(path.parent / raw.get("data_dir", ".")).resolve(),
        contract=contract,
        arm_var=str(raw.get("arm_var", "TRT01A")),
        arms=arms,
        reference_arm=str(reference) if reference is not None else (arms[-1] if len(arms) > 1 else None),
        populations=populations,
        visits=tuple(visits),
        primary_week=int(primary) if primary is not None else None,
        courses=tuple(courses),
        chapters=chapters,
        parameters={k: dict(v) for k, v in parameters.items()},
        data_queries=data_queries,
        landing=(path.parent / landing).resolve() if landing else None,
        alpha=float(raw.get("alpha", 0.05)),
    )
