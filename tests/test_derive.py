"""Tests for helpers.derive, written from the published definitions in
../shared/reference/definitions.md (SLEDAI-2K: Gladman 2002; BILAG-2004; SRI: Furie
2009; CTCAE v5.0). Expected values are worked out by hand and written out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import derive as dv
from helpers.data.config import Course
from helpers.definitions import SLEDAI_DESCRIPTORS

CODES = [x.code for x in SLEDAI_DESCRIPTORS]
WEIGHTS_BY_HAND = [8, 8, 8, 8, 8, 8, 8, 8, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1]
NAN = float("nan")


def sledai_visit(subject: str, week: int, active=(), label: str | None = None) -> list[dict]:
    """All 24 descriptor rows of one visit, ``active`` ones 1."""
    rows = [{"USUBJID": subject, "AVISITN": week, "PARAMCD": c, "AVAL": int(c in active)} for c in CODES]
    if label is not None:
        for r in rows:
            r["AVISIT"] = label
    return rows


# ---------------------------------------------------------------------------------------
# SLEDAI-2K total


def test_derive_sledai_total_weights_are_the_published_ones():
    # Gladman 2002: 8 x 8 (neurological, vasculitis), 6 x 4, 7 x 2, 3 x 1
    for code, w in zip(CODES, WEIGHTS_BY_HAND, strict=True):
        df = pd.DataFrame(sledai_visit("S1", 0, active={code}))
        assert dv.derive_sledai_total(df)["AVAL"].tolist() == [float(w)], code


def test_derive_sledai_total_arthritis_rash_low_complement_is_8():
    df = pd.DataFrame(sledai_visit("S1", 0, active={"ARTHRIT", "RASH", "LOWCOMP"}))
    out = dv.derive_sledai_total(df)
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL"]
    assert out["AVAL"].tolist() == [8.0]  # 4 + 2 + 2
    assert out["PARAMCD"].tolist() == ["SLEDAI"]


def test_derive_sledai_total_all_and_none():
    df = pd.DataFrame(sledai_visit("S1", 0, active=CODES) + sledai_visit("S2", 0))
    assert dv.derive_sledai_total(df)["AVAL"].tolist() == [105.0, 0.0]


def test_derive_sledai_total_per_subject_and_visit_with_labels():
    df = pd.DataFrame(
        sledai_visit("S2", 4, {"SEIZURE", "FEVER"}, "Week 4")  # 8 + 1
        + sledai_visit("S1", 0, {"PROTEIN", "HEMATUR", "DNABIND"}, "Baseline")  # 4 + 4 + 2
        + sledai_visit("S1", 4, {"DNABIND"}, "Week 4")  # 2
    )
    out = dv.derive_sledai_total(df, paramcd="SLEDAI2K")
    assert out.values.tolist() == [
        ["S1", "Baseline", 0, "SLEDAI2K", 10.0],
        ["S1", "Week 4", 4, "SLEDAI2K", 2.0],
        ["S2", "Week 4", 4, "SLEDAI2K", 9.0],
    ]


def test_derive_sledai_total_missing_descriptor_row_gives_missing_total():
    rows = sledai_visit("S1", 0, {"RASH"})[:-1]  # LEUKOP not recorded
    out = dv.derive_sledai_total(pd.DataFrame(rows))
    assert np.isnan(out["AVAL"].iloc[0])


def test_derive_sledai_total_missing_value_gives_missing_total():
    df = pd.DataFrame(sledai_visit("S1", 0, {"RASH"}) + sledai_visit("S1", 2, {"RASH"}))
    df["AVAL"] = df["AVAL"].astype(float)
    df.loc[30, "AVAL"] = NAN  # week 2, one descriptor unknown
    assert dv.derive_sledai_total(df)["AVAL"].tolist()[0] == 2.0
    assert np.isnan(dv.derive_sledai_total(df)["AVAL"].tolist()[1])


def test_derive_sledai_total_unknown_code():
    df = pd.DataFrame(sledai_visit("S1", 0) + [{"USUBJID": "S1", "AVISITN": 0, "PARAMCD": "FOO", "AVAL": 1}])
    with pytest.raises(ValueError, match=r"derive_sledai_total: unknown descriptor codes \['FOO'\]"):
        dv.derive_sledai_total(df)


def test_derive_sledai_total_missing_column():
    df = pd.DataFrame(sledai_visit("S1", 0)).drop(columns="AVAL")
    with pytest.raises(ValueError, match=r"derive_sledai_total: input lacks columns \['AVAL'\]"):
        dv.derive_sledai_total(df)


def test_derive_sledai_total_does_not_change_input():
    df = pd.DataFrame(sledai_visit("S1", 0, {"RASH"}))
    before = df.copy()
    dv.derive_sledai_total(df)
    pd.testing.assert_frame_equal(df, before)


def test_derive_sledai_total_duplicate_row_does_not_hide_a_missing_descriptor():
    rows = [r for r in sledai_visit("S1", 0, {"ARTHRIT"}) if r["PARAMCD"] != "RASH"]
    rows.append({"USUBJID": "S1", "AVISITN": 0, "PARAMCD": "ARTHRIT", "AVAL": 1})  # 24 rows, RASH missing
    out = dv.derive_sledai_total(pd.DataFrame(rows))
    assert np.isnan(out["AVAL"].iloc[0])


# ---------------------------------------------------------------------------------------
# SLEDAI-2K organ domains


def test_derive_sledai_domains_hand_case():
    df = pd.DataFrame(sledai_visit("S1", 0, {"ARTHRIT", "RASH", "LOWCOMP"}, "Baseline"))
    out = dv.derive_sledai_domains(df)
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "AVAL"]
    assert out[["PARAMCD", "AVAL"]].values.tolist() == [
        ["neurological", 0.0],
        ["vascular", 0.0],
        ["musculoskeletal", 4.0],
        ["renal", 0.0],
        ["mucocutaneous", 2.0],
        ["serosal", 0.0],
        ["immunological", 2.0],
        ["constitutional", 0.0],
        ["haematological", 0.0],
    ]
    assert set(out["AVISIT"]) == {"Baseline"}


def test_derive_sledai_domains_whole_instrument():
    out = dv.derive_sledai_domains(pd.DataFrame(sledai_visit("S1", 0, CODES)))
    assert out["AVAL"].tolist() == [56.0, 8.0, 8.0, 16.0, 6.0, 4.0, 4.0, 1.0, 2.0]


def test_derive_sledai_domains_sorted_by_subject_and_visit():
    df = pd.DataFrame(sledai_visit("S2", 0, {"FEVER"}) + sledai_visit("S1", 2, {"VASCUL"}) + sledai_visit("S1", 0))
    out = dv.derive_sledai_domains(df)
    assert out[["USUBJID", "AVISITN"]].drop_duplicates().values.tolist() == [["S1", 0], ["S1", 2], ["S2", 0]]
    assert out.query("USUBJID == 'S1' and AVISITN == 2 and PARAMCD == 'vascular'")["AVAL"].tolist() == [8.0]


def test_derive_sledai_domains_missing_column():
    with pytest.raises(ValueError, match=r"derive_sledai_domains: input lacks columns \['PARAMCD'\]"):
        dv.derive_sledai_domains(pd.DataFrame({"USUBJID": ["S1"], "AVISITN": [0], "AVAL": [1]}))


def test_derive_sledai_domains_unknown_code():
    df = pd.DataFrame({"USUBJID": "S1", "AVISITN": 0, "PARAMCD": ["RASH", "FOO"], "AVAL": [1, 1]})
    with pytest.raises(ValueError, match=r"unknown descriptor codes \['FOO'\]"):
        dv.derive_sledai_domains(df)


def test_derive_sledai_domains_missing_value_gives_missing_domain():
    df = pd.DataFrame(sledai_visit("S1", 0, {"RASH"}))
    df["AVAL"] = df["AVAL"].astype(float)
    df.loc[df["PARAMCD"] == "ALOPEC", "AVAL"] = NAN
    out = dv.derive_sledai_domains(df).set_index("PARAMCD")["AVAL"]
    assert np.isnan(out["mucocutaneous"])


presence = st.lists(st.lists(st.booleans(), min_size=24, max_size=24), min_size=1, max_size=4)


@settings(max_examples=50, deadline=None)
@given(presence)
def test_derive_sledai_total_is_the_weighted_sum_within_0_105(visits):
    rows = []
    for i, present in enumerate(visits):
        rows += sledai_visit("S1", 2 * i, {c for c, p in zip(CODES, present, strict=True) if p})
    out = dv.derive_sledai_total(pd.DataFrame(rows))
    expected = [float(sum(w for w, p in zip(WEIGHTS_BY_HAND, present, strict=True) if p)) for present in visits]
    assert out["AVAL"].tolist() == expected
    assert out["AVAL"].between(0, 105).all()


@settings(max_examples=50, deadline=None)
@given(presence)
def test_derive_sledai_domains_sum_to_the_total(visits):
    rows = []
    for i, present in enumerate(visits):
        rows += sledai_visit("S1", 2 * i, {c for c, p in zip(CODES, present, strict=True) if p})
    df = pd.DataFrame(rows)
    total = dv.derive_sledai_total(df).set_index("AVISITN")["AVAL"]
    by_domain = dv.derive_sledai_domains(df).groupby("AVISITN")["AVAL"].sum()
    pd.testing.assert_series_equal(by_domain, total, check_names=False)


# ---------------------------------------------------------------------------------------
# baseline and change


def test_derive_base_and_chg_hand_case():
    df = pd.DataFrame({"USUBJID": ["A", "A", "A", "B", "B", "C"], "PARAMCD": ["X", "X", "Y", "X", "X", "X"],
                       "AVISITN": [0, 2, 0, 0, 2, 2], "AVAL": [10.0, 6.0, 0.0, 4.0, 5.0, 3.0]})
    out = dv.derive_chg(dv.derive_base(df))
    assert out["BASE"].tolist()[:5] == [10.0, 10.0, 0.0, 4.0, 4.0]
    assert np.isnan(out["BASE"].iloc[5])  # C has no baseline
    assert out["ABLFL"].tolist() == ["Y", "", "Y", "Y", "", ""]
    assert out["CHG"].tolist()[:5] == [0.0, -4.0, 0.0, 0.0, 1.0]
    assert out["PCHG"].tolist()[:2] == [0.0, -40.0]
    assert np.isnan(out["PCHG"].iloc[2])  # baseline 0
    assert out["PCHG"].iloc[4] == 25.0
    assert np.isnan(out["CHG"].iloc[5]) and np.isnan(out["PCHG"].iloc[5])


def test_derive_base_other_baseline_week_and_index_kept():
    df = pd.DataFrame({"USUBJID": "A", "PARAMCD": "X", "AVISITN": [-2, 0, 4], "AVAL": [7.0, 9.0, 5.0]},
                      index=[10, 20, 30])
    out = dv.derive_base(df, baseline_week=-2)
    assert out.index.tolist() == [10, 20, 30]
    assert out["BASE"].tolist() == [7.0, 7.0, 7.0]
    assert out["ABLFL"].tolist() == ["Y", "", ""]


def test_derive_base_replaces_existing_columns_and_keeps_input():
    df = pd.DataFrame({"USUBJID": "A", "PARAMCD": "X", "AVISITN": [0, 2], "AVAL": [3.0, 1.0],
                       "BASE": [99.0, 99.0], "ABLFL": ["", ""]})
    before = df.copy()
    out = dv.derive_base(df)
    assert out["BASE"].tolist() == [3.0, 3.0]
    assert out["ABLFL"].tolist() == ["Y", ""]
    pd.testing.assert_frame_equal(df, before)


def test_derive_base_by_other_columns():
    df = pd.DataFrame({"USUBJID": "A", "PARAMCD": "X", "AVISITN": [0, 2], "AVAL": [3.0, 1.0]})
    out = dv.derive_base(df, by=["USUBJID"])
    assert out["BASE"].tolist() == [3.0, 3.0]


def test_derive_base_two_baselines():
    df = pd.DataFrame({"USUBJID": "A", "PARAMCD": "X", "AVISITN": [0, 0], "AVAL": [3.0, 1.0]})
    with pytest.raises(ValueError, match=r"derive_base: more than one baseline record per \['USUBJID', 'PARAMCD'\]"):
        dv.derive_base(df)


def test_derive_base_missing_column():
    with pytest.raises(ValueError, match=r"derive_base: input lacks columns \['PARAMCD'\]"):
        dv.derive_base(pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0], "AVAL": [1.0]}))


def test_derive_chg_missing_base():
    with pytest.raises(ValueError, match=r"derive_chg: input lacks columns \['BASE'\]"):
        dv.derive_chg(pd.DataFrame({"AVAL": [1.0]}))


# ---------------------------------------------------------------------------------------
# BILAG-2004 new flares


def bilag(subject: str, week: int, grades: str) -> list[dict]:
    """Nine domain rows, grades given in the published domain order."""
    domains = ["CONST", "MUCO", "NEURO", "MUSK", "CARDRESP", "GI", "OPHTH", "RENAL", "HAEM"]
    return [{"USUBJID": subject, "AVISITN": week, "PARAMCD": d, "AVALC": g} for d, g in zip(domains, grades, strict=True)]


def test_derive_bilag_new_flares_every_transition():
    # domain    CONST MUCO NEURO MUSK CARDRESP GI OPHTH RENAL HAEM
    # baseline    A    B     A    D      E     C    B     E    C
    # week 4      A    A     B    B      B     B    B     A    C
    # new A: MUCO (B->A), RENAL (E->A)                             = 2
    # new B: MUSK (D->B), CARDRESP (E->B), GI (C->B); NEURO A->B is
    #        an improvement and OPHTH B->B is no change            = 3
    df = pd.DataFrame(bilag("S1", 0, "ABADECBEC") + bilag("S1", 4, "AABBBBBAC"))
    out = dv.derive_bilag_new_flares(df)
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "NEWA", "NEWB"]
    assert out[["AVISITN", "NEWA", "NEWB"]].values.tolist() == [[0, 0.0, 0.0], [4, 2.0, 3.0]]


def test_derive_bilag_new_flares_nothing_new():
    df = pd.DataFrame(bilag("S1", 0, "BBBBBBBBB") + bilag("S1", 2, "BBBBCDECB"))
    assert dv.derive_bilag_new_flares(df)[["NEWA", "NEWB"]].values.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_derive_bilag_new_flares_no_baseline_is_missing():
    df = pd.DataFrame(bilag("S1", 0, "EEEEEEEEE") + bilag("S1", 2, "AEEEEEEEE") + bilag("S2", 2, "AAAAAAAAA"))
    df = df[~((df["USUBJID"] == "S1") & (df["AVISITN"] == 0) & (df["PARAMCD"] == "HAEM"))]
    out = dv.derive_bilag_new_flares(df)
    assert out["USUBJID"].tolist() == ["S1", "S1", "S2"]
    assert out[["NEWA", "NEWB"]].isna().all(axis=1).tolist() == [False, True, True]


def test_derive_bilag_new_flares_other_baseline_week():
    df = pd.DataFrame(bilag("S1", -1, "CCCCCCCCC") + bilag("S1", 0, "BCCCCCCCC"))
    out = dv.derive_bilag_new_flares(df, baseline_week=-1)
    assert out[["AVISITN", "NEWA", "NEWB"]].values.tolist() == [[-1, 0.0, 0.0], [0, 0.0, 1.0]]


def test_derive_bilag_new_flares_missing_column():
    with pytest.raises(ValueError, match=r"derive_bilag_new_flares: input lacks columns \['AVALC'\]"):
        dv.derive_bilag_new_flares(pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0], "PARAMCD": ["MUCO"]}))


# ---------------------------------------------------------------------------------------
# PGA worsening


def test_derive_pga_worsening_threshold_with_float_rounding():
    # 2.3 - 2.0 is 0.2999999999999998 in binary floating point: still a worsening of 0.3
    subjects = ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"]
    weeks = [0, 2] * 5
    values = [2.0, 2.3, 2.0, 2.29, 1.1, 1.4, 2.7, 3.0, 2.0, 1.0]
    df = pd.DataFrame({"USUBJID": subjects, "AVISITN": weeks, "AVAL": values})
    out = dv.derive_pga_worsening(df)
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG", "PGAWFL"]
    assert out["PGAWFL"].tolist() == ["N", "Y", "N", "N", "N", "Y", "N", "Y", "N", "N"]
    assert out["CHG"].tolist() == [0.0, 0.3, 0.0, 0.29, 0.0, 0.3, 0.0, 0.3, 0.0, -1.0]
    assert out["AVISIT"].tolist() == [""] * 10


def test_derive_pga_worsening_missing_baseline_or_value():
    df = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AVISITN": [0, 2, 2], "AVAL": [1.0, NAN, 2.0],
                       "AVISIT": ["Baseline", "Week 2", "Week 2"]})
    out = dv.derive_pga_worsening(df)
    assert out["PGAWFL"].tolist() == ["N", "", ""]
    assert out["AVISIT"].tolist() == ["Baseline", "Week 2", "Week 2"]


def test_derive_pga_worsening_other_threshold_and_baseline_week():
    df = pd.DataFrame({"USUBJID": "A", "AVISITN": [-1, 0, 2], "AVAL": [1.0, 1.3, 1.5]})
    out = dv.derive_pga_worsening(df, baseline_week=-1, threshold=0.5)
    assert out["PGAWFL"].tolist() == ["N", "N", "Y"]


def test_derive_pga_worsening_missing_column():
    with pytest.raises(ValueError, match=r"derive_pga_worsening: input lacks columns \['AVAL'\]"):
        dv.derive_pga_worsening(pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0]}))


# ---------------------------------------------------------------------------------------
# SRI-k


def sri_inputs(cases: dict[str, tuple]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """cases: subject -> (base SLEDAI, week-6 SLEDAI, NEWA, NEWB, PGAWFL); None = not recorded."""
    s, b, p = [], [], []
    for subj, (base, visit, new_a, new_b, pga) in cases.items():
        s.append({"USUBJID": subj, "AVISITN": 0, "AVAL": base})
        if visit is not None:
            s.append({"USUBJID": subj, "AVISITN": 6, "AVAL": visit})
        b += [{"USUBJID": subj, "AVISITN": 0, "NEWA": 0.0, "NEWB": 0.0},
              {"USUBJID": subj, "AVISITN": 6, "NEWA": new_a, "NEWB": new_b}]
        p += [{"USUBJID": subj, "AVISITN": 0, "CHG": 0.0, "PGAWFL": "N"},
              {"USUBJID": subj, "AVISITN": 6, "CHG": 0.3 if pga == "Y" else 0.0, "PGAWFL": pga}]
    return pd.DataFrame(s), pd.DataFrame(b), pd.DataFrame(p)


SRI_CASES = {
    # subject: (base, week 6, new A, new B, PGA worsened)
    "A": (12.0, 6.0, 0.0, 1.0, "N"),  # all three criteria met: responder
    "B": (12.0, 9.0, 0.0, 0.0, "N"),  # SLEDAI -3 only
    "C": (12.0, 8.0, 0.0, 2.0, "N"),  # -4 (exactly) but two new B
    "D": (12.0, 4.0, 1.0, 0.0, "N"),  # a new A
    "E": (12.0, 6.0, 0.0, 0.0, "Y"),  # PGA worsened
    "F": (12.0, 6.0, 0.0, 0.0, ""),  # PGA missing, other criteria met: not evaluable
    "G": (12.0, 10.0, NAN, 0.0, ""),  # failed SLEDAI decides, others missing
    "H": (12.0, None, 0.0, 0.0, "N"),  # SLEDAI not recorded at week 6
}


def test_derive_sri_each_criterion():
    out = dv.derive_sri(*sri_inputs(SRI_CASES))
    assert out.columns.tolist() == ["USUBJID", "AVISIT", "AVISITN", "PARAMCD", "BASE", "CHG", "NEWA", "NEWB",
                                    "PGACHG", "CRIT1FL", "CRIT2FL", "CRIT3FL", "AVAL"]
    assert out["USUBJID"].tolist() == list("ABCDEFGH")
    assert set(out["AVISITN"]) == {6}
    assert set(out["PARAMCD"]) == {"SRI4"}
    assert out["CRIT1FL"].tolist() == ["Y", "N", "Y", "Y", "Y", "Y", "N", ""]
    assert out["CRIT2FL"].tolist() == ["Y", "Y", "N", "N", "Y", "Y", "", "Y"]
    assert out["CRIT3FL"].tolist() == ["Y", "Y", "Y", "Y", "N", "", "", "Y"]
    assert out["AVAL"].tolist()[:5] == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert np.isnan(out["AVAL"].iloc[5])  # F: not evaluable
    assert out["AVAL"].iloc[6] == 0.0  # G: a failed criterion decides
    assert np.isnan(out["AVAL"].iloc[7])  # H
    assert out["CHG"].tolist()[:7] == [-6.0, -3.0, -4.0, -8.0, -6.0, -6.0, -2.0]


def test_derive_sri_higher_threshold():
    out = dv.derive_sri(*sri_inputs(SRI_CASES), k=5)
    assert set(out["PARAMCD"]) == {"SRI5"}
    assert out["CRIT1FL"].tolist()[:4] == ["Y", "N", "N", "Y"]  # C: -4 is not -5
    assert out["AVAL"].tolist()[:3] == [1.0, 0.0, 0.0]


def test_derive_sri_more_new_b_allowed():
    out = dv.derive_sri(*sri_inputs({"C": SRI_CASES["C"]}), max_new_b=2)
    assert out["CRIT2FL"].tolist() == ["Y"]
    assert out["AVAL"].tolist() == [1.0]


def test_derive_sri_labels_from_sledai():
    s, b, p = sri_inputs({"A": SRI_CASES["A"]})
    s["AVISIT"] = ["Baseline", "Week 6"]
    assert dv.derive_sri(s, b, p)["AVISIT"].tolist() == ["Week 6"]


@pytest.mark.parametrize("k", [0, 106])
def test_derive_sri_k_out_of_range(k):
    s, b, p = sri_inputs({"A": SRI_CASES["A"]})
    with pytest.raises(ValueError, match=rf"derive_sri: k must be a SLEDAI-2K reduction between 1 and 105, got {k}"):
        dv.derive_sri(s, b, p, k=k)


@pytest.mark.parametrize(
    "which, column, what",
    [(0, "AVAL", "sledai"), (1, "NEWB", "bilag_flares"), (2, "PGAWFL", "pga")],
)
def test_derive_sri_missing_column(which, column, what):
    frames = list(sri_inputs({"A": SRI_CASES["A"]}))
    frames[which] = frames[which].drop(columns=column)
    with pytest.raises(ValueError, match=rf"derive_sri \({what}\): input lacks columns \['{column}'\]"):
        dv.derive_sri(*frames)


sri_case = st.tuples(
    st.integers(0, 105).map(float),  # baseline SLEDAI
    st.integers(0, 105).map(float),  # visit SLEDAI
    st.sampled_from([0.0, 1.0, 2.0, NAN]),  # new A
    st.sampled_from([0.0, 1.0, 2.0, NAN]),  # new B
    st.sampled_from(["Y", "N", ""]),  # PGA worsened
)


@settings(max_examples=50, deadline=None)
@given(st.lists(sri_case, min_size=1, max_size=6), st.integers(1, 7))
def test_derive_sri_stricter_responders_are_looser_responders(cases, k):
    inputs = sri_inputs({f"S{i}": c for i, c in enumerate(cases)})
    loose = dv.derive_sri(*inputs, k=k)
    strict = dv.derive_sri(*inputs, k=k + 1)
    assert ((strict["AVAL"] == 1) <= (loose["AVAL"] == 1)).all()
    # and every responder has a SLEDAI-2K change of at most -k
    assert (loose.loc[loose["AVAL"] == 1, "CHG"] <= -k).all()
    assert (strict.loc[strict["AVAL"] == 1, "CHG"] <= -(k + 1)).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 105).map(float), st.sampled_from(["N", ""])), min_size=1, max_size=6),
       st.integers(1, 8))
def test_derive_sri_visit_identical_to_baseline_never_responds(cases, k):
    inputs = sri_inputs({f"S{i}": (score, score, 0.0, 0.0, pga) for i, (score, pga) in enumerate(cases)})
    out = dv.derive_sri(*inputs, k=k)
    assert (out["AVAL"] == 0.0).all()
    assert (out["CRIT1FL"] == "N").all()


# ---------------------------------------------------------------------------------------
# non-responder imputation


def test_impute_nonresponders_hand_case():
    r = pd.DataFrame({"USUBJID": ["A", "A", "B", "Z"], "AVISITN": [2, 4, 2, 2], "PARAMCD": "SRI4",
                      "AVAL": [1.0, 0.0, NAN, 1.0]})
    out = dv.impute_nonresponders(r, ["A", "B", "C"], [2, 4], {2: "Week 2", 4: "Week 4"})
    assert out[["USUBJID", "AVISITN", "AVISIT", "PARAMCD", "AVAL", "DTYPE"]].values.tolist() == [
        ["A", 2, "Week 2", "SRI4", 1.0, ""],
        ["A", 4, "Week 4", "SRI4", 0.0, ""],
        ["B", 2, "Week 2", "SRI4", 0.0, "NRI"],
        ["B", 4, "Week 4", "SRI4", 0.0, "NRI"],
        ["C", 2, "Week 2", "SRI4", 0.0, "NRI"],
        ["C", 4, "Week 4", "SRI4", 0.0, "NRI"],
    ]  # Z is outside the population: dropped


def test_impute_nonresponders_missing_column():
    with pytest.raises(ValueError, match=r"impute_nonresponders: input lacks columns \['AVAL'\]"):
        dv.impute_nonresponders(pd.DataFrame({"USUBJID": ["A"], "AVISITN": [2]}), ["A"], [2])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from(["A", "B", "C", "D", "E"]), min_size=0, max_size=5, unique=True),
    st.lists(st.sampled_from([2, 4, 6, 8, 10, 12]), min_size=1, max_size=6, unique=True),
    st.lists(st.tuples(st.sampled_from(["A", "B", "X"]), st.sampled_from([2, 4, 6, 14]),
                       st.sampled_from([0.0, 1.0, NAN])), max_size=8, unique_by=lambda t: t[:2]),
)
def test_impute_nonresponders_one_row_per_subject_and_week(subjects, weeks, observed):
    r = pd.DataFrame(observed, columns=["USUBJID", "AVISITN", "AVAL"])
    out = dv.impute_nonresponders(r, subjects, weeks)
    assert len(out) == len(subjects) * len(weeks)
    assert out["AVAL"].isin([0.0, 1.0]).all()
    assert ((out["DTYPE"] == "NRI") == ~out.set_index(["USUBJID", "AVISITN"]).index.isin(
        r.dropna().set_index(["USUBJID", "AVISITN"]).index)).all()


# ---------------------------------------------------------------------------------------
# organ resolution, labs, CTCAE, ratios, courses


def test_derive_resolution_hand_case():
    df = pd.DataFrame({"USUBJID": ["A", "A", "B", "B", "C", "D", "D"], "PARAMCD": "renal",
                       "AVISITN": [0, 12, 0, 12, 0, 0, 12], "AVAL": [8, 0, 4, 4, 4, 0, 4]})
    out = dv.derive_resolution(df, week=12)
    assert out["USUBJID"].tolist() == ["A", "B", "C"]  # D inactive at baseline
    assert out["BASE"].tolist() == [8, 4, 4]
    assert out["RESFL"].tolist() == ["Y", "N", "N"]
    assert np.isnan(out["AVAL"].iloc[2])


def test_derive_resolution_other_baseline_week():
    df = pd.DataFrame({"USUBJID": "A", "PARAMCD": "RASH", "AVISITN": [-1, 0, 4], "AVAL": [1, 0, 0]})
    assert dv.derive_resolution(df, week=4, baseline_week=-1)["RESFL"].tolist() == ["Y"]
    assert len(dv.derive_resolution(df, week=4)) == 0


def test_derive_resolution_missing_column():
    with pytest.raises(ValueError, match=r"derive_resolution: input lacks columns \['PARAMCD'\]"):
        dv.derive_resolution(pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0], "AVAL": [1]}), week=2)


def test_derive_lab_abnormal_boundaries():
    df = pd.DataFrame({
        "PARAMCD": ["C3", "C3", "C4", "C4", "DSDNA", "DSDNA", "UPROT", "UPROT", "UPROT", "WBC", "C3"],
        "AVAL": [0.89, 0.9, 0.09, 0.1, 30.1, 30.0, 0.51, 0.5, NAN, 2.0, 0.5],
        "ANRLO": [0.9, 0.9, 0.1, 0.1, NAN, NAN, NAN, NAN, NAN, 4.0, NAN],
        "ANRHI": [1.8, 1.8, 0.4, 0.4, 30.0, 30.0, NAN, NAN, NAN, 10.0, NAN],
    })
    out = dv.derive_lab_abnormal(df)
    assert out["ABNFL"].tolist() == ["Y", "N", "Y", "N", "Y", "N", "Y", "N", "", "", ""]


def test_derive_lab_abnormal_optional_serology_and_upcr():
    # AnuA above the upper limit (like anti-dsDNA); UPCR above 500 mg/g (0.5 g/24 h).
    df = pd.DataFrame({"PARAMCD": ["ANUA", "ANUA", "ANUA", "UPCR", "UPCR", "CREAT"],
                       "AVAL": [25.0, 20.0, 30.0, 500.0, 501.0, 300.0],
                       "ANRLO": [0.0, 0.0, 0.0, None, None, 45.0], "ANRHI": [20.0, 20.0, None, None, None, 84.0]})
    assert dv.derive_lab_abnormal(df)["ABNFL"].tolist() == ["Y", "N", "", "N", "Y", ""]


def test_derive_lab_abnormal_missing_column():
    with pytest.raises(ValueError, match=r"derive_lab_abnormal: input lacks columns \['ANRHI'\]"):
        dv.derive_lab_abnormal(pd.DataFrame({"PARAMCD": ["C3"], "AVAL": [1.0], "ANRLO": [0.9]}))


def test_derive_normalisation_hand_case():
    df = pd.DataFrame({
        "USUBJID": ["A", "A", "B", "B", "C", "C", "D"],
        "PARAMCD": ["DSDNA", "DSDNA", "DSDNA", "DSDNA", "DSDNA", "DSDNA", "DSDNA"],
        "AVISITN": [0, 12, 0, 12, 0, 12, 0],
        "AVAL": [80.0, 25.0, 90.0, 45.0, 20.0, 50.0, 60.0],
        "ANRLO": NAN,
        "ANRHI": 30.0,
    })
    out = dv.derive_normalisation(df, week=12)
    # C was normal at baseline; D was not measured at week 12
    assert out[["USUBJID", "BASE", "NORMFL"]].values.tolist() == [["A", 80.0, "Y"], ["B", 90.0, "N"], ["D", 60.0, "N"]]


def test_derive_ctcae_grade_boundaries():
    # CTCAE v5.0: WBC <LLN-3.0 g1, <3.0-2.0 g2, <2.0-1.0 g3, <1.0 g4 (x10^9/L)
    wbc = [4.0, 3.99, 3.0, 2.99, 2.0, 1.99, 1.0, 0.99]
    # platelets <LLN-75 g1, <75-50 g2, <50-25 g3, <25 g4
    plat = [150.0, 149.0, 75.0, 74.9, 50.0, 49.9, 25.0, 24.9]
    # lymphocytes <LLN-0.8 g1, <0.8-0.5 g2, <0.5-0.2 g3, <0.2 g4
    lymph = [1.0, 0.8, 0.79, 0.5, 0.49, 0.2, 0.19]
    # haemoglobin <LLN-100 g/L g1, <100-80 g2, <80 g3 (no lab-defined grade 4)
    hgb = [115.0, 100.0, 99.9, 80.0, 79.9, 40.0]
    df = pd.DataFrame({
        "PARAMCD": ["WBC"] * 8 + ["PLAT"] * 8 + ["LYMPH"] * 7 + ["HGB"] * 6,
        "AVAL": wbc + plat + lymph + hgb,
        "ANRLO": [4.0] * 8 + [150.0] * 8 + [1.0] * 7 + [115.0] * 6,
    })
    out = dv.derive_ctcae_grade(df)
    assert out["ATOXGR"].tolist() == (
        [0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0]
        + [0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0]
        + [0.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0]
        + [0.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    )
    assert out["ATOXDSCL"].tolist() == (["White blood cell decreased"] * 8 + ["Platelet count decreased"] * 8
                                        + ["Lymphocyte count decreased"] * 7 + ["Anaemia"] * 6)


def test_derive_ctcae_grade_other_tests_and_missing_values():
    df = pd.DataFrame({"PARAMCD": ["C3", "WBC", "DSDNA"], "AVAL": [0.2, NAN, 500.0], "ANRLO": [0.9, 4.0, NAN]})
    out = dv.derive_ctcae_grade(df)
    assert out["ATOXGR"].isna().tolist() == [True, True, True]
    assert out["ATOXDSCL"].tolist() == ["", "", ""]


def test_derive_ctcae_grade_missing_column():
    with pytest.raises(ValueError, match=r"derive_ctcae_grade: input lacks columns \['ANRLO'\]"):
        dv.derive_ctcae_grade(pd.DataFrame({"PARAMCD": ["WBC"], "AVAL": [1.0]}))


def test_derive_ctcae_grade_without_lln_is_not_normal():
    df = pd.DataFrame({"PARAMCD": ["WBC", "HGB", "WBC"], "AVAL": [3.5, 105.0, 2.5], "ANRLO": [NAN, NAN, NAN]})
    out = dv.derive_ctcae_grade(df)
    assert out["ATOXGR"].isna().tolist()[:2] == [True, True]
    assert out["ATOXGR"].iloc[2] == 2.0  # below 3.0 is grade 2 whatever the LLN


def test_derive_ratio_hand_case():
    df = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "A", "B", "B", "C"],
        "AVISITN": [0, 0, 4, 4, 0, 0, 0],
        "AVISIT": ["Baseline", "Baseline", "Week 4", "Week 4", "Baseline", "Baseline", "Baseline"],
        "PARAMCD": ["TREG", "TH17", "TREG", "TH17", "TREG", "TH17", "TREG"],
        "AVAL": [4.0, 2.0, 6.0, 1.5, 3.0, 0.0, 5.0],
    })
    out = dv.derive_ratio(df, "TREG", "TH17", "TREGTH17")
    # B has a zero denominator, C no TH17
    assert out.values.tolist() == [["A", "Baseline", 0, "TREGTH17", 2.0], ["A", "Week 4", 4, "TREGTH17", 4.0]]


def test_derive_ratio_missing_column():
    with pytest.raises(ValueError, match=r"derive_ratio: input lacks columns \['AVAL'\]"):
        dv.derive_ratio(pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0], "PARAMCD": ["TREG"]}), "TREG", "TH17", "R")


def test_derive_ratio_missing_value_gives_no_row():
    df = pd.DataFrame({"USUBJID": "A", "AVISITN": [0, 0], "PARAMCD": ["TREG", "TH17"], "AVAL": [4.0, NAN]})
    assert len(dv.derive_ratio(df, "TREG", "TH17", "R")) == 0


def test_derive_course_window_boundaries():
    ev = pd.DataFrame({"ASTDY": [0, 1, 28, 29, 56, 57, NAN]})
    out = dv.derive_course(ev, [Course(1, 1, 28), Course(2, 29, 56)])
    assert out["APERIOD"].tolist()[1:5] == [1.0, 1.0, 2.0, 2.0]
    assert out["APERIOD"].isna().tolist() == [True, False, False, False, False, True, True]


def test_derive_course_other_day_column_and_no_courses():
    ev = pd.DataFrame({"AESTDY": [3]})
    assert dv.derive_course(ev, [Course(1, 1, 28)], day="AESTDY")["APERIOD"].tolist() == [1.0]
    assert dv.derive_course(ev, [], day="AESTDY")["APERIOD"].isna().all()


def test_derive_course_missing_column():
    with pytest.raises(ValueError, match=r"derive_course: input lacks columns \['ASTDY'\]"):
        dv.derive_course(pd.DataFrame({"X": [1]}), [Course(1, 1, 28)])


# ---------------------------------------------------------------------------------------
# treatment failure


def test_derive_treatment_failure_steroid_above_baseline_by_more_than_the_margin():
    cm = pd.DataFrame({"USUBJID": ["A"] * 4 + ["B"] * 3 + ["C"] * 2,
                       "AVISITN": [0, 2, 4, 6, 0, 2, 4, 0, 2],
                       "AVAL": [10.0, 15.0, 15.1, 5.0, 30.0, 20.0, 35.5, 0.0, 0.0]})
    out = dv.derive_treatment_failure(cm, steroid_margin=5)
    # A: 15 is not more than 10 + 5; 15.1 is (week 4). B: 35.5 > 30 + 5 at week 4. C never.
    assert out.to_dict("records") == [{"USUBJID": "A", "TFWEEK": 4, "TFREAS": "steroid increase"},
                                      {"USUBJID": "B", "TFWEEK": 4, "TFREAS": "steroid increase"}]
    assert dv.derive_treatment_failure(cm, steroid_margin=0)["TFWEEK"].tolist() == [2, 4]


def test_derive_treatment_failure_rescue_from_the_first_visit_and_the_earlier_reason_wins():
    cm = pd.DataFrame({"USUBJID": ["A", "A", "B", "B"], "AVISITN": [0, 2, 0, 2], "AVAL": [10.0, 30.0, 10.0, 10.0]})
    adsl = pd.DataFrame({"USUBJID": ["A", "B"], "RESCFL": ["Y", "N"]})
    out = dv.derive_treatment_failure(cm, adsl, steroid_margin=5, rescue_flag="RESCFL")
    assert out.to_dict("records") == [{"USUBJID": "A", "TFWEEK": 2, "TFREAS": "rescue therapy"}]


def test_derive_treatment_failure_nothing_asked_nothing_found():
    cm = pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0], "AVAL": [10.0]})
    assert dv.derive_treatment_failure(cm).empty


def test_derive_treatment_failure_errors():
    cm = pd.DataFrame({"USUBJID": ["A"], "AVISITN": [0], "AVAL": [10.0]})
    with pytest.raises(ValueError, match="a rescue_flag needs adsl"):
        dv.derive_treatment_failure(cm, rescue_flag="RESCFL")
    with pytest.raises(ValueError, match=r"derive_treatment_failure: adsl lacks columns \['RESCFL'\]"):
        dv.derive_treatment_failure(cm, pd.DataFrame({"USUBJID": ["A"]}), rescue_flag="RESCFL")
    with pytest.raises(ValueError, match=r"the steroid doses lacks columns \['AVAL'\]"):
        dv.derive_treatment_failure(cm.drop(columns="AVAL"), steroid_margin=5)


def test_apply_treatment_failure_sets_later_visits_to_non_response():
    r = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"], "AVISITN": [2, 4, 6, 4], "AVAL": [1.0, 1.0, 0.0, 1.0],
                      "DTYPE": ["", "", "NRI", ""]})
    f = pd.DataFrame({"USUBJID": ["A"], "TFWEEK": [4], "TFREAS": ["steroid increase"]})
    out = dv.apply_treatment_failure(r, f)
    assert out["AVAL"].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert out["DTYPE"].tolist() == ["", "TF", "TF", ""]
    assert r["AVAL"].tolist() == [1.0, 1.0, 0.0, 1.0], "the input is not modified"
    pd.testing.assert_frame_equal(dv.apply_treatment_failure(r, f.iloc[:0]), r)
