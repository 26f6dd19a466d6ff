"""Tests for helpers.data.config: reading and checking cohort.yml, and parameter overrides."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from helpers.data.config import (
    CHAPTERS,
    COHORT_SCHEMA,
    CohortConfig,
    ConfigError,
    Course,
    Visit,
    check_parameter_value,
    parse_yaml_value,
    read_cohort_config,
)

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = {
    "title": "T",
    "label": "L",
    "visits": [{"week": 0, "label": "Baseline"}, {"week": 2, "label": "Week 2"}, {"week": 4, "label": "Week 4"}],
}

#: MINIMAL as YAML text, so that tests can name line numbers: title is line 1, visits
#: line 3, visits[0] to visits[2] lines 4 to 6; a line added by ``yml`` is line 7.
MINIMAL_YML = """\
title: T
label: L
visits:
  - {week: 0, label: Baseline}
  - {week: 2, label: Week 2}
  - {week: 4, label: Week 4}
"""


def yml(*lines: str) -> str:
    """MINIMAL_YML followed by ``lines`` (the first of them is line 7)."""
    return MINIMAL_YML + "".join(line + "\n" for line in lines)


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
    assert cfg.data_queries == "appendix"
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
    assert cfg.chapters[:2] == ("cohort", "safety")  # and the generic labs chapter, where it is built
    # data_dir is relative to the cohort folder
    assert cfg.data_dir == (ROOT.parent / "shared" / "external" / "cdiscpilot01").resolve()
    assert cfg.parameters["cohort"]["extra_baseline"][0] == ["MMSETOT", "MMSE total score", "continuous"]


def test_read_cohort_config_real_configs_give_plain_containers():
    cfg = read_cohort_config(ROOT / "data" / "cdiscpilot01")
    assert type(cfg.parameters["safety"]) is dict
    assert type(cfg.parameters["safety"]["site_reaction_terms"]) is list


# ---------------------------------------------------------------------------------------
# the schema


def test_cohort_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(COHORT_SCHEMA)
    assert COHORT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_cohort_schema_every_key_is_in_the_readme_table():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    table = readme.split("## `cohort.yml`", 1)[1].split("\n## ", 1)[0]
    missing = [k for k in COHORT_SCHEMA["properties"] if f"`{k}`" not in table]
    assert missing == []


def test_cohort_schema_every_key_says_what_it_expects():
    def walk(schema, where):
        if isinstance(schema, dict):
            if {"type", "enum"} & set(schema):
                assert "x-expected" in schema, where
            for key, sub in schema.items():
                walk(sub, f"{where}/{key}")

    walk(COHORT_SCHEMA, "")


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
    assert cfg.data_queries == "appendix"
    assert cfg.landing is None
    assert cfg.simulated is False
    assert cfg.description == ""
    assert cfg.encoding is None
    assert cfg.reviewed_columns == ()
    assert cfg.profile == "full"
    assert cfg.min_cell_count == 5


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


def test_read_cohort_config_reference_arm_null_is_the_last_arm(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "arms": ["IL-2", "Placebo"], "reference_arm": None}))
    assert cfg.reference_arm == "Placebo"


def test_read_cohort_config_single_arm_has_no_reference(write_yaml):
    assert read_cohort_config(write_yaml({**MINIMAL, "arms": ["IL-2"]})).reference_arm is None


def test_read_cohort_config_populations_default(write_yaml):
    assert read_cohort_config(write_yaml(MINIMAL)).populations == {"efficacy": "ITTFL", "safety": "SAFFL"}


def test_read_cohort_config_populations_given_are_the_only_ones(write_yaml):
    # issue #15: a config that names its populations requires only their flags of adsl
    cfg = read_cohort_config(write_yaml({**MINIMAL, "populations": {"safety": "SAFFL", "per_protocol": "PPROTFL"}}))
    assert cfg.populations == {"safety": "SAFFL", "per_protocol": "PPROTFL"}


def test_read_cohort_config_data_dir_relative_to_the_config(write_yaml):
    path = write_yaml({**MINIMAL, "data_dir": "../tables"})
    assert read_cohort_config(path).data_dir == (path.parent.parent / "tables").resolve()


def test_read_cohort_config_with_data_dir_returns_a_copy(write_yaml, tmp_path):
    cfg = read_cohort_config(write_yaml(MINIMAL))
    other = cfg.with_data_dir(tmp_path / "elsewhere")
    assert other.data_dir == (tmp_path / "elsewhere").resolve()
    assert cfg.data_dir == cfg.config_path.parent  # unchanged
    assert other.visits == cfg.visits


def test_read_cohort_config_data_queries_error_is_the_opt_in(write_yaml):
    assert read_cohort_config(write_yaml({**MINIMAL, "data_queries": "error"})).data_queries == "error"
    assert read_cohort_config(write_yaml(MINIMAL)).data_queries == "appendix"


def test_read_cohort_config_parameters_all_and_chapters(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "parameters": {"all": {"x": 1}, "sri": {"null_rate": 0.2}}}))
    assert cfg.parameters == {"all": {"x": 1}, "sri": {"null_rate": 0.2}}


def test_read_cohort_config_adam_needs_no_visits(write_yaml):
    cfg = read_cohort_config(write_yaml({"title": "T", "label": "L", "contract": "adam"}))
    assert cfg.contract == "adam"
    assert cfg.visits == ()


def test_read_cohort_config_primary_week_last_visit(write_yaml):
    assert read_cohort_config(write_yaml({**MINIMAL, "primary_week": 4})).primary_week == 4


def test_read_cohort_config_primary_week_null(write_yaml):
    assert read_cohort_config(write_yaml(yml("primary_week: null"))).primary_week is None


def test_read_cohort_config_whole_floats_are_whole_numbers(write_yaml):
    cfg = read_cohort_config(write_yaml(yml("primary_week: 4.0", "courses:", "  - {number: 1.0, start_day: 1, end_day: 28.0}")))
    assert cfg.primary_week == 4 and isinstance(cfg.primary_week, int)
    assert cfg.courses == (Course(1, 1, 28),)
    assert isinstance(cfg.courses[0].end_day, int)


def test_read_cohort_config_new_keys(write_yaml):
    cfg = read_cohort_config(write_yaml(yml(
        "encoding: cp1252", "reviewed_columns: [adsl.SITEID, RACE]", "profile: public", "min_cell_count: 3",
    )))
    assert (cfg.encoding, cfg.reviewed_columns, cfg.profile, cfg.min_cell_count) == (
        "cp1252", ("adsl.SITEID", "RACE"), "public", 3,
    )


def test_read_cohort_config_courses_may_touch(write_yaml):
    cfg = read_cohort_config(write_yaml(yml(
        "courses:", "  - {number: 2, start_day: 29, end_day: 56}", "  - {number: 1, start_day: 1, end_day: 28}",
    )))
    assert cfg.courses == (Course(2, 29, 56), Course(1, 1, 28))  # in the file's order


def test_read_cohort_config_merge_keys_are_not_duplicates(write_yaml):
    cfg = read_cohort_config(write_yaml(yml(
        "courses:",
        "  - &first {number: 1, start_day: 1, end_day: 28}",
        "  - <<: *first",
        "    number: 2",
        "    start_day: 29",
        "    end_day: 56",
    )))
    assert cfg.courses == (Course(1, 1, 28), Course(2, 29, 56))


def test_read_cohort_config_locate(write_yaml):
    path = write_yaml(yml("parameters:", "  sri:", "    null_rate: 0.2"))
    cfg = read_cohort_config(path)
    assert cfg.locate("parameters.sri.null_rate") == f"{path.resolve()}, line 9, key parameters.sri.null_rate"
    assert cfg.locate("visits[2].week") == f"{path.resolve()}, line 6, key visits[2].week"
    assert cfg.locate("alpha") == f"{path.resolve()}, key alpha"  # a default: no line


# ---------------------------------------------------------------------------------------
# errors: the file


def test_read_cohort_config_no_file(tmp_path):
    with pytest.raises(ConfigError, match=r"no cohort config here \(expected a cohort.yml\)"):
        read_cohort_config(tmp_path)


def test_read_cohort_config_invalid_yaml(write_yaml):
    path = write_yaml("title: T\nlabel: [unclosed\n")
    with pytest.raises(ConfigError, match=r"cohort.yml, line 3: not valid YAML: .*expected ',' or ']'"):
        read_cohort_config(path)


def test_read_cohort_config_not_utf8(write_yaml):
    path = write_yaml("")
    path.write_bytes(b"title: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"cohort.yml: not UTF-8 text \(invalid continuation byte at byte 10\)"):
        read_cohort_config(path)


def test_read_cohort_config_top_level_not_a_mapping(write_yaml):
    with pytest.raises(ConfigError, match=r"cohort.yml: the top level must be a mapping of keys to values, got list"):
        read_cohort_config(write_yaml("- a\n- b\n"))


def test_read_cohort_config_empty_file(write_yaml):
    with pytest.raises(ConfigError) as info:
        read_cohort_config(write_yaml(""))
    assert [line.split(": ", 1)[1] for line in str(info.value).splitlines()] == [
        "missing required key 'title'",
        "missing required key 'label'",
        "missing required key 'visits' (the visit schedule) for a cohort with the sle contract",
    ]


def test_read_cohort_config_error_names_the_file(write_yaml):
    path = write_yaml({**MINIMAL, "contract": "x"})
    with pytest.raises(ConfigError) as info:
        read_cohort_config(path)
    assert str(info.value).startswith(str(path.resolve()))


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


# ---------------------------------------------------------------------------------------
# errors: duplicate keys


def test_read_cohort_config_duplicate_key_top_level(write_yaml):
    with pytest.raises(ConfigError, match=r"cohort.yml, line 8, key alpha: duplicate key \(first given at line 7\)$"):
        read_cohort_config(write_yaml(yml("alpha: 0.05", "alpha: 0.1")))


def test_read_cohort_config_duplicate_key_nested(write_yaml):
    text = yml("parameters:", "  sri:", "    null_rate: 0.2", "    null_rate: 0.3")
    with pytest.raises(ConfigError, match=r"line 10, key parameters.sri.null_rate: duplicate key \(first given at line 9\)$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_duplicate_key_in_a_list_item(write_yaml):
    text = "title: T\nlabel: L\nvisits:\n  - {week: 0, label: Baseline}\n  - week: 2\n    label: Week 2\n    week: 3\n"
    with pytest.raises(ConfigError, match=r"line 7, key visits\[1\].week: duplicate key \(first given at line 5\)$"):
        read_cohort_config(write_yaml(text))


# ---------------------------------------------------------------------------------------
# errors: keys and types


@pytest.mark.parametrize("key", ["title", "label"])
def test_read_cohort_config_missing_required_key(write_yaml, key):
    cfg = {k: v for k, v in MINIMAL.items() if k != key}
    with pytest.raises(ConfigError, match=rf"cohort.yml: missing required key '{key}'$"):
        read_cohort_config(write_yaml(cfg))


def test_read_cohort_config_title_a_list(write_yaml):
    text = "title: [Low-dose IL-2, in SLE]\n" + MINIMAL_YML.split("\n", 1)[1]
    with pytest.raises(ConfigError, match=r"cohort.yml, line 1, key title: expected a non-empty string, got \['Low-dose IL-2', 'in SLE'\]$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_label_blank(write_yaml):
    text = MINIMAL_YML.replace("label: L", "label: '  '")
    with pytest.raises(ConfigError, match=r"line 2, key label: expected a non-empty string, got '  '$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_simulated_a_string(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key simulated: expected true or false, got 'false'; write false without quotes$"):
        read_cohort_config(write_yaml(yml('simulated: "false"')))


def test_read_cohort_config_description_empty(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key description: expected a string, got None$"):
        read_cohort_config(write_yaml(yml("description:")))


@pytest.mark.parametrize(
    "value, shown",
    [("abc", "'abc'"), ("1.5", "1.5"), ("0", "0"), ("0.5", "0.5"), ("true", "True"), ('"0.05"', "'0.05'; write 0.05 without quotes")],
    ids=["text", "above-1", "zero", "half", "bool", "quoted-number"],
)
def test_read_cohort_config_alpha_out_of_range(write_yaml, value, shown):
    with pytest.raises(ConfigError, match=rf"cohort.yml, line 7, key alpha: expected a number between 0 and 0.5, got {shown}$"):
        read_cohort_config(write_yaml(yml(f"alpha: {value}")))


def test_read_cohort_config_alpha_accepted(write_yaml):
    assert read_cohort_config(write_yaml(yml("alpha: 0.01"))).alpha == 0.01


def test_read_cohort_config_populations_a_string(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key populations: expected a mapping of populations .* got 'ITTFL'$"):
        read_cohort_config(write_yaml(yml("populations: ITTFL")))


def test_read_cohort_config_population_flag_not_a_string(write_yaml):
    with pytest.raises(ConfigError, match=r"line 9, key populations.safety: expected a flag column of adsl, or \{flag, arm, label\}, got True$"):
        read_cohort_config(write_yaml(yml("populations:", "  efficacy: ITTFL", "  safety: yes")))


def test_read_cohort_config_data_dir_a_number(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key data_dir: expected a folder, relative to cohort.yml, got 5$"):
        read_cohort_config(write_yaml(yml("data_dir: 5")))


def test_read_cohort_config_unknown_key_suggests_the_closest(write_yaml):
    with pytest.raises(ConfigError) as info:
        read_cohort_config(write_yaml(yml("primary_weeks: 2", "colour: red")))
    first, second = str(info.value).splitlines()
    assert "line 7, key primary_weeks: unknown key (did you mean 'primary_week'?); known keys are ['alpha', 'analysis', 'analysis_hash', 'arm_var'," in first
    assert "line 8, key colour: unknown key; known keys are ['alpha'," in second


def test_read_cohort_config_unknown_key_in_a_visit(write_yaml):
    path = write_yaml(MINIMAL_YML.replace("{week: 2, label: Week 2}", "{weeks: 2, label: Week 2}"))
    with pytest.raises(ConfigError) as info:
        read_cohort_config(path)
    assert str(info.value).splitlines() == [
        f"{path.resolve()}, line 5, key visits[1]: missing required key 'week'",
        f"{path.resolve()}, line 5, key visits[1].weeks: unknown key (did you mean 'week'?); known keys are ['label', 'week']",
    ]


def test_read_cohort_config_unknown_contract(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key contract: expected 'sle' or 'adam', got 'sdtm'$"):
        read_cohort_config(write_yaml(yml("contract: sdtm")))


def test_read_cohort_config_sle_needs_visits(write_yaml):
    with pytest.raises(ConfigError, match=r"cohort.yml: missing required key 'visits' \(the visit schedule\) for a cohort with the sle contract$"):
        read_cohort_config(write_yaml({"title": "T", "label": "L"}))


def test_read_cohort_config_sle_visits_empty(write_yaml):
    with pytest.raises(ConfigError, match=r"line 3, key visits: missing required key 'visits' .* sle contract$"):
        read_cohort_config(write_yaml("title: T\nlabel: L\nvisits: []\n"))


def test_read_cohort_config_visit_without_label(write_yaml):
    text = MINIMAL_YML.replace("{week: 2, label: Week 2}", "{week: 2}")
    with pytest.raises(ConfigError, match=r"cohort.yml, line 5, key visits\[1\]: missing required key 'label'$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_visit_week_not_a_number(write_yaml):
    text = MINIMAL_YML.replace("{week: 2, label: Week 2}", "{week: two, label: Week 2}")
    with pytest.raises(ConfigError, match=r"cohort.yml, line 5, key visits\[1\].week: expected a whole number of weeks from 0 to 520, got 'two'$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_visit_week_out_of_range(write_yaml):
    text = MINIMAL_YML.replace("{week: 4, label: Week 4}", "{week: 600, label: Week 600}")
    with pytest.raises(ConfigError, match=r"line 6, key visits\[2\].week: expected a whole number of weeks from 0 to 520, got 600$"):
        read_cohort_config(write_yaml(text))


@pytest.mark.parametrize(
    "weeks, shown, index",
    [([0, 4, 2], r"\[0, 4, 2\]", 2), ([0, 2, 2], r"\[0, 2, 2\]", 2), ([2, 0, 4], r"\[2, 0, 4\]", 1)],
    ids=["decreasing", "repeated", "baseline-after"],
)
def test_read_cohort_config_visits_not_strictly_increasing(write_yaml, weeks, shown, index):
    text = "title: T\nlabel: L\nvisits:\n" + "".join(f"  - {{week: {w}, label: W{w}}}\n" for w in weeks)
    with pytest.raises(ConfigError, match=rf"line {4 + index}, key visits\[{index}\].week: visit weeks must be strictly increasing, got {shown}$"):
        read_cohort_config(write_yaml(text))


@pytest.mark.parametrize("week", [0, 3, 6], ids=["baseline", "between-visits", "after-last"])
def test_read_cohort_config_primary_week_not_post_baseline(write_yaml, week):
    with pytest.raises(ConfigError, match=rf"line 7, key primary_week: primary_week {week} is not a post-baseline visit week \[2, 4\]$"):
        read_cohort_config(write_yaml(yml(f"primary_week: {week}")))


def test_read_cohort_config_primary_week_not_a_number(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key primary_week: expected a whole number of weeks from 0 to 520, or null, got 'ten'$"):
        read_cohort_config(write_yaml(yml("primary_week: ten")))


def test_read_cohort_config_arms_scalar_refused(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key arms: expected a list of arm names, got 'IL-2'$"):
        read_cohort_config(write_yaml(yml("arms: IL-2")))


def test_read_cohort_config_arms_repeated(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key arms\[2\]: 'IL-2' is given twice$"):
        read_cohort_config(write_yaml(yml("arms: [IL-2, Placebo, IL-2]")))


def test_read_cohort_config_reference_arm_not_an_arm(write_yaml):
    cfg = {**MINIMAL, "arms": ["IL-2", "Placebo"], "reference_arm": "placebo"}
    with pytest.raises(ConfigError, match=r"key reference_arm: reference_arm 'placebo' is not one of the arms \['IL-2', 'Placebo'\] \(did you mean 'Placebo'\?\)$"):
        read_cohort_config(write_yaml(cfg))


def test_read_cohort_config_unknown_chapters(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key chapters\[1\]: expected a chapter of the book: 'cohort', .* got 'saftey' \(did you mean 'safety'\?\)$"):
        read_cohort_config(write_yaml(yml("chapters: [cohort, saftey]")))


def test_read_cohort_config_chapters_repeated(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key chapters\[2\]: 'sri' is given twice$"):
        read_cohort_config(write_yaml(yml("chapters: [cohort, sri, sri]")))


def test_read_cohort_config_parameters_for_unknown_chapter(write_yaml):
    with pytest.raises(ConfigError, match=r"line 8, key parameters.efficacy: 'efficacy' is not a chapter of the book \('cohort', .*\) or 'all'$"):
        read_cohort_config(write_yaml(yml("parameters:", "  efficacy: {x: 1}")))


def test_read_cohort_config_parameters_not_a_mapping(write_yaml):
    with pytest.raises(ConfigError, match=r"line 8, key parameters.sri: expected a mapping of parameter names to values, got 0.3$"):
        read_cohort_config(write_yaml(yml("parameters:", "  sri: 0.3")))


def test_read_cohort_config_parameter_name_not_an_identifier(write_yaml):
    with pytest.raises(ConfigError, match=r"line 9, key parameters.sri.null-rate: 'null-rate' is not a parameter name \(letters, digits and _\)$"):
        read_cohort_config(write_yaml(yml("parameters:", "  sri:", "    null-rate: 0.3")))


def test_read_cohort_config_parameter_rate_out_of_range(write_yaml):
    with pytest.raises(ConfigError, match=r"line 9, key parameters.sri.null_rate: expected a number from 0 to 1, got 1.5$"):
        read_cohort_config(write_yaml(yml("parameters:", "  sri:", "    null_rate: 1.5")))


def test_read_cohort_config_course_incomplete(write_yaml):
    text = yml("courses:", "  - {number: 1, start_day: 1, end_day: 28}", "  - {number: 2, start_day: 29}")
    with pytest.raises(ConfigError, match=r"line 9, key courses\[1\]: missing required key 'end_day'$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_course_starts_after_it_ends(write_yaml):
    text = yml("courses:", "  - {number: 1, start_day: 1, end_day: 28}", "  - {number: 2, start_day: 56, end_day: 29}")
    with pytest.raises(ConfigError, match=r"line 9, key courses\[1\]: course 2 starts on day 56, after it ends on day 29$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_courses_overlap(write_yaml):
    text = yml("courses:", "  - {number: 1, start_day: 1, end_day: 28}", "  - {number: 2, start_day: 28, end_day: 56}")
    with pytest.raises(ConfigError, match=r"line 9, key courses\[1\]: course 2 \(days 28-56\) overlaps course 1 \(days 1-28\)$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_course_inside_a_long_course(write_yaml):
    text = yml(
        "courses:",
        "  - {number: 1, start_day: 1, end_day: 100}",
        "  - {number: 2, start_day: 10, end_day: 20}",
        "  - {number: 3, start_day: 30, end_day: 40}",
    )
    with pytest.raises(ConfigError) as info:
        read_cohort_config(write_yaml(text))
    assert [line.split(", ", 1)[1] for line in str(info.value).splitlines()] == [
        "line 9, key courses[1]: course 2 (days 10-20) overlaps course 1 (days 1-100)",
        "line 10, key courses[2]: course 3 (days 30-40) overlaps course 1 (days 1-100)",
    ]


def test_read_cohort_config_course_numbers_repeated(write_yaml):
    text = yml("courses:", "  - {number: 1, start_day: 1, end_day: 28}", "  - {number: 1, start_day: 29, end_day: 56}")
    with pytest.raises(ConfigError, match=r"line 9, key courses\[1\].number: course number 1 is given twice \(also courses\[0\]\)$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_course_day_zero(write_yaml):
    text = yml("courses:", "  - {number: 1, start_day: 0, end_day: 28}")
    with pytest.raises(ConfigError, match=r"line 8, key courses\[0\].start_day: expected a study day from 1 up \(day 1 is the first dose\), got 0$"):
        read_cohort_config(write_yaml(text))


def test_read_cohort_config_data_queries_value(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key data_queries: expected 'error' or 'appendix', got 'warn'$"):
        read_cohort_config(write_yaml(yml("data_queries: warn")))


def test_read_cohort_config_encoding_unknown(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key encoding: Python knows no text encoding 'utf9' \(e.g. 'utf-8', 'latin-1', 'cp1252'\)$"):
        read_cohort_config(write_yaml(yml("encoding: utf9")))


def test_read_cohort_config_profile_value(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key profile: expected 'full' or 'public', got 'Public' \(did you mean 'public'\?\)$"):
        read_cohort_config(write_yaml(yml("profile: Public")))


@pytest.mark.parametrize("value, shown", [("0", "0"), ("2.5", "2.5"), ("five", "'five'")])
def test_read_cohort_config_min_cell_count_value(write_yaml, value, shown):
    with pytest.raises(ConfigError, match=rf"line 7, key min_cell_count: expected a whole number from 1 up, got {shown}$"):
        read_cohort_config(write_yaml(yml(f"min_cell_count: {value}")))


def test_read_cohort_config_reviewed_column_malformed(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key reviewed_columns\[1\]: expected a column, as table.COLUMN or COLUMN, got 'adsl SITEID'$"):
        read_cohort_config(write_yaml(yml("reviewed_columns: [RACE, adsl SITEID]")))


def test_read_cohort_config_simulation_unknown_key(write_yaml):
    with pytest.raises(ConfigError, match=r"line 9, key simulation.sed: unknown key \(did you mean 'seed'\?\); known keys are \['calibrated_to', 'generator', 'imposed', 'seed'\]$"):
        read_cohort_config(write_yaml(yml("simulation:", "  generator: nct02084238", "  sed: 1")))


def test_read_cohort_config_several_problems_reported_together(write_yaml):
    path = write_yaml(yml(
        'simulated: "false"',
        "alpha: abc",
        "data_dir: 5",
        "courses:",
        "  - {number: 1, start_day: 30, end_day: 1}",
        "alpha: 1.5",
    ))
    with pytest.raises(ConfigError) as info:
        read_cohort_config(path)
    assert str(info.value).splitlines() == [
        f"{path.resolve()}, line 7, key simulated: expected true or false, got 'false'; write false without quotes",
        f"{path.resolve()}, line 9, key data_dir: expected a folder, relative to cohort.yml, got 5",
        f"{path.resolve()}, line 11, key courses[0]: course 1 starts on day 30, after it ends on day 1",
        f"{path.resolve()}, line 12, key alpha: duplicate key (first given at line 8)",
        f"{path.resolve()}, line 12, key alpha: expected a number between 0 and 0.5, got 1.5",
    ]


# ---------------------------------------------------------------------------------------
# parse_yaml_value


@pytest.mark.parametrize(
    "text, expected",
    [("0.4", 0.4), ("holm", "holm"), ("[a, 2]", ["a", 2]), ("{x: 1}", {"x": 1}), ("null", None), ("''", "")],
)
def test_parse_yaml_value_literals(text, expected):
    value = parse_yaml_value(text, "--set x.y")
    assert value == expected
    assert type(value) is type(expected)


def test_parse_yaml_value_empty():
    with pytest.raises(ConfigError, match=r"--set x.y: no value \(write null for None, '' for an empty string\)"):
        parse_yaml_value(" ", "--set x.y")


def test_parse_yaml_value_not_yaml():
    with pytest.raises(ConfigError, match=r"--set x.y, line 1: not valid YAML: .*expected ',' or ']'"):
        parse_yaml_value("[a, b", "--set x.y")


def test_parse_yaml_value_duplicate_key():
    with pytest.raises(ConfigError, match=r"--set x.y: key 'a' is given twice"):
        parse_yaml_value("{a: 1, a: 2}", "--set x.y")


# ---------------------------------------------------------------------------------------
# check_parameter_value


@pytest.mark.parametrize(
    "default, value, expected",
    [
        (0.0, 5, 5),  # an int for a float default, left as written
        (0.0, 2.5, 2.5),
        (15, 10, 10),
        (15, 10.0, 10),  # a whole float for an int default becomes an int
        (True, False, False),
        ("holm", "bonferroni", "bonferroni"),
        (["RELATED"], ["Y", "PROBABLE"], ["Y", "PROBABLE"]),
        ([], [["AGE", "Age", "continuous"]], [["AGE", "Age", "continuous"]]),
        ({"a": 1}, {"b": 2}, {"b": 2}),
        (None, "anything", "anything"),
        (None, [1, "mixed"], [1, "mixed"]),
        (7, None, None),  # None: "not shown" or "the cohort's"
    ],
)
def test_check_parameter_value_accepted(default, value, expected):
    out = check_parameter_value("safety", "x", value, default)
    assert out == expected
    assert type(out) is type(expected)


@pytest.mark.parametrize(
    "default, value, message",
    [
        (0.0, "abc", r"expected a number \(the notebook's default is 0.0\), got 'abc'$"),
        (0.0, True, r"expected a number \(the notebook's default is 0.0\), got True$"),
        (15, 2.5, r"expected a whole number \(the notebook's default is 15\), got 2.5$"),
        (15, True, r"expected a whole number \(the notebook's default is 15\), got True$"),
        (15, "15", r"expected a whole number \(the notebook's default is 15\), got '15'; write 15 without quotes$"),
        (True, 1, r"expected true or false \(the notebook's default is True\), got 1$"),
        (True, "false", r"expected true or false \(the notebook's default is True\), got 'false'; write false without quotes$"),
        ("holm", 3, r"expected a string \(the notebook's default is 'holm'\), got 3$"),
        (["RELATED"], "RELATED", r"expected a list of strings \(the notebook's default is \['RELATED'\]\), got 'RELATED'$"),
        ({"a": 1}, [1], r"expected a mapping \(the notebook's default is \{'a': 1\}\), got \[1\]$"),
    ],
)
def test_check_parameter_value_refused(default, value, message):
    with pytest.raises(ConfigError, match=r"^--set safety.x: " + message):
        check_parameter_value("safety", "x", value, default)


def test_check_parameter_value_list_element():
    with pytest.raises(ConfigError, match=r"^--set safety.related_values\[1\]: expected a string like the elements of the notebook's default \['RELATED', 'Y'\], got 3$"):
        check_parameter_value("safety", "related_values", ["RELATED", 3], ["RELATED", "Y"])


def test_check_parameter_value_float_default_refuses_text():
    with pytest.raises(ConfigError, match=r"^--set sri.null_rate: expected a number from 0 to 1, got 'abc'$"):
        check_parameter_value("sri", "null_rate", "abc", 0.3)


@pytest.mark.parametrize("value", [0, 0.3, 1])
def test_check_parameter_value_rate_bounds_accepted(value):
    assert check_parameter_value("sri", "null_rate", value, 0.3) == value


@pytest.mark.parametrize("value, shown", [(1.5, "1.5"), (-0.1, "-0.1"), (float("nan"), "nan"), (True, "True")])
def test_check_parameter_value_rate_out_of_range(value, shown):
    with pytest.raises(ConfigError, match=rf"^--set sri.null_rate: expected a number from 0 to 1, got {shown}$"):
        check_parameter_value("sri", "null_rate", value, 0.3)


@pytest.mark.parametrize("value", [0, 0.5, "abc"])
def test_check_parameter_value_alpha_with_a_none_default(value):
    with pytest.raises(ConfigError, match=rf"^--set labs.alpha: expected a number between 0 and 0.5, got {value!r}$"):
        check_parameter_value("labs", "alpha", value, None)


def test_check_parameter_value_alpha_accepted():
    assert check_parameter_value("labs", "alpha", 0.01, None) == 0.01
    assert check_parameter_value("labs", "alpha", None, None) is None


def test_check_parameter_value_where():
    where = "data/x/cohort.yml, line 40, key parameters.sri.null_rate"
    with pytest.raises(ConfigError, match=r"^data/x/cohort.yml, line 40, key parameters.sri.null_rate: expected a number from 0 to 1"):
        check_parameter_value("sri", "null_rate", 2, 0.3, where=where)


# ---------------------------------------------------------------------------------------
# the pre-specified analysis (issue #13)


def test_populations_with_their_arm_variables(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "populations": {
        "efficacy": {"flag": "ITTFL", "arm": "TRT01P", "label": "modified intention-to-treat"},
        "safety": "SAFFL"}}))
    assert cfg.populations == {"efficacy": "ITTFL", "safety": "SAFFL"}
    assert cfg.population_arm("efficacy") == "TRT01P" and cfg.population_arm("safety") == "TRT01A"
    assert cfg.population_labels == {"efficacy": "modified intention-to-treat"}


def test_analysis_plan_defaults(write_yaml):
    plan = read_cohort_config(write_yaml(MINIMAL)).analysis
    assert (plan.primary_test, plan.multiplicity, plan.min_group_size, plan.baseline_tests) == ("score", "none", 5, False)
    assert plan.equivalence_margins == {} and plan.treatment_failure == {}


def test_analysis_plan_read(write_yaml):
    cfg = read_cohort_config(write_yaml({**MINIMAL, "primary_week": 2, "analysis": {
        "primary_test": "logistic", "covariates": ["SLEDAIBL"], "secondary_weeks": [4], "multiplicity": "holm",
        "equivalence_margins": {"TH1": {"margin": 1.5, "source": "a citation"}}, "min_group_size": 10,
        "baseline_statistics": {"AGE": "mean_sd"}, "baseline_tests": True,
        "treatment_failure": {"steroid_increase": True, "steroid_margin": 5}}}))
    plan = cfg.analysis
    assert plan.primary_test == "logistic" and plan.covariates == ("SLEDAIBL",) and plan.secondary_weeks == (4,)
    assert plan.equivalence_margins["TH1"] == {"margin": 1.5, "source": "a citation"}
    assert plan.baseline_statistics == {"AGE": "mean_sd"} and plan.treatment_failure["steroid_margin"] == 5


def test_analysis_secondary_week_must_be_a_visit(write_yaml):
    with pytest.raises(ConfigError, match=r"line 9, key analysis.secondary_weeks\[0\]: secondary week 3 is not a post-baseline visit week \[2, 4\]"):
        read_cohort_config(write_yaml(yml("analysis:", "  secondary_weeks:", "    - 3")))


def test_analysis_unknown_test_and_margin_without_source(write_yaml):
    with pytest.raises(ConfigError) as info:
        read_cohort_config(write_yaml(yml("analysis:", "  primary_test: t-test", "  equivalence_margins:",
                                          "    TH1: {margin: 1}")))
    text = str(info.value)
    assert "key analysis.primary_test: expected one of 'score', 'chisq', 'fisher' or 'logistic', got 't-test'" in text
    assert "analysis.equivalence_margins.TH1" in text and "source" in text


def test_dates_and_their_order(write_yaml):
    cfg = read_cohort_config(write_yaml(yml("data_cutoff: 2019-06-30", "database_lock: '2019-07-15'")))
    assert (cfg.data_cutoff, cfg.database_lock) == ("2019-06-30", "2019-07-15")
    with pytest.raises(ConfigError, match=r"line 8, key database_lock: the database was locked \(2019-06-01\) before the data cut-off \(2019-06-30\)"):
        read_cohort_config(write_yaml(yml("data_cutoff: 2019-06-30", "database_lock: 2019-06-01")))
    with pytest.raises(ConfigError, match=r"key data_cutoff: expected a date, YYYY-MM-DD, got 'June'"):
        read_cohort_config(write_yaml(yml("data_cutoff: June")))


def test_instrument_and_blinded(write_yaml):
    cfg = read_cohort_config(write_yaml(yml("instrument: SELENA-SLEDAI", "blinded: true")))
    assert cfg.instrument == "SELENA-SLEDAI" and cfg.blinded
    with pytest.raises(ConfigError, match="key instrument: expected 'SLEDAI-2K' or 'SELENA-SLEDAI', got 'SLEDAI'"):
        read_cohort_config(write_yaml(yml("instrument: SLEDAI")))


def test_analysis_hash_follows_the_analysis_keys_only(write_yaml):
    base = read_cohort_config(write_yaml(MINIMAL, "a")).analysis_hash()
    assert read_cohort_config(write_yaml({**MINIMAL, "title": "Other"}, "b")).analysis_hash() == base
    assert read_cohort_config(write_yaml({**MINIMAL, "alpha": 0.1}, "c")).analysis_hash() != base
    assert read_cohort_config(write_yaml({**MINIMAL, "analysis": {"primary_test": "fisher"}}, "d")).analysis_hash() != base


def test_read_cohort_config_disease_drug_route_terms(write_yaml):
    cfg = read_cohort_config(write_yaml(yml(
        "disease: Alzheimer's disease", "drug: xanomeline", "route: transdermal patch",
        "terms_of_interest: [Herpes zoster, Pneumonia]",
    )))
    assert (cfg.disease, cfg.drug, cfg.route, cfg.terms_of_interest) == (
        "Alzheimer's disease", "xanomeline", "transdermal patch", ("Herpes zoster", "Pneumonia"),
    )


def test_read_cohort_config_disease_drug_route_default_to_none(write_yaml):
    cfg = read_cohort_config(write_yaml(MINIMAL_YML))
    assert (cfg.disease, cfg.drug, cfg.route, cfg.terms_of_interest) == (None, None, None, ())


def test_read_cohort_config_real_configs_name_disease_drug_route():
    got = {c: (cfg.disease, cfg.drug, cfg.route) for c in ("nct02084238", "nct02465580", "cdiscpilot01")
           for cfg in [read_cohort_config(ROOT / "data" / c)]}
    assert got == {
        "nct02084238": ("systemic lupus erythematosus", "low-dose IL-2", "subcutaneous"),
        "nct02465580": ("systemic lupus erythematosus", "low-dose IL-2", "subcutaneous"),
        "cdiscpilot01": ("Alzheimer's disease", "xanomeline", "transdermal patch"),
    }


def test_read_cohort_config_disease_blank(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key disease: expected the disease studied, in lower case .*, got ''$"):
        read_cohort_config(write_yaml(yml("disease: ''")))


def test_read_cohort_config_route_a_list(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key route: expected the route of administration .*, got \['oral'\]$"):
        read_cohort_config(write_yaml(yml("route: [oral]")))


def test_read_cohort_config_terms_of_interest_repeated(write_yaml):
    with pytest.raises(ConfigError, match=r"line 7, key terms_of_interest\[1\]: 'Pneumonia' is given twice$"):
        read_cohort_config(write_yaml(yml("terms_of_interest: [Pneumonia, Pneumonia]")))
