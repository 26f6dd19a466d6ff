"""An export mapped to the contract by cohort.yml (helpers.data.mapping), never by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.data import load_cohort, read_cohort_config
from helpers.data.mapping import (
    ExportMapping,
    apply_mapping,
    assign_windows,
    blank_missing,
    excluded_subjects,
    map_values,
)
from helpers.errors import ConfigError, DataContractError


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


# ---------------------------------------------------------------------------------------
# units: synonyms always, conversions when cohort.yml declares them


def test_gi_per_litre_is_ten_to_the_ninth_without_a_key():
    from helpers.data.mapping import UNIT_SYNONYMS

    lb = pd.DataFrame({"USUBJID": ["1", "1"], "AVISITN": [0, 0], "PARAMCD": ["WBC", "LYMPH"], "AVALU": ["GI/L", "10E9/L"],
                       "AVAL": [5.1, 1.2]})
    out = apply_mapping(lb, "adlb", ExportMapping())
    assert out["AVALU"].tolist() == ["10^9/L", "10^9/L"] and out["AVAL"].tolist() == [5.1, 1.2]
    assert "G/L" not in UNIT_SYNONYMS, "G/L could be grams: never guessed"


def test_unit_synonyms_leave_dose_units_alone():
    ex = pd.DataFrame({"USUBJID": ["1"], "EXDOSU": ["g/day"]})
    assert apply_mapping(ex, "adex", ExportMapping())["EXDOSU"].tolist() == ["g/day"]


def test_compute_unit_factor_cited_and_dimensional():
    from helpers.data.mapping import CONVERSIONS, compute_unit_factor

    # Young 1987: creatinine 113.12 g/mol, 1 mg/dL = 10 mg/L / 113.12 g/mol = 88.4 umol/L
    assert compute_unit_factor("CREAT", "mg/dL", "umol/L") == 88.42
    assert compute_unit_factor("BILI", "mg/dL", "umol/L") == 17.104
    assert compute_unit_factor("UPCR", "mg/mmol", "mg/g") == 8.84
    assert compute_unit_factor("C3", "mg/dL", "g/L") == pytest.approx(0.01)  # pint
    assert compute_unit_factor("HGB", "g/dL", "g/L") == pytest.approx(10.0)
    assert compute_unit_factor("UPROT", "mg/24h", "g/24h") == pytest.approx(0.001)
    assert compute_unit_factor("WBC", "GI/L", "10^9/L") == 1.0
    assert compute_unit_factor("ANUA", "mg/dL", "umol/L") is None, "a molar conversion needs the analyte's molar mass"
    assert compute_unit_factor("ALT", "U/L", "ukat/L") is None, "pint would read U as atomic mass units"
    assert all(source for _, (_, source) in CONVERSIONS.items())


def test_convert_units_values_and_limits_when_declared():
    lb = pd.DataFrame({"USUBJID": ["1", "1", "1"], "AVISITN": [0, 0, 0], "PARAMCD": ["CREAT", "C3", "ANUA"],
                       "AVALU": ["mg/dL", "mg/dL", "mg/dL"], "AVAL": [1.0, 90.0, 20.0], "ANRLO": [0.5, 90.0, 0.0],
                       "ANRHI": [1.2, 180.0, 20.0]})
    m = ExportMapping(units={"mg/dL": "umol/L"})
    out = apply_mapping(lb, "adlb", m)
    # CREAT converted (contract unit umol/L); C3's contract unit is g/L, not the target:
    # left for validation; ANUA (IU/mL) likewise
    assert out["AVALU"].tolist() == ["umol/L", "mg/dL", "mg/dL"]
    assert out["AVAL"].tolist() == [88.42, 90.0, 20.0]
    assert out["ANRLO"].tolist()[0] == pytest.approx(44.21) and out["ANRHI"].tolist()[0] == pytest.approx(106.104)
    c3 = apply_mapping(lb, "adlb", ExportMapping(units={"mg/dL": "g/L"}))
    assert c3["AVALU"].tolist() == ["mg/dL", "g/L", "mg/dL"] and c3["AVAL"].tolist()[1] == pytest.approx(0.9)
    assert lb["AVAL"].tolist() == [1.0, 90.0, 20.0], "the input is not modified"


def test_convert_units_refuses_incompatible_dimensions_for_a_generic_test():
    from helpers.data.mapping import convert_units

    lb = pd.DataFrame({"PARAMCD": ["GLUC"], "AVALU": ["mg/dL"], "AVAL": [90.0]})
    assert convert_units(lb, {"mg/dL": "mmol/L"})["AVALU"].tolist() == ["mg/dL"], "no molar mass for GLUC"
    assert convert_units(lb, {"mg/dL": "g/L"})["AVAL"].tolist() == [pytest.approx(0.9)]
    odd = pd.DataFrame({"PARAMCD": ["X"], "AVALU": ["x 10^9/L"], "AVAL": [4.0]})
    assert convert_units(odd, {"x 10^9/L": "10^9/L"})[["AVALU", "AVAL"]].values.tolist() == [["10^9/L", 4.0]]


def test_load_cohort_unit_error_names_the_mapping_key_then_converts(cohort_builder):
    lb = cohort_builder.tables["adlb"]
    extra = lb.iloc[[0]].assign(PARAMCD="CREAT", PARAM="Serum creatinine", AVAL=0.8, AVALU="mg/dL", ANRLO=0.5, ANRHI=1.1)
    cohort_builder.tables["adlb"] = pd.concat([lb, extra], ignore_index=True)
    with pytest.raises(DataContractError, match=r"CREAT must be recorded in 'umol/L'; found \['mg/dL'\] \(convert before "
                                                r"loading\); or let `mapping: units: \{'mg/dL': 'umol/L'\}` in cohort.yml "
                                                r"convert it \(x 88.42\)"):
        load_cohort(cohort_builder.write())
    cohort_builder.config["mapping"] = {"units": {"mg/dL": "umol/L"}}
    creat = load_cohort(cohort_builder.write())["adlb"].query("PARAMCD == 'CREAT'")
    assert creat["AVAL"].tolist() == [pytest.approx(70.736)] and creat["AVALU"].astype(str).tolist() == ["umol/L"]


def test_load_cohort_unit_error_without_a_known_conversion(cohort_builder):
    assert cohort_builder.tables["adlb"]["PARAMCD"].tolist()[:2] == ["DSDNA", "C3"]
    cohort_builder.set("adlb", [2], "AVALU", "mg/dL")  # C3 of S01 at baseline: mg/dL to g/L is known (pint)
    cohort_builder.set("adlb", [1], "AVALU", "U/mL")  # anti-dsDNA: no conversion to IU/mL
    with pytest.raises(DataContractError) as err:
        load_cohort(cohort_builder.write())
    text = str(err.value)
    assert "no conversion from 'U/mL' is known for DSDNA: if it is another spelling of 'IU/mL', declare it with " \
           "`mapping: units: {'U/mL': 'IU/mL'}` in cohort.yml" in text
    assert "or let `mapping: units: {'mg/dL': 'g/L'}` in cohort.yml convert it (x 0.01)" in text


def test_whole_number_within_floating_point_noise():
    from helpers.data import contract as ct
    from helpers.data.validation import coerce_columns

    df = pd.DataFrame({"USUBJID": ["1", "1"], "AVISITN": [5.397605e-79, 12.0000000001], "PARAMCD": ["ALT", "ALT"]})
    out, problems = coerce_columns(df, ct.ADLB, "adlbhy.xpt")
    assert not problems and out["AVISITN"].tolist() == [0, 12]
    bad, problems = coerce_columns(df.assign(AVISITN=[0.5, 1.0]), ct.ADLB, "adlbhy.xpt")
    assert [(p.column, p.rows, p.message) for p in problems] == [("AVISITN", (1,), "not a whole number")]


def test_load_cohort_lab_visits_may_be_incomplete_but_the_codes_must_be_there(cohort_builder):
    lb = cohort_builder.tables["adlb"]
    cohort_builder.tables["adlb"] = lb.drop(index=[2])  # one C4 value of S01 at baseline: shown, not refused
    assert len(load_cohort(cohort_builder.write())["adlb"]) == len(lb) - 1
    cohort_builder.tables["adlb"] = lb[lb["PARAMCD"] != "HGB"]
    with pytest.raises(DataContractError, match=r"codes \['HGB'\] are missing: the sle contract needs DSDNA, C3, C4, "
                                                r"UPROT, WBC, LYMPH, PLAT, HGB \(at any visits\); map other names with "
                                                r"`mapping: paramcd:`"):
        load_cohort(cohort_builder.write())


# ---------------------------------------------------------------------------------------
# visits from the study day (analysis windows)

WINDOWS = [{"week": 0, "low": -14, "high": 1}, {"week": 2, "low": 8, "high": 21}, {"week": 4, "low": 22, "high": 35}]


def test_assign_windows_nearest_the_target_day_earlier_on_a_tie():
    lb = pd.DataFrame({
        "USUBJID": ["1", "1", "1", "1", "1", "1", "2", "2"],
        "PARAMCD": ["ALT", "ALT", "ALT", "ALT", "ALT", "AST", "ALT", "ALT"],
        "ADY": [-5.0, 1.0, 12.0, 18.0, 40.0, 14.0, 29.0, 31.0],
        "AVAL": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    })
    out = assign_windows(lb, WINDOWS)
    # subject 1, ALT: day 1 (target 1) beats day -5; days 12 and 18 are 3 from target 15:
    # the earlier wins; day 40 lies in no window. AST day 14 alone in week 2. Subject 2:
    # days 29 and 31 are 0 and 2 from target 29.
    assert out[["USUBJID", "PARAMCD", "AVISITN", "AVAL"]].values.tolist() == [
        ["1", "ALT", 0, 2.0], ["1", "ALT", 2, 3.0], ["1", "AST", 2, 6.0], ["2", "ALT", 4, 7.0]]
    assert list(out.index) == [1, 2, 5, 6]  # the rows of the file, for messages
    assert lb["ADY"].tolist()[0] == -5.0  # the input is not modified


def test_apply_mapping_visits_from_the_study_day():
    lb = pd.DataFrame({"USUBJID": ["1", "1"], "PARAMCD": "ALT", "ADY": [2.0, 15.0], "AVISITN": [1.0, 2.0],
                       "AVAL": [1.0, 2.0]})
    m = ExportMapping(visits={"from": "ADY", "windows": WINDOWS})
    assert apply_mapping(lb, "adlb", m)[["ADY", "AVISITN"]].values.tolist() == [[15.0, 2]]


def test_config_reads_windows_and_refuses_them_with_visit_numbers(write_yaml):
    base = {"title": "T", "label": "L", "contract": "adam"}
    cfg = read_cohort_config(write_yaml({**base, "mapping": {"visits": {"from": "ADY", "windows": WINDOWS}}}))
    assert cfg.mapping.visits["windows"][1] == {"week": 2, "low": 8, "high": 21}
    with pytest.raises(ConfigError, match=r"key mapping.visits"):
        read_cohort_config(write_yaml({**base, "mapping": {"visits": {"from": "AVISITN", "windows": WINDOWS}}}, "b"))
    with pytest.raises(ConfigError, match=r"key mapping.visits"):
        read_cohort_config(write_yaml({**base, "mapping": {"visits": {"from": "ADY", "weeks": {1: 0}, "windows": WINDOWS}}}, "c"))
    with pytest.raises(ConfigError, match=r"key mapping.visits.windows\[0\]: missing required key 'high'"):
        read_cohort_config(write_yaml({**base, "mapping": {"visits": {"from": "ADY", "windows": [{"week": 0, "low": -3}]}}}, "d"))


def test_load_cohort_lab_visits_from_the_study_day(cohort_builder):
    b = cohort_builder
    lb = b.tables["adlb"]
    weeks = sorted(lb["AVISITN"].unique())
    # The export has no visit variable in adlb, only the study day, one or two days off target.
    b.tables["adlb"] = lb.assign(ADY=lb["AVISITN"] * 7 + 1 + (lb.index % 3) - 1).drop(columns=["AVISITN", "AVISIT"])
    labels = {v["week"]: v["label"] for v in b.config["visits"]}
    b.config["mapping"] = {"visits": {"from": "ADY", "windows": [
        {"week": int(w), "low": int(w) * 7 - 2, "high": int(w) * 7 + 4, "label": labels[int(w)]} for w in weeks]}}
    cohort = load_cohort(b.write())
    def keyed(df):
        return sorted(zip(df["USUBJID"].astype(str), df["PARAMCD"].astype(str), df["AVISITN"].astype(int),
                          df["AVAL"].astype(float), df["AVISIT"].astype(str), strict=True))

    assert keyed(cohort["adlb"]) == keyed(lb)
