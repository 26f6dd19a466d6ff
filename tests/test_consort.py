"""The CONSORT diagram (helpers.present.consort): its lines from the participant flow,
the SVG (every count of the flow in the box of its arm, deterministic), the text
alternative and the file; on hand-made single-arm and two-arm cohorts and on the
repository's cohorts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from helpers.analyses import population
from helpers.data.config import Course
from helpers.present import consort, tables

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------------------------------
# two hand-made cohorts


def single_arm():
    """Four subjects of one arm: two courses, two completed, two discontinued (one
    reason left blank), one outside the efficacy population."""
    adsl = pd.DataFrame({
        "USUBJID": ["1", "2", "3", "4"], "TRT01A": "IL-2", "ITTFL": ["Y", "Y", "Y", "N"], "SAFFL": "Y",
        "EOSSTT": ["COMPLETED", "COMPLETED", "DISCONTINUED", "DISCONTINUED"], "DCSREAS": ["", "", "Adverse event", ""],
    })
    adex = pd.DataFrame({"USUBJID": ["1", "2", "3", "4", "1", "2"], "APERIOD": [1, 1, 1, 1, 2, 2]})
    courses = [Course(1, 1, 14), Course(2, 29, 42)]
    flow = population.participant_flow(adsl, "TRT01A", ["IL-2"], adex, courses)
    return flow, population.discontinuation_reasons(adsl, "TRT01A", ["IL-2"]), ["IL-2"]


def two_arms():
    """Five subjects randomized to A (3) or B (2): subject 3 never dosed, one ongoing,
    two discontinued in A; three people excluded before enrolment."""
    adsl = pd.DataFrame({
        "USUBJID": ["1", "2", "3", "4", "5"], "TRT01P": ["A", "A", "A", "B", "B"], "ITTFL": "Y",
        "SAFFL": ["Y", "Y", "N", "Y", "Y"],
        "EOSSTT": ["COMPLETED", "DISCONTINUED", "DISCONTINUED", "COMPLETED", "ONGOING"],
        "DCSREAS": ["", "Lost to follow-up", "Withdrawal by subject", "", ""],
    })
    adex = pd.DataFrame({"USUBJID": ["1", "2", "4", "5"], "APERIOD": 1})
    flow = population.participant_flow(adsl, "TRT01P", ["A", "B"], adex, [Course(1, 1, 14)])
    excluded = pd.DataFrame({"USUBJID": ["9", "10", "11"], "reason": ["screen failure", "consent withdrawn", "screen failure"]})
    return flow, population.discontinuation_reasons(adsl, "TRT01P", ["A", "B"]), excluded, ["A", "B"]


def svg_lines(svg: str) -> list[tuple[str, str, str, str, str]]:
    """(box, arm, step, data-n, text) of every line of a diagram, read back from the SVG."""
    root = ET.fromstring(svg)
    out = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") != "consort-box":
            continue
        for t in g.iter(f"{SVG}text"):
            out.append((g.get("data-box"), g.get("data-arm"), t.get("data-step"), t.get("data-n"), "".join(t.itertext())))
    return out


def assert_every_count_drawn(flow: pd.DataFrame, reasons: pd.DataFrame, svg: str) -> None:
    """Every row of the participant flow (and every discontinuation reason) is a line of
    the box of its arm, with its count."""
    drawn = svg_lines(svg)
    for r in flow.itertuples(index=False):
        hits = [d for d in drawn if d[1] == r.arm and d[2] == r.step and d[3] == str(r.n) and f"n = {r.n}" in d[4]
                and (pd.isna(r.course) or f"course {r.course}" in d[4])]
        assert len(hits) == 1, f"flow row {r} is drawn {len(hits)} times: {drawn}"
    for r in reasons.itertuples(index=False):
        label = r.reason or "reason not given"
        hits = [d for d in drawn if d[1] == r.arm and d[2] == "discontinued_reason" and d[4] == f"{label} (n = {r.n})"
                and d[3] == str(r.n)]
        assert len(hits) == 1, f"reason {r} is drawn {len(hits)} times"


# ---------------------------------------------------------------------------------------
# consort_lines


def test_consort_lines_single_arm():
    flow, reasons, arms = single_arm()
    lines = consort.consort_lines(flow, reasons)
    assert lines[["box", "arm", "text"]].values.tolist() == [
        ["enrolled", "All", "Enrolled (n = 4)"],
        ["allocated", "IL-2", "Allocated to IL-2 (n = 4)"],
        ["allocated", "IL-2", "Treated (n = 4)"],
        ["follow_up", "IL-2", "Received course 1 (n = 4)"],
        ["follow_up", "IL-2", "Received course 2 (n = 2)"],
        ["follow_up", "IL-2", "Completed the study (n = 2)"],
        ["discontinued", "IL-2", "Discontinued (n = 2)"],
        ["discontinued", "IL-2", "reason not given (n = 1)"],  # ties alphabetically, as discontinuation_reasons
        ["discontinued", "IL-2", "Adverse event (n = 1)"],
        ["analysed", "IL-2", "Analysed for efficacy (ITTFL; n = 3)"],
        ["analysed", "IL-2", "Analysed for safety (SAFFL; n = 4)"],
    ]
    assert list(lines.columns) == list(consort.LINE_COLUMNS)
    assert lines["side"].tolist() == [False] * 6 + [True] * 3 + [False] * 2
    assert lines["stage"].unique().tolist() == ["enrolment", "allocation", "follow_up", "analysis"]
    assert lines.loc[lines["step"] == "course", "course"].tolist() == [1, 2]


def test_consort_lines_two_arms_with_exclusions():
    flow, reasons, excluded, arms = two_arms()
    lines = consort.consort_lines(flow, reasons, excluded)
    assert lines[["box", "arm", "n", "text"]].values.tolist() == [
        ["assessed", "All", 8, "Assessed for eligibility (n = 8)"],
        ["excluded", "All", 3, "Excluded (n = 3)"],
        ["excluded", "All", 2, "screen failure (n = 2)"],  # the most frequent reason first
        ["excluded", "All", 1, "consent withdrawn (n = 1)"],
        ["enrolled", "All", 5, "Enrolled (n = 5)"],
        ["allocated", "A", 3, "Allocated to A (n = 3)"],
        ["allocated", "A", 2, "Treated (n = 2)"],
        ["allocated", "A", 1, "Allocated, not treated (n = 1)"],
        ["allocated", "B", 2, "Allocated to B (n = 2)"],
        ["allocated", "B", 2, "Treated (n = 2)"],
        ["allocated", "B", 0, "Allocated, not treated (n = 0)"],
        ["follow_up", "A", 2, "Received course 1 (n = 2)"],
        ["follow_up", "A", 1, "Completed the study (n = 1)"],
        ["follow_up", "A", 0, "Ongoing (n = 0)"],
        ["follow_up", "B", 2, "Received course 1 (n = 2)"],
        ["follow_up", "B", 1, "Completed the study (n = 1)"],
        ["follow_up", "B", 1, "Ongoing (n = 1)"],
        ["discontinued", "A", 2, "Discontinued (n = 2)"],
        ["discontinued", "A", 1, "Lost to follow-up (n = 1)"],
        ["discontinued", "A", 1, "Withdrawal by subject (n = 1)"],
        ["discontinued", "B", 0, "Discontinued (n = 0)"],
        ["analysed", "A", 3, "Analysed for efficacy (ITTFL; n = 3)"],
        ["analysed", "A", 2, "Analysed for safety (SAFFL; n = 2)"],
        ["analysed", "B", 2, "Analysed for efficacy (ITTFL; n = 2)"],
        ["analysed", "B", 2, "Analysed for safety (SAFFL; n = 2)"],
    ]


def test_consort_lines_without_exclusions_open_with_enrolment():
    flow, reasons, _, _ = two_arms()
    empty = pd.DataFrame(columns=["USUBJID", "reason"])
    assert consort.consort_lines(flow, reasons, empty)["box"].iloc[0] == "enrolled"


def test_consort_lines_without_reasons_or_status():
    flow = pd.DataFrame({"step": ["enrolled", "treated", "efficacy", "safety"], "course": pd.NA,
                         "flag": ["", "", "ITTFL", "SAFFL"], "arm": ["All", "A", "A", "A"], "n": [2, 2, 2, 1]})
    lines = consort.consort_lines(flow)
    assert lines["box"].tolist() == ["enrolled", "allocated", "allocated", "analysed", "analysed"]


def test_consort_lines_public_masks_counts_from_1_to_4():
    flow, reasons, excluded, _ = two_arms()
    lines = consort.consort_lines(flow, reasons, excluded, min_cell_count=5)
    assert lines["text"].tolist()[:5] == ["Assessed for eligibility (n = 8)", "Excluded (n < 5)",
                                          "screen failure (n < 5)", "consent withdrawn (n < 5)", "Enrolled (n = 5)"]
    assert "Allocated, not treated (n = 0)" in lines["text"].tolist()  # zeros are not masked
    assert "Analysed for efficacy (ITTFL; n < 5)" in lines["text"].tolist()
    assert lines.loc[1, "n"] == 3 and lines.loc[1, "shown"] == "< 5"


def test_consort_lines_errors():
    flow, reasons, excluded, _ = two_arms()
    with pytest.raises(ValueError, match=r"flow lacks columns \['n'\]"):
        consort.consort_lines(flow.drop(columns="n"))
    with pytest.raises(ValueError, match="no 'enrolled' step"):
        consort.consort_lines(flow[flow["step"] != "enrolled"])
    with pytest.raises(ValueError, match=r"reasons lacks columns \['reason'\]"):
        consort.consort_lines(flow, reasons.drop(columns="reason"))
    with pytest.raises(ValueError, match=r"excluded lacks columns \['reason'\]"):
        consort.consort_lines(flow, reasons, excluded.drop(columns="reason"))


# ---------------------------------------------------------------------------------------
# the SVG


def test_svg_holds_every_count_single_arm():
    flow, reasons, arms = single_arm()
    d = consort.consort_diagram(flow, arms, reasons)
    assert_every_count_drawn(flow, reasons, d.svg)
    assert {b for b, *_ in svg_lines(d.svg)} == {"enrolled", "allocated", "follow_up", "discontinued", "analysed"}


def test_svg_holds_every_count_two_arms_and_the_exclusions():
    flow, reasons, excluded, arms = two_arms()
    d = consort.consort_diagram(flow, arms, reasons, excluded)
    assert_every_count_drawn(flow, reasons, d.svg)
    drawn = svg_lines(d.svg)
    assert ("assessed", "All", "assessed", "8", "Assessed for eligibility (n = 8)") in drawn
    assert ("excluded", "All", "excluded_reason", "2", "screen failure (n = 2)") in drawn


def test_svg_layout_one_column_per_arm_and_reasons_to_the_side():
    flow, reasons, excluded, arms = two_arms()
    root = ET.fromstring(consort.consort_diagram(flow, arms, reasons, excluded).svg)
    x = {(g.get("data-box"), g.get("data-arm")): float(g.find(f"{SVG}rect").get("x"))
         for g in root.iter(f"{SVG}g") if g.get("class") == "consort-box"}
    assert x[("allocated", "A")] < x[("allocated", "B")]  # arms left to right in the config's order
    assert x[("analysed", "A")] == x[("allocated", "A")] == x[("follow_up", "A")]
    assert x[("discontinued", "A")] > x[("follow_up", "A")]  # beside its arm's chain ...
    assert x[("discontinued", "A")] < x[("allocated", "B")]  # ... before the next arm
    assert x[("excluded", "All")] > x[("enrolled", "All")]
    stages = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "consort-stage" for t in g.iter(f"{SVG}text")]
    assert stages == ["Enrolment", "Allocation", "Follow-up", "Analysis"]


def test_svg_is_accessible_and_valid():
    flow, reasons, arms = single_arm()
    d = consort.consort_diagram(flow, arms, reasons, name="flow-x")
    root = ET.fromstring(d.svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "flow-x-title flow-x-desc"
    assert root.find(f"{SVG}title").text == "Participant flow (CONSORT diagram)"
    assert root.find(f"{SVG}desc").text == d.alt
    assert d.alt == ("CONSORT flow diagram in boxes from enrolment to analysis, one column per arm (1 arm: IL-2): "
                     "Enrolled (n = 4). The diagram is listed in full as text under it.")
    assert sorted(e.get("id") for e in root.iter() if e.get("id")) == ["flow-x-arrow", "flow-x-desc", "flow-x-title"]


def test_svg_escapes_arm_names_and_reasons():
    flow = pd.DataFrame({"step": ["enrolled", "treated", "discontinued", "efficacy", "safety"], "course": pd.NA,
                         "flag": ["", "", "", "ITTFL", "SAFFL"], "arm": ["All", "A<&>", "A<&>", "A<&>", "A<&>"],
                         "n": [1, 1, 1, 1, 1]})
    reasons = pd.DataFrame({"arm": ["A<&>"], "reason": ['"quoted" <b>'], "n": [1]})
    d = consort.consort_diagram(flow, ["A<&>"], reasons)
    assert ("discontinued", "A<&>", "discontinued_reason", "1", '"quoted" <b> (n = 1)') in svg_lines(d.svg)
    assert "<b>" not in d.to_html()


def test_svg_is_deterministic_and_written_atomically(tmp_path):
    flow, reasons, excluded, arms = two_arms()
    a = consort.consort_diagram(flow, arms, reasons, excluded)
    b = consort.consort_diagram(flow.copy(), arms, reasons.copy(), excluded.copy())
    assert a.svg == b.svg
    first = consort.write_consort_svg(a, tmp_path / "one").read_bytes()
    second = consort.write_consort_svg(b, tmp_path / "two").read_bytes()
    assert first == second
    assert first.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg ') and first.endswith(b"</svg>\n")
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["consort.svg"]


def test_svg_refuses_an_arm_not_listed():
    flow, reasons, excluded, _ = two_arms()
    with pytest.raises(ValueError, match=r"arms \['B'\] that are not in arms \['A'\]"):
        consort.consort_svg(consort.consort_lines(flow, reasons), ["A"])


def test_consort_diagram_refuses_an_unknown_profile():
    flow, reasons, arms = single_arm()
    with pytest.raises(ValueError, match="profile must be 'full' or 'public', got 'open'"):
        consort.consort_diagram(flow, arms, reasons, profile="open")


def test_consort_diagram_public_profile_masks_the_svg():
    flow, reasons, arms = single_arm()
    d = consort.consort_diagram(flow, arms, reasons, profile="public", min_cell_count=5)
    assert "n = 4" not in d.svg and "Enrolled (n &lt; 5)" in d.svg
    assert ("analysed", "IL-2", "efficacy", "< 5", "Analysed for efficacy (ITTFL; n < 5)") in svg_lines(d.svg)


# ---------------------------------------------------------------------------------------
# the page: text alternative and download


def test_description_lists_every_box():
    flow, reasons, excluded, arms = two_arms()
    d = consort.consort_diagram(flow, arms, reasons, excluded)
    assert [term for term, _ in d.description] == [
        "Enrolment", "Enrolment", "Enrolment", "Allocation, A", "Allocation, B", "Follow-up, A", "Follow-up, B",
        "Follow-up, A", "Follow-up, B", "Analysis, A", "Analysis, B"]
    assert d.description[7] == ("Follow-up, A", ("Discontinued (n = 2)", "Lost to follow-up (n = 1)",
                                                 "Withdrawal by subject (n = 1)"))


def test_figure_html_has_the_svg_the_list_the_caption_and_the_download(tmp_path):
    flow, reasons, excluded, arms = two_arms()
    d = consort.consort_diagram(flow, arms, reasons, excluded)
    fig = consort.write_consort_figure(d, tmp_path / "dl", "../downloads/cohort/")
    assert (tmp_path / "dl" / "consort.svg").read_text(encoding="utf-8") == consort.consort_svg_document(d)
    page = fig._repr_html_()
    assert page == d.to_html("../downloads/cohort/consort.svg")
    assert page.startswith('<figure class="consort" id="consort"><svg ')
    assert '<dl class="consort-text"><dt>Enrolment</dt><dd>Assessed for eligibility (n = 8)</dd>' in page
    assert "<dt>Follow-up, A</dt><dd>Discontinued (n = 2); Lost to follow-up (n = 1); Withdrawal by subject (n = 1)</dd>" in page
    assert '<a href="../downloads/cohort/consort.svg" download' in page
    assert page.endswith(f"<figcaption><p>{consort.CAPTION} " + page.split(f"{consort.CAPTION} ")[1])
    assert "figure-download" not in d._repr_html_()  # no file, no link


# ---------------------------------------------------------------------------------------
# the repository's cohorts


def _cohort_flow(name: str):
    from helpers.data import load_cohort
    from helpers.data.config import read_cohort_config

    cfg = read_cohort_config(ROOT / "data" / name)
    cohort = load_cohort(cfg)
    adsl, arm = cohort["adsl"], population.allocation_arm(cfg)
    arms = list(dict.fromkeys(cfg.arms)) if cfg.arms else sorted(adsl[arm].dropna().unique())
    flow = population.participant_flow(adsl, arm, arms, adex=cohort.tables.get("adex"), courses=cfg.courses,
                                       efficacy_flag=cfg.populations["efficacy"], safety_flag=cfg.populations["safety"])
    return flow, population.discontinuation_reasons(adsl, arm, arms), cohort.excluded, arms


@pytest.mark.parametrize("name", ["nct02084238", "nct02465580"])
def test_real_cohorts_svg_holds_every_count_of_the_flow_table(name):
    flow, reasons, excluded, arms = _cohort_flow(name)
    d = consort.consort_diagram(flow, arms, reasons, excluded)
    assert_every_count_drawn(flow, reasons, d.svg)
    # the flow table's rows (steps in words, by arm) are the diagram's lines
    shown = tables.label_flow(flow, reasons)
    drawn = svg_lines(d.svg)
    for r in shown.itertuples(index=False):
        assert any(arm == r.arm and text.startswith(r.step.split(" (")[0]) and n == str(r.n)
                   for _, arm, _, n, text in drawn), r
    assert len({arm for _, arm, *_ in drawn} - {"All"}) == len(arms)


def test_real_two_arm_cohort_numbers():
    flow, reasons, excluded, arms = _cohort_flow("nct02465580")
    lines = consort.consort_lines(flow, reasons, excluded)
    text = lines.groupby("arm")["text"].apply(list).to_dict()
    # the simulated follow-up trial: 60 randomized, 30 per arm, one IL-2 subject never treated
    assert arms == ["IL-2", "Placebo"]
    assert text["All"] == ["Enrolled (n = 60)"]
    assert text["IL-2"][:3] == ["Allocated to IL-2 (n = 30)", "Treated (n = 29)", "Allocated, not treated (n = 1)"]
    assert text["Placebo"][:2] == ["Allocated to Placebo (n = 30)", "Treated (n = 30)"]
