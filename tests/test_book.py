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
    source = (ROOT / "intro.md").read_text(encoding="utf-8")
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
