"""An export mapped to the contract by cohort.yml (helpers.data.mapping), never by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.data import load_cohort, read_cohort_config
from helpers.data.mapping import (
    ExportMapping,
    apply_mapping,
    blank_missing,
    excluded_subjects,
    map_values,
)
from helpers.errors import DataContractError


def test_blank_missing_text_and_categoricals():
    df = pd.DataFrame({"A": ["Y", "NA", ".", " NA "], "B": pd.Categorical(["x", "NA", "x", "y"]), "N": [1.0, 2, 3, 4]})
    out = blank_missing(df, ("", "NA", "."))
    assert out["A"].tolist() == ["Y", "", "", ""]
    assert out["B"].tolist() == ["x", "", "x", "y"] and isinstance(out["B"].dtype, pd.CategoricalDtype)
    assert out["N"].tolist() == [1.0, 2, 3, 4]
    assert df["A"].tolist() == ["Y", "NA", ".", " NA "], "the input is not modified"


def test_blank_missing_only_blank_changes_nothing():
    df = pd.DataFrame({"A": ["NA"]})
    assert blank_missing(df, ("",)) is df


def test_map_values_keeps_others_and_categoricals():
    s = pd.Series(pd.Categorical(["GI/L", "g/L", "GI/L"]))
    out = map_values(s, {"GI/L": "10^9/L"})
    assert out.tolist() == ["10^9/L", "g/L", "10^9/L"] and isinstance(out.dtype, pd.CategoricalDtype)


def test_apply_mapping_renames_codes_units_and_visit_numbers():
    lb = pd.DataFrame({"USUBJID": ["1"] * 4, "AVISITN": [1.0, 2.0, 3.0, 99.0], "PARAMCD": ["WBCX"] * 4,
                       "AVALU": ["GI/L"] * 4, "A1LO": [4.0] * 4, "AVAL": ["5.1", "NA", "4.0", "3.0"]})
    m = ExportMapping(rename={"adlb": {"A1LO": "ANRLO"}}, paramcd={"adlb": {"WBCX": "WBC"}}, units={"GI/L": "10^9/L"},
                      visits={"from": "AVISITN", "weeks": {1: 0, 2: 4, 3: 8}})
    out = apply_mapping(lb, "adlb", m)
    assert out["AVISITN"].tolist() == [0, 4, 8], "the unscheduled visit 99 is left out"
    assert out.index.tolist() == [0, 1, 2], "rows keep their file positions"
    assert out["PARAMCD"].unique().tolist() == ["WBC"] and out["AVALU"].unique().tolist() == ["10^9/L"]
    assert "ANRLO" in out and "A1LO" not in out
    assert out["AVAL"].tolist() == ["5.1", "", "4.0"], "R's NA is a missing value"


def test_apply_mapping_visits_from_labels():
    lb = pd.DataFrame({"USUBJID": ["1", "1"], "AVISIT": ["Baseline", "Week 26"], "AVISITN": [0, 26]})
    out = apply_mapping(lb, "adlb", ExportMapping(visits={"from": "AVISIT", "weeks": {"Baseline": 0, "Week 26": 24}}))
    assert out["AVISITN"].tolist() == [0, 24]


def test_excluded_subjects_first_rule_wins():
    adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "ARM": ["Screen Failure", "Placebo", "Screen Failure"],
                         "RANDFL": ["N", "Y", "N"]})
    rules = ({"column": "ARM", "values": ["Screen Failure"], "reason": "screen failure"},
             {"column": "RANDFL", "values": ["N"], "reason": "not randomized"})
    out = excluded_subjects(adsl, ExportMapping(exclude=rules))
    assert out.to_dict("records") == [{"USUBJID": "1", "reason": "screen failure"},
                                      {"USUBJID": "3", "reason": "screen failure"}]


def test_config_reads_the_mapping(write_yaml):
    cfg = read_cohort_config(write_yaml({
        "title": "T", "label": "L", "contract": "adam",
        "mapping": {"missing_values": ["", "NA"], "units": {"GI/L": "10^9/L"},
                    "exclude": [{"column": "ARM", "values": ["Screen Failure"], "reason": "screen failure"}]}}))
    assert cfg.mapping.missing_values == ("", "NA") and cfg.mapping.units == {"GI/L": "10^9/L"}
    assert cfg.mapping.exclude[0]["reason"] == "screen failure"
    assert read_cohort_config(write_yaml({"title": "T", "label": "L", "contract": "adam"}, "b")).mapping.empty


# ---------------------------------------------------------------------------------------
# a quirky export of the tiny lupus cohort, loaded through the mapping alone


def _quirky(cohort_builder):
    b = cohort_builder
    adsl = b.tables["adsl"]
    screen = adsl.iloc[[0]].assign(USUBJID="S99", TRT01A="Screen Failure", SAFFL="NA", ITTFL="NA",
                                   EOSSTT="DISCONTINUED", DCSREAS="Screen failure")
    b.tables["adsl"] = pd.concat([adsl, screen], ignore_index=True)
    b.tables["adsl"]["DCSREAS"] = b.tables["adsl"]["DCSREAS"].replace("", "NA")
    return b


def test_load_cohort_refuses_the_quirks_without_a_mapping(cohort_builder):
    folder = _quirky(cohort_builder).write()
    with pytest.raises(DataContractError) as err:
        load_cohort(folder)
    text = str(err.value)
    assert "Screen Failure" in text


def test_load_cohort_maps_na_and_leaves_screen_failures_out(cohort_builder):
    b = _quirky(cohort_builder)
    b.config["mapping"] = {"exclude": [{"column": "TRT01A", "values": ["Screen Failure"], "reason": "screen failure"}]}
    cohort = load_cohort(b.write())
    assert cohort["adsl"]["USUBJID"].astype(str).tolist() == ["S01", "S02", "S03"]
    assert cohort.excluded.to_dict("records") == [{"USUBJID": "S99", "reason": "screen failure"}]
    assert cohort["adsl"]["DCSREAS"].tolist() == ["", "", "Withdrawal by subject"]


def test_load_cohort_lists_tables_no_chapter_reads(cohort_builder):
    b = cohort_builder
    b.config["chapters"] = ["cohort", "safety"]
    b.tables["adcyto"].loc[0, "AVAL"] = 250.0  # out of range: not checked, since not used
    cohort = load_cohort(b.write())
    assert "adcyto" in cohort.unused and "adcyto" not in cohort.tables
