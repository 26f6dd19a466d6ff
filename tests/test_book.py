"""End to end: the cohorts' sites build from the committed data and show the published figures.

These tests build the real books (once per session, reusing the build cache) and read
the results every page cites from ``results.json``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parents[1]
TEST_WORK = ROOT / "_build" / ".test-work"


def results(site: Path) -> dict:
    return json.loads((site / "results.json").read_text())


def test_default_site_has_every_page(default_site: Path):
    for page in ("intro.html", "references.html", "rerunning.html", "appendix/provenance.html",
                 *(f"chapters/{c}.html" for c in ("cohort", "sri", "organ", "labs", "immunology", "safety"))):
        assert (default_site / page).is_file(), page


def test_default_results_reproduce_the_abstract(default_site: Path):
    r = results(default_site)
    assert r["n_enrolled"] == 40 and r["n_treated"] == 40
    assert r["sri4_responders_week6"] == 36
    assert r["sri4_responders_week10"] == 36
    assert r["primary_week"] == 10
    assert (r["primary_responders"], r["primary_n"]) == (36, 40)
    assert r["primary_rate"] == pytest.approx(0.9)
    # Clopper-Pearson for 36/40; R: binom.test(36, 40)$conf.int
    assert r["primary_ci_low"] == pytest.approx(0.76336, abs=1e-5)
    assert r["primary_ci_high"] == pytest.approx(0.97207, abs=1e-5)
    assert r["injection_site_reaction_subjects"] == 5
    assert r["grade3plus_subjects"] == 0 and r["sae_subjects"] == 0


def test_default_results_show_the_published_directions(default_site: Path):
    r = results(default_site)
    assert r["antidsdna_median_change"] < 0 and r["proteinuria_median_change"] < 0
    assert r["c3_median_change"] > 0 and r["c4_median_change"] > 0
    assert r["treg_median_change"] > 0
    assert r["th17_median_change"] < 0 and r["tfh_median_change"] < 0
    for name in ("antidsdna", "proteinuria", "c3", "c4", "treg", "th17", "tfh"):
        assert r[f"{name}_median_change_p"] < 0.05, name
    for name in ("th1", "th2"):
        assert r[f"{name}_median_change_p"] > 0.05, name


def test_results_json_holds_plain_values_only(default_site: Path):
    for name, value in results(default_site).items():
        assert isinstance(value, (int, float, str, bool, list, type(None))), name


def test_every_page_says_the_data_are_simulated(default_site: Path):
    for page in default_site.rglob("*.html"):
        if page.name in ("index.html", "genindex.html", "search.html") or "_static" in page.parts:
            continue
        assert "Simulated data" in page.read_text(encoding="utf-8"), page


def test_landing_page_numbers_come_from_results(default_site: Path):
    """Every value the landing page pastes is the one results.json holds, formatted as
    the page's source asks (the browser tests read the rendered table as well)."""
    import re

    from myst_nb.core.variables import format_plain_text

    r = results(default_site)
    source = (ROOT / "data" / "nct02084238" / "intro.md").read_text(encoding="utf-8")
    cited = re.findall(r"\{glue:text\}`chapters/[a-z]+\.ipynb::([a-z0-9_]+):([^`]*)`", source)
    assert cited, "the landing page cites glued values"
    shown = re.findall(r'<span class="pasted-text">([^<]*)</span>', (default_site / "intro.html").read_text(encoding="utf-8"))
    assert shown == [format_plain_text(repr(r[name]), fmt) for name, fmt in cited]


def test_second_build_executes_nothing(default_site: Path):
    from helpers.publish import build_book

    lines: list[str] = []
    report = build_book("nct02084238", root=ROOT, output=default_site, work_dir=TEST_WORK / "nct02084238",
                        log=lines.append)
    assert report.executed == [] and not report.rendered, lines


def test_build_leaves_the_work_tree_clean(default_site: Path, tmp_path: Path):
    from helpers.publish import build_book

    def status() -> str:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                              capture_output=True, text=True).stdout

    def published() -> dict[str, int]:
        site = ROOT / "_build" / "html"
        return {str(p): p.stat().st_mtime_ns for p in site.rglob("*")} if site.exists() else {}

    before, site_before = status(), published()
    # A rebuild that executes a chapter and renders, then the default build again.
    for overrides in ({"sri": {"null_rate": 0.35}}, {}):
        build_book("nct02084238", root=ROOT, output=tmp_path / "site", work_dir=TEST_WORK / "nct02084238",
                   overrides=overrides, log=lambda line: None)
    assert status() == before, "the build wrote files outside _build/"
    assert published() == site_before, "the tests never touch the user's _build/html"


def test_followup_reproduces_the_randomized_trial(followup_site: Path):
    r = results(followup_site)
    assert (r["primary_responders@IL-2"], r["primary_n@IL-2"]) == (16, 29)
    assert (r["primary_responders@Placebo"], r["primary_n@Placebo"]) == (9, 30)
    assert (r["sri4_responders_week24@IL-2"], r["sri4_responders_week24@Placebo"]) == (19, 11)
    # The pre-specified test: Miettinen-Nurminen's score test (published p = 0.052 and 0.027);
    # statsmodels test_proportions_2indep(16, 29, 9, 30, method="score") gives 0.0524.
    assert r["primary_p"] == pytest.approx(0.0524, abs=1e-4)
    assert r["primary_verdict"] == "not met at the two-sided 5% level"
    assert r["sri4_diff_p_week24"] == pytest.approx(0.0280, abs=1e-4)
    # every randomized subject, the untreated one a non-responder: 16/30 vs 9/30;
    # R: prop.test(c(16, 9), c(30, 30), correct = FALSE) gives p = 0.0668
    assert r["itt_p_chisq"] == pytest.approx(0.0668, abs=1e-4)
    assert r["sae_subjects@IL-2"] == 0 and r["sae_subjects@Placebo"] == 3
    assert r["injection_site_reaction_subjects@IL-2"] == 9 and r["injection_site_reaction_subjects@Placebo"] == 2
    assert (followup_site / "chapters" / "sri.html").is_file()


def test_pilot_export_builds_the_generic_chapters(pilot_site: Path):
    r = results(pilot_site)
    assert r["n_enrolled"] == 254
    assert (r["teae_subjects@Placebo"], r["teae_subjects@Xanomeline Low Dose"], r["teae_subjects@Xanomeline High Dose"]) == (65, 77, 76)
    assert not (pilot_site / "chapters" / "sri.html").exists()
    assert "Simulated data" not in (pilot_site / "intro.html").read_text(encoding="utf-8")


def _stream_outputs(site_work: Path) -> list[str]:
    import nbformat

    found = []
    for path in sorted((site_work / "executed").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" or out.get("output_type") == "error":
                    found.append(f"{path.name}: {(out.get('text') or out.get('evalue') or '')[:200]}")
    return found


def test_no_warnings_in_output_cells(default_site: Path, followup_site: Path):
    for cohort in ("nct02084238", "nct02465580"):
        assert not _stream_outputs(TEST_WORK / cohort), cohort


# ---------------------------------------------------------------------------------------
# the randomized cohort reported as a trial statistician would (issue #13)

EFFICACY_CHAPTERS = ("sri", "organ", "labs", "immunology")


def test_followup_efficacy_tables_have_no_pooled_column(followup_site: Path):
    import csv

    for chapter in EFFICACY_CHAPTERS:
        for path in sorted((followup_site / "downloads" / chapter).glob("*.csv")):
            with path.open(encoding="utf-8") as f:
                header = next(csv.reader(f))
                rows = list(csv.reader(f))
            assert "Total" not in header, f"{chapter}/{path.name} has a Total column"
            assert not any(row and row[0] == "Total" for row in rows), f"{chapter}/{path.name} has a Total row"


def test_followup_pages_never_pool_the_randomized_arms(followup_site: Path):
    text = (followup_site / "chapters" / "sri.html").read_text(encoding="utf-8")
    assert "of 59" not in text, "a response rate over both arms (59 subjects)"
    r = results(followup_site)
    pooled = [k for k in ("primary_rate", "primary_responders", "primary_n", "primary_ci_low", "primary_oc_rate",
                          "sri5_primary_rate", "sri6_primary_rate", "sledai_median_change") if k in r]
    assert not pooled, f"bare efficacy names with two arms must be comparisons, not pooled values: {pooled}"
    assert (r["primary_responders@IL-2"], r["primary_n@IL-2"]) == (16, 29)


def test_followup_states_the_primary_verdict(followup_site: Path):
    sri = (followup_site / "chapters" / "sri.html").read_text(encoding="utf-8")
    landing = (followup_site / "intro.html").read_text(encoding="utf-8")
    for page in (sri, landing):
        assert "not met at the two-sided 5% level" in page
    assert "percentage points" in sri


def test_followup_lupus_nephritis_remission(followup_site: Path):
    """He et al. 2020: lupus nephritis complete remission 7/13 against 2/12 (issue 14, test 6), and
    the printed p = 0.036 that none of the standard tests gives on those counts."""
    r = results(followup_site)
    assert (r["ln_week0_n@IL-2"], r["ln_week0_subjects@IL-2"], r["ln_week0_n@Placebo"],
            r["ln_week0_subjects@Placebo"]) == (13, 29, 12, 30)
    assert (r["ln_cr_week24_n@IL-2"], r["ln_cr_week24_subjects@IL-2"]) == (7, 13)
    assert (r["ln_cr_week24_n@Placebo"], r["ln_cr_week24_subjects@Placebo"]) == (2, 12)
    # R: prop.test(c(7, 2), c(13, 12), correct = FALSE) 0.053; fisher.test 0.097, one-sided 0.063
    assert [round(r[f"ln_cr_week24_p_{t}@IL-2-vs-Placebo"], 3) for t in ("chisq", "fisher", "fisher_one_sided")] == \
        [0.053, 0.097, 0.063]
    assert r["ln_cr_week24_p@IL-2-vs-Placebo"] == r["ln_cr_week24_p_fisher@IL-2-vs-Placebo"]  # cohort.yml renal.test
    assert r["ln_cr_week24_verdict@IL-2-vs-Placebo"] == "not_significant"
    page = (followup_site / "chapters" / "organ.html").read_text(encoding="utf-8")
    assert "Lupus nephritis" in page and "7 of 13" in page


def test_followup_table2_rash_and_arthritis_with_the_published_p_values(followup_site: Path):
    """Table 2's rash and arthritis counts by visit and arm, and its within-arm p-values, given by
    Fisher's exact test on the two visits taken as independent groups (issue 14, test 6)."""
    r = results(followup_site)
    counts = {("rash", "IL-2"): (13, 2, 2), ("rash", "Placebo"): (16, 6, 6),
              ("arthrit", "IL-2"): (14, 4, 3), ("arthrit", "Placebo"): (15, 9, 8)}
    for (code, arm), expected in counts.items():
        assert tuple(r[f"manif_{code}_week{w}_n@{arm}"] for w in (0, 12, 24)) == expected, (code, arm)
        assert r[f"manif_{code}_week0_subjects@{arm}"] == (29 if arm == "IL-2" else 30)
    published = {("rash", "IL-2"): (0.002, 0.002), ("rash", "Placebo"): (0.015, 0.015),
                 ("arthrit", "IL-2"): (0.010, 0.003), ("arthrit", "Placebo"): (0.187, 0.110)}
    for (code, arm), expected in published.items():
        got = tuple(round(r[f"manif_{code}_week{w}_p_published@{arm}"], 3) for w in (12, 24))
        assert got == expected, (code, arm)
        assert all(0 <= r[f"manif_{code}_week{w}_p_paired@{arm}"] <= 1 for w in (12, 24))


def test_followup_table2_sledai_medians_and_ranges_by_arm(followup_site: Path):
    """Table 2's SLEDAI median (range) by arm at weeks 0, 12 and 24 (He et al. 2020; issue 14,
    test 6), from the SRI chapter's table in the paper's layout, with the between-arm
    Hodges-Lehmann shift and its interval beside it."""
    r = results(followup_site)
    published = {"IL-2": [(12, 8, 27), (6, 0, 16), (4, 0, 18)], "Placebo": [(11, 8, 22), (6, 0, 25), (8, 0, 25)]}
    for arm, rows in published.items():
        for week, expected in zip((0, 12, 24), rows, strict=True):
            got = tuple(r[f"sledai_week{week}_{s}@{arm}"] for s in ("median", "min", "max"))
            assert got == expected, (arm, week)
        assert r[f"sledai_week0_n@{arm}"] == (29 if arm == "IL-2" else 30)
        assert all(0 <= r[f"sledai_week{w}_p_paired@{arm}"] <= 1 for w in (12, 24))
    for week in (0, 12, 24):
        name = f"sledai_week{week}_diff"
        assert r[f"{name}_ci_low@IL-2-vs-Placebo"] <= r[f"{name}@IL-2-vs-Placebo"] <= r[f"{name}_ci_high@IL-2-vs-Placebo"]
    page = (followup_site / "chapters" / "sri.html").read_text(encoding="utf-8")
    assert "12 (8-27)" in page and "in the publication" in page


def test_followup_table1_rows_by_name(followup_site: Path):
    """Table 1 of He et al. 2020 by name in results.json: weight mean (SD), SLEDAI and
    prednisone median (range), and concomitant drugs by arm (all 30 randomized per arm)."""
    r = results(followup_site)
    assert (round(r["baseline_weightbl_mean@IL-2"], 2), round(r["baseline_weightbl_sd@IL-2"], 2)) == (54.81, 8.33)
    assert (round(r["baseline_weightbl_mean@Placebo"], 2), round(r["baseline_weightbl_sd@Placebo"], 2)) == (58.69, 8.87)
    assert tuple(r[f"baseline_predbl_{s}@IL-2"] for s in ("median", "min", "max")) == (12.5, 0, 50)
    assert tuple(r[f"baseline_sledaibl_{s}@Placebo"] for s in ("median", "min", "max")) == (11, 8, 22)
    drugs = {"cmhcqfl": (29, 28), "cmcycfl": (4, 0), "cmazafl": (1, 4), "cmcsafl": (0, 5), "cmtacfl": (1, 1),
             "cmthafl": (1, 0)}
    for flag, expected in drugs.items():
        assert (r[f"baseline_{flag}_y_count@IL-2"], r[f"baseline_{flag}_y_count@Placebo"]) == expected, flag
    assert r["baseline_cmhcqfl_n@IL-2"] == 30


def test_followup_table2_serology_rows(followup_site: Path):
    """Table 2's serology rows (He et al. 2020): ANA decreased n by arm, and anti-dsDNA and
    AnuA median (range) at weeks 0, 12 and 24, from the labs chapter's table in the paper's
    layout (result names ``<measure>_week<w>_<statistic>@<arm>``)."""
    r = results(followup_site)
    assert [r[f"ana_decreased_week{w}_n@IL-2"] for w in (0, 12, 24)] == [0, 7, 8]
    assert [r[f"ana_decreased_week{w}_n@Placebo"] for w in (0, 12, 24)] == [0, 11, 12]
    assert tuple(r[f"antidsdna_week0_{s}@IL-2"] for s in ("median", "min", "max")) == pytest.approx((34.8, 1.0, 1783.15))
    assert tuple(r[f"antidsdna_week12_{s}@Placebo"] for s in ("median", "min", "max")) == pytest.approx((37.6, 1.4, 3467.8))
    assert tuple(r[f"anua_week12_{s}@IL-2"] for s in ("median", "min", "max")) == pytest.approx((20.84, 1.28, 287.07))
    assert r["anua_week0_median@Placebo"] == pytest.approx(41.725)
    for name in ("c3_week12_diff", "ana_decreased_week24_diff"):
        assert r[f"{name}_ci_low@IL-2-vs-Placebo"] <= r[f"{name}@IL-2-vs-Placebo"] <= r[f"{name}_ci_high@IL-2-vs-Placebo"]


def test_sle_labs_chapter_adds_the_generic_tables(default_site: Path):
    """The generic lab tables run on the lupus cohort too: subjects per test; no liver
    tests, so no Hy's law count is glued."""
    r = results(default_site)
    assert r["labs_n_tests"] == 8 and r["labs_n_criteria"] == 0
    assert r["labs_subjects_dsdna"] == r["labs_n_population"]
    assert "labs_hys_law" not in r
    assert "labs-shift" in (default_site / "chapters" / "labs.html").read_text(encoding="utf-8")


def test_pilot_export_builds_the_generic_labs_chapter(pilot_site: Path):
    """The pilot's adlbhy.xpt (read as the lab table through cohort.yml alone): subjects
    per test and arm, and the derived Hy's law criterion after baseline, as counted with
    plain pandas in tests/test_labs.py."""
    r = results(pilot_site)
    assert (r["labs_subjects_alt@Placebo"], r["labs_subjects_alt@Xanomeline Low Dose"],
            r["labs_subjects_alt@Xanomeline High Dose"]) == (86, 84, 84)
    assert (r["labs_criterion_hylaw@Placebo"], r["labs_criterion_hylaw_n@Placebo"]) == (1, 84)
    assert r["labs_n_criteria"] == 3
    assert (pilot_site / "chapters" / "labs.html").is_file()


def test_followup_time_to_first_flare_by_kaplan_meier_and_log_rank(followup_site: Path):
    r = results(followup_site)
    assert r["bilag_flare_free@IL-2"] == 1.0  # no IL-2 subject flared
    assert 0 < r["bilag_flare_free@Placebo"] < 1
    assert r["bilag_flare_free_ci_low@Placebo"] < r["bilag_flare_free@Placebo"] < r["bilag_flare_free_ci_high@Placebo"]
    assert 0 < r["bilag_flare_logrank_p@IL-2-vs-Placebo"] < 1
    assert "log-rank test of the time to the first flare" in r["flare_free_text"]
