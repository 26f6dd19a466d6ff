"""Tests for helpers.config: reading and checking cohort.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.config import CHAPTERS, CohortConfig, ConfigError, Course, Visit, read_cohort_config

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = {
    "title": "T",
    "label": "L",
    "visits": [{"week": 0, "label": "Baseline"}, {"week": 2, "label": "Week 2"}, {"week": 4, "label": "Week 4"}],
}


# ---------------------------------------------------------------------------------------
# the real configs


def test_read_cohort_config_main_cohort():
    cfg = read_cohort_config(ROOT / "data" / "nct02084238")
    assert cfg.name == "nct02084238"
    assert cfg.contract == "sle"
    assert cfg.arms == ("IL-2",)
    assert cfg.reference_arm is None  # a single arm has no reference
    assert cfg.weeks == (0, 2, 4, 6, 8, 10, 12)
    assert cfg.baseline_week == 0
    assert cfg.post_baseline_weeks == (2, 4, 6, 8, 10, 12)
    assert cfg.primary_week == 10
    assert cfg.courses == (Course(1, 1, 28), Course(2, 29, 56), Course(3, 57, 84))
    assert cfg.chapters == ("cohort", "sri", "organ", "labs", "immunology", "safety")
    assert cfg.parameters == {"sri": {"null_rate": 0.3}}
    assert cfg.data_queries == "error"
    assert cfg.alpha == 0.05
    assert cfg.simulated is True
    assert cfg.data_dir == (ROOT / "data" / "nct02084238").resolve()


def test_read_cohort_config_randomized_cohort():
    cfg = read_cohort_config(ROOT / "data" / "nct02465580" / "cohort.yml")
    assert cfg.arms == ("IL-2", "Placebo")
    assert cfg.reference_arm == "Placebo"
    assert cfg.primary_week == 12
    assert cfg.weeks[-1] == 24
    assert cfg.landing == (ROOT / "data" / "nct02465580" / "intro.md").resolve()


def test_read_cohort_config_adam_cohort_without_visits():
    cfg = read_cohort_config(ROOT / "data" / "cdiscpilot01")
    assert cfg.contract == "adam"
    assert cfg.visits == ()
    assert cfg.weeks == ()
    assert cfg.baseline_week == 0
    assert cfg.primary_week is None
    assert cfg.arms == ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
    assert cfg.chapters == ("cohort", "safety")
    # data_dir is relative to the cohort folder
    assert cfg.data_dir == (ROOT.parent / "shared" / "external" / "cdiscpilot01").resolve()
    assert cfg.parameters["cohort"]["extra_baseline"][0] == ["MMSETOT", "MMSE total score", "continuous"]


# ---------------------------------------------------------------------------------------
# defaults and derived attributes


def test_read_cohort_config_defaults(write_yaml):
    cfg = read_cohort_config(write_yaml(MINIMAL))
    assert isinstance(cfg, CohortConfig)
    assert cfg.contract == "sle"
    assert cfg.arm_var == "TRT01A"
    assert cfg.arms == ()
    assert cfg.reference_arm is None
    assert cfg.populations == {"efficacy": "ITTFL", "safety": "SAFFL"}
    assert cfg.chapters == CHAPTERS
    assert cfg.primary_week is None
    assert cfg.courses == ()
    assert cfg.data_queries == "error"
    assert cfg.landing is None
    assert cfg.simulated is False
    assert cfg.description == ""


def test_read_cohort_config_accepts_folder_or_file(write_yaml):
    path = write_yaml(MINIMAL)
    assert read_cohort_config(path.parent) == read_cohort_config(path)


def test_read_cohort_config_visit_label_and_weeks(write_yaml):
    cfg = read_cohort_config(write_yaml(MINIMAL))
    assert cfg.visits == (Visit(0, "Baseline"), Visit(2, "Week 2"), Visit(4, "Week 4"))
    assert cfg.visit_label(4) == "Week 4"
    assert cfg.post_baseline_weeks == (2, 4)
    with pytest.raises(ConfigError, match=r"week 3 is not in the visit schedule"):
        cfg.visit_label(3)


def test_read_cohort_config_reference_arm_defaults_to_last_of_several(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "arms": ["High", "Low", "Placebo"]}))
    assert cfg.reference_arm == "Placebo"


def test_read_cohort_config_reference_arm_given(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "arms": ["Placebo", "IL-2"], "reference_arm": "Placebo"}))
    assert cfg.reference_arm == "Placebo"


def test_read_cohort_config_single_arm_has_no_reference(write_yaml):
    assert read_cohort_config(write_yaml({**MINIMAL, "arms": ["IL-2"]})).reference_arm is None


def test_read_cohort_config_populations_merge_with_defaults(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "populations": {"efficacy": "FASFL"}}))
    assert cfg.populations == {"efficacy": "FASFL", "safety": "SAFFL"}


def test_read_cohort_config_data_dir_relative_to_the_config(write_yaml):
    path = write_yaml({**MINIMAL, "data_dir": "../tables"})
    assert read_cohort_config(path).data_dir == (path.parent.parent / "tables").resolve()


def test_read_cohort_config_with_data_dir_returns_a_copy(write_yaml, tmp_path):
    cfg = read_cohort_config(write_yaml(MINIMAL))
    other = cfg.with_data_dir(tmp_path / "elsewhere")
    assert other.data_dir == (tmp_path / "elsewhere").resolve()
    assert cfg.data_dir == cfg.config_path.parent  # unchanged
    assert other.visits == cfg.visits


def test_read_cohort_config_data_queries_appendix(write_yaml):
    assert read_cohort_config(write_yaml({**MINIMAL, "data_queries": "appendix"})).data_queries == "appendix"


def test_read_cohort_config_parameters_all_and_chapters(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "parameters": {"all": {"x": 1}, "sri": {"null_rate": 0.2}}}))
    assert cfg.parameters == {"all": {"x": 1}, "sri": {"null_rate": 0.2}}


def test_read_cohort_config_adam_needs_no_visits(write_yaml):
    cfg = read_cohort_config(write_yaml({"title": "T", "label": "L", "contract": "adam"}))
    assert cfg.contract == "adam"
    assert cfg.visits == ()


def test_read_cohort_config_primary_week_last_visit(write_yaml):
    assert read_cohort_config(write_yaml({**MINIMAL, "primary_week": 4})).primary_week == 4


# ---------------------------------------------------------------------------------------
# errors


def test_read_cohort_config_no_file(tmp_path):
    with pytest.raises(ConfigError, match=r"no cohort config here \(expected a cohort.yml\)"):
        read_cohort_config(tmp_path)


def test_read_cohort_config_invalid_yaml(write_yaml):
    path = write_yaml("title: [unclosed\n")
    with pytest.raises(ConfigError, match=r"cohort.yml: not valid YAML"):
        read_cohort_config(path)


def test_read_cohort_config_top_level_not_a_mapping(write_yaml):
    with pytest.raises(ConfigError, match=r"the top level must be a mapping"):
        read_cohort_config(write_yaml("- a\n- b\n"))


def test_read_cohort_config_empty_file(write_yaml):
    with pytest.raises(ConfigError, match=r"missing required key 'title'"):
        read_cohort_config(write_yaml(""))


@pytest.mark.parametrize("key", ["title", "label"])
def test_read_cohort_config_missing_required_key(write_yaml, key):
    cfg = {k: v for k, v in MINIMAL.items() if k != key}
    with pytest.raises(ConfigError, match=rf"cohort.yml: missing required key '{key}'"):
        read_cohort_config(write_yaml(cfg))


def test_read_cohort_config_sle_needs_visits(write_yaml):
    with pytest.raises(ConfigError, match=r"missing required key 'visits' .* sle contract"):
        read_cohort_config(write_yaml({"title": "T", "label": "L"}))


def test_read_cohort_config_unknown_keys(write_yaml):
    with pytest.raises(ConfigError, match=r"unknown keys \['colour', 'primary_weeks'\]"):
        read_cohort_config(write_yaml({**MINIMAL, "primary_weeks": 2, "colour": "red"}))


def test_read_cohort_config_unknown_contract(write_yaml):
    with pytest.raises(ConfigError, match=r"contract must be one of \['sle', 'adam'\], got 'sdtm'"):
        read_cohort_config(write_yaml({**MINIMAL, "contract": "sdtm"}))


def test_read_cohort_config_visit_without_label(write_yaml):
    cfg = {**MINIMAL, "visits": [{"week": 0, "label": "Baseline"}, {"week": 2}]}
    with pytest.raises(ConfigError, match=r"visits\[1\] must have 'week' and 'label'"):
        read_cohort_config(write_yaml(cfg))


@pytest.mark.parametrize(
    "weeks, shown",
    [([0, 4, 2], r"\[0, 4, 2\]"), ([0, 2, 2], r"\[0, 2, 2\]")],
    ids=["decreasing", "repeated"],
)
def test_read_cohort_config_visits_not_strictly_increasing(write_yaml, weeks, shown):
    cfg = {**MINIMAL, "visits": [{"week": w, "label": f"W{w}"} for w in weeks]}
    with pytest.raises(ConfigError, match=rf"visit weeks must be strictly increasing, got {shown}"):
        read_cohort_config(write_yaml(cfg))


@pytest.mark.parametrize("week", [0, 3, 6], ids=["baseline", "between-visits", "after-last"])
def test_read_cohort_config_primary_week_not_post_baseline(write_yaml, week):
    with pytest.raises(ConfigError, match=rf"primary_week {week} is not a post-baseline visit week \[2, 4\]"):
        read_cohort_config(write_yaml({**MINIMAL, "primary_week": week}))


def test_read_cohort_config_unknown_chapters(write_yaml):
    with pytest.raises(ConfigError, match=r"unknown chapters \['efficacy'\]"):
        read_cohort_config(write_yaml({**MINIMAL, "chapters": ["cohort", "efficacy"]}))


def test_read_cohort_config_parameters_for_unknown_chapter(write_yaml):
    with pytest.raises(ConfigError, match=r"parameters for unknown chapters \['efficacy'\]"):
        read_cohort_config(write_yaml({**MINIMAL, "parameters": {"efficacy": {"x": 1}}}))


def test_read_cohort_config_parameters_not_a_mapping(write_yaml):
    with pytest.raises(ConfigError, match=r"parameters must map a chapter name to a mapping"):
        read_cohort_config(write_yaml({**MINIMAL, "parameters": {"sri": 0.3}}))


def test_read_cohort_config_course_incomplete(write_yaml):
    cfg = {**MINIMAL, "courses": [{"number": 1, "start_day": 1, "end_day": 28}, {"number": 2, "start_day": 29}]}
    with pytest.raises(ConfigError, match=r"courses\[1\] needs number, start_day, end_day"):
        read_cohort_config(write_yaml(cfg))


def test_read_cohort_config_data_queries_value(write_yaml):
    with pytest.raises(ConfigError, match=r"data_queries must be 'error' or 'appendix', got 'warn'"):
        read_cohort_config(write_yaml({**MINIMAL, "data_queries": "warn"}))


def test_read_cohort_config_reference_arm_not_an_arm(write_yaml):
    cfg = {**MINIMAL, "arms": ["IL-2", "Placebo"], "reference_arm": "placebo"}
    with pytest.raises(ConfigError, match=r"reference_arm 'placebo' is not one of the arms \['IL-2', 'Placebo'\]"):
        read_cohort_config(write_yaml(cfg))


def test_read_cohort_config_error_names_the_file(write_yaml):
    path = write_yaml({**MINIMAL, "contract": "x"})
    with pytest.raises(ConfigError) as info:
        read_cohort_config(path)
    assert str(info.value).startswith(str(path.resolve()))


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


# ---------------------------------------------------------------------------------------
# bugs


def test_read_cohort_config_arms_scalar_refused(write_yaml):
    with pytest.raises(ConfigError, match=r"arms must be a list"):
        read_cohort_config(write_yaml({**MINIMAL, "arms": "IL-2"}))


def test_read_cohort_config_visit_week_not_a_number(write_yaml):
    cfg = {**MINIMAL, "visits": [{"week": 0, "label": "Baseline"}, {"week": "two", "label": "Week 2"}]}
    with pytest.raises(ConfigError, match=r"cohort.yml: visits\[1\] week must be a whole number, got 'two'"):
        read_cohort_config(write_yaml(cfg))


def test_read_cohort_config_primary_week_not_a_number(write_yaml):
    with pytest.raises(ConfigError, match=r"cohort.yml: primary_week must be a whole number, got 'ten'"):
        read_cohort_config(write_yaml({**MINIMAL, "primary_week": "ten"}))
