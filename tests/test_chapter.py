"""The chapter API (helpers.chapter): opening a cohort, gluing, tables, listings.

On the tiny two-arm lupus cohort of ``conftest.py`` (arms IL-2 and Placebo, visits at
weeks 0 and 2, primary week 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.chapter import Chapter, plain
from helpers.errors import ConfigError
from helpers.present.tables import ResultTable


@pytest.fixture
def chapter(cohort_dir, tmp_path) -> Chapter:
    return Chapter.open("sri", cohort_dir, downloads_dir=tmp_path / "dl", downloads_url="dl/")


@pytest.fixture
def one_arm(cohort_builder, tmp_path) -> Chapter:
    cohort_builder.config["arms"] = ["IL-2"]
    cohort_builder.config.pop("reference_arm")
    adsl = cohort_builder.tables["adsl"]
    adsl["TRT01A"] = "IL-2"
    return Chapter.open("sri", cohort_builder.write(), downloads_dir=tmp_path / "dl")


# ---------------------------------------------------------------------------------------
# opening


def test_open_takes_defaults_from_the_config(chapter: Chapter):
    assert chapter.primary_week == 2  # the config's
    assert chapter.alpha == 0.05 and chapter.confidence == pytest.approx(0.95)
    assert chapter.arms == ("IL-2", "Placebo") and chapter.several_arms
    assert chapter.total_label == "Total" and chapter.arms_and_total == ["IL-2", "Placebo", "Total"]
    assert chapter.number == 2  # sri is the config's second chapter
    assert chapter.profile == "full" and not chapter.public


def test_open_parameters_override_the_config(cohort_dir, tmp_path):
    ch = Chapter.open("sri", cohort_dir, primary_week=2, alpha=0.1, profile="public", downloads_dir=tmp_path)
    assert ch.alpha == 0.1 and ch.public


def test_open_refuses_a_primary_week_outside_the_schedule(cohort_dir):
    with pytest.raises(ConfigError, match=r"primary_week 4 is not a post-baseline visit .*\[2\]"):
        Chapter.open("sri", cohort_dir, primary_week=4)


def test_open_refuses_a_bad_alpha_and_profile(cohort_dir):
    with pytest.raises(ConfigError, match="alpha must be between 0 and 1"):
        Chapter.open("sri", cohort_dir, alpha=1.5)
    with pytest.raises(ConfigError, match="profile must be one of"):
        Chapter.open("sri", cohort_dir, profile="secret")


def test_open_refuses_an_arm_variable_adsl_lacks(cohort_dir):
    with pytest.raises(ConfigError, match="arm_var 'ARM' is not a column of adsl"):
        Chapter.open("safety", cohort_dir, arm_var="ARM")


def test_single_arm_total_is_the_arm(one_arm: Chapter):
    assert one_arm.total_label == "IL-2" and one_arm.arms_and_total == ["IL-2"] and not one_arm.several_arms


def test_has_names_the_tables(chapter: Chapter):
    assert chapter.has("adsl", "adcm") and not chapter.has("adxx")


# ---------------------------------------------------------------------------------------
# gluing


def test_plain_values():
    assert plain(np.int64(3)) == 3 and plain(np.float64(0.5)) == 0.5 and plain(float("nan")) is None
    assert plain((1, np.int32(2))) == [1, 2] and plain({"a": np.bool_(True)}) == {"a": True}
    with pytest.raises(TypeError, match="cannot glue a DataFrame"):
        plain(pd.DataFrame())


def test_glue_twice_is_an_error(chapter: Chapter):
    chapter.glue("x", 1)
    with pytest.raises(ValueError, match="glue name 'x' is used twice in chapter sri"):
        chapter.glue("x", 2)


BY_ARM = pd.DataFrame({"TRT01A": ["IL-2", "Placebo", "Total"], "n": [2, 1, 3], "rate": [0.5, 0.0, 1 / 3],
                       "p_val": [0.04, 0.5, 0.0001]})


def test_glue_frame_several_arms(chapter: Chapter):
    chapter.glue_frame(BY_ARM, {"demo_n": "n", "demo_p": "p_val"}, p_values=("demo_p",))
    assert chapter.glued == {
        "demo_n": 3, "demo_n@IL-2": 2, "demo_n@Placebo": 1,
        "demo_p": 0.0001, "demo_p@IL-2": 0.04, "demo_p@Placebo": 0.5,
        "demo_p_text": "p < 0.001", "demo_p_text@IL-2": "p = 0.040", "demo_p_text@Placebo": "p = 0.500",
    }


def test_glue_frame_without_the_total(chapter: Chapter):
    chapter.glue_frame(BY_ARM, {"demo_rate": "rate"}, total=False)
    assert chapter.glued == {"demo_rate@IL-2": 0.5, "demo_rate@Placebo": 0.0}


def test_glue_frame_one_arm(one_arm: Chapter):
    one_arm.glue_frame(pd.DataFrame({"TRT01A": ["IL-2"], "n": [3]}), {"demo_n": "n"})
    assert one_arm.glued == {"demo_n": 3}


def test_glue_frame_missing_row_is_an_error(chapter: Chapter):
    with pytest.raises(ValueError, match=r"glue_frame: no row for \['Total'\] in column 'TRT01A'"):
        chapter.glue_frame(BY_ARM.iloc[:2], {"demo_n": "n"})


def test_glue_values_and_p(chapter: Chapter):
    chapter.glue_values({"a": 1, "b": "two"})
    chapter.glue_p("q", 0.0524)
    assert chapter.glued == {"a": 1, "b": "two", "q": 0.0524, "q_text": "p = 0.052"}


def test_public_profile_masks_glued_counts(cohort_dir, tmp_path):
    ch = Chapter.open("sri", cohort_dir, profile="public", downloads_dir=tmp_path)
    ch.glue_values({"sae_subjects": 3, "primary_rate": 0.075, "primary_week": 2, "n_enrolled": 40})
    assert ch.glued == {"sae_subjects": "< 5", "primary_rate": 0.075, "primary_week": 2, "n_enrolled": 40}


# ---------------------------------------------------------------------------------------
# tables and listings


def _table(name: str = "demo") -> ResultTable:
    display = pd.DataFrame({"Row": ["Any", "Grade 3"], "IL-2": ["2 (100.0%)", "1 (50.0%)"]})
    data = pd.DataFrame({"row": ["Any", "Grade 3"], "n_subjects": [2, 1], "term": ["=HYPERLINK(1)", "x"]})
    return ResultTable(name, "A demo table", display, data, notes=["A note."])


def test_table_numbers_and_writes_the_csv(chapter: Chapter, tmp_path):
    chapter.table(_table("first"))
    chapter.table(_table("second"))
    assert chapter._tables == 2
    first = (tmp_path / "dl" / "first.csv").read_text()
    assert first.splitlines()[0] == "row,n_subjects,term"
    assert "'=HYPERLINK(1)" in first, "formulas are neutralised in downloads"


def test_public_table_masks_small_counts(cohort_dir, tmp_path):
    ch = Chapter.open("sri", cohort_dir, profile="public", downloads_dir=tmp_path)
    ch.table(_table())
    assert (tmp_path / "demo.csv").read_text().splitlines()[1:] == ["Any,< 5,'=HYPERLINK(1)", "Grade 3,< 5,x"]


def test_listing_page_holds_at_most_max_rows_and_the_csv_all(chapter: Chapter, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    rows = pd.DataFrame({"Subject": [f"ROW-{i:04d}" for i in range(12)], "Value": [str(i) for i in range(12)]})
    chapter.listing(ResultTable("big", "Big listing", rows, rows), max_rows=5)
    page = shown[-1]
    assert "ROW-0004" in page and "ROW-0005" not in page
    assert "The page holds the first 5 of 12 rows" in page and "(12 rows)" in page
    assert len((tmp_path / "dl" / "big.csv").read_text().splitlines()) == 13  # header and every row
    chapter.listing(ResultTable("small", "Small listing", rows.head(3), rows.head(3)), max_rows=5)
    assert "The page holds the first" not in shown[-1]


def test_public_listing_is_left_out(cohort_dir, tmp_path):
    ch = Chapter.open("safety", cohort_dir, profile="public", downloads_dir=tmp_path)
    ch.listing(_table("ae-listing"))
    assert not (tmp_path / "ae-listing.csv").exists()


# ---------------------------------------------------------------------------------------
# blinded dry runs


def test_blind_shuffles_and_relabels_the_arms(cohort_dir, tmp_path):
    ch = Chapter.open("sri", cohort_dir, blind=True, downloads_dir=tmp_path)
    assert ch.arms == ("Arm A", "Arm B") and ch.config.blinded and ch.config.reference_arm == "Arm B"
    adsl = ch.cohort["adsl"]
    assert sorted(adsl["TRT01A"]) == ["Arm A", "Arm A", "Arm B"], "arm sizes are kept"
    again = Chapter.open("sri", cohort_dir, blind=True, downloads_dir=tmp_path)
    assert again.cohort["adsl"]["TRT01A"].tolist() == adsl["TRT01A"].tolist(), "seeded: every build alike"


def test_a_blinded_cohort_refuses_a_real_arm_run(cohort_builder, tmp_path):
    cohort_builder.config["blinded"] = True
    folder = cohort_builder.write()
    assert Chapter.open("sri", folder, downloads_dir=tmp_path).arms == ("Arm A", "Arm B")
    with pytest.raises(ConfigError, match="blinded: true; a real-arm build is refused"):
        Chapter.open("sri", folder, blind=False, downloads_dir=tmp_path)


def test_glue_frame_of_comparisons_names_the_arms(chapter: Chapter):
    comparisons = pd.DataFrame({"TRT01A": ["IL-2"], "estimate": [0.25]})
    chapter.glue_frame(comparisons, {"demo_diff": "estimate"}, arms=["IL-2"])
    assert chapter.glued == {"demo_diff@IL-2": 0.25}


def test_glue_columns(chapter: Chapter):
    chapter.glue_columns(BY_ARM[["TRT01A", "n"]], "doses_{}")
    assert chapter.glued == {"doses_n": 3, "doses_n@IL-2": 2, "doses_n@Placebo": 1}


def test_glue_comparisons_two_arms_also_bare(chapter: Chapter):
    comparisons = pd.DataFrame({"arm": ["IL-2"], "reference": ["Placebo"], "estimate": [0.25], "p_val": [0.0524]})
    chapter.glue_comparisons(comparisons, {"demo_diff": "estimate", "demo_p": "p_val"}, p_values=("demo_p",))
    assert chapter.glued == {
        "demo_diff@IL-2-vs-Placebo": 0.25, "demo_diff": 0.25,
        "demo_p@IL-2-vs-Placebo": 0.0524, "demo_p": 0.0524,
        "demo_p_text@IL-2-vs-Placebo": "p = 0.052", "demo_p_text": "p = 0.052",
    }
