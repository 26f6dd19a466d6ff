"""Tests for the optional codes and columns of the data contract (helpers.data.contract):
the renal measures and serology in ``adlb``, tacrolimus in ``adsl``."""

from __future__ import annotations

from helpers import definitions as d
from helpers.data import contract as ct


def test_adlb_optional_codes_and_units():
    assert ct.ADLB.optional_params == {"UPCR": "mg/g", "CREAT": "umol/L", "EGFR": "mL/min/1.73m2",
                                       "ANA": "titre", "ANUA": "IU/mL"}
    # Every visit needs the required codes only; the optional ones have units all the same.
    assert len(ct.ADLB.params) == 8
    assert ct.ADLB.units == {**ct.ADLB.params, **ct.ADLB.optional_params}
    # Any parameter code is read (a generic BDS lab table); the lupus contract requires
    # its eight at some visit, and the optional codes are documented with their units.
    assert ct.ADLB.column("PARAMCD").allowed is None
    assert "UPCR (urine protein-to-creatinine ratio, `mg/g`)" in ct.ADLB.column("PARAMCD").label


def test_tables_without_optional_codes_have_units_of_their_params():
    assert ct.ADSLEDAI.optional_params is None
    assert ct.ADCM.units == {"PREDDOSE": "mg/day"}
    assert ct.ADSL.units == {}


def test_tacrolimus_is_an_optional_flag():
    col = ct.ADSL.column("CMTACFL")
    assert (col.kind, col.required, col.allowed) == ("flag", (), ("Y", "N", ""))
    assert "CMTACFL" not in d.CONCOMITANT_DRUGS and d.OPTIONAL_CONCOMITANT_DRUGS == {"CMTACFL": "Tacrolimus"}
