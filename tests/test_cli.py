"""Tests for helpers.cli: the options that are parsed before any work starts."""

from __future__ import annotations

import pytest

from helpers.cli import _parse_set
from helpers.errors import ConfigError, HelpersError


def test_parse_set_values_are_yaml_literals():
    out = _parse_set([
        "sri.null_rate=0.4",
        "labs.padjust=holm",
        "safety.related_values=[RELATED, Y]",
        "safety.planned_doses_per_course=null",
        "sri.primary_week=12",
    ])
    assert out == {
        "sri": {"null_rate": 0.4, "primary_week": 12},
        "labs": {"padjust": "holm"},
        "safety": {"related_values": ["RELATED", "Y"], "planned_doses_per_course": None},
    }


def test_parse_set_value_may_hold_an_equals_sign():
    assert _parse_set(["safety.site_reaction_label=a=b"]) == {"safety": {"site_reaction_label": "a=b"}}


def test_parse_set_last_value_wins():
    assert _parse_set(["sri.null_rate=0.2", "sri.null_rate=0.4"]) == {"sri": {"null_rate": 0.4}}


def test_parse_set_nothing():
    assert _parse_set([]) == {}


@pytest.mark.parametrize("item", ["sri.null_rate", "null_rate=0.4", ".null_rate=0.4", "sri.=0.4"])
def test_parse_set_malformed(item):
    with pytest.raises(ConfigError, match=rf"^--set '{item}': expected CHAPTER.PARAMETER=VALUE, e.g. sri.null_rate=0.4$"):
        _parse_set([item])


def test_parse_set_unknown_chapter():
    with pytest.raises(ConfigError, match=r"^--set sir.null_rate: no chapter 'sir' \(did you mean 'sri'\?\); the book has \['cohort', 'sri', "):
        _parse_set(["sir.null_rate=0.4"])


def test_parse_set_parameter_name_not_an_identifier():
    with pytest.raises(ConfigError, match=r"^--set sri.null-rate: 'null-rate' is not a parameter name \(letters, digits and _\)$"):
        _parse_set(["sri.null-rate=0.4"])


def test_parse_set_value_not_yaml():
    with pytest.raises(ConfigError, match=r"^--set safety.related_values, line 1: not valid YAML: .*expected ',' or ']'"):
        _parse_set(["safety.related_values=[RELATED, Y"])


def test_parse_set_value_empty():
    with pytest.raises(ConfigError, match=r"^--set sri.null_rate: no value \(write null for None, '' for an empty string\)$"):
        _parse_set(["sri.null_rate="])


@pytest.mark.parametrize("value, shown", [("1.5", "1.5"), ("abc", "'abc'")])
def test_parse_set_rate_checked_before_the_build(value, shown):
    with pytest.raises(ConfigError, match=rf"^--set sri.null_rate: expected a number from 0 to 1, got {shown}$"):
        _parse_set([f"sri.null_rate={value}"])


def test_parse_set_errors_are_reported_by_main():
    assert issubclass(ConfigError, HelpersError)  # main() prints HelpersError as "error: ..." and exits 1


# ---------------------------------------------------------------------------------------
# the subcommands, through main() and as the command line


def test_data_validate_valid_cohort(cohort_dir, capsys):
    from helpers.cli import main

    assert main(["data", "validate", str(cohort_dir)]) == 0
    assert "valid (adsl 3" in capsys.readouterr().out


def test_data_validate_reports_every_problem(cohort_builder, capsys):
    from helpers.cli import main

    cohort_builder.set("adsl", 1, "AGE", "abc")
    cohort_builder.set("adpga", 2, "AVAL", 7)
    assert main(["data", "validate", str(cohort_builder.write())]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 2 problem(s)") and "adsl.csv, column AGE, rows 1" in err and "adpga.csv" in err


def test_data_validate_writes_the_cache(cohort_dir, tmp_path):
    from helpers.cli import main

    assert main(["data", "validate", str(cohort_dir), "--write-cache", str(tmp_path / "cache")]) == 0
    assert (tmp_path / "cache" / "manifest.json").is_file() and (tmp_path / "cache" / "adsl.pkl").is_file()


def test_data_contract_prints_markdown(capsys):
    from helpers.cli import main

    assert main(["data", "contract"]) == 0
    out = capsys.readouterr().out
    assert "### `adsl`: Subject-level analysis dataset" in out and "| `USUBJID` |" in out


def test_build_options_are_checked_by_the_parser():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "helpers", "build", "--profile", "secret"], capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice: 'secret'" in proc.stderr


def test_unknown_cohort_names_the_known_ones(capsys):
    from helpers.cli import main

    assert main(["build", "no-such-cohort"]) == 1
    assert "no cohort 'no-such-cohort'" in capsys.readouterr().err
